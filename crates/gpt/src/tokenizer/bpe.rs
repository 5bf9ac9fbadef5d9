//! Byte-level Byte-Pair Encoding (BPE), the tokenizer family of GPT-2 and its successors.
//!
//! **The alphabet.** Text is UTF-8 bytes, and there are only 256 possible
//! bytes, so tokens 0..=255 are the single bytes. Any string at all can be
//! encoded with them (`私` is the three bytes `e7 a7 81`), which is why a
//! byte-level tokenizer never meets an "unknown character".
//!
//! **Training.** Bytes alone make sequences long. BPE repeatedly looks for the
//! most frequent pair of neighbouring tokens in the corpus and adds a new
//! token for it: first maybe `e`+` ` … then `t`+`h` → `th`, `th`+`e` → `the`,
//! ` `+`the` → ` the`. Each new token is a *merge* of two existing ones, and
//! the list of merges, in the order learned, *is* the tokenizer.
//!
//! **Encoding.** Cut the text into chunks (see `pretokenize`), turn each chunk
//! into bytes, and replay the merges in the order they were learned: whenever
//! several merges apply, the earliest-learned one wins. That reproduces
//! exactly how the training corpus itself was segmented.
//!
//! **Decoding.** Concatenate the bytes of the tokens. The result is valid
//! UTF-8 unless the ids stop in the middle of a character.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::pretokenize::{Pretokenizer, chunks};
use super::{Encoding, MAX_VOCAB_SIZE, MIN_BPE_VOCAB_SIZE, TokenizerError, display_bytes};

/// Number of single-byte tokens; merged tokens get ids from here on.
const BYTE_TOKENS: usize = 256;

/// Two neighbouring token ids, (left, right).
type Pair = (u32, u32);

/// A byte-level BPE tokenizer: 256 byte tokens plus one token per learned merge, and
/// optionally special tokens (GPT-2's `<|endoftext|>`) that are matched whole in the text.
///
/// The tokenizers trained here number their tokens the simple way: byte `b` is id `b` and merge
/// `r` makes id `256 + r`. A vocabulary read from Hugging Face files keeps that file's ids
/// (GPT-2 numbers the bytes in its own order and puts `<|endoftext|>` last), so the ids are
/// stored as a layout beside the merges.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "BpeTokenizerJson", into = "BpeTokenizerJson")]
pub struct BpeTokenizer {
    /// `merges[r]` = the pair merged by merge `r`; `r` is its *rank* (learning order, priority).
    merges: Vec<Pair>,
    /// The ids of the tokens: which id each byte and each merge's result has.
    layout: Layout,
    /// Special tokens: their text and id.
    specials: Vec<(String, u32)>,
    /// The rules that cut text into chunks before merging.
    pretokenizer: Pretokenizer,
    /// `vocab[id]` = the bytes of token `id` (a special token's text).
    vocab: Vec<Vec<u8>>,
    /// Pair -> rank, to find quickly which merge applies to a pair of neighbours.
    ranks: HashMap<Pair, u32>,
}

/// Which id the byte tokens and the merges' results have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Layout {
    /// `bytes[b]` = the id of the single-byte token `b`.
    pub bytes: Vec<u32>,
    /// `merged[r]` = the id of the token merge `r` makes.
    pub merged: Vec<u32>,
}

impl Layout {
    /// This playground's numbering: bytes in byte order, then one id per merge in order.
    fn simple(merges: usize) -> Self {
        Self {
            bytes: (0..BYTE_TOKENS as u32).collect(),
            merged: (BYTE_TOKENS as u32..(BYTE_TOKENS + merges) as u32).collect(),
        }
    }
}

// Two tokenizers are the same when they have the same merges, ids, special tokens and
// pre-tokenizer; `vocab` and `ranks` are derived from them.
impl PartialEq for BpeTokenizer {
    fn eq(&self, other: &Self) -> bool {
        self.merges == other.merges
            && self.layout == other.layout
            && self.specials == other.specials
            && self.pretokenizer == other.pretokenizer
    }
}

