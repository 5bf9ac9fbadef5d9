//! LayerNorm over the last dimension, `(x - mean) / sqrt(var + eps) * gamma + beta`, with one
//! pass per row forward and one backward.
//!
//! Why fused: burn's `layer_norm` is a composition of 8 tensor ops (mean, subtract, square,
//! mean, add, sqrt, divide, scale and shift), and autodiff records every one of them, so the
//! backward pass walks the `[B, T, C]` activations about 15 times per LayerNorm. Here the
//! backward pass recomputes each row's mean and scale (C values: cheaper than keeping them) and
//! writes dx, and accumulates dgamma and dbeta, in one sweep:
//! `dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)`, `dxhat = dy * gamma`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};

use super::{f32s, for_each_chunk, for_each_job, rows_per_job};
use burn::tensor::{Tensor, TensorData};

/// LayerNorm of `x` (`[.., C]`) with gain and bias (`[C]`): a fused kernel on `flex` (and on
/// wgpu with the `wgpu` feature), burn's composition elsewhere or without a bias.
pub fn layer_norm<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Option<Tensor<1>>,
    eps: f64,
) -> Tensor<D> {
    match beta {
        Some(beta) if super::fused_here(&x) => Tensor::from_dispatch(
            <burn::backend::Dispatch as LayerNormBackend>::fused_layer_norm(
                x.into_dispatch(),
                gamma.into_dispatch(),
                beta.into_dispatch(),
                eps as f32,
            ),
        ),
        beta => reference(x, gamma, beta, eps),
    }
}

/// The composition the fused kernel replaces: burn's `layer_norm`.
pub fn reference<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Option<Tensor<1>>,
    eps: f64,
) -> Tensor<D> {
    burn::tensor::module::layer_norm(x, gamma, beta, eps)
}

/// The backend operation behind [`layer_norm`].
#[backend_extension(Flex, Cube: cfg(feature = "wgpu"), Autodiff)]
pub trait LayerNormBackend: Backend {
    /// LayerNorm over the last dimension.
    fn fused_layer_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        eps: f32,
    ) -> FloatTensor<Self>;
}

impl LayerNormBackend for Flex {
    fn fused_layer_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        eps: f32,
    ) -> FloatTensor<Self> {
        let shape = x.layout().shape().clone();
        let (x, gamma, beta) = (f32s(&x), f32s(&gamma), f32s(&beta));
        let mut out = vec![0.0f32; x.len()];
        let per_job = rows_per_job(gamma.len()) * gamma.len();
        for_each_chunk(&mut out, per_job, |at, out| {
            forward_rows(&x[at..][..out.len()], &gamma, &beta, eps, out)
        });
        FlexTensor::from_data(TensorData::new(out, shape))
    }
}

/// The gradients of LayerNorm's three inputs: `(dx, dgamma, dbeta)`.
pub type LayerNormGrads<B> = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

/// LayerNorm's backward kernel on a backend that runs [`LayerNormBackend`].
pub trait LayerNormGrad: Backend {
    /// dx, dgamma and dbeta for the output gradient `dy`, from the input `x` and `gamma`.
    fn fused_layer_norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        eps: f32,
    ) -> LayerNormGrads<Self>;
}

impl LayerNormGrad for Flex {
    fn fused_layer_norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        eps: f32,
    ) -> LayerNormGrads<Self> {
        let shape = x.layout().shape().clone();
        let (x, gamma, dy) = (f32s(&x), f32s(&gamma), f32s(&dy));
        let c = gamma.len();
        let mut dx = vec![0.0f32; x.len()];
        // Each job sums dgamma and dbeta over its rows; the jobs' sums are added in order, so
        // the result does not depend on the thread count.
        let per_job = rows_per_job(c) * c;
        let mut jobs: Vec<_> = dx
            .chunks_mut(per_job)
            .map(|dx| (dx, vec![0.0f32; c], vec![0.0f32; c]))
            .collect();
        for_each_job(&mut jobs, |j, (dx, dgamma, dbeta)| {
            let rows = (j * per_job)..(j * per_job + dx.len());
            let (x, dy) = (&x[rows.clone()], &dy[rows]);
            backward_rows(x, &gamma, dy, eps, dx, dgamma, dbeta);
        });
        let mut dgamma = vec![0.0f32; c];
        let mut dbeta = vec![0.0f32; c];
        for (_, dg, db) in &jobs {
            dgamma.iter_mut().zip(dg).for_each(|(a, b)| *a += b);
            dbeta.iter_mut().zip(db).for_each(|(a, b)| *a += b);
        }
        drop(jobs);
        let tensor = |v: Vec<f32>, shape| FlexTensor::from_data(TensorData::new(v, shape));
        (
            tensor(dx, shape),
            tensor(dgamma, [c].into()),
            tensor(dbeta, [c].into()),
        )
    }
}

