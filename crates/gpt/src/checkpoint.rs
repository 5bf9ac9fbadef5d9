//! One file holds a trained model: the weights as safetensors, with the config, the tokenizer and
//! the training step in the file's metadata.
//!
//! Tensor names and layouts are Hugging Face GPT-2's (`transformer.h.0.attn.c_attn.weight`,
//! Conv1D weights `[in, out]`), so the file loads in PyTorch/NumPy too; see
//! `bench/load_checkpoint.py`. The activation is exact (erf) GELU, as in nanoGPT.

use std::collections::{HashMap, HashSet};

use burn::tensor::Device;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::config::GptConfig;
use crate::device::read_f32;
use crate::error::{GptError, Result};
use crate::model::Gpt;
use crate::model::weights::WeightSource;
use crate::tokenizer::Tokenizer;

/// Identifies files written by this crate (metadata key `format`).
pub const FORMAT: &str = "gpt-playground/1";

/// A model loaded from a checkpoint, with what it needs to be used.
pub struct Checkpoint {
    /// The network.
    pub model: Gpt,
    /// The tokenizer it was trained with.
    pub tokenizer: Tokenizer,
    /// Training steps done when it was saved.
    pub step: usize,
}

/// Serialise a model, its tokenizer and its step count to safetensors bytes.
pub async fn save(model: &Gpt, tokenizer: &Tokenizer, step: usize) -> Result<Vec<u8>> {
    save_with(model, tokenizer, step, Vec::new(), Vec::new()).await
}

/// A tensor stored beside the weights (the optimizer's moments of a saved training run).
pub(crate) struct Extra {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: burn::tensor::Tensor<1>,
}

/// [`save`], plus `extra` tensors and `meta` entries (a training run's state, see
/// `train::state`).
pub(crate) async fn save_with(
    model: &Gpt,
    tokenizer: &Tokenizer,
    step: usize,
    extra: Vec<Extra>,
    meta: Vec<(String, String)>,
) -> Result<Vec<u8>> {
    let params = model
        .named_params()
        .into_iter()
        .map(|p| (p.name, p.shape, p.values));
    let extra = extra.into_iter().map(|e| (e.name, e.shape, e.values));
    let mut tensors = Vec::new();
    for (name, shape, values) in params.chain(extra) {
        tensors.push((name, shape, read_f32(values).await?));
    }
    let config = serde_json::to_string(model.config())
        .map_err(|e| GptError::Checkpoint(format!("cannot write the config: {e}")))?;
    let mut metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("config".to_string(), config),
        ("tokenizer".to_string(), tokenizer.to_json()),
        ("step".to_string(), step.to_string()),
    ]);
    metadata.extend(meta);
    safetensors_bytes(&tensors, metadata)
}

