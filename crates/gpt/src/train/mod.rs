//! Pre-training (and fine-tuning): next-token prediction with cross-entropy, AdamW, warm-up and
//! cosine decay, gradient clipping, periodic validation.
//!
//! The API is step-wise and asynchronous so that one loop serves the native CLI and a browser:
//! [`Trainer::train`] runs a few steps, then reads their losses back in one asynchronous read.
//! On a GPU in a browser that read is also the back-pressure that keeps the queue short.

pub mod optimizer;
pub mod schedule;
pub mod state;

use burn::module::Module;
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use self::optimizer::{AdamW, AdamWSettings};
use crate::data::{Dataset, Split};
use crate::device::read_f32_concat;
use crate::error::{GptError, Result};
use crate::model::{Gpt, batch_tensor};
use crate::rng::Rng;

/// Training hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Sequences per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Floor the cosine decay ends at.
    pub min_lr: f64,
    /// Steps of linear warm-up.
    pub warmup_steps: usize,
    /// Step at which the cosine decay reaches `min_lr` (usually the planned run length).
    pub decay_steps: usize,
    /// AdamW's decoupled weight decay (matrices only).
    pub weight_decay: f64,
    /// AdamW beta1.
    pub beta1: f64,
    /// AdamW beta2.
    pub beta2: f64,
    /// Global gradient-norm clip (0 = off).
    pub grad_clip: f64,
    /// Batches averaged by [`Trainer::estimate_loss`].
    pub eval_batches: usize,
    /// Seed for batches (and dropout).
    pub seed: u64,
}

impl TrainConfig {
    /// Sensible settings for a model preset (nanoGPT's for `baby`).
    pub fn preset(name: &str) -> Result<Self> {
        let base = Self {
            batch_size: 12,
            learning_rate: 1e-3,
            min_lr: 1e-4,
            warmup_steps: 100,
            decay_steps: 2000,
            weight_decay: 0.1,
            beta1: 0.9,
            beta2: 0.99,
            grad_clip: 1.0,
            eval_batches: 20,
            seed: 1337,
        };
        match name {
            "tiny" => Ok(Self {
                batch_size: 16,
                learning_rate: 3e-3,
                min_lr: 3e-4,
                warmup_steps: 20,
                decay_steps: 500,
                ..base
            }),
            "baby" => Ok(base),
            "small" => Ok(Self {
                batch_size: 16,
                decay_steps: 5000,
                ..base
            }),
            _ => Err(GptError::UnknownPreset {
                name: name.to_string(),
                known: crate::config::TRAINABLE_PRESETS.join(", "),
            }),
        }
    }

    /// Check the settings; the error names the first problem.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(GptError::Train(m));
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning_rate must be a positive number, not {}",
                self.learning_rate
            ));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr <= self.learning_rate) {
            return bad(format!(
                "min_lr must be between 0 and learning_rate, not {}",
                self.min_lr
            ));
        }
        if !(0.0..1.0).contains(&self.beta1) || !(0.0..1.0).contains(&self.beta2) {
            return bad("beta1 and beta2 must be in [0, 1)".into());
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return bad("weight_decay must be a non-negative number".into());
        }
        if !(self.grad_clip >= 0.0 && self.grad_clip.is_finite()) {
            return bad("grad_clip must be a non-negative number (0 turns clipping off)".into());
        }
        if self.eval_batches == 0 {
            return bad("eval_batches must be at least 1".into());
        }
        Ok(())
    }
}

/// What a call to [`Trainer::train`] did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainReport {
    /// Training loss of each step run, in order.
    pub losses: Vec<f32>,
    /// Steps completed in total after this call.
    pub step: usize,
    /// Tokens processed by this call (`steps * batch_size * block_size`).
    pub tokens: usize,
    /// The learning rate of the last step.
    pub learning_rate: f64,
}

/// One shard's part of a data-parallel step: its mean loss and its gradients, flattened.
#[derive(Clone, Debug)]
pub struct ShardGradients {
    /// Mean cross-entropy of the shard's rows.
    pub loss: f32,
    /// Every parameter's gradient, in [`Gpt::named_params`] order, flattened.
    pub gradients: Vec<f32>,
}

/// Mean next-token cross-entropy: logits `[B, T, V]`, targets `[B * T]` -> `[1]`.
pub fn cross_entropy(logits: Tensor<3>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [b, t, v] = logits.dims();
    crate::ops::cross_entropy(logits.reshape([b * t, v]), targets) // [B*T, V] -> [1]
}

