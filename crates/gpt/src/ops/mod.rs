//! Fused operations: drop-in replacements for compositions of burn's tensor ops in the model,
//! each behind a named function with the readable composition as its reference (and test
//! oracle). They plug into burn through its backend extension mechanism: a backend trait with a
//! plain-Rust CPU implementation for `flex` (natively and in wasm32) and an autodiff
//! implementation with a hand-written backward pass. On any other backend (wgpu) the function
//! takes the reference path.

pub mod gelu;
pub mod layer_norm;

pub use gelu::gelu;
pub use layer_norm::layer_norm;

use burn::backend::DispatchDevice;
use burn::tensor::Tensor;

/// Whether `x` lives on burn's `flex` CPU backend (with or without autodiff): where the fused
/// CPU kernels run.
fn on_flex<const D: usize>(x: &Tensor<D>) -> bool {
    matches!(x.device().inner().as_dispatch(), DispatchDevice::Flex(_))
}
