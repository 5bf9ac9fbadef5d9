//! Every fused op against its reference on a given device: the output and the gradient of
//! every input under a random linear loss, on odd shapes. The unit tests of each op check more
//! cases natively; this exists so that the same comparison runs where `cargo test` cannot: in
//! the browser, on flex compiled to wasm32 (SIMD128) and on WebGPU (`wasm-bindgen` tests).

use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};

use super::{AdamWStep, adamw, causal_attention, cross_entropy, gelu, layer_norm, linear};
use crate::device::read_f32;
use crate::error::Result;

/// One comparison: an op's output or one of its gradients, on one shape.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// What was compared, e.g. `causal_attention [2, 9, 3 heads] causal: dqkv`.
    pub case: String,
    /// Largest absolute difference between the fused op and the reference.
    pub diff: f32,
    /// Largest magnitude in the reference (at least 1): the tolerance is relative to it.
    pub scale: f32,
    /// Allowed `diff / scale`.
    pub tolerance: f32,
}

impl Comparison {
    /// Whether the fused op agrees with the reference within the tolerance.
    pub fn passed(&self) -> bool {
        self.diff <= self.tolerance * self.scale
    }
}

/// A copy of `t` (drawn on the CPU) on `to`, with the same values: every fused op is compared
/// with the reference composition on the CPU from the same inputs.
pub(crate) fn on<const D: usize>(to: &Device, t: &Tensor<D>) -> Tensor<D> {
    Tensor::from_data(t.to_data(), to)
}

/// Relative tolerance of every comparison: f32 rounding of sums taken in another order.
const TOLERANCE: f32 = 2e-5;

