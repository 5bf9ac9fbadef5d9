//! Multi-head self-attention, masked (causal) as in GPT: each position mixes in information from
//! the positions it may see, weighted by how well its query matches their keys.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::linear::Linear;
use super::weights::{NamedParam, WeightSource};
use crate::config::GptConfig;
use crate::error::Result;
use crate::ops::causal_attention::{self as attention, causal_mask};

/// One block's causal self-attention.
#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    /// Queries, keys and values of all heads at once: `[C, 3C]`.
    pub c_attn: Linear,
    /// Mixes the heads' outputs back into the residual stream: `[C, C]`.
    pub c_proj: Linear,
    n_head: usize,
}

/// Keys and values already computed for earlier positions, so that generating one more token
/// costs one position of work instead of recomputing the prefix.
///
/// The buffers are allocated once for `capacity` positions (the context window) and each new
/// position is written in place; attention reads the filled prefix as a view. Appending with
/// `cat` instead would copy the whole cache, in every layer, for every token.
#[derive(Clone, Debug)]
pub struct LayerCache {
    /// `[B, H, capacity, head_dim]` each, once something was cached.
    kv: Option<(Tensor<4>, Tensor<4>)>,
    /// Positions filled, from the start of the buffers.
    len: usize,
    /// Positions to allocate room for at the first write (the context window).
    capacity: usize,
}

impl LayerCache {
    /// An empty cache that will hold up to `capacity` positions without reallocating.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            kv: None,
            len: 0,
            capacity,
        }
    }

    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Write `k` and `v` (`[B, H, T, hd]`) after the cached positions: the keys and values of
    /// every position so far, `[B, H, T_past + T, hd]` each (views of the buffers).
    fn append(&mut self, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let [b, h, t, hd] = k.dims();
        let (start, end) = (self.len, self.len + t);
        let (kb, vb) = match self.kv.take() {
            Some((kb, vb)) if kb.dims()[0] == b && kb.dims()[2] >= end => (kb, vb),
            // First write (or a capacity below the positions written): buffers for the window,
            // with whatever was cached before copied to their start.
            previous => {
                let room = self.capacity.max(end);
                let buffer = |old: Option<Tensor<4>>| {
                    let fresh = Tensor::<4>::zeros([b, h, room, hd], &k.device());
                    match old {
                        Some(old) if start > 0 => {
                            let prefix = [0..b, 0..h, 0..start, 0..hd];
                            fresh.slice_assign(prefix.clone(), old.slice(prefix))
                        }
                        _ => fresh,
                    }
                };
                let (pk, pv) = previous.unzip();
                (buffer(pk), buffer(pv))
            }
        };
        // In place: the cache holds the only reference to the buffers here.
        let at = [0..b, 0..h, start..end, 0..hd];
        let (kb, vb) = (kb.slice_assign(at.clone(), k), vb.slice_assign(at, v));
        self.len = end;
        let filled = [0..b, 0..h, 0..end, 0..hd];
        let views = (kb.clone().slice(filled.clone()), vb.clone().slice(filled));
        self.kv = Some((kb, vb));
        views
    }
}

impl CausalSelfAttention {
    /// Build `prefix.c_attn` and `prefix.c_proj`.
    pub fn new(
        src: &mut dyn WeightSource,
        prefix: &str,
        cfg: &GptConfig,
        device: &Device,
    ) -> Result<Self> {
        let c = cfg.n_embd;
        Ok(Self {
            c_attn: Linear::new(src, &format!("{prefix}.c_attn"), c, 3 * c, cfg.bias, device)?,
            c_proj: Linear::new(src, &format!("{prefix}.c_proj"), c, c, cfg.bias, device)?,
            n_head: cfg.n_head,
        })
    }

