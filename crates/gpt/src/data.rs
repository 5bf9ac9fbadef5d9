//! From corpus text to training batches: encode once, split into train/validation at a token
//! boundary, then draw random windows of `block_size + 1` tokens (inputs and next-token targets).

use crate::error::{GptError, Result};
use crate::rng::Rng;

/// Which part of the corpus to draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The first part (default 90%): the model learns from it.
    Train,
    /// The held-out rest: measures generalisation.
    Val,
}

/// A tokenised corpus, split for training and validation.
#[derive(Clone, Debug)]
pub struct Dataset {
    train: Vec<u32>,
    val: Vec<u32>,
    block_size: usize,
    max_id: u32,
}

/// One batch: `inputs[b][t]` is followed by `targets[b][t]` in the corpus.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Rows of inputs, `batch_size * block_size` ids, row-major.
    pub inputs: Vec<u32>,
    /// The same windows shifted by one token.
    pub targets: Vec<u32>,
    /// Number of rows.
    pub batch_size: usize,
    /// Tokens per row.
    pub block_size: usize,
}

impl Dataset {
    /// Split `ids` (the whole corpus, encoded) with `val_fraction` held out at the end.
    ///
    /// Errors when the corpus is empty or too short for one training example (or, with a
    /// validation split, one validation example) of `block_size + 1` tokens.
    pub fn new(ids: Vec<u32>, block_size: usize, val_fraction: f32) -> Result<Self> {
        if ids.is_empty() {
            return Err(GptError::Data(
                "the corpus is empty: paste or choose some text to train on".into(),
            ));
        }
        if !(0.0..1.0).contains(&val_fraction) {
            return Err(GptError::Data(format!(
                "the validation fraction {val_fraction} must be in [0, 1)"
            )));
        }
        let need = block_size + 1;
        let n_val = (ids.len() as f64 * f64::from(val_fraction)).round() as usize;
        let n_train = ids.len() - n_val;
        if n_train < need {
            return Err(GptError::Data(format!(
                "the corpus is too short: its training part has {n_train} tokens, but one training example needs {need} \
                 (context {block_size} + 1); use a longer text or a smaller context"
            )));
        }
        if n_val > 0 && n_val < need {
            return Err(GptError::Data(format!(
                "the validation split is too short: {n_val} tokens, but one example needs {need} \
                 (context {block_size} + 1); use a longer text, a larger validation fraction or a smaller context"
            )));
        }
        let max_id = ids.iter().copied().max().unwrap_or(0);
        let mut train = ids;
        let val = train.split_off(n_train);
        Ok(Self {
            train,
            val,
            block_size,
            max_id,
        })
    }

    /// Number of tokens in a split.
    pub fn len(&self, split: Split) -> usize {
        self.tokens(split).len()
    }

    /// True when the split holds no tokens (a validation fraction of 0).
    pub fn is_empty(&self, split: Split) -> bool {
        self.tokens(split).is_empty()
    }

    /// The largest token id in the corpus (a model needs a vocabulary larger than this).
    pub fn max_id(&self) -> u32 {
        self.max_id
    }

    /// The context length batches are cut for.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    fn tokens(&self, split: Split) -> &[u32] {
        match split {
            Split::Train => &self.train,
            Split::Val => &self.val,
        }
    }

    /// `batch_size` random windows from `split` (falls back to the training split when the
    /// validation split is empty).
    pub fn batch(&self, split: Split, batch_size: usize, rng: &mut Rng) -> Batch {
        let data = match split {
            Split::Val if !self.val.is_empty() => &self.val,
            _ => &self.train,
        };
        let t = self.block_size;
        let mut inputs = Vec::with_capacity(batch_size * t);
        let mut targets = Vec::with_capacity(batch_size * t);
        // `new` guarantees data.len() >= t + 1, so there is at least one start position.
        let starts = data.len() - t;
        for _ in 0..batch_size {
            let s = rng.below(starts);
            inputs.extend_from_slice(&data[s..s + t]);
            targets.extend_from_slice(&data[s + 1..s + t + 1]);
        }
        Batch {
            inputs,
            targets,
            batch_size,
            block_size: t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_inputs_shifted_by_one() {
        let ids: Vec<u32> = (0..100).collect();
        let ds = Dataset::new(ids, 8, 0.1).expect("dataset");
        assert_eq!(ds.len(Split::Train), 90);
        assert_eq!(ds.len(Split::Val), 10);
        let b = ds.batch(Split::Train, 4, &mut Rng::new(1));
        for row in 0..4 {
            for t in 0..8 {
                assert_eq!(b.inputs[row * 8 + t] + 1, b.targets[row * 8 + t]);
            }
            assert!(
                b.targets[row * 8 + 7] < 90,
                "train batches stay in the train split"
            );
        }
        let v = ds.batch(Split::Val, 2, &mut Rng::new(1));
        assert!(v.inputs.iter().all(|&id| id >= 90));
    }

    #[test]
    fn clear_errors_for_short_corpora() {
        let empty = Dataset::new(vec![], 8, 0.1).unwrap_err().to_string();
        assert!(empty.contains("empty"), "{empty}");
        let short = Dataset::new((0..5).collect(), 8, 0.0)
            .unwrap_err()
            .to_string();
        assert!(
            short.contains("too short") && short.contains("needs 9"),
            "{short}"
        );
        let val = Dataset::new((0..40).collect(), 8, 0.1)
            .unwrap_err()
            .to_string();
        assert!(val.contains("validation split is too short"), "{val}");
    }
}
