//! LayerNorm on the GPU: one workgroup per row for the output and for dx (the row's sums in
//! shared memory), and one thread per channel for dgamma and dbeta (a sum over rows). Same
//! two-pass moments as the CPU kernel (`ops::layer_norm`).

use burn::backend::tensor::FloatTensor;
use burn::tensor::Shape;
use cubecl::prelude::*;

use super::{Cube, block_sum, elementwise, empty, into_contiguous, row_width};
use crate::ops::layer_norm::{LayerNormBackend, LayerNormGrad, LayerNormGrads};

impl LayerNormBackend for Cube {
    fn fused_layer_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        eps: f32,
    ) -> FloatTensor<Self> {
        let (x, gamma, beta) = (
            into_contiguous(x),
            into_contiguous(gamma),
            into_contiguous(beta),
        );
        let c = gamma.meta.num_elements();
        let rows = x.meta.num_elements() / c.max(1);
        let out = empty(&x, x.meta.shape().clone());
        let width = row_width(c);
        forward_kernel::launch(
            &x.client.clone(),
            CubeCount::Static(rows as u32, 1, 1),
            CubeDim::new_1d(width as u32),
            x.into_tensor_arg(),
            gamma.into_tensor_arg(),
            beta.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            eps,
            width,
        );
        out
    }
}

impl LayerNormGrad for Cube {
    fn fused_layer_norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        eps: f32,
    ) -> LayerNormGrads<Self> {
        let (x, gamma, dy) = (
            into_contiguous(x),
            into_contiguous(gamma),
            into_contiguous(dy),
        );
        let c = gamma.meta.num_elements();
        let rows = x.meta.num_elements() / c.max(1);
        let dx = empty(&x, x.meta.shape().clone());
        // Each row's mean and sqrt(var + eps), for the column sums of the second kernel.
        let stats = empty(&x, Shape::new([rows, 2]));
        let width = row_width(c);
        backward_rows_kernel::launch(
            &x.client.clone(),
            CubeCount::Static(rows as u32, 1, 1),
            CubeDim::new_1d(width as u32),
            x.clone().into_tensor_arg(),
            gamma.clone().into_tensor_arg(),
            dy.clone().into_tensor_arg(),
            dx.clone().into_tensor_arg(),
            stats.clone().into_tensor_arg(),
            eps,
            width,
        );
        let dgamma = empty(&gamma, Shape::new([c]));
        let dbeta = empty(&gamma, Shape::new([c]));
        let (count, dim) = elementwise(&x, c);
        backward_columns_kernel::launch(
            &x.client.clone(),
            count,
            dim,
            x.into_tensor_arg(),
            dy.into_tensor_arg(),
            stats.into_tensor_arg(),
            dgamma.clone().into_tensor_arg(),
            dbeta.clone().into_tensor_arg(),
        );
        (dx, dgamma, dbeta)
    }
}

/// The mean and `sqrt(var + eps)` of row `row` (`c` values from `base`), every thread of the
/// workgroup taking every `width`-th value.
#[cube]
fn moments(
    x: &Tensor<f32>,
    base: usize,
    c: usize,
    eps: f32,
    shared: Shared<[f32]>,
    #[comptime] width: usize,
) -> (f32, f32) {
    let mut sum = f32::new(0.0);
    let mut j = UNIT_POS_X as usize;
    while j < c {
        sum += x[base + j];
        j += width;
    }
    let mean = block_sum(shared.clone(), sum) / f32::cast_from(c);
    let mut sq = f32::new(0.0);
    let mut j = UNIT_POS_X as usize;
    while j < c {
        let d = x[base + j] - mean;
        sq += d * d;
        j += width;
    }
    let var = block_sum(shared.clone(), sq) / f32::cast_from(c);
    (mean, f32::sqrt(var + eps))
}

#[cube(launch)]
fn forward_kernel(
    x: &Tensor<f32>,
    gamma: &Tensor<f32>,
    beta: &Tensor<f32>,
    out: &mut Tensor<f32>,
    eps: f32,
    #[comptime] width: usize,
) {
    let c = gamma.len();
    let base = CUBE_POS_X as usize * c;
    let shared = Shared::<[f32]>::new_slice(width);
    let (mean, denom) = moments(x, base, c, eps, shared.clone(), width);
    let mut j = UNIT_POS_X as usize;
    while j < c {
        out[base + j] = (x[base + j] - mean) / denom * gamma[j] + beta[j];
        j += width;
    }
}

/// dx of one row per workgroup: `(dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / denom`.
#[cube(launch)]
fn backward_rows_kernel(
    x: &Tensor<f32>,
    gamma: &Tensor<f32>,
    dy: &Tensor<f32>,
    dx: &mut Tensor<f32>,
    stats: &mut Tensor<f32>,
    eps: f32,
    #[comptime] width: usize,
) {
    let c = gamma.len();
    let row = CUBE_POS_X as usize;
    let base = row * c;
    let shared = Shared::<[f32]>::new_slice(width);
    let (mean, denom) = moments(x, base, c, eps, shared.clone(), width);
    let mut sum_d = f32::new(0.0);
    let mut sum_dx = f32::new(0.0);
    let mut j = UNIT_POS_X as usize;
    while j < c {
        let dxhat = dy[base + j] * gamma[j];
        sum_d += dxhat;
        sum_dx += dxhat * ((x[base + j] - mean) / denom);
        j += width;
    }
    let a = block_sum(shared.clone(), sum_d) / f32::cast_from(c);
    let b = block_sum(shared.clone(), sum_dx) / f32::cast_from(c);
    let mut j = UNIT_POS_X as usize;
    while j < c {
        let xhat = (x[base + j] - mean) / denom;
        dx[base + j] = (dy[base + j] * gamma[j] - a - xhat * b) / denom;
        j += width;
    }
    if UNIT_POS_X == 0 {
        stats[2 * row] = mean;
        stats[2 * row + 1] = denom;
    }
}

/// dgamma and dbeta of one channel per thread: sums over the rows.
#[cube(launch)]
fn backward_columns_kernel(
    x: &Tensor<f32>,
    dy: &Tensor<f32>,
    stats: &Tensor<f32>,
    dgamma: &mut Tensor<f32>,
    dbeta: &mut Tensor<f32>,
) {
    let c = dgamma.len();
    let j = ABSOLUTE_POS;
    if j < c {
        let rows = stats.len() / 2;
        let mut dg = f32::new(0.0);
        let mut db = f32::new(0.0);
        for r in 0..rows {
            let d = dy[r * c + j];
            dg += d * ((x[r * c + j] - stats[2 * r]) / stats[2 * r + 1]);
            db += d;
        }
        dgamma[j] = dg;
        dbeta[j] = db;
    }
}
