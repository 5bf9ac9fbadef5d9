//! A tiny GPT with the architecture of GPT-2 / nanoGPT, written on burn, for teaching.
//!
//! The modules follow a "how GPT works" tutorial: [`tokenizer`] turns text into ids, [`data`]
//! cuts the corpus into training batches, [`model`] holds the network (embedding, attention,
//! block, ...), [`train`] pre-trains (and fine-tunes) it, [`generate`] samples from it token by
//! token, [`checkpoint`] saves and loads it, and [`config`] describes it, including the shapes of
//! GPT-1, GPT-2 and GPT-3 for comparison.
//!
//! Nothing here knows about the web: the same code runs natively (the `gpt` CLI) and in the
//! browser (compiled to wasm32 behind a thin facade).

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod generate;
pub mod huggingface;
pub mod model;
pub mod ops;
pub mod rng;
pub mod tokenizer;
pub mod train;

pub use config::{Activation, GptConfig, LayerNormPlacement};
pub use error::{GptError, Result};
pub use model::Gpt;
pub use tokenizer::{Tokenizer, TokenizerKind};
