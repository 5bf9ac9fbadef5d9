//! Training really learns, is reproducible, and survives save -> load; bad files are refused.

use burn::module::Module;
use gpt::checkpoint;
use gpt::data::Dataset;
use gpt::device::read_f32;
use gpt::device::{block_on, cpu};
use gpt::model::tokens_tensor;
use gpt::train::{TrainConfig, Trainer};
use gpt::{Gpt, GptConfig, GptError, Tokenizer};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

const LINES: &str = include_str!("fixtures/tutorial.txt");

/// A learnable corpus: the fixture's sentences repeated in varying orders, so the held-out
/// tenth holds sentences the model has seen (memorisable, as in a tiny corpus).
fn corpus() -> String {
    let lines: Vec<&str> = LINES.lines().collect();
    let mut out = String::new();
    for round in 0..8 {
        for i in 0..lines.len() {
            out.push_str(lines[(i * 5 + round * 3) % lines.len()]);
            out.push('\n');
        }
    }
    out
}

fn setup(seed: u64) -> (Tokenizer, Trainer) {
    setup_on(seed, &cpu())
}

fn setup_on(seed: u64, device: &burn::tensor::Device) -> (Tokenizer, Trainer) {
    let text = corpus();
    let tokenizer = Tokenizer::train_char(&text).expect("tokenizer");
    let cfg = GptConfig::preset("tiny", tokenizer.vocab_size()).expect("preset");
    let ids = tokenizer.encode_ids(&text).expect("encode");
    let data = Dataset::new(ids, cfg.block_size, 0.1).expect("dataset");
    let model = Gpt::new(&cfg, seed, device).expect("model");
    let mut train = TrainConfig::preset("tiny").expect("train preset");
    train.seed = seed;
    train.decay_steps = 400;
    (
        tokenizer,
        Trainer::new(model, data, train).expect("trainer"),
    )
}

#[test]
fn validation_loss_falls_far_below_chance() {
    let (tokenizer, mut trainer) = setup(1);
    let chance = (tokenizer.vocab_size() as f32).ln();
    let (_, before) = block_on(trainer.estimate_loss()).expect("eval");
    assert!(
        (before - chance).abs() < 0.5,
        "an untrained model is near chance: {before} vs {chance}"
    );
    let report = block_on(trainer.train(400)).expect("train");
    assert_eq!(report.losses.len(), 400);
    assert_eq!(report.step, 400);
    let (train, val) = block_on(trainer.estimate_loss()).expect("eval");
    eprintln!(
        "loss before {before:.3}, after 400 steps: train {train:.3}, val {val:.3}; ln(vocab) {chance:.3}"
    );
    assert!(
        val < 0.6 * chance,
        "validation loss {val} should be far below ln(vocab) = {chance}"
    );
    assert!(train < before && train < 0.6 * chance, "train loss {train}");
}

#[test]
fn same_seed_same_losses_on_the_cpu() {
    let run = |seed| {
        let (_, mut trainer) = setup(seed);
        block_on(trainer.train(15)).expect("train").losses
    };
    let a = run(5);
    assert_eq!(a, run(5), "bit-identical with the same seed");
    assert_ne!(a, run(6), "a different seed gives a different run");
}

/// The gate for the GPU path (the fused ops' CubeCL kernels on wgpu; natively on Mesa's
/// lavapipe where there is no GPU): 50 training steps from the same weights and batches give
/// the CPU's losses within 1e-3.
#[cfg(feature = "wgpu")]
#[test]
fn fifty_steps_on_wgpu_match_the_cpu() {
    let run = |device: &burn::tensor::Device| {
        let (_, mut trainer) = setup_on(3, device);
        block_on(trainer.train(50)).expect("train").losses
    };
    let cpu_losses = run(&cpu());
    let gpu_losses = run(&burn::tensor::Device::wgpu(Default::default()).autodiff());
    let worst = cpu_losses
        .iter()
        .zip(&gpu_losses)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!(
        "50 steps: loss {:.4} -> {:.4} (CPU), {:.4} (wgpu); largest difference {worst:.2e}",
        cpu_losses[0], cpu_losses[49], gpu_losses[49]
    );
    assert_eq!(gpu_losses.len(), 50);
    assert!(worst <= 1e-3, "wgpu and CPU losses differ by {worst}");
    assert!(cpu_losses[49] < cpu_losses[0] - 0.5, "the run learns");
}

