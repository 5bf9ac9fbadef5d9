// @ts-check
// The worker's sessions: named models ("main" is the reader's; panels build their own beside
// it), each with its own queue in the scheduler (one call at a time), and the CPU copies of
// WebGPU sessions that generation and the panels read. Also the worker's clock and its way of
// letting messages in between two calls.
import { Scheduler } from '../scheduler.js';

/** @typedef {import('../../pkg/cpu/gpt_wasm.js').Session} Session */
/** @typedef {import('../../pkg/cpu/gpt_wasm.js').SessionOptions} SessionOptions */
/** @typedef {import('../../pkg/cpu/gpt_wasm.js').SessionInfo} SessionInfo */

/**
 * @typedef {object} Request A request from the page (PROTOCOL.md, "Requests"): `id`, `type` and the
 *   fields of that type, as the page sent them (a field its type needs is cast where it is read:
 *   a request without it fails).
 * @property {number} id
 * @property {string} type
 * @property {string} [session] The session it is about ("main" by default).
 * @property {SessionOptions} [options] (`finetune`: FineTuneOptions)
 * @property {ArrayBuffer} [bytes] `load`, `resume`.
 * @property {{name: string, bytes: ArrayBuffer}[]} [files] `importHf`.
 * @property {number} [shard] `gradients`.
 * @property {number} [of] `gradients`.
 * @property {Float32Array} [gradients] `apply`.
 * @property {number} [rank] `ring`.
 * @property {number} [size] `ring`.
 * @property {MessagePort | null} [next] `ring`.
 * @property {MessagePort | null} [prev] `ring`.
 * @property {number} [shards] `measure`.
 * @property {number} [steps] `measure`, `train`.
 * @property {number} [evalEvery] `train`.
 * @property {boolean} [measure] `copy`.
 * @property {string} [prompt] `copy`, `generate`.
 * @property {unknown} [sampling] `generate`, `sampling` (checked: loops.js checkSampling).
 * @property {number} [maxTokens] `generate`.
 * @property {number | null} [forced] `generate`.
 * @property {boolean} [continue] `generate`.
 * @property {string} [action] `debug`.
 * @property {string} [from] `fork`.
 * @property {string} [text] `tokenize`, `inspect`, `tokenizer`.
 * @property {string} [kind] `tokenizer`: "char", "bpe" or "gpt2".
 * @property {number} [vocabSize] `tokenizer`.
 * @property {string} [corpus] `tokenizer`.
 * @property {string} [corpusId] `tokenizer`.
 * @property {number} [token] `neighbours`.
 * @property {number} [k] `neighbours`.
 * @property {import('../scheduler.js').JobKind} [what] `stop`.
 * @property {number} [target] `cancel`.
 * @property {WebAssembly.Module | null} [module] `boot`.
 * @property {string} [package] `boot`.
 */

// Named sessions: "main" is the model the reader trains; panels build their own beside it
// (ablation runs, the fine-tuned copy) so the reader's model is never disturbed.
export const scheduler = new Scheduler();

/** Posts a message to the page (a worker's postMessage: the DOM lib types the window's). @param {object} msg @param {Transferable[]} [transfer] */
export const send = (msg, transfer) => /** @type {(msg: object, transfer: Transferable[]) => void} */ (postMessage)(msg, transfer ?? []);
// A macrotask, not a microtask, so that the worker receives `stop` between chunks and tokens.
// A MessageChannel message rather than setTimeout(0), which browsers clamp to 4 ms when nested:
// that alone capped streaming generation at ~100 tokens/s.
const tick = new MessageChannel();
const ticking = /** @type {((value?: unknown) => void)[]} */ ([]);
tick.port1.onmessage = () => ticking.shift()?.();
/** Resolves after the events waiting now (a `stop`, say) were delivered. */
export const yieldToEvents = () =>
  new Promise((resolve) => {
    ticking.push(resolve);
    tick.port2.postMessage(0);
  });
export const now = () => performance.now();

/** The session a request names (`main` by default). */
export const sessionName = (/** @type {{session?: string}} */ m) => m.session ?? 'main';

/** Builds a session with `make` and puts it under the request's name (replacing any).
 *  @param {Request} m @param {() => Promise<Session>} make @returns {Promise<SessionInfo>} */
export async function replace(m, make) {
  const object = await scheduler.replace(sessionName(m), make);
  return on(m, () => object.info());
}

// CPU copies of WebGPU sessions (`copy`): requests that only read the model (generation and the
// panels' inspections) go to the copy while it exists; anything that changes the model drops it.
export const copies = /** @type {Set<string>} */ (new Set()); // names of sessions whose reads go to their copy
export const copyName = (/** @type {string} */ name) => `${name}@cpu`;
export const READS = new Set(['generate', 'sampling', 'inspect', 'embeddings', 'embeddingMap', 'neighbours', 'tokenize']);
export const CHANGES = new Set(['init', 'load', 'importHf', 'resume', 'train', 'apply', 'ringStep', 'finetune', 'drop']);
/** @param {string} name */
export function dropCopy(name) {
  copies.delete(name);
  return scheduler.drop(copyName(name));
}

/** Milliseconds per generated token of session `name` (after one that warms up), continuing
 *  `prompt` (text the model's tokenizer can encode: the start of its corpus).
 *  @param {string} name @param {string} prompt */
export function tokenMs(name, prompt) {
  return scheduler.call(name, async (s) => {
    await s.startGeneration(prompt, {});
    await s.nextToken();
    const t = now();
    for (let i = 0; i < 3; i++) await s.nextToken();
    return (now() - t) / 3;
  });
}
/**
 * A call into the request's session, in its queue.
 * @template T
 * @param {{session?: string}} m
 * @param {(s: Session) => T | PromiseLike<T>} fn
 * @returns {Promise<T>}
 */
export const on = (m, fn) => scheduler.call(sessionName(m), fn);
