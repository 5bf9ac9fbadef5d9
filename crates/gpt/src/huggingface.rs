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
//!
//! [`import`] goes the other way: a GPT-2 folder (GPT-2 itself, a `save_pretrained` of
//! `GPT2LMHeadModel`, or an export from here) becomes a [`Gpt`] and its [`Tokenizer`]. It reads
//! `config.json`, `model.safetensors` (f32, f16 or bf16; names with or without `transformer.`)
//! and `tokenizer.json` or `vocab.json` + `merges.txt`; settings this model cannot reproduce are
//! refused by name.

use std::collections::{HashMap, HashSet};

use burn::tensor::Device;
use safetensors::SafeTensors;
use serde_json::{Value, json};

use crate::checkpoint::{FileWeights, safetensors_bytes};
use crate::config::{Activation, GptConfig, LayerNormPlacement};
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

/// GPT-2's end-of-text token, which marks where one document ends and the next begins.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// The id of the tokenizer's end-of-text token, if it has one (an imported GPT-2 does; the
/// tokenizers trained here have no special tokens).
pub fn end_of_text(tokenizer: &Tokenizer) -> Option<u32> {
    match tokenizer {
        Tokenizer::Bpe(bpe) => bpe
            .specials()
            .iter()
            .find(|(text, _)| text == END_OF_TEXT)
            .map(|&(_, id)| id),
        Tokenizer::Char(_) => None,
    }
}

/// `config.json` for `GPT2LMHeadModel`; `eos`: the end-of-text id, if any.
pub fn config_json(config: &GptConfig, eos: Option<u32>) -> String {
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
        // Exact erf GELU ("gelu": nanoGPT's nn.GELU() and ops::gelu) unless the model came from
        // GPT-2 ("gelu_new", the tanh form).
        "activation_function": config.activation.hf_name(),
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
        "bos_token_id": eos,
        "eos_token_id": eos,
        "torch_dtype": "float32",
    });
    pretty(&file)
}

/// `generation_config.json`: sampling as the playground does by default.
pub fn generation_config_json(eos: Option<u32>) -> String {
    pretty(&json!({
        "do_sample": true,
        "temperature": 0.8,
        "max_new_tokens": 200,
        "bos_token_id": eos,
        "eos_token_id": eos,
        "pad_token_id": null,
    }))
}

/// `tokenizer_config.json`: lets `AutoTokenizer` take `tokenizer.json` as a fast tokenizer.
fn tokenizer_config_json(config: &GptConfig, eos: Option<u32>) -> String {
    let mut file = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": config.block_size,
        "clean_up_tokenization_spaces": false,
    });
    if eos.is_some() {
        // As GPT-2's own: the end-of-text token begins, ends and stands in for unknown text.
        for key in ["bos_token", "eos_token", "unk_token"] {
            file[key] = json!(END_OF_TEXT);
        }
    }
    pretty(&file)
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
    let eos = end_of_text(tokenizer);
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
        text("config.json", config_json(config, eos)),
        text("generation_config.json", generation_config_json(eos)),
        File {
            name: "model.safetensors".into(),
            bytes: weights,
        },
        text("tokenizer.json", tokenizer.to_hf_json()?),
        text("tokenizer_config.json", tokenizer_config_json(config, eos)),
    ];
    if let Some((vocab, merges)) = tokenizer.to_vocab_and_merges()? {
        files.push(text("vocab.json", vocab));
        files.push(text("merges.txt", merges));
    }
    Ok(files)
}

/// An error about the files being imported.
fn import_error(message: impl std::fmt::Display) -> GptError {
    GptError::Import(message.to_string())
}

/// The file of this name (the last component of its path, so a dropped folder's
/// `gpt2/config.json` counts).
fn find<'f>(files: &'f [File], name: &str) -> Option<&'f File> {
    files
        .iter()
        .find(|f| f.name.rsplit(['/', '\\']).next() == Some(name))
}

