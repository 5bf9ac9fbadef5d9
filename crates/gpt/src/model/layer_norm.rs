//! Layer normalisation: each position's vector is shifted to mean 0 and scaled to variance 1,
//! then given a learned gain (and bias). It keeps the residual stream's scale in check.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::weights::{NamedParam, WeightSource, param1};
use crate::error::Result;

/// GPT-2 uses 1e-5.
const EPS: f64 = 1e-5;

/// LayerNorm over the last dimension.
#[derive(Module, Debug)]
pub struct LayerNorm {
    /// Gain `[C]`.
    pub weight: Param<Tensor<1>>,
    /// Bias `[C]`, absent when the model has no biases.
    pub bias: Option<Param<Tensor<1>>>,
}

impl LayerNorm {
    /// Build `name.weight` (and `name.bias`).
    pub fn new(
        src: &mut dyn WeightSource,
        name: &str,
        width: usize,
        bias: bool,
        device: &Device,
    ) -> Result<Self> {
        Ok(Self {
            weight: param1(src, &format!("{name}.weight"), width, device)?,
            bias: if bias {
                Some(param1(src, &format!("{name}.bias"), width, device)?)
            } else {
                None
            },
        })
    }

    /// `[B, T, C] -> [B, T, C]`. The fused op (`ops::layer_norm`): burn's `layer_norm` in one
    /// pass forward and one backward on the CPU.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        crate::ops::layer_norm(
            x,
            self.weight.val(),
            self.bias.as_ref().map(|b| b.val()),
            EPS,
        )
    }

    pub(crate) fn named_params(&self, name: &str, out: &mut Vec<NamedParam>) {
        out.push(NamedParam::of1(format!("{name}.weight"), &self.weight));
        if let Some(b) = &self.bias {
            out.push(NamedParam::of1(format!("{name}.bias"), b));
        }
    }
}
