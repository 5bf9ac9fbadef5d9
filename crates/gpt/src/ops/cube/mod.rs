//! The fused ops on burn's CubeCL backend (wgpu: WebGPU in the browser, Vulkan or Metal
//! natively), as `#[cube]` kernels compiled just in time for the device. Same formulas as the
//! CPU kernels beside them in `ops` (a GPU thread per value, per row, or a workgroup per row
//! where a row is long), and the same tests, run on both backends against the CPU's reference
//! (natively on Mesa's lavapipe when no GPU is present).
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
/// `t` with a contiguous row-major layout (the kernels index it directly); no copy when it
/// already has one.
pub(crate) use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// The CubeCL backend the kernels are written for (no burn fusion: see `ops` for why).
pub type Cube = CubeBackend;

/// An uninitialised tensor of `shape` with `like`'s device and element type.
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
/// workgroup ran a strided `while` loop only once under lavapipe (seen with a first,
/// workgroup-per-row attention kernel when T = 1), so the kernels never launch one.
pub(crate) fn row_width(c: usize) -> usize {
    c.clamp(32, 256).next_power_of_two()
}

/// The sum of `v` over the threads of a workgroup (its size a power of two); every thread
/// gets it. `shared` holds one value per thread.
#[cube]
pub(crate) fn block_sum(shared: Shared<[f32]>, v: f32) -> f32 {
    block_reduce(shared, v, false)
}

/// The largest `v` over the threads of a workgroup, as [`block_sum`].
#[cube]
pub(crate) fn block_max(shared: Shared<[f32]>, v: f32) -> f32 {
    block_reduce(shared, v, true)
}

/// A tree reduction through shared memory: pairs of values combined (by `max` or `+`, chosen
/// when the kernel compiles) over log2(threads) rounds, a barrier after each.
#[cube]
fn block_reduce(mut shared: Shared<[f32]>, v: f32, #[comptime] max: bool) -> f32 {
    let u = UNIT_POS_X as usize;
    shared[u] = v;
    sync_cube();
    // A run-time value: a compile-time one cannot change inside a run-time loop.
    let mut stride = CUBE_DIM_X as usize / 2;
    while stride > 0 {
        if u < stride {
            let (a, b) = (shared[u], shared[u + stride]);
            if max {
                shared[u] = f32::max(a, b);
            } else {
                shared[u] = a + b;
            }
        }
        sync_cube();
        stride /= 2;
    }
    let total = shared[0];
    // Before any thread writes `shared` again.
    sync_cube();
    total
}
