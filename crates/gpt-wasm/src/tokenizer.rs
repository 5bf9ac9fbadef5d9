//! [`TextTokenizer`]: a tokenizer on its own, so the page can compare character-level and BPE
//! tokenizations of any text (and BPE vocabulary sizes) without building a model.

use gpt::{Tokenizer, TokenizerKind};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::{js_error, to_js, utf16_offsets};

/// One token of a tokenization is at the same index in each array.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tokenized {
    ids: Vec<u32>,
    /// Readable form of each token (partial UTF-8 as `<e7 a7>`).
    tokens: Vec<String>,
    /// `[start, end)` of each token in the input, in UTF-16 units (JS string indices).
    spans: Vec<[usize; 2]>,
    /// The same spans in UTF-8 bytes.
    byte_spans: Vec<[usize; 2]>,
}

/// Split `text` into tokens with ids, readable forms and spans in both units.
pub(crate) fn tokenize(tokenizer: &Tokenizer, text: &str) -> Result<JsValue, JsError> {
    let enc = tokenizer.encode(text).map_err(js_error)?;
    let bytes: Vec<usize> = enc.spans.iter().flat_map(|s| [s.start, s.end]).collect();
    let units = utf16_offsets(text, &bytes);
    to_js(&Tokenized {
        ids: enc.ids,
        tokens: enc.tokens,
        spans: units.chunks(2).map(|c| [c[0], c[1]]).collect(),
        byte_spans: enc.spans.iter().map(|s| [s.start, s.end]).collect(),
    })
}

/// A tokenizer trained on a corpus, without a model.
#[wasm_bindgen]
pub struct TextTokenizer {
    tokenizer: Tokenizer,
}

#[wasm_bindgen]
impl TextTokenizer {
    /// Learn a `kind` ("char" or "bpe") tokenizer from `corpus`; `vocabSize` is BPE's budget.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "\"char\" | \"bpe\"")] kind: &str,
        corpus: &str,
        vocab_size: usize,
    ) -> Result<TextTokenizer, JsError> {
        crate::init_once();
        let kind = match kind {
            "char" => TokenizerKind::Char,
            "bpe" => TokenizerKind::Bpe,
            other => {
                return Err(JsError::new(&format!(
                    "unknown tokenizer \"{other}\": use \"char\" or \"bpe\""
                )));
            }
        };
        if corpus.trim().is_empty() {
            return Err(JsError::new(
                "the corpus is empty: a tokenizer needs text to learn its vocabulary from",
            ));
        }
        let tokenizer = Tokenizer::train(kind, corpus, vocab_size).map_err(js_error)?;
        Ok(TextTokenizer { tokenizer })
    }

    /// GPT-2's own tokenizer from its `vocab.json` and `merges.txt` (the page ships them under
    /// `corpora/gpt2/`): 50,257 tokens, GPT-2's pre-tokenizer, `<|endoftext|>`.
    #[wasm_bindgen(js_name = fromVocabAndMerges)]
    pub fn from_vocab_and_merges(vocab: &str, merges: &str) -> Result<TextTokenizer, JsError> {
        crate::init_once();
        let tokenizer = Tokenizer::from_vocab_and_merges(vocab, merges).map_err(js_error)?;
        Ok(TextTokenizer { tokenizer })
    }

    /// Number of tokens in the vocabulary.
    #[wasm_bindgen(getter, js_name = vocabSize)]
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.vocab_size()
    }

    /// Split `text` into tokens: ids, readable forms and spans.
    #[wasm_bindgen(unchecked_return_type = "Tokenized")]
    pub fn tokenize(&self, text: &str) -> Result<JsValue, JsError> {
        tokenize(&self.tokenizer, text)
    }

    /// The characters of `text` that have no token (character-level only; BPE has none).
    #[wasm_bindgen(js_name = unknownChars)]
    pub fn unknown_chars(&self, text: &str) -> Vec<String> {
        self.tokenizer
            .unknown_chars(text)
            .into_iter()
            .map(String::from)
            .collect()
    }
}
