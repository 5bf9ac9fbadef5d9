// TypeScript declarations of the playground's module API (lib/playground.js) and its custom
// elements (lib/elements.js). The model's own value types (SessionInfo, GeneratedToken, …) come
// from the wasm package's generated declarations, so the two cannot drift apart.
import type { GeneratedToken, SamplingOptions, SessionInfo } from '../pkg/cpu/gpt_wasm.js';

export type { GeneratedToken, SamplingOptions, SessionInfo };

/** A bundled corpus, or "own" (the reader's text). */
export type CorpusKey = 'names' | 'moby' | 'sotu' | 'dialogue' | 'own';
export type Preset = 'tiny' | 'baby' | 'small';
export type TokenizerKind = 'char' | 'bpe';
export type DevicePreference = 'auto' | 'cpu' | 'webgpu';
export type Status = 'idle' | 'training' | 'done' | 'error';
/** The run's state (lib/run.js); `Status` is its coarse view. */
export type RunStateName = 'idle' | 'building' | 'training' | 'pausing' | 'paused' | 'stopping' | 'done' | 'error';
/** The setup cards and the explainer panels a playground can show. */
export type PanelName =
  | 'data' | 'model' | 'train' | 'bar'
  | 'tokenizer' | 'embedding' | 'attention' | 'mask' | 'residual' | 'finetune' | 'generation' | 'scale';
/** Parts an embed can hide with `NAME_hide` (URL parameter or attribute). */
export type Hideable = 'data' | 'model' | 'train' | 'chart' | 'corpus' | 'preset' | 'tokenizer' | 'device' | 'workers' | 'steps' | 'save' | 'title';

/** The settings a model is built and trained from. */
export interface Settings {
  corpus: CorpusKey;
  preset: Preset;
  tokenizer: TokenizerKind;
  /** Steps per press of Train, 1 to 100,000. */
  steps: number;
  device: DevicePreference;
  /** Web Workers that train together on the CPU (data-parallel), or `auto`. */
  workers: 'auto' | number;
}

export interface PlaygroundOptions extends Partial<Record<keyof Settings, string | number>> {
  /** The reader's own corpus (with `corpus: "own"`). */
  text?: string;
  /** A `probeWebGpu()` result, to skip the probe. */
  webgpu?: WebGpuProbe;
  /** Keep the reader's run in this browser (IndexedDB) under this key. */
  autosave?: string | false;
  /** How often a training run is snapshotted (seconds; default 10). */
  snapshotSeconds?: number;
  /** How a hung worker is found: ping when quiet for `every` ms; hung after `deadline` ms. */
  heartbeat?: { every: number; deadline: number };
  /** How data-parallel workers average their gradients: a ring between the workers (default) or
   *  through the page. */
  allReduce?: 'ring' | 'page';
}

export interface WebGpuProbe { available: boolean; fallback?: boolean; name?: string; why?: string }

/** Training speeds measured to choose the device (`device: "auto"` with a hardware adapter). */
export interface DeviceMeasurement { webgpuTokensPerSecond: number | null; cpuTokensPerSecond: number; workers: number }
/** Where generation and the panels' inspections run after a run on WebGPU: a CPU copy of the
 *  weights when faster (the figures are null when a software adapter was not measured). */
export interface GenerationDevice { device: 'cpu' | 'webgpu'; cpuTokensPerSecond: number | null; webgpuTokensPerSecond: number | null }
export interface DeviceChoice {
  device: 'cpu' | 'webgpu';
  note: string;
  webgpu: WebGpuProbe;
  measured?: DeviceMeasurement;
  generation?: GenerationDevice;
}

export interface RunStats {
  step: number; start: number; target: number;
  tokensPerSecond: number; etaSeconds: number;
  /** Mean of the last five training losses. */
  loss: number;
  /** Mean of the first five training losses of the current model. */
  firstLoss: number;
  lastLoss: number;
  valLoss: number;
}