/// Owns a model under training, its optimizer and its data.
///
/// Natively, drive it from a thread of rayon's pool (e.g. inside `rayon::scope`, as the `gpt`
/// CLI does): the CPU kernels' parallel parts run on that pool, and a caller outside it hands
/// every kernel's jobs over and sleeps, ~12% slower on 2 cores (BENCHMARKS.md).
pub struct Trainer {
    model: Gpt,
    optimizer: AdamW,
    dataset: Dataset,
    config: TrainConfig,
    rng: Rng,
    eval_rng: Rng,
    step: usize,
    /// The step this run's learning-rate schedule (warm-up, decay) counts from: 0, or the step
    /// at which fine-tuning started, so a fine-tuning run gets its own warm-up and decay.
    schedule_start: usize,
}

impl Trainer {
    /// Start training `model` (on an autodiff device) on `dataset`.
    pub fn new(model: Gpt, dataset: Dataset, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        check_dataset(&model, &dataset)?;
        let settings = AdamWSettings {
            beta1: config.beta1,
            beta2: config.beta2,
            eps: 1e-8,
            weight_decay: config.weight_decay,
            grad_clip: config.grad_clip,
        };
        let mut rng = Rng::new(config.seed);
        let eval_rng = Rng::new(rng.next_seed());
        model.device().seed(config.seed);
        Ok(Self {
            model,
            optimizer: AdamW::new(settings),
            dataset,
            config,
            rng,
            eval_rng,
            step: 0,
            schedule_start: 0,
        })
    }

    /// The model as trained so far.
    pub fn model(&self) -> &Gpt {
        &self.model
    }

    /// Steps completed.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Continue counting from `step` (a model loaded from a checkpoint saved at that step).
    pub fn set_step(&mut self, step: usize) {
        self.step = step;
    }

    /// The training settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The data being trained on.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// Give the model back.
    pub fn into_model(self) -> Gpt {
        self.model
    }

    /// Continue on another corpus (fine-tuning): same model and tokenizer, fresh optimizer state
    /// and a fresh schedule from `config`, counted from the current step (which carries on).
    pub fn fine_tune(&mut self, dataset: Dataset, config: TrainConfig) -> Result<()> {
        *self = Self::fine_tuning(self.model.clone(), self.step, dataset, config)?;
        Ok(())
    }

    /// Start fine-tuning `model`, already trained for `step` steps (say, loaded from a
    /// checkpoint), on `dataset`: the step count carries on, the schedule starts afresh.
    pub fn fine_tuning(
        model: Gpt,
        step: usize,
        dataset: Dataset,
        config: TrainConfig,
    ) -> Result<Self> {
        let mut trainer = Self::new(model, dataset, config)?;
        trainer.step = step;
        trainer.schedule_start = step;
        Ok(trainer)
    }

    /// Run `steps` optimisation steps, then read their losses back.
    ///
    /// If a loss is NaN or infinite the model and optimizer are put back as they were before
    /// this call (the last weights known to be good) and [`GptError::Diverged`] is returned.
    pub async fn train(&mut self, steps: usize) -> Result<TrainReport> {
        let snapshot = (
            self.model.clone(),
            self.optimizer.clone(),
            self.rng.clone(),
            self.step,
        );
        let device = self.model.device();
        let (bs, t) = (self.config.batch_size, self.dataset.block_size());
        let mut losses = Vec::with_capacity(steps);
        let mut lr = 0.0;
        for _ in 0..steps {
            lr = schedule::learning_rate(
                self.step - self.schedule_start,
                self.config.learning_rate,
                self.config.min_lr,
                self.config.warmup_steps,
                self.config.decay_steps,
            );
            let batch = self.dataset.batch(Split::Train, bs, &mut self.rng);
            let x = batch_tensor(&batch.inputs, bs, t, &device);
            let y = targets_tensor(&batch.targets, &device);
            let loss = cross_entropy(self.model.forward_train(x), y);
            let grads = loss.backward();
            self.model = self.optimizer.step(lr, self.model.clone(), &grads);
            losses.push(loss.detach().inner());
            self.step += 1;
        }
        let losses = read_f32_concat(losses).await?;
        if let Some((i, &loss)) = losses.iter().enumerate().find(|(_, l)| !l.is_finite()) {
            let failed_at = snapshot.3 + i + 1;
            (self.model, self.optimizer, self.rng, self.step) = snapshot;
            return Err(GptError::Diverged {
                step: failed_at,
                loss,
            });
        }
        Ok(TrainReport {
            losses,
            step: self.step,
            tokens: steps * bs * t,
            learning_rate: lr,
        })
    }