impl<B: LayerNormBackend + LayerNormGrad, C: CheckpointStrategy> LayerNormBackend
    for Autodiff<B, C>
{
    fn fused_layer_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        eps: f32,
    ) -> FloatTensor<Self> {
        /// Backward of LayerNorm: keeps x and gamma, gives dx, dgamma and dbeta.
        #[derive(Debug)]
        struct LayerNormBackward;

        impl<B: LayerNormGrad> Backward<B, 3> for LayerNormBackward {
            type State = (FloatTensor<B>, FloatTensor<B>, f32);

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let dy = grads.consume::<B>(&ops.node);
                let (x, gamma, eps) = ops.state;
                let (dx, dgamma, dbeta) = B::fused_layer_norm_backward(x, gamma, dy, eps);
                let parents = ops.parents.map(|p| p.map(|node| node.id));
                super::register_grads::<B, 3>(grads, parents, [dx, dgamma, dbeta]);
            }
        }

        match LayerNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, gp) = (x.primitive().clone(), gamma.primitive().clone());
                let out = B::fused_layer_norm(xp.clone(), gp.clone(), beta.into_primitive(), eps);
                prep.finish((xp, gp, eps), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::fused_layer_norm(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                eps,
            )),
        }
    }
}

super::wide_kernel! {
    /// LayerNorm over rows of `x` (`[.., C]`) into `out`.
    fn forward_rows(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
        let c = gamma.len();
        for (row, y) in x.chunks_exact(c).zip(out.chunks_exact_mut(c)) {
            let (mean, denom) = moments(row, eps);
            for (((y, &v), &g), &b) in y.iter_mut().zip(row).zip(gamma).zip(beta) {
                *y = (v - mean) / denom * g + b;
            }
        }
    }
}

super::wide_kernel! {
    /// LayerNorm's backward pass over rows of `x` (`[.., C]`): writes `dx`, adds into
    /// `dgamma` and `dbeta` (`[C]`).
    fn backward_rows(
        x: &[f32],
        gamma: &[f32],
        dy: &[f32],
        eps: f32,
        dx: &mut [f32],
        dgamma: &mut [f32],
        dbeta: &mut [f32],
    ) {
        let c = gamma.len();
        let mut xhat = vec![0.0f32; c];
        let mut dxhat = vec![0.0f32; c];
        for ((row, dy), dx) in x
            .chunks_exact(c)
            .zip(dy.chunks_exact(c))
            .zip(dx.chunks_exact_mut(c))
        {
            // Element-wise loops and lane-wise sums (see `ops::sum_map`): each vectorises.
            let (mean, denom) = moments(row, eps);
            for (xh, &v) in xhat.iter_mut().zip(row) {
                *xh = (v - mean) / denom;
            }
            for ((dxh, &d), &g) in dxhat.iter_mut().zip(dy).zip(gamma.iter()) {
                *dxh = d * g;
            }
            for (((dg, db), &d), &xh) in
                dgamma.iter_mut().zip(dbeta.iter_mut()).zip(dy).zip(&xhat)
            {
                *dg += d * xh;
                *db += d;
            }
            let a = super::sum_map(&dxhat, |v| v) / c as f32;
            let b = super::sum_map2(&dxhat, &xhat, |d, x| d * x) / c as f32;
            for ((dx, &dxh), &xh) in dx.iter_mut().zip(&dxhat).zip(&xhat) {
                *dx = (dxh - a - xh * b) / denom;
            }
        }
    }
}

