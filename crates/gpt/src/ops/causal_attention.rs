//! The core of (causal) self-attention for all heads at once,
//! `softmax(q k^T / sqrt(head_dim) + mask) v`, straight from `c_attn`'s `[B, T, 3C]` output to
//! `c_proj`'s `[B, T, C]` input.
//!
//! Why fused: the composition ([`reference()`]) splits the heads with a permute copy, builds a
//! `[T, T]` mask on the host and uploads it, runs softmax as ~6 passes (each recorded by
//! autodiff), multiplies 64×32 matrices through gemm (too small for its packing to pay) and
//! merges the heads with another copy; its backward walks all of that again. The fused kernel
//! reads each head's q, k and v where `c_attn` wrote them, computes only the scores a query may
//! see (the causal structure is a loop bound: no mask tensor exists), normalises each row in
//! place and writes its slice of the output. It keeps the probabilities, which the backward pass
//! needs and the panels show, instead of recomputing them.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Flex, backend_extension};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::f32s;
use crate::model::dropout;

/// Added to the scores of forbidden (future) positions in the reference path. Large enough that
/// `exp` underflows to exactly 0 in f32, finite so that no NaN can appear.
const MASKED: f32 = -1e9;

/// `qkv [B, T, 3C]` -> (`y [B, T, C]`, attention probabilities `[B, H, T, T]`) for `n_head`
/// heads; query `i` sees keys `0..=i` when `causal`, all keys otherwise. In training with
/// `dropout > 0`, that fraction of the attention weights is zeroed (the rest scaled up) before
/// they mix the values; the probabilities returned are the ones before dropout. A fused kernel
/// on `flex` (and on wgpu with the `wgpu` feature), the composition elsewhere.
pub fn causal_attention(
    qkv: Tensor<3>,
    n_head: usize,
    causal: bool,
    dropout: f64,
    train: bool,
) -> (Tensor<3>, Tensor<4>) {
    if !super::fused_here(&qkv) {
        return reference(qkv, n_head, causal, dropout, train);
    }
    let [b, t, _] = qkv.dims();
    let (y, probs) = if train && dropout > 0.0 {
        // Which weights survive, already scaled by 1 / (1 - p): the draw `dropout` makes.
        let keep = dropout::keep_mask::<4>([b, n_head, t, t].into(), dropout, &qkv.device());
        <burn::backend::Dispatch as AttentionBackend>::fused_attention_dropout(
            qkv.into_dispatch(),
            keep.into_dispatch(),
            n_head,
            causal,
        )
    } else {
        <burn::backend::Dispatch as AttentionBackend>::fused_attention(
            qkv.into_dispatch(),
            n_head,
            causal,
        )
    };
    (Tensor::from_dispatch(y), Tensor::from_dispatch(probs))
}

/// The composition the fused kernel replaces: split the heads, score, mask, softmax, dropout,
/// mix the values, merge the heads.
pub fn reference(
    qkv: Tensor<3>,
    n_head: usize,
    causal: bool,
    dropout: f64,
    train: bool,
) -> (Tensor<3>, Tensor<4>) {
    let t = qkv.dims()[1];
    let device = qkv.device();
    let (q, k, v) = split_heads(qkv, n_head);
    let mask = (causal && t > 1).then(|| causal_mask(t, t, &device));
    let (y, probs) = attend(q, k, v, mask, dropout, train);
    (merge_heads(y), probs)
}

/// `[B, T, 3C]` -> q, k, v, each `[B, H, T, head_dim]` (one permute splits all three).
pub fn split_heads(qkv: Tensor<3>, n_head: usize) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
    let [b, t, c3] = qkv.dims();
    let hd = c3 / 3 / n_head;
    // [B, T, 3C] -> [B, T, 3, H, hd] -> [3, B, H, T, hd]
    let qkv = qkv.reshape([b, t, 3, n_head, hd]).permute([2, 0, 3, 1, 4]);
    let part = |i| qkv.clone().narrow(0, i, 1).reshape([b, n_head, t, hd]);
    (part(0), part(1), part(2))
}

