//! Fused operations: drop-in replacements for compositions of burn's tensor ops in the model,
//! each behind a named function with the readable composition as its reference (and test
//! oracle). They plug into burn through its backend extension mechanism: a backend trait with a
//! plain-Rust CPU implementation for `flex` (natively and in wasm32) and an autodiff
//! implementation with a hand-written backward pass. On any other backend (wgpu) the function
//! takes the reference path.

pub mod adamw;
pub mod causal_attention;
pub mod gelu;
pub mod layer_norm;
pub mod self_check;

pub use adamw::{AdamWStep, adamw_update};
pub use causal_attention::causal_attention;
pub use gelu::gelu;
pub use layer_norm::layer_norm;

use burn::backend::DispatchDevice;
use burn::backend::flex::FlexTensor;
use burn::tensor::Tensor;

/// Whether `x` lives on burn's `flex` CPU backend (with or without autodiff): where the fused
/// CPU kernels run.
fn on_flex<const D: usize>(x: &Tensor<D>) -> bool {
    matches!(x.device().inner().as_dispatch(), DispatchDevice::Flex(_))
}

/// The f32 values of a flex tensor in row-major order (a copy only when it is a strided view).
pub(crate) fn f32s(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(s) if t.is_contiguous() && t.layout().start_offset() == 0 => {
            std::borrow::Cow::Borrowed(&s[..t.layout().num_elements()])
        }
        _ => std::borrow::Cow::Owned(
            t.to_contiguous()
                .as_slice::<f32>()
                .expect("the fused ops run on f32 tensors")
                .to_vec(),
        ),
    }
}

/// Helpers of the fused ops' tests.
#[cfg(test)]
pub(crate) mod testing {
    use burn::tensor::Tensor;

    use crate::device::{block_on, read_f32};

    /// A tensor's values.
    pub fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        block_on(read_f32(t)).expect("read")
    }

    /// The largest absolute difference of two equally long slices.
    pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }
}