export interface PlaygroundEventMap {
  ready: CustomEvent<undefined>;
  status: CustomEvent<{ status: Status; state: RunStateName }>;
  settings: CustomEvent<{ settings: Settings; changed: (keyof Settings)[] }>;
  corpus: CustomEvent<CorpusKey>;
  device: CustomEvent<Omit<DeviceChoice, 'webgpu'>>;
  building: CustomEvent<boolean>;
  model: CustomEvent<SessionInfo | null>;
  progress: CustomEvent<{ step: number; loss: number; target: number; tokensPerSecond: number; workers: number }>;
  eval: CustomEvent<{ step: number; train: number; val: number }>;
  trained: CustomEvent<SessionInfo>;
  training: CustomEvent<boolean>;
  saved: CustomEvent<{ step: number; savedAt: number } | null>;
  error: CustomEvent<{ message: string; action?: string; panel?: PanelName; root?: HTMLElement }>;
}

/** A panel shown by `mountPanel`. */
export interface PanelHandle {
  name: PanelName;
  /** The panel's root `<section data-panel=NAME>` (or `data-card` for setup cards); its
   *  `dataset.state` is empty | busy | ready | error and `panelData` holds what it drew. */
  root: HTMLElement & { panelData?: unknown };
  /** Resolves once the panel has drawn what it can. */
  ready: Promise<void>;
  /** Removes the panel, its listeners and observers, and the worker sessions it made. */
  destroy(): void;
}

export interface MountOptions {
  /** In `element`'s shadow root with its own styles (default true). */
  shadow?: boolean;
  /** Show the panel's heading (default true). */
  heading?: boolean;
  /** A number before the heading. */
  number?: number | null;
  hide?: Hideable[];
}

/** A loss history of bounded size (lib/history.js): points of `stride` steps each (mean, min, max). */
export interface History {
  readonly capacity: number;
  /** `[lastStep, mean, min, max, count, firstStep]` per point, steps increasing. */
  points: number[][];
  stride: number;
  /** Values pushed. */
  count: number;
  readonly length: number;
  /** The last value pushed (NaN before any). */
  readonly last: number;
  readonly firstMean: number;
  readonly recentMean: number;
  readonly merged: boolean;
  /** `[step, value]` pairs for drawing. */
  pairs(): number[][];
  /** `[step, min, max]` for a band behind the line. */
  band(): number[][];
}

/** How the current model came to be. */
export type ModelOrigin =
  | { kind: 'built' }
  | { kind: 'loaded'; file: string; huggingFace?: boolean }
  | { kind: 'resumed' | 'restored'; step: number };

/** A Hugging Face folder's file, as `importHf` takes it (or a `File`). */
export interface NamedBytes { name: string; bytes: ArrayBuffer | ArrayBufferView }

