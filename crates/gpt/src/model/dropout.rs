//! Dropout: during training, zero a random fraction `p` of activations and scale the rest by
//! `1 / (1 - p)`, so the network cannot rely on any single unit.

use burn::tensor::{Distribution, Tensor};

/// Identity unless `train` and `p > 0`.
pub(crate) fn dropout<const D: usize>(x: Tensor<D>, p: f64, train: bool) -> Tensor<D> {
    if !train || p <= 0.0 {
        return x;
    }
    let keep = Tensor::<D>::random(x.shape(), Distribution::Bernoulli(1.0 - p), &x.device());
    x * keep.div_scalar(1.0 - p)
}
