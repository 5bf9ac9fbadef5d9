//! One AdamW update on the GPU: one thread per value reads p, g, m and v once and writes p, m
//! and v once (the composition launches ~15 kernels per parameter).

use burn::backend::tensor::FloatTensor;
use cubecl::prelude::*;

use super::{Cube, elementwise, empty, into_contiguous};
use crate::ops::adamw::{AdamWBackend, AdamWStep};

impl AdamWBackend for Cube {
    fn fused_adamw(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        clip: FloatTensor<Self>,
        step: AdamWStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (p, g, m, v, clip) = (
            into_contiguous(p),
            into_contiguous(g),
            into_contiguous(m),
            into_contiguous(v),
            into_contiguous(clip),
        );
        let shape = p.meta.shape().clone();
        let (p_out, m_out, v_out) = (
            empty(&p, shape.clone()),
            empty(&p, shape.clone()),
            empty(&p, shape),
        );
        let k = step.constants();
        let (count, dim) = elementwise(&p, p.meta.num_elements());
        kernel::launch(
            &p.client.clone(),
            count,
            dim,
            p.into_tensor_arg(),
            g.into_tensor_arg(),
            m.into_tensor_arg(),
            v.into_tensor_arg(),
            clip.into_tensor_arg(),
            p_out.clone().into_tensor_arg(),
            m_out.clone().into_tensor_arg(),
            v_out.clone().into_tensor_arg(),
            k.b1,
            k.b2,
            k.one_b1,
            k.one_b2,
            k.bias1,
            k.bias2,
            k.lr,
            k.eps,
            k.keep,
        );
        (p_out, m_out, v_out)
    }
}

/// The formula of `ops::adamw::reference`, per value.
#[allow(clippy::too_many_arguments)]
#[cube(launch)]
fn kernel(
    p: &Tensor<f32>,
    g: &Tensor<f32>,
    m: &Tensor<f32>,
    v: &Tensor<f32>,
    clip: &Tensor<f32>,
    p_out: &mut Tensor<f32>,
    m_out: &mut Tensor<f32>,
    v_out: &mut Tensor<f32>,
    b1: f32,
    b2: f32,
    one_b1: f32,
    one_b2: f32,
    bias1: f32,
    bias2: f32,
    lr: f32,
    eps: f32,
    keep: f32,
) {
    let i = ABSOLUTE_POS;
    if i < p_out.len() {
        let gc = g[i] * clip[0];
        let mi = m[i] * b1 + gc * one_b1;
        let vi = v[i] * b2 + gc * gc * one_b2;
        let denom = f32::sqrt(vi / bias2) + eps;
        p_out[i] = p[i] * keep - mi / bias1 / denom * lr;
        m_out[i] = mi;
        v_out[i] = vi;
    }
}