/// Compare every fused op on `device` (which must support autodiff) with its reference on the
/// CPU, from the same inputs. The oracle is the CPU's because burn's own ops differ slightly
/// between backends (its GELU on wgpu uses another erf, good to ~1e-6 forward and ~5e-4 in the
/// gradient).
pub async fn compare_with_references(device: &Device) -> Result<Vec<Comparison>> {
    let mut out = Vec::new();
    let cpu = crate::device::cpu();
    let cpu = &cpu;
    let normal =
        |shape: [usize; 3], sd| Tensor::<3>::random(shape, Distribution::Normal(0.0, sd), cpu);

    // GELU on a [3, 7, 5] tensor wide enough to reach erf's tails.
    let x = normal([3, 7, 5], 3.0);
    let w = normal([3, 7, 5], 1.0);
    let run = |f: fn(Tensor<3>) -> Tensor<3>, to: &Device| {
        let x = on(to, &x).require_grad();
        let y = f(x.clone());
        let grads = (y.clone() * on(to, &w)).sum().backward();
        (y, x.grad(&grads))
    };
    let (ours, theirs) = (run(gelu::gelu, device), run(gelu::reference, cpu));
    compare(&mut out, "gelu [3, 7, 5]", "y", ours.0, theirs.0).await?;
    compare_grad(&mut out, "gelu [3, 7, 5]", "dx", ours.1, theirs.1).await?;

    // LayerNorm over 7 channels.
    let x = normal([2, 5, 7], 2.0);
    let w = normal([2, 5, 7], 1.0);
    let gamma = Tensor::<1>::random([7], Distribution::Normal(1.0, 0.5), cpu);
    let beta = Tensor::<1>::random([7], Distribution::Normal(0.0, 0.5), cpu);
    type LayerNormFn = fn(Tensor<3>, Tensor<1>, Option<Tensor<1>>, f64) -> Tensor<3>;
    let run = |f: LayerNormFn, to: &Device| {
        let (x, g, b) = (
            on(to, &x).require_grad(),
            on(to, &gamma).require_grad(),
            on(to, &beta).require_grad(),
        );
        let y = f(x.clone(), g.clone(), Some(b.clone()), 1e-5);
        let grads = (y.clone() * on(to, &w)).sum().backward();
        (y, x.grad(&grads), [g.grad(&grads), b.grad(&grads)])
    };
    let (ours, theirs) = (
        run(layer_norm::layer_norm, device),
        run(layer_norm::reference, cpu),
    );
    let case = "layer_norm [2, 5, 7]";
    compare(&mut out, case, "y", ours.0, theirs.0).await?;
    compare_grad(&mut out, case, "dx", ours.1, theirs.1).await?;
    let [dgamma, dbeta] = ours.2;
    let [rgamma, rbeta] = theirs.2;
    compare_grad(&mut out, case, "dgamma", dgamma, rgamma).await?;
    compare_grad(&mut out, case, "dbeta", dbeta, rbeta).await?;

    // Attention: T = 1, T odd with one head, several heads; masked and unmasked.
    for (b, t, h, hd) in [(1, 1, 2, 4), (2, 9, 1, 5), (2, 9, 3, 4)] {
        for causal in [true, false] {
            let qkv = normal([b, t, 3 * h * hd], 1.0);
            let w = normal([b, t, h * hd], 1.0);
            type AttentionFn = fn(Tensor<3>, usize, bool, f64, bool) -> (Tensor<3>, Tensor<4>);
            let run = |f: AttentionFn, to: &Device| {
                let x = on(to, &qkv).require_grad();
                let (y, probs) = f(x.clone(), h, causal, 0.0, true);
                let grads = (y.clone() * on(to, &w)).sum().backward();
                (y, probs, x.grad(&grads))
            };
            let (ours, theirs) = (
                run(causal_attention::causal_attention, device),
                run(causal_attention::reference, cpu),
            );
            let mode = if causal { "causal" } else { "unmasked" };
            let case = format!("causal_attention [{b}, {t}, {h} heads of {hd}] {mode}");
            compare(&mut out, &case, "y", ours.0, theirs.0).await?;
            compare(&mut out, &case, "probs", ours.1, theirs.1).await?;
            compare_grad(&mut out, &case, "dqkv", ours.2, theirs.2).await?;
        }
    }

    // Cross-entropy of 11 rows over a vocabulary of 13, scaled logits (a naive exp overflows).
    let logits = Tensor::<2>::random([11, 13], Distribution::Normal(0.0, 20.0), cpu);
    let ids: Vec<i64> = (0..11).map(|r| (r * 5 % 13) as i64).collect();
    let run = |f: fn(Tensor<2>, Tensor<1, Int>) -> Tensor<1>, to: &Device| {
        let x = on(to, &logits).require_grad();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(ids.clone(), [11]), to);
        let loss = f(x.clone(), targets);
        let grads = loss.clone().mul_scalar(1.7).sum().backward();
        (loss, x.grad(&grads))
    };
    let (ours, theirs) = (
        run(cross_entropy::cross_entropy, device),
        run(cross_entropy::reference, cpu),
    );
    let case = "cross_entropy [11, 13]";
    compare(&mut out, case, "loss", ours.0, theirs.0).await?;
    compare_grad(&mut out, case, "dlogits", ours.1, theirs.1).await?;

    // The linear layer on our own matrix product (flex only: no GPU kernel): edges of its 4 x 8
    // tile, and a sum deeper than one 256-step block.
    if super::is_flex(device) {
        for (rows, d_in, d_out) in [(9, 17, 33), (5, 260, 12)] {
            let x = Tensor::<2>::random([rows, d_in], Distribution::Normal(0.0, 1.0), cpu);
            let weight = Tensor::<2>::random([d_in, d_out], Distribution::Normal(0.0, 0.5), cpu);
            let bias = Tensor::<1>::random([d_out], Distribution::Normal(0.0, 0.5), cpu);
            let w = Tensor::<2>::random([rows, d_out], Distribution::Normal(0.0, 1.0), cpu);
            let run = |fused: bool, to: &Device| {
                let (x, weight, bias) = (
                    on(to, &x).require_grad(),
                    on(to, &weight).require_grad(),
                    on(to, &bias).require_grad(),
                );
                let y = if fused {
                    linear::fused(x.clone(), weight.clone(), bias.clone())
                } else {
                    linear::reference(x.clone(), weight.clone(), Some(bias.clone()))
                };
                let grads = (y.clone() * on(to, &w)).sum().backward();
                (y, x.grad(&grads), weight.grad(&grads), bias.grad(&grads))
            };
            let (ours, theirs) = (run(true, device), run(false, cpu));
            let case = format!("linear [{rows}, {d_in}] x [{d_in}, {d_out}]");
            compare(&mut out, &case, "y", ours.0, theirs.0).await?;
            compare_grad(&mut out, &case, "dx", ours.1, theirs.1).await?;
            compare_grad(&mut out, &case, "dW", ours.2, theirs.2).await?;
            compare_grad(&mut out, &case, "db", ours.3, theirs.3).await?;
        }
    }

    // One AdamW update of 37 values, a late step, with decay and a clip factor.
    let vector = |sd| Tensor::<1>::random([37], Distribution::Normal(0.0, sd), cpu);
    let (p, g, m) = (vector(0.5), vector(1.0), vector(0.01));
    let v = vector(0.01).powi_scalar(2);
    let clip = Tensor::<1>::random([1], Distribution::Uniform(0.2, 1.0), cpu);
    let step = AdamWStep {
        lr: 3e-3,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
        decay: 3e-5,
        t: 12,
    };
    let ours = adamw::adamw_update(
        on(device, &p),
        on(device, &g),
        on(device, &m),
        on(device, &v),
        on(device, &clip),
        step,
    );
    let theirs = adamw::reference(p, g, m, v, clip, step);
    let case = "adamw_update [37]";
    compare(&mut out, case, "p", ours.0, theirs.0).await?;
    compare(&mut out, case, "m", ours.1, theirs.1).await?;
    compare(&mut out, case, "v", ours.2, theirs.2).await?;
    Ok(out)
}

