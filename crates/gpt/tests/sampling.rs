//! Sampling: temperature, top-k and top-p shape the next-token distribution as documented, draws
//! follow it, seeds repeat; the generator's key/value cache never changes what it computes.

use burn::module::Module;
use gpt::device::{block_on, cpu};
use gpt::generate::{Generator, SamplingOptions, distribution, sample, top_candidates};
use gpt::rng::Rng;
use gpt::{Gpt, GptConfig};

fn opts(temperature: f32, top_k: Option<usize>, top_p: Option<f32>) -> SamplingOptions {
    SamplingOptions {
        temperature,
        top_k,
        top_p,
        ..SamplingOptions::default()
    }
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f32 = e.iter().sum();
    e.iter().map(|x| x / total).collect()
}

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

/// Logits whose softmax is exactly `probs`.
fn logits_of(probs: &[f32]) -> Vec<f32> {
    probs.iter().map(|p| p.ln()).collect()
}

const LOGITS: [f32; 6] = [2.0, -1.0, 0.5, 3.0, 0.0, 1.0];

#[test]
fn temperature_one_is_the_softmax_zero_is_greedy_and_lower_is_sharper() {
    let p = distribution(&LOGITS, &opts(1.0, None, None));
    assert!(close(&p, &softmax(&LOGITS), 1e-6), "{p:?}");
    assert_eq!(
        distribution(&LOGITS, &opts(0.0, None, None)),
        vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    );
    // Dividing by T: the top token's probability falls as T grows, towards uniform.
    let top = |t: f32| distribution(&LOGITS, &opts(t, None, None))[3];
    let ts = [0.25, 0.5, 1.0, 2.0, 8.0, 100.0];
    for w in ts.windows(2) {
        assert!(top(w[0]) > top(w[1]), "p(top) at T={} vs T={}", w[0], w[1]);
    }
    assert!(
        (top(100.0) - 1.0 / 6.0).abs() < 0.01,
        "T = 100 is nearly uniform"
    );
    let scaled: Vec<f32> = LOGITS.iter().map(|l| l / 0.5).collect();
    assert!(close(
        &distribution(&LOGITS, &opts(0.5, None, None)),
        &softmax(&scaled),
        1e-6
    ));
    for t in ts {
        let p = distribution(&LOGITS, &opts(t, None, None));
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn top_k_keeps_the_k_likeliest_in_proportion() {
    let full = softmax(&LOGITS);
    for k in 1..=6 {
        let p = distribution(&LOGITS, &opts(1.0, Some(k), None));
        let kept: Vec<usize> = (0..6).filter(|&i| p[i] > 0.0).collect();
        assert_eq!(kept.len(), k, "top-{k}: {p:?}");
        let mut by_logit: Vec<usize> = (0..6).collect();
        by_logit.sort_by(|&a, &b| LOGITS[b].total_cmp(&LOGITS[a]));
        let mut expected = by_logit[..k].to_vec();
        expected.sort();
        assert_eq!(kept, expected, "top-{k} keeps the {k} largest logits");
        let mass: f32 = kept.iter().map(|&i| full[i]).sum();
        for &i in &kept {
            assert!(
                (p[i] - full[i] / mass).abs() < 1e-6,
                "renormalised in proportion"
            );
        }
    }
    // k beyond the vocabulary keeps everything.
    assert!(close(
        &distribution(&LOGITS, &opts(1.0, Some(99), None)),
        &full,
        1e-6
    ));
}

#[test]
fn top_p_keeps_the_smallest_set_that_reaches_p() {
    let logits = logits_of(&[0.1, 0.5, 0.05, 0.25, 0.1]);
    let kept = |p: f32| {
        let d = distribution(&logits, &opts(1.0, None, Some(p)));
        (0..5).filter(|&i| d[i] > 0.0).collect::<Vec<_>>()
    };
    assert_eq!(kept(0.4), vec![1]); // 0.5 >= 0.4
    assert_eq!(kept(0.6), vec![1, 3]); // 0.75
    assert_eq!(kept(0.8), vec![0, 1, 3]); // 0.85 (ties broken by id)
    assert_eq!(kept(1.0).len(), 5);
    let d = distribution(&logits, &opts(1.0, None, Some(0.6)));
    assert!(
        close(&d, &[0.0, 0.5 / 0.75, 0.0, 0.25 / 0.75, 0.0], 1e-6),
        "{d:?}"
    );
}

/// Hugging Face's convention: top-k first, then top-p over the probabilities renormalised to
/// the tokens top-k kept.
#[test]
fn top_p_after_top_k_is_a_fraction_of_the_kept_mass() {
    let logits = logits_of(&[0.5, 0.3, 0.2]);
    // Top-2 keeps 0.5 and 0.3, renormalised to 0.625 and 0.375; 0.625 already reaches 0.6.
    let d = distribution(&logits, &opts(1.0, Some(2), Some(0.6)));
    assert!(close(&d, &[1.0, 0.0, 0.0], 1e-6), "{d:?}");
    // 0.7 needs both.
    let d = distribution(&logits, &opts(1.0, Some(2), Some(0.7)));
    assert!(close(&d, &[0.625, 0.375, 0.0], 1e-6), "{d:?}");
}

#[test]
fn draws_follow_the_distribution_and_seeds_repeat() {
    let probs = [0.5, 0.0, 0.2, 0.25, 0.05];
    let n = 40_000;
    let mut counts = [0usize; 5];
    let mut rng = Rng::new(7);
    for _ in 0..n {
        counts[sample(&probs, &mut rng)] += 1;
    }
    assert_eq!(counts[1], 0, "a zero-probability token is never drawn");
    for (i, &p) in probs.iter().enumerate() {
        let freq = counts[i] as f32 / n as f32;
        // Five standard deviations of a binomial frequency.
        let sd = (p * (1.0 - p) / n as f32).sqrt();
        assert!(
            (freq - p).abs() <= 5.0 * sd + 1e-6,
            "token {i}: {freq} vs {p}"
        );
    }
    let draw = |seed| {
        let mut rng = Rng::new(seed);
        (0..50)
            .map(|_| sample(&probs, &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(1), draw(1), "the same seed gives the same draws");
    assert_ne!(draw(1), draw(2), "another seed gives other draws");
    let top = top_candidates(&probs, 3);
    assert_eq!(top.iter().map(|c| c.id).collect::<Vec<_>>(), vec![0, 3, 2]);
}

fn model(causal: bool) -> Gpt {
    let mut cfg = GptConfig::new(13, 16, 2, 2, 16);
    cfg.causal = causal;
    Gpt::new(&cfg, 3, &cpu()).expect("model").valid()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Steps `cached` and `full` (no cache) through the same forced tokens, checking that their
/// next-token logits agree at every step; `between(i, cached)` may change the cached one.
fn same_logits(model: &Gpt, mut between: impl FnMut(usize, &mut Generator)) -> f32 {
    let prompt = [3u32, 1, 4, 1, 5];
    let cached_opts = SamplingOptions::default();
    let full_opts = SamplingOptions {
        use_cache: false,
        ..SamplingOptions::default()
    };
    let mut cached = block_on(Generator::new(model, &prompt, cached_opts)).expect("generator");
    let mut full = block_on(Generator::new(model, &prompt, full_opts)).expect("generator");
    let mut worst = max_abs_diff(cached.logits(), full.logits());
    for i in 0..14 {
        between(i, &mut cached);
        let token = ((i * 7 + 2) % 13) as u32;
        block_on(cached.next(Some(token))).expect("step");
        block_on(full.next(Some(token))).expect("step");
        worst = worst.max(max_abs_diff(cached.logits(), full.logits()));
    }
    worst
}

#[test]
fn switching_the_cache_off_and_on_mid_generation_changes_nothing() {
    let m = model(true);
    let worst = same_logits(&m, |i, g| {
        // Off for steps 3..6, on again from step 6: the cache must not resume from step 3.
        let use_cache = !(3..6).contains(&i);
        g.set_options(SamplingOptions {
            use_cache,
            ..SamplingOptions::default()
        })
        .expect("options");
    });
    assert!(
        worst <= 1e-4,
        "logits differ by {worst} after toggling the cache"
    );
}

#[test]
fn a_model_without_the_mask_never_uses_stale_cached_keys() {
    let worst = same_logits(&model(false), |_, _| {});
    assert!(
        worst <= 1e-4,
        "non-causal model: cached logits differ from recomputed ones by {worst}"
    );
    // The causal model's cache is exact too (the same check, for contrast).
    assert!(same_logits(&model(true), |_, _| {}) <= 1e-4);
}

#[test]
fn the_same_seed_generates_the_same_text() {
    let m = model(true);
    let run = |seed| {
        let options = SamplingOptions {
            seed,
            temperature: 1.0,
            ..SamplingOptions::default()
        };
        let mut g = block_on(Generator::new(&m, &[1, 2, 3], options)).expect("generator");
        (0..30)
            .map(|_| block_on(g.next(None)).expect("step").token)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}
