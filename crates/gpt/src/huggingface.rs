//! A Hugging Face model folder: the files `transformers` reads with
//! `GPT2LMHeadModel.from_pretrained(folder)` and `AutoTokenizer.from_pretrained(folder)`.
//!
//! The weights already carry GPT-2's tensor names and layouts (see `model::weights`), so the
//! export is mostly bookkeeping: `config.json` says which GPT-2 this is (sizes, the exact-erf
//! GELU that nanoGPT and this crate use, which `transformers` calls `"gelu"`; GPT-2's own tanh
//! approximation is `"gelu_new"`), `model.safetensors` holds the tensors with the metadata
//! `transformers` expects (`format: pt`), and the tokenizer travels as `tokenizer.json` (and, for
//! byte-level BPE, GPT-2's `vocab.json` + `merges.txt`).
//!
//! A GPT-2 block is pre-LN with residual connections, LayerNorms and a causal mask: a model
//! trained with one of the tutorial's ablations (post-LN, no residual, no LayerNorm, no mask)
//! has no `GPT2LMHeadModel` equivalent and is refused.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::checkpoint::safetensors_bytes;
use crate::config::{GptConfig, LayerNormPlacement};
use crate::device::read_f32;
use crate::error::{GptError, Result};
use crate::model::Gpt;
use crate::tokenizer::Tokenizer;

/// One file of the folder: its name and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// File name inside the folder, e.g. `config.json`.
    pub name: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

/// Refuse a model that `GPT2LMHeadModel` cannot express, saying which switch is the cause.
pub fn check_expressible(config: &GptConfig) -> Result<()> {
    let refuse = |what: &str| {
        Err(GptError::Export(format!(
            "this model {what}, but every GPT-2 block in transformers is pre-LN with residual \
             connections, LayerNorms and a causal mask; only the standard wiring can be exported"
        )))
    };
    if config.ln_placement == LayerNormPlacement::Post {
        return refuse("puts LayerNorm after each sub-layer (post-LN, as GPT-1)");
    }
    if !config.residual {
        return refuse("has no residual connections");
    }
    if !config.layer_norm {
        return refuse("has no LayerNorms");
    }
    if !config.causal {
        return refuse("has no causal mask");
    }
    Ok(())
}

/// `config.json` for `GPT2LMHeadModel`.
pub fn config_json(config: &GptConfig) -> String {
    let p = f64::from(config.dropout);
    let file = json!({
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_positions": config.block_size,
        "n_ctx": config.block_size,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": null,
        // Exact erf GELU, as nanoGPT's nn.GELU() and ops::gelu; "gelu_new" would be GPT-2's tanh form.
        "activation_function": "gelu",
        "resid_pdrop": p,
        "embd_pdrop": p,
        "attn_pdrop": p,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        "scale_attn_weights": true,
        "scale_attn_by_inverse_layer_idx": false,
        "reorder_and_upcast_attn": false,
        "use_cache": true,
        "tie_word_embeddings": config.tie_weights,
        // The tokenizers trained here have no special tokens: no end-of-text id to stop at.
        "bos_token_id": null,
        "eos_token_id": null,
        "torch_dtype": "float32",
    });
    pretty(&file)
}

/// `generation_config.json`: sampling as the playground does by default.
pub fn generation_config_json() -> String {
    pretty(&json!({
        "do_sample": true,
        "temperature": 0.8,
        "max_new_tokens": 200,
        "bos_token_id": null,
        "eos_token_id": null,
        "pad_token_id": null,
    }))
}

/// `tokenizer_config.json`: lets `AutoTokenizer` take `tokenizer.json` as a fast tokenizer.
fn tokenizer_config_json(config: &GptConfig) -> String {
    pretty(&json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": config.block_size,
        "clean_up_tokenization_spaces": false,
    }))
}