/** One reader's model in its own Web Worker, and the panels that show it. */
export declare class Playground extends EventTarget {
  constructor(options?: PlaygroundOptions);
  readonly ready: Promise<void>;
  readonly status: Status;
  readonly settings: Settings;
  readonly text: string;
  readonly prompt: string;
  readonly device: DeviceChoice;
  readonly info: SessionInfo | null;
  readonly origin: ModelOrigin | null;
  readonly training: boolean;
  readonly paused: boolean;
  readonly building: boolean;
  readonly destroyed: boolean;
  readonly run: { start: number; target: number; reason: 'done' | 'stopped' | 'paused' | null; state: RunStateName };
  /** The current model's losses: training (every step) and validation, and the latest chunks' rates. */
  readonly history: { train: History; val: History; rates: { steps: number; tokens: number; ms: number }[] };
  readonly canTrainMore: boolean;
  /** The model has learned something: it trained here, or came pre-trained from a Hugging Face folder. */
  readonly pretrained: boolean;
  readonly stats: RunStats;
  readonly panels: PanelHandle[];
  set(changes: Partial<Settings> & { text?: string }): Promise<void>;
  train(options?: { steps?: number }): Promise<{ step: number; reason: 'done' | 'stopped' | 'paused' }>;
  pause(): Promise<unknown>;
  resume(): Promise<unknown>;
  stop(): Promise<unknown>;
  /** Forgets the model; rejects while one is being built or trained. */
  reset(): Promise<unknown>;
  ensureModel(): Promise<SessionInfo>;
  save(): Promise<{ bytes: Uint8Array; filename: string }>;
  load(bytes: ArrayBuffer | ArrayBufferView | Blob, name?: string): Promise<SessionInfo>;
  /** Reads a Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer files) in place of the model. */
  importHf(files: Iterable<File | NamedBytes>): Promise<SessionInfo>;
  /** The model as a Hugging Face GPT-2 folder in one zip. */
  exportHf(): Promise<{ bytes: Uint8Array; filename: string; files: string[] }>;
  generate(options?: { prompt?: string; sampling?: SamplingOptions; maxTokens?: number }, onToken?: (token: GeneratedToken) => void): Promise<{ text: string; reason: 'done' | 'stopped' }>;
  call(type: string, fields?: Record<string, unknown>, onEvent?: (event: Record<string, unknown>) => void, transfer?: Transferable[]): Promise<any>;
  sessionOptions(extra?: Record<string, unknown>, steps?: number): Record<string, unknown>;
  mountPanel(element: HTMLElement, name: PanelName, options?: MountOptions): PanelHandle;
  /** The run as it is now, kept in memory (and in IndexedDB with `autosave`). */
  snapshot(): Promise<unknown>;
  readonly autosave: boolean;
  /** The IndexedDB key runs are kept under (false: none); setting it keeps later runs there. */
  autosaveKey: string | false;
  savedRun(): Promise<{ step: number; preset: string; corpus: CorpusKey; savedAt: number } | null>;
  resumeSaved(): Promise<SessionInfo>;
  forgetSaved(): Promise<void>;
  /** How many workers the next run trains with. */
  readonly workers: number;
  callAll(type: string, fields?: Record<string, unknown>): Promise<any[]>;
  diagnostics(): Promise<{ role: 'primary' | 'replica' | 'panels'; sessions: string[]; memoryBytes: number; tokenizers: number }[]>;
  reportError(message: string, extra?: { panel?: PanelName }): void;
  dismissError(): void;
  destroy(): void;
  addEventListener<K extends keyof PlaygroundEventMap>(type: K, listener: (event: PlaygroundEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}

/** How many model workers this page runs now (one per playground). */
export declare function liveWorkers(): number;
/** What `autotrain` does: trains `playground` when it has no model yet and nothing is running or failed. */
export declare function autotrain(playground: Playground): void;
/** Reads settings from URL parameters or attributes: `get(name)` returns the value or null. */
export declare function readState(get: (name: string) => string | null): {
  state: Settings & { autotrain: boolean; panels: string | null; hide: Hideable[] };
  problems: string[];
};
export declare const DEFAULTS: Readonly<Settings & { autotrain: boolean; panels: null; hide: readonly Hideable[] }>;
export declare const CORPORA: Record<CorpusKey, { file?: string; label: string; prompt: string }>;
/** Every view a playground can show (setup cards and explainer panels). */
export declare const VIEWS: readonly { name: PanelName; title: string; setup?: boolean; wide?: boolean; css?: boolean }[];
/** Largest model file `load` reads, in bytes. */
export declare const MAX_CHECKPOINT_BYTES: number;
/** Largest Hugging Face folder `importHf` reads, in bytes. */
export declare const MAX_HF_BYTES: number;
/** The files of a Hugging Face GPT-2 folder that `importHf` reads. */
export declare const HF_FILES: string[];
export declare function readTextFile(file: File): Promise<string>;
