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
//! **Reading** takes byte-level BPE files from elsewhere too: GPT-2's own (`ByteLevel` with its
//! regular expression, which [`Pretokenizer::Gpt2`] reproduces), with any numbering of the tokens
//! and special tokens such as `<|endoftext|>`, from `tokenizer.json` or from `vocab.json` +
//! `merges.txt`. A character-level file is read when it is one this module wrote. Anything else
//! gets an error that says what differs.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::bpe::{BpeTokenizer, Layout};
use super::char_level::CharTokenizer;
use super::pretokenize::Pretokenizer;
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
    let special: HashMap<u32, &str> = bpe
        .specials()
        .iter()
        .map(|(t, id)| (*id, t.as_str()))
        .collect();
    for id in 0..bpe.vocab_size() as u32 {
        let text = match special.get(&id) {
            Some(text) => text.to_string(),
            None => spell(bpe.token_bytes(id)?),
        };
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
        let mut added_tokens = Vec::new();
        let (pre_tokenizer, model, decoder) = match self {
            Self::Bpe(bpe) => (
                {
                    for (text, id) in bpe.specials() {
                        added_tokens.push(json!({"id": id, "content": text, "single_word": false,
                            "lstrip": false, "rstrip": false, "normalized": false, "special": true}));
                    }
                    match bpe.pretokenizer() {
                        Pretokenizer::Playground => json!({
                            "type": "Sequence",
                            "pretokenizers": [
                                {"type": "Split", "pattern": {"Regex": SPLIT_PATTERN},
                                 "behavior": "Isolated", "invert": false},
                                {"type": "ByteLevel", "add_prefix_space": false,
                                 "trim_offsets": false, "use_regex": false},
                            ],
                        }),
                        // GPT-2's own: the byte-level pre-tokenizer with its built-in expression.
                        Pretokenizer::Gpt2 => json!({"type": "ByteLevel",
                            "add_prefix_space": false, "trim_offsets": true, "use_regex": true}),
                    }
                },
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
            "added_tokens": added_tokens,
            "normalizer": null,
            "pre_tokenizer": pre_tokenizer,
            "post_processor": null,
            "decoder": decoder,
            "model": model,
        });
        serde_json::to_string_pretty(&file).map_err(|e| TokenizerError::Corrupt(e.to_string()))
    }

    /// Read a `tokenizer.json`: one written by [`Tokenizer::to_hf_json`] (here or by
    /// `tokenizers` after loading one), or any byte-level BPE with GPT-2's pre-tokenizer, such as
    /// GPT-2's own.
    pub fn from_hf_json(text: &str) -> Result<Self, TokenizerError> {
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
        // Added tokens (special tokens) may sit in the vocabulary or after it.
        let mut specials = Vec::new();
        for added in file
            .get("added_tokens")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(id), Some(content)) = (
                added.get("id").and_then(Value::as_u64),
                added.get("content").and_then(Value::as_str),
            ) else {
                return Err(bad(format!("added token {added} has no id or content")));
            };
            specials.push((content.to_string(), id as u32));
        }
        let mut entries: Vec<(&str, u64)> = Vec::with_capacity(vocab.len() + specials.len());
        for (token, id) in vocab {
            let id = id
                .as_u64()
                .ok_or_else(|| bad(format!("token {token:?} has id {id}, not a number")))?;
            entries.push((token, id));
        }
        let special_ids: HashMap<u32, &str> =
            specials.iter().map(|(t, id)| (*id, t.as_str())).collect();
        for (text, id) in &specials {
            if !vocab.contains_key(text.as_str()) {
                entries.push((text, u64::from(*id)));
            }
        }
        let by_id = tokens_by_id(&entries)?;
        match kind {
            "BPE" => {
                for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix"] {
                    if model.get(key).is_some_and(|v| !v.is_null()) {
                        return Err(bad(format!(
                            "the BPE model sets \"{key}\", which byte-level BPE here does not do"
                        )));
                    }
                }
                if let Some(n) = file.get("normalizer").filter(|n| !n.is_null()) {
                    return Err(bad(format!(
                        "it has a normalizer ({}); byte-level BPE here reads text unchanged",
                        n.get("type").unwrap_or(n)
                    )));
                }
                let pre = file.get("pre_tokenizer").unwrap_or(&Value::Null);
                let rules = pretokenizer_of(pre)?;
                let merges = model
                    .get("merges")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("the BPE model has no \"merges\" list".into()))?;
                let mut pairs = Vec::with_capacity(merges.len());
                for merge in merges {
                    // Either "left right" (the classic form) or ["left", "right"] (newer files).
                    pairs.push(match merge {
                        Value::String(s) => s.split_once(' ').unwrap_or((s, "")),
                        Value::Array(a) if a.len() == 2 => {
                            (a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
                        }
                        _ => return Err(bad(format!("merge {merge} is not a pair of tokens"))),
                    });
                }
                byte_level(&by_id, &special_ids, &pairs, rules, false)
            }
            "WordLevel" => {
                if pattern(file.get("pre_tokenizer")) != Some(CHAR_PATTERN) {
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

    /// Read GPT-2's classic pair of files, `vocab.json` (token -> id) and `merges.txt` (an
    /// optional `#version` line, then one merge per line in priority order), as GPT-2's
    /// tokenizer does: with its pre-tokenizer, and every vocabulary entry that is neither a byte
    /// nor a merge's result (GPT-2's `<|endoftext|>`) as a special token.
    pub fn from_vocab_and_merges(vocab: &str, merges: &str) -> Result<Self, TokenizerError> {
        let vocab: serde_json::Map<String, Value> =
            serde_json::from_str(vocab).map_err(|e| bad(format!("vocab.json: not valid: {e}")))?;
        let mut entries = Vec::with_capacity(vocab.len());
        for (token, id) in &vocab {
            let id = id
                .as_u64()
                .ok_or_else(|| bad(format!("vocab.json: token {token:?} has id {id}")))?;
            entries.push((token.as_str(), id));
        }
        let by_id = tokens_by_id(&entries)?;
        let mut pairs = Vec::new();
        for (n, line) in merges.lines().enumerate() {
            if line.trim().is_empty() || (n == 0 && line.starts_with("#version")) {
                continue;
            }
            let pair = line.split_once(' ').ok_or_else(|| {
                bad(format!(
                    "merges.txt line {}: {line:?} is not two tokens",
                    n + 1
                ))
            })?;
            pairs.push(pair);
        }
        byte_level(&by_id, &HashMap::new(), &pairs, Pretokenizer::Gpt2, true)
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

/// An error about a Hugging Face tokenizer file.
fn bad(message: String) -> TokenizerError {
    TokenizerError::Corrupt(format!("tokenizer file: {message}"))
}

/// The tokens of a vocabulary by id, checking that the ids are exactly 0..n, each once.
fn tokens_by_id<'a>(entries: &[(&'a str, u64)]) -> Result<Vec<&'a str>, TokenizerError> {
    let n = entries.len();
    let mut by_id: Vec<Option<&str>> = vec![None; n];
    for &(token, id) in entries {
        let slot = by_id
            .get_mut(id as usize)
            .ok_or_else(|| bad(format!("token {token:?} has id {id}, not 0..{n}")))?;
        if let Some(other) = slot.replace(token) {
            return Err(bad(format!("tokens {other:?} and {token:?} share id {id}")));
        }
    }
    // No id repeats and none is out of range, so every slot is filled.
    Ok(by_id.into_iter().flatten().collect())
}