#[test]
fn divergence_is_reported_and_the_last_good_weights_kept() {
    let (_, mut trainer) = setup(2);
    block_on(trainer.train(3)).expect("train");
    let before = block_on(trainer.model().logits(&[1, 2, 3])).expect("logits");
    // Poison one weight: the next loss becomes NaN.
    let mut poisoned = trainer.model().clone();
    let w = poisoned.embeddings.wte.val();
    poisoned.embeddings.wte = burn::module::Param::from_tensor(w.mul_scalar(f32::NAN).detach());
    let text = corpus();
    let ids = Tokenizer::train_char(&text)
        .expect("tok")
        .encode_ids(&text)
        .expect("ids");
    let cfg = trainer.model().config().clone();
    let data = Dataset::new(ids, cfg.block_size, 0.1).expect("data");
    let mut bad = Trainer::new(poisoned, data, trainer.config().clone()).expect("trainer");
    let err = block_on(bad.train(4)).expect_err("must diverge");
    assert!(matches!(err, GptError::Diverged { step: 1, .. }), "{err}");
    assert!(err.to_string().contains("last good step"), "{err}");
    assert_eq!(bad.step(), 0, "the failed chunk is rolled back");
    // The healthy trainer is untouched and goes on.
    let after = block_on(trainer.model().logits(&[1, 2, 3])).expect("logits");
    assert_eq!(before, after);
    block_on(trainer.train(2)).expect("still trains");
}

#[test]
fn checkpoint_round_trip_gives_identical_logits() {
    let (tokenizer, mut trainer) = setup(3);
    block_on(trainer.train(20)).expect("train");
    let model = trainer.model().valid();
    let bytes = block_on(checkpoint::save(&model, &tokenizer, trainer.step())).expect("save");
    let loaded = checkpoint::load(&bytes, &cpu()).expect("load");
    // Compare inference with inference: autodiff decomposes some fused ops (LayerNorm), which
    // rounds differently in the last bit.
    let loaded_model = loaded.model.valid();
    assert_eq!(loaded.step, 20);
    assert_eq!(loaded.tokenizer, tokenizer);
    assert_eq!(loaded_model.config(), model.config());
    let tokens = tokenizer.encode_ids("The causal mask").expect("ids");
    let a = block_on(model.logits(&tokens)).expect("logits");
    let b = block_on(loaded_model.logits(&tokens)).expect("logits");
    assert_eq!(a, b, "save -> load must give identical logits");
}

#[test]
fn bad_checkpoints_give_clear_errors() {
    let (tokenizer, trainer) = setup(4);
    let model = trainer.model().valid();
    let bytes = block_on(checkpoint::save(&model, &tokenizer, 0)).expect("save");
    let load_err = |b: &[u8]| match checkpoint::load(b, &cpu()) {
        Ok(_) => panic!("a bad file must not load"),
        Err(e) => e.to_string(),
    };

    // Truncated.
    let err = load_err(&bytes[..bytes.len() / 2]);
    assert!(err.contains("truncated or corrupted"), "{err}");
    // Not a checkpoint at all.
    let err = load_err(b"hello, this is not a model");
    assert!(err.contains("cannot load checkpoint"), "{err}");
    // Corrupted header (flip bytes inside the JSON header).
    let mut corrupt = bytes.clone();
    for b in &mut corrupt[10..40] {
        *b = b'#';
    }
    let err = load_err(&corrupt);
    assert!(err.contains("cannot load checkpoint"), "{err}");
    // Mismatched: a checkpoint of another shape, relabelled with this config.
    let mut other_cfg = model.config().clone();
    other_cfg.n_embd = 16;
    other_cfg.n_head = 2;
    let other = Gpt::new(&other_cfg, 0, &cpu()).expect("model");
    let other_bytes = block_on(checkpoint::save(&other, &tokenizer, 0)).expect("save");
    let cfg_json = serde_json::to_string(model.config()).expect("json");
    let other_json = serde_json::to_string(&other_cfg).expect("json");
    let relabelled = relabel(&other_bytes, &other_json, &cfg_json);
    let err = load_err(&relabelled);
    let v = model.config().vocab_size;
    let expected = format!(
        "tensor \"transformer.wte.weight\" has shape [{v}, 16], but the config needs [{v}, 32]"
    );
    assert!(err.contains(&expected), "{err}");
    // Mismatched tokenizer: a vocabulary of another size.
    let small_tok = Tokenizer::train_char("abc abc").expect("tok");
    let tok_swapped = relabel(&bytes, &tokenizer.to_json(), &small_tok.to_json());
    let err = load_err(&tok_swapped);
    assert!(err.contains("do not match"), "{err}");
}

