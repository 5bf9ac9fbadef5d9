//! `gpt bench`: training tokens/s and generation tokens/s (with and without the KV cache).

use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use gpt::data::Dataset;
use gpt::device::block_on;
use gpt::generate::{SamplingOptions, generate};
use gpt::rng::Rng;
use gpt::train::{TrainConfig, Trainer};
use gpt::{Gpt, GptConfig, GptError};

use crate::cli::DeviceArg;

/// Size burn's CPU thread pool (rayon's global pool, which flex's kernels and gemm use) before
/// any work starts; `None` keeps one thread per core.
pub fn use_threads(threads: Option<usize>) -> Result<(), GptError> {
    if let Some(n) = threads {
        if n == 0 {
            return Err(GptError::Config(
                "--threads must be at least 1 (leave it out for one per core)".into(),
            ));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| GptError::Config(format!("cannot start {n} threads: {e}")))?;
    }
    Ok(())
}

/// Run the benchmark and print a table.
pub fn run(
    preset: &str,
    iters: usize,
    vocab: usize,
    device: Device,
    which: DeviceArg,
    threads: usize,
) -> Result<(), GptError> {
    let cfg = GptConfig::preset(preset, vocab)?;
    let train_cfg = TrainConfig::preset(preset)?;
    let (bs, t) = (train_cfg.batch_size, cfg.block_size);
    // Token ids drawn at random: speed does not depend on the text.
    let mut rng = Rng::new(0);
    let ids: Vec<u32> = (0..200_000).map(|_| rng.below(vocab) as u32).collect();
    let dataset = Dataset::new(ids, t, 0.1)?;
    let model = Gpt::new(&cfg, 0, &device)?;
    let mut trainer = Trainer::new(model, dataset, train_cfg)?;

    block_on(trainer.train(5))?; // warm-up: allocations, caches, kernel compilation on GPUs
    let started = Instant::now();
    block_on(trainer.train(iters))?;
    let secs = started.elapsed().as_secs_f64();
    let train_tps = (iters * bs * t) as f64 / secs;
    let ms_per_iter = secs * 1000.0 / iters as f64;

    let model = trainer.model().valid();
    let n_gen = t - 1; // stay inside one context window: the cache is never rebuilt
    let gen_rate = |use_cache| -> Result<f64, GptError> {
        let opts = SamplingOptions {
            use_cache,
            seed: 1,
            ..SamplingOptions::default()
        };
        block_on(generate(&model, &[0], 4, opts.clone()))?; // warm-up
        let started = Instant::now();
        let mut produced = 0;
        while started.elapsed().as_secs_f64() < 1.0 || produced == 0 {
            produced += block_on(generate(&model, &[0], n_gen, opts.clone()))?.len();
        }
        Ok(produced as f64 / started.elapsed().as_secs_f64())
    };
    let with_cache = gen_rate(true)?;
    let without_cache = gen_rate(false)?;

    println!(
        "gpt bench: preset {preset} ({} parameters), device {which:?}, {threads} CPU threads",
        cfg.param_count()
    );
    println!(
        "  config: {} layers, {} heads, {} wide, context {t}, vocab {vocab}, batch {bs}",
        cfg.n_layer, cfg.n_head, cfg.n_embd
    );
    println!("| measurement | value |");
    println!("| --- | --- |");
    println!("| training tokens/s | {train_tps:.0} |");
    println!("| training ms/iteration | {ms_per_iter:.1} |");
    println!("| generation tokens/s, KV cache | {with_cache:.0} |");
    println!("| generation tokens/s, no cache | {without_cache:.0} |");
    println!("| KV-cache speed-up | {:.2}x |", with_cache / without_cache);
    println!("BENCH_TRAIN_TOKENS_PER_SEC={train_tps:.1}");
    Ok(())
}
