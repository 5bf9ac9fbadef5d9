//! Choosing where tensors live, and reading them back without blocking a browser.
//!
//! burn 0.22 has no backend type parameter: a tensor runs on the device it was created on. The
//! CPU backend is `flex`; GPUs go through `wgpu` (WebGPU in the browser, Vulkan natively).
//! Reads are `async` everywhere because a browser must never block on the GPU; native callers
//! drive them with [`block_on`].

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{GptError, Result};

/// The CPU device (burn's `flex` backend), with autodiff so it can train.
pub fn cpu() -> Device {
    Device::flex().autodiff()
}

/// Read a tensor back to the CPU as `f32`s, without a blocking read.
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let data: TensorData = tensor
        .into_data_async()
        .await
        .map_err(|e| GptError::Device(format!("reading a tensor back failed: {e:?}")))?;
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| GptError::Device(format!("unexpected tensor data: {e:?}")))
}

/// Read several 1-D tensors back in one transfer (concatenated); empty input reads nothing.
pub async fn read_f32_concat(parts: Vec<Tensor<1>>) -> Result<Vec<f32>> {
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    read_f32(Tensor::cat(parts, 0)).await
}

/// Run a future to completion on this thread (native code only; the browser awaits instead).
///
/// The CPU backend's reads are ready at once; native GPU reads are driven by the device itself,
/// so polling in a loop is enough and no async runtime is needed.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
