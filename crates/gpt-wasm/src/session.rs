//! [`Session`]: the one class the browser sees. It owns the tokenizer, the model and its trainer,
//! and the generation in progress; every method returns plain data or a JS `Error`.

use burn::tensor::Device;
use gpt::checkpoint;
use gpt::config::GptConfig;
use gpt::data::{Dataset, Split};
use gpt::generate::{Candidate, Generator};
use gpt::model::trace::Trace;
use gpt::train::Trainer;
use gpt::{Gpt, GptError, Tokenizer, TokenizerKind};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, js_error, to_js, utf16_offsets};
use crate::device::{Backend, autodiff_device};
use crate::options::{SamplingInput, SessionOptions};

/// A tokenizer, a model, its trainer and a generation in progress, on one device.
#[wasm_bindgen]
pub struct Session {
    backend: Backend,
    preset: String,
    tokenizer: Tokenizer,
    /// The latest weights (a cheap handle clone of the trainer's after each chunk).
    model: Gpt,
    /// Absent for a checkpoint loaded without a corpus to continue on.
    trainer: Option<Trainer>,
    /// Why there is no trainer (shown when training is asked for).
    untrainable: String,
    /// Steps recorded in a loaded checkpoint (used while there is no trainer).
    loaded_step: usize,
    generation: Option<Generation>,
}

/// A generation in progress and the ids it produced (decoded together, so that byte-level
/// tokens that split a character still come out as text once the character is complete).
struct Generation {
    generator: Generator,
    generated: Vec<u32>,
}

/// What `info()` reports.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info<'a> {
    device: Backend,
    preset: &'a str,
    config: &'a GptConfig,
    param_count: u64,
    tokenizer: TokenizerKind,
    vocab_size: usize,
    step: usize,
    trainable: bool,
    /// Why training is not possible (empty when it is).
    untrainable: &'a str,
    batch_size: Option<usize>,
    planned_steps: Option<usize>,
    train_tokens: Option<usize>,
    val_tokens: Option<usize>,
}

/// One token of `tokenize()`'s answer is at the same index in each array.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tokenized {
    ids: Vec<u32>,
    /// Readable form of each token (partial UTF-8 as `<e7 a7>`).
    tokens: Vec<String>,
    /// `[start, end)` of each token in the input, in UTF-16 units (JS string indices).
    spans: Vec<[usize; 2]>,
    /// The same spans in UTF-8 bytes.
    byte_spans: Vec<[usize; 2]>,
}

/// A next-token candidate with its text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CandidateOut {
    id: u32,
    token: String,
    probability: f32,
}

