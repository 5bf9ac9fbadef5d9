//! Tokenizers: turning text into the integer ids a GPT reads, and back.
//!
//! A language model never sees letters. Its input is a sequence of integers,
//! *token ids*, each naming one entry of a fixed vocabulary; its output is a
//! probability for every entry of that same vocabulary. The tokenizer is the
//! dictionary between the two worlds:
//!
//! ```text
//! "the cat"  --encode-->  [464, 3797]  --model-->  next id 318  --decode-->  " is"
//! ```
//!
//! Two tokenizers are provided, both *learned* from a training corpus:
//!
//! * [`CharTokenizer`] — one token per character. The vocabulary is just the
//!   set of characters seen in the corpus. Tiny and easy to read, but every
//!   character costs one step of the model, and a character that never
//!   appeared in the corpus cannot be encoded at all.
//! * [`BpeTokenizer`] — byte-level Byte-Pair Encoding, as in GPT-2. It starts
//!   from the 256 possible bytes (so *any* text can be encoded) and learns
//!   "merges" of frequent neighbours: `t`+`h` → `th`, `th`+`e` → `the`,
//!   ` `+`the` → ` the`… Common words become a single token, so the same
//!   context window holds much more text.
//!
//! [`Tokenizer`] wraps both behind one API, and is what the model, the CLI and
//! the web demo use.

mod bpe;
mod char_level;
mod hf;
mod pretokenize;

pub use bpe::BpeTokenizer;
pub use char_level::CharTokenizer;
pub use hf::{SPLIT_PATTERN, byte_to_char};

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Largest vocabulary either tokenizer may have.
///
/// Ids are `u32`, but every token costs a row in the model's embedding table
/// and a column in its output layer, so this playground keeps vocabularies small.
pub const MAX_VOCAB_SIZE: usize = 65_536;

/// Smallest vocabulary a BPE tokenizer may be asked for: the 256 byte tokens
/// plus room for at least one merge (otherwise it would not be *pair* encoding).
pub const MIN_BPE_VOCAB_SIZE: usize = 257;

/// Which tokenizer to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenizerKind {
    /// One token per character ([`CharTokenizer`]).
    Char,
    /// Byte-level Byte-Pair Encoding ([`BpeTokenizer`]).
    Bpe,
}

/// Everything that can go wrong when training, using or loading a tokenizer.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TokenizerError {
    /// Training was given no text.
    #[error("the corpus is empty: a tokenizer needs some text to learn its vocabulary from")]
    EmptyCorpus,

    /// A character-level tokenizer met a character its corpus never contained.
    #[error(
        "character {ch:?} (U+{code:04X}) at byte offset {byte_offset} is not in the vocabulary: \
         a character-level tokenizer only knows the characters of the corpus it was trained on",
        code = u32::from(*.ch)
    )]
    UnknownChar {
        /// The character that could not be encoded.
        ch: char,
        /// Where it starts in the input, in bytes (not characters).
        byte_offset: usize,
    },

    /// A BPE vocabulary must hold the 256 bytes plus at least one merge.
    #[error(
        "a BPE vocabulary of {requested} tokens is too small: it needs at least {minimum} \
         (the 256 single-byte tokens plus at least one merge)"
    )]
    VocabTooSmall {
        /// The size asked for.
        requested: usize,
        /// The smallest size allowed.
        minimum: usize,
    },

    /// The vocabulary asked for (BPE) or found in the corpus (char-level) is too big.
    #[error(
        "a vocabulary of {requested} tokens is too large: at most {maximum} are supported \
         (every token adds a row to the model's embedding table)"
    )]
    VocabTooLarge {
        /// The size asked for (BPE) or the number of distinct characters (char-level).
        requested: usize,
        /// The largest size allowed.
        maximum: usize,
    },

    /// A token id outside the vocabulary was given to decode.
    #[error(
        "token id {id} does not exist: the vocabulary has {vocab_size} tokens, so valid ids are below {vocab_size}"
    )]
    UnknownId {
        /// The offending id.
        id: u32,
        /// The size of the vocabulary.
        vocab_size: usize,
    },

    /// The decoded bytes are not valid UTF-8.
    #[error(
        "these tokens do not form valid UTF-8 text: the sequence probably starts or ends in the \
         middle of a multi-byte character (use decode_lossy to display partial text)"
    )]
    InvalidUtf8,

    /// A saved tokenizer could not be loaded.
    #[error("the saved tokenizer is corrupt: {0}")]
    Corrupt(String),
}

