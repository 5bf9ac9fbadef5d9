//! A traced forward pass: besides the logits it keeps what the explainer panels draw (attention
//! probabilities, the residual stream's size, LayerNorm statistics). The embedding tables do not
//! depend on the sequence: [`crate::Gpt::embedding_tables`] reads them.

use burn::tensor::Tensor;
use serde::Serialize;

use crate::device::{read_f32, read_f32_concat};
use crate::error::Result;

/// The size of the residual stream at one point of the network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResidualStat {
    /// Where, e.g. "embeddings" or "block 0 after attention".
    pub name: String,
    /// Mean over positions of the L2 norm of the stream's vector.
    pub mean_norm: f32,
}

/// Statistics of one LayerNorm's input and output (over all positions and channels).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerNormStat {
    /// Which LayerNorm, e.g. "block 1 ln_2" or "ln_f".
    pub name: String,
    /// Mean of the input.
    pub input_mean: f32,
    /// Standard deviation of the input.
    pub input_std: f32,
    /// Mean of the output.
    pub output_mean: f32,
    /// Standard deviation of the output.
    pub output_std: f32,
}

/// Everything the explainer panels need about one sequence, read back to the CPU.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trace {
    /// The input token ids, `T` of them.
    pub tokens: Vec<u32>,
    /// Number of layers.
    pub n_layer: usize,
    /// Heads per layer.
    pub n_head: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Embedding width.
    pub n_embd: usize,
    /// Per layer, attention probabilities `[H, T, T]` flattened (row = query, column = key).
    pub attention: Vec<Vec<f32>>,
    /// Residual-stream size after the embeddings and after each sub-layer.
    pub residual: Vec<ResidualStat>,
    /// Every LayerNorm's input/output statistics, in order.
    pub layer_norms: Vec<LayerNormStat>,
    /// Next-token logits at every position, `[T, V]` flattened.
    pub logits: Vec<f32>,
}

/// Collects tensors during a forward pass; nothing is read back until [`Recorder::read`].
#[derive(Default)]
pub(crate) struct Recorder {
    pub attention: Vec<Tensor<4>>,
    residual_names: Vec<String>,
    residual: Vec<Tensor<1>>,
    ln_names: Vec<String>,
    ln_stats: Vec<Tensor<1>>,
}

/// `[B, T, C]` -> scalar `[1]`: mean over positions of each vector's L2 norm.
fn mean_norm(x: &Tensor<3>) -> Tensor<1> {
    x.clone().powi_scalar(2).sum_dim(2).sqrt().mean()
}

/// `[B, T, C]` -> `[2]`: mean and (population) standard deviation of all values.
fn mean_std(x: &Tensor<3>) -> Tensor<1> {
    let mean = x.clone().mean();
    let var = (x.clone() - mean.clone().unsqueeze::<3>())
        .powi_scalar(2)
        .mean();
    Tensor::cat(vec![mean, var.sqrt()], 0)
}

impl Recorder {
    pub fn residual(&mut self, name: String, x: &Tensor<3>) {
        self.residual_names.push(name);
        self.residual.push(mean_norm(x));
    }

    pub fn layer_norm(&mut self, name: String, input: &Tensor<3>, output: &Tensor<3>) {
        self.ln_names.push(name);
        self.ln_stats
            .push(Tensor::cat(vec![mean_std(input), mean_std(output)], 0));
    }

    /// Read the recorded values back (asynchronously) into plain numbers.
    pub async fn read(self) -> Result<(Vec<Vec<f32>>, Vec<ResidualStat>, Vec<LayerNormStat>)> {
        let mut attention = Vec::with_capacity(self.attention.len());
        for probs in self.attention {
            let [b, h, t, s] = probs.dims();
            attention.push(read_f32(probs.reshape([b * h * t * s])).await?);
        }
        let residual = read_f32_concat(self.residual).await?;
        let residual = self
            .residual_names
            .into_iter()
            .zip(residual)
            .map(|(name, mean_norm)| ResidualStat { name, mean_norm })
            .collect();
        let ln = read_f32_concat(self.ln_stats).await?;
        let layer_norms = self
            .ln_names
            .into_iter()
            .zip(ln.chunks_exact(4))
            .map(|(name, s)| LayerNormStat {
                name,
                input_mean: s[0],
                input_std: s[1],
                output_mean: s[2],
                output_std: s[3],
            })
            .collect();
        Ok((attention, residual, layer_norms))
    }
}
