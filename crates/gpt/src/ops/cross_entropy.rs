//! The mean next-token cross-entropy of logits against target ids, `mean_r(lse(x_r) - x_r[t_r])`,
//! in one pass over the logits, and its gradient in one more.
//!
//! Why fused: the composition ([`reference()`]) materialises the log-probabilities (`log_softmax`:
//! max, subtract, exp, sum, log, subtract: a `[rows, V]` tensor after each), gathers one value
//! per row and averages; autodiff records each step and walks them all back. For GPT-2's
//! vocabulary of 50,257 that is ~6 full-size `[rows, V]` buffers forward and as many backward.
//! Here the forward keeps one number per row (its log-sum-exp), and the backward writes the
//! gradient directly: `dx_r = (softmax(x_r) - onehot(t_r)) * g / rows`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};

use super::{exp::exp, f32s, for_each_job};

/// Mean cross-entropy of `logits [rows, V]` against `targets [rows]` (ids below V): `[1]`.
/// A fused kernel on `flex` (and on wgpu with the `wgpu` feature), the composition elsewhere.
/// A target outside the vocabulary makes the fused loss NaN (callers check their tokens first).
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    if !super::fused_here(&logits) {
        return reference(logits, targets);
    }
    Tensor::from_dispatch(
        <burn::backend::Dispatch as CrossEntropyBackend>::fused_cross_entropy(
            logits.into_dispatch(),
            targets.into_dispatch(),
        ),
    )
}

/// The composition the fused kernel replaces: log-softmax, pick the target's, average, negate.
pub fn reference(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let rows = logits.dims()[0];
    let log_probs = log_softmax(logits, 1); // [rows, V]
    log_probs.gather(1, targets.reshape([rows, 1])).mean().neg()
}

/// The backend operation behind [`cross_entropy`].
#[backend_extension(Flex, Cube: cfg(feature = "wgpu"), Autodiff)]
pub trait CrossEntropyBackend: Backend {
    /// Mean cross-entropy, `[rows, V]` and `[rows]` -> `[1]`.
    fn fused_cross_entropy(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> FloatTensor<Self>;
}

impl CrossEntropyBackend for Flex {
    fn fused_cross_entropy(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        let (loss, _) = kernel::forward(&f32s(&logits), &ids(targets), vocab(&logits));
        FlexTensor::from_data(TensorData::new(vec![loss], [1]))
    }
}

/// The cross-entropy's kernels for training, on a backend that runs [`CrossEntropyBackend`].
pub trait CrossEntropyGrad: Backend {
    /// The mean loss `[1]` and each row's log-sum-exp as `(max, ln sum exp(x - max))`:
    /// `[rows, 2]`, which the backward pass needs.
    fn fused_cross_entropy_forward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);

    /// d`logits` of the mean loss scaled by `g` (`[1]`): `(softmax(x_r) - onehot(t_r)) * g / rows`.
    fn fused_cross_entropy_backward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
        lse: FloatTensor<Self>,
        g: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

impl CrossEntropyGrad for Flex {
    fn fused_cross_entropy_forward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (loss, lse) = kernel::forward(&f32s(&logits), &ids(targets), vocab(&logits));
        let rows = lse.len();
        let lse: Vec<f32> = lse.into_iter().flat_map(|(m, l)| [m, l]).collect();
        (
            FlexTensor::from_data(TensorData::new(vec![loss], [1])),
            FlexTensor::from_data(TensorData::new(lse, [rows, 2])),
        )
    }

    fn fused_cross_entropy_backward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
        lse: FloatTensor<Self>,
        g: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let shape = logits.layout().shape().clone();
        let lse: Vec<(f32, f32)> = f32s(&lse).chunks_exact(2).map(|p| (p[0], p[1])).collect();
        let dx = kernel::backward(&f32s(&logits), &ids(targets), &lse, f32s(&g)[0]);
        FlexTensor::from_data(TensorData::new(dx, shape))
    }
}