/// A tensor of a safetensors file: name, dtype, shape and raw bytes.
type RawTensor = (String, Dtype, Vec<usize>, Vec<u8>);

/// The tensors and metadata of a checkpoint, to build altered copies of it.
fn parts(bytes: &[u8]) -> (Vec<RawTensor>, HashMap<String, String>) {
    let (_, header) = SafeTensors::read_metadata(bytes).expect("header");
    let meta = header.metadata().clone().expect("metadata");
    let tensors = SafeTensors::deserialize(bytes).expect("tensors");
    let mut out: Vec<_> = tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            (
                name,
                view.dtype(),
                view.shape().to_vec(),
                view.data().to_vec(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    (out, meta)
}

fn assemble(tensors: &[RawTensor], meta: &HashMap<String, String>) -> Vec<u8> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, dtype, shape, data)| {
            (
                name.clone(),
                TensorView::new(*dtype, shape.clone(), data).expect("view"),
            )
        })
        .collect();
    safetensors::serialize(views, Some(meta.clone())).expect("serialize")
}

#[test]
fn checkpoints_with_a_missing_extra_mistyped_or_non_finite_tensor_are_refused() {
    let (tokenizer, trainer) = setup(6);
    let model = trainer.model().valid();
    let bytes = block_on(checkpoint::save(&model, &tokenizer, 0)).expect("save");
    let (tensors, meta) = parts(&bytes);
    let load_err = |b: &[u8]| match checkpoint::load(b, &cpu()) {
        Ok(_) => panic!("an altered file must not load"),
        Err(e) => e.to_string(),
    };
    // Unaltered, the reassembled file loads: the alterations below are what is refused.
    assert!(checkpoint::load(&assemble(&tensors, &meta), &cpu()).is_ok());
    let name = "transformer.h.0.attn.c_attn.weight";
    let at = tensors
        .iter()
        .position(|t| t.0 == name)
        .expect("tensor present");

    let mut missing = tensors.clone();
    missing.remove(at);
    let err = load_err(&assemble(&missing, &meta));
    assert!(
        err.contains(&format!("the tensor \"{name}\" is missing")),
        "{err}"
    );

    let mut extra = tensors.clone();
    extra.push((
        "transformer.h.7.attn.bias".into(),
        Dtype::F32,
        vec![2],
        vec![0; 8],
    ));
    let err = load_err(&assemble(&extra, &meta));
    assert!(
        err.contains("tensors this model does not use (transformer.h.7.attn.bias)"),
        "{err}"
    );

    // Integers are not weights (f16 and bf16 are: they are widened to f32).
    let mut ints = tensors.clone();
    ints[at].1 = Dtype::I32;
    let err = load_err(&assemble(&ints, &meta));
    assert!(
        err.contains(&format!(
            "tensor \"{name}\" is I32; F32, F16 and BF16 weights are read"
        )),
        "{err}"
    );

    for bad in [f32::NAN, f32::INFINITY] {
        let mut poisoned = tensors.clone();
        poisoned[at].3[12..16].copy_from_slice(&bad.to_le_bytes());
        let err = load_err(&assemble(&poisoned, &meta));
        assert!(
            err.contains(&format!(
                "tensor \"{name}\" holds a non-finite value at index 3"
            )),
            "{err}"
        );
    }
}

