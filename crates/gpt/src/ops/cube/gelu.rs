//! GELU on the GPU: one thread per element, the same rational `erf` as the CPU kernel
//! (`ops::gelu::erf`), so both backends compute the same function.

use burn::backend::tensor::FloatTensor;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::{Cube, elementwise, empty, into_contiguous};
use crate::ops::gelu::{FRAC_1_SQRT_2, FRAC_1_SQRT_2PI, GeluBackend, GeluGrad};

impl GeluBackend for Cube {
    fn fused_gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let x = into_contiguous(x);
        let out = empty(&x, x.meta.shape().clone());
        let n = x.meta.num_elements();
        let (count, dim) = elementwise(&x, n);
        forward_kernel::launch(
            &x.client.clone(),
            count,
            dim,
            x.into_tensor_arg(),
            out.clone().into_tensor_arg(),
        );
        out
    }
}

impl GeluGrad for Cube {
    fn fused_gelu_backward(x: FloatTensor<Self>, g: FloatTensor<Self>) -> FloatTensor<Self> {
        let (x, g): (CubeTensor, CubeTensor) = (into_contiguous(x), into_contiguous(g));
        let dx = empty(&x, x.meta.shape().clone());
        let n = x.meta.num_elements();
        let (count, dim) = elementwise(&x, n);
        backward_kernel::launch(
            &x.client.clone(),
            count,
            dim,
            x.into_tensor_arg(),
            g.into_tensor_arg(),
            dx.clone().into_tensor_arg(),
        );
        dx
    }
}

/// `erf(x)` as `x P(x²) / Q(x²)` on [-4, 4]: the coefficients of `ops::gelu::erf`.
#[cube]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0_f32, 4.0_f32);
    let x2 = x * x;
    // Horner's rule, with shadowing (a literal bound with `let mut` stays a compile-time value).
    let p = x2 * -2.726_142_3e-10_f32 + 2.770_681_4e-8_f32;
    let p = p * x2 - 2.101_024e-6_f32;
    let p = p * x2 - 5.692_506_4e-5_f32;
    let p = p * x2 - 7.349_906_3e-4_f32;
    let p = p * x2 - 2.954_600_1e-3_f32;
    let p = p * x2 - 1.609_603_3e-2_f32;
    let q = x2 * -1.456_607_2e-5_f32 - 2.133_740_6e-4_f32;
    let q = q * x2 - 1.682_827e-3_f32;
    let q = q * x2 - 7.373_329e-3_f32;
    let q = q * x2 - 1.426_474e-2_f32;
    x * p / q
}

#[cube(launch)]
fn forward_kernel(x: &Tensor<f32>, out: &mut Tensor<f32>) {
    if ABSOLUTE_POS < out.len() {
        let v = x[ABSOLUTE_POS];
        out[ABSOLUTE_POS] = 0.5_f32 * v * (1.0_f32 + erf(v * FRAC_1_SQRT_2));
    }
}

#[cube(launch)]
fn backward_kernel(x: &Tensor<f32>, g: &Tensor<f32>, dx: &mut Tensor<f32>) {
    if ABSOLUTE_POS < dx.len() {
        let v = x[ABSOLUTE_POS];
        let cdf = 0.5_f32 * (1.0_f32 + erf(v * FRAC_1_SQRT_2));
        let pdf = f32::exp(v * v * -0.5_f32) * FRAC_1_SQRT_2PI;
        dx[ABSOLUTE_POS] = g[ABSOLUTE_POS] * (cdf + v * pdf);
    }
}
