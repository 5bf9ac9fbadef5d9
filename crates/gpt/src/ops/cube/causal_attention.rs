//! Causal self-attention on the GPU, straight from `c_attn`'s `[B, T, 3C]` output, as on the
//! CPU (`ops::causal_attention`): one thread per (sequence, head, query row) computes the scores
//! that query may see (the causal structure is a loop bound: no mask tensor), their softmax and
//! its slice of `y`, writing the probabilities out for the backward pass and the panels. The
//! backward pass takes two kernels: one thread per query row (dS and dq), then one per key row
//! (dk and dv, sums over the queries that saw it), so that no two threads add into one value.
//!
//! Why a thread per row and not a workgroup per row with shared-memory reductions: at these
//! sizes (T and the head width in the tens) the reductions are short, and a workgroup version
//! (tried first, with tree sums and ~16 barriers per row) made the baby step ~13% slower than
//! burn's composition on Mesa's lavapipe, which runs barriers as fiber switches. A head's
//! running sums live in `hd`-long local arrays (the head width is a compile-time value).

use burn::backend::tensor::FloatTensor;
use burn::tensor::Shape;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::{Cube, elementwise, empty, into_contiguous};
use crate::ops::causal_attention::{AttentionBackend, AttentionGrad};

impl AttentionBackend for Cube {
    fn fused_attention(
        qkv: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        forward(qkv, None, n_head, causal)
    }

    fn fused_attention_dropout(
        qkv: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        forward(qkv, Some(keep), n_head, causal)
    }
}

impl AttentionGrad for Cube {
    fn fused_attention_backward(
        qkv: FloatTensor<Self>,
        probs: FloatTensor<Self>,
        keep: Option<FloatTensor<Self>>,
        dy: FloatTensor<Self>,
        n_head: usize,
        causal: bool,
    ) -> FloatTensor<Self> {
        let (qkv, probs, dy) = (
            into_contiguous(qkv),
            into_contiguous(probs),
            into_contiguous(dy),
        );
        let [b, t, c3] = qkv.meta.shape().dims::<3>();
        let has_keep = keep.is_some();
        // Without dropout the kernels never read `keep`; any f32 tensor stands in.
        let keep = keep.map(into_contiguous).unwrap_or_else(|| probs.clone());
        let dqkv = empty(&qkv, Shape::new([b, t, c3]));
        let ds = empty(&qkv, Shape::new([b, n_head, t, t]));
        let hd = c3 / 3 / n_head;
        let scale = 1.0 / (hd as f32).sqrt();
        let (count, dim) = elementwise(&qkv, b * n_head * t);
        let client = qkv.client.clone();
        backward_queries_kernel::launch(
            &client,
            count.clone(),
            dim,
            qkv.clone().into_tensor_arg(),
            probs.clone().into_tensor_arg(),
            keep.clone().into_tensor_arg(),
            dy.clone().into_tensor_arg(),
            ds.clone().into_tensor_arg(),
            dqkv.clone().into_tensor_arg(),
            scale,
            causal,
            has_keep,
            hd,
        );
        backward_keys_kernel::launch(
            &client,
            count,
            dim,
            qkv.into_tensor_arg(),
            probs.into_tensor_arg(),
            keep.into_tensor_arg(),
            dy.into_tensor_arg(),
            ds.into_tensor_arg(),
            dqkv.clone().into_tensor_arg(),
            scale,
            causal,
            has_keep,
            hd,
        );
        dqkv
    }
}

