//! The feed-forward part of a block: widen 4x, GELU, narrow back. It works on each position
//! separately; attention is where positions talk to each other.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::linear::Linear;
use super::weights::{NamedParam, WeightSource};
use crate::config::GptConfig;
use crate::error::Result;
use crate::ops::gelu;

/// Position-wise MLP.
#[derive(Module, Debug)]
pub struct Mlp {
    /// `[C, 4C]`.
    pub c_fc: Linear,
    /// `[4C, C]`, writes into the residual stream.
    pub c_proj: Linear,
}

impl Mlp {
    /// Build `prefix.c_fc` and `prefix.c_proj`.
    pub fn new(
        src: &mut dyn WeightSource,
        prefix: &str,
        cfg: &GptConfig,
        device: &Device,
    ) -> Result<Self> {
        let c = cfg.n_embd;
        Ok(Self {
            c_fc: Linear::new(src, &format!("{prefix}.c_fc"), c, 4 * c, cfg.bias, device)?,
            c_proj: Linear::new(src, &format!("{prefix}.c_proj"), 4 * c, c, cfg.bias, device)?,
        })
    }

    /// `[B, T, C] -> [B, T, 4C] -> [B, T, C]`. GELU is the fused op (`ops::gelu`): burn's
    /// `activation::gelu` computed faster on the CPU.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.c_proj.forward(gelu(self.c_fc.forward(x)))
    }

    pub(crate) fn named_params(&self, prefix: &str, out: &mut Vec<NamedParam>) {
        self.c_fc.named_params(&format!("{prefix}.c_fc"), out);
        self.c_proj.named_params(&format!("{prefix}.c_proj"), out);
    }
}
