//! Dropout: during training, zero a random fraction `p` of activations and scale the rest by
//! `1 / (1 - p)`, so the network cannot rely on any single unit.

use burn::tensor::{Device, Distribution, Shape, Tensor};

/// Identity unless `train` and `p > 0`.
pub(crate) fn dropout<const D: usize>(x: Tensor<D>, p: f64, train: bool) -> Tensor<D> {
    if !train || p <= 0.0 {
        return x;
    }
    let keep = keep_mask::<D>(x.shape(), p, &x.device());
    x * keep
}

/// One dropout draw: 0 where a value is dropped (probability `p`), `1 / (1 - p)` where it is
/// kept, so the expectation is unchanged. Fused ops that apply dropout inside their kernel take
/// this as an input.
pub(crate) fn keep_mask<const D: usize>(shape: Shape, p: f64, device: &Device) -> Tensor<D> {
    Tensor::<D>::random(shape, Distribution::Bernoulli(1.0 - p), device).div_scalar(1.0 - p)
}
