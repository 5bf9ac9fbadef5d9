// @ts-check
// Model files in and out of the page: a checkpoint (.safetensors) to load, the files of a Hugging
// Face GPT-2 folder to import, and the zip of one to export. Each is checked here, before the
// worker reads it, so a wrong file gets a sentence that says what is wrong and how big it may be.
import { zip } from './zip.js';
import { refreshCopy } from './training.js';

/** @typedef {import('./core.js').Core} Core */

/** Largest model file `load` reads (the small preset's checkpoint is about 11 MB). */
export const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** Largest Hugging Face folder `importHf` reads: GPT-2 small (124M parameters, 548 MB in f32)
 *  fits, with room for its copies in a tab's 4 GiB of WebAssembly memory. */
export const MAX_HF_BYTES = 1024 * 1024 * 1024;
/** The files of a Hugging Face GPT-2 folder that `importHf` reads. */
export const HF_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt'];

/** @typedef {ArrayBuffer | ArrayBufferView | Blob} Bytes */

/** A copy of `bytes` as an ArrayBuffer (it is transferred to the worker; the caller's stays usable). @param {Bytes} bytes */
async function copyOf(bytes) {
  if (bytes instanceof Blob) return bytes.arrayBuffer();
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice().buffer;
  return bytes.slice(0);
}

const sizeOf = (/** @type {any} */ b) => b?.size ?? b?.byteLength ?? 0;

/** A checkpoint's bytes, checked for size before they are read (a huge file would be read for nothing). @param {Bytes} bytes */
export async function readCheckpoint(bytes) {
  const size = sizeOf(bytes);
  if (size > MAX_CHECKPOINT_BYTES) {
    throw new Error(`the file is ${(size / 1e6).toFixed(1)} MB; the playground loads model files up to ${MAX_CHECKPOINT_BYTES / (1024 * 1024)} MB`);
  }
  if (size === 0) throw new Error('the file is empty');
  return copyOf(bytes);
}

/** A file's name without its folders. @param {{name: string}} f */
const baseName = (f) => /** @type {string} */ (f.name.split(/[\\/]/).pop());

/** How a choice of files is named in messages: the file's name, or "N files". @param {{name: string}[]} files */
export const filesLabel = (files) => (files.length === 1 ? baseName(files[0]) : `${files.length} files`);

/**
 * The files of a Hugging Face GPT-2 folder that the worker reads, as `{name, bytes}` (names
 * without folders), from a folder's files or a multiple file choice.
 * @param {Iterable<File | {name: string, bytes: ArrayBuffer | ArrayBufferView}>} files
 */
export async function readHfFolder(files) {
  const list = [...files];
  const wanted = list.filter((f) => HF_FILES.includes(baseName(f)));
  if (!wanted.some((f) => baseName(f) === 'config.json')) {
    throw new Error(`there is no config.json among ${list.map(baseName).join(', ') || 'them'}: choose the folder's config.json, model.safetensors and tokenizer files together`);
  }
  const size = wanted.reduce((n, f) => n + sizeOf(f instanceof Blob ? f : f.bytes), 0);
  if (size > MAX_HF_BYTES) {
    throw new Error(`the files are ${(size / 1e6).toFixed(0)} MB; the playground reads Hugging Face folders up to ${MAX_HF_BYTES / 1024 ** 3} GiB (GPT-2 small is 0.55 GB)`);
  }
  return Promise.all(wanted.map(async (f) => ({ name: baseName(f), bytes: await copyOf(f instanceof Blob ? f : f.bytes) })));
}

/** The stem of a model's file names: `gpt-PRESET-stepN`. @param {{preset: string, step: number}} info */
export const modelName = (info) => `gpt-${info.preset}-step${info.step}`;

/** A Hugging Face folder's files (from the worker's `exportHf`) as one zip: `{bytes, filename, files}`. @param {{name: string, bytes: Uint8Array}[]} files @param {{preset: string, step: number}} info */
export function hfZip(files, info) {
  const folder = modelName(info);
  const bytes = zip(files.map((f) => ({ name: `${folder}/${f.name}`, bytes: f.bytes })));
  return { bytes, filename: `${folder}-transformers.zip`, files: files.map((f) => f.name) };
}

/** Replaces the model with the session a `load`-like request (`type`, `fields`) builds in the
 *  worker, trainable on the current corpus when its tokenizer can encode it.
 *  @param {Core} core @param {string} type @param {Record<string, any>} fields @param {Transferable[]} transfer @param {import('./core.js').ModelOrigin} origin */
export async function loadInto(core, type, fields, transfer, origin) {
  core.state.to('build'); // refused while a run is in progress (loadFailed says why)
  try {
    const options = { device: core.device.device, corpus: core.text, preset: core.settings.preset };
    const info = await core.call(type, { ...fields, options }, null, transfer);
    core.adopt(info, { ...core.build(), preset: info.preset }, origin);
    await refreshCopy(core);
    core.state.to('settle');
    core.emit('trained', info);
    return info;
  } catch (err) {
    if (core.state.may('unbuilt')) core.state.to('unbuilt');
    throw err;
  }
}

/** Says why a load failed (the current model is kept) and returns the error to throw. @param {Core} core @param {string} what @param {Error} err */
export function loadFailed(core, what, err) {
  const message = `${what}: ${err.message}. The current model is kept.`;
  core.error(message, { action: 'load' });
  if (!core.state.busy) core.state.to('fail');
  return new Error(message);
}
