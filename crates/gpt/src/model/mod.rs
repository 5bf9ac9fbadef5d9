//! The GPT network: embeddings -> blocks -> final LayerNorm -> LM head.
//!
//! Architecture as GPT-2 / nanoGPT: learned token and position embeddings; `n_layer` blocks of
//! (LayerNorm -> causal multi-head self-attention -> residual add, LayerNorm -> MLP -> residual
//! add); a final LayerNorm; an LM head that reuses the token-embedding matrix.

pub mod attention;
pub mod block;
pub(crate) mod dropout;
pub mod embedding;
pub mod layer_norm;
pub mod linear;
pub mod mlp;
pub mod trace;
pub mod weights;

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor, TensorData};

use self::attention::LayerCache;
use self::block::{Block, BlockContext};
use self::dropout::dropout;
use self::embedding::Embeddings;
use self::layer_norm::LayerNorm;
use self::trace::{Recorder, Trace};
use self::weights::{NamedParam, RandomInit, WeightSource, param2};
use crate::config::{GptConfig, LayerNormPlacement};
use crate::device::read_f32;
use crate::error::{GptError, Result};

/// A GPT language model.
#[derive(Module, Debug)]
pub struct Gpt {
    /// Token + position embeddings.
    pub embeddings: Embeddings,
    /// The transformer blocks.
    pub blocks: Vec<Block>,
    /// Final LayerNorm (pre-LN models only: a post-LN block already ends normalised).
    pub ln_f: Option<LayerNorm>,
    /// Separate LM head `[V, C]`, only when weights are not tied.
    pub lm_head: Option<Param<Tensor<2>>>,
    #[module(skip)]
    config: GptConfig,
}

/// Key/value caches for all layers, for incremental generation.
#[derive(Clone, Debug, Default)]
pub struct KvCache {
    layers: Vec<LayerCache>,
}