impl<B: CrossEntropyBackend + CrossEntropyGrad, C: CheckpointStrategy> CrossEntropyBackend
    for Autodiff<B, C>
{
    fn fused_cross_entropy(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        /// Backward of the cross-entropy: keeps the logits, the targets and each row's
        /// log-sum-exp (as max and log-sum).
        #[derive(Debug)]
        struct CrossEntropyBackward;

        impl<B: CrossEntropyGrad> Backward<B, 1> for CrossEntropyBackward {
            type State = (FloatTensor<B>, IntTensor<B>, FloatTensor<B>);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_logits] = ops.parents;
                let g = grads.consume::<B>(&ops.node);
                let (logits, targets, lse) = ops.state;
                if let Some(node) = node_logits {
                    let dx = B::fused_cross_entropy_backward(logits, targets, lse, g);
                    grads.register::<B>(node.id, dx);
                }
            }
        }

        let (loss, lse) =
            B::fused_cross_entropy_forward(logits.primitive().clone(), targets.clone());
        match CrossEntropyBackward
            .prepare::<C>([logits.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish((logits.into_primitive(), targets, lse), loss),
            OpsKind::UnTracked(prep) => prep.finish(loss),
        }
    }
}

/// The target ids as indices (a negative one becomes out of range).
fn ids(targets: FlexTensor) -> Vec<usize> {
    targets
        .into_data()
        .iter::<i64>()
        .map(|t| usize::try_from(t).unwrap_or(usize::MAX))
        .collect()
}

/// The vocabulary size V of `[rows, V]` logits.
fn vocab(logits: &FlexTensor) -> usize {
    logits.layout().shape().dims::<2>()[1]
}

/// The CPU kernels, on plain slices.
mod kernel {
    use super::super::{max_of, rows_per_job, sum_map};
    use super::{exp, for_each_job};

    /// `logits [rows, V]` and `targets [rows]` -> (mean loss, `(max, ln sum exp(x - max))` of
    /// every row: the log-sum-exp in two parts, so that the backward pass computes
    /// `x - max - ln_sum`, whose first difference is exact, instead of `x - lse`).
    pub fn forward(logits: &[f32], targets: &[usize], v: usize) -> (f32, Vec<(f32, f32)>) {
        let rows = targets.len();
        let mut lse = vec![(0.0f32, 0.0f32); rows];
        let mut losses = vec![0.0f64; rows];
        let per_job = rows_per_job(v);
        let mut jobs: Vec<_> = lse
            .chunks_mut(per_job)
            .zip(losses.chunks_mut(per_job))
            .collect();
        for_each_job(&mut jobs, |j, (lse, losses)| {
            for (k, (lse, loss)) in lse.iter_mut().zip(losses.iter_mut()).enumerate() {
                let r = j * per_job + k;
                let x = &logits[r * v..][..v];
                let max = max_of(x);
                let sum = sum_map(x, |a| exp(a - max));
                *lse = (max, sum.ln());
                *loss = match x.get(targets[r]) {
                    Some(&xt) => f64::from(sum.ln() - (xt - max)),
                    None => f64::NAN,
                };
            }
        });
        // Summed in f64: rows may be many, and the mean should not depend on their order.
        let mean = losses.iter().sum::<f64>() / rows.max(1) as f64;
        (mean as f32, lse)
    }