/// The model described by a GPT-2 `config.json`; settings it cannot reproduce are refused.
pub fn config_from_hf(text: &str) -> Result<GptConfig> {
    let file: Value = serde_json::from_str(text)
        .map_err(|e| import_error(format!("config.json is not valid JSON: {e}")))?;
    if let Some(kind) = file.get("model_type").and_then(Value::as_str)
        && kind != "gpt2"
    {
        return Err(import_error(format!(
            "config.json describes a \"{kind}\" model; only GPT-2 (\"gpt2\") is read"
        )));
    }
    let size = |key: &str| {
        file.get(key)
            .and_then(Value::as_u64)
            .map(|v| v as usize)
            .ok_or_else(|| import_error(format!("config.json has no number \"{key}\"")))
    };
    let mut config = GptConfig::new(
        size("vocab_size")?,
        size("n_positions")?,
        size("n_layer")?,
        size("n_head")?,
        size("n_embd")?,
    );
    config.activation = match file
        .get("activation_function")
        .and_then(Value::as_str)
        .unwrap_or("gelu_new")
    {
        "gelu" => Activation::Gelu,
        "gelu_new" | "gelu_pytorch_tanh" => Activation::GeluNew,
        other => {
            return Err(import_error(format!(
                "activation_function \"{other}\" is not available here (gelu and gelu_new are)"
            )));
        }
    };
    config.tie_weights = file
        .get("tie_word_embeddings")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if let Some(inner) = file.get("n_inner").and_then(Value::as_u64)
        && inner as usize != 4 * config.n_embd
    {
        return Err(import_error(format!(
            "n_inner is {inner}; this model's MLP is 4 x n_embd = {} wide",
            4 * config.n_embd
        )));
    }
    if let Some(eps) = file.get("layer_norm_epsilon").and_then(Value::as_f64)
        && (eps - 1e-5).abs() > 1e-12
    {
        return Err(import_error(format!(
            "layer_norm_epsilon is {eps}; this model's LayerNorm uses GPT-2's 1e-5"
        )));
    }
    for (key, default) in [
        ("scale_attn_weights", true),
        ("scale_attn_by_inverse_layer_idx", false),
    ] {
        if file.get(key).and_then(Value::as_bool).unwrap_or(default) != default {
            return Err(import_error(format!(
                "{key} is {}; this model's attention scales by 1/sqrt(head size) only",
                !default
            )));
        }
    }
    config
        .validate()
        .map_err(|e| import_error(format!("config.json: {e}")))?;
    Ok(config)
}

/// The tokenizer of a folder: `tokenizer.json` when present, otherwise GPT-2's `vocab.json` +
/// `merges.txt`.
pub fn tokenizer_from_files(files: &[File]) -> Result<Tokenizer> {
    fn text(f: &File) -> Result<&str> {
        std::str::from_utf8(&f.bytes)
            .map_err(|_| import_error(format!("{} is not UTF-8 text", f.name)))
    }
    if let Some(file) = find(files, "tokenizer.json") {
        return Ok(Tokenizer::from_hf_json(text(file)?)?);
    }
    match (find(files, "vocab.json"), find(files, "merges.txt")) {
        (Some(vocab), Some(merges)) => Ok(Tokenizer::from_vocab_and_merges(
            text(vocab)?,
            text(merges)?,
        )?),
        _ => Err(import_error(
            "no tokenizer: expected tokenizer.json, or vocab.json and merges.txt",
        )),
    }
}

