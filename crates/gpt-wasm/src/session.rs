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

use crate::convert::{from_js, js_error, to_js};
use crate::device::{Backend, autodiff_device};
use crate::options::{FineTuneOptions, SamplingInput, SessionOptions};

/// A tokenizer, a model, its trainer and a generation in progress, on one device.
#[wasm_bindgen]
pub struct Session {
    backend: Backend,
    preset: String,
    tokenizer: Tokenizer,
    weights: Weights,
    generation: Option<Generation>,
    /// Held-out fraction the training data was split with (a resumed run splits it the same way).
    val_fraction: f32,
}

/// What a saved run records about its session, beside the crate's training state.
#[derive(Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionMeta {
    preset: String,
    val_fraction: f32,
}

/// The largest model a session trains (fine-tunes): weights, gradients and AdamW's two moments
/// are 16 bytes per parameter, 0.8 GB here, plus activations, within a tab's 4 GiB of wasm32
/// memory. GPT-2 small (124M) is over it: it loads to generate and be inspected.
const MAX_TRAINABLE_PARAMS: u64 = 50_000_000;

/// Metadata key of [`SessionMeta`] in a saved run.
const SESSION_META: &str = "session";

/// Where the model lives: inside its trainer, or on its own when it cannot train.
// One per session, never in a collection: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Weights {
    /// The trainer owns the model, its optimizer and its data.
    Training(Trainer),
    /// A checkpoint loaded without a corpus its tokenizer can encode: generate and inspect only.
    Frozen {
        model: Gpt,
        step: usize,
        /// Why it cannot train (shown when training is asked for).
        why: String,
    },
}

impl Weights {
    fn model(&self) -> &Gpt {
        match self {
            Self::Training(t) => t.model(),
            Self::Frozen { model, .. } => model,
        }
    }

    fn step(&self) -> usize {
        match self {
            Self::Training(t) => t.step(),
            Self::Frozen { step, .. } => *step,
        }
    }

    fn trainer(&self) -> Option<&Trainer> {
        match self {
            Self::Training(t) => Some(t),
            Self::Frozen { .. } => None,
        }
    }

    fn trainer_mut(&mut self) -> Result<&mut Trainer, JsError> {
        match self {
            Self::Training(t) => Ok(t),
            Self::Frozen { why, .. } => Err(JsError::new(&format!(
                "{why}: choose a corpus it can encode and load the model again (it can still generate)"
            ))),
        }
    }
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

/// What `fineTune()` reports.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FineTuned {
    /// Characters of the new corpus the tokenizer has no token for (they were left out).
    unknown_chars: Vec<String>,
    /// How many characters of the new corpus were left out for that reason.
    dropped_chars: usize,
    train_tokens: usize,
    val_tokens: usize,
    step: usize,
}