/// Attention of queries `[B, H, T, hd]` over keys and values `[B, H, T_total, hd]`:
/// (`y [B, H, T, hd]`, probabilities `[B, H, T, T_total]`). `mask` is added to the scores
/// (`[1, 1, T, T_total]`, see [`causal_mask`]); dropout as in [`causal_attention`].
pub fn attend(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    mask: Option<Tensor<4>>,
    dropout: f64,
    train: bool,
) -> (Tensor<4>, Tensor<4>) {
    let hd = q.dims()[3];
    let scale = 1.0 / (hd as f64).sqrt();
    let mut scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale); // [B, H, T, T_total]
    if let Some(mask) = mask {
        scores = scores + mask;
    }
    let probs = softmax(scores, 3); // each row sums to 1
    let y = dropout::dropout(probs.clone(), dropout, train).matmul(v); // [B, H, T, hd]
    (y, probs)
}

/// `[B, H, T, hd]` -> `[B, T, C]`: the heads side by side again.
pub fn merge_heads(y: Tensor<4>) -> Tensor<3> {
    let [b, h, t, hd] = y.dims();
    y.swap_dims(1, 2).reshape([b, t, h * hd])
}

/// The additive causal mask for `t_new` queries at the end of `t_total` positions:
/// query `i` (absolute position `t_total - t_new + i`) may see keys `0..=` that position.
/// Shape `[1, 1, t_new, t_total]`.
pub fn causal_mask(t_new: usize, t_total: usize, device: &Device) -> Tensor<4> {
    let offset = t_total - t_new;
    let mut values = vec![0.0f32; t_new * t_total];
    for i in 0..t_new {
        for j in (offset + i + 1)..t_total {
            values[i * t_total + j] = MASKED;
        }
    }
    Tensor::from_data(TensorData::new(values, [1, 1, t_new, t_total]), device)
}

/// The backend operations behind [`causal_attention`].
#[backend_extension(Flex, Cube: cfg(feature = "wgpu"), Autodiff)]
pub trait AttentionBackend: Backend {
    /// `qkv [B, T, 3C]` -> (`y [B, T, C]`, probabilities `[B, H, T, T]`).
    fn fused_attention(
        qkv: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);

    /// As [`AttentionBackend::fused_attention`], with the weights multiplied by `keep`
    /// (`[B, H, T, T]`: 0 where dropped, `1 / (1 - p)` where kept) before they mix the values.
    fn fused_attention_dropout(
        qkv: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);
}

impl AttentionBackend for Flex {
    fn fused_attention(
        qkv: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        kernel::forward_tensors(&qkv, None, n_head, causal)
    }

    fn fused_attention_dropout(
        qkv: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        kernel::forward_tensors(&qkv, Some(&keep), n_head, causal)
    }
}

