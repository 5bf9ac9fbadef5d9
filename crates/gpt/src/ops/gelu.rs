//! GELU with the exact error function, `0.5 x (1 + erf(x / sqrt 2))`, as in GPT-2's paper and
//! PyTorch's default `nn.GELU()`.
//!
//! Why fused: burn's `flex` backend evaluates GELU (and its backward pass) one element at a time
//! through libm's scalar `erff`, 6-9% of a baby training step natively. Here `erf` is a rational
//! approximation (odd numerator / even denominator polynomial in x, clamped to |x| <= 4, where
//! erf is ±1 in f32), written over slices so the compiler vectorises it (AVX2 natively through
//! `ops::wide_kernel`, SIMD128 in wasm32). It agrees with libm's `erff` to about 1e-7 absolute,
//! so the model's numerics stay put (tests below). The backward pass is one pass too: `g * (cdf + x * pdf)`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::exp::exp;
use super::{VALUES_PER_JOB, f32s, for_each_chunk};

/// The GELU of `x` (any shape): a fused kernel on `flex` (and on wgpu with the `wgpu`
/// feature), burn's own elsewhere.
pub fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if super::fused_here(&x) {
        Tensor::from_dispatch(<burn::backend::Dispatch as GeluBackend>::fused_gelu(
            x.into_dispatch(),
        ))
    } else {
        reference(x)
    }
}

/// The composition the fused kernel replaces: burn's GELU (exact erf).
pub fn reference<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    burn::tensor::activation::gelu(x)
}

/// The backend operation behind [`gelu`].
#[backend_extension(Flex, Cube: cfg(feature = "wgpu"), Autodiff)]
pub trait GeluBackend: Backend {
    /// GELU, element-wise.
    fn fused_gelu(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// GELU's backward kernel on a backend that runs [`GeluBackend`].
pub trait GeluGrad: Backend {
    /// `dx = g * (Phi(x) + x * phi(x))`, element-wise (`x` and `g` of one shape).
    fn fused_gelu_backward(x: FloatTensor<Self>, g: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl GeluBackend for Flex {
    fn fused_gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let shape = x.layout().shape().clone();
        let xs = f32s(&x);
        let mut out = vec![0.0f32; xs.len()];
        for_each_chunk(&mut out, VALUES_PER_JOB, |at, out| {
            forward(&xs[at..][..out.len()], out)
        });
        FlexTensor::from_data(TensorData::new(out, shape))
    }
}

impl GeluGrad for Flex {
    fn fused_gelu_backward(x: FloatTensor<Self>, g: FloatTensor<Self>) -> FloatTensor<Self> {
        let shape = x.layout().shape().clone();
        let (xs, gs) = (f32s(&x), f32s(&g));
        let mut dx = vec![0.0f32; xs.len()];
        for_each_chunk(&mut dx, VALUES_PER_JOB, |at, dx| {
            let n = dx.len();
            backward(&xs[at..][..n], &gs[at..][..n], dx)
        });
        FlexTensor::from_data(TensorData::new(dx, shape))
    }
}

impl<B: GeluBackend + GeluGrad, C: CheckpointStrategy> GeluBackend for Autodiff<B, C> {
    fn fused_gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        /// Backward of GELU: keeps the input, `dx = g * (Phi(x) + x * phi(x))`.
        #[derive(Debug)]
        struct GeluBackward;

        impl<B: GeluGrad> Backward<B, 1> for GeluBackward {
            type State = FloatTensor<B>; // the input x

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let x = ops.state;
                unary::<B, _>(ops.parents, ops.node, grads, |g| {
                    B::fused_gelu_backward(x, g)
                });
            }
        }

        match GeluBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let input = x.primitive().clone();
                let out = B::fused_gelu(input.clone());
                prep.finish(input, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::fused_gelu(x.into_primitive())),
        }
    }
}

pub(crate) const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `1 / sqrt(2 pi)`, the standard normal density at 0.
pub(crate) const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

super::wide_kernel! {
    /// GELU of every value of `xs` into `out`.
    fn forward(xs: &[f32], out: &mut [f32]) {
        for (y, &x) in out.iter_mut().zip(xs) {
            *y = 0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2));
        }
    }
}