/// The embedding tables and a readable label for every token id.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Embeddings {
    vocab_size: usize,
    n_embd: usize,
    block_size: usize,
    step: usize,
    /// Readable form of token `i`.
    tokens: Vec<String>,
    /// `[vocab_size, n_embd]` flattened.
    token_embedding: Vec<f32>,
    /// `[block_size, n_embd]` flattened.
    position_embedding: Vec<f32>,
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
        // Checked before the tokenizer, which would otherwise complain about an empty vocabulary.
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
        let train = options
            .training
            .train_config(&r.preset, r.seed)
            .map_err(js_error)?;
        let ids = tokenizer.encode_ids(&options.corpus).map_err(js_error)?;
        let dataset = Dataset::new(ids, config.block_size, r.val_fraction).map_err(js_error)?;
        let device = autodiff_device(options.device).await.map_err(js_error)?;
        let model = Gpt::new(&config, r.seed, &device).map_err(js_error)?;
        let trainer = Trainer::new(model, dataset, train).map_err(js_error)?;
        Ok(Session {
            backend: options.device,
            preset: r.preset,
            tokenizer,
            weights: Weights::Training(trainer),
            generation: None,
            val_fraction: r.val_fraction,
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
        let device: Device = autodiff_device(options.device).await.map_err(js_error)?;
        let loaded = checkpoint::load(&bytes, &device).map_err(js_error)?;
        Self::adopt(loaded, &options)
    }

    /// Build a session from a Hugging Face GPT-2 folder's files (`config.json`,
    /// `model.safetensors`, and `tokenizer.json` or `vocab.json` + `merges.txt`; other files are
    /// ignored), as `load` does from a checkpoint: training continues on `options.corpus` when
    /// the tokenizer can encode it.
    #[wasm_bindgen(js_name = importHf, unchecked_return_type = "Session")]
    pub async fn import_hf(
        #[wasm_bindgen(unchecked_param_type = "HfFile[]")] files: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SessionOptions")] options: JsValue,
    ) -> Result<Session, JsError> {
        crate::init_once();
        let options: SessionOptions = from_js(options, "session options")?;
        let files = crate::convert::files_from_js(&files)?;
        let device: Device = autodiff_device(options.device).await.map_err(js_error)?;
        let (model, tokenizer) = gpt::huggingface::import(&files, &device).map_err(js_error)?;
        let loaded = checkpoint::Checkpoint {
            model,
            tokenizer,
            step: 0,
        };
        Self::adopt(loaded, &options)
    }

    /// The model as a Hugging Face GPT-2 folder: `config.json`, `model.safetensors`,
    /// `tokenizer.json`, ... (what `GPT2LMHeadModel.from_pretrained` reads).
    #[wasm_bindgen(js_name = exportHf, unchecked_return_type = "HfFile[]")]
    pub async fn export_hf(&self) -> Result<JsValue, JsError> {
        let files = gpt::huggingface::export(self.weights.model(), &self.tokenizer)
            .await
            .map_err(js_error)?;
        Ok(crate::convert::files_to_js(&files))
    }

    /// Rebuild a training run from `snapshot()`'s bytes, on `options.device`, continuing on
    /// `options.corpus` (the same text it was trained on: the steps after a resume are then the
    /// ones the run would have taken). Other options are taken from the file.
    #[wasm_bindgen(unchecked_return_type = "Session")]
    pub async fn resume(
        bytes: Vec<u8>,
        #[wasm_bindgen(unchecked_param_type = "SessionOptions")] options: JsValue,
    ) -> Result<Session, JsError> {
        crate::init_once();
        let options: SessionOptions = from_js(options, "session options")?;
        let device: Device = autodiff_device(options.device).await.map_err(js_error)?;
        let run = gpt::train::state::load(&bytes, &device).map_err(js_error)?;
        let meta: SessionMeta = run
            .meta
            .get(SESSION_META)
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or_else(|| JsError::new("cannot resume: the file has no session settings; was it written by snapshot()?"))?;
        let tokenizer = run.tokenizer.clone();
        let block = run.model().config().block_size;
        let ids = tokenizer
            .encode_ids(&options.corpus)
            .map_err(|e| JsError::new(&format!("cannot resume on this corpus: {e}")))?;
        let dataset = Dataset::new(ids, block, meta.val_fraction).map_err(js_error)?;
        let trainer = run.trainer(dataset).map_err(js_error)?;
        Ok(Session {
            backend: options.device,
            preset: meta.preset,
            tokenizer,
            weights: Weights::Training(trainer),
            generation: None,
            val_fraction: meta.val_fraction,
        })
    }

    /// The session's device, model shape, parameter count, tokenizer and progress.
    #[wasm_bindgen(unchecked_return_type = "SessionInfo")]
    pub fn info(&self) -> Result<JsValue, JsError> {
        let t = self.weights.trainer();
        let config = self.weights.model().config();
        to_js(&Info {
            device: self.backend,
            preset: &self.preset,
            config,
            param_count: config.param_count(),
            tokenizer: self.tokenizer.kind(),
            vocab_size: self.tokenizer.vocab_size(),
            step: self.step(),
            trainable: t.is_some(),
            untrainable: match &self.weights {
                Weights::Frozen { why, .. } => why,
                Weights::Training(_) => "",
            },
            batch_size: t.map(|t| t.config().batch_size),
            planned_steps: t.map(|t| t.config().decay_steps),
            train_tokens: t.map(|t| t.dataset().len(Split::Train)),
            val_tokens: t.map(|t| t.dataset().len(Split::Val)),
        })
    }

    /// Training steps done so far.
    pub fn step(&self) -> usize {
        self.weights.step()
    }

    /// Split `text` into tokens: ids, readable forms and spans.
    #[wasm_bindgen(unchecked_return_type = "Tokenized")]
    pub fn tokenize(&self, text: &str) -> Result<JsValue, JsError> {
        crate::tokenizer::tokenize(&self.tokenizer, text)
    }

    /// Run `steps` optimisation steps; resolves to `{losses, step, tokens, learningRate}`.
    #[wasm_bindgen(unchecked_return_type = "TrainReport")]
    pub async fn train(&mut self, steps: usize) -> Result<JsValue, JsError> {
        // After a divergence the trainer has already rolled back to the last good weights.
        let report = self.weights.trainer_mut()?.train(steps).await;
        to_js(&report.map_err(js_error)?)
    }

    /// Data-parallel training, part one: the loss and gradients of shard `shard` of `of` of the
    /// next global batch: `{loss, gradients: Float32Array}` (one flat buffer, parameters in
    /// checkpoint order). Every replica of the same run draws the same batch.
    #[wasm_bindgen(unchecked_return_type = "{loss: number, gradients: Float32Array}")]
    pub async fn gradients(&mut self, shard: usize, of: usize) -> Result<JsValue, JsError> {
        let g = self
            .weights
            .trainer_mut()?
            .shard_gradients(shard, of)
            .await
            .map_err(js_error)?;
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &JsValue::from_str(k), v);
        set("loss", &JsValue::from_f64(f64::from(g.loss)))
            .and_then(|_| {
                set(
                    "gradients",
                    &js_sys::Float32Array::from(&g.gradients[..]).into(),
                )
            })
            .map_err(|_| JsError::new("cannot build the gradients object"))?;
        Ok(out.into())
    }

    /// Data-parallel training, part two: one optimizer step with the replicas' averaged
    /// `gradients` (laid out as `gradients()` gives them): `{step, learningRate}`.
    #[wasm_bindgen(js_name = applyGradients, unchecked_return_type = "{step: number, learningRate: number}")]
    pub fn apply_gradients(&mut self, gradients: &[f32]) -> Result<JsValue, JsError> {
        let trainer = self.weights.trainer_mut()?;
        let lr = trainer.apply_gradients(gradients).map_err(js_error)?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Applied {
            step: usize,
            learning_rate: f64,
        }
        to_js(&Applied {
            step: trainer.step(),
            learning_rate: lr,
        })
    }

    /// Mean loss on training and validation batches (the model in evaluation mode).
    #[wasm_bindgen(unchecked_return_type = "{train: number, val: number}")]
    pub async fn evaluate(&mut self) -> Result<JsValue, JsError> {
        let (train, val) = self
            .weights
            .trainer_mut()?
            .estimate_loss()
            .await
            .map_err(js_error)?;
        to_js(&Losses { train, val })
    }

    /// Fine-tune: keep the model and its tokenizer, continue training on another corpus (fresh
    /// optimizer and learning-rate schedule; the step count carries on). Characters the
    /// tokenizer has never seen cannot be encoded, so they are left out and reported.
    #[wasm_bindgen(js_name = fineTune, unchecked_return_type = "FineTuned")]
    pub fn fine_tune(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "FineTuneOptions")] options: JsValue,
    ) -> Result<JsValue, JsError> {
        let options: FineTuneOptions = from_js(options, "fine-tuning options")?;
        let (val_fraction, config) = options.resolve(&self.preset).map_err(js_error)?;
        let unknown = self.tokenizer.unknown_chars(&options.corpus);
        let kept: String = options
            .corpus
            .chars()
            .filter(|c| !unknown.contains(c))
            .collect();
        let dropped_chars = options.corpus.chars().count() - kept.chars().count();
        let ids = self.tokenizer.encode_ids(&kept).map_err(js_error)?;
        let block = self.weights.model().config().block_size;
        let dataset = Dataset::new(ids, block, val_fraction).map_err(js_error)?;
        // A trained or a frozen (loaded) model alike: the same weights, a new trainer.
        let model = self.weights.model().clone();
        let t = Trainer::fine_tuning(model, self.step(), dataset, config).map_err(js_error)?;
        self.weights = Weights::Training(t);
        self.val_fraction = val_fraction;
        self.generation = None;
        let t = self.weights.trainer_mut()?;
        to_js(&FineTuned {
            unknown_chars: unknown.into_iter().map(String::from).collect(),
            dropped_chars,
            train_tokens: t.dataset().len(Split::Train),
            val_tokens: t.dataset().len(Split::Val),
            step: t.step(),
        })
    }

    /// The token and position embedding tables as they are now, with a label per token.
    #[wasm_bindgen(unchecked_return_type = "Embeddings")]
    pub async fn embeddings(&self) -> Result<JsValue, JsError> {
        let model = self.weights.model();
        let config = model.config();
        let (token_embedding, position_embedding) =
            model.embedding_tables().await.map_err(js_error)?;
        to_js(&Embeddings {
            vocab_size: config.vocab_size,
            n_embd: config.n_embd,
            block_size: config.block_size,
            step: self.step(),
            tokens: (0..config.vocab_size as u32)
                .map(|id| self.tokenizer.token_display(id))
                .collect(),
            token_embedding,
            position_embedding,
        })
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
        let generator = Generator::new(self.weights.model(), &ids, sampling.resolve())
            .await
            .map_err(js_error)?;
        let candidates = candidates(&self.tokenizer, &generator.candidates());
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
        let generator = &mut generation_mut(&mut self.generation)?.generator;
        generator
            .set_options(sampling.resolve())
            .map_err(js_error)?;
        to_js(&candidates(&self.tokenizer, &generator.candidates()))
    }

    /// Produce the next token (sampled, or `forced` if given).
    #[wasm_bindgen(js_name = nextToken, unchecked_return_type = "GeneratedToken")]
    pub async fn next_token(&mut self, forced: Option<u32>) -> Result<JsValue, JsError> {
        let generation = generation_mut(&mut self.generation)?;
        let step = generation.generator.next(forced).await.map_err(js_error)?;
        generation.generated.push(step.token);
        let tok = &self.tokenizer;
        to_js(&TokenOut {
            id: step.token,
            token: tok.token_display(step.token),
            probability: step.probability,
            forced: step.forced,
            text: tok.decode_lossy(&generation.generated),
            candidates: candidates(tok, &step.candidates),
            next: candidates(tok, &generation.generator.candidates()),
        })
    }

    /// The traced forward pass of `text` (its last `blockSize` tokens): attention per layer and
    /// head, residual and LayerNorm statistics, logits.
    #[wasm_bindgen(unchecked_return_type = "Inspection")]
    pub async fn inspect(&self, text: &str) -> Result<JsValue, JsError> {
        let ids = self.tokenizer.encode_ids(text).map_err(js_error)?;
        if ids.is_empty() {
            return Err(JsError::new("nothing to inspect: the text is empty"));
        }
        let model = self.weights.model();
        let block = model.config().block_size;
        let ids = &ids[ids.len().saturating_sub(block)..];
        let trace = model.trace(ids).await.map_err(js_error)?;
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
        checkpoint::save(self.weights.model(), &self.tokenizer, self.step())
            .await
            .map_err(js_error)
    }

    /// The whole training run (model, optimizer state, samplers, schedule) as one file that
    /// `Session.resume` continues exactly; reads the device's data asynchronously.
    pub async fn snapshot(&self) -> Result<Vec<u8>, JsError> {
        let trainer = self.weights.trainer().ok_or_else(|| {
            JsError::new("this model cannot train, so it has no run to snapshot: save() it instead")
        })?;
        let meta = serde_json::to_string(&SessionMeta {
            preset: self.preset.clone(),
            val_fraction: self.val_fraction,
        })
        .map_err(js_error)?;
        gpt::train::state::save(trainer, &self.tokenizer, vec![(SESSION_META.into(), meta)])
            .await
            .map_err(js_error)
    }
}

