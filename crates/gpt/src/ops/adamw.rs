//! One AdamW update of one parameter: the new value and the new first and second moments from
//! the old ones and the gradient, in one pass.
//!
//! Why fused: written with tensor ops ([`reference()`]) an update is about 15 passes over the
//! parameter (scale the gradient by the clip factor, two for each moment, bias corrections,
//! square root, divide, decay, subtract), each allocating a new buffer: for the baby model's
//! 0.8 million values that is ~700 operations and ~150 MB of memory traffic per step, and on a
//! GPU ~700 launches. The fused CPU kernel reads p, g, m and v once and writes p, m and v once.
//! The global-norm clip stays outside (it needs every gradient before any update); its factor
//! comes in as a `[1]` tensor so a step never waits for a read-back.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::{VALUES_PER_JOB, f32s, for_each_job};

/// The step's constants: what is the same for every parameter of one optimizer step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWStep {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Numerical floor in the denominator.
    pub eps: f64,
    /// Decoupled weight decay already multiplied by the learning rate (0 for biases and gains).
    pub decay: f64,
    /// The step number, from 1 (for the bias corrections `1 - beta^t`).
    pub t: i32,
}

/// The f32 constants of one step, as every kernel uses them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdamWConstants {
    pub b1: f32,
    pub b2: f32,
    pub one_b1: f32,
    pub one_b2: f32,
    pub bias1: f32,
    pub bias2: f32,
    pub lr: f32,
    pub eps: f32,
    /// `1 - decay`.
    pub keep: f32,
}

impl AdamWStep {
    /// The same f32 constants the composition's scalar ops use, in the same order, so the
    /// kernels and the composition round alike (to an ulp or two: the composition divides
    /// where the kernels multiply by nothing else).
    pub(crate) fn constants(self) -> AdamWConstants {
        AdamWConstants {
            b1: self.beta1 as f32,
            b2: self.beta2 as f32,
            one_b1: (1.0 - self.beta1) as f32,
            one_b2: (1.0 - self.beta2) as f32,
            bias1: (1.0 - self.beta1.powi(self.t)) as f32,
            bias2: (1.0 - self.beta2.powi(self.t)) as f32,
            lr: self.lr as f32,
            eps: self.eps as f32,
            keep: (1.0 - self.decay) as f32,
        }
    }
}

/// `(p, g, m, v)` of one parameter, all `[n]`, and the clip factor `[1]` -> the updated
/// `(p, m, v)`. A fused kernel on `flex` (and on wgpu with the `wgpu` feature), the
/// composition elsewhere.
pub fn adamw_update(
    p: Tensor<1>,
    g: Tensor<1>,
    m: Tensor<1>,
    v: Tensor<1>,
    clip: Tensor<1>,
    step: AdamWStep,
) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
    if !super::fused_here(&p) {
        return reference(p, g, m, v, clip, step);
    }
    // An update is never differentiated: the kernel exists for the inner backend, so tensors
    // of an autodiff device come off it first (a no-op for the optimizer's, which already are).
    let (p, m, v) = <burn::backend::Dispatch as AdamWBackend>::fused_adamw(
        p.inner().into_dispatch(),
        g.inner().into_dispatch(),
        m.inner().into_dispatch(),
        v.inner().into_dispatch(),
        clip.inner().into_dispatch(),
        step,
    );
    (
        Tensor::from_dispatch(p),
        Tensor::from_dispatch(m),
        Tensor::from_dispatch(v),
    )
}

/// The composition the fused kernel replaces:
/// `g' = clip g`, `m' = b1 m + (1 - b1) g'`, `v' = b2 v + (1 - b2) g'^2`,
/// `p' = p (1 - decay) - lr (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps)`.
pub fn reference(
    p: Tensor<1>,
    g: Tensor<1>,
    m: Tensor<1>,
    v: Tensor<1>,
    clip: Tensor<1>,
    s: AdamWStep,
) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
    let g = g * clip;
    let m = m.mul_scalar(s.beta1) + g.clone().mul_scalar(1.0 - s.beta1);
    let v = v.mul_scalar(s.beta2) + g.powi_scalar(2).mul_scalar(1.0 - s.beta2);
    let bias1 = 1.0 - s.beta1.powi(s.t);
    let bias2 = 1.0 - s.beta2.powi(s.t);
    let denom = v.clone().div_scalar(bias2).sqrt().add_scalar(s.eps);
    let update = m.clone().div_scalar(bias1).div(denom).mul_scalar(s.lr);
    let p = p.mul_scalar(1.0 - s.decay) - update;
    (p, m, v)
}

