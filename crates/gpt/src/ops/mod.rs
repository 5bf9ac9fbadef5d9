//! Fused operations: drop-in replacements for compositions of burn's tensor ops in the model,
//! each behind a named function with the readable composition as its reference (and test
//! oracle). They plug into burn through its backend extension mechanism: a backend trait with a
//! plain-Rust CPU implementation for `flex` (natively and in wasm32), CubeCL kernels for
//! burn's wgpu backend (`ops::cube`, with the `wgpu` feature: WebGPU in the browser), and one
//! autodiff implementation over both whose backward pass calls the backend's backward kernel
//! (a second trait per op, e.g. `GeluGrad`). On any other backend the function takes the
//! reference path.
//!
//! burn's own fusion (`burn/fusion`) stays off: several open burn issues report wrong results
//! with fusion and autotune on transformer training, and the fused ops here already remove the
//! element-wise chains fusion would merge. Any change to that is gated by the 50-step test
//! (CPU vs wgpu losses within 1e-3: `tests/training.rs` natively, `tests/web.rs` in Chrome).

pub mod adamw;
pub mod causal_attention;
pub mod cross_entropy;
#[cfg(feature = "wgpu")]
pub mod cube;
pub mod exp;
pub mod gelu;
pub mod layer_norm;
pub mod linear;
pub mod matmul;
pub mod self_check;
mod tile;

pub use adamw::{AdamWStep, adamw_update};
pub use causal_attention::causal_attention;
pub use cross_entropy::cross_entropy;
pub use gelu::gelu;
pub use layer_norm::layer_norm;
pub use linear::linear;

use burn::backend::DispatchDevice;
use burn::backend::flex::FlexTensor;
use burn::tensor::{Device, Tensor};

/// Whether the fused kernels run where `x` lives: on burn's `flex` CPU backend, and with the
/// `wgpu` feature on a CubeCL device when the values are f32.
fn fused_here<const D: usize>(x: &Tensor<D>) -> bool {
    match x.device().inner().as_dispatch() {
        DispatchDevice::Flex(_) => true,
        #[cfg(feature = "wgpu")]
        DispatchDevice::Cube(_) => x.dtype() == burn::tensor::DType::F32,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// Whether `device` is burn's `flex` CPU backend (with or without autodiff): where the CPU-only
/// fused ops (`linear`) run.
pub fn is_flex(device: &Device) -> bool {
    matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Flex(_)
    )
}

/// Gives each input of a fused op its gradient, in the order of the op's parents; an input that
/// needs none (`None`: a constant, or a tensor without `require_grad`) is skipped. The backward
/// passes map `ops.parents` to their ids: `parents.map(|p| p.map(|node| node.id))`.
pub(crate) fn register_grads<B: burn::backend::Backend, const N: usize>(
    grads: &mut burn::backend::autodiff::grads::Gradients,
    parents: [Option<burn::backend::autodiff::NodeId>; N],
    values: [burn::backend::tensor::FloatTensor<B>; N],
) {
    for (id, value) in parents.into_iter().zip(values) {
        if let Some(id) = id {
            grads.register::<B>(id, value);
        }
    }
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

/// Runs `f(index, job)` for every job: in parallel natively (rayon), one after another in the
/// browser (single-threaded there).
pub(crate) fn for_each_job<T: Send>(jobs: &mut [T], f: impl Fn(usize, &mut T) + Sync + Send) {
    #[cfg(not(target_family = "wasm"))]
    {
        use rayon::prelude::*;
        jobs.par_iter_mut().enumerate().for_each(|(i, x)| f(i, x));
    }
    #[cfg(target_family = "wasm")]
    jobs.iter_mut().enumerate().for_each(|(i, x)| f(i, x));
}

/// Values per parallel job of the element-wise kernels: 64 KiB of f32, enough work that a job
/// outweighs its scheduling (GELU on baby's `[768, 512]` MLP activations is 24 jobs).
pub(crate) const VALUES_PER_JOB: usize = 1 << 14;

/// Rows of `width` values per parallel job of a row-wise kernel: about [`VALUES_PER_JOB`]
/// values, at least one row.
pub(crate) fn rows_per_job(width: usize) -> usize {
    (VALUES_PER_JOB / width.max(1)).max(1)
}

/// Runs `f(offset, chunk)` over `out` cut into chunks of `chunk` values (the last may be
/// shorter), in parallel natively; `offset` is the chunk's first index into `out`. The cut does
/// not depend on the thread count, so neither do the results.
pub(crate) fn for_each_chunk(
    out: &mut [f32],
    chunk: usize,
    f: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    let chunk = chunk.max(1);
    let mut jobs: Vec<&mut [f32]> = out.chunks_mut(chunk).collect();
    for_each_job(&mut jobs, |j, out| f(j * chunk, out));
}

/// Defines a kernel function whose body is compiled three times natively: for baseline x86-64,
/// with AVX2 and with AVX-512F enabled, the widest the CPU has taken at run time.
///
/// Why: a native build targets baseline x86-64, so the kernels' loops vectorise 4 floats wide
/// (SSE2) while the CPU could do 8 or 16 (the gemm crate picks AVX2 or AVX-512 at run time; our
/// own kernels did not). The body is `#[inline(always)]` into `#[target_feature]` copies, so it
/// and the small `#[inline(always)]` helpers it calls vectorise 8 or 16 wide there (AVX-512:
/// GELU's backward pass went from 4.5% to 3.1% of a baby step, the others about even). No FMA:
/// Rust never contracts `a * b + c`, so every copy computes bit for bit the same values. In
/// wasm32 there is one copy (SIMD128 is on for the whole build). Arguments are plain
/// `name: Type` pairs.
macro_rules! wide_kernel {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                #[allow(clippy::too_many_arguments)]
                fn avx512($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F (checked just above).
                    return unsafe { avx512($($arg),*) };
                }
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2 (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use wide_kernel;

/// Lanes of the partial sums in [`sum_map`] and [`sum_map2`]: one 256-bit vector of f32 (two
/// SSE registers natively, two SIMD128 ones in wasm32).
const LANES: usize = 8;

/// `sum_i f(a_i)`, accumulated in [`LANES`] interleaved partial sums so that the loop
/// vectorises (a single running sum is a dependency chain the compiler may not reorder).
#[inline(always)]
pub(crate) fn sum_map(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().map(|&x| f(x)).sum();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += f(c[l]);
        }
    }
    fold_lanes(acc) + tail
}

/// `sum_i f(a_i, b_i)` over two equally long slices, as [`sum_map`].
#[inline(always)]
pub(crate) fn sum_map2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = (ca.remainder().iter().zip(cb.remainder()))
        .map(|(&x, &y)| f(x, y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += f(x[l], y[l]);
        }
    }
    fold_lanes(acc) + tail
}

/// The largest value of `a` (negative infinity when empty), with [`LANES`] running maxima.
///
/// A compare and select, not `f32::max`: in wasm32 `f32::max` is a call to libm's `fmaxf` per
/// value (WebAssembly's `f32.max` propagates NaN, Rust's `max` ignores it, so LLVM cannot use
/// it; 1.2% of the browser's step), while `if x > m` becomes `f32x4.pmax`. Both ignore NaN here:
/// a NaN never compares greater, and the running maxima start at negative infinity.
#[inline(always)]
pub(crate) fn max_of(a: &[f32]) -> f32 {
    #[inline(always)]
    fn larger(m: f32, x: f32) -> f32 {
        if x > m { x } else { m }
    }
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &x| larger(m, x));
    for c in chunks {
        for l in 0..LANES {
            acc[l] = larger(acc[l], c[l]);
        }
    }
    acc.iter().fold(tail, |m, &x| larger(m, x))
}

