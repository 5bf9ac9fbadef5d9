//! Which device trains the model in the browser: WebGPU when the browser gives an adapter,
//! otherwise burn's CPU backend (`flex`, single-threaded wasm SIMD).

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// The backend a session runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn `flex` on the CPU (always available).
    #[default]
    Cpu,
    /// burn `wgpu` on the browser's WebGPU.
    Webgpu,
}

/// Create (or reuse) the autodiff device for `backend`.
pub async fn autodiff_device(backend: Backend) -> Result<Device, String> {
    match backend {
        Backend::Cpu => Ok(gpt::device::cpu()),
        Backend::Webgpu => webgpu::device().await,
    }
}

#[cfg(feature = "webgpu")]
mod webgpu {
    use std::cell::RefCell;

    use burn::tensor::Device;
    use burn::tensor::wgpu::WgpuBackend;

    thread_local! {
        // burn's wgpu runtime can be initialised once per thread; later sessions reuse it.
        static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
    }

    /// The browser's WebGPU device, created with `init_async`: on wasm any lazy, synchronous
    /// initialisation would end in a blocking read, which browsers forbid.
    pub async fn device() -> Result<Device, String> {
        if let Some(device) = WEBGPU.with(|d| d.borrow().clone()) {
            return Ok(device);
        }
        let device = Device::wgpu_options()
            .graphics_api(WgpuBackend::WebGpu)
            .init_async()
            .await
            .map_err(|e| {
                format!("WebGPU is not available in this browser ({e}); use the CPU instead")
            })?
            .autodiff();
        WEBGPU.with(|d| *d.borrow_mut() = Some(device.clone()));
        Ok(device)
    }
}

#[cfg(not(feature = "webgpu"))]
mod webgpu {
    use burn::tensor::Device;

    /// The CPU-only build (the browser's first package, native tests) has no WebGPU code in it.
    pub async fn device() -> Result<Device, String> {
        Err(if cfg!(target_arch = "wasm32") {
            "this is the CPU-only build of the playground (no WebGPU code in it); load the WebGPU package or use the CPU instead"
        } else {
            "WebGPU is only available in the browser (wasm32) build; use the CPU instead"
        }
        .into())
    }
}
