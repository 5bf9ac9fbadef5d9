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
        let bias = self.bias.as_ref().map(|b| b.val());
        rows_linear(x, self.weight.val(), bias)
    }

    pub(crate) fn named_params(&self, name: &str, out: &mut Vec<NamedParam>) {
        out.push(NamedParam::of2(format!("{name}.weight"), &self.weight));
        if let Some(b) = &self.bias {
            out.push(NamedParam::of1(format!("{name}.bias"), b));
        }
    }
}

/// `x [..., d_in]` times `weight [d_in, d_out]` (plus `bias [d_out]`) as one
/// `[rows, d_in] x [d_in, d_out]` matrix product over all leading positions.
///
/// Why not burn's `linear` on `[B, T, d_in]` directly: when `T` fills its row tiles it runs a
/// batched product, one small gemm per sequence, each packing the whole weight again (and the
/// same for the input gradient in the backward pass). Folding the batch into the rows packs the
/// weight once and lets gemm split one large product across threads. The reshapes are views.
/// The product itself is `ops::linear`: burn's `linear`, or in the relaxed-SIMD browser package
/// the same layer on the model crate's own matrix product.
pub fn rows_linear<const D: usize>(
    x: Tensor<D>,
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
) -> Tensor<D> {
    let mut dims = x.dims();
    let d_in = dims[D - 1];
    let rows = dims[..D - 1].iter().product::<usize>();
    let y = crate::ops::linear(x.reshape([rows, d_in]), weight, bias); // [rows, d_out]
    dims[D - 1] = y.dims()[1];
    y.reshape(dims)
}
