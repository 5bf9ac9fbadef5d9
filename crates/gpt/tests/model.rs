//! Properties that would catch a wrong GPT: causality, the KV cache, parameter counts.

use burn::module::Module;
use gpt::device::{block_on, cpu};
use gpt::generate::{Generator, SamplingOptions, generate};
use gpt::{Gpt, GptConfig, LayerNormPlacement};

fn tiny(vocab: usize) -> GptConfig {
    GptConfig::new(vocab, 16, 2, 2, 16)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Logits at positions < t must not depend on tokens at positions >= t.
fn earlier_logits_change(cfg: &GptConfig) -> f32 {
    let model = Gpt::new(cfg, 42, &cpu()).expect("model").valid();
    let a: Vec<u32> = vec![1, 5, 9, 2, 7, 3, 8, 4, 6, 0];
    let mut worst = 0.0f32;
    for t in 1..a.len() {
        let mut b = a.clone();
        for (k, tok) in b.iter_mut().enumerate().skip(t) {
            *tok = ((*tok as usize + 3 + k) % cfg.vocab_size) as u32;
        }
        let la = block_on(model.logits(&a)).expect("logits");
        let lb = block_on(model.logits(&b)).expect("logits");
        for pos in 0..t {
            worst = worst.max(max_abs_diff(&la[pos], &lb[pos]));
        }
    }
    worst
}

#[test]
fn predictions_ignore_future_tokens() {
    for placement in [LayerNormPlacement::Pre, LayerNormPlacement::Post] {
        let mut cfg = tiny(11);
        cfg.ln_placement = placement;
        let diff = earlier_logits_change(&cfg);
        assert!(
            diff <= 1e-5,
            "{placement:?}: earlier logits moved by {diff}"
        );
    }
}

#[test]
fn without_the_mask_future_tokens_leak() {
    let mut cfg = tiny(11);
    cfg.causal = false;
    let diff = earlier_logits_change(&cfg);
    assert!(
        diff > 1e-3,
        "with the mask off, earlier logits should change (moved {diff})"
    );
}

#[test]
fn kv_cache_matches_full_recomputation() {
    let cfg = tiny(13);
    let model = Gpt::new(&cfg, 7, &cpu()).expect("model");
    let prompt = [3u32, 1, 4, 1, 5];
    // 30 tokens: more than the context of 16, so the window slides and the cache is rebuilt.
    for temperature in [0.0, 1.0] {
        let opts = |use_cache| SamplingOptions {
            temperature,
            seed: 99,
            use_cache,
            ..SamplingOptions::default()
        };
        let cached = block_on(generate(&model, &prompt, 30, opts(true))).expect("cached");
        let full = block_on(generate(&model, &prompt, 30, opts(false))).expect("full");
        assert_eq!(cached, full, "temperature {temperature}");
    }
    // And the logits themselves, step by step.
    let mut a = block_on(Generator::new(&model, &prompt, SamplingOptions::default())).expect("gen");
    let opts = SamplingOptions {
        use_cache: false,
        ..SamplingOptions::default()
    };
    let mut b = block_on(Generator::new(&model, &prompt, opts)).expect("gen");
    for _ in 0..20 {
        assert!(max_abs_diff(a.logits(), b.logits()) <= 1e-4);
        let step = block_on(a.next(None)).expect("step");
        block_on(b.next(Some(step.token))).expect("forced step");
    }
}

#[test]
fn param_count_matches_the_built_model() {
    let mut configs = vec![tiny(11), GptConfig::new(65, 64, 4, 4, 128)];
    let mut untied = tiny(20);
    untied.tie_weights = false;
    untied.bias = false;
    configs.push(untied);
    let mut post = tiny(9);
    post.ln_placement = LayerNormPlacement::Post;
    configs.push(post);
    let mut no_ln = tiny(9);
    no_ln.layer_norm = false;
    configs.push(no_ln);
    for cfg in configs {
        let model = Gpt::new(&cfg, 0, &cpu()).expect("model");
        let named: usize = model
            .named_params()
            .iter()
            .map(|p| p.shape.iter().product::<usize>())
            .sum();
        assert_eq!(model.num_params() as u64, cfg.param_count(), "{cfg:?}");
        assert_eq!(named as u64, cfg.param_count(), "{cfg:?}");
    }
}

#[test]
fn reference_models_have_their_published_sizes() {
    for m in GptConfig::reference_models() {
        let count = m.config.param_count() as f64;
        let reported = m.reported_params as f64;
        m.config.validate().expect("reference configs are valid");
        assert!(
            (count / reported - 1.0).abs() < 0.05,
            "{}: {count} vs reported {reported}",
            m.name
        );
    }
    let gpt2 = GptConfig::new(50_257, 1024, 12, 12, 768).param_count() as f64;
    assert!((gpt2 / 124e6 - 1.0).abs() < 0.01, "GPT-2 small {gpt2}");
    let gpt3 = GptConfig::new(50_257, 2048, 96, 96, 12_288).param_count() as f64;
    assert!((gpt3 / 175e9 - 1.0).abs() < 0.01, "GPT-3 {gpt3}");
}

/// A change that breaks a valid config.
type Mutation = fn(&mut GptConfig);

#[test]
fn every_config_error_is_specific() {
    let ok = tiny(10);
    ok.validate().expect("valid");
    let cases: Vec<(Mutation, &str)> = vec![
        (|c| c.vocab_size = 1, "vocab_size"),
        (|c| c.block_size = 0, "block_size"),
        (|c| c.n_layer = 0, "n_layer"),
        (|c| c.n_head = 0, "n_head"),
        (|c| c.n_embd = 0, "n_embd"),
        (|c| c.n_head = 3, "not divisible"),
        (|c| c.dropout = 1.0, "dropout"),
        (|c| c.dropout = f32::NAN, "dropout"),
    ];
    for (mutate, needle) in cases {
        let mut cfg = ok.clone();
        mutate(&mut cfg);
        let err = cfg.validate().expect_err("invalid config").to_string();
        assert!(err.contains(needle), "{err} should mention {needle}");
        assert!(
            Gpt::new(&cfg, 0, &cpu()).is_err(),
            "building {cfg:?} must fail"
        );
    }
    let err = ok
        .validate_vocab(12)
        .expect_err("vocab mismatch")
        .to_string();
    assert!(err.contains("10") && err.contains("12"), "{err}");
    assert!(GptConfig::preset("huge", 10).is_err());
}

#[test]
fn trace_reports_sane_attention_and_statistics() {
    let cfg = tiny(11);
    let model = Gpt::new(&cfg, 3, &cpu()).expect("model");
    let tokens = [1u32, 2, 3, 4, 5, 6];
    let trace = block_on(model.trace(&tokens)).expect("trace");
    let t = tokens.len();
    assert_eq!(trace.attention.len(), cfg.n_layer);
    for layer in &trace.attention {
        assert_eq!(layer.len(), cfg.n_head * t * t);
        for row in layer.chunks_exact(t).enumerate() {
            let (r, values) = row;
            let query = r % t;
            let sum: f32 = values.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "row sums to {sum}");
            assert!(
                values[query + 1..].iter().all(|&p| p == 0.0),
                "no weight on the future"
            );
        }
    }
    assert_eq!(trace.residual.len(), 1 + 2 * cfg.n_layer + 1);
    assert_eq!(trace.layer_norms.len(), 2 * cfg.n_layer + 1);
    for ln in &trace.layer_norms {
        // Fresh LayerNorm: gain 1, bias 0, so the output is standardised.
        assert!(
            ln.output_mean.abs() < 1e-4 && (ln.output_std - 1.0).abs() < 1e-2,
            "{ln:?}"
        );
    }
    assert_eq!(trace.logits.len(), t * cfg.vocab_size);
    let direct = block_on(model.logits(&tokens)).expect("logits");
    assert!(max_abs_diff(&trace.logits, &direct.concat()) < 1e-5);
    let (wte, wpe) = block_on(model.embedding_tables()).expect("tables");
    assert_eq!(
        (wte.len(), wpe.len()),
        (cfg.vocab_size * cfg.n_embd, cfg.block_size * cfg.n_embd)
    );
    assert!(block_on(model.trace(&[])).is_err());
    assert!(block_on(model.trace(&[99])).is_err(), "unknown id");
    assert!(
        block_on(model.trace(&[1; 17])).is_err(),
        "longer than the context"
    );
}
