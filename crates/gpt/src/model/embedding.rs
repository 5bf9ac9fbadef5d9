//! The embedding layer: a token id becomes a learned vector, and so does its position; their sum
//! is the start of the residual stream.

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor};

use super::weights::{NamedParam, WeightSource, param2};
use crate::error::Result;

/// Token and position embedding tables.
#[derive(Module, Debug)]
pub struct Embeddings {
    /// Token embeddings `[vocab_size, C]` (also the LM head when weights are tied).
    pub wte: Param<Tensor<2>>,
    /// Position embeddings `[block_size, C]`.
    pub wpe: Param<Tensor<2>>,
}

impl Embeddings {
    /// Build `transformer.wte` and `transformer.wpe`.
    pub fn new(
        src: &mut dyn WeightSource,
        vocab: usize,
        block: usize,
        width: usize,
        device: &Device,
    ) -> Result<Self> {
        Ok(Self {
            wte: param2(src, "transformer.wte.weight", [vocab, width], device)?,
            wpe: param2(src, "transformer.wpe.weight", [block, width], device)?,
        })
    }

    /// Token ids `[B, T]` at absolute positions `start..start + T` -> vectors `[B, T, C]`.
    pub fn forward(&self, tokens: Tensor<2, Int>, start: usize) -> Tensor<3> {
        let [_, t] = tokens.dims();
        let tok = burn::tensor::module::embedding(self.wte.val(), tokens); // [B, T, C]
        let pos = self.wpe.val().narrow(0, start, t).unsqueeze::<3>(); // [1, T, C]
        tok + pos
    }

    pub(crate) fn named_params(&self, out: &mut Vec<NamedParam>) {
        out.push(NamedParam::of2("transformer.wte.weight".into(), &self.wte));
        out.push(NamedParam::of2("transformer.wpe.weight".into(), &self.wpe));
    }
}