    /// Data-parallel training, part one: draw the next global batch (as [`Trainer::train`]
    /// would) and compute the loss and gradients of shard `shard` of `of` equal shards of it
    /// (its rows `shard * B / of ..`). Every replica draws the same batch, so the mean of the
    /// shards' gradients is the whole batch's gradient. The gradients come back as one flat
    /// buffer, parameters in [`Gpt::named_params`] order.
    pub async fn shard_gradients(&mut self, shard: usize, of: usize) -> Result<ShardGradients> {
        let bs = self.config.batch_size;
        if of == 0 || shard >= of || !bs.is_multiple_of(of) {
            return Err(GptError::Train(format!(
                "a batch of {bs} sequences does not split into {of} equal shards (shard {shard})"
            )));
        }
        let device = self.model.device();
        let t = self.dataset.block_size();
        let rows = bs / of;
        let batch = self.dataset.batch(Split::Train, bs, &mut self.rng);
        let span = shard * rows * t..(shard + 1) * rows * t;
        let x = batch_tensor(&batch.inputs[span.clone()], rows, t, &device);
        let y = targets_tensor(&batch.targets[span], &device);
        let loss = cross_entropy(self.model.forward_train(x), y);
        let grads = loss.backward();
        let mut by_param = optimizer::gradients_by_param(&self.model, &grads);
        let flat: Vec<Tensor<1>> = self
            .model
            .named_params()
            .into_iter()
            .map(|p| {
                let n = p.shape.iter().product::<usize>();
                by_param
                    .remove(&p.id)
                    .unwrap_or_else(|| Tensor::<1>::zeros([n], &device).inner())
            })
            .collect();
        let mut values = read_f32_concat(vec![loss.detach().inner()]).await?;
        let loss = values.pop().unwrap_or(f32::NAN);
        let gradients = read_f32_concat(flat).await?;
        Ok(ShardGradients { loss, gradients })
    }

    /// Data-parallel training, part two: one AdamW step (clip, decay, schedule) with `gradients`,
    /// the replicas' shard gradients averaged, laid out as [`Trainer::shard_gradients`] gives
    /// them. Replicas that apply the same bytes stay bit-identical. Returns the learning rate.
    pub fn apply_gradients(&mut self, gradients: &[f32]) -> Result<f64> {
        let device = self.model.device();
        let params = self.model.named_params();
        let total: usize = params
            .iter()
            .map(|p| p.shape.iter().product::<usize>())
            .sum();
        if gradients.len() != total {
            return Err(GptError::Train(format!(
                "{} gradient values for a model of {total} parameters",
                gradients.len()
            )));
        }
        let mut at = 0;
        let mut by_id = std::collections::HashMap::new();
        for p in params {
            let n = p.shape.iter().product::<usize>();
            let values = gradients[at..at + n].to_vec();
            at += n;
            by_id.insert(
                p.id,
                Tensor::<1>::from_data(TensorData::new(values, [n]), &device).inner(),
            );
        }
        let lr = schedule::learning_rate(
            self.step - self.schedule_start,
            self.config.learning_rate,
            self.config.min_lr,
            self.config.warmup_steps,
            self.config.decay_steps,
        );
        self.model = self.optimizer.step_given(lr, self.model.clone(), &by_id);
        self.step += 1;
        Ok(lr)
    }

    /// Mean loss over `eval_batches` random batches of the training and validation splits.
    pub async fn estimate_loss(&mut self) -> Result<(f32, f32)> {
        let model = self.model.valid();
        let mut out = [0.0f32; 2];
        for (k, split) in [Split::Train, Split::Val].into_iter().enumerate() {
            out[k] = mean_loss(
                &model,
                &self.dataset,
                split,
                &self.config,
                &mut self.eval_rng,
            )
            .await?;
        }
        Ok((out[0], out[1]))
    }
}

/// Mean loss of `model` over the configured number of batches of one split.
async fn mean_loss(
    model: &Gpt,
    data: &Dataset,
    split: Split,
    cfg: &TrainConfig,
    rng: &mut Rng,
) -> Result<f32> {
    let device = model.device();
    let (bs, t) = (cfg.batch_size, data.block_size());
    let losses: Vec<Tensor<1>> = (0..cfg.eval_batches)
        .map(|_| {
            let batch = data.batch(split, bs, rng);
            let x = batch_tensor(&batch.inputs, bs, t, &device);
            cross_entropy(model.forward(x), targets_tensor(&batch.targets, &device))
        })
        .collect();
    let losses = read_f32_concat(losses).await?;
    Ok(losses.iter().sum::<f32>() / losses.len() as f32)
}

fn targets_tensor(targets: &[u32], device: &burn::tensor::Device) -> Tensor<1, Int> {
    let ids: Vec<i32> = targets.iter().map(|&id| id as i32).collect();
    Tensor::from_data(TensorData::new(ids, [targets.len()]), device)
}

fn check_dataset(model: &Gpt, dataset: &Dataset) -> Result<()> {
    let cfg = model.config();
    if dataset.block_size() != cfg.block_size {
        return Err(GptError::Train(format!(
            "the data is cut for a context of {} but the model's context is {}",
            dataset.block_size(),
            cfg.block_size
        )));
    }
    if dataset.max_id() as usize >= cfg.vocab_size {
        return Err(GptError::Train(format!(
            "the data holds token id {} but the model's vocabulary has {} tokens; \
             was it encoded with another tokenizer?",
            dataset.max_id(),
            cfg.vocab_size
        )));
    }
    Ok(())
}
