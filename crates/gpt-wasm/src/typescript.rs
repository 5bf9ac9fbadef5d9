//! TypeScript types of the options and results that cross the boundary, published in the
//! package's `.d.ts` (the Rust structs are serialised by `serde-wasm-bindgen` in this shape).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** How to build a session. Every field is optional except `corpus` (for `Session.create`). */
export interface SessionOptions {
  corpus?: string;
  /** "tiny" (default), "baby" or "small". */
  preset?: string;
  model?: {
    blockSize?: number; nLayer?: number; nHead?: number; nEmbd?: number; dropout?: number;
    lnPlacement?: "pre" | "post"; residual?: boolean; layerNorm?: boolean; causal?: boolean;
  };
  training?: { batchSize?: number; learningRate?: number; steps?: number; warmupSteps?: number; evalBatches?: number };
  tokenizer?: "char" | "bpe";
  /** BPE vocabulary size (default 512). */
  vocabSize?: number;
  seed?: number;
  /** Held-out fraction of the corpus, in (0, 0.5]; default 0.1. */
  valFraction?: number;
  /** "cpu" (default) or "webgpu". */
  device?: "cpu" | "webgpu";
}

export interface GptConfig {
  vocab_size: number; block_size: number; n_layer: number; n_head: number; n_embd: number;
  dropout: number; bias: boolean; tie_weights: boolean; ln_placement: "pre" | "post";
  residual: boolean; layer_norm: boolean; causal: boolean;
  /** "gelu" (exact; this playground's models) or "gelu_new" (GPT-2's tanh form). */
  activation: "gelu" | "gelu_new";
}

/** One file of a Hugging Face model folder (`importHf`, `exportHf`). */
export interface HfFile { name: string; bytes: Uint8Array }

export interface SessionInfo {
  device: "cpu" | "webgpu"; preset: string; config: GptConfig; paramCount: number;
  tokenizer: "char" | "bpe"; vocabSize: number; step: number; trainable: boolean; untrainable: string;
  batchSize: number | null; plannedSteps: number | null; trainTokens: number | null; valTokens: number | null;
}

/** Token i is `ids[i]`, shown as `tokens[i]`, covering `text.slice(spans[i][0], spans[i][1])`. */
export interface Tokenized { ids: number[]; tokens: string[]; spans: [number, number][]; byteSpans: [number, number][] }

export interface TrainReport { losses: number[]; step: number; tokens: number; learning_rate: number }

export interface SamplingOptions { temperature?: number; topK?: number; topP?: number; seed?: number; candidates?: number }

export interface Candidate { id: number; token: string; probability: number }

export interface GeneratedToken {
  id: number; token: string; probability: number; forced: boolean;
  /** Everything generated since startGeneration, decoded. */
  text: string;
  candidates: Candidate[];
  /** Candidates for the token after this one. */
  next: Candidate[];
}

export interface Inspection {
  tokenStrings: string[]; tokens: number[]; n_layer: number; n_head: number; vocab_size: number; n_embd: number;
  /** Per layer: [n_head, T, T] flattened, row = query, column = key. */
  attention: number[][];
  residual: { name: string; mean_norm: number }[];
  layer_norms: { name: string; input_mean: number; input_std: number; output_mean: number; output_std: number }[];
  /** [T, vocab_size] flattened. */
  logits: number[];
}

/** `Session.fineTune`: continue training the same model (and tokenizer) on another corpus. */
export interface FineTuneOptions {
  corpus: string;
  training?: { batchSize?: number; learningRate?: number; steps?: number; warmupSteps?: number; evalBatches?: number };
  seed?: number;
  valFraction?: number;
}

/** What fine-tuning kept: characters the tokenizer cannot encode are left out and listed. */
export interface FineTuned { unknownChars: string[]; droppedChars: number; trainTokens: number; valTokens: number; step: number }

export interface Embeddings {
  vocabSize: number; nEmbd: number; blockSize: number; step: number;
  /** Readable form of token i. */
  tokens: string[];
  /** [vocabSize, nEmbd] flattened. */
  tokenEmbedding: number[];
  /** [blockSize, nEmbd] flattened. */
  positionEmbedding: number[];
}

/** A GPT-1/2/3 shape; `paramCount` is computed by the same code as the reader's model. */
export interface ReferenceModel { name: string; family: string; config: GptConfig; paramCount: number; reportedParams: number }
/** One fused op's output or gradient against its reference (`checkFusedOps`, worker request `checkFusedOps`). */
export interface FusedOpCheck { case: string; diff: number; scale: number; tolerance: number; passed: boolean }
"#;