/// The partial sums added pairwise.
#[inline(always)]
fn fold_lanes(acc: [f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
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

    /// The devices the fused ops are tested on: `flex`, and with the `wgpu` feature the
    /// default wgpu adapter (Mesa's lavapipe on a machine without a GPU), both with autodiff.
    pub fn devices() -> Vec<burn::tensor::Device> {
        #[allow(unused_mut)]
        let mut devices = vec![crate::device::cpu()];
        #[cfg(feature = "wgpu")]
        devices.push(burn::tensor::Device::wgpu(Default::default()).autodiff());
        devices
    }

    pub(crate) use super::self_check::on;

    /// `n` deterministic values in [-1, 1), different for each `seed`: operands of the kernels'
    /// exact-arithmetic tests (no random generator, so a failure reproduces as it is).
    pub fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::max_of;

    /// `max_of` is the maximum on every length around the lane count, wherever the maximum
    /// lies, and ignores NaN as `f32::max` does.
    #[test]
    fn max_of_is_the_maximum_and_ignores_nan() {
        assert_eq!(max_of(&[]), f32::NEG_INFINITY);
        assert_eq!(
            max_of(&[f32::NAN]),
            f32::NEG_INFINITY,
            "as f32::max folds it"
        );
        for n in 1..40 {
            for at in 0..n {
                let mut a: Vec<f32> = (0..n).map(|i| -100.0 - i as f32).collect();
                a[at] = -1.5;
                assert_eq!(max_of(&a), -1.5, "n = {n}, maximum at {at}");
                if n > 1 {
                    a[(at + 1) % n] = f32::NAN;
                    assert_eq!(
                        max_of(&a),
                        -1.5,
                        "n = {n}, maximum at {at}, a NaN beside it"
                    );
                }
            }
        }
        assert_eq!(
            max_of(&[f32::NEG_INFINITY, f32::INFINITY, 3.0]),
            f32::INFINITY
        );
    }
}
