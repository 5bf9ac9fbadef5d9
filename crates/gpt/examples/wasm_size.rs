//! A minimal wasm module that uses the whole training and generation path of the `gpt` crate,
//! so `make wasm-check` can report how big the model crate alone makes a browser bundle.
//! Build: `cargo build -p gpt --example wasm_size --target wasm32-unknown-unknown --release`.

use gpt::data::Dataset;
use gpt::device::{block_on, cpu};
use gpt::generate::{SamplingOptions, generate};
use gpt::train::{TrainConfig, Trainer};
use gpt::{Gpt, GptConfig, Tokenizer, checkpoint};

/// Train a tiny model for `steps` steps on a fixed text, sample from it, save it; returns the
/// last loss (or -1 on error).
#[unsafe(no_mangle)]
pub extern "C" fn train_and_sample(steps: u32) -> f32 {
    run(steps as usize).unwrap_or(-1.0)
}

fn run(steps: usize) -> gpt::Result<f32> {
    let text = "a tiny corpus for a tiny model, repeated. ".repeat(20);
    let tokenizer = Tokenizer::train_bpe(&text, 300)?;
    let cfg = GptConfig::preset("tiny", tokenizer.vocab_size())?;
    let data = Dataset::new(tokenizer.encode_ids(&text)?, cfg.block_size, 0.1)?;
    let mut trainer = Trainer::new(
        Gpt::new(&cfg, 0, &cpu())?,
        data,
        TrainConfig::preset("tiny")?,
    )?;
    let report = block_on(trainer.train(steps))?;
    let out = block_on(generate(
        trainer.model(),
        &[1],
        8,
        SamplingOptions::default(),
    ))?;
    // black_box keeps the trace and checkpoint code in the module for the size measurement.
    std::hint::black_box(block_on(trainer.model().trace(&out))?);
    let bytes = block_on(checkpoint::save(
        trainer.model(),
        &tokenizer,
        trainer.step(),
    ))?;
    std::hint::black_box(bytes);
    // The Hugging Face folder out and back in (the page's "Download for transformers" and import).
    let files = block_on(gpt::huggingface::export(trainer.model(), &tokenizer))?;
    std::hint::black_box(gpt::huggingface::import(&files, &cpu())?);
    Ok(report.losses.last().copied().unwrap_or(0.0))
}