impl Session {
    /// A session around a loaded model: trainable on `options.corpus` when its tokenizer can
    /// encode it, frozen (generate and inspect) otherwise.
    fn adopt(loaded: checkpoint::Checkpoint, options: &SessionOptions) -> Result<Session, JsError> {
        let r = options.resolve().map_err(js_error)?;
        let params = loaded.model.config().param_count();
        // Training can continue only on a corpus the checkpoint's tokenizer can encode; the
        // model loads either way, and `train` then says why it cannot.
        let weights = if options.corpus.trim().is_empty() {
            Weights::Frozen {
                model: loaded.model,
                step: loaded.step,
                why: "this model was loaded without a corpus to train on".into(),
            }
        } else if params > MAX_TRAINABLE_PARAMS {
            Weights::Frozen {
                model: loaded.model,
                step: loaded.step,
                why: format!(
                    "this model has {:.0}M parameters: training needs their gradients and two \
                     optimizer moments too, about {:.1} GB, more than a browser tab can give \
                     WebAssembly; it can generate and be inspected",
                    params as f64 / 1e6,
                    params as f64 * 16.0 / 1e9
                ),
            }
        } else {
            let block = loaded.model.config().block_size;
            let attempt = loaded
                .tokenizer
                .encode_ids(&options.corpus)
                .map_err(GptError::from)
                .and_then(|ids| Dataset::new(ids, block, r.val_fraction))
                .and_then(|data| {
                    let train = options.training.train_config(&r.preset, r.seed)?;
                    Trainer::new(loaded.model.clone(), data, train)
                });
            match attempt {
                Ok(mut t) => {
                    t.set_step(loaded.step);
                    Weights::Training(t)
                }
                Err(e) => Weights::Frozen {
                    model: loaded.model,
                    step: loaded.step,
                    why: format!("the loaded model cannot train on the chosen corpus ({e})"),
                },
            }
        };
        Ok(Session {
            backend: options.device,
            preset: r.preset,
            tokenizer: loaded.tokenizer,
            weights,
            generation: None,
            val_fraction: r.val_fraction,
        })
    }
}

fn generation_mut(generation: &mut Option<Generation>) -> Result<&mut Generation, JsError> {
    generation
        .as_mut()
        .ok_or_else(|| JsError::new("no generation in progress: call startGeneration first"))
}

/// Candidates with their readable token text, for the page's probability bars.
fn candidates(tokenizer: &Tokenizer, candidates: &[Candidate]) -> Vec<CandidateOut> {
    candidates
        .iter()
        .map(|c| CandidateOut {
            id: c.id,
            token: tokenizer.token_display(c.id),
            probability: c.probability,
        })
        .collect()
}
