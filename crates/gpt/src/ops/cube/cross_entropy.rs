//! The cross-entropy on the GPU: one workgroup per row for the log-sum-exp and the row's loss
//! (the mean over rows is burn's), one thread per logit for the gradient.

use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::tensor::{DType, Shape};
use burn_cubecl::kernel::cast;
use cubecl::prelude::*;

use super::{Cube, block_max, block_sum, elementwise, empty, into_contiguous, row_width};
use crate::ops::cross_entropy::{CrossEntropyBackend, CrossEntropyGrad};

impl CrossEntropyBackend for Cube {
    fn fused_cross_entropy(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::fused_cross_entropy_forward(logits, targets).0
    }
}

impl CrossEntropyGrad for Cube {
    fn fused_cross_entropy_forward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let logits = into_contiguous(logits);
        let targets = into_contiguous(cast(targets, DType::I32));
        let [rows, v] = logits.meta.shape().dims::<2>();
        let losses = empty(&logits, Shape::new([rows]));
        let lse = empty(&logits, Shape::new([rows, 2]));
        let width = row_width(v);
        forward_kernel::launch(
            &logits.client.clone(),
            CubeCount::Static(rows as u32, 1, 1),
            CubeDim::new_1d(width as u32),
            logits.into_tensor_arg(),
            targets.into_tensor_arg(),
            losses.clone().into_tensor_arg(),
            lse.clone().into_tensor_arg(),
            // NaN for a target outside the vocabulary, as on the CPU (WGSL has no NaN literal).
            f32::NAN,
            width,
        );
        (Self::float_mean(losses), lse)
    }

    fn fused_cross_entropy_backward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
        lse: FloatTensor<Self>,
        g: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let logits = into_contiguous(logits);
        let targets = into_contiguous(cast(targets, DType::I32));
        let (lse, g) = (into_contiguous(lse), into_contiguous(g));
        let dx = empty(&logits, logits.meta.shape().clone());
        let (count, dim) = elementwise(&logits, logits.meta.num_elements());
        backward_kernel::launch(
            &logits.client.clone(),
            count,
            dim,
            logits.into_tensor_arg(),
            targets.into_tensor_arg(),
            lse.into_tensor_arg(),
            g.into_tensor_arg(),
            dx.clone().into_tensor_arg(),
        );
        dx
    }
}

/// One row per workgroup: its max and `ln sum exp(x - max)` into `lse`, `lse - x[t]` into
/// `losses`.
#[cube(launch)]
fn forward_kernel(
    logits: &Tensor<f32>,
    targets: &Tensor<i32>,
    losses: &mut Tensor<f32>,
    lse: &mut Tensor<f32>,
    nan: f32,
    #[comptime] width: usize,
) {
    let rows = losses.len();
    let v = logits.len() / rows;
    let row = CUBE_POS_X as usize;
    let base = row * v;
    let shared = Shared::<[f32]>::new_slice(width);
    let mut m = f32::new(f32::MIN);
    let mut j = UNIT_POS_X as usize;
    while j < v {
        m = f32::max(m, logits[base + j]);
        j += width;
    }
    let max = block_max(shared.clone(), m);
    let mut s = f32::new(0.0);
    let mut j = UNIT_POS_X as usize;
    while j < v {
        s += f32::exp(logits[base + j] - max);
        j += width;
    }
    let ln_sum = f32::ln(block_sum(shared.clone(), s));
    if UNIT_POS_X == 0 {
        lse[2 * row] = max;
        lse[2 * row + 1] = ln_sum;
        let t = targets[row];
        if t >= 0 && (t as usize) < v {
            losses[row] = ln_sum - (logits[base + t as usize] - max);
        } else {
            losses[row] = nan;
        }
    }
}

/// One logit per thread: `(exp(x - max - ln_sum) - [j == t]) * g / rows`.
#[cube(launch)]
fn backward_kernel(
    logits: &Tensor<f32>,
    targets: &Tensor<i32>,
    lse: &Tensor<f32>,
    g: &Tensor<f32>,
    dx: &mut Tensor<f32>,
) {
    if ABSOLUTE_POS < dx.len() {
        let rows = targets.len();
        let v = dx.len() / rows;
        let row = ABSOLUTE_POS / v;
        let j = ABSOLUTE_POS % v;
        let scale = g[0] / f32::cast_from(rows);
        let p = f32::exp(logits[ABSOLUTE_POS] - lse[2 * row] - lse[2 * row + 1]);
        let t = targets[row];
        if t >= 0 && t as usize == j {
            dx[ABSOLUTE_POS] = (p - 1.0_f32) * scale;
        } else {
            dx[ABSOLUTE_POS] = p * scale;
        }
    }
}
