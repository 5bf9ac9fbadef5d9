//! The options a page passes to create a session, with the defaults a first visit uses.
//!
//! Names are camelCase on the JS side; every field is optional.

use gpt::config::GptConfig;
use gpt::generate::SamplingOptions;
use gpt::train::TrainConfig;
use gpt::{GptError, LayerNormPlacement, TokenizerKind};
use serde::{Deserialize, Serialize};

use crate::device::Backend;

/// Largest corpus a session accepts, in bytes (UTF-8). Bigger texts take minutes just to
/// tokenize in a browser and are not what a playground is for.
pub const MAX_CORPUS_BYTES: usize = 8 * 1024 * 1024;

/// How to build a session: model, tokenizer, data and device.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionOptions {
    /// The training text.
    pub corpus: String,
    /// Model and training preset: `tiny`, `baby` or `small` (default `tiny`).
    pub preset: Option<String>,
    /// Changes to the preset's model shape (and the ablation switches).
    pub model: ModelOverrides,
    /// Changes to the preset's training settings.
    pub training: TrainingOverrides,
    /// `char` (default) or `bpe`.
    pub tokenizer: Option<TokenizerKind>,
    /// Vocabulary size of a BPE tokenizer (default 512).
    pub vocab_size: Option<usize>,
    /// Seed of the initial weights and of the batches (default 1337).
    pub seed: Option<u64>,
    /// Fraction of the corpus held out for validation (default 0.1).
    pub val_fraction: Option<f32>,
    /// `cpu` (default) or `webgpu`.
    pub device: Backend,
}

/// Optional changes to a preset's model configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelOverrides {
    /// Context length in tokens.
    pub block_size: Option<usize>,
    /// Number of transformer blocks.
    pub n_layer: Option<usize>,
    /// Attention heads per block.
    pub n_head: Option<usize>,
    /// Embedding width.
    pub n_embd: Option<usize>,
    /// Dropout probability while training.
    pub dropout: Option<f32>,
    /// `pre` (GPT-2) or `post` (GPT-1) LayerNorm.
    pub ln_placement: Option<LayerNormPlacement>,
    /// Residual connections on/off (ablation).
    pub residual: Option<bool>,
    /// LayerNorm on/off (ablation).
    pub layer_norm: Option<bool>,
    /// Causal mask on/off (ablation).
    pub causal: Option<bool>,
}

/// Optional changes to a preset's training settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingOverrides {
    /// Sequences per step.
    pub batch_size: Option<usize>,
    /// Peak learning rate.
    pub learning_rate: Option<f64>,
    /// Planned length of the run: the learning rate decays to its floor by this step.
    pub steps: Option<usize>,
    /// Steps of learning-rate warm-up.
    pub warmup_steps: Option<usize>,
    /// Batches averaged per validation estimate (fewer answer faster).
    pub eval_batches: Option<usize>,
}

/// How to fine-tune a session's model on another corpus.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FineTuneOptions {
    /// The new training text.
    pub corpus: String,
    /// Changes to the preset's training settings (a lower learning rate is usual).
    pub training: TrainingOverrides,
    /// Seed of the batches (default 1337).
    pub seed: Option<u64>,
    /// Fraction held out for validation (default 0.1).
    pub val_fraction: Option<f32>,
}

impl FineTuneOptions {
    /// The same checks as a new session's corpus gets; the validation fraction and the training
    /// settings of the fine-tuning run (the `preset`'s, with the overrides).
    pub fn resolve(&self, preset: &str) -> Result<(f32, TrainConfig), GptError> {
        if self.corpus.trim().is_empty() {
            return Err(GptError::Data(
                "the fine-tuning corpus is empty: paste or choose some text to fine-tune on".into(),
            ));
        }
        check_corpus(&self.corpus)?;
        let config = self
            .training
            .train_config(preset, self.seed.unwrap_or(DEFAULT_SEED))?;
        Ok((val_fraction(self.val_fraction)?, config))
    }
}

/// Sampling options as the page sends them (the `gpt` crate's, in camelCase).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SamplingInput {
    /// 0 = greedy; default 1.
    pub temperature: Option<f32>,
    /// Keep the k most likely tokens.
    pub top_k: Option<usize>,
    /// Nucleus sampling threshold.
    pub top_p: Option<f32>,
    /// Sampler seed.
    pub seed: Option<u64>,
    /// Number of candidates reported per step (default 10).
    pub candidates: Option<usize>,
}

impl SamplingInput {
    /// The `gpt` crate's options (validated when the generation starts).
    pub fn resolve(&self) -> SamplingOptions {
        let d = SamplingOptions::default();
        SamplingOptions {
            temperature: self.temperature.unwrap_or(d.temperature),
            top_k: self.top_k.filter(|&k| k > 0),
            top_p: self.top_p.filter(|&p| p < 1.0),
            seed: self.seed.unwrap_or(d.seed),
            candidates: self.candidates.unwrap_or(d.candidates),
            use_cache: true,
        }
    }
}