/// `qkv [B, T, 3C]` (and the dropout draw) -> (`y [B, T, C]`, probabilities `[B, H, T, T]`).
fn forward(
    qkv: CubeTensor,
    keep: Option<CubeTensor>,
    n_head: usize,
    causal: bool,
) -> (CubeTensor, CubeTensor) {
    let qkv = into_contiguous(qkv);
    let [b, t, c3] = qkv.meta.shape().dims::<3>();
    let y = empty(&qkv, Shape::new([b, t, c3 / 3]));
    let probs = empty(&qkv, Shape::new([b, n_head, t, t]));
    let has_keep = keep.is_some();
    // Without dropout the kernel never reads `keep`; any f32 tensor stands in.
    let keep = keep.map(into_contiguous).unwrap_or_else(|| qkv.clone());
    let hd = c3 / 3 / n_head;
    let scale = 1.0 / (hd as f32).sqrt();
    let (count, dim) = elementwise(&qkv, b * n_head * t);
    forward_kernel::launch(
        &qkv.client.clone(),
        count,
        dim,
        qkv.into_tensor_arg(),
        keep.into_tensor_arg(),
        y.clone().into_tensor_arg(),
        probs.clone().into_tensor_arg(),
        scale,
        causal,
        has_keep,
        hd,
    );
    (y, probs)
}

/// Which (sequence, head, row) thread `r` takes: `(b, head, i)` of `[B, H, T]`.
#[cube]
fn row_of(r: usize, t: usize, h: usize) -> (usize, usize, usize) {
    let bh = r / t;
    (bh / h, bh % h, r % t)
}

/// One query row per thread: scores, softmax (probabilities out) and the row of `y`.
#[cube(launch)]
fn forward_kernel(
    qkv: &Tensor<f32>,
    keep: &Tensor<f32>,
    y: &mut Tensor<f32>,
    probs: &mut Tensor<f32>,
    scale: f32,
    #[comptime] causal: bool,
    #[comptime] has_keep: bool,
    #[comptime] hd: usize,
) {
    let t = probs.shape(3);
    let h = probs.shape(1);
    let r = ABSOLUTE_POS;
    if r < probs.len() / t {
        let c = y.shape(2);
        let (b, head, i) = row_of(r, t, h);
        let q_at = (b * t + i) * 3 * c + head * hd;
        // Row r of the probabilities: `[B, H, T, T]` rows are numbered as the threads.
        let prow = r * t;
        let seen = if causal { i + 1 } else { t };
        let mut q = Array::<f32>::new(hd);
        for d in 0..hd {
            q[d] = qkv[q_at + d];
        }
        // Scaled scores (kept in the probabilities' row for now) and their max.
        let mut m = f32::new(f32::MIN);
        for j in 0..seen {
            let k_at = (b * t + j) * 3 * c + c + head * hd;
            let mut dot = f32::new(0.0);
            for d in 0..hd {
                dot += q[d] * qkv[k_at + d];
            }
            let score = dot * scale;
            probs[prow + j] = score;
            m = f32::max(m, score);
        }
        let mut sum = f32::new(0.0);
        for j in 0..seen {
            let e = f32::exp(probs[prow + j] - m);
            probs[prow + j] = e;
            sum += e;
        }
        // Normalise (exactly 0 for the keys it may not see) and mix the values with the
        // weights (times the dropout draw).
        let mut acc = Array::<f32>::new(hd);
        for d in 0..hd {
            acc[d] = 0.0;
        }
        for j in 0..t {
            if j < seen {
                let p = probs[prow + j] / sum;
                probs[prow + j] = p;
                let mut w = p;
                if has_keep {
                    w *= keep[prow + j];
                }
                let v_at = (b * t + j) * 3 * c + 2 * c + head * hd;
                for d in 0..hd {
                    acc[d] += w * qkv[v_at + d];
                }
            } else {
                probs[prow + j] = 0.0;
            }
        }
        let y_at = (b * t + i) * c + head * hd;
        for d in 0..hd {
            y[y_at + d] = acc[d];
        }
    }
}