/// The regular expression of a `Split` pre-tokenizer, if `v` is one.
fn pattern(v: Option<&Value>) -> Option<&str> {
    v?.get("pattern")?.get("Regex")?.as_str()
}

/// Which of the two pre-tokenizers a `tokenizer.json` describes.
fn pretokenizer_of(pre: &Value) -> Result<Pretokenizer, TokenizerError> {
    let kind = pre.get("type").and_then(Value::as_str).unwrap_or("none");
    let flag = |v: &Value, key: &str, default: bool| {
        v.get(key).and_then(Value::as_bool).unwrap_or(default)
    };
    let gpt2 = |v: &Value| {
        v.get("type").and_then(Value::as_str) == Some("ByteLevel")
            && flag(v, "use_regex", true)
            && !flag(v, "add_prefix_space", true)
    };
    let steps = pre.get("pretokenizers").and_then(Value::as_array);
    match (kind, steps.map(Vec::as_slice)) {
        ("ByteLevel", _) if gpt2(pre) => Ok(Pretokenizer::Gpt2),
        ("Sequence", Some([only])) if gpt2(only) => Ok(Pretokenizer::Gpt2),
        ("Sequence", Some([split, _])) if pattern(Some(split)) == Some(SPLIT_PATTERN) => {
            Ok(Pretokenizer::Playground)
        }
        ("ByteLevel", _) => Err(bad(
            "its ByteLevel pre-tokenizer adds a prefix space or has no expression; GPT-2's (no \
             prefix space, use_regex) and this playground's are read"
                .into(),
        )),
        _ => Err(bad(format!(
            "its pre-tokenizer ({kind}) is neither GPT-2's byte-level one nor this playground's"
        ))),
    }
}

