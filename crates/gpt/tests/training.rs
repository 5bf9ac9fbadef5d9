//! Training really learns, is reproducible, and survives save -> load; bad files are refused.

use burn::module::Module;
use gpt::checkpoint;
use gpt::data::Dataset;
use gpt::device::{block_on, cpu};
use gpt::train::{TrainConfig, Trainer};
use gpt::{Gpt, GptConfig, GptError, Tokenizer};

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
    let text = corpus();
    let tokenizer = Tokenizer::train_char(&text).expect("tokenizer");
    let cfg = GptConfig::preset("tiny", tokenizer.vocab_size()).expect("preset");
    let ids = tokenizer.encode_ids(&text).expect("encode");
    let data = Dataset::new(ids, cfg.block_size, 0.1).expect("dataset");
    let model = Gpt::new(&cfg, seed, &cpu()).expect("model");
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
    assert!(
        err.contains("has shape") && err.contains("does the config match") || err.contains("shape"),
        "{err}"
    );
    // Mismatched tokenizer: a vocabulary of another size.
    let small_tok = Tokenizer::train_char("abc abc").expect("tok");
    let tok_swapped = relabel(&bytes, &tokenizer.to_json(), &small_tok.to_json());
    let err = load_err(&tok_swapped);
    assert!(err.contains("do not match"), "{err}");
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