#[test]
fn training_with_dropout_learns_and_dropout_is_off_in_inference() {
    let text = corpus();
    let tokenizer = Tokenizer::train_char(&text).expect("tokenizer");
    let mut cfg = GptConfig::preset("tiny", tokenizer.vocab_size()).expect("preset");
    cfg.dropout = 0.2;
    let ids = tokenizer.encode_ids(&text).expect("encode");
    let data = Dataset::new(ids.clone(), cfg.block_size, 0.1).expect("dataset");
    let model = Gpt::new(&cfg, 8, &cpu()).expect("model");
    // Dropout is active in training passes (two differ) and off in inference (two agree).
    let tokens = tokens_tensor(&ids[..cfg.block_size], &cpu());
    let read = |t| block_on(read_f32::<3>(t)).expect("read");
    assert_ne!(
        read(model.forward_train(tokens.clone())),
        read(model.forward_train(tokens.clone()))
    );
    assert_eq!(
        read(model.forward(tokens.clone())),
        read(model.forward(tokens))
    );
    let mut train = TrainConfig::preset("tiny").expect("train preset");
    train.seed = 8;
    train.decay_steps = 300;
    let mut trainer = Trainer::new(model, data, train).expect("trainer");
    let (_, before) = block_on(trainer.estimate_loss()).expect("evaluate");
    block_on(trainer.train(300)).expect("train");
    let (_, after) = block_on(trainer.estimate_loss()).expect("evaluate");
    assert!(
        after < before - 1.0,
        "validation loss {before} -> {after} with dropout 0.2"
    );
}