/// The result of encoding text: one entry per token.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Encoding {
    /// The token ids, what the model actually reads.
    pub ids: Vec<u32>,
    /// Byte range of each token in the input string; the ranges tile the input exactly (contiguous, no gaps, cover 0..len).
    pub spans: Vec<Range<usize>>,
    /// A readable form of each token: its text when its bytes are valid UTF-8, otherwise its bytes in hex like `"<e7 a7>"` (a partial UTF-8 character).
    pub tokens: Vec<String>,
}

impl Encoding {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no tokens (the input was empty).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Append one token; the three vectors always grow together.
    fn push(&mut self, id: u32, span: Range<usize>, token: String) {
        self.ids.push(id);
        self.spans.push(span);
        self.tokens.push(token);
    }
}

/// A trained tokenizer of either kind.
///
/// Serialised as JSON with a `"kind"` tag, e.g. `{"kind":"char","vocab":"\n !,.ab…"}`
/// or `{"kind":"bpe","merges":[[32,116],[104,101],…]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tokenizer {
    /// One token per character.
    Char(CharTokenizer),
    /// Byte-level Byte-Pair Encoding.
    Bpe(BpeTokenizer),
}

impl Tokenizer {
    /// Learn a tokenizer of the given kind from `corpus`; `bpe_vocab_size` is ignored for [`TokenizerKind::Char`].
    pub fn train(
        kind: TokenizerKind,
        corpus: &str,
        bpe_vocab_size: usize,
    ) -> Result<Self, TokenizerError> {
        match kind {
            TokenizerKind::Char => Self::train_char(corpus),
            TokenizerKind::Bpe => Self::train_bpe(corpus, bpe_vocab_size),
        }
    }

    /// Learn a character-level tokenizer: the vocabulary is the sorted set of the corpus' characters.
    pub fn train_char(corpus: &str) -> Result<Self, TokenizerError> {
        CharTokenizer::train(corpus).map(Self::Char)
    }

    /// Learn a byte-level BPE tokenizer with at most `vocab_size` tokens.
    pub fn train_bpe(corpus: &str, vocab_size: usize) -> Result<Self, TokenizerError> {
        BpeTokenizer::train(corpus, vocab_size).map(Self::Bpe)
    }

    /// Which kind of tokenizer this is.
    pub fn kind(&self) -> TokenizerKind {
        match self {
            Self::Char(_) => TokenizerKind::Char,
            Self::Bpe(_) => TokenizerKind::Bpe,
        }
    }