/// Named f32 tensors (name, shape, row-major values) and the header's metadata as a
/// safetensors file.
pub(crate) fn safetensors_bytes(
    tensors: &[(String, Vec<usize>, Vec<f32>)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let buffers: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, values)| values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors
        .iter()
        .zip(&buffers)
        .map(|((name, shape, _), bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|e| GptError::Checkpoint(format!("cannot describe tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(metadata))
        .map_err(|e| GptError::Checkpoint(format!("cannot serialise the weights: {e}")))
}

/// Read a checkpoint from bytes onto `device`.
///
/// Every failure is a [`GptError::Checkpoint`] that says what is wrong: not a safetensors file
/// (or truncated), missing metadata, a config or tokenizer that does not parse or does not
/// match, a missing, extra or mis-shaped tensor.
pub fn load(bytes: &[u8], device: &Device) -> Result<Checkpoint> {
    load_with(bytes, device, "").map(|(checkpoint, _, _)| checkpoint)
}

/// What [`load_with`] reads: the checkpoint, the file's metadata and its extra tensors by name.
pub(crate) type Loaded = (
    Checkpoint,
    HashMap<String, String>,
    HashMap<String, Vec<f32>>,
);

/// [`load`], also returning the metadata and the tensors whose names start with `extra_prefix`
/// (which then do not count as tensors the model does not use; "" takes none).
pub(crate) fn load_with(bytes: &[u8], device: &Device, extra_prefix: &str) -> Result<Loaded> {
    let bad = |m: String| GptError::Checkpoint(m);
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| {
        bad(format!(
            "not a readable safetensors file (truncated or corrupted?): {e}"
        ))
    })?;
    let meta = header.metadata().as_ref().ok_or_else(|| {
        bad(
            "the file has no metadata; it was not written by this playground (a Hugging Face \
             model.safetensors loads together with its config.json and tokenizer files)"
                .into(),
        )
    })?;
    let field = |key: &str| {
        meta.get(key).ok_or_else(|| {
            bad(format!(
                "the metadata has no \"{key}\" entry; it was not written by this playground"
            ))
        })
    };
    let format = field("format")?;
    if format != FORMAT {
        return Err(bad(format!(
            "unsupported format \"{format}\" (expected \"{FORMAT}\")"
        )));
    }
    let config: GptConfig = serde_json::from_str(field("config")?)
        .map_err(|e| bad(format!("the config does not parse: {e}")))?;
    config
        .validate()
        .map_err(|e| bad(format!("the stored config is not usable: {e}")))?;
    let tokenizer = Tokenizer::from_json(field("tokenizer")?)
        .map_err(|e| bad(format!("the tokenizer does not load: {e}")))?;
    config
        .validate_vocab(tokenizer.vocab_size())
        .map_err(|e| bad(format!("the model and tokenizer do not match: {e}")))?;
    let step = field("step")?
        .parse::<usize>()
        .map_err(|e| bad(format!("the step count does not parse: {e}")))?;
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| {
        bad(format!(
            "not a readable safetensors file (truncated or corrupted?): {e}"
        ))
    })?;

    let mut source = FileWeights::new(&tensors, false);
    let model = Gpt::from_source(&config, &mut source, device)?;
    let wanted = |n: &str| !extra_prefix.is_empty() && n.starts_with(extra_prefix);
    let unused = source.unused(wanted);
    if !unused.is_empty() {
        return Err(bad(format!(
            "the file has tensors this model does not use ({}); does the config match the weights?",
            unused.join(", ")
        )));
    }
    let mut extra = HashMap::new();
    for name in tensors.names().into_iter().filter(|n| wanted(n)) {
        let values = source.read(name)?;
        extra.insert(name.to_string(), values);
    }
    let meta = meta.clone();
    Ok((
        Checkpoint {
            model,
            tokenizer,
            step,
        },
        meta,
        extra,
    ))
}

/// Supplies parameters from a safetensors file, checking dtype and shape.
pub(crate) struct FileWeights<'a, 'data> {
    tensors: &'a SafeTensors<'data>,
    /// The file's names of the tensors read so far.
    used: HashSet<String>,
    /// Whether the file names tensors without `transformer.` (Hugging Face's `GPT2Model`).
    bare: bool,
}

impl<'a, 'data> FileWeights<'a, 'data> {
    /// Read from `tensors`; `bare`: the file's names lack the `transformer.` prefix.
    pub(crate) fn new(tensors: &'a SafeTensors<'data>, bare: bool) -> Self {
        Self {
            tensors,
            used: HashSet::new(),
            bare,
        }
    }

    /// The file's tensors that no parameter read and `ignored` does not excuse, sorted: a file
    /// with more tensors than its config explains is refused rather than half read.
    pub(crate) fn unused(&self, ignored: impl Fn(&str) -> bool) -> Vec<String> {
        let mut names: Vec<String> = (self.tensors.names().into_iter())
            .filter(|n| !self.used.contains(*n) && !ignored(n))
            .map(str::to_string)
            .collect();
        names.sort_unstable();
        names
    }

    /// The file's name for parameter `name`.
    fn key<'n>(&self, name: &'n str) -> &'n str {
        match name.strip_prefix("transformer.") {
            Some(rest) if self.bare => rest,
            _ => name,
        }
    }

    /// The values of tensor `name` (f32, all finite), whatever its shape.
    fn read(&self, name: &str) -> Result<Vec<f32>> {
        self.view(name, None)
    }

    fn view(&self, name: &str, shape: Option<&[usize]>) -> Result<Vec<f32>> {
        let bad = |m: String| GptError::Checkpoint(m);
        let name = self.key(name);
        let view = self.tensors.tensor(name).map_err(|_| {
            bad(format!(
                "the tensor \"{name}\" is missing; does the config match the weights?"
            ))
        })?;
        // Half-precision files (common on the Hugging Face Hub) are widened to f32.
        let widen: fn(&[u8]) -> f32 = match view.dtype() {
            Dtype::F32 => |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Dtype::BF16 => |b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16),
            Dtype::F16 => |b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])),
            other => {
                return Err(bad(format!(
                    "tensor \"{name}\" is {other:?}; F32, F16 and BF16 weights are read"
                )));
            }
        };
        if let Some(shape) = shape
            && view.shape() != shape
        {
            return Err(bad(format!(
                "tensor \"{name}\" has shape {:?}, but the config needs {:?}",
                view.shape(),
                shape
            )));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(view.dtype().bitsize() / 8)
            .map(widen)
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(bad(format!(
                "tensor \"{name}\" holds a non-finite value at index {i}"
            )));
        }
        Ok(values)
    }
}

impl WeightSource for FileWeights<'_, '_> {
    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let values = self.view(name, Some(shape))?;
        self.used.insert(self.key(name).to_string());
        Ok(values)
    }
}

/// An IEEE half-precision number as f32 (exact: every f16 is an f32).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let fraction = f32::from(h & 0x3ff);
    sign * match exponent {
        0 => fraction * 2f32.powi(-24),
        31 if fraction == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + fraction / 1024.0) * 2f32.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::f16_to_f32;

    #[test]
    fn half_precision_widens_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert!(f16_to_f32(0x7c00).is_infinite() && f16_to_f32(0x7e00).is_nan());
    }
}