    /// d`logits` of the mean loss scaled by `g`: `(softmax(x_r) - onehot(t_r)) * g / rows`.
    pub fn backward(logits: &[f32], targets: &[usize], lse: &[(f32, f32)], g: f32) -> Vec<f32> {
        let rows = targets.len();
        let v = logits.len() / rows.max(1);
        let scale = g / rows.max(1) as f32;
        let mut dx = vec![0.0f32; logits.len()];
        let per_job = rows_per_job(v);
        let mut jobs: Vec<_> = dx.chunks_mut(per_job * v).collect();
        for_each_job(&mut jobs, |j, dx| {
            for (k, d) in dx.chunks_exact_mut(v).enumerate() {
                let r = j * per_job + k;
                let x = &logits[r * v..][..v];
                let (max, ln_sum) = lse[r];
                for (d, &a) in d.iter_mut().zip(x) {
                    *d = exp(a - max - ln_sum) * scale;
                }
                if let Some(d) = d.get_mut(targets[r]) {
                    *d -= scale;
                }
            }
        });
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{devices, max_diff, on, read};
    use super::*;
    use crate::device::cpu;
    use burn::tensor::{Device, Distribution, TensorData};

    /// Loss and d`logits` under `f`, scaled by an upstream gradient of 1.7.
    fn run(
        f: fn(Tensor<2>, Tensor<1, Int>) -> Tensor<1>,
        logits: &Tensor<2>,
        targets: &Tensor<1, Int>,
        device: &Device,
    ) -> (Vec<f32>, Vec<f32>) {
        let x = on(device, logits).require_grad();
        let targets = Tensor::<1, Int>::from_data(targets.to_data(), device);
        let loss = f(x.clone(), targets);
        let grads = loss.clone().mul_scalar(1.7).sum().backward();
        (read(loss), read(x.grad(&grads).expect("dlogits")))
    }

    #[test]
    fn loss_and_gradient_match_the_reference() {
        let device = cpu();
        // One row; a vocabulary of 1 (loss 0); odd sizes; large logits (a naive exp overflows);
        // a constant row (uniform softmax); GPT-2's vocabulary over a few rows.
        // Logits near 500 carry f32 rounding of ~3e-5 (relative 6e-8 of 500) into `x - lse`,
        // the reference's probabilities, hence that case's looser gradient tolerance.
        let cases: [(usize, usize, f32, f32, f32); 6] = [
            (1, 7, 1.0, 0.0, 2e-6),
            (5, 1, 3.0, 0.0, 2e-6),
            (37, 65, 2.0, 0.0, 2e-6),
            (9, 13, 30.0, 500.0, 1e-4),
            (4, 11, 0.0, 3.0, 2e-6),
            (3, 50_257, 1.0, 0.0, 2e-6),
        ];
        for (rows, v, sd, offset, tol) in cases {
            let logits = Tensor::<2>::random([rows, v], Distribution::Normal(0.0, 1.0), &device)
                .mul_scalar(sd)
                .add_scalar(offset);
            let ids: Vec<i64> = (0..rows).map(|r| ((r * 7 + 3) % v) as i64).collect();
            let targets = Tensor::<1, Int>::from_data(TensorData::new(ids, [rows]), &device);
            let theirs = run(reference, &logits, &targets, &device);
            for on_device in devices() {
                let ours = run(cross_entropy, &logits, &targets, &on_device);
                let loss_scale = theirs.0[0].abs().max(1.0);
                assert!(
                    (ours.0[0] - theirs.0[0]).abs() <= 1e-5 * loss_scale,
                    "loss of [{rows}, {v}]: {} vs {}",
                    ours.0[0],
                    theirs.0[0]
                );
                let scale = theirs.1.iter().fold(1.0f32, |m, d| m.max(d.abs()));
                let d = max_diff(&ours.1, &theirs.1);
                assert!(d <= tol * scale, "dlogits of [{rows}, {v}] differ by {d}");
                if v == 1 {
                    assert_eq!(ours.0[0], 0.0);
                }
            }
        }
    }

    #[test]
    fn the_gradient_rows_sum_to_zero_and_point_away_from_the_target() {
        let device = cpu();
        let logits = Tensor::<2>::random([6, 9], Distribution::Normal(0.0, 2.0), &device);
        let targets =
            Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 8, 4, 4, 1, 2], [6]), &device);
        for on_device in devices() {
            let (_, dx) = run(cross_entropy, &logits, &targets, &on_device);
            for (r, row) in dx.chunks(9).enumerate() {
                assert!(row.iter().sum::<f32>().abs() < 1e-6, "row {r}");
                let t = [0, 8, 4, 4, 1, 2][r];
                assert!(row[t] < 0.0 && row.iter().enumerate().all(|(j, &d)| j == t || d > 0.0));
            }
        }
    }

    #[test]
    fn without_autodiff_it_agrees_with_the_reference() {
        let device = cpu().inner();
        let logits = Tensor::<2>::random([4, 5], Distribution::Normal(0.0, 1.0), &device);
        let targets =
            Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 0, 4, 2], [4]), &device);
        let a = read(cross_entropy(logits.clone(), targets.clone()));
        let b = read(reference(logits, targets));
        assert!((a[0] - b[0]).abs() < 1e-6);
    }
}
