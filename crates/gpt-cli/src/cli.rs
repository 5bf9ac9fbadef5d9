//! Command-line arguments and the `train` / `generate` commands.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use clap::{Parser, Subcommand, ValueEnum};
use gpt::data::Dataset;
use gpt::device::block_on;
use gpt::generate::{Generator, SamplingOptions};
use gpt::train::{TrainConfig, Trainer};
use gpt::{Gpt, GptConfig, GptError, Tokenizer, TokenizerKind, checkpoint};
use indicatif::{ProgressBar, ProgressStyle};

/// Train, sample from and benchmark a tiny GPT.
#[derive(Parser, Debug)]
#[command(name = "gpt", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where tensors run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DeviceArg {
    /// burn's `flex` CPU backend.
    Cpu,
    /// burn's wgpu backend (Vulkan, Metal, DX12; Mesa lavapipe on a CPU-only machine).
    Wgpu,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Pre-train a model on a text file and save it.
    Train {
        /// The training text (UTF-8).
        #[arg(long)]
        corpus: PathBuf,
        /// Model size: tiny, baby or small.
        #[arg(long, default_value = "baby")]
        preset: String,
        /// Optimisation steps.
        #[arg(long, default_value_t = 2000)]
        iters: usize,
        /// Where to write the checkpoint (safetensors).
        #[arg(long, default_value = "model.safetensors")]
        out: PathBuf,
        /// Tokenizer: char or bpe.
        #[arg(long, value_enum, default_value = "char")]
        tokenizer: TokenizerArg,
        /// Vocabulary size for the BPE tokenizer.
        #[arg(long, default_value_t = 512)]
        vocab_size: usize,
        /// Estimate train/validation loss every this many steps.
        #[arg(long, default_value_t = 250)]
        eval_interval: usize,
        /// Seed for initialisation and batches.
        #[arg(long, default_value_t = 1337)]
        seed: u64,
        /// Peak learning rate (default: the preset's).
        #[arg(long)]
        lr: Option<f64>,
        /// Sequences per step (default: the preset's).
        #[arg(long)]
        batch_size: Option<usize>,
        /// Compute device.
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
    },
    /// Continue a prompt with a saved model.
    Generate {
        /// A checkpoint written by `gpt train`, or a Hugging Face GPT-2 folder.
        #[arg(long)]
        model: PathBuf,
        /// The text to continue.
        #[arg(long, default_value = "\n")]
        prompt: String,
        /// How many tokens to generate.
        #[arg(long, default_value_t = 200)]
        tokens: usize,
        /// Sampling temperature (0 = greedy).
        #[arg(long, default_value_t = 0.8)]
        temperature: f32,
        /// Keep only the k most likely tokens.
        #[arg(long)]
        top_k: Option<usize>,
        /// Keep the most likely tokens up to this total probability.
        #[arg(long)]
        top_p: Option<f32>,
        /// Sampler seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Compute device.
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
    },
    /// Print the model's next-token logits at every position of a text, as JSON (for checks
    /// against other implementations, e.g. `bench/check_export.py`).
    Logits {
        /// A checkpoint written by `gpt train`, or a Hugging Face GPT-2 folder.
        #[arg(long)]
        model: PathBuf,
        /// The text to score.
        #[arg(long)]
        text: String,
    },
    /// Write a saved model as a Hugging Face model folder (config.json, model.safetensors,
    /// tokenizer.json, ...) that `GPT2LMHeadModel.from_pretrained` loads.
    Export {
        /// A checkpoint written by `gpt train`, or a Hugging Face GPT-2 folder.
        #[arg(long)]
        model: PathBuf,
        /// The folder to write (created if missing; files of the same names are replaced).
        #[arg(long)]
        hf: PathBuf,
    },
    /// Print the token ids of a text under a saved model's tokenizer, as JSON.
    Tokenize {
        /// A checkpoint written by `gpt train`, a Hugging Face folder (its tokenizer.json, or
        /// vocab.json + merges.txt), or a tokenizer.json.
        #[arg(long)]
        model: PathBuf,
        /// The text to tokenize.
        #[arg(long, required_unless_present = "file", conflicts_with = "file")]
        text: Option<String>,
        /// A UTF-8 file to tokenize instead of --text.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Read a Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer.json or
    /// vocab.json + merges.txt) and save it as this playground's checkpoint.
    Import {
        /// The folder.
        #[arg(long)]
        hf: PathBuf,
        /// Where to write the checkpoint (safetensors).
        #[arg(long, default_value = "model.safetensors")]
        out: PathBuf,
    },
    /// Measure training and generation speed of a preset (prints a table).
    Bench {
        /// Model size: tiny, baby or small.
        #[arg(long, default_value = "baby")]
        preset: String,
        /// Timed training steps (after a short warm-up).
        #[arg(long, default_value_t = 50)]
        iters: usize,
        /// Vocabulary size of the benchmark (65 = Shakespeare's characters, as nanoGPT).
        #[arg(long, default_value_t = 65)]
        vocab: usize,
        /// Compute device.
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// CPU threads for burn's kernels (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
}

/// Tokenizer choice on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum TokenizerArg {
    Char,
    Bpe,
}