impl Eq for BpeTokenizer {}

/// The saved form: `{"merges": [[left, right], ...]}` in rank order, and for a vocabulary read
/// from elsewhere its `layout`, `special` tokens and `pretokenizer`.
#[derive(Serialize, Deserialize)]
struct BpeTokenizerJson {
    merges: Vec<[u32; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layout: Option<Layout>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    special: Vec<(String, u32)>,
    #[serde(default, skip_serializing_if = "is_playground")]
    pretokenizer: Pretokenizer,
}

fn is_playground(p: &Pretokenizer) -> bool {
    *p == Pretokenizer::Playground
}

impl From<BpeTokenizer> for BpeTokenizerJson {
    fn from(tokenizer: BpeTokenizer) -> Self {
        let simple = tokenizer.layout == Layout::simple(tokenizer.merges.len());
        Self {
            merges: tokenizer.merges.iter().map(|&(a, b)| [a, b]).collect(),
            layout: (!simple).then_some(tokenizer.layout),
            special: tokenizer.specials,
            pretokenizer: tokenizer.pretokenizer,
        }
    }
}

impl TryFrom<BpeTokenizerJson> for BpeTokenizer {
    type Error = String;

    fn try_from(json: BpeTokenizerJson) -> Result<Self, String> {
        let merges: Vec<Pair> = json.merges.iter().map(|&[a, b]| (a, b)).collect();
        let layout = json.layout.unwrap_or_else(|| Layout::simple(merges.len()));
        Self::from_parts(merges, layout, json.special, json.pretokenizer)
    }
}

impl BpeTokenizer {
    /// Build the tokenizer from its merge list, checking it is consistent:
    /// each merge may only combine tokens that already exist before it
    /// (bytes or earlier merges), and no pair may be merged twice.
    pub(super) fn from_merges(merges: Vec<Pair>) -> Result<Self, String> {
        let layout = Layout::simple(merges.len());
        Self::from_parts(merges, layout, Vec::new(), Pretokenizer::Playground)
    }