/// The attention's backward kernel on a backend that runs [`AttentionBackend`].
pub trait AttentionGrad: Backend {
    /// d`qkv [B, T, 3C]` from the input, the probabilities the forward pass gave, the dropout
    /// draw (if any) and d`y [B, T, C]`.
    fn fused_attention_backward(
        qkv: FloatTensor<Self>,
        probs: FloatTensor<Self>,
        keep: Option<FloatTensor<Self>>,
        dy: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> FloatTensor<Self>;
}

impl AttentionGrad for Flex {
    fn fused_attention_backward(
        qkv: FloatTensor<Self>,
        probs: FloatTensor<Self>,
        keep: Option<FloatTensor<Self>>,
        dy: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> FloatTensor<Self> {
        let shape = qkv.layout().shape().clone();
        let keep = keep.as_ref().map(f32s);
        let dqkv = kernel::backward(
            &f32s(&qkv),
            &f32s(&probs),
            keep.as_deref(),
            &f32s(&dy),
            kernel::Dims::of(&shape, n_head),
            causal,
        );
        FlexTensor::from_data(TensorData::new(dqkv, shape))
    }
}

impl<B: AttentionBackend + AttentionGrad, C: CheckpointStrategy> AttentionBackend
    for Autodiff<B, C>
{
    fn fused_attention(
        qkv: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        tracked::<B, C>(qkv, None, n_head, causal)
    }

    fn fused_attention_dropout(
        qkv: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        // The dropout draw is a constant: no gradient flows into it.
        tracked::<B, C>(qkv, Some(keep.into_primitive()), n_head, causal)
    }
}

/// What the backward pass keeps: the input, the probabilities, the dropout draw.
type AttentionState<B> = (
    FloatTensor<B>,
    FloatTensor<B>,
    Option<FloatTensor<B>>,
    usize,
    bool,
);

/// Backward of the fused attention: gives d`qkv` from d`y`.
#[derive(Debug)]
struct AttentionBackward;

impl<B: AttentionGrad> Backward<B, 1> for AttentionBackward {
    type State = AttentionState<B>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_qkv] = ops.parents;
        let dy = grads.consume::<B>(&ops.node);
        let (qkv, probs, keep, n_head, causal) = ops.state;
        if let Some(node) = node_qkv {
            let dqkv = B::fused_attention_backward(qkv, probs, keep, dy, n_head, causal);
            grads.register::<B>(node.id, dqkv);
        }
    }
}

/// The output and the probabilities.
type Pair<B> = (FloatTensor<B>, FloatTensor<B>);

