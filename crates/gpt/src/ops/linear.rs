//! A linear layer's product and bias, `y = x W + b`, on our own matrix product (`ops::matmul`).
//!
//! Why fused: the browser's CPU path spends ~70% of a training step in matrix products, and
//! those are burn `flex`'s `gemm` calls (module docs of `ops::matmul` for why ours is faster
//! there). Taking the layer as one op hands all three of its products to our kernel: forward
//! `x W`, backward `dx = dy W^T` and `dW = x^T dy` (transposes are strides, never copies), plus
//! the bias: added in the same pass as the product's output, and `db` as column sums of `dy`.
//! It is used only where [`OWN_GEMM`](super::matmul::OWN_GEMM) is on (the relaxed-SIMD browser
//! package); elsewhere burn's `linear` (the reference) runs. Sums are taken in another order
//! (and with FMA), so values agree with the reference to rounding, not bit for bit.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::matmul::{OWN_GEMM, View, gemm};
use super::{f32s, is_flex};

/// `x [rows, d_in]` times `weight [d_in, d_out]` plus `bias [d_out]`: the fused op where our
/// product pays (see the module docs), burn's `linear` elsewhere or without a bias.
pub fn linear(x: Tensor<2>, weight: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<2> {
    match bias {
        Some(bias) if OWN_GEMM && is_flex(&x.device()) => fused(x, weight, bias),
        bias => reference(x, weight, bias),
    }
}

/// The composition the fused op replaces: burn's `linear`.
pub fn reference(x: Tensor<2>, weight: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<2> {
    burn::tensor::module::linear(x, weight, bias)
}

/// The fused op itself, whatever [`OWN_GEMM`] says (for the tests and `ops::self_check`, which
/// check the product's packing and edges on every build). `x` must live on `flex`.
pub fn fused(x: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<2> {
    Tensor::from_dispatch(<burn::backend::Dispatch as LinearBackend>::fused_linear(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

/// The backend operation behind [`linear`].
#[backend_extension(Flex, Autodiff)]
pub trait LinearBackend: Backend {
    /// `x [rows, d_in] W [d_in, d_out] + b [d_out]`.
    fn fused_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// The shapes of a linear layer's operands: `(rows, d_in, d_out)`.
fn dims(x: &FlexTensor, weight: &FlexTensor) -> (usize, usize, usize) {
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    assert_eq!(xs[1], ws[0], "linear: x [rows, d_in] and W [d_in, d_out]");
    (xs[0], ws[0], ws[1])
}

impl LinearBackend for Flex {
    fn fused_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (rows, d_in, d_out) = dims(&x, &weight);
        let (x, w, b) = (f32s(&x), f32s(&weight), f32s(&bias));
        // Start every row from the bias and accumulate the product onto it.
        let mut y = vec![0.0f32; rows * d_out];
        y.chunks_exact_mut(d_out.max(1))
            .for_each(|row| row.copy_from_slice(&b));
        gemm(
            View::rows(&x, rows, d_in),
            View::rows(&w, d_in, d_out),
            &mut y,
            true,
        );
        FlexTensor::from_data(TensorData::new(y, [rows, d_out]))
    }
}

/// The gradients of a linear layer's three inputs: `(dx, dW, db)`.
pub type LinearGrads<B> = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

/// The linear layer's backward kernel on a backend that runs [`LinearBackend`].
pub trait LinearGrad: Backend {
    /// `dx = dy W^T`, `dW = x^T dy`, `db = sum over rows of dy`.
    fn fused_linear_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        dy: FloatTensor<Self>,
    ) -> LinearGrads<Self>;
}

impl LinearGrad for Flex {
    fn fused_linear_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        dy: FloatTensor<Self>,
    ) -> LinearGrads<Self> {
        let (rows, d_in, d_out) = dims(&x, &weight);
        let (x, w, dy_values) = (f32s(&x), f32s(&weight), f32s(&dy));
        let (x, w, dy) = (
            View::rows(&x, rows, d_in),
            View::rows(&w, d_in, d_out),
            View::rows(&dy_values, rows, d_out),
        );
        let mut dx = vec![0.0f32; rows * d_in];
        gemm(dy, w.t(), &mut dx, false); // [rows, d_out] x [d_out, d_in]
        let mut dw = vec![0.0f32; d_in * d_out];
        gemm(x.t(), dy, &mut dw, false); // [d_in, rows] x [rows, d_out]
        let mut db = vec![0.0f32; d_out];
        for row in dy_values[..rows * d_out].chunks_exact(d_out) {
            db.iter_mut().zip(row).for_each(|(s, v)| *s += v);
        }
        let tensor = |v: Vec<f32>, shape: [usize; 2]| {
            FlexTensor::from_data(TensorData::new(v, shape.to_vec()))
        };
        (
            tensor(dx, [rows, d_in]),
            tensor(dw, [d_in, d_out]),
            FlexTensor::from_data(TensorData::new(db, [d_out])),
        )
    }
}

impl<B: LinearBackend + LinearGrad, C: CheckpointStrategy> LinearBackend for Autodiff<B, C> {
    fn fused_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        /// Backward of the linear layer: keeps x and W, gives dx, dW and db.
        #[derive(Debug)]
        struct LinearBackward;

        impl<B: LinearGrad> Backward<B, 3> for LinearBackward {
            type State = (FloatTensor<B>, FloatTensor<B>);

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let dy = grads.consume::<B>(&ops.node);
                let (x, w) = ops.state;
                let (dx, dw, db) = B::fused_linear_backward(x, w, dy);
                let parents = ops.parents.map(|p| p.map(|node| node.id));
                super::register_grads::<B, 3>(grads, parents, [dx, dw, db]);
            }
        }

        match LinearBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.primitive().clone(), weight.primitive().clone());
                let out = B::fused_linear(xp.clone(), wp.clone(), bias.into_primitive());
                prep.finish((xp, wp), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::fused_linear(
                x.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::max_diff;
    use super::*;
    use crate::device::cpu;
    use burn::tensor::Distribution;

    /// Output and the gradients of x, W and b under a random linear loss.
    fn run(
        f: fn(Tensor<2>, Tensor<2>, Tensor<1>) -> Tensor<2>,
        [x, w, b, probe]: &[Tensor<2>; 4],
    ) -> [Vec<f32>; 4] {
        let read = |t: Tensor<2>| super::super::testing::read(t);
        let (x, w) = (x.clone().require_grad(), w.clone().require_grad());
        let bias = b.clone().reshape([b.dims()[1]]).require_grad();
        let y = f(x.clone(), w.clone(), bias.clone());
        let grads = (y.clone() * probe.clone()).sum().backward();
        let g = |t: Option<Tensor<2>>| read(t.expect("a gradient"));
        [
            read(y),
            g(x.grad(&grads)),
            g(w.grad(&grads)),
            read(
                bias.grad(&grads)
                    .expect("a gradient")
                    .reshape([1, b.dims()[1]]),
            ),
        ]
    }

    #[test]
    fn forward_and_gradients_match_burns_linear_on_odd_shapes() {
        // One row, edges of the 4 x 8 tile, and baby's MLP shape (beyond one 256-deep block).
        for (rows, d_in, d_out) in [(1, 1, 1), (3, 5, 7), (9, 17, 33), (130, 300, 70)] {
            let normal = |shape: [usize; 2]| {
                Tensor::<2>::random(shape, Distribution::Normal(0.0, 1.0), &cpu())
            };
            let inputs = [
                normal([rows, d_in]),
                normal([d_in, d_out]),
                normal([1, d_out]),
                normal([rows, d_out]),
            ];
            let want = run(|x, w, b| reference(x, w, Some(b)), &inputs);
            let got = run(fused, &inputs);
            for (what, (g, w)) in ["y", "dx", "dW", "db"].iter().zip(got.iter().zip(&want)) {
                let scale = w.iter().fold(1.0f32, |m, v| m.max(v.abs()));
                let diff = max_diff(g, w);
                assert!(
                    diff <= 2e-5 * scale,
                    "{what} [{rows}, {d_in}] x [{d_in}, {d_out}]: {diff} (scale {scale})"
                );
            }
        }
    }

    #[test]
    fn without_own_gemm_or_bias_the_reference_runs() {
        let x = Tensor::<2>::random([3, 4], Distribution::Normal(0.0, 1.0), &cpu());
        let w = Tensor::<2>::random([4, 5], Distribution::Normal(0.0, 1.0), &cpu());
        let b = Tensor::<1>::random([5], Distribution::Normal(0.0, 1.0), &cpu());
        let read = super::super::testing::read;
        assert_eq!(
            read(linear(x.clone(), w.clone(), None)),
            read(reference(x.clone(), w.clone(), None))
        );
        // Natively OWN_GEMM is off, so `linear` is burn's, bit for bit.
        const { assert!(!OWN_GEMM) };
        assert_eq!(
            read(linear(x.clone(), w.clone(), Some(b.clone()))),
            read(reference(x, w, Some(b)))
        );
    }
}