/// A byte-level BPE tokenizer from its tokens by id (spelled in GPT-2's byte characters), its
/// special tokens, its merges as pairs of spelled tokens, and its pre-tokenizer. With
/// `leftovers_special`, tokens that are neither a byte nor a merge's result become special
/// tokens (how GPT-2's `vocab.json` holds `<|endoftext|>`); otherwise they are an error.
fn byte_level(
    by_id: &[&str],
    special_ids: &HashMap<u32, &str>,
    merges: &[(&str, &str)],
    rules: Pretokenizer,
    leftovers_special: bool,
) -> Result<Tokenizer, TokenizerError> {
    let bytes_of = char_to_byte();
    let id_of: HashMap<&str, u32> = by_id
        .iter()
        .enumerate()
        .filter(|(id, _)| !special_ids.contains_key(&(*id as u32)))
        .map(|(id, t)| (*t, id as u32))
        .collect();
    let mut byte_ids = vec![None; 256];
    for (token, &id) in &id_of {
        let mut chars = token.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && let Some(&b) = bytes_of.get(&c)
        {
            byte_ids[usize::from(b)] = Some(id);
        }
    }
    let mut layout = Layout {
        bytes: Vec::with_capacity(256),
        merged: Vec::with_capacity(merges.len()),
    };
    for (b, id) in byte_ids.iter().enumerate() {
        layout.bytes.push(id.ok_or_else(|| {
            bad(format!(
                "byte 0x{b:02x} ({:?}) has no token; a byte-level vocabulary has all 256",
                byte_to_char(b as u8)
            ))
        })?);
    }
    let mut pairs = Vec::with_capacity(merges.len());
    for (rank, &(left, right)) in merges.iter().enumerate() {
        let joined = format!("{left}{right}");
        let (Some(&l), Some(&r), Some(&m)) = (
            id_of.get(left),
            id_of.get(right),
            id_of.get(joined.as_str()),
        ) else {
            return Err(bad(format!(
                "merge {rank} ({left:?} + {right:?}) names a token that is not in the vocabulary"
            )));
        };
        pairs.push((l, r));
        layout.merged.push(m);
    }
    let mut specials: Vec<(String, u32)> = special_ids
        .iter()
        .map(|(&id, &t)| (t.to_string(), id))
        .collect();
    let made: std::collections::HashSet<u32> =
        layout.bytes.iter().chain(&layout.merged).copied().collect();
    for (id, token) in by_id.iter().enumerate() {
        let id = id as u32;
        if made.contains(&id) || special_ids.contains_key(&id) {
            continue;
        }
        if !leftovers_special {
            return Err(bad(format!(
                "token {token:?} (id {id}) is neither a byte, a merge's result nor a special token"
            )));
        }
        specials.push((token.to_string(), id));
    }
    specials.sort_by_key(|&(_, id)| id);
    BpeTokenizer::from_parts(pairs, layout, specials, rules)
        .map(Tokenizer::Bpe)
        .map_err(bad)
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

    /// A tiny GPT-2-style vocabulary: the bytes in GPT-2's order (printable characters first, as
    /// `bytes_to_unicode` lists them), a few merges, and `<|endoftext|>` last.
    fn gpt2_style() -> (String, String) {
        let printable: Vec<u8> = (0..=255u8)
            .filter(|&b| byte_to_char(b) as u32 == u32::from(b))
            .collect();
        let rest = (0..=255u8).filter(|b| !printable.contains(b));
        let mut vocab = serde_json::Map::new();
        for (id, b) in printable.iter().copied().chain(rest).enumerate() {
            vocab.insert(byte_to_char(b).to_string(), json!(id));
        }
        let merges = ["Ġ t", "h e", "Ġt he", "' t", "o n", "d on"];
        for m in merges {
            let id = vocab.len();
            vocab.insert(m.replace(' ', ""), json!(id));
        }
        vocab.insert("<|endoftext|>".into(), json!(vocab.len()));
        let merges_txt = format!("#version: 0.2\n{}\n", merges.join("\n"));
        (serde_json::to_string(&vocab).expect("json"), merges_txt)
    }

    #[test]
    fn gpt2s_files_read_with_their_ids_specials_and_contractions() {
        let (vocab, merges) = gpt2_style();
        let t = Tokenizer::from_vocab_and_merges(&vocab, &merges).expect("reads");
        assert_eq!(t.vocab_size(), 256 + 6 + 1);
        let id = |s: &str| {
            let v: HashMap<String, u32> = serde_json::from_str(&vocab).expect("json");
            v[s]
        };
        // GPT-2's rules: "'t" is a contraction chunk, so the merge "' t" applies; "don" merges.
        assert_eq!(
            t.encode_ids("don't the<|endoftext|>").expect("ids"),
            [id("don"), id("'t"), id("Ġthe"), id("<|endoftext|>")]
        );
        assert_eq!(id("<|endoftext|>"), 262);
        let text = "don't\n\n the<|endoftext|>x";
        let ids = t.encode_ids(text).expect("ids");
        assert_eq!(t.decode(&ids).expect("decodes"), text);
        // Written as tokenizer.json and read back: the same tokenizer, GPT-2's pre-tokenizer.
        let json = t.to_hf_json().expect("writes");
        let file: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(file["pre_tokenizer"]["type"], "ByteLevel");
        assert_eq!(file["pre_tokenizer"]["use_regex"], true);
        assert_eq!(file["added_tokens"][0]["content"], "<|endoftext|>");
        assert_eq!(Tokenizer::from_hf_json(&json).expect("reads"), t);
        // And through this crate's own JSON (how a checkpoint stores it).
        assert_eq!(Tokenizer::from_json(&t.to_json()).expect("reads"), t);
        let (vocab2, merges2) = t.to_vocab_and_merges().expect("writes").expect("bpe");
        assert_eq!(
            Tokenizer::from_vocab_and_merges(&vocab2, &merges2).expect("reads"),
            t
        );
    }

    #[test]
    fn broken_gpt2_files_get_specific_errors() {
        let (vocab, merges) = gpt2_style();
        let mut v: serde_json::Map<String, Value> = serde_json::from_str(&vocab).expect("json");
        let err = |vocab: &serde_json::Map<String, Value>, merges: &str| {
            Tokenizer::from_vocab_and_merges(&Value::Object(vocab.clone()).to_string(), merges)
                .expect_err("refused")
                .to_string()
        };
        let e = err(&v, "#version: 0.2\nx y\n");
        assert!(
            e.contains("merge 0") && e.contains("not in the vocabulary"),
            "{e}"
        );
        let e = err(&v, "#version: 0.2\nĠt\n");
        assert!(e.contains("line 2") && e.contains("not two tokens"), "{e}");
        v.insert("extra".into(), json!(7)); // two tokens on id 7
        let e = err(&v, &merges);
        assert!(e.contains("share id 7"), "{e}");
        v.remove("extra");
        v.remove("Ġ"); // byte 0x20 has no token, and ids now have a gap
        let e = err(&v, "");
        assert!(e.contains("not 0.."), "{e}");
        let (vocab, merges) = gpt2_style();
        let t = Tokenizer::from_vocab_and_merges(&vocab, &merges).expect("reads");
        let mut file: Value = serde_json::from_str(&t.to_hf_json().expect("json")).expect("json");
        file["pre_tokenizer"]["add_prefix_space"] = json!(true);
        let e = Tokenizer::from_hf_json(&file.to_string())
            .expect_err("prefix space")
            .to_string();
        assert!(e.contains("prefix space"), "{e}");
        file["pre_tokenizer"]["add_prefix_space"] = json!(false);
        file["normalizer"] = json!({"type": "NFC"});
        let e = Tokenizer::from_hf_json(&file.to_string())
            .expect_err("normalizer")
            .to_string();
        assert!(e.contains("normalizer") && e.contains("NFC"), "{e}");
    }
}