/// [`compare`] for gradients; a missing one is a failed comparison.
async fn compare_grad<const D: usize>(
    out: &mut Vec<Comparison>,
    case: &str,
    what: &str,
    ours: Option<Tensor<D>>,
    reference: Option<Tensor<D>>,
) -> Result<()> {
    match (ours, reference) {
        (Some(a), Some(b)) => compare(out, case, what, a, b).await,
        _ => {
            out.push(Comparison {
                case: format!("{case}: {what} (no gradient)"),
                diff: f32::INFINITY,
                scale: 1.0,
                tolerance: TOLERANCE,
            });
            Ok(())
        }
    }
}

/// Read both tensors and record how far apart they are.
async fn compare<const D: usize>(
    out: &mut Vec<Comparison>,
    case: &str,
    what: &str,
    ours: Tensor<D>,
    reference: Tensor<D>,
) -> Result<()> {
    let (a, b) = (read_f32(ours).await?, read_f32(reference).await?);
    let diff = if a.len() == b.len() {
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    } else {
        f32::INFINITY
    };
    out.push(Comparison {
        case: format!("{case}: {what}"),
        diff,
        scale: b.iter().fold(1.0f32, |m, v| m.max(v.abs())),
        tolerance: TOLERANCE,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::block_on;
    use crate::ops::testing::devices;

    #[test]
    fn every_fused_op_and_gradient_agrees_natively() {
        for device in devices() {
            let report = block_on(compare_with_references(&device)).expect("compare");
            // 2 for GELU, 4 for LayerNorm, 3 for each of 6 attention cases, 2 for the
            // cross-entropy, 4 for each of 2 linear cases (on flex only), 3 for AdamW.
            let linear = if crate::ops::is_flex(&device) { 8 } else { 0 };
            assert_eq!(report.len(), 2 + 4 + 18 + 2 + linear + 3);
            for c in &report {
                assert!(c.passed(), "{device:?}: {c:?}");
            }
        }
    }
}
