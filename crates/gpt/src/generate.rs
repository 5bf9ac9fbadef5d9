//! Autoregressive generation: predict a distribution over the next token, pick one, append it,
//! repeat. Sampling happens on the CPU from logits read back once per token; a key/value cache
//! makes each new token cost one position of work.

use burn::module::Module;
use serde::{Deserialize, Serialize};

use crate::device::read_f32;
use crate::error::{GptError, Result};
use crate::model::{Gpt, KvCache, tokens_tensor};
use crate::rng::Rng;

/// How to turn next-token logits into a choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingOptions {
    /// Divides the logits: < 1 sharpens, > 1 flattens; 0 means greedy (always the top token).
    pub temperature: f32,
    /// Keep only the `k` most likely tokens (None: all).
    pub top_k: Option<usize>,
    /// Keep the smallest set of most likely tokens whose probability reaches `p` (None: all).
    /// With `top_k` too, `p` is a fraction of the mass the top `k` hold (their probabilities are
    /// renormalised first), as Hugging Face's `TopKLogitsWarper` then `TopPLogitsWarper` do.
    pub top_p: Option<f32>,
    /// Seed of the sampler, so a generation can be repeated.
    pub seed: u64,
    /// How many top candidates each step reports (for probability bars).
    pub candidates: usize,
    /// Use the key/value cache (off: recompute the whole context each token; for comparison).
    pub use_cache: bool,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            top_k: None,
            top_p: None,
            seed: 0,
            candidates: 10,
            use_cache: true,
        }
    }
}

impl SamplingOptions {
    /// Check the options; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return Err(GptError::Sampling(format!(
                "temperature must be 0 (greedy) or positive, not {}",
                self.temperature
            )));
        }
        if self.top_k == Some(0) {
            return Err(GptError::Sampling(
                "top_k must be at least 1 (or off)".into(),
            ));
        }
        if let Some(p) = self.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(GptError::Sampling(format!(
                "top_p must be in (0, 1], not {p}"
            )));
        }
        Ok(())
    }
}

/// A possible next token and its probability under the sampling options.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Token id.
    pub id: u32,
    /// Probability after temperature / top-k / top-p.
    pub probability: f32,
}

/// One generated token.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenStep {
    /// The chosen (or forced) token.
    pub token: u32,
    /// Its probability under the sampling distribution.
    pub probability: f32,
    /// True when the caller forced this token.
    pub forced: bool,
    /// The most likely candidates at this step, most likely first.
    pub candidates: Vec<Candidate>,
}

/// The sampling distribution for `logits` under `opts`: probabilities summing to 1.
pub fn distribution(logits: &[f32], opts: &SamplingOptions) -> Vec<f32> {
    let n = logits.len();
    if n == 0 {
        return Vec::new();
    }
    if opts.temperature == 0.0 {
        let best = argmax(logits);
        let mut p = vec![0.0; n];
        p[best] = 1.0;
        return p;
    }
    // Softmax of logits / temperature, shifted by the maximum for numerical safety.
    let max = crate::ops::max_of(logits);
    let mut p: Vec<f32> = logits
        .iter()
        .map(|&l| ((l - max) / opts.temperature).exp())
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    let mut keep = opts.top_k.map_or(n, |k| k.min(n));
    if let Some(top_p) = opts.top_p {
        // Fractions of what top-k kept, not of the whole vocabulary.
        let total: f32 = order[..keep].iter().map(|&i| p[i]).sum();
        let mut cumulative = 0.0;
        for (rank, &i) in order.iter().enumerate().take(keep) {
            cumulative += p[i] / total;
            if cumulative >= top_p {
                keep = rank + 1;
                break;
            }
        }
    }
    for &i in &order[keep..] {
        p[i] = 0.0;
    }
    let total: f32 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= total);
    p
}

/// Index of the largest value (the first one on ties).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Draw an index from a probability vector.
pub fn sample(probs: &[f32], rng: &mut Rng) -> usize {
    let r = rng.uniform();
    let mut cumulative = 0.0;
    let mut last_nonzero = 0;
    for (i, &p) in probs.iter().enumerate() {
        if p > 0.0 {
            cumulative += p;
            last_nonzero = i;
            if r < cumulative {
                return i;
            }
        }
    }
    // Rounding can leave the total a hair below 1.
    last_nonzero
}

/// The `n` most likely entries of a distribution, most likely first.
pub fn top_candidates(probs: &[f32], n: usize) -> Vec<Candidate> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(n)
        .map(|i| Candidate {
            id: i as u32,
            probability: probs[i],
        })
        .collect()
}