    /// Build a tokenizer with any numbering of its tokens (see [`Layout`]), checking that every
    /// id below the vocabulary size is exactly one byte, merge result or special token, and
    /// that each merge combines tokens that exist before it.
    pub(super) fn from_parts(
        merges: Vec<Pair>,
        layout: Layout,
        specials: Vec<(String, u32)>,
        pretokenizer: Pretokenizer,
    ) -> Result<Self, String> {
        if layout.bytes.len() != BYTE_TOKENS || layout.merged.len() != merges.len() {
            return Err(format!(
                "the id layout names {} bytes and {} merge results, expected {BYTE_TOKENS} and {}",
                layout.bytes.len(),
                layout.merged.len(),
                merges.len()
            ));
        }
        // One past the largest id; every id below it must be some token.
        let size = (layout.bytes.iter().chain(&layout.merged))
            .chain(specials.iter().map(|(_, id)| id))
            .max()
            .map_or(0, |&id| id as usize + 1);
        if size > MAX_VOCAB_SIZE {
            return Err(format!(
                "token ids up to {} give a vocabulary larger than the maximum of {MAX_VOCAB_SIZE}",
                size - 1
            ));
        }
        let mut vocab: Vec<Option<Vec<u8>>> = vec![None; size];
        /// Give `id` its bytes, once.
        fn claim(
            vocab: &mut [Option<Vec<u8>>],
            id: u32,
            bytes: Vec<u8>,
            what: &dyn Fn() -> String,
        ) -> Result<(), String> {
            let size = vocab.len();
            match vocab.get_mut(id as usize) {
                Some(slot @ None) => {
                    *slot = Some(bytes);
                    Ok(())
                }
                // Two merges may spell the same token ("a" + "bc", "ab" + "c"); it has one id.
                Some(Some(existing)) if *existing == bytes && bytes.len() > 1 => Ok(()),
                Some(Some(_)) => Err(format!("id {id} is given twice ({} is one)", what())),
                None => Err(format!(
                    "id {id} ({}) is outside the vocabulary of {size} tokens",
                    what()
                )),
            }
        }
        for (byte, &id) in layout.bytes.iter().enumerate() {
            claim(&mut vocab, id, vec![byte as u8], &|| format!("byte {byte}"))?;
        }
        for (text, id) in &specials {
            claim(&mut vocab, *id, text.as_bytes().to_vec(), &|| {
                format!("special token {text:?}")
            })?;
        }
        let mut ranks = HashMap::with_capacity(merges.len());
        for (rank, (&(left, right), &new_id)) in merges.iter().zip(&layout.merged).enumerate() {
            let part = |id: u32| vocab.get(id as usize).and_then(Option::as_ref);
            let (Some(left_bytes), Some(right_bytes)) = (part(left), part(right)) else {
                return Err(format!(
                    "merge {rank} ([{left}, {right}]) refers to a token that does not exist yet"
                ));
            };
            let bytes = [left_bytes.as_slice(), right_bytes.as_slice()].concat();
            if ranks.insert((left, right), rank as u32).is_some() {
                return Err(format!(
                    "the pair [{left}, {right}] is merged twice (merge {rank})"
                ));
            }
            claim(&mut vocab, new_id, bytes, &|| {
                format!("the result of merge {rank}")
            })?;
        }
        if let Some(hole) = vocab.iter().position(Option::is_none) {
            return Err(format!(
                "id {hole} is neither a byte, a merge's result nor a special token"
            ));
        }
        let vocab = vocab.into_iter().flatten().collect();
        Ok(Self {
            merges,
            layout,
            specials,
            pretokenizer,
            vocab,
            ranks,
        })
    }

    /// Learn merges from `corpus` until the vocabulary has `vocab_size` tokens,
    /// or until no pair of neighbours occurs at least twice (then it is smaller).
    pub fn train(corpus: &str, vocab_size: usize) -> Result<Self, TokenizerError> {
        if vocab_size < MIN_BPE_VOCAB_SIZE {
            return Err(TokenizerError::VocabTooSmall {
                requested: vocab_size,
                minimum: MIN_BPE_VOCAB_SIZE,
            });
        }
        if vocab_size > MAX_VOCAB_SIZE {
            return Err(TokenizerError::VocabTooLarge {
                requested: vocab_size,
                maximum: MAX_VOCAB_SIZE,
            });
        }
        if corpus.is_empty() {
            return Err(TokenizerError::EmptyCorpus);
        }
        let merges = learn_merges(corpus, vocab_size - BYTE_TOKENS);
        // Merges we learned ourselves are consistent by construction, so this
        // cannot fail; the error mapping is only there to avoid a panic path.
        Self::from_merges(merges).map_err(TokenizerError::Corrupt)
    }

    /// The learned merges in rank order (pairs of token ids): `merges()[r]` is merge `r`.
    pub fn merges(&self) -> &[(u32, u32)] {
        &self.merges
    }

    /// The special tokens (text and id), matched whole in the text before pre-tokenisation.
    pub fn specials(&self) -> &[(String, u32)] {
        &self.specials
    }

    /// The rules that cut text into chunks before merging.
    pub fn pretokenizer(&self) -> Pretokenizer {
        self.pretokenizer
    }