/// The backend operation behind [`adamw_update`]. No autodiff: an optimizer step is not
/// differentiated.
#[backend_extension(Flex, Cube: cfg(feature = "wgpu"))]
pub trait AdamWBackend: Backend {
    /// One AdamW update; see [`reference()`] for the formula.
    fn fused_adamw(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        clip: FloatTensor<Self>,
        step: AdamWStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

impl AdamWBackend for Flex {
    fn fused_adamw(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        clip: FloatTensor<Self>,
        step: AdamWStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let k = step.constants();
        let shape = p.layout().shape().clone();
        let (ps, gs, ms, vs) = (f32s(&p), f32s(&g), f32s(&m), f32s(&v));
        let clip = f32s(&clip).first().copied().unwrap_or(1.0);
        let n = ps.len();
        let (mut p_out, mut m_out, mut v_out) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
        let mut jobs: Vec<_> = p_out
            .chunks_mut(VALUES_PER_JOB)
            .zip(m_out.chunks_mut(VALUES_PER_JOB))
            .zip(v_out.chunks_mut(VALUES_PER_JOB))
            .collect();
        for_each_job(&mut jobs, |j, ((p_out, m_out), v_out)| {
            let at = j * VALUES_PER_JOB..j * VALUES_PER_JOB + p_out.len();
            let (ps, gs, ms, vs) = (&ps[at.clone()], &gs[at.clone()], &ms[at.clone()], &vs[at]);
            update(ps, gs, ms, vs, clip, k, p_out, m_out, v_out);
        });
        drop(jobs);
        let tensor =
            |values: Vec<f32>| FlexTensor::from_data(TensorData::new(values, shape.clone()));
        (tensor(p_out), tensor(m_out), tensor(v_out))
    }
}

super::wide_kernel! {
    /// The update of a run of values: reads `p, g, m, v` once, writes the new `p, m, v` once.
    fn update(
        ps: &[f32],
        gs: &[f32],
        ms: &[f32],
        vs: &[f32],
        clip: f32,
        k: AdamWConstants,
        p_out: &mut [f32],
        m_out: &mut [f32],
        v_out: &mut [f32],
    ) {
        // Zipped slices, no indexing: no bounds checks, so the loop vectorises (IEEE division
        // and square root round the same in vector and scalar code).
        let outs = p_out.iter_mut().zip(m_out.iter_mut()).zip(v_out.iter_mut());
        let ins = ps.iter().zip(gs).zip(ms).zip(vs);
        for (((p_out, m_out), v_out), (((&p, &g), &m), &v)) in outs.zip(ins) {
            let g = g * clip;
            let m = m * k.b1 + g * k.one_b1;
            let v = v * k.b2 + g * g * k.one_b2;
            let denom = (v / k.bias2).sqrt() + k.eps;
            *p_out = p * k.keep - m / k.bias1 / denom * k.lr;
            *m_out = m;
            *v_out = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{devices, on, read};
    use super::*;
    use crate::device::cpu;
    use burn::tensor::{Distribution, Tensor};

    fn step(t: i32, decay: f64) -> AdamWStep {
        AdamWStep {
            lr: 3e-3,
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            decay,
            t,
        }
    }

    /// Relative closeness, with an absolute floor for values near zero.
    fn assert_close(name: &str, a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let scale = x.abs().max(y.abs()).max(1e-3);
            assert!(
                (x - y).abs() <= tol * scale,
                "{name}[{i}]: fused {x}, reference {y}"
            );
        }
    }

    #[test]
    fn one_update_matches_the_composition() {
        let device = cpu().inner();
        // Odd sizes, the first step (zero moments) and a late one, with and without decay,
        // clipped and not; gradients from tiny to large so sqrt(v) spans many scales.
        for (n, t, decay, clip) in [
            (1, 1, 0.0, 1.0),
            (7, 1, 3e-4, 0.25),
            (1000, 37, 3e-4, 1.0),
            (4099, 500, 0.0, 0.5),
        ] {
            let rand = |std| Tensor::<1>::random([n], Distribution::Normal(0.0, std), &device);
            let p = rand(0.5);
            let g = rand(1.0) * rand(1.0).exp();
            let (m, v) = if t == 1 {
                (p.zeros_like(), p.zeros_like())
            } else {
                (rand(0.01), rand(0.01).powi_scalar(2))
            };
            let clip = Tensor::<1>::from_data(TensorData::new(vec![clip as f32], [1]), &device);
            let args = (p, g, m, v, clip, step(t, decay));
            let composed = reference(
                args.0.clone(),
                args.1.clone(),
                args.2.clone(),
                args.3.clone(),
                args.4.clone(),
                args.5,
            );
            let composed = [read(composed.0), read(composed.1), read(composed.2)];
            // The fused update on every device (the CPU's kernel, the GPU's with the `wgpu`
            // feature) against the CPU's composition.
            for to in devices() {
                let to = to.inner();
                let fused = adamw_update(
                    on(&to, &args.0),
                    on(&to, &args.1),
                    on(&to, &args.2),
                    on(&to, &args.3),
                    on(&to, &args.4),
                    args.5,
                );
                assert_close("p", &read(fused.0), &composed[0], 1e-6);
                assert_close("m", &read(fused.1), &composed[1], 1e-6);
                assert_close("v", &read(fused.2), &composed[2], 1e-6);
            }
        }
    }

    #[test]
    fn the_first_step_moves_every_weight_by_about_the_learning_rate() {
        // Adam's first update is lr * g / (|g| + eps): about lr for every weight, whatever the
        // gradient's scale. A kernel that forgot a bias correction would move them by
        // lr * (1 - b1) / sqrt(1 - b2) instead (~0.1 lr).
        let device = cpu().inner();
        let g = Tensor::<1>::from_data(TensorData::new(vec![1e-4f32, -3.0, 250.0], [3]), &device);
        let p = g.zeros_like();
        let one = Tensor::<1>::from_data(TensorData::new(vec![1.0f32], [1]), &device);
        let (p, _, _) = adamw_update(p.clone(), g, p.clone(), p, one, step(1, 0.0));
        let p = read(p);
        for (moved, sign) in p.iter().zip([-1.0f32, 1.0, -1.0]) {
            assert!((moved - sign * 3e-3).abs() < 3e-3 * 1e-3, "{p:?}");
        }
    }
}