/// Replace a metadata string inside a safetensors file, fixing up the header length.
fn relabel(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).expect("utf8 header");
    let escaped = |s: &str| serde_json::to_string(s).expect("json");
    let from_e = escaped(from);
    let to_e = escaped(to);
    assert!(
        header.contains(&from_e[1..from_e.len() - 1]),
        "metadata to replace is present"
    );
    let mut new_header = header.replace(&from_e[1..from_e.len() - 1], &to_e[1..to_e.len() - 1]);
    while new_header.len() % 8 != 0 {
        new_header.push(' ');
    }
    let mut out = (new_header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(new_header.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

#[test]
fn fine_tuning_moves_the_model_to_the_new_corpus() {
    // Corpus A: the fixture's first half of lines; corpus B: the second half. One tokenizer
    // (trained on both) carries over, as when a page fine-tunes a pre-trained model.
    let lines: Vec<&str> = LINES.lines().collect();
    let (a_lines, b_lines) = lines.split_at(lines.len() / 2);
    let repeat = |ls: &[&str]| {
        (0..10)
            .map(|r| ls[r % ls.len()..].join("\n") + "\n")
            .collect::<String>()
    };
    let (a, b) = (repeat(a_lines), repeat(b_lines));
    let tokenizer = Tokenizer::train_char(LINES).expect("tokenizer");
    let cfg = GptConfig::preset("tiny", tokenizer.vocab_size()).expect("preset");
    let data = |text: &str| {
        Dataset::new(
            tokenizer.encode_ids(text).expect("ids"),
            cfg.block_size,
            0.1,
        )
        .expect("data")
    };
    let mut settings = TrainConfig::preset("tiny").expect("train preset");
    settings.decay_steps = 250;
    let model = Gpt::new(&cfg, 9, &cpu()).expect("model");
    let mut trainer = Trainer::new(model, data(&a), settings.clone()).expect("trainer");
    block_on(trainer.train(250)).expect("pre-train on A");

    settings.learning_rate = 1e-3;
    settings.min_lr = 1e-4;
    settings.warmup_steps = 10;
    settings.decay_steps = 150;
    trainer.fine_tune(data(&b), settings).expect("switch to B");
    let (_, b_before) = block_on(trainer.estimate_loss()).expect("eval");
    // The fine-tuning run has its own schedule: after its 10 warm-up steps the learning rate is
    // at the new peak, not at the floor of the pre-training decay that ended 150 steps ago.
    let warm = block_on(trainer.train(10)).expect("fine-tune warm-up");
    assert!(
        (warm.learning_rate - 1e-3).abs() < 1e-4,
        "fine-tuning learning rate after warm-up: {}",
        warm.learning_rate
    );
    block_on(trainer.train(140)).expect("fine-tune on B");
    let (_, b_after) = block_on(trainer.estimate_loss()).expect("eval");
    eprintln!("loss on corpus B: {b_before:.3} before fine-tuning, {b_after:.3} after");
    assert!(
        b_after < 0.8 * b_before,
        "fine-tuning should lower B's loss: {b_before} -> {b_after}"
    );
    assert_eq!(trainer.step(), 400, "the step count carries on");
}

#[test]
fn data_from_another_tokenizer_is_refused() {
    let cfg = GptConfig::preset("tiny", 10).expect("preset");
    let ids: Vec<u32> = (0..400).map(|i| i % 12).collect();
    let data = Dataset::new(ids, cfg.block_size, 0.1).expect("data");
    let model = Gpt::new(&cfg, 0, &cpu()).expect("model");
    let err = match Trainer::new(model, data, TrainConfig::preset("tiny").expect("preset")) {
        Ok(_) => panic!("ids beyond the vocabulary must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("token id 11") && err.contains("10 tokens"),
        "{err}"
    );
}

#[test]
fn a_saved_run_resumes_with_bit_identical_steps() {
    let (tokenizer, mut trainer) = setup(9);
    block_on(trainer.train(25)).expect("train");
    let state = block_on(gpt::train::state::save(
        &trainer,
        &tokenizer,
        vec![("note".into(), "kept".into())],
    ))
    .expect("save the run");
    // The run goes on uninterrupted…
    let straight = block_on(trainer.train(12)).expect("train on");
    let (straight_train, straight_val) = block_on(trainer.estimate_loss()).expect("eval");
    // …and the same run, resumed from the file, takes exactly the same steps.
    let resumed = gpt::train::state::load(&state, &cpu()).expect("load the run");
    assert_eq!(resumed.step(), 25);
    assert_eq!(resumed.meta.get("note").map(String::as_str), Some("kept"));
    assert_eq!(resumed.tokenizer, tokenizer);
    let text = corpus();
    let ids = resumed.tokenizer.encode_ids(&text).expect("encode");
    let data = Dataset::new(ids, resumed.model().config().block_size, 0.1).expect("dataset");
    let mut again = resumed.trainer(data).expect("trainer");
    let after = block_on(again.train(12)).expect("train resumed");
    assert_eq!(after.step, straight.step);
    assert_eq!(
        after.losses, straight.losses,
        "the resumed steps are the uninterrupted ones"
    );
    assert_eq!(
        block_on(again.estimate_loss()).expect("eval"),
        (straight_train, straight_val)
    );
    // A model file (no run state) says what it lacks; a run file is no plain model file.
    let model_file =
        block_on(checkpoint::save(&trainer.model().valid(), &tokenizer, 37)).expect("save");
    let err = match gpt::train::state::load(&model_file, &cpu()) {
        Ok(_) => panic!("a model file is not a run"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no training state"), "{err}");
    let err = match checkpoint::load(&state, &cpu()) {
        Ok(_) => panic!("the optimizer tensors are not the model's"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("optimizer.m."), "{err}");
}

/// The weights of a model, read back (for bit-for-bit comparisons).
fn weights(model: &Gpt) -> Vec<Vec<f32>> {
    model
        .named_params()
        .into_iter()
        .map(|p| block_on(read_f32(p.values)).expect("read"))
        .collect()
}

#[test]
fn data_parallel_shards_train_like_one_trainer_and_replicas_stay_identical() {
    let (_, mut single) = setup(11);
    let straight = block_on(single.train(20)).expect("train").losses;
    for of in [2, 4] {
        let mut replicas: Vec<Trainer> = (0..of).map(|_| setup(11).1).collect();
        let mut losses = Vec::new();
        for step in 0..50 {
            let shards: Vec<_> = replicas
                .iter_mut()
                .enumerate()
                .map(|(i, r)| block_on(r.shard_gradients(i, of)).expect("shard"))
                .collect();
            let n = shards[0].gradients.len();
            let mut mean = vec![0.0f32; n];
            for s in &shards {
                mean.iter_mut()
                    .zip(&s.gradients)
                    .for_each(|(m, g)| *m += g / of as f32);
            }
            losses.push(shards.iter().map(|s| s.loss).sum::<f32>() / of as f32);
            for r in &mut replicas {
                r.apply_gradients(&mean).expect("apply");
            }
            if step == 19 {
                for (i, (a, b)) in losses.iter().zip(&straight).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-4,
                        "{of} shards, step {}: {a} vs {b}",
                        i + 1
                    );
                }
            }
        }
        assert_eq!(replicas[0].step(), 50);
        let first = weights(replicas[0].model());
        for r in &replicas[1..] {
            assert_eq!(
                weights(r.model()),
                first,
                "replicas applying the same gradients stay bit-identical"
            );
        }
    }
    let err = block_on(single.shard_gradients(0, 5))
        .map(|_| ())
        .expect_err("12 rows in 5 shards");
    assert!(
        err.to_string()
            .contains("does not split into 5 equal shards"),
        "{err}"
    );
    let err = single.apply_gradients(&[0.0; 3]).expect_err("wrong length");
    assert!(
        err.to_string().contains("3 gradient values for a model of"),
        "{err}"
    );
}