/// One generated token.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenOut {
    id: u32,
    token: String,
    probability: f32,
    forced: bool,
    /// Everything generated since `startGeneration`, decoded.
    text: String,
    /// The distribution this token was drawn from.
    candidates: Vec<CandidateOut>,
    /// The distribution of the token after it.
    next: Vec<CandidateOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Losses {
    train: f32,
    val: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Inspection {
    /// Readable form of each traced token.
    token_strings: Vec<String>,
    #[serde(flatten)]
    trace: Trace,
}

#[wasm_bindgen]
impl Session {
    /// Train a tokenizer on the corpus, build the model and its trainer on the chosen device.
    #[wasm_bindgen(unchecked_return_type = "Session")]
    pub async fn create(
        #[wasm_bindgen(unchecked_param_type = "SessionOptions")] options: JsValue,
    ) -> Result<Session, JsError> {
        crate::init_once();
        let options: SessionOptions = from_js(options, "session options")?;
        let r = options.resolve().map_err(js_error)?;
        if options.corpus.trim().is_empty() {
            return Err(js_error(GptError::Data(
                "the corpus is empty: paste or choose some text to train on".into(),
            )));
        }
        let tokenizer =
            Tokenizer::train(r.tokenizer, &options.corpus, r.vocab_size).map_err(js_error)?;
        let config = options
            .model_config(&r.preset, tokenizer.vocab_size())
            .map_err(js_error)?;
        let train = options.train_config(&r.preset, r.seed).map_err(js_error)?;
        let ids = tokenizer.encode_ids(&options.corpus).map_err(js_error)?;
        if !(r.val_fraction > 0.0 && r.val_fraction <= 0.5) {
            return Err(JsError::new(&format!(
                "invalid session options: valFraction must be in (0, 0.5], not {}",
                r.val_fraction
            )));
        }
        let dataset = Dataset::new(ids, config.block_size, r.val_fraction).map_err(js_error)?;
        let device = autodiff_device(options.device).await.map_err(js_error)?;
        let model = Gpt::new(&config, r.seed, &device).map_err(js_error)?;
        let trainer = Trainer::new(model.clone(), dataset, train).map_err(js_error)?;
        Ok(Session {
            backend: options.device,
            preset: r.preset,
            tokenizer,
            model,
            trainer: Some(trainer),
            untrainable: String::new(),
            loaded_step: 0,
            generation: None,
        })
    }

    /// Rebuild a session from `save()`'s bytes. With a `corpus` in `options` (encodable by the
    /// checkpoint's tokenizer) training can continue on it.
    #[wasm_bindgen(unchecked_return_type = "Session")]
    pub async fn load(
        bytes: Vec<u8>,
        #[wasm_bindgen(unchecked_param_type = "SessionOptions")] options: JsValue,
    ) -> Result<Session, JsError> {
        crate::init_once();
        let options: SessionOptions = from_js(options, "session options")?;
        let r = options.resolve().map_err(js_error)?;
        let device: Device = autodiff_device(options.device).await.map_err(js_error)?;
        let loaded = checkpoint::load(&bytes, &device).map_err(js_error)?;
        // Training can continue only on a corpus the checkpoint's tokenizer can encode; the
        // model loads either way, and `train` then says why it cannot.
        let (trainer, untrainable) = if options.corpus.trim().is_empty() {
            (
                None,
                "this model was loaded without a corpus to train on".to_string(),
            )
        } else {
            let block = loaded.model.config().block_size;
            let attempt = loaded
                .tokenizer
                .encode_ids(&options.corpus)
                .map_err(GptError::from)
                .and_then(|ids| Dataset::new(ids, block, r.val_fraction))
                .and_then(|data| {
                    let train = options.train_config(&r.preset, r.seed)?;
                    Trainer::new(loaded.model.clone(), data, train)
                });
            match attempt {
                Ok(mut t) => {
                    t.set_step(loaded.step);
                    (Some(t), String::new())
                }
                Err(e) => (
                    None,
                    format!("the loaded model cannot train on the chosen corpus ({e})"),
                ),
            }
        };
        Ok(Session {
            backend: options.device,
            preset: r.preset,
            tokenizer: loaded.tokenizer,
            model: loaded.model,
            trainer,
            untrainable,
            loaded_step: loaded.step,
            generation: None,
        })
    }

    /// The session's device, model shape, parameter count, tokenizer and progress.
    #[wasm_bindgen(unchecked_return_type = "SessionInfo")]
    pub fn info(&self) -> Result<JsValue, JsError> {
        let t = self.trainer.as_ref();
        to_js(&Info {
            device: self.backend,
            preset: &self.preset,
            config: self.model.config(),
            param_count: self.model.config().param_count(),
            tokenizer: self.tokenizer.kind(),
            vocab_size: self.tokenizer.vocab_size(),
            step: self.step(),
            trainable: t.is_some(),
            untrainable: &self.untrainable,
            batch_size: t.map(|t| t.config().batch_size),
            planned_steps: t.map(|t| t.config().decay_steps),
            train_tokens: t.map(|t| t.dataset().len(Split::Train)),
            val_tokens: t.map(|t| t.dataset().len(Split::Val)),
        })
    }

    /// Training steps done so far.
    pub fn step(&self) -> usize {
        self.trainer.as_ref().map_or(self.loaded_step, |t| t.step())
    }

    /// Split `text` into tokens: ids, readable forms and spans.
    #[wasm_bindgen(unchecked_return_type = "Tokenized")]
    pub fn tokenize(&self, text: &str) -> Result<JsValue, JsError> {
        let enc = self.tokenizer.encode(text).map_err(js_error)?;
        let bytes: Vec<usize> = enc.spans.iter().flat_map(|s| [s.start, s.end]).collect();
        let units = utf16_offsets(text, &bytes);
        to_js(&Tokenized {
            ids: enc.ids,
            tokens: enc.tokens,
            spans: units.chunks(2).map(|c| [c[0], c[1]]).collect(),
            byte_spans: enc.spans.iter().map(|s| [s.start, s.end]).collect(),
        })
    }

    /// Run `steps` optimisation steps; resolves to `{losses, step, tokens, learningRate}`.
    #[wasm_bindgen(unchecked_return_type = "TrainReport")]
    pub async fn train(&mut self, steps: usize) -> Result<JsValue, JsError> {
        let trainer = self.trainer_mut()?;
        let report = trainer.train(steps).await.map_err(js_error);
        // Even after a divergence the trainer holds the last good weights: keep them.
        self.model = self.trainer_mut()?.model().clone();
        to_js(&report?)
    }

    /// Mean loss on training and validation batches (the model in evaluation mode).
    #[wasm_bindgen(unchecked_return_type = "{train: number, val: number}")]
    pub async fn evaluate(&mut self) -> Result<JsValue, JsError> {
        let (train, val) = self
            .trainer_mut()?
            .estimate_loss()
            .await
            .map_err(js_error)?;
        to_js(&Losses { train, val })
    }

    /// Start generating after `prompt`; resolves to the candidates for the first new token.
    #[wasm_bindgen(js_name = startGeneration, unchecked_return_type = "Candidate[]")]
    pub async fn start_generation(
        &mut self,
        prompt: &str,
        #[wasm_bindgen(unchecked_param_type = "SamplingOptions")] sampling: JsValue,
    ) -> Result<JsValue, JsError> {
        let sampling: SamplingInput = from_js(sampling, "sampling options")?;
        self.generation = None;
        let ids = self.tokenizer.encode_ids(prompt).map_err(js_error)?;
        let generator = Generator::new(&self.model, &ids, sampling.resolve())
            .await
            .map_err(js_error)?;
        let candidates = self.candidates(&generator.candidates());
        self.generation = Some(Generation {
            generator,
            generated: Vec::new(),
        });
        to_js(&candidates)
    }

    /// Change temperature / top-k / top-p / candidates of the generation in progress.
    #[wasm_bindgen(js_name = setSampling, unchecked_return_type = "Candidate[]")]
    pub fn set_sampling(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SamplingOptions")] sampling: JsValue,
    ) -> Result<JsValue, JsError> {
        let sampling: SamplingInput = from_js(sampling, "sampling options")?;
        let generation = self.generation_mut()?;
        generation
            .generator
            .set_options(sampling.resolve())
            .map_err(js_error)?;
        let candidates = generation.generator.candidates();
        to_js(&self.candidates(&candidates))
    }

    /// Produce the next token (sampled, or `forced` if given).
    #[wasm_bindgen(js_name = nextToken, unchecked_return_type = "GeneratedToken")]
    pub async fn next_token(&mut self, forced: Option<u32>) -> Result<JsValue, JsError> {
        let generation = self.generation_mut()?;
        let step = generation.generator.next(forced).await.map_err(js_error)?;
        generation.generated.push(step.token);
        let next = generation.generator.candidates();
        let generated = generation.generated.clone();
        let text = self.tokenizer.decode_lossy(&generated);
        to_js(&TokenOut {
            id: step.token,
            token: self.tokenizer.token_display(step.token),
            probability: step.probability,
            forced: step.forced,
            text,
            candidates: self.candidates(&step.candidates),
            next: self.candidates(&next),
        })
    }

    /// The traced forward pass of `text` (its last `blockSize` tokens): attention per layer and
    /// head, residual and LayerNorm statistics, logits, embedding tables.
    #[wasm_bindgen(unchecked_return_type = "Inspection")]
    pub async fn inspect(&self, text: &str) -> Result<JsValue, JsError> {
        let ids = self.tokenizer.encode_ids(text).map_err(js_error)?;
        if ids.is_empty() {
            return Err(JsError::new("nothing to inspect: the text is empty"));
        }
        let block = self.model.config().block_size;
        let ids = &ids[ids.len().saturating_sub(block)..];
        let trace = self.model.trace(ids).await.map_err(js_error)?;
        let token_strings = ids
            .iter()
            .map(|&id| self.tokenizer.token_display(id))
            .collect();
        to_js(&Inspection {
            token_strings,
            trace,
        })
    }

    /// The model, tokenizer and step as one safetensors file (Hugging Face GPT-2 names).
    pub async fn save(&self) -> Result<Vec<u8>, JsError> {
        checkpoint::save(&self.model, &self.tokenizer, self.step())
            .await
            .map_err(js_error)
    }
}

impl Session {
    fn trainer_mut(&mut self) -> Result<&mut Trainer, JsError> {
        let why = &self.untrainable;
        self.trainer.as_mut().ok_or_else(|| {
            JsError::new(&format!(
                "{why}: choose a corpus it can encode and load the model again (it can still generate)"
            ))
        })
    }

    fn generation_mut(&mut self) -> Result<&mut Generation, JsError> {
        self.generation
            .as_mut()
            .ok_or_else(|| JsError::new("no generation in progress: call startGeneration first"))
    }

    fn candidates(&self, candidates: &[Candidate]) -> Vec<CandidateOut> {
        candidates
            .iter()
            .map(|c| CandidateOut {
                id: c.id,
                token: self.tokenizer.token_display(c.id),
                probability: c.probability,
            })
            .collect()
    }
}