    /// `x [B, T, C]` -> `(y [B, T, C], attention probabilities [B, H, T, T_total])`.
    ///
    /// When `causal`, a position attends only to itself and earlier ones; otherwise to all.
    /// With a `cache`, the new keys/values are appended to it and queries attend to all cached
    /// positions too (`T_total = T_past + T`). In training (`train`), dropout with probability
    /// `p` zeroes some attention weights before they mix the values, as in GPT-2 and nanoGPT;
    /// the probabilities returned (for the panels) are the ones before dropout.
    ///
    /// The attention itself (scores, mask, softmax, mixing the values) is
    /// [`crate::ops::causal_attention()`]: a fused kernel where one exists, with the composition
    /// of plain ops in that module as its reference.
    pub fn forward(
        &self,
        x: Tensor<3>,
        causal: bool,
        cache: Option<&mut LayerCache>,
        p: f64,
        train: bool,
    ) -> (Tensor<3>, Tensor<4>) {
        let qkv = self.c_attn.forward(x); // [B, T, 3C]
        let Some(cache) = cache else {
            let (y, probs) = crate::ops::causal_attention(qkv, self.n_head, causal, p, train);
            return (self.c_proj.forward(y), probs);
        };
        // Generation: the new positions' keys and values join the cached ones.
        let device = qkv.device();
        let (q, k, v) = attention::split_heads(qkv, self.n_head); // [B, H, T, hd] each
        let (k, v) = cache.append(k, v); // [B, H, T_past + T, hd] each
        // A single new query may see everything before it: no mask needed.
        let (t, t_total) = (q.dims()[2], k.dims()[2]);
        let mask = (causal && t > 1).then(|| causal_mask(t, t_total, &device));
        let (y, probs) = attention::attend(q, k, v, mask, p, train);
        (self.c_proj.forward(attention::merge_heads(y)), probs)
    }

    pub(crate) fn named_params(&self, prefix: &str, out: &mut Vec<NamedParam>) {
        self.c_attn.named_params(&format!("{prefix}.c_attn"), out);
        self.c_proj.named_params(&format!("{prefix}.c_proj"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{block_on, cpu, read_f32};
    use crate::model::weights::RandomInit;
    use burn::tensor::Distribution;

    /// Dropout on the attention weights: active in training only, unbiased (the mean over many
    /// draws is the output without dropout), and the weights reported to the panels are the
    /// undropped ones.
    #[test]
    fn attention_dropout_acts_in_training_only_and_keeps_the_expectation() {
        let mut cfg = GptConfig::preset("tiny", 11).expect("preset");
        cfg.n_embd = 8;
        cfg.n_head = 2;
        let device = cpu();
        let attn = CausalSelfAttention::new(&mut RandomInit::new(5, 1), "h.0.attn", &cfg, &device)
            .expect("attention");
        let x = Tensor::<3>::random([1, 6, 8], Distribution::Normal(0.0, 1.0), &device);
        let read = |t: Tensor<3>| block_on(read_f32(t)).expect("read");
        let (eval, eval_probs) = attn.forward(x.clone(), true, None, 0.5, false);
        let eval = read(eval);
        let (again, _) = attn.forward(x.clone(), true, None, 0.5, false);
        assert_eq!(read(again), eval, "no dropout outside training");

        // Enough draws that the standard error of each mean is ~1/60 of one draw's spread.
        let draws = 4000;
        let mut sum = vec![0.0f64; eval.len()];
        let mut sum_sq = vec![0.0f64; eval.len()];
        let mut differ = 0;
        let eval_probs = block_on(read_f32(eval_probs)).expect("probs");
        for _ in 0..draws {
            let (y, probs) = attn.forward(x.clone(), true, None, 0.5, true);
            let y = read(y);
            if y != eval {
                differ += 1;
            }
            for ((v, s), q) in y.iter().zip(&mut sum).zip(&mut sum_sq) {
                *s += f64::from(*v);
                *q += f64::from(*v) * f64::from(*v);
            }
            assert_eq!(block_on(read_f32(probs)).expect("probs"), eval_probs);
        }
        assert!(
            differ > draws * 9 / 10,
            "dropout changed only {differ} of {draws} outputs"
        );
        // Unbiased: every element's mean over the draws is within 6 standard errors of the
        // output without dropout (a chance failure is ~1e-9 per element), where forgetting the
        // 1/(1-p) rescale puts the worst element 50-90 standard errors away (measured).
        let n = f64::from(draws);
        let worst = sum
            .iter()
            .zip(&sum_sq)
            .zip(&eval)
            .map(|((s, q), e)| {
                let mean = s / n;
                let var = (q / n - mean * mean).max(0.0) * n / (n - 1.0);
                let se = (var / n).sqrt().max(1e-9);
                ((mean - f64::from(*e)) / se).abs()
            })
            .fold(0.0f64, f64::max);
        assert!(
            worst < 6.0,
            "the mean of the dropped outputs is {worst:.1} standard errors from the eval output"
        );
    }
}
