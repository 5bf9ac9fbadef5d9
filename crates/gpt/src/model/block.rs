//! A transformer block: self-attention then an MLP, each wrapped in a residual connection and a
//! LayerNorm. Where the LayerNorm goes (before: GPT-2; after: GPT-1) and whether the residual
//! connections and LayerNorms exist at all are switches, so the page can show what each is for.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::attention::{CausalSelfAttention, LayerCache};
use super::dropout::dropout;
use super::layer_norm::LayerNorm;
use super::mlp::Mlp;
use super::trace::Recorder;
use super::weights::{NamedParam, WeightSource};
use crate::config::{GptConfig, LayerNormPlacement};
use crate::error::Result;

/// One transformer block.
#[derive(Module, Debug)]
pub struct Block {
    /// Before attention (pre-LN) or after its residual add (post-LN).
    pub ln_1: Option<LayerNorm>,
    /// Masked multi-head self-attention.
    pub attn: CausalSelfAttention,
    /// Before the MLP (pre-LN) or after its residual add (post-LN).
    pub ln_2: Option<LayerNorm>,
    /// Position-wise feed-forward network.
    pub mlp: Mlp,
    pre_ln: bool,
    residual: bool,
    dropout: f64,
}

/// Everything a block's forward pass needs besides its input.
pub(crate) struct BlockContext<'a> {
    /// Whether attention is masked (causal): each position sees only itself and earlier ones.
    pub causal: bool,
    /// This layer's key/value cache, when generating.
    pub cache: Option<&'a mut LayerCache>,
    /// Records intermediate values for the explainer panels.
    pub recorder: Option<&'a mut Recorder>,
    /// Training mode (dropout on).
    pub train: bool,
    /// Index of this block (for names in the trace).
    pub layer: usize,
}

impl Block {
    /// Build block `index` (`transformer.h.{index}.*`).
    pub fn new(
        src: &mut dyn WeightSource,
        index: usize,
        cfg: &GptConfig,
        device: &Device,
    ) -> Result<Self> {
        let p = format!("transformer.h.{index}");
        let ln = |src: &mut dyn WeightSource, name: &str| -> Result<Option<LayerNorm>> {
            if cfg.layer_norm {
                Ok(Some(LayerNorm::new(
                    src,
                    &format!("{p}.{name}"),
                    cfg.n_embd,
                    cfg.bias,
                    device,
                )?))
            } else {
                Ok(None)
            }
        };
        Ok(Self {
            ln_1: ln(src, "ln_1")?,
            attn: CausalSelfAttention::new(src, &format!("{p}.attn"), cfg, device)?,
            ln_2: ln(src, "ln_2")?,
            mlp: Mlp::new(src, &format!("{p}.mlp"), cfg, device)?,
            pre_ln: cfg.ln_placement == LayerNormPlacement::Pre,
            residual: cfg.residual,
            dropout: f64::from(cfg.dropout),
        })
    }

    /// `[B, T, C] -> [B, T, C]`.
    pub(crate) fn forward(&self, x: Tensor<3>, ctx: BlockContext<'_>) -> Tensor<3> {
        let BlockContext {
            causal,
            cache,
            mut recorder,
            train,
            layer,
        } = ctx;
        let p = self.dropout;

        // Attention sub-layer.
        let input = if self.pre_ln {
            norm(&self.ln_1, x.clone(), &mut recorder, layer, "ln_1")
        } else {
            x.clone()
        };
        let (attn_out, probs) = self.attn.forward(input, causal, cache, p, train);
        let attn_out = dropout(attn_out, p, train);
        let mut x = if self.residual {
            x + attn_out
        } else {
            attn_out
        };
        if !self.pre_ln {
            x = norm(&self.ln_1, x, &mut recorder, layer, "ln_1");
        }
        if let Some(rec) = recorder.as_deref_mut() {
            rec.attention.push(probs);
            rec.residual(format!("block {layer} after attention"), &x);
        }

        // MLP sub-layer.
        let input = if self.pre_ln {
            norm(&self.ln_2, x.clone(), &mut recorder, layer, "ln_2")
        } else {
            x.clone()
        };
        let mlp_out = dropout(self.mlp.forward(input), p, train);
        let mut x = if self.residual { x + mlp_out } else { mlp_out };
        if !self.pre_ln {
            x = norm(&self.ln_2, x, &mut recorder, layer, "ln_2");
        }
        if let Some(rec) = recorder {
            rec.residual(format!("block {layer} after MLP"), &x);
        }
        x
    }

    pub(crate) fn named_params(&self, index: usize, out: &mut Vec<NamedParam>) {
        let p = format!("transformer.h.{index}");
        if let Some(ln) = &self.ln_1 {
            ln.named_params(&format!("{p}.ln_1"), out);
        }
        self.attn.named_params(&format!("{p}.attn"), out);
        if let Some(ln) = &self.ln_2 {
            ln.named_params(&format!("{p}.ln_2"), out);
        }
        self.mlp.named_params(&format!("{p}.mlp"), out);
    }
}

/// Apply an optional LayerNorm, recording its input and output statistics.
fn norm(
    ln: &Option<LayerNorm>,
    x: Tensor<3>,
    rec: &mut Option<&mut Recorder>,
    layer: usize,
    name: &str,
) -> Tensor<3> {
    let Some(ln) = ln else { return x };
    let y = ln.forward(x.clone());
    if let Some(rec) = rec.as_deref_mut() {
        rec.layer_norm(format!("block {layer} {name}"), &x, &y);
    }
    y
}