/// The resolved settings of a session.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// Preset name.
    pub preset: String,
    /// Tokenizer kind.
    pub tokenizer: TokenizerKind,
    /// BPE vocabulary budget.
    pub vocab_size: usize,
    /// Seed.
    pub seed: u64,
    /// Validation fraction.
    pub val_fraction: f32,
}

impl SessionOptions {
    /// Defaults filled in, the corpus checked for size.
    pub fn resolve(&self) -> Result<Resolved, GptError> {
        check_corpus(&self.corpus)?;
        Ok(Resolved {
            preset: self.preset.clone().unwrap_or_else(|| "tiny".into()),
            tokenizer: self.tokenizer.unwrap_or(TokenizerKind::Char),
            vocab_size: self.vocab_size.unwrap_or(512),
            seed: self.seed.unwrap_or(DEFAULT_SEED),
            val_fraction: val_fraction(self.val_fraction)?,
        })
    }

    /// The model configuration: the preset's, with the overrides applied, validated.
    pub fn model_config(&self, preset: &str, vocab_size: usize) -> Result<GptConfig, GptError> {
        let mut c = GptConfig::preset(preset, vocab_size)?;
        let m = &self.model;
        c.block_size = m.block_size.unwrap_or(c.block_size);
        c.n_layer = m.n_layer.unwrap_or(c.n_layer);
        c.n_head = m.n_head.unwrap_or(c.n_head);
        c.n_embd = m.n_embd.unwrap_or(c.n_embd);
        c.dropout = m.dropout.unwrap_or(c.dropout);
        c.ln_placement = m.ln_placement.unwrap_or(c.ln_placement);
        c.residual = m.residual.unwrap_or(c.residual);
        c.layer_norm = m.layer_norm.unwrap_or(c.layer_norm);
        c.causal = m.causal.unwrap_or(c.causal);
        c.validate()?;
        Ok(c)
    }
}

impl TrainingOverrides {
    /// The training settings: the preset's, with the overrides applied, validated.
    pub fn train_config(&self, preset: &str, seed: u64) -> Result<TrainConfig, GptError> {
        let mut t = TrainConfig::preset(preset)?;
        let o = self;
        t.batch_size = o.batch_size.unwrap_or(t.batch_size);
        t.learning_rate = o.learning_rate.unwrap_or(t.learning_rate);
        t.min_lr = t.min_lr.min(t.learning_rate);
        t.decay_steps = o.steps.unwrap_or(t.decay_steps);
        t.warmup_steps = o
            .warmup_steps
            .unwrap_or(t.warmup_steps.min(t.decay_steps / 10));
        t.eval_batches = o.eval_batches.unwrap_or(t.eval_batches);
        t.seed = seed;
        t.validate()?;
        Ok(t)
    }
}

/// Seed of the weights and batches when none is given.
const DEFAULT_SEED: u64 = 1337;

/// A corpus the playground accepts: not too big, and text rather than a binary file.
fn check_corpus(corpus: &str) -> Result<(), GptError> {
    if corpus.len() > MAX_CORPUS_BYTES {
        return Err(GptError::Data(format!(
            "the corpus is {:.1} MB; the playground accepts at most {} MB of text",
            corpus.len() as f64 / 1e6,
            MAX_CORPUS_BYTES / (1024 * 1024)
        )));
    }
    if corpus.contains('\0') {
        return Err(GptError::Data(
            "the corpus contains NUL bytes: it looks like a binary file, not text".into(),
        ));
    }
    Ok(())
}

/// The held-out fraction (default 0.1), which must be in (0, 0.5].
fn val_fraction(given: Option<f32>) -> Result<f32, GptError> {
    let v = given.unwrap_or(0.1);
    if v > 0.0 && v <= 0.5 {
        Ok(v)
    } else {
        Err(GptError::Data(format!(
            "valFraction must be in (0, 0.5], not {v}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<SessionOptions, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(parse(r#"{"corpus": "x", "presett": "tiny"}"#).is_err());
        assert!(parse(r#"{"model": {"nHeads": 2}}"#).is_err());
        assert!(parse(r#"{"device": "tpu"}"#).is_err());
    }

    #[test]
    fn overrides_apply_and_are_validated() {
        let o = parse(r#"{"preset": "tiny", "model": {"nHead": 4, "causal": false}, "training": {"steps": 50}}"#)
            .expect("valid options");
        let c = o.model_config("tiny", 40).expect("valid config");
        assert_eq!((c.n_head, c.causal, c.vocab_size), (4, false, 40));
        let t = o.training.train_config("tiny", 9).expect("valid training");
        assert_eq!((t.decay_steps, t.warmup_steps, t.seed), (50, 5, 9));
        let bad = parse(r#"{"model": {"nHead": 3, "nEmbd": 32}}"#).expect("parses");
        assert!(bad.model_config("tiny", 40).is_err());
    }
}
