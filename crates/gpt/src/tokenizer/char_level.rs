//! The character-level tokenizer: one token per character.
//!
//! This is the tokenizer of Karpathy's "tiny Shakespeare" char-RNN and nanoGPT
//! demos. Training is just "list the distinct characters of the corpus and
//! sort them"; token id = position in that list. For a corpus of English text
//! the vocabulary has ~65–100 entries, so the model stays tiny, but it must
//! predict text one character at a time.

use serde::{Deserialize, Serialize};

use super::{Encoding, MAX_VOCAB_SIZE, TokenizerError};

/// A character-level tokenizer: its vocabulary is the sorted set of distinct
/// characters (Unicode scalar values) of its training corpus, and a token's id
/// is its index in that set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CharTokenizerJson", into = "CharTokenizerJson")]
pub struct CharTokenizer {
    /// Sorted, without duplicates, so `chars[id]` decodes and a binary search encodes.
    chars: Vec<char>,
}

/// The saved form: the whole vocabulary as one string, in id order, which is
/// readable in the JSON file (`"vocab": "\n !',.:;?ABC…"`).
#[derive(Serialize, Deserialize)]
struct CharTokenizerJson {
    vocab: String,
}

impl From<CharTokenizer> for CharTokenizerJson {
    fn from(tokenizer: CharTokenizer) -> Self {
        Self {
            vocab: tokenizer.chars.into_iter().collect(),
        }
    }
}

impl TryFrom<CharTokenizerJson> for CharTokenizer {
    type Error = String;

    /// Check the invariants that encoding and decoding rely on.
    fn try_from(json: CharTokenizerJson) -> Result<Self, String> {
        let chars: Vec<char> = json.vocab.chars().collect();
        if chars.is_empty() {
            return Err("the character vocabulary is empty".into());
        }
        if chars.len() > MAX_VOCAB_SIZE {
            return Err(format!(
                "the character vocabulary has {} entries, more than the maximum of {MAX_VOCAB_SIZE}",
                chars.len()
            ));
        }
        // Ids are positions in sorted order; a duplicate would make two ids
        // decode to the same character, and disorder would break the binary search.
        for (id, pair) in chars.windows(2).enumerate() {
            if pair[0] == pair[1] {
                return Err(format!(
                    "the character {:?} appears twice in the vocabulary (ids {id} and {})",
                    pair[0],
                    id + 1
                ));
            }
            if pair[0] > pair[1] {
                return Err(format!(
                    "the character vocabulary is not sorted: {:?} (id {id}) comes before {:?}",
                    pair[0], pair[1]
                ));
            }
        }
        Ok(Self { chars })
    }
}

impl CharTokenizer {
    /// A tokenizer for exactly these characters, id = position (which must be sorted order).
    pub(super) fn from_chars(chars: Vec<char>) -> Result<Self, String> {
        CharTokenizerJson {
            vocab: chars.into_iter().collect(),
        }
        .try_into()
    }

    /// Learn the vocabulary: the distinct characters of `corpus`, sorted.
    pub fn train(corpus: &str) -> Result<Self, TokenizerError> {
        if corpus.is_empty() {
            return Err(TokenizerError::EmptyCorpus);
        }
        let mut chars: Vec<char> = corpus.chars().collect();
        // Sorting makes the ids deterministic: the same corpus always gives the same ids.
        chars.sort_unstable();
        chars.dedup();
        if chars.len() > MAX_VOCAB_SIZE {
            return Err(TokenizerError::VocabTooLarge {
                requested: chars.len(),
                maximum: MAX_VOCAB_SIZE,
            });
        }
        Ok(Self { chars })
    }

    /// The vocabulary, in id order.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// Number of distinct characters, i.e. of tokens.
    pub fn vocab_size(&self) -> usize {
        self.chars.len()
    }

    /// The id of one character, or an [`TokenizerError::UnknownChar`] error
    /// naming where in the input it was met.
    fn id_of(&self, ch: char, byte_offset: usize) -> Result<u32, TokenizerError> {
        match self.chars.binary_search(&ch) {
            // Fits in u32: the vocabulary is capped at MAX_VOCAB_SIZE.
            Ok(index) => Ok(index as u32),
            // Silently dropping or replacing the character would hide the
            // problem (the model would be trained on different text), so it is an error.
            Err(_) => Err(TokenizerError::UnknownChar { ch, byte_offset }),
        }
    }

    /// Encode with spans: each character is one token covering its UTF-8 bytes.
    pub fn encode(&self, text: &str) -> Result<Encoding, TokenizerError> {
        let mut encoding = Encoding::default();
        for (offset, ch) in text.char_indices() {
            let id = self.id_of(ch, offset)?;
            encoding.push(id, offset..offset + ch.len_utf8(), ch.to_string());
        }
        Ok(encoding)
    }

    /// Encode to ids only.
    pub fn encode_ids(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        text.char_indices()
            .map(|(offset, ch)| self.id_of(ch, offset))
            .collect()
    }

    /// The character of one id.
    fn char_of(&self, id: u32) -> Result<char, TokenizerError> {
        self.chars
            .get(id as usize)
            .copied()
            .ok_or(TokenizerError::UnknownId {
                id,
                vocab_size: self.chars.len(),
            })
    }

    /// Decode ids to text; fails only on an id outside the vocabulary.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        ids.iter().map(|&id| self.char_of(id)).collect()
    }

    /// Decode, showing unknown ids as U+FFFD (�).
    pub fn decode_lossy(&self, ids: &[u32]) -> String {
        ids.iter()
            .map(|&id| self.char_of(id).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }

    /// The UTF-8 bytes of one token's character.
    pub fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        self.char_of(id).map(|ch| ch.to_string().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_is_sorted_distinct_chars() {
        let tok = CharTokenizer::train("hello, world").unwrap();
        assert_eq!(tok.chars(), &[' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
        assert_eq!(tok.encode_ids("hello").unwrap(), vec![4, 3, 5, 5, 6]);
        assert_eq!(tok.decode(&[4, 3, 5, 5, 6]).unwrap(), "hello");
    }

    #[test]
    fn unknown_char_reports_byte_offset() {
        let tok = CharTokenizer::train("héllo").unwrap();
        // 'é' is 2 bytes, so 'x', character index 3, starts at byte offset 4.
        assert_eq!(
            tok.encode_ids("hélx"),
            Err(TokenizerError::UnknownChar {
                ch: 'x',
                byte_offset: 4
            })
        );
    }

    #[test]
    fn unknown_id_is_an_error_and_lossy_shows_replacement() {
        let tok = CharTokenizer::train("ab").unwrap();
        assert_eq!(
            tok.decode(&[0, 2]),
            Err(TokenizerError::UnknownId {
                id: 2,
                vocab_size: 2
            })
        );
        assert_eq!(tok.decode_lossy(&[0, 2, 1]), "a\u{FFFD}b");
    }

    #[test]
    fn rejects_inconsistent_saved_vocab() {
        for bad in ["", "aa", "ba"] {
            let json = CharTokenizerJson { vocab: bad.into() };
            assert!(CharTokenizer::try_from(json).is_err(), "{bad:?}");
        }
    }
}