/// Run the parsed command on a thread of burn's CPU thread pool.
///
/// Why on the pool: the kernels (gemm, attention, the element-wise ops) run their parallel
/// parts on rayon's pool. Called from the main thread, every one of them hands its jobs to the
/// pool's threads and puts the main thread to sleep until they are done (two context switches
/// per kernel, ~150 per training step), and while the main thread does the serial work between
/// kernels the idle pool threads spin beside it on the same cores. On a pool thread the caller
/// takes a share of the jobs itself and there is no third thread: baby trains ~12% faster at
/// 1 and at 2 threads (BENCHMARKS.md).
pub fn run(cli: Cli) -> Result<(), GptError> {
    if let Command::Bench { threads, .. } = &cli.command {
        // The pool's size is fixed when it starts, so before anything runs on it.
        crate::bench::use_threads(*threads)?;
    }
    rayon::scope(|_| run_command(cli))
}

fn run_command(cli: Cli) -> Result<(), GptError> {
    match cli.command {
        Command::Train {
            corpus,
            preset,
            iters,
            out,
            tokenizer,
            vocab_size,
            eval_interval,
            seed,
            lr,
            batch_size,
            device,
        } => {
            let kind = match tokenizer {
                TokenizerArg::Char => TokenizerKind::Char,
                TokenizerArg::Bpe => TokenizerKind::Bpe,
            };
            let settings = TrainSettings {
                preset,
                iters,
                kind,
                vocab_size,
                eval_interval,
                seed,
                lr,
                batch_size,
            };
            train(&corpus, &out, &settings, make_device(device)?)
        }
        Command::Generate {
            model,
            prompt,
            tokens,
            temperature,
            top_k,
            top_p,
            seed,
            device,
        } => {
            let options = SamplingOptions {
                temperature,
                top_k,
                top_p,
                seed,
                ..SamplingOptions::default()
            };
            generate(&model, &prompt, tokens, options, make_device(device)?)
        }
        Command::Logits { model, text } => logits(&model, &text),
        Command::Export { model, hf } => export_hf(&model, &hf),
        Command::Import { hf, out } => {
            let ckpt = load(&hf, &gpt::device::cpu())?;
            let bytes = block_on(checkpoint::save(&ckpt.model, &ckpt.tokenizer, 0))?;
            std::fs::write(&out, bytes).map_err(|e| {
                GptError::Checkpoint(format!("cannot write {}: {e}", out.display()))
            })?;
            let config = ckpt.model.config();
            println!(
                "saved {}: {} layers x {} wide, {} heads, context {}, {} tokens ({} parameters)",
                out.display(),
                config.n_layer,
                config.n_embd,
                config.n_head,
                config.block_size,
                config.vocab_size,
                config.param_count()
            );
            Ok(())
        }
        Command::Tokenize { model, text, file } => {
            let text = match (text, file) {
                (Some(text), _) => text,
                (None, Some(file)) => read_text(&file)?,
                (None, None) => String::new(),
            };
            let ids = load_tokenizer(&model)?.encode_ids(&text)?;
            let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
            println!("{{\"ids\":[{}]}}", ids.join(","));
            Ok(())
        }
        Command::Bench {
            preset,
            iters,
            vocab,
            device,
            threads: _,
        } => {
            let threads = rayon::current_num_threads();
            crate::bench::run(&preset, iters, vocab, make_device(device)?, device, threads)
        }
    }
}

