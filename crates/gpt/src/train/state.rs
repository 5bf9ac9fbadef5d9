//! A training run as one file, to resume it exactly later (after a reload, a crash, or on another
//! device): the checkpoint (weights, config, tokenizer, step) plus what the next steps depend
//! on: AdamW's moments and step count, the positions of the batch and evaluation samplers, the
//! schedule's start and the training settings. On the CPU the steps after a resume are
//! bit-identical to the steps the run would have taken without the interruption.
//!
//! The moments are stored as extra tensors named after their parameter
//! (`optimizer.m.transformer.h.0.attn.c_attn.weight`, flattened), so the file is still a plain
//! safetensors file that NumPy can open.

use std::collections::HashMap;

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::optimizer::{AdamW, Saved};
use super::{TrainConfig, Trainer};
use crate::checkpoint::{self, Extra};
use crate::data::Dataset;
use crate::error::{GptError, Result};
use crate::model::Gpt;
use crate::rng::Rng;
use crate::tokenizer::Tokenizer;

/// Metadata key of the run's state.
const KEY: &str = "trainer";
const M: &str = "optimizer.m.";
const V: &str = "optimizer.v.";

/// What the metadata holds besides the checkpoint's own entries.
#[derive(Serialize, Deserialize)]
struct Meta {
    config: TrainConfig,
    adam_t: i32,
    rng: [u64; 4],
    eval_rng: [u64; 4],
    schedule_start: usize,
}

/// Serialise `trainer`'s run (and its `tokenizer`) so that [`load`] can resume it; `meta` adds
/// entries of the caller's (the browser facade keeps its preset name there).
pub async fn save(
    trainer: &Trainer,
    tokenizer: &Tokenizer,
    meta: Vec<(String, String)>,
) -> Result<Vec<u8>> {
    let model = trainer.model();
    let params = model.named_params();
    let ids: Vec<_> = params.iter().map(|p| p.id).collect();
    let saved = trainer.optimizer.save(&ids);
    let mut extra = Vec::new();
    for p in &params {
        if let Some((_, m, v)) = saved.moments.iter().find(|(id, _, _)| *id == p.id) {
            let n = p.shape.iter().product::<usize>();
            extra.push(Extra {
                name: format!("{M}{}", p.name),
                shape: vec![n],
                values: m.clone(),
            });
            extra.push(Extra {
                name: format!("{V}{}", p.name),
                shape: vec![n],
                values: v.clone(),
            });
        }
    }
    let state = Meta {
        config: trainer.config.clone(),
        adam_t: saved.t,
        rng: trainer.rng.state(),
        eval_rng: trainer.eval_rng.state(),
        schedule_start: trainer.schedule_start,
    };
    let json = serde_json::to_string(&state)
        .map_err(|e| GptError::Checkpoint(format!("cannot write the training state: {e}")))?;
    let mut entries = vec![(KEY.to_string(), json)];
    entries.extend(meta);
    checkpoint::save_with(model, tokenizer, trainer.step(), extra, entries).await
}

/// A saved run, read back: the tokenizer (to rebuild the dataset with), the metadata, and what
/// [`Resumed::trainer`] needs to continue.
pub struct Resumed {
    /// The run's tokenizer: encode the same corpus with it for [`Resumed::trainer`].
    pub tokenizer: Tokenizer,
    /// All metadata entries of the file (the caller's own among them).
    pub meta: HashMap<String, String>,
    model: Gpt,
    step: usize,
    state: Meta,
    moments: HashMap<String, Vec<f32>>,
}

/// Read a run saved by [`save`] onto `device` (an autodiff device, to train on). Every failure
/// is a [`GptError::Checkpoint`] that says what is wrong, as for checkpoints.
pub fn load(bytes: &[u8], device: &Device) -> Result<Resumed> {
    let (ckpt, meta, moments) = checkpoint::load_with(bytes, device, "optimizer.")?;
    let json = meta.get(KEY).ok_or_else(|| {
        GptError::Checkpoint(
            "the file holds a model but no training state (it was saved with `save`, not as a run to resume)"
                .into(),
        )
    })?;
    let state: Meta = serde_json::from_str(json)
        .map_err(|e| GptError::Checkpoint(format!("the training state does not parse: {e}")))?;
    state.config.validate().map_err(|e| {
        GptError::Checkpoint(format!("the stored training settings are not usable: {e}"))
    })?;
    Ok(Resumed {
        tokenizer: ckpt.tokenizer,
        meta,
        model: ckpt.model,
        step: ckpt.step,
        state,
        moments,
    })
}

impl Resumed {
    /// The step the run had reached.
    pub fn step(&self) -> usize {
        self.step
    }

    /// The model as saved.
    pub fn model(&self) -> &Gpt {
        &self.model
    }

    /// The run's training settings.
    pub fn config(&self) -> &TrainConfig {
        &self.state.config
    }

    /// The trainer, continuing on `dataset`: the same corpus, encoded with [`Resumed::tokenizer`]
    /// and split as before, for the steps to be the ones the run would have taken.
    pub fn trainer(self, dataset: Dataset) -> Result<Trainer> {
        let Resumed {
            model,
            step,
            state,
            mut moments,
            ..
        } = self;
        let device = model.device();
        let mut saved = Saved {
            t: state.adam_t,
            moments: Vec::new(),
        };
        for p in model.named_params() {
            let n = p.shape.iter().product::<usize>();
            let take = |moments: &mut HashMap<String, Vec<f32>>, prefix: &str| {
                moments.remove(&format!("{prefix}{}", p.name))
            };
            match (take(&mut moments, M), take(&mut moments, V)) {
                (Some(m), Some(v)) if m.len() == n && v.len() == n => {
                    let tensor = |values: Vec<f32>| {
                        Tensor::<1>::from_data(TensorData::new(values, [n]), &device)
                    };
                    saved.moments.push((p.id, tensor(m), tensor(v)));
                }
                (None, None) => {}
                _ => {
                    return Err(GptError::Checkpoint(format!(
                        "the optimizer state of \"{}\" is incomplete or has the wrong size",
                        p.name
                    )));
                }
            }
        }
        if let Some(name) = moments.keys().next() {
            return Err(GptError::Checkpoint(format!(
                "the optimizer state has a tensor for no parameter of this model: \"{name}\""
            )));
        }
        let mut trainer = Trainer::new(model, dataset, state.config)?;
        trainer.optimizer = AdamW::restore(trainer.optimizer.settings().clone(), saved);
        trainer.rng = Rng::from_state(state.rng);
        trainer.eval_rng = Rng::from_state(state.eval_rng);
        trainer.step = step;
        trainer.schedule_start = state.schedule_start;
        Ok(trainer)
    }
}
