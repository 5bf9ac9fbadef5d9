//! One error type for the whole crate, with messages a reader of the page can act on.

use crate::tokenizer::TokenizerError;

/// Everything that can go wrong in the `gpt` crate.
#[derive(Debug, thiserror::Error)]
pub enum GptError {
    /// A model configuration that cannot be built or trained.
    #[error("invalid model configuration: {0}")]
    Config(String),
    /// A training configuration that cannot work.
    #[error("invalid training settings: {0}")]
    Train(String),
    /// A preset name nobody defined.
    #[error("unknown preset \"{name}\"; known presets: {known}")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// The tokenizer refused the text or its own definition.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    /// The corpus cannot feed training.
    #[error("corpus problem: {0}")]
    Data(String),
    /// Training diverged: the loss became NaN or infinite.
    #[error(
        "training stopped at step {step}: the loss became {loss} (diverged); the weights from the last good step are kept. Try a lower learning rate."
    )]
    Diverged {
        /// The step at which the loss stopped being finite.
        step: usize,
        /// The offending loss value.
        loss: f32,
    },
    /// Sampling options that cannot work.
    #[error("invalid sampling settings: {0}")]
    Sampling(String),
    /// A checkpoint file that cannot be read.
    #[error("cannot load checkpoint: {0}")]
    Checkpoint(String),
    /// A model that a Hugging Face `GPT2LMHeadModel` cannot express, or files that cannot be
    /// written for it.
    #[error("cannot export for Hugging Face: {0}")]
    Export(String),
    /// Hugging Face files that cannot be read as a GPT-2 model here.
    #[error("cannot import the Hugging Face files: {0}")]
    Import(String),
    /// The compute device failed (for example a lost GPU or a failed read-back).
    #[error("device error: {0}")]
    Device(String),
}

/// The crate's result type.
pub type Result<T, E = GptError> = std::result::Result<T, E>;
