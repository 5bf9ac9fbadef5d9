//! A linear layer `y = x W + b`, with `W` stored `[in, out]` as in GPT-2's `Conv1D`.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::weights::{NamedParam, WeightSource, param1, param2};
use crate::error::Result;

/// A fully connected layer.
#[derive(Module, Debug)]
pub struct Linear {
    /// `[d_in, d_out]`.
    pub weight: Param<Tensor<2>>,
    /// `[d_out]`, absent when the model has no biases.
    pub bias: Option<Param<Tensor<1>>>,
}

impl Linear {
    /// Build `name.weight` (and `name.bias`) from a weight source.
    pub fn new(
        src: &mut dyn WeightSource,
        name: &str,
        d_in: usize,
        d_out: usize,
        bias: bool,
        device: &Device,
    ) -> Result<Self> {
        Ok(Self {
            weight: param2(src, &format!("{name}.weight"), [d_in, d_out], device)?,
            bias: if bias {
                Some(param1(src, &format!("{name}.bias"), d_out, device)?)
            } else {
                None
            },
        })
    }

    /// `[..., d_in] -> [..., d_out]`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        burn::tensor::module::linear(x, self.weight.val(), self.bias.as_ref().map(|b| b.val()))
    }

    pub(crate) fn named_params(&self, name: &str, out: &mut Vec<NamedParam>) {
        out.push(NamedParam::of2(format!("{name}.weight"), &self.weight));
        if let Some(b) = &self.bias {
            out.push(NamedParam::of1(format!("{name}.bias"), b));
        }
    }
}
