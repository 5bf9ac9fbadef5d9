//! Hugging Face interchange: a tokenizer as `tokenizer.json` (the file format of the
//! `tokenizers` library) and, for byte-level BPE, as GPT-2's `vocab.json` + `merges.txt`.
//!
//! **Byte-level BPE.** `tokenizers` writes tokens as text, so a byte-level vocabulary spells each
//! byte as one printable character (GPT-2's `bytes_to_unicode` table: printable ASCII and Latin-1
//! stand for themselves, the rest move to U+0100 and up, so a space is `Ġ` and a newline `Ċ`).
//! Our ids stay as they are (bytes 0..=255 in byte order, then one id per merge), and the merges
//! keep their order, which is their priority in both implementations. The pre-tokenizer is
//! written as the regular expression that cuts text exactly where `pretokenize` does, followed by
//! the byte-level mapping; the decoder maps characters back to bytes.
//!
//! **Character level.** A word-level model whose words are single characters: the pre-tokenizer
//! isolates every character and the decoder joins them without spaces.
//!
//! Reading accepts what this module writes: a vocabulary laid out as ours (bytes first, one id
//! per merge in merge order; or the sorted characters) with our pre-tokenizer. Anything else
//! gets an error that says what differs.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::bpe::BpeTokenizer;
use super::char_level::CharTokenizer;
use super::{Tokenizer, TokenizerError};

/// Where `pretokenize::chunks` cuts, as an Oniguruma regular expression (what `tokenizers`
/// runs): a space may lead a run of letters (Unicode `Alphabetic`, as Rust's `is_alphabetic`),
/// of digits (`N` that are not alphabetic, as `is_numeric`) or of other symbols; whitespace
/// runs give their final space to a following word.
pub const SPLIT_PATTERN: &str = r" ?\p{Alphabetic}+| ?[\p{N}&&[^\p{Alphabetic}]]+| ?[^\p{Alphabetic}\p{N}\p{White_Space}]+|\p{White_Space}+(?= [^\p{White_Space}])|\p{White_Space}+";

/// Every character on its own: the character-level pre-tokenizer.
const CHAR_PATTERN: &str = r"[\s\S]";