/// A Hugging Face GPT-2 folder (`config.json`, `model.safetensors`, and `tokenizer.json` or
/// `vocab.json` + `merges.txt`) as a model on `device` and its tokenizer.
pub fn import(files: &[File], device: &Device) -> Result<(Gpt, Tokenizer)> {
    let config = find(files, "config.json")
        .ok_or_else(|| import_error("there is no config.json: it says which GPT-2 this is"))?;
    let config = config_from_hf(
        std::str::from_utf8(&config.bytes)
            .map_err(|_| import_error("config.json is not UTF-8 text"))?,
    )?;
    let tokenizer = tokenizer_from_files(files)?;
    if tokenizer.vocab_size() != config.vocab_size {
        return Err(import_error(format!(
            "config.json says vocab_size {} but the tokenizer has {} tokens",
            config.vocab_size,
            tokenizer.vocab_size()
        )));
    }
    let weights = find(files, "model.safetensors").ok_or_else(|| {
        let pickle = find(files, "pytorch_model.bin").is_some();
        import_error(if pickle {
            "only model.safetensors is read, not PyTorch's pickle file pytorch_model.bin; in \
             Python: model.save_pretrained(folder, safe_serialization=True)"
        } else {
            "there is no model.safetensors (the weights)"
        })
    })?;
    let tensors = SafeTensors::deserialize(&weights.bytes)
        .map_err(|e| import_error(format!("model.safetensors is not readable: {e}")))?;
    // GPT2LMHeadModel names start with "transformer."; GPT2Model's (the Hub's gpt2) do not.
    let bare = tensors.tensor("transformer.wte.weight").is_err();
    let mut source = FileWeights::new(&tensors, bare);
    let model = Gpt::from_source(&config, &mut source, device).map_err(|e| match e {
        GptError::Checkpoint(m) => import_error(format!("model.safetensors: {m}")),
        other => other,
    })?;
    // Buffers (the causal mask `attn.bias`, `attn.masked_bias`) and a tied head's copy of the
    // embedding are not parameters; anything else unread means the config does not match.
    let ignored = |n: &str| {
        n.ends_with(".attn.bias")
            || n.ends_with(".attn.masked_bias")
            || (config.tie_weights && n == "lm_head.weight")
    };
    let unused = source.unused(ignored);
    if !unused.is_empty() {
        return Err(import_error(format!(
            "model.safetensors has tensors a GPT-2 of this config.json does not use ({})",
            unused.join(", ")
        )));
    }
    Ok((model, tokenizer))
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

    /// A model's logits for `ids`.
    fn logits(model: &Gpt, ids: &[u32]) -> Vec<Vec<f32>> {
        block_on(model.logits(ids)).expect("logits")
    }

    #[test]
    fn an_exported_folder_imports_to_the_same_model() {
        let tokenizer = Tokenizer::train_bpe("the cat sat on the mat, the end", 270).expect("bpe");
        let mut config = GptConfig::new(tokenizer.vocab_size(), 8, 2, 2, 8);
        for (activation, tied) in [(Activation::Gelu, true), (Activation::GeluNew, false)] {
            config.activation = activation;
            config.tie_weights = tied;
            let original = model(&config);
            let files = block_on(export(&original, &tokenizer)).expect("exports");
            let (back, back_tokenizer) = import(&files, &cpu()).expect("imports");
            assert_eq!(back.config(), &config);
            assert_eq!(back_tokenizer, tokenizer);
            let ids = tokenizer.encode_ids("the cat sat").expect("ids");
            assert_eq!(logits(&back, &ids), logits(&original, &ids));
        }
    }

    #[test]
    fn import_refuses_what_it_cannot_read_by_name() {
        let tokenizer = Tokenizer::train_bpe("the cat sat on the mat", 260).expect("bpe");
        let config = GptConfig::new(tokenizer.vocab_size(), 8, 1, 2, 8);
        let files = block_on(export(&model(&config), &tokenizer)).expect("exports");
        let without = |name: &str| -> Vec<File> {
            files.iter().filter(|f| f.name != name).cloned().collect()
        };
        let err = |files: &[File]| match import(files, &cpu()) {
            Ok(_) => panic!("refused"),
            Err(e) => e.to_string(),
        };
        assert!(err(&without("config.json")).contains("no config.json"));
        let mut pickle = without("model.safetensors");
        pickle.push(File {
            name: "pytorch_model.bin".into(),
            bytes: vec![],
        });
        assert!(err(&pickle).contains("pytorch_model.bin"));
        let no_tokenizer: Vec<File> = without("tokenizer.json")
            .into_iter()
            .filter(|f| f.name != "vocab.json")
            .collect();
        assert!(err(&no_tokenizer).contains("no tokenizer"));
        // A config.json that does not match the weights, or asks for what this model lacks.
        let with_config = |edit: &dyn Fn(&mut Value)| {
            let mut cfg: Value = serde_json::from_slice(&files[0].bytes).expect("json");
            edit(&mut cfg);
            let mut out = without("config.json");
            out.push(File {
                name: "some/folder/config.json".into(),
                bytes: cfg.to_string().into_bytes(),
            });
            err(&out)
        };
        let e = with_config(&|c| c["n_embd"] = json!(16));
        assert!(
            e.contains("shape") && e.contains("model.safetensors"),
            "{e}"
        );
        let e = with_config(&|c| c["n_layer"] = json!(0));
        assert!(e.contains("n_layer"), "{e}");
        let e = with_config(&|c| c["vocab_size"] = json!(300));
        let has = format!("has {} tokens", tokenizer.vocab_size());
        assert!(e.contains("vocab_size 300") && e.contains(&has), "{e}");
        let e = with_config(&|c| c["activation_function"] = json!("relu"));
        assert!(e.contains("relu"), "{e}");
        let e = with_config(&|c| c["model_type"] = json!("llama"));
        assert!(e.contains("llama"), "{e}");
        let e = with_config(&|c| c["scale_attn_by_inverse_layer_idx"] = json!(true));
        assert!(e.contains("scale_attn_by_inverse_layer_idx"), "{e}");
        // A tensor the config does not explain.
        let mut extra = without("model.safetensors");
        let weights = files
            .iter()
            .find(|f| f.name == "model.safetensors")
            .expect("weights");
        let st = SafeTensors::deserialize(&weights.bytes).expect("safetensors");
        let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = st
            .tensors()
            .into_iter()
            .map(|(name, view)| {
                let values = view
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                (name, view.shape().to_vec(), values)
            })
            .collect();
        tensors.push(("transformer.h.1.ln_1.weight".into(), vec![8], vec![1.0; 8]));
        extra.push(File {
            name: "model.safetensors".into(),
            bytes: safetensors_bytes(&tensors, HashMap::new()).expect("bytes"),
        });
        let e = err(&extra);
        assert!(e.contains("transformer.h.1.ln_1.weight"), "{e}");
    }
}
