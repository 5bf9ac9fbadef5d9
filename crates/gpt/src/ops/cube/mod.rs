//! The fused ops on burn's CubeCL backend (wgpu: WebGPU in the browser, Vulkan or Metal
//! natively), as `#[cube]` kernels compiled just in time for the device. Same formulas as the
//! CPU kernels beside them in `ops`, one GPU thread per element or one workgroup per row, and
//! the same tests (run on both backends; natively on Mesa's lavapipe when no GPU is present).
//!
//! Compiled with the `wgpu` feature only: the browser's CPU package and the native CLI without
//! that feature carry no GPU compiler.

pub mod adamw;
pub mod causal_attention;
pub mod cross_entropy;
pub mod gelu;
pub mod layer_norm;

use burn::tensor::Shape;
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// The CubeCL backend the kernels are written for (no burn fusion: see `ops` for why).
pub type Cube = CubeBackend;

/// A contiguous copy of `t` (no copy when it already is) and its element count.
pub(crate) fn contiguous(t: CubeTensor) -> CubeTensor {
    into_contiguous(t)
}

/// An uninitialised f32 tensor of `shape` on `like`'s device.
pub(crate) fn empty(like: &CubeTensor, shape: Shape) -> CubeTensor {
    empty_device_dtype(like.client.clone(), like.device.clone(), shape, like.dtype)
}

/// Threads per workgroup for element-wise kernels, and workgroups for `n` elements.
pub(crate) fn elementwise(like: &CubeTensor, n: usize) -> (CubeCount, CubeDim) {
    let dim = CubeDim::new(&like.client, n);
    (
        cubecl::calculate_cube_count_elemwise(&like.client, n, dim),
        dim,
    )
}

/// Threads per workgroup for a kernel that takes one row of `c` values per workgroup: a power
/// of two (for [`block_sum`]) from 32 (a GPU's SIMD width) to 256. Never 1: a one-thread
/// workgroup ran a strided `while` loop only once under lavapipe (seen with the attention's
/// `y` loop when T = 1), so the kernels never launch one.
pub(crate) fn row_width(c: usize) -> usize {
    c.clamp(32, 256).next_power_of_two()
}

/// The sum of `v` over the `width` threads of a workgroup (a power of two), in a tree through
/// `shared` (`width` values); every thread gets it.
#[cube]
pub(crate) fn block_sum(mut shared: Shared<[f32]>, v: f32) -> f32 {
    let u = UNIT_POS_X as usize;
    shared[u] = v;
    sync_cube();
    // A run-time value (the workgroup's size is `width`): a compile-time one cannot change
    // inside a run-time loop.
    let mut stride = CUBE_DIM_X as usize / 2;
    while stride > 0 {
        if u < stride {
            let sum = shared[u] + shared[u + stride];
            shared[u] = sum;
        }
        sync_cube();
        stride /= 2;
    }
    let total = shared[0];
    // Before anyone writes `shared` again.
    sync_cube();
    total
}

/// The largest `v` over the threads of a workgroup (its size a power of two), as [`block_sum`].
#[cube]
pub(crate) fn block_max(mut shared: Shared<[f32]>, v: f32) -> f32 {
    let u = UNIT_POS_X as usize;
    shared[u] = v;
    sync_cube();
    let mut stride = CUBE_DIM_X as usize / 2;
    while stride > 0 {
        if u < stride {
            let m = f32::max(shared[u], shared[u + stride]);
            shared[u] = m;
        }
        sync_cube();
        stride /= 2;
    }
    let total = shared[0];
    sync_cube();
    total
}