/// GPT-2's printable stand-in for each byte (`bytes_to_unicode`).
pub fn byte_to_char(byte: u8) -> char {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    if printable(byte) {
        char::from(byte)
    } else {
        // The n-th non-printable byte (in byte order) becomes U+0100 + n.
        let n = (0..byte).filter(|&b| !printable(b)).count() as u32;
        char::from_u32(0x100 + n).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

/// The byte a stand-in character denotes (the inverse of [`byte_to_char`]).
fn char_to_byte() -> HashMap<char, u8> {
    (0..=255u8).map(|b| (byte_to_char(b), b)).collect()
}

/// A token's bytes spelled in stand-in characters.
fn spell(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_to_char(b)).collect()
}

/// A byte-level BPE tokenizer's vocabulary spelled for Hugging Face: token text -> id.
///
/// Fails when two ids have the same bytes (two merges that spell one string), which a
/// text-keyed vocabulary cannot express.
fn spelled_vocab(bpe: &BpeTokenizer) -> Result<serde_json::Map<String, Value>, TokenizerError> {
    let mut vocab = serde_json::Map::new();
    for id in 0..bpe.vocab_size() as u32 {
        let text = spell(bpe.token_bytes(id)?);
        if let Some(other) = vocab.insert(text.clone(), json!(id)) {
            return Err(TokenizerError::Corrupt(format!(
                "tokens {other} and {id} have the same bytes ({text:?}), which tokenizer.json \
                 cannot express"
            )));
        }
    }
    Ok(vocab)
}

/// The merges as `"left right"` lines of spelled tokens, in priority order.
fn spelled_merges(bpe: &BpeTokenizer) -> Result<Vec<String>, TokenizerError> {
    bpe.merges()
        .iter()
        .map(|&(left, right)| {
            Ok(format!(
                "{} {}",
                spell(bpe.token_bytes(left)?),
                spell(bpe.token_bytes(right)?)
            ))
        })
        .collect()
}

impl Tokenizer {
    /// This tokenizer as a `tokenizer.json` that Hugging Face `tokenizers` loads
    /// (`Tokenizer.from_file`) and that encodes every text to the same ids.
    pub fn to_hf_json(&self) -> Result<String, TokenizerError> {
        let (pre_tokenizer, model, decoder) = match self {
            Self::Bpe(bpe) => (
                json!({
                    "type": "Sequence",
                    "pretokenizers": [
                        {"type": "Split", "pattern": {"Regex": SPLIT_PATTERN},
                         "behavior": "Isolated", "invert": false},
                        {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false,
                         "use_regex": false},
                    ],
                }),
                json!({
                    "type": "BPE",
                    "dropout": null,
                    "unk_token": null,
                    "continuing_subword_prefix": null,
                    "end_of_word_suffix": null,
                    "fuse_unk": false,
                    "byte_fallback": false,
                    "ignore_merges": false,
                    "vocab": spelled_vocab(bpe)?,
                    "merges": spelled_merges(bpe)?,
                }),
                json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false,
                       "use_regex": false}),
            ),
            Self::Char(chars) => {
                let vocab: serde_json::Map<String, Value> = chars
                    .chars()
                    .iter()
                    .enumerate()
                    .map(|(id, ch)| (ch.to_string(), json!(id)))
                    .collect();
                (
                    json!({"type": "Split", "pattern": {"Regex": CHAR_PATTERN},
                           "behavior": "Isolated", "invert": false}),
                    // An unknown character is an error here; there it becomes this token, which
                    // the vocabulary does not have, so `tokenizers` refuses it too.
                    json!({"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}),
                    json!({"type": "Fuse"}),
                )
            }
        };
        let file = json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [],
            "normalizer": null,
            "pre_tokenizer": pre_tokenizer,
            "post_processor": null,
            "decoder": decoder,
            "model": model,
        });
        serde_json::to_string_pretty(&file).map_err(|e| TokenizerError::Corrupt(e.to_string()))
    }

    /// Read a `tokenizer.json` written by [`Tokenizer::to_hf_json`] (here or by `tokenizers`
    /// after loading one).
    pub fn from_hf_json(text: &str) -> Result<Self, TokenizerError> {
        let bad = |m: String| TokenizerError::Corrupt(format!("tokenizer.json: {m}"));
        let file: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let model = file
            .get("model")
            .ok_or_else(|| bad("there is no \"model\"".into()))?;
        let kind = model.get("type").and_then(Value::as_str).unwrap_or("");
        let vocab = model
            .get("vocab")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("the model has no \"vocab\" object".into()))?;
        let mut by_id: Vec<Option<&str>> = vec![None; vocab.len()];
        for (token, id) in vocab {
            let id = id
                .as_u64()
                .filter(|&id| (id as usize) < vocab.len())
                .ok_or_else(|| {
                    bad(format!(
                        "token {token:?} has id {id}, not 0..{}",
                        vocab.len()
                    ))
                })? as usize;
            if by_id[id].replace(token).is_some() {
                return Err(bad(format!("two tokens share id {id}")));
            }
        }
        // Every id below the vocabulary's length is used exactly once (checked above: no id
        // repeats and none is out of range), so `by_id` is full.
        let by_id: Vec<&str> = by_id.into_iter().flatten().collect();
        let pattern = |v: Option<&Value>| {
            v.and_then(|p| p.get("pattern"))
                .and_then(|p| p.get("Regex"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match kind {
            "BPE" => {
                let pre = file.get("pre_tokenizer");
                let split = pre
                    .and_then(|p| p.get("pretokenizers"))
                    .and_then(Value::as_array)
                    .and_then(|a| a.first());
                if pattern(split).as_deref() != Some(SPLIT_PATTERN) {
                    return Err(bad(
                        "its pre-tokenizer is not this playground's (a Split on our pattern, then \
                         ByteLevel); GPT-2's own is not supported here yet"
                            .into(),
                    ));
                }
                let bytes = char_to_byte();
                let unspell = |token: &str| -> Result<Vec<u8>, TokenizerError> {
                    token
                        .chars()
                        .map(|c| {
                            bytes.get(&c).copied().ok_or_else(|| {
                                bad(format!("token {token:?} is not byte-level (has {c:?})"))
                            })
                        })
                        .collect()
                };
                for (id, token) in by_id.iter().take(256).enumerate() {
                    if unspell(token)? != [id as u8] {
                        return Err(bad(format!(
                            "id {id} is {token:?}, but this playground's byte-level vocabulary \
                             starts with the 256 bytes in byte order"
                        )));
                    }
                }
                let merges = model
                    .get("merges")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("the BPE model has no \"merges\" list".into()))?;
                let id_of: HashMap<&str, u32> = by_id
                    .iter()
                    .enumerate()
                    .map(|(id, t)| (*t, id as u32))
                    .collect();
                let mut pairs = Vec::with_capacity(merges.len());
                for (rank, merge) in merges.iter().enumerate() {
                    // Either "left right" (the classic form) or ["left", "right"] (newer files).
                    let (left, right) = match merge {
                        Value::String(s) => s.split_once(' ').unwrap_or((s, "")),
                        Value::Array(a) if a.len() == 2 => {
                            (a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
                        }
                        _ => ("", ""),
                    };
                    let (Some(&l), Some(&r)) = (id_of.get(left), id_of.get(right)) else {
                        return Err(bad(format!("merge {rank} ({merge}) names unknown tokens")));
                    };
                    let expected = 256 + rank;
                    if by_id.get(expected).copied() != Some(format!("{left}{right}").as_str()) {
                        return Err(bad(format!(
                            "merge {rank} ({merge}) does not produce id {expected}, as this \
                             playground's vocabulary layout requires"
                        )));
                    }
                    pairs.push((l, r));
                }
                if by_id.len() != 256 + pairs.len() {
                    return Err(bad(format!(
                        "{} tokens for {} merges: expected 256 bytes plus one token per merge",
                        by_id.len(),
                        pairs.len()
                    )));
                }
                BpeTokenizer::from_merges(pairs).map(Self::Bpe).map_err(bad)
            }
            "WordLevel" => {
                if pattern(file.get("pre_tokenizer")).as_deref() != Some(CHAR_PATTERN) {
                    return Err(bad(
                        "a word-level model is read only as a character-level tokenizer (every \
                         character its own token)"
                            .into(),
                    ));
                }
                let mut chars = Vec::with_capacity(by_id.len());
                for token in &by_id {
                    let mut it = token.chars();
                    match (it.next(), it.next()) {
                        (Some(c), None) => chars.push(c),
                        _ => {
                            return Err(bad(format!("token {token:?} is not a single character")));
                        }
                    }
                }
                CharTokenizer::from_chars(chars)
                    .map(Self::Char)
                    .map_err(bad)
            }
            other => Err(bad(format!(
                "model type {other:?}: only byte-level BPE and character-level tokenizers are read"
            ))),
        }
    }

    /// GPT-2's classic pair of files for a byte-level BPE tokenizer: `vocab.json` (token ->
    /// id) and `merges.txt` (a version line, then one merge per line in priority order).
    /// `None` for a character-level tokenizer, which has no merges.
    pub fn to_vocab_and_merges(&self) -> Result<Option<(String, String)>, TokenizerError> {
        let Self::Bpe(bpe) = self else {
            return Ok(None);
        };
        let vocab = serde_json::to_string(&spelled_vocab(bpe)?)
            .map_err(|e| TokenizerError::Corrupt(e.to_string()))?;
        let mut merges = String::from("#version: 0.2\n");
        for line in spelled_merges(bpe)? {
            merges.push_str(&line);
            merges.push('\n');
        }
        Ok(Some((vocab, merges)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_table_is_gpt2s() {
        // Well-known entries of GPT-2's vocab.json: space, newline, tab, 'A', 0xFF, 0xAD.
        assert_eq!(byte_to_char(b' '), 'Ġ');
        assert_eq!(byte_to_char(b'\n'), 'Ċ');
        assert_eq!(byte_to_char(b'\t'), 'ĉ');
        assert_eq!(byte_to_char(b'A'), 'A');
        assert_eq!(byte_to_char(0xFF), 'ÿ');
        assert_eq!(byte_to_char(0xAD), 'Ń');
        assert_eq!(char_to_byte().len(), 256, "the table is one-to-one");
    }

    #[test]
    fn both_kinds_round_trip_through_tokenizer_json() {
        let corpus = "The cat sat on the mat. The cat ate 42 rats!\n\n  私は学生です 🙂";
        for t in [
            Tokenizer::train_bpe(corpus, 300).expect("bpe"),
            Tokenizer::train_char(corpus).expect("char"),
        ] {
            let json = t.to_hf_json().expect("writes");
            let back = Tokenizer::from_hf_json(&json).expect("reads");
            assert_eq!(back, t);
        }
    }

    #[test]
    fn merges_txt_lists_every_merge_in_order() {
        let t = Tokenizer::train_bpe("ab ab ab ab xy", 258).expect("bpe");
        let (vocab, merges) = t.to_vocab_and_merges().expect("writes").expect("bpe");
        let lines: Vec<&str> = merges.lines().collect();
        assert_eq!(lines[0], "#version: 0.2");
        let Tokenizer::Bpe(bpe) = &t else {
            unreachable!()
        };
        assert_eq!(lines.len(), 1 + bpe.merges().len());
        // The commonest pair of this corpus is 'a' 'b' (four times; " a" three times).
        assert_eq!(lines[1], "a b");
        let vocab: HashMap<String, u32> = serde_json::from_str(&vocab).expect("json");
        assert_eq!(vocab.len(), t.vocab_size());
        assert_eq!(vocab["ab"], 256);
        assert_eq!(vocab["Ġ"], 32);
    }

    #[test]
    fn foreign_files_get_specific_errors() {
        let t = Tokenizer::train_bpe("ab ab ab", 258).expect("bpe");
        let mut file: Value = serde_json::from_str(&t.to_hf_json().expect("writes")).expect("json");
        file["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = json!("'s|'t| ?\\p{L}+");
        let err = Tokenizer::from_hf_json(&file.to_string()).expect_err("other pre-tokenizer");
        assert!(err.to_string().contains("pre-tokenizer"), "{err}");
        let err = Tokenizer::from_hf_json("{\"model\": {\"type\": \"Unigram\", \"vocab\": {}}}")
            .expect_err("unigram");
        assert!(err.to_string().contains("Unigram"), "{err}");
        let err = Tokenizer::from_hf_json("not json").expect_err("not json");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