impl KvCache {
    /// Number of positions already processed.
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, LayerCache::len)
    }

    /// True before the first forward pass.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Gpt {
    /// A freshly initialised model (nanoGPT's initialisation, seeded).
    pub fn new(config: &GptConfig, seed: u64, device: &Device) -> Result<Self> {
        Self::from_source(config, &mut RandomInit::new(seed, config.n_layer), device)
    }

    /// Build a model whose parameters come from `src` (random init or a checkpoint).
    pub fn from_source(
        config: &GptConfig,
        src: &mut dyn WeightSource,
        device: &Device,
    ) -> Result<Self> {
        config.validate()?;
        let embeddings = Embeddings::new(
            src,
            config.vocab_size,
            config.block_size,
            config.n_embd,
            device,
        )?;
        let blocks = (0..config.n_layer)
            .map(|i| Block::new(src, i, config, device))
            .collect::<Result<Vec<_>>>()?;
        let ln_f = if config.layer_norm && config.ln_placement == LayerNormPlacement::Pre {
            Some(LayerNorm::new(
                src,
                "transformer.ln_f",
                config.n_embd,
                config.bias,
                device,
            )?)
        } else {
            None
        };
        let lm_head = if config.tie_weights {
            None
        } else {
            Some(param2(
                src,
                "lm_head.weight",
                [config.vocab_size, config.n_embd],
                device,
            )?)
        };
        Ok(Self {
            embeddings,
            blocks,
            ln_f,
            lm_head,
            config: config.clone(),
        })
    }

    /// The configuration this model was built from.
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// Token ids `[B, T]` -> next-token logits `[B, T, V]` (inference: no dropout).
    ///
    /// `T` must not exceed `block_size` (callers crop the context).
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.run(tokens, None, None, false)
    }

    /// Like [`Gpt::forward`], with dropout active (training).
    pub fn forward_train(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.run(tokens, None, None, true)
    }

    /// Process `tokens [B, T_new]` that follow the positions already in `cache`, appending their
    /// keys and values to it: logits `[B, T_new, V]`. `cache.len() + T_new <= block_size`.
    pub fn forward_cached(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        if cache.layers.len() != self.blocks.len() {
            let room = LayerCache::with_capacity(self.config.block_size);
            cache.layers = vec![room; self.blocks.len()];
        }
        self.run(tokens, Some(cache), None, false)
    }

    fn run(
        &self,
        tokens: Tensor<2, Int>,
        mut cache: Option<&mut KvCache>,
        mut recorder: Option<&mut Recorder>,
        train: bool,
    ) -> Tensor<3> {
        let start = cache.as_ref().map_or(0, |c| c.len());
        let p = f64::from(self.config.dropout);

        let mut x = dropout(self.embeddings.forward(tokens, start), p, train); // [B, T, C]
        if let Some(rec) = recorder.as_deref_mut() {
            rec.residual("embeddings".into(), &x);
        }
        for (layer, block) in self.blocks.iter().enumerate() {
            let ctx = BlockContext {
                causal: self.config.causal,
                cache: cache.as_deref_mut().map(|c| &mut c.layers[layer]),
                recorder: recorder.as_deref_mut(),
                train,
                layer,
            };
            x = block.forward(x, ctx);
        }
        if let Some(ln) = &self.ln_f {
            let y = ln.forward(x.clone());
            if let Some(rec) = recorder {
                rec.layer_norm("ln_f".into(), &x, &y);
                rec.residual("after ln_f".into(), &y);
            }
            x = y;
        }
        // LM head: [B, T, C] x [C, V] -> [B, T, V].
        let head = match &self.lm_head {
            Some(w) => w.val(),
            None => self.embeddings.wte.val(),
        };
        linear::rows_linear(x, head.transpose(), None)
    }

    /// Run one sequence through the model and read back everything the explainer panels show.
    pub async fn trace(&self, tokens: &[u32]) -> Result<Trace> {
        self.check_tokens(tokens)?;
        let device = self.embeddings.wte.val().device();
        let mut recorder = Recorder::default();
        let logits = self.run(
            tokens_tensor(tokens, &device),
            None,
            Some(&mut recorder),
            false,
        );
        let [_, t, v] = logits.dims();
        let logits = read_f32(logits.reshape([t * v])).await?;
        let (attention, residual, layer_norms) = recorder.read().await?;
        Ok(Trace {
            tokens: tokens.to_vec(),
            n_layer: self.config.n_layer,
            n_head: self.config.n_head,
            vocab_size: self.config.vocab_size,
            n_embd: self.config.n_embd,
            attention,
            residual,
            layer_norms,
            logits,
        })
    }

    /// The token embedding table `[V, C]` and the position embedding table `[block_size, C]`,
    /// each read back flattened (row-major).
    pub async fn embedding_tables(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let wte = self.embeddings.wte.val();
        let [v, c] = wte.dims();
        let wpe = self.embeddings.wpe.val();
        let [t, _] = wpe.dims();
        Ok((
            read_f32(wte.reshape([v * c])).await?,
            read_f32(wpe.reshape([t * c])).await?,
        ))
    }

    /// Next-token logits at every position of one sequence, `[T][V]`, read back.
    pub async fn logits(&self, tokens: &[u32]) -> Result<Vec<Vec<f32>>> {
        self.check_tokens(tokens)?;
        let device = self.embeddings.wte.val().device();
        let logits = self.forward(tokens_tensor(tokens, &device));
        let [_, t, v] = logits.dims();
        let flat = read_f32(logits.reshape([t * v])).await?;
        Ok(flat.chunks_exact(v).map(<[f32]>::to_vec).collect())
    }

    /// Every parameter with its GPT-2 name and shape (the checkpoint's and the export's layout).
    pub fn named_params(&self) -> Vec<NamedParam> {
        let mut out = Vec::new();
        self.embeddings.named_params(&mut out);
        for (i, block) in self.blocks.iter().enumerate() {
            block.named_params(i, &mut out);
        }
        if let Some(ln) = &self.ln_f {
            ln.named_params("transformer.ln_f", &mut out);
        }
        if let Some(w) = &self.lm_head {
            out.push(NamedParam::of2("lm_head.weight".into(), w));
        }
        out
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.embeddings.wte.val().device()
    }

    /// Check that `tokens` can be fed to the model: non-empty, within the context, known ids.
    pub fn check_tokens(&self, tokens: &[u32]) -> Result<()> {
        let len = tokens.len();
        if len == 0 {
            return Err(GptError::Data("the input has no tokens".into()));
        }
        if len > self.config.block_size {
            return Err(GptError::Data(format!(
                "the input has {len} tokens but the model's context is {} tokens",
                self.config.block_size
            )));
        }
        if let Some(&id) = tokens
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(GptError::Data(format!(
                "token id {id} is outside the model's vocabulary of {} tokens",
                self.config.vocab_size
            )));
        }
        Ok(())
    }
}

/// Token ids -> an integer tensor `[1, T]` on `device`.
pub fn tokens_tensor(tokens: &[u32], device: &Device) -> Tensor<2, Int> {
    batch_tensor(tokens, 1, tokens.len(), device)
}

/// `b * t` token ids (row-major) -> an integer tensor `[b, t]` on `device`.
pub fn batch_tensor(tokens: &[u32], b: usize, t: usize, device: &Device) -> Tensor<2, Int> {
    let ids: Vec<i32> = tokens.iter().map(|&id| id as i32).collect();
    Tensor::from_data(TensorData::new(ids, [b, t]), device)
}
