//! Where a model's numbers come from: a fresh random initialisation or a saved checkpoint.
//!
//! Every parameter is created through one [`WeightSource`] call with its GPT-2 name (as in
//! Hugging Face's `GPT2LMHeadModel`) and shape, so initialisation, loading and export agree on
//! names and layouts by construction.

use burn::module::{Param, ParamId};
use burn::tensor::{Device, Tensor, TensorData};

use crate::error::Result;
use crate::rng::Rng;

/// Supplies the values of each named parameter, row-major in the given shape.
pub trait WeightSource {
    /// The values of parameter `name` of shape `shape` (`shape.iter().product()` numbers).
    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>>;
}

/// nanoGPT's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm gains, and the
/// projections that write into the residual stream scaled by 1/sqrt(2 * n_layer) so the stream's
/// variance does not grow with depth.
pub struct RandomInit {
    rng: Rng,
    n_layer: usize,
}

impl RandomInit {
    /// A seeded initialiser for a model with `n_layer` blocks.
    pub fn new(seed: u64, n_layer: usize) -> Self {
        Self {
            rng: Rng::new(seed),
            n_layer,
        }
    }
}

impl WeightSource for RandomInit {
    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let n = shape.iter().product();
        let is_ln = name.contains(".ln_") || name.starts_with("transformer.ln_f");
        Ok(if name.ends_with(".bias") {
            vec![0.0; n]
        } else if is_ln {
            vec![1.0; n]
        } else if name.ends_with("c_proj.weight") {
            let std = 0.02 / (2.0 * self.n_layer as f32).sqrt();
            self.rng.normal(n, std)
        } else {
            self.rng.normal(n, 0.02)
        })
    }
}

/// Create a trainable rank-1 parameter from a weight source.
pub(crate) fn param1(
    src: &mut dyn WeightSource,
    name: &str,
    n: usize,
    device: &Device,
) -> Result<Param<Tensor<1>>> {
    let values = src.tensor(name, &[n])?;
    Ok(Param::from_tensor(Tensor::from_data(
        TensorData::new(values, [n]),
        device,
    )))
}

/// Create a trainable rank-2 parameter from a weight source.
pub(crate) fn param2(
    src: &mut dyn WeightSource,
    name: &str,
    shape: [usize; 2],
    device: &Device,
) -> Result<Param<Tensor<2>>> {
    let values = src.tensor(name, &shape)?;
    Ok(Param::from_tensor(Tensor::from_data(
        TensorData::new(values, shape),
        device,
    )))
}

/// A parameter seen from outside the model: its GPT-2 name, shape, and values flattened to 1-D
/// (reading them back is the caller's, asynchronous, business).
#[derive(Clone, Debug)]
pub struct NamedParam {
    /// Hugging Face GPT-2 name, e.g. `transformer.h.0.attn.c_attn.weight`.
    pub name: String,
    /// Shape in GPT-2's layout (Conv1D weights are `[in, out]`, as here).
    pub shape: Vec<usize>,
    /// The values, flattened row-major.
    pub values: Tensor<1>,
    /// The parameter's identity in this model (what the optimizer keys its state by).
    pub id: ParamId,
}

impl NamedParam {
    pub(crate) fn of1(name: String, p: &Param<Tensor<1>>) -> Self {
        let t = p.val();
        Self {
            name,
            shape: t.dims().to_vec(),
            values: t,
            id: p.id,
        }
    }

    pub(crate) fn of2(name: String, p: &Param<Tensor<2>>) -> Self {
        let t = p.val();
        let [r, c] = t.dims();
        Self {
            name,
            shape: vec![r, c],
            values: t.reshape([r * c]),
            id: p.id,
        }
    }
}