    /// Number of tokens in the vocabulary; every id is below this.
    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Char(t) => t.vocab_size(),
            Self::Bpe(t) => t.vocab_size(),
        }
    }

    /// Split `text` into tokens, with each token's byte span and readable form.
    pub fn encode(&self, text: &str) -> Result<Encoding, TokenizerError> {
        match self {
            Self::Char(t) => t.encode(text),
            Self::Bpe(t) => Ok(t.encode(text)),
        }
    }

    /// Only the token ids of `text`: the fast path for whole training corpora.
    pub fn encode_ids(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        match self {
            Self::Char(t) => t.encode_ids(text),
            Self::Bpe(t) => Ok(t.encode_ids(text)),
        }
    }

    /// The distinct characters of `text` this tokenizer has no token for, in order of first
    /// appearance. Always empty for byte-level BPE, which can encode any text as bytes.
    pub fn unknown_chars(&self, text: &str) -> Vec<char> {
        let Self::Char(t) = self else {
            return Vec::new();
        };
        let mut unknown: Vec<char> = Vec::new();
        for ch in text.chars() {
            if t.chars().binary_search(&ch).is_err() && !unknown.contains(&ch) {
                unknown.push(ch);
            }
        }
        unknown
    }

    /// Turn ids back into text; the exact inverse of [`Tokenizer::encode`].
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        match self {
            Self::Char(t) => t.decode(ids),
            Self::Bpe(t) => t.decode(ids),
        }
    }

    /// Decode for display, never failing: unknown ids and invalid bytes become U+FFFD (�).
    ///
    /// Useful while sampling, when the stream may stop in the middle of a
    /// multi-byte character.
    pub fn decode_lossy(&self, ids: &[u32]) -> String {
        match self {
            Self::Char(t) => t.decode_lossy(ids),
            Self::Bpe(t) => t.decode_lossy(ids),
        }
    }

    /// The raw bytes of one token (for a character-level token: the UTF-8 of its character).
    pub fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        match self {
            Self::Char(t) => t.token_bytes(id),
            Self::Bpe(t) => t.token_bytes(id).map(<[u8]>::to_vec),
        }
    }

    /// Readable form of one token, as in [`Encoding::tokens`]; `"<unknown id N>"` for an id outside the vocabulary.
    pub fn token_display(&self, id: u32) -> String {
        match self.token_bytes(id) {
            Ok(bytes) => display_bytes(&bytes),
            Err(_) => format!("<unknown id {id}>"),
        }
    }

    /// Save as JSON (see the type's documentation for the format).
    pub fn to_json(&self) -> String {
        // Serialising plain strings and integers into a String cannot fail;
        // the fallback only exists so this function need not panic or return a Result.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Load from JSON written by [`Tokenizer::to_json`], checking that it is consistent.
    pub fn from_json(json: &str) -> Result<Self, TokenizerError> {
        // The inner types validate themselves while deserialising (serde's
        // `try_from`), so any inconsistency surfaces here as a serde error.
        serde_json::from_str(json).map_err(|err| TokenizerError::Corrupt(err.to_string()))
    }
}

/// Readable form of a token's bytes: the text itself when it is valid UTF-8,
/// otherwise hex like `<e7 a7>`.
///
/// Byte-level BPE may cut a multi-byte character (e.g. a kanji's 3 bytes) over
/// several tokens; such a fragment is not text on its own, so we show its bytes.
fn display_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("<{}>", hex.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_bytes_shows_text_or_hex() {
        assert_eq!(display_bytes(b" the"), " the");
        assert_eq!(display_bytes("私".as_bytes()), "私");
        // The first two of the three bytes of 私 (e7 a7 81).
        assert_eq!(display_bytes(&[0xe7, 0xa7]), "<e7 a7>");
    }

    #[test]
    fn unknown_chars_lists_what_a_char_vocabulary_lacks() {
        let t = Tokenizer::train_char("ab ba\n").expect("trains");
        // Distinct, in order of first appearance; known characters are not listed.
        assert_eq!(
            t.unknown_chars("Q: ab? A: ba!"),
            vec!['Q', ':', '?', 'A', '!']
        );
        assert!(t.unknown_chars("abba").is_empty());
        let bpe = Tokenizer::train_bpe("ab ba", 260).expect("trains");
        assert!(bpe.unknown_chars("私は学生です").is_empty());
    }

    #[test]
    fn error_messages_are_specific() {
        let err = TokenizerError::UnknownChar {
            ch: 'é',
            byte_offset: 7,
        };
        let msg = err.to_string();
        assert!(msg.contains("'é'") && msg.contains("U+00E9") && msg.contains("byte offset 7"));
        assert!(msg.contains("corpus"));
        // Invisible characters are escaped so the message stays readable.
        let msg = TokenizerError::UnknownChar {
            ch: '\u{301}',
            byte_offset: 0,
        }
        .to_string();
        assert!(msg.contains("\\u{301}"), "{msg}");
    }

    #[test]
    fn kind_serialises_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&TokenizerKind::Bpe).unwrap(),
            "\"bpe\""
        );
        assert_eq!(
            serde_json::from_str::<TokenizerKind>("\"char\"").unwrap(),
            TokenizerKind::Char
        );
    }
}