/// A generation in progress: start it with a prompt, then ask for one token at a time.
pub struct Generator {
    model: Gpt,
    tokens: Vec<u32>,
    cache: KvCache,
    next_logits: Vec<f32>,
    rng: Rng,
    options: SamplingOptions,
}

impl Generator {
    /// Process the prompt (cropped to the context) and get ready to produce its continuation.
    pub async fn new(model: &Gpt, prompt: &[u32], options: SamplingOptions) -> Result<Self> {
        options.validate()?;
        if prompt.is_empty() {
            return Err(GptError::Sampling(
                "the prompt is empty: give at least one token to continue".into(),
            ));
        }
        let block = model.config().block_size;
        model.check_tokens(&prompt[prompt.len().saturating_sub(block)..])?;
        let mut generator = Self {
            model: model.valid(),
            tokens: prompt.to_vec(),
            cache: KvCache::default(),
            next_logits: Vec::new(),
            rng: Rng::new(options.seed),
            options,
        };
        generator.refresh_logits(true).await?;
        Ok(generator)
    }

    /// All tokens so far (prompt and generated).
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Change the sampling options for the following steps (the seed stream continues).
    ///
    /// Turning the cache off and on again would leave it holding an older prefix, so a change of
    /// `use_cache` empties it; the next step rebuilds it from the whole context.
    pub fn set_options(&mut self, options: SamplingOptions) -> Result<()> {
        options.validate()?;
        if options.use_cache != self.options.use_cache {
            self.cache = KvCache::default();
        }
        self.options = options;
        Ok(())
    }

    /// Whether the key/value cache may be used: asked for, and the model is causal. Without the
    /// mask an earlier position's keys and values depend on later tokens (from the second layer
    /// on), so what was cached before a token arrived is stale: recompute everything instead.
    fn caching(&self) -> bool {
        self.options.use_cache && self.model.config().causal
    }

    /// The distribution the next token will be drawn from, top candidates first.
    pub fn candidates(&self) -> Vec<Candidate> {
        top_candidates(
            &distribution(&self.next_logits, &self.options),
            self.options.candidates,
        )
    }

    /// Raw next-token logits at the current position.
    pub fn logits(&self) -> &[f32] {
        &self.next_logits
    }

    /// Choose the next token (or take `forced`), append it, and compute the following logits.
    pub async fn next(&mut self, forced: Option<u32>) -> Result<GenStep> {
        let vocab = self.model.config().vocab_size;
        let probs = distribution(&self.next_logits, &self.options);
        let token = match forced {
            Some(id) if (id as usize) < vocab => id,
            Some(id) => {
                return Err(GptError::Sampling(format!(
                    "cannot force token {id}: the vocabulary has {vocab} tokens"
                )));
            }
            None => sample(&probs, &mut self.rng) as u32,
        };
        let step = GenStep {
            token,
            probability: probs[token as usize],
            forced: forced.is_some(),
            candidates: top_candidates(&probs, self.options.candidates),
        };
        self.tokens.push(token);
        self.refresh_logits(false).await?;
        Ok(step)
    }

    /// Compute the logits that follow the current tokens.
    ///
    /// With the cache, only the newest token is processed, as long as the cache holds exactly
    /// the tokens before it; when the context is full the window slides, every position shifts,
    /// and the cache is rebuilt from the last `block_size` tokens (exactly what a full
    /// recomputation would see). A cache that holds anything else is rebuilt too.
    async fn refresh_logits(&mut self, start: bool) -> Result<()> {
        let block = self.model.config().block_size;
        let device = self.model.device();
        let n = self.tokens.len();
        let window = &self.tokens[n.saturating_sub(block)..];
        let in_step = !start && n <= block && self.cache.len() + 1 == n;
        let logits = if self.caching() && in_step {
            let last = &self.tokens[n - 1..];
            self.model
                .forward_cached(tokens_tensor(last, &device), &mut self.cache)
        } else if self.caching() {
            self.cache = KvCache::default();
            self.model
                .forward_cached(tokens_tensor(window, &device), &mut self.cache)
        } else {
            self.model.forward(tokens_tensor(window, &device))
        };
        let [_, t, v] = logits.dims();
        let last = logits.narrow(1, t - 1, 1).reshape([v]); // [V]
        self.next_logits = read_f32(last).await?;
        Ok(())
    }
}

/// Generate `n` tokens after `prompt`; returns only the new tokens.
pub async fn generate(
    model: &Gpt,
    prompt: &[u32],
    n: usize,
    options: SamplingOptions,
) -> Result<Vec<u32>> {
    let mut generator = Generator::new(model, prompt, options).await?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(generator.next(None).await?.token);
    }
    Ok(out)
}