    /// Number of tokens: 256 bytes plus one per merge (plus the special tokens).
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Encode one chunk: start from its bytes and replay the merges by rank.
    fn encode_chunk(&self, chunk: &[u8]) -> Vec<u32> {
        let mut ids: Vec<u32> = chunk
            .iter()
            .map(|&byte| self.layout.bytes[usize::from(byte)])
            .collect();
        // Among all neighbour pairs that have a merge, apply the earliest-learned
        // one everywhere, and repeat. A merge only creates a token newer than
        // itself, so ranks applied only increase: this replays training exactly.
        while let Some((rank, _)) = ids
            .windows(2)
            .enumerate()
            .filter_map(|(at, pair)| self.ranks.get(&(pair[0], pair[1])).map(|&r| (r, at)))
            .min()
        {
            let rank = rank as usize;
            merge_pair(&mut ids, self.merges[rank], self.layout.merged[rank]);
        }
        ids
    }

    /// The pieces of `text` in order: a special token's text (with its id) or a stretch of
    /// ordinary text (`None`) that is pre-tokenised and merged.
    fn pieces(&self, text: &str) -> Vec<(Range<usize>, Option<u32>)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < text.len() {
            // The earliest special token from here; at one position, the longest.
            let next = self
                .specials
                .iter()
                .filter(|(s, _)| !s.is_empty())
                .filter_map(|(s, id)| text[pos..].find(s.as_str()).map(|at| (pos + at, s, *id)))
                .min_by_key(|&(at, s, _)| (at, std::cmp::Reverse(s.len())));
            match next {
                Some((at, special, id)) => {
                    if at > pos {
                        out.push((pos..at, None));
                    }
                    out.push((at..at + special.len(), Some(id)));
                    pos = at + special.len();
                }
                None => {
                    out.push((pos..text.len(), None));
                    pos = text.len();
                }
            }
        }
        out
    }

