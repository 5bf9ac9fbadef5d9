//! The feed-forward part of a block: widen 4x, GELU, narrow back. It works on each position
//! separately; attention is where positions talk to each other.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::linear::Linear;
use super::weights::{NamedParam, WeightSource};
use crate::config::{Activation, GptConfig};
use crate::error::Result;
use crate::ops::gelu;

/// Position-wise MLP.
#[derive(Module, Debug)]
pub struct Mlp {
    /// `[C, 4C]`.
    pub c_fc: Linear,
    /// `[4C, C]`, writes into the residual stream.
    pub c_proj: Linear,
    /// Exact GELU or GPT-2's tanh form.
    #[module(skip)]
    pub activation: Activation,
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
            activation: cfg.activation,
        })
    }

    /// `[B, T, C] -> [B, T, 4C] -> [B, T, C]`. Exact GELU is the fused op (`ops::gelu`):
    /// burn's `activation::gelu` computed faster on the CPU.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let h = self.c_fc.forward(x);
        let h = match self.activation {
            Activation::Gelu => gelu(h),
            Activation::GeluNew => gelu_new(h),
        };
        self.c_proj.forward(h)
    }

    pub(crate) fn named_params(&self, prefix: &str, out: &mut Vec<NamedParam>) {
        self.c_fc.named_params(&format!("{prefix}.c_fc"), out);
        self.c_proj.named_params(&format!("{prefix}.c_proj"), out);
    }
}

/// GPT-2's GELU, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`: the approximation GPT-2 was
/// trained with, so imported GPT-2 weights see the non-linearity they learned with. It differs
/// from the exact form by at most about 1e-3.
pub fn gelu_new<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let sqrt_2_over_pi = (2.0 / std::f64::consts::PI).sqrt();
    let inner =
        (x.clone() + x.clone().powi_scalar(3).mul_scalar(0.044715)).mul_scalar(sqrt_2_over_pi);
    x.clone().mul_scalar(0.5) * (inner.tanh() + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{block_on, cpu, read_f32};
    use burn::tensor::TensorData;

    #[test]
    fn gelu_new_is_gpt2s_formula_and_close_to_exact_gelu() {
        let xs: Vec<f32> = (-40..=40).map(|i| i as f32 * 0.2).collect();
        let t = || Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &cpu());
        let tanh_form = block_on(read_f32(gelu_new(t()))).expect("read");
        let exact = block_on(read_f32(gelu(t()))).expect("read");
        for ((&x, &got), &e) in xs.iter().zip(&tanh_form).zip(&exact) {
            let x = f64::from(x);
            let want = 0.5
                * x
                * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3))).tanh());
            assert!(
                (f64::from(got) - want).abs() < 1e-5,
                "x {x}: {got} vs {want}"
            );
            // The two forms differ, but only a little (so a wrong switch shows in logits).
            assert!((got - e).abs() < 2e-3, "x {x}: {got} vs exact {e}");
        }
        let max_gap = tanh_form
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            max_gap > 1e-4,
            "the tanh form should not equal the exact one ({max_gap})"
        );
    }
}