/// One query row per thread: `dP = (dY V^T)∘M`, `dS = P∘(dP - rowsum(P∘dP))` (into `ds` for
/// the keys' kernel) and `dQ = dS K · scale`.
#[cube(launch)]
fn backward_queries_kernel(
    qkv: &Tensor<f32>,
    probs: &Tensor<f32>,
    keep: &Tensor<f32>,
    dy: &Tensor<f32>,
    ds: &mut Tensor<f32>,
    dqkv: &mut Tensor<f32>,
    scale: f32,
    #[comptime] causal: bool,
    #[comptime] has_keep: bool,
    #[comptime] hd: usize,
) {
    let t = probs.shape(3);
    let h = probs.shape(1);
    let r = ABSOLUTE_POS;
    if r < probs.len() / t {
        let c = dy.shape(2);
        let (b, head, i) = row_of(r, t, h);
        let prow = r * t;
        let seen = if causal { i + 1 } else { t };
        let dy_at = (b * t + i) * c + head * hd;
        let mut g = Array::<f32>::new(hd);
        for d in 0..hd {
            g[d] = dy[dy_at + d];
        }
        // dP (kept in ds's row for now) and rowsum(P∘dP).
        let mut s = f32::new(0.0);
        for j in 0..seen {
            let v_at = (b * t + j) * 3 * c + 2 * c + head * hd;
            let mut dp = f32::new(0.0);
            for d in 0..hd {
                dp += g[d] * qkv[v_at + d];
            }
            if has_keep {
                dp *= keep[prow + j];
            }
            ds[prow + j] = dp;
            s += probs[prow + j] * dp;
        }
        let mut dq = Array::<f32>::new(hd);
        for d in 0..hd {
            dq[d] = 0.0;
        }
        for j in 0..t {
            if j < seen {
                let d_score = probs[prow + j] * (ds[prow + j] - s);
                ds[prow + j] = d_score;
                let k_at = (b * t + j) * 3 * c + c + head * hd;
                for d in 0..hd {
                    dq[d] += d_score * qkv[k_at + d];
                }
            } else {
                ds[prow + j] = 0.0;
            }
        }
        let q_at = (b * t + i) * 3 * c + head * hd;
        for d in 0..hd {
            dqkv[q_at + d] = dq[d] * scale;
        }
    }
}

/// One key row `j` per thread: `dK = dS^T Q · scale` and `dV = (P∘M)^T dY`, summed over the
/// queries that see key j.
#[cube(launch)]
fn backward_keys_kernel(
    qkv: &Tensor<f32>,
    probs: &Tensor<f32>,
    keep: &Tensor<f32>,
    dy: &Tensor<f32>,
    ds: &Tensor<f32>,
    dqkv: &mut Tensor<f32>,
    scale: f32,
    #[comptime] causal: bool,
    #[comptime] has_keep: bool,
    #[comptime] hd: usize,
) {
    let t = probs.shape(3);
    let h = probs.shape(1);
    let r = ABSOLUTE_POS;
    if r < probs.len() / t {
        let c = dy.shape(2);
        let (b, head, j) = row_of(r, t, h);
        // The first query that sees key j (`causal` is known when the kernel compiles).
        let mut first = j;
        if !causal {
            first = 0;
        }
        let plane = (r - j) * t;
        let mut dk = Array::<f32>::new(hd);
        let mut dv = Array::<f32>::new(hd);
        for d in 0..hd {
            dk[d] = 0.0;
            dv[d] = 0.0;
        }
        for i in first..t {
            let at = plane + i * t + j;
            let d_score = ds[at];
            let mut w = probs[at];
            if has_keep {
                w *= keep[at];
            }
            let q_at = (b * t + i) * 3 * c + head * hd;
            let dy_at = (b * t + i) * c + head * hd;
            for d in 0..hd {
                dk[d] += d_score * qkv[q_at + d];
                dv[d] += w * dy[dy_at + d];
            }
        }
        let k_at = (b * t + j) * 3 * c + c + head * hd;
        for d in 0..hd {
            dqkv[k_at + d] = dk[d] * scale;
            dqkv[k_at + c + d] = dv[d];
        }
    }
}