fn pretty(value: &serde_json::Value) -> String {
    // Serialising a json! value cannot fail; an empty file would be reported when read.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// GPT-2's bias tensors (every LayerNorm and linear layer has one) for a model of `config`:
/// name and length.
fn gpt2_biases(config: &GptConfig) -> Vec<(String, usize)> {
    let c = config.n_embd;
    let mut out = Vec::new();
    for i in 0..config.n_layer {
        let p = format!("transformer.h.{i}");
        out.push((format!("{p}.ln_1.bias"), c));
        out.push((format!("{p}.attn.c_attn.bias"), 3 * c));
        out.push((format!("{p}.attn.c_proj.bias"), c));
        out.push((format!("{p}.ln_2.bias"), c));
        out.push((format!("{p}.mlp.c_fc.bias"), 4 * c));
        out.push((format!("{p}.mlp.c_proj.bias"), c));
    }
    out.push(("transformer.ln_f.bias".into(), c));
    out
}

/// Every file of the folder, in the order a reader would look at them.
pub async fn export(model: &Gpt, tokenizer: &Tokenizer) -> Result<Vec<File>> {
    let config = model.config();
    check_expressible(config)?;
    config.validate_vocab(tokenizer.vocab_size())?;
    let mut tensors = Vec::new();
    for p in model.named_params() {
        tensors.push((p.name, p.shape, read_f32(p.values).await?));
    }
    // A model trained without biases is GPT-2 with biases fixed at zero.
    let present: HashSet<String> = tensors.iter().map(|t| t.0.clone()).collect();
    for (name, n) in gpt2_biases(config) {
        if !present.contains(&name) {
            tensors.push((name, vec![n], vec![0.0; n]));
        }
    }
    let weights = safetensors_bytes(&tensors, HashMap::from([("format".into(), "pt".into())]))
        .map_err(|e| GptError::Export(e.to_string()))?;
    let text = |name: &str, s: String| File {
        name: name.into(),
        bytes: s.into_bytes(),
    };
    let mut files = vec![
        text("config.json", config_json(config)),
        text("generation_config.json", generation_config_json()),
        File {
            name: "model.safetensors".into(),
            bytes: weights,
        },
        text("tokenizer.json", tokenizer.to_hf_json()?),
        text("tokenizer_config.json", tokenizer_config_json(config)),
    ];
    if let Some((vocab, merges)) = tokenizer.to_vocab_and_merges()? {
        files.push(text("vocab.json", vocab));
        files.push(text("merges.txt", merges));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{block_on, cpu};
    use safetensors::tensor::SafeTensors;

    fn model(config: &GptConfig) -> Gpt {
        Gpt::new(config, 7, &cpu()).expect("model")
    }

    #[test]
    fn the_folder_has_gpt2s_files_and_tensors() {
        let tokenizer = Tokenizer::train_bpe("the cat sat on the mat", 260).expect("bpe");
        let config = GptConfig::new(tokenizer.vocab_size(), 8, 2, 2, 8);
        let files = block_on(export(&model(&config), &tokenizer)).expect("exports");
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "config.json",
                "generation_config.json",
                "model.safetensors",
                "tokenizer.json",
                "tokenizer_config.json",
                "vocab.json",
                "merges.txt"
            ]
        );
        let cfg: serde_json::Value = serde_json::from_slice(&files[0].bytes).expect("json");
        assert_eq!(cfg["model_type"], "gpt2");
        assert_eq!(cfg["n_positions"], 8);
        assert_eq!(cfg["activation_function"], "gelu");
        let weights = SafeTensors::deserialize(&files[2].bytes).expect("safetensors");
        // 2 embeddings + 12 per block + the final LayerNorm's 2; the head is tied.
        assert_eq!(weights.len(), 2 + 2 * 12 + 2);
        let (_, header) = SafeTensors::read_metadata(&files[2].bytes).expect("header");
        let meta = header.metadata().clone().expect("metadata");
        assert_eq!(meta.get("format").map(String::as_str), Some("pt"));
    }

    #[test]
    fn a_model_without_biases_gets_zero_biases() {
        let tokenizer = Tokenizer::train_char("abc").expect("char");
        let mut config = GptConfig::new(tokenizer.vocab_size(), 4, 1, 1, 4);
        config.bias = false;
        let files = block_on(export(&model(&config), &tokenizer)).expect("exports");
        assert!(!files.iter().any(|f| f.name == "merges.txt"));
        let weights = files
            .iter()
            .find(|f| f.name == "model.safetensors")
            .expect("weights");
        let weights = SafeTensors::deserialize(&weights.bytes).expect("safetensors");
        let bias = weights
            .tensor("transformer.h.0.mlp.c_fc.bias")
            .expect("bias");
        assert_eq!(bias.shape(), [16]);
        assert!(bias.data().iter().all(|&b| b == 0));
    }

    #[test]
    fn ablated_models_are_refused_by_name() {
        let tokenizer = Tokenizer::train_char("abc").expect("char");
        let base = GptConfig::new(tokenizer.vocab_size(), 4, 1, 1, 4);
        type Ablation = fn(&mut GptConfig);
        let cases: [(Ablation, &str); 4] = [
            (|c| c.ln_placement = LayerNormPlacement::Post, "post-LN"),
            (|c| c.residual = false, "no residual"),
            (|c| c.layer_norm = false, "no LayerNorms"),
            (|c| c.causal = false, "no causal mask"),
        ];
        for (ablate, says) in cases {
            let mut config = base.clone();
            ablate(&mut config);
            let err = block_on(export(&model(&config), &tokenizer)).expect_err("refused");
            assert!(err.to_string().contains(says), "{err}");
        }
    }
}