    /// Each token of `text` with its byte range, in order; `cache` remembers chunks already
    /// merged, since the same chunks (" the", "\n") recur.
    fn tokens<'t>(
        &self,
        text: &'t str,
        cache: &mut HashMap<&'t str, Vec<u32>>,
        mut emit: impl FnMut(u32, Range<usize>),
    ) {
        for (piece, special) in self.pieces(text) {
            if let Some(id) = special {
                emit(id, piece);
                continue;
            }
            for range in chunks(&text[piece.clone()], self.pretokenizer) {
                let (from, to) = (piece.start + range.start, piece.start + range.end);
                let chunk = &text[from..to];
                let chunk_ids = cache
                    .entry(chunk)
                    .or_insert_with(|| self.encode_chunk(chunk.as_bytes()));
                // The tokens of a chunk spell out its bytes in order, so each
                // token's span starts where the previous one ended.
                let mut start = from;
                for &id in chunk_ids.iter() {
                    let end = start + self.vocab[id as usize].len();
                    emit(id, start..end);
                    start = end;
                }
            }
        }
    }

    /// Encode to ids.
    pub fn encode_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::with_capacity(text.len() / 3);
        self.tokens(text, &mut HashMap::new(), |id, _| ids.push(id));
        ids
    }

    /// Encode with spans and readable tokens.
    pub fn encode(&self, text: &str) -> Encoding {
        let mut encoding = Encoding::default();
        self.tokens(text, &mut HashMap::new(), |id, span| {
            // Ids come from the vocabulary, so they are always in it.
            encoding.push(id, span, display_bytes(&self.vocab[id as usize]));
        });
        encoding
    }

    /// The bytes of one token.
    pub fn token_bytes(&self, id: u32) -> Result<&[u8], TokenizerError> {
        self.vocab
            .get(id as usize)
            .map(Vec::as_slice)
            .ok_or(TokenizerError::UnknownId {
                id,
                vocab_size: self.vocab.len(),
            })
    }

    /// Decode ids to text; fails on an unknown id or if the bytes are not valid UTF-8.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        for &id in ids {
            bytes.extend_from_slice(self.token_bytes(id)?);
        }
        String::from_utf8(bytes).map_err(|_| TokenizerError::InvalidUtf8)
    }

    /// Decode for display: unknown ids and invalid bytes become U+FFFD (�).
    pub fn decode_lossy(&self, ids: &[u32]) -> String {
        const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        for &id in ids {
            bytes.extend_from_slice(self.token_bytes(id).unwrap_or(REPLACEMENT));
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Replace every occurrence of `pair` in `ids`, scanning left to right without
/// overlaps (`a a a` with pair `(a, a)` gives `aa a`), by `new_id`, in place.
/// Returns whether anything changed.
fn merge_pair(ids: &mut Vec<u32>, pair: Pair, new_id: u32) -> bool {
    let mut read = 0;
    let mut write = 0;
    while read < ids.len() {
        if read + 1 < ids.len() && (ids[read], ids[read + 1]) == pair {
            ids[write] = new_id;
            read += 2;
        } else {
            ids[write] = ids[read];
            read += 1;
        }
        write += 1;
    }
    let changed = write < ids.len();
    ids.truncate(write);
    changed
}

/// One distinct chunk of the corpus during training: its current tokens and
/// how many times it occurs.
struct Word {
    ids: Vec<u32>,
    count: usize,
}

/// The BPE training loop: learn up to `max_merges` merges from `corpus`.
///
/// Speed comes from two observations:
/// 1. Natural text repeats the same chunks (" the", " of", "\n") over and
///    over, so we work on the *distinct* chunks, each weighted by its count.
/// 2. A merge only changes the chunks that contain its pair, so we keep the
///    pair counts up to date incrementally and remember which chunks contain
///    which pair, instead of recounting the whole corpus after each merge.
fn learn_merges(corpus: &str, max_merges: usize) -> Vec<Pair> {
    // Count the distinct chunks.
    let mut chunk_counts: HashMap<&str, usize> = HashMap::new();
    for range in chunks(corpus, Pretokenizer::Playground) {
        *chunk_counts.entry(&corpus[range]).or_default() += 1;
    }
    // Sorted so that the `where_is` lists below are built in a fixed order;
    // the merges chosen do not depend on it anyway (ties are broken by ids).
    let mut distinct: Vec<(&str, usize)> = chunk_counts.into_iter().collect();
    distinct.sort_unstable();
    let mut words: Vec<Word> = distinct
        .into_iter()
        .map(|(chunk, count)| Word {
            ids: chunk.bytes().map(u32::from).collect(),
            count,
        })
        .collect();

    // How often each neighbour pair occurs in the corpus, and in which words.
    let mut pair_counts: HashMap<Pair, usize> = HashMap::new();
    let mut where_is: HashMap<Pair, Vec<usize>> = HashMap::new();
    for (index, word) in words.iter().enumerate() {
        for pair in word.ids.windows(2) {
            let pair = (pair[0], pair[1]);
            *pair_counts.entry(pair).or_default() += word.count;
            where_is.entry(pair).or_default().push(index);
        }
    }

    let mut merges = Vec::with_capacity(max_merges);
    while merges.len() < max_merges {
        // The most frequent pair; on a tie the smallest (left, right) ids, so
        // training is deterministic. A pair seen only once is not worth a token.
        let best = pair_counts
            .iter()
            .filter(|&(_, &count)| count >= 2)
            .max_by(|(pair_a, count_a), (pair_b, count_b)| {
                count_a.cmp(count_b).then(pair_b.cmp(pair_a))
            })
            .map(|(&pair, _)| pair);
        let Some(pair) = best else { break };
        let new_id = (BYTE_TOKENS + merges.len()) as u32;
        merges.push(pair);

        // Only the words that contained the pair change. The list may name a
        // word where the pair has since disappeared; merging is then a no-op.
        let mut affected = where_is.remove(&pair).unwrap_or_default();
        affected.sort_unstable();
        affected.dedup();
        for index in affected {
            let word = &mut words[index];
            let old_ids = word.ids.clone();
            if !merge_pair(&mut word.ids, pair, new_id) {
                continue;
            }
            // Replace this word's contribution to the pair counts: remove the
            // pairs it had, add the pairs it has now.
            for old in old_ids.windows(2) {
                let old = (old[0], old[1]);
                if let Some(count) = pair_counts.get_mut(&old) {
                    *count -= word.count;
                    if *count == 0 {
                        pair_counts.remove(&old);
                    }
                }
            }
            for new in word.ids.windows(2) {
                let new = (new[0], new[1]);
                *pair_counts.entry(new).or_default() += word.count;
                // Pairs that do not involve the new token were already
                // listed for this word; only the new ones must be recorded.
                if new.0 == new_id || new.1 == new_id {
                    where_is.entry(new).or_default().push(index);
                }
            }
        }
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_pair_is_left_to_right_without_overlap() {
        let mut ids = vec![1, 1, 1, 2, 1, 1];
        assert!(merge_pair(&mut ids, (1, 1), 9));
        assert_eq!(ids, vec![9, 1, 2, 9]);
        assert!(!merge_pair(&mut ids, (5, 5), 10));
    }

    #[test]
    fn learns_the_most_frequent_pair_first() {
        // Chunks: "ab", " ab", " ab", " cd", " cd". a+b occurs 3 times and is
        // merged first. Then " "+c, c+d and " "+ab occur twice each; the tie
        // goes to the smallest ids, " "+c = (32, 99).
        let (a, b, c, d) = (97, 98, 99, 100);
        let tok = BpeTokenizer::train("ab ab ab cd cd", 258).unwrap();
        assert_eq!(tok.merges(), &[(a, b), (32, c)]);
        assert_eq!(tok.vocab_size(), 258);
        // With room to spare, training stops when no pair occurs twice any more.
        let tok = BpeTokenizer::train("ab ab ab cd cd", 1000).unwrap();
        assert_eq!(tok.merges(), &[(a, b), (32, c), (32, 256), (257, d)]);
        assert_eq!(tok.vocab_size(), 260);
        assert_eq!(tok.encode_ids("ab ab cd"), vec![256, 258, 259]);
        assert_eq!(tok.decode(&[256, 258, 259]).unwrap(), "ab ab cd");
    }

    #[test]
    fn encoding_applies_the_earliest_learned_merge_first() {
        // b+c was learned before a+b, so "abc" is a + bc, not ab + c.
        let tok = BpeTokenizer::from_merges(vec![(98, 99), (97, 98)]).unwrap();
        assert_eq!(tok.encode_ids("abc"), vec![97, 256]);
        assert_eq!(tok.encode_ids("abd"), vec![257, 100]);
    }

    #[test]
    fn incremental_counts_match_a_naive_recount() {
        // A reference trainer that recounts every pair from scratch after each
        // merge: slow but obviously right. The fast trainer must agree.
        fn naive(corpus: &str, max_merges: usize) -> Vec<Pair> {
            let mut words: Vec<Vec<u32>> = chunks(corpus, Pretokenizer::Playground)
                .map(|r| corpus[r].bytes().map(u32::from).collect())
                .collect();
            let mut merges = Vec::new();
            while merges.len() < max_merges {
                let mut counts: HashMap<Pair, usize> = HashMap::new();
                for word in &words {
                    for p in word.windows(2) {
                        *counts.entry((p[0], p[1])).or_default() += 1;
                    }
                }
                let best = counts
                    .into_iter()
                    .filter(|&(_, c)| c >= 2)
                    .max_by(|(pa, ca), (pb, cb)| ca.cmp(cb).then(pb.cmp(pa)));
                let Some((pair, _)) = best else { break };
                let new_id = (BYTE_TOKENS + merges.len()) as u32;
                merges.push(pair);
                for word in &mut words {
                    merge_pair(word, pair, new_id);
                }
            }
            merges
        }
        let corpus = "aaaa aaa aa a the then there these thesis 1111 11 ... ..!! \
                      私は学生です。私は先生です。 ababab abab ab";
        assert_eq!(learn_merges(corpus, 100), naive(corpus, 100));
    }
}
