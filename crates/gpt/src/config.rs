//! The shape of a GPT: sizes, switches for the tutorial's ablations, presets, and the parameter
//! count computed from the shape alone (so GPT-3 175B can be counted without allocating it).

use serde::{Deserialize, Serialize};

use crate::error::{GptError, Result};

/// Where LayerNorm sits in each block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerNormPlacement {
    /// GPT-2 and later: `x + attn(ln(x))`; trains stably without warm-up tricks.
    Pre,
    /// GPT-1 and the original Transformer: `ln(x + attn(x))`.
    Post,
}

/// The non-linearity in each block's MLP; the names are the `activation_function` values of
/// Hugging Face's `GPT2Config`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// Exact GELU, `x Phi(x)` with the error function: nanoGPT's `nn.GELU()` and this
    /// playground's models.
    #[default]
    #[serde(rename = "gelu")]
    Gelu,
    /// GELU's tanh approximation, what GPT-2 was trained with (`transformers` calls it
    /// `gelu_new`; `gelu_pytorch_tanh` is the same formula).
    #[serde(rename = "gelu_new")]
    GeluNew,
}

impl Activation {
    /// The name `transformers` uses for it.
    pub fn hf_name(self) -> &'static str {
        match self {
            Self::Gelu => "gelu",
            Self::GeluNew => "gelu_new",
        }
    }
}

/// Everything that decides the model's shape and wiring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GptConfig {
    /// Number of distinct token ids (taken from the tokenizer).
    pub vocab_size: usize,
    /// Context length: the most tokens the model sees at once.
    pub block_size: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block.
    pub n_head: usize,
    /// Width of the residual stream (embedding size).
    pub n_embd: usize,
    /// Dropout probability during training (0 for the tiny presets).
    #[serde(default)]
    pub dropout: f32,
    /// Biases in linear layers and LayerNorms (GPT-2 has them).
    #[serde(default = "yes")]
    pub bias: bool,
    /// The LM head reuses the token-embedding matrix (GPT-2 does).
    #[serde(default = "yes")]
    pub tie_weights: bool,
    /// Pre-LN (GPT-2) or post-LN (GPT-1).
    #[serde(default = "pre")]
    pub ln_placement: LayerNormPlacement,
    /// Residual connections around attention and MLP (ablation switch).
    #[serde(default = "yes")]
    pub residual: bool,
    /// LayerNorms in the blocks and before the head (ablation switch).
    #[serde(default = "yes")]
    pub layer_norm: bool,
    /// The causal mask in self-attention (ablation switch: off lets the model "cheat").
    #[serde(default = "yes")]
    pub causal: bool,
    /// The MLP's activation: exact GELU (default) or GPT-2's tanh form.
    #[serde(default)]
    pub activation: Activation,
}

fn yes() -> bool {
    true
}
fn pre() -> LayerNormPlacement {
    LayerNormPlacement::Pre
}

/// A named model size, with where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReferenceModel {
    /// Display name, e.g. "GPT-2 small".
    pub name: &'static str,
    /// Family: "GPT-1", "GPT-2" or "GPT-3".
    pub family: &'static str,
    /// The configuration (used only for counting; never allocated).
    pub config: GptConfig,
    /// The size the paper reports, in parameters.
    pub reported_params: u64,
}

/// Names of the presets that can actually be trained here.
pub const TRAINABLE_PRESETS: [&str; 3] = ["tiny", "baby", "small"];

impl GptConfig {
    /// A config with GPT-2's wiring (pre-LN, biases, tied head, all switches on) and these sizes.
    pub fn new(
        vocab_size: usize,
        block_size: usize,
        n_layer: usize,
        n_head: usize,
        n_embd: usize,
    ) -> Self {
        Self {
            vocab_size,
            block_size,
            n_layer,
            n_head,
            n_embd,
            dropout: 0.0,
            bias: true,
            tie_weights: true,
            ln_placement: LayerNormPlacement::Pre,
            residual: true,
            layer_norm: true,
            causal: true,
            activation: Activation::Gelu,
        }
    }

    /// A trainable preset by name (`tiny`, `baby`, `small`), for a tokenizer of `vocab_size` ids.
    ///
    /// - `tiny`: 2 layers, 2 heads, 32 wide, context 32: trains in seconds (tests, first look).
    /// - `baby`: nanoGPT's CPU config: 4 layers, 4 heads, 128 wide, context 64.
    /// - `small`: 6 layers, 6 heads, 192 wide, context 128.
    pub fn preset(name: &str, vocab_size: usize) -> Result<Self> {
        match name {
            "tiny" => Ok(Self::new(vocab_size, 32, 2, 2, 32)),
            "baby" => Ok(Self::new(vocab_size, 64, 4, 4, 128)),
            "small" => Ok(Self::new(vocab_size, 128, 6, 6, 192)),
            _ => Err(GptError::UnknownPreset {
                name: name.to_string(),
                known: TRAINABLE_PRESETS.join(", "),
            }),
        }
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head.max(1)
    }