super::wide_kernel! {
    /// GELU's backward pass: `dx = g * (Phi(x) + x * phi(x))` for every value.
    fn backward(xs: &[f32], gs: &[f32], dx: &mut [f32]) {
        for ((d, &x), &g) in dx.iter_mut().zip(xs).zip(gs) {
            let cdf = 0.5 * (1.0 + erf(x * FRAC_1_SQRT_2));
            let pdf = FRAC_1_SQRT_2PI * exp(-0.5 * x * x);
            *d = g * (cdf + x * pdf);
        }
    }
}

/// The error function, as a rational function of `x` on [-4, 4] (erf(±4) rounds to ±1 in f32):
/// `x P(x²) / Q(x²)`, with the minimax coefficients Eigen and XLA use for f32. Branch-free, so
/// it vectorises.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_600_1e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329e-3;
    q = q * x2 - 1.426_474e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::super::testing::{devices, max_diff, on, read};
    use super::*;
    use crate::device::cpu;
    use burn::tensor::{Device, Distribution};

    /// Inputs that cover the curve: a dense sweep of [-8, 8], zero, tiny and huge values.
    fn sweep() -> Vec<f32> {
        let mut xs: Vec<f32> = (-8000..=8000).map(|i| i as f32 / 1000.0).collect();
        xs.extend([
            0.0, -0.0, 1e-7, -1e-7, 3.999, 4.001, -4.001, 1e4, -1e4, 3e38, -3e38,
        ]);
        xs
    }

    #[test]
    fn erf_matches_libm_to_a_few_ulps() {
        // burn's GELU on flex uses libm's erff: our polynomial is compared through it, on every
        // device (burn's own GELU on wgpu uses another erf, good to ~1e-6, so the oracle is
        // the CPU's).
        let xs = sweep();
        let n = xs.len();
        let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [n]), &cpu().inner());
        let reference = read(reference(x.clone()));
        for device in devices() {
            let ours = read(gelu(on(&device.inner(), &x)));
            assert_ne!(
                ours, reference,
                "the fused kernel ran (it differs from libm in a few ulps)"
            );
            for ((&x, &a), &b) in xs.iter().zip(&ours).zip(&reference) {
                // Absolute 1e-6 near zero, relative 1e-6 for large |x| (where GELU is x or 0).
                let tol = 1e-6 * x.abs().max(1.0);
                assert!((a - b).abs() <= tol, "gelu({x}) = {a}, reference {b}");
            }
        }
    }

    #[test]
    fn forward_and_gradient_match_the_reference_on_odd_shapes() {
        for shape in [[1, 1, 1], [3, 5, 7], [2, 64, 17]] {
            let x = Tensor::<3>::random(shape, Distribution::Normal(0.0, 3.0), &cpu());
            let w = Tensor::<3>::random(shape, Distribution::Normal(0.0, 1.0), &cpu());
            let run = |f: fn(Tensor<3>) -> Tensor<3>, device: &Device| {
                let x = on(device, &x).require_grad();
                let y = f(x.clone());
                let grads = (y.clone() * on(device, &w)).sum().backward();
                let dx = x.grad(&grads).expect("x has a gradient");
                (read(y), read(dx))
            };
            let (y_ref, dx_ref) = run(reference, &cpu());
            for device in devices() {
                let (y, dx) = run(gelu, &device);
                assert!(
                    max_diff(&y, &y_ref) <= 1e-5,
                    "forward {shape:?} on {device:?}: {}",
                    max_diff(&y, &y_ref)
                );
                assert!(
                    max_diff(&dx, &dx_ref) <= 1e-5,
                    "gradient {shape:?} on {device:?}: {}",
                    max_diff(&dx, &dx_ref)
                );
            }
        }
    }

    #[test]
    fn a_transposed_view_gives_the_values_of_its_copy() {
        let device = cpu().inner();
        let x = Tensor::<2>::random([6, 9], Distribution::Normal(0.0, 2.0), &device);
        let view = gelu(x.clone().transpose());
        let copy = gelu(Tensor::<2>::from_data(x.transpose().into_data(), &device));
        assert_eq!(read(view), read(copy));
    }
}