/// A row's mean and `sqrt(var + eps)` (biased variance, two passes: as burn's composition;
/// the sums lane-wise).
#[inline(always)]
fn moments(row: &[f32], eps: f32) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = super::sum_map(row, |v| v) / n;
    let var = super::sum_map(row, |v| (v - mean) * (v - mean)) / n;
    (mean, (var + eps).sqrt())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{devices, max_diff, on, read};
    use super::*;
    use crate::device::cpu;
    use burn::tensor::{Device, Distribution};

    /// Output and the gradients of x, gamma and beta under a random linear loss, for `f`.
    fn run(
        f: fn(Tensor<3>, Tensor<1>, Option<Tensor<1>>, f64) -> Tensor<3>,
        x: &Tensor<3>,
        gamma: &Tensor<1>,
        beta: &Tensor<1>,
        w: &Tensor<3>,
        device: &Device,
    ) -> [Vec<f32>; 4] {
        let (x, gamma, beta) = (
            on(device, x).require_grad(),
            on(device, gamma).require_grad(),
            on(device, beta).require_grad(),
        );
        let y = f(x.clone(), gamma.clone(), Some(beta.clone()), 1e-5);
        let grads = (y.clone() * on(device, w)).sum().backward();
        [
            read(y),
            read(x.grad(&grads).expect("dx")),
            read(gamma.grad(&grads).expect("dgamma")),
            read(beta.grad(&grads).expect("dbeta")),
        ]
    }

    #[test]
    fn forward_and_every_gradient_match_the_reference() {
        let device = cpu();
        let normal = |shape: [usize; 3], sd| {
            Tensor::<3>::random(shape, Distribution::Normal(0.0, sd), &device)
        };
        // Odd shapes, one channel (the output is beta), a constant row; and a large offset, where
        // f32 rounding of the mean (1e3 / 2^23 per value) bounds both sides' agreement, and where
        // a one-pass variance (E[x^2] - E[x]^2) would be off by percents. 300 channels: more
        // than the GPU kernel's 256 threads per row.
        let constant = Tensor::<3>::full([2, 3, 8], 7.0, &device);
        let offset = normal([2, 5, 16], 1.0).add_scalar(1e3);
        let cases = [
            (normal([1, 1, 1], 1.0), 2e-5),
            (normal([3, 5, 7], 2.0), 2e-5),
            (normal([2, 64, 48], 1.0), 2e-5),
            (normal([1, 3, 300], 1.0), 2e-5),
            (constant, 2e-5),
            (offset, 1e-3),
        ];
        for (x, tol) in cases {
            let c = x.dims()[2];
            let gamma = Tensor::<1>::random([c], Distribution::Normal(1.0, 0.5), &device);
            let beta = Tensor::<1>::random([c], Distribution::Normal(0.0, 0.5), &device);
            let w = Tensor::<3>::random(x.dims(), Distribution::Normal(0.0, 1.0), &device);
            let reference = run(reference, &x, &gamma, &beta, &w, &device);
            for on_device in devices() {
                let ours = run(layer_norm, &x, &gamma, &beta, &w, &on_device);
                if c == 48 {
                    // The fused kernel ran: its sums round differently from burn's in a few
                    // places.
                    assert_ne!(ours[1], reference[1], "dx is not burn's own");
                }
                for (k, what) in ["y", "dx", "dgamma", "dbeta"].iter().enumerate() {
                    let scale = reference[k].iter().fold(1.0f32, |m, v| m.max(v.abs()));
                    let d = max_diff(&ours[k], &reference[k]);
                    assert!(
                        d <= tol * scale,
                        "{what} of {:?} on {on_device:?}: differs by {d} (scale {scale})",
                        x.dims()
                    );
                }
            }
        }
    }

    #[test]
    fn without_a_bias_or_off_the_cpu_kernel_it_is_the_reference() {
        let device = cpu().inner();
        let x = Tensor::<3>::random([2, 3, 8], Distribution::Normal(0.0, 1.0), &device);
        let gamma = Tensor::<1>::random([8], Distribution::Normal(1.0, 0.5), &device);
        let a = read(layer_norm(x.clone(), gamma.clone(), None, 1e-5));
        let b = read(reference(x, gamma, None, 1e-5));
        assert_eq!(a, b);
    }
}