    /// Check that the model can be built and trained; the error names the first problem found.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(GptError::Config(msg));
        if self.vocab_size < 2 {
            return bad(format!(
                "vocab_size is {}, but a language model needs at least 2 distinct tokens",
                self.vocab_size
            ));
        }
        if self.block_size == 0 {
            return bad("block_size (context length) must be at least 1".into());
        }
        if self.n_layer == 0 {
            return bad("n_layer must be at least 1".into());
        }
        if self.n_head == 0 {
            return bad("n_head must be at least 1".into());
        }
        if self.n_embd == 0 {
            return bad("n_embd (embedding width) must be at least 1".into());
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return bad(format!(
                "n_embd {} is not divisible by n_head {}: each head gets n_embd / n_head dimensions",
                self.n_embd, self.n_head
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) || self.dropout.is_nan() {
            return bad(format!(
                "dropout is {}, but it must be in [0, 1)",
                self.dropout
            ));
        }
        Ok(())
    }

    /// Check the config against the tokenizer it will be used with.
    pub fn validate_vocab(&self, tokenizer_vocab: usize) -> Result<()> {
        if self.vocab_size != tokenizer_vocab {
            return Err(GptError::Config(format!(
                "the model's vocab_size is {} but the tokenizer has {} tokens; they must match",
                self.vocab_size, tokenizer_vocab
            )));
        }
        Ok(())
    }

    /// Number of trainable scalars, computed from the shape (equals the built model's count).
    pub fn param_count(&self) -> u64 {
        let c = self.n_embd as u64;
        let v = self.vocab_size as u64;
        let t = self.block_size as u64;
        let b = u64::from(self.bias);
        let ln = if self.layer_norm { c + b * c } else { 0 };
        let attn = (c * 3 * c + b * 3 * c) + (c * c + b * c);
        let mlp = (c * 4 * c + b * 4 * c) + (4 * c * c + b * c);
        let block = 2 * ln + attn + mlp;
        let head = if self.tie_weights { 0 } else { v * c };
        // A post-LN block already ends normalised, so only pre-LN models have a final LayerNorm.
        let ln_f = if self.ln_placement == LayerNormPlacement::Pre {
            ln
        } else {
            0
        };
        v * c + t * c + self.n_layer as u64 * block + ln_f + head
    }

    /// GPT-1, GPT-2 and GPT-3 shaped configs, for parameter counts only (never allocate these).
    ///
    /// Shapes from the papers: GPT-1 (Radford et al. 2018), GPT-2 (2019, sizes as released),
    /// GPT-3 (Brown et al. 2020, table 2.1). Two rows of that table do not divide: GPT-3 XL is
    /// listed as 2048 wide with 24 heads of 128 (16 heads are used here, 16 x 128 = 2048) and 13B
    /// as 5140 wide with 40 heads of 128 (5120 = 40 x 128 is used). Head count does not change the
    /// parameter count; the width change moves 13B by 0.8%.
    pub fn reference_models() -> Vec<ReferenceModel> {
        let gpt1 = |l, h, c| {
            let mut cfg = Self::new(40_478, 512, l, h, c);
            cfg.ln_placement = LayerNormPlacement::Post;
            cfg
        };
        let gpt2 = |l, h, c| Self::new(50_257, 1024, l, h, c);
        let gpt3 = |l, h, c| Self::new(50_257, 2048, l, h, c);
        let m = |name, family, config, reported_params| ReferenceModel {
            name,
            family,
            config,
            reported_params,
        };
        vec![
            m("GPT-1", "GPT-1", gpt1(12, 12, 768), 117_000_000),
            m("GPT-2 small", "GPT-2", gpt2(12, 12, 768), 124_000_000),
            m("GPT-2 medium", "GPT-2", gpt2(24, 16, 1024), 350_000_000),
            m("GPT-2 large", "GPT-2", gpt2(36, 20, 1280), 774_000_000),
            m("GPT-2 XL", "GPT-2", gpt2(48, 25, 1600), 1_558_000_000),
            m("GPT-3 Small", "GPT-3", gpt3(12, 12, 768), 125_000_000),
            m("GPT-3 Medium", "GPT-3", gpt3(24, 16, 1024), 350_000_000),
            m("GPT-3 Large", "GPT-3", gpt3(24, 16, 1536), 760_000_000),
            m("GPT-3 XL", "GPT-3", gpt3(24, 16, 2048), 1_300_000_000),
            m("GPT-3 2.7B", "GPT-3", gpt3(32, 32, 2560), 2_700_000_000),
            m("GPT-3 6.7B", "GPT-3", gpt3(32, 32, 4096), 6_700_000_000),
            m("GPT-3 13B", "GPT-3", gpt3(40, 40, 5120), 13_000_000_000),
            m("GPT-3 175B", "GPT-3", gpt3(96, 96, 12288), 175_000_000_000),
        ]
    }
}