/// The autodiff forward: the backend's kernel, recorded with its backward; the probabilities
/// are returned as a constant (the panels read them; nothing differentiates through them).
fn tracked<B: AttentionBackend + AttentionGrad, C: CheckpointStrategy>(
    qkv: FloatTensor<Autodiff<B, C>>,
    keep: Option<FloatTensor<B>>,
    n_head: usize,
    causal: bool,
) -> Pair<Autodiff<B, C>> {
    let input = qkv.primitive().clone();
    let (y, probs) = match keep.clone() {
        Some(keep) => B::fused_attention_dropout(input, keep, n_head, causal),
        None => B::fused_attention(input, n_head, causal),
    };
    let y = match AttentionBackward
        .prepare::<C>([qkv.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            (qkv.into_primitive(), probs.clone(), keep, n_head, causal),
            y,
        ),
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    (y, Autodiff::<B, C>::from_inner(probs))
}

/// The CPU kernels, on plain slices.
mod kernel {
    use burn::backend::flex::FlexTensor;
    use burn::tensor::{Shape, TensorData};

    use super::super::tile::{self, Lhs, Needs, Rhs};
    use super::super::{exp::exp, f32s, for_each_job, max_of, sum_map, sum_map2, wide_kernel};

    /// Sizes of one call.
    #[derive(Clone, Copy, Debug)]
    pub struct Dims {
        /// Sequences.
        pub b: usize,
        /// Positions per sequence.
        pub t: usize,
        /// Heads.
        pub h: usize,
        /// Width of one head.
        pub hd: usize,
    }

    impl Dims {
        /// The sizes of a `[B, T, 3C]` input with `n_head` heads.
        pub fn of(shape: &Shape, n_head: usize) -> Self {
            let d = shape.dims::<3>();
            Self {
                b: d[0],
                t: d[1],
                h: n_head,
                hd: d[2] / 3 / n_head,
            }
        }

        /// The model width C.
        fn c(self) -> usize {
            self.h * self.hd
        }

        /// How many keys query `i` sees.
        fn seen(self, i: usize, causal: bool) -> usize {
            if causal { i + 1 } else { self.t }
        }

        /// How many keys the queries before `i1` see at most: a block of queries' columns.
        fn seen_before(self, i1: usize, causal: bool) -> usize {
            self.seen(i1 - 1, causal)
        }

        /// The queries that see some key of a block starting at key `j0` (when causal, the
        /// earlier queries' terms are zero).
        fn seeing(self, j0: usize, causal: bool) -> std::ops::Range<usize> {
            if causal { j0..self.t } else { 0..self.t }
        }
    }

    /// The weights that mix the values, `[T, T]`: the probabilities, or with dropout the
    /// probabilities times the draw `keep` (written into `buf`).
    #[inline(always)]
    fn dropped<'a>(
        probs: &'a [f32],
        keep: Option<&[f32]>,
        buf: Option<&'a mut Vec<f32>>,
    ) -> &'a [f32] {
        match (keep, buf) {
            (Some(keep), Some(w)) => {
                for ((w, &p), &k) in w.iter_mut().zip(probs).zip(keep) {
                    *w = p * k;
                }
                w
            }
            _ => probs,
        }
    }

    /// [`forward`] on tensors.
    pub fn forward_tensors(
        qkv: &FlexTensor,
        keep: Option<&FlexTensor>,
        n_head: usize,
        causal: bool,
    ) -> (FlexTensor, FlexTensor) {
        let dims = Dims::of(qkv.layout().shape(), n_head);
        let keep = keep.map(f32s);
        let (y, probs) = forward(&f32s(qkv), keep.as_deref(), dims, causal);
        let Dims { b, t, h, .. } = dims;
        (
            FlexTensor::from_data(TensorData::new(y, [b, t, dims.c()])),
            FlexTensor::from_data(TensorData::new(probs, [b, h, t, t])),
        )
    }

    /// One head's keys or values (`part` 1, 2) of one sequence (`qkv`'s `[T, 3C]` rows),
    /// transposed: `[hd, T]`, so that rows of it are the right operand of a product.
    #[inline(always)]
    fn transposed(seq: &[f32], dims: Dims, part: usize, head: usize, out: &mut [f32]) {
        let (t, c, hd) = (dims.t, dims.c(), dims.hd);
        // Row by row of the output: contiguous stores, strided loads (the other order's
        // scattered stores took ~15% of the forward kernel).
        let column = &seq[part * c + head * hd..];
        for (d, out) in out.chunks_exact_mut(t).enumerate() {
            for (i, o) in out.iter_mut().enumerate() {
                *o = column[i * 3 * c + d];
            }
        }
    }

    /// `qkv [B, T, 3C]` (and the dropout draw `[B, H, T, T]`) -> (`y [B, T, C]`,
    /// probabilities `[B, H, T, T]`).
    pub fn forward(
        qkv: &[f32],
        keep: Option<&[f32]>,
        dims: Dims,
        causal: bool,
    ) -> (Vec<f32>, Vec<f32>) {
        let Dims { b, t, h, .. } = dims;
        let c = dims.c();
        let mut y = vec![0.0f32; b * t * c];
        let mut probs = vec![0.0f32; b * h * t * t];
        let mut jobs: Vec<_> = y
            .chunks_mut(t * c)
            .zip(probs.chunks_mut(h * t * t))
            .collect();
        for_each_job(&mut jobs, |s, (y, probs)| {
            forward_sequence(qkv, keep, dims, causal, s, y, probs);
        });
        (y, probs)
    }

    /// d`qkv [B, T, 3C]` from the input, the probabilities the forward pass gave, the dropout
    /// draw and d`y [B, T, C]`.
    ///
    /// With `P` the probabilities, `M` the draw and `S` the scaled scores:
    /// `dV = (P∘M)^T dY`, `dP = (dY V^T)∘M`, `dS = P∘(dP - rowsum(P∘dP))`,
    /// `dQ = dS K · scale`, `dK = dS^T Q · scale`.
    pub fn backward(
        qkv: &[f32],
        probs: &[f32],
        keep: Option<&[f32]>,
        dy: &[f32],
        dims: Dims,
        causal: bool,
    ) -> Vec<f32> {
        let Dims { b, t, .. } = dims;
        let c = dims.c();
        let mut dqkv = vec![0.0f32; b * t * 3 * c];
        let mut jobs: Vec<_> = dqkv.chunks_mut(t * 3 * c).collect();
        for_each_job(&mut jobs, |s, dseq| {
            backward_sequence(qkv, probs, keep, dy, dims, causal, s, dseq);
        });
        dqkv
    }

    wide_kernel! {
        /// [`forward`] for sequence `s`: its rows of `y` (`[T, C]`) and its probabilities
        /// (`[H, T, T]`).
        fn forward_sequence(
            qkv: &[f32],
            keep: Option<&[f32]>,
            dims: Dims,
            causal: bool,
            s: usize,
            y: &mut [f32],
            probs: &mut [f32],
        ) {
            let Dims { t, h, hd, .. } = dims;
            let c = dims.c();
            let scale = 1.0 / (hd as f32).sqrt();
            let seq = &qkv[s * t * 3 * c..][..t * 3 * c];
            let seen = |i1: usize| dims.seen_before(i1, causal);
            let mut kt = vec![0.0; hd * t];
            let mut scores = vec![0.0; t * t];
            let mut dropped_buf = keep.map(|_| vec![0.0; t * t]);
            for head in 0..h {
                // Scores `[T, T] = q [T, hd] k^T [hd, T]`, only the blocks a query can see.
                transposed(seq, dims, 1, head, &mut kt);
                let q = Lhs { data: &seq[head * hd..], row: 3 * c, col: 1 };
                let kt = Rhs { data: &kt, row: t };
                tile::matmul(&mut scores, t, (t, t), q, kt, |_, i1| Needs { k: 0..hd, cols: seen(i1) });
                // Softmax over the scores query i sees (the unseen probabilities stay exactly 0).
                let probs = &mut probs[head * t * t..][..t * t];
                for i in 0..t {
                    let n = dims.seen(i, causal);
                    let p = &mut probs[i * t..][..n];
                    p.copy_from_slice(&scores[i * t..][..n]);
                    let max = max_of(p) * scale;
                    for e in p.iter_mut() {
                        *e = exp(*e * scale - max);
                    }
                    let sum = sum_map(p, |e| e);
                    p.iter_mut().for_each(|e| *e /= sum);
                }
                // Mix the values the (possibly dropped-out) weights select:
                // `y [T, hd] = weights [T, T] v [T, hd]`, into this head's columns of y.
                let keep = keep.map(|k| &k[(s * h + head) * t * t..][..t * t]);
                let weights = dropped(probs, keep, dropped_buf.as_mut());
                let weights = Lhs { data: weights, row: t, col: 1 };
                let v = Rhs { data: &seq[2 * c + head * hd..], row: 3 * c };
                tile::matmul(&mut y[head * hd..], c, (t, hd), weights, v, |_, i1| Needs {
                    k: 0..seen(i1),
                    cols: hd,
                });
            }
        }
    }

    wide_kernel! {
        /// [`backward`] for sequence `s`: its rows of d`qkv` (`[T, 3C]`).
        fn backward_sequence(
            qkv: &[f32],
            probs: &[f32],
            keep: Option<&[f32]>,
            dy: &[f32],
            dims: Dims,
            causal: bool,
            s: usize,
            dseq: &mut [f32],
        ) {
            let Dims { t, h, hd, .. } = dims;
            let c = dims.c();
            let scale = 1.0 / (hd as f32).sqrt();
            let seq = &qkv[s * t * 3 * c..][..t * 3 * c];
            let dy = &dy[s * t * c..][..t * c];
            let seen = |i1: usize| dims.seen_before(i1, causal);
            let seen_by = |j0: usize| dims.seeing(j0, causal);
            let mut vt = vec![0.0f32; hd * t];
            let mut dp = vec![0.0f32; t * t];
            // dS beyond what query i sees is never written, so it stays 0 for every head.
            let mut ds = vec![0.0f32; t * t];
            let mut dropped_buf = keep.map(|_| vec![0.0f32; t * t]);
            for head in 0..h {
                let probs = &probs[(s * h + head) * t * t..][..t * t];
                let keep = keep.map(|k| &k[(s * h + head) * t * t..][..t * t]);
                let dyh = &dy[head * hd..];
                // dP of the mixed weights: `dY [T, hd] v^T [hd, T]`.
                transposed(seq, dims, 2, head, &mut vt);
                let (dyl, vt) = (Lhs { data: dyh, row: c, col: 1 }, Rhs { data: &vt, row: t });
                tile::matmul(&mut dp, t, (t, t), dyl, vt, |_, i1| Needs { k: 0..hd, cols: seen(i1) });
                // Through the dropout, the softmax, then the scale.
                for i in 0..t {
                    let n = dims.seen(i, causal);
                    let p = &probs[i * t..][..n];
                    let dp = &mut dp[i * t..][..n];
                    if let Some(keep) = keep {
                        dp.iter_mut().zip(&keep[i * t..][..n]).for_each(|(d, &m)| *d *= m);
                    }
                    let dot = sum_map2(p, dp, |p, d| p * d);
                    for ((ds, &p), &d) in ds[i * t..][..n].iter_mut().zip(p).zip(dp.iter()) {
                        *ds = p * (d - dot) * scale;
                    }
                }
                // dV `[T, hd] = (P∘M)^T [T, T] dY [T, hd]`, into this head's value columns.
                let weights = dropped(probs, keep, dropped_buf.as_mut());
                let (wt, dyr) = (Lhs { data: weights, row: 1, col: t }, Rhs { data: dyh, row: c });
                let dv = &mut dseq[2 * c + head * hd..];
                tile::matmul(dv, 3 * c, (t, hd), wt, dyr, |j0, _| Needs { k: seen_by(j0), cols: hd });
                // dQ `= dS [T, T] k [T, hd] · scale` and dK `= dS^T q · scale` (the scale is in dS).
                let k = Rhs { data: &seq[c + head * hd..], row: 3 * c };
                let dsl = Lhs { data: &ds, row: t, col: 1 };
                let dq = &mut dseq[head * hd..];
                tile::matmul(dq, 3 * c, (t, hd), dsl, k, |_, i1| Needs { k: 0..seen(i1), cols: hd });
                let q = Rhs { data: &seq[head * hd..], row: 3 * c };
                let dst = Lhs { data: &ds, row: 1, col: t };
                let dk = &mut dseq[c + head * hd..];
                tile::matmul(dk, 3 * c, (t, hd), dst, q, |j0, _| Needs { k: seen_by(j0), cols: hd });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{devices, max_diff, on, read};
    use super::*;
    use crate::device::cpu;
    use burn::tensor::Distribution;

    /// y, the probabilities and d`qkv` under a random linear loss of y, for `f`.
    fn run(
        f: fn(Tensor<3>, usize, bool, f64, bool) -> (Tensor<3>, Tensor<4>),
        qkv: &Tensor<3>,
        w: &Tensor<3>,
        n_head: usize,
        causal: bool,
        device: &Device,
    ) -> [Vec<f32>; 3] {
        let qkv = on(device, qkv).require_grad();
        let (y, probs) = f(qkv.clone(), n_head, causal, 0.0, true);
        let grads = (y.clone() * on(device, w)).sum().backward();
        [read(y), read(probs), read(qkv.grad(&grads).expect("dqkv"))]
    }

    #[test]
    fn forward_probabilities_and_gradient_match_the_reference() {
        let device = cpu();
        // (B, T, heads, head width, input spread): T = 1, T odd, one head, many heads, head
        // widths that no vector width divides, and scores in the thousands, where an
        // unstabilised softmax would overflow. There each score (~1e3) carries ~1e-4 of f32
        // rounding (either side's), which exp turns into relative differences of the weights,
        // and the backward pass multiplies them by keys and values of ~30: random draws gave
        // differences up to 2.4e-4 of the largest gradient, so that case gets 1e-3. It exists
        // to catch overflow, which gives inf or NaN, far outside any tolerance. A head wider
        // than the GPU kernels' workgroup (40 > 32) makes their threads take several channels.
        let cases = [
            (1, 1, 1, 4, 1.0),
            (2, 7, 1, 5, 1.0),
            (3, 13, 4, 3, 1.0),
            (2, 64, 4, 32, 1.0),
            (1, 9, 12, 2, 1.0),
            (2, 11, 2, 8, 30.0),
            (1, 5, 2, 40, 1.0),
        ];
        for (b, t, h, hd, spread) in cases {
            for causal in [true, false] {
                let c = h * hd;
                let qkv =
                    Tensor::<3>::random([b, t, 3 * c], Distribution::Normal(0.0, spread), &device);
                let w = Tensor::<3>::random([b, t, c], Distribution::Normal(0.0, 1.0), &device);
                let reference = run(reference, &qkv, &w, h, causal, &device);
                for on_device in devices() {
                    let ours = run(causal_attention, &qkv, &w, h, causal, &on_device);
                    for (k, what) in ["y", "probs", "dqkv"].iter().enumerate() {
                        let scale = reference[k].iter().fold(1.0f32, |m, v| m.max(v.abs()));
                        let d = max_diff(&ours[k], &reference[k]);
                        let tol = if spread > 1.0 { 1e-3 } else { 2e-5 };
                        assert!(
                            d <= tol * scale,
                            "{what} of B={b} T={t} H={h} hd={hd} causal={causal} \
                             spread={spread} on {on_device:?}: differs by {d} (scale {scale})"
                        );
                    }
                    if causal && t > 1 {
                        // Query 0 sees only key 0, exactly: the structure, not a large negative.
                        assert_eq!(ours[1][0], 1.0);
                        assert!(ours[1][1..t].iter().all(|&p| p == 0.0));
                    }
                }
            }
        }
    }

    /// With dropout the fused op gives what the composition gives for the same draw: y from
    /// the dropped weights, the probabilities from the undropped ones, and the gradient.
    #[test]
    fn dropout_uses_the_draw_in_both_directions() {
        let device = cpu();
        let (b, t, h, hd) = (2, 9, 3, 4);
        let c = h * hd;
        let qkv = Tensor::<3>::random([b, t, 3 * c], Distribution::Normal(0.0, 1.0), &device);
        let w = Tensor::<3>::random([b, t, c], Distribution::Normal(0.0, 1.0), &device);
        let keep = dropout::keep_mask::<4>([b, h, t, t].into(), 0.3, &device);

        let fused = |to: &Device| {
            let x = on(to, &qkv).require_grad();
            let (y, probs) = <burn::backend::Dispatch as AttentionBackend>::fused_attention_dropout(
                x.clone().into_dispatch(),
                on(to, &keep).into_dispatch(),
                h,
                true,
            );
            let (y, probs) = (
                Tensor::<3>::from_dispatch(y),
                Tensor::<4>::from_dispatch(probs),
            );
            let grads = (y.clone() * on(to, &w)).sum().backward();
            [read(y), read(probs), read(x.grad(&grads).expect("dqkv"))]
        };

        let x = qkv.clone().require_grad();
        let (q, k, v) = split_heads(x.clone(), h);
        let mask = causal_mask(t, t, &device);
        let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(0.5) + mask;
        let probs = softmax(scores, 3);
        let y = merge_heads((probs.clone() * keep.clone()).matmul(v));
        let grads = (y.clone() * w.clone()).sum().backward();
        let reference = [read(y), read(probs), read(x.grad(&grads).expect("dqkv"))];
        for on_device in devices() {
            let ours = fused(&on_device);
            for (k, what) in ["y", "probs", "dqkv"].iter().enumerate() {
                let d = max_diff(&ours[k], &reference[k]);
                assert!(d < 2e-5, "{what} differs by {d} on {on_device:?}");
            }
        }
    }

    #[test]
    fn in_training_dropout_changes_the_output_and_not_the_probabilities() {
        let device = cpu();
        let qkv = Tensor::<3>::random([1, 8, 3 * 8], Distribution::Normal(0.0, 1.0), &device);
        let (eval, eval_probs) = causal_attention(qkv.clone(), 2, true, 0.5, false);
        let (drop, drop_probs) = causal_attention(qkv, 2, true, 0.5, true);
        assert_ne!(read(eval), read(drop));
        assert_eq!(read(eval_probs), read(drop_probs));
    }
}