/// An autodiff device of the requested kind.
pub fn make_device(arg: DeviceArg) -> Result<Device, GptError> {
    match arg {
        DeviceArg::Cpu => Ok(gpt::device::cpu()),
        #[cfg(feature = "wgpu")]
        DeviceArg::Wgpu => Ok(Device::wgpu(Default::default()).autodiff()),
        #[cfg(not(feature = "wgpu"))]
        DeviceArg::Wgpu => Err(GptError::Device(
            "this `gpt` was built without the `wgpu` feature; rebuild with `--features wgpu`"
                .into(),
        )),
    }
}

struct TrainSettings {
    preset: String,
    iters: usize,
    kind: TokenizerKind,
    vocab_size: usize,
    eval_interval: usize,
    seed: u64,
    lr: Option<f64>,
    batch_size: Option<usize>,
}

fn read_text(path: &PathBuf) -> Result<String, GptError> {
    let bytes = std::fs::read(path)
        .map_err(|e| GptError::Data(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| GptError::Data(format!("{} is not UTF-8 text", path.display())))
}

fn train(
    corpus: &PathBuf,
    out: &PathBuf,
    s: &TrainSettings,
    device: Device,
) -> Result<(), GptError> {
    let text = read_text(corpus)?;
    let tokenizer = Tokenizer::train(s.kind, &text, s.vocab_size)?;
    let cfg = GptConfig::preset(&s.preset, tokenizer.vocab_size())?;
    let mut train_cfg = TrainConfig::preset(&s.preset)?;
    train_cfg.seed = s.seed;
    train_cfg.decay_steps = s.iters;
    train_cfg.warmup_steps = train_cfg.warmup_steps.min(s.iters / 10);
    if let Some(lr) = s.lr {
        train_cfg.learning_rate = lr;
        train_cfg.min_lr = lr / 10.0;
    }
    if let Some(bs) = s.batch_size {
        train_cfg.batch_size = bs;
    }
    let ids = tokenizer.encode_ids(&text)?;
    let dataset = Dataset::new(ids, cfg.block_size, 0.1)?;
    println!(
        "corpus {} ({} chars), {:?} tokenizer with {} tokens; preset {}: {} parameters",
        corpus.display(),
        text.chars().count(),
        s.kind,
        tokenizer.vocab_size(),
        s.preset,
        cfg.param_count()
    );
    let model = Gpt::new(&cfg, s.seed, &device)?;
    let mut trainer = Trainer::new(model, dataset, train_cfg)?;

    let bar = ProgressBar::new(s.iters as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut tokens = 0usize;
    let chunk = 10;
    let mut last_val = f32::NAN;
    while trainer.step() < s.iters {
        let n = chunk.min(s.iters - trainer.step());
        let report = block_on(trainer.train(n))?;
        tokens += report.tokens;
        let rate = tokens as f64 / started.elapsed().as_secs_f64();
        let loss = report.losses.last().copied().unwrap_or(f32::NAN);
        bar.set_position(report.step as u64);
        bar.set_message(format!("loss {loss:.3} val {last_val:.3} {rate:.0} tok/s"));
        let at_eval = s.eval_interval > 0 && report.step % s.eval_interval < n;
        if at_eval || report.step == s.iters {
            let (tr, val) = block_on(trainer.estimate_loss())?;
            last_val = val;
            let line = format!(
                "step {:>5}: train loss {tr:.4}, val loss {val:.4}, {rate:.0} tokens/s",
                report.step
            );
            // Without a terminal the bar is hidden, and so is anything it prints.
            if bar.is_hidden() {
                println!("{line}");
            } else {
                bar.println(line);
            }
        }
    }
    bar.finish_and_clear();
    let model = trainer.model().valid();
    let bytes = block_on(checkpoint::save(&model, &tokenizer, trainer.step()))?;
    std::fs::write(out, bytes)
        .map_err(|e| GptError::Checkpoint(format!("cannot write {}: {e}", out.display())))?;
    println!(
        "saved {} after {} steps in {:.1}s (final val loss {last_val:.4})",
        out.display(),
        trainer.step(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A checkpoint file, or a Hugging Face GPT-2 folder (read as a model at step 0).
fn load(path: &PathBuf, device: &Device) -> Result<checkpoint::Checkpoint, GptError> {
    if path.is_dir() {
        let (model, tokenizer) = gpt::huggingface::import(&read_folder(path)?, device)?;
        return Ok(checkpoint::Checkpoint {
            model,
            tokenizer,
            step: 0,
        });
    }
    let bytes = std::fs::read(path)
        .map_err(|e| GptError::Checkpoint(format!("cannot read {}: {e}", path.display())))?;
    checkpoint::load(&bytes, device)
}

/// The files of a Hugging Face folder that an import reads (and `pytorch_model.bin`'s name, so
/// the error can mention it).
fn read_folder(dir: &std::path::Path) -> Result<Vec<gpt::huggingface::File>, GptError> {
    const NAMES: [&str; 6] = [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "vocab.json",
        "merges.txt",
        "pytorch_model.bin",
    ];
    let mut files = Vec::new();
    for name in NAMES {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let bytes = if name == "pytorch_model.bin" {
            Vec::new()
        } else {
            std::fs::read(&path)
                .map_err(|e| GptError::Import(format!("cannot read {}: {e}", path.display())))?
        };
        files.push(gpt::huggingface::File {
            name: name.into(),
            bytes,
        });
    }
    Ok(files)
}

/// The tokenizer of a checkpoint, of a Hugging Face folder, or of a tokenizer.json.
fn load_tokenizer(path: &PathBuf) -> Result<Tokenizer, GptError> {
    if path.is_dir() {
        return gpt::huggingface::tokenizer_from_files(&read_folder(path)?);
    }
    if path.extension().is_some_and(|e| e == "json") {
        return Ok(Tokenizer::from_hf_json(&read_text(path)?)?);
    }
    Ok(load(path, &gpt::device::cpu())?.tokenizer)
}

fn export_hf(path: &PathBuf, dir: &PathBuf) -> Result<(), GptError> {
    let ckpt = load(path, &gpt::device::cpu())?;
    let files = block_on(gpt::huggingface::export(&ckpt.model, &ckpt.tokenizer))?;
    let fail =
        |e: std::io::Error| GptError::Export(format!("cannot write to {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    for file in &files {
        std::fs::write(dir.join(&file.name), &file.bytes).map_err(fail)?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    println!("wrote {} to {}", names.join(", "), dir.display());
    Ok(())
}

fn logits(path: &PathBuf, text: &str) -> Result<(), GptError> {
    let ckpt = load(path, &gpt::device::cpu())?;
    let ids = ckpt.tokenizer.encode_ids(text)?;
    let logits = block_on(ckpt.model.valid().logits(&ids))?;
    let rows: Vec<String> = logits
        .iter()
        .map(|row| {
            format!(
                "[{}]",
                row.iter()
                    .map(|v| format!("{v:e}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    println!(
        "{{\"tokens\":[{}],\"logits\":[{}]}}",
        ids.join(","),
        rows.join(",")
    );
    Ok(())
}

fn generate(
    path: &PathBuf,
    prompt: &str,
    n: usize,
    options: SamplingOptions,
    device: Device,
) -> Result<(), GptError> {
    let started = Instant::now();
    let ckpt = load(path, &device)?;
    let loaded = started.elapsed().as_secs_f64();
    let model = ckpt.model.valid();
    let prompt_ids = ckpt.tokenizer.encode_ids(prompt)?;
    let started = Instant::now();
    let mut generator = block_on(Generator::new(&model, &prompt_ids, options))?;
    let mut ids = Vec::with_capacity(n);
    print!("{prompt}");
    let mut printed = 0;
    for _ in 0..n {
        ids.push(block_on(generator.next(None))?.token);
        // Print whole characters only: a BPE token may end inside a multi-byte character.
        let text = ckpt.tokenizer.decode_lossy(&ids);
        let complete = text.trim_end_matches('\u{FFFD}');
        if complete.len() > printed {
            print!("{}", &complete[printed..]);
            printed = complete.len();
        }
    }
    println!("{}", &ckpt.tokenizer.decode_lossy(&ids)[printed..]);
    // On stderr, so the text on stdout stays clean.
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "loaded in {loaded:.2} s; {n} tokens in {secs:.2} s: {:.1} ms/token, {:.1} tokens/s",
        secs * 1000.0 / n.max(1) as f64,
        n as f64 / secs
    );
    Ok(())
}
