// The playground's settings as one plain, URL-serialisable object (as TensorFlow Playground's
// state): the same names are URL parameters of index.html and embed.html and attributes of
// <gpt-playground>. Version 1 of this format is marked `v=1` in embed URLs.
import { CORPORA } from './corpora.js';

/** Version of the URL format below; an embed URL carries it as `v=1`. */
export const STATE_VERSION = 1;
export const PRESETS = ['tiny', 'baby', 'small'];
export const TOKENIZERS = ['char', 'bpe'];
export const DEVICES = ['auto', 'cpu', 'webgpu'];
/** Most training steps one press of Train may ask for. */
export const MAX_STEPS = 100_000;
/** Most workers one playground trains with (data-parallel, CPU). */
export const MAX_WORKERS = 16;
/** Parts of the page an embed can hide with `NAME_hide=1` (TensorFlow Playground's convention). */
export const HIDEABLE = ['data', 'model', 'train', 'chart', 'corpus', 'preset', 'tokenizer', 'device', 'workers', 'steps', 'save', 'title'];

/** The default state: the bundled first names, the tiny preset, 1500 steps, device chosen for you. */
export const DEFAULTS = Object.freeze({
  corpus: 'names',
  preset: 'tiny',
  tokenizer: 'char',
  steps: 1500,
  device: 'auto',
  workers: 'auto',
  autotrain: false,
  panels: null,
  hide: Object.freeze([]),
});

const list = (xs) => xs.map((x) => `"${x}"`).join(', ');

/** Checks one setting; returns the value to use or throws an Error that names the valid ones. */
export function checkSetting(key, raw) {
  switch (key) {
    case 'corpus':
      if (!(raw in CORPORA)) throw new Error(`unknown corpus "${raw}"; the corpora are ${list(Object.keys(CORPORA))}`);
      return raw;
    case 'preset':
      if (!PRESETS.includes(raw)) throw new Error(`unknown preset "${raw}"; the presets are ${list(PRESETS)}`);
      return raw;
    case 'tokenizer':
      if (!TOKENIZERS.includes(raw)) throw new Error(`unknown tokenizer "${raw}"; the tokenizers are ${list(TOKENIZERS)}`);
      return raw;
    case 'device':
      if (!DEVICES.includes(raw)) throw new Error(`unknown device "${raw}"; the devices are ${list(DEVICES)}`);
      return raw;
    case 'workers': {
      if (raw === 'auto') return raw;
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim() === '' ? NaN : raw);
      if (!(Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS)) {
        throw new Error(`workers must be "auto" or a whole number from 1 to ${MAX_WORKERS}, not "${raw}"`);
      }
      return n;
    }
    case 'steps': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim() === '' ? NaN : raw);
      if (!(Number.isInteger(n) && n >= 1 && n <= MAX_STEPS)) {
        throw new Error(`training steps must be a whole number from 1 to ${MAX_STEPS.toLocaleString('en')}, not "${raw}"`);
      }
      return n;
    }
    default:
      throw new Error(`unknown setting "${key}"`);
  }
}

const SETTINGS = ['corpus', 'preset', 'tokenizer', 'steps', 'device', 'workers'];

/**
 * Reads a state from named string values: `get(name)` returns the URL parameter or attribute
 * `name`, or null when absent. Invalid values fall back to the default and are reported in
 * `problems` (sentences for the reader), so a mistyped link still opens a working playground.
 */
export function readState(get) {
  const state = { ...DEFAULTS, hide: [] };
  const problems = [];
  for (const key of SETTINGS) {
    const raw = get(key);
    if (raw === null || raw === undefined) continue;
    try {
      state[key] = checkSetting(key, raw);
    } catch (err) {
      problems.push(`${err.message} (using "${DEFAULTS[key]}")`);
    }
  }
  const autotrain = get('autotrain');
  state.autotrain = autotrain !== null && autotrain !== undefined && autotrain !== '0' && autotrain !== 'false';
  const panels = get('panels');
  state.panels = panels === null || panels === undefined ? null : panels;
  for (const part of HIDEABLE) {
    const flag = get(`${part}_hide`);
    if (flag !== null && flag !== undefined && flag !== '0' && flag !== 'false') state.hide.push(part);
  }
  const v = get('v');
  if (v !== null && v !== undefined && v !== String(STATE_VERSION)) {
    problems.push(`this link was made for version ${v} of the playground's URL format; this playground reads version ${STATE_VERSION}`);
  }
  return { state, problems };
}

/** A state as URL parameters (only what differs from the defaults, plus `v`). */
export function stateToParams(state, { version = true } = {}) {
  const p = new URLSearchParams();
  if (version) p.set('v', String(STATE_VERSION));
  for (const key of SETTINGS) if (state[key] !== undefined && state[key] !== DEFAULTS[key]) p.set(key, String(state[key]));
  if (state.panels) p.set('panels', state.panels);
  for (const part of state.hide ?? []) p.set(`${part}_hide`, '1');
  if (state.autotrain) p.set('autotrain', '1');
  return p;
}

/**
 * The origin of the page that embeds a frame, as far as the browser tells: `ancestorOrigins`
 * (location.ancestorOrigins: Chromium, WebKit and Firefox ESR 153 have it; older Firefox releases do not)
 * first, else the origin of `referrer` (document.referrer, which the default referrer policy
 * gives a cross-origin frame as the embedding page's origin); null when neither tells, or when
 * the frame is not embedded (`framed` false).
 */
export function embeddingOrigin({ framed, ancestorOrigins, referrer }) {
  if (!framed) return null;
  const ancestor = ancestorOrigins?.[0];
  if (ancestor && ancestor !== 'null') return ancestor;
  try {
    return referrer ? new URL(referrer).origin : null;
  } catch {
    return null;
  }
}

/**
 * Which origins may drive an embed (embed.html's `origins=`): the listed ones (comma-separated;
 * `*` for any) when given, otherwise the embedding page's own origin `parent`, or only `own`
 * (the embed's origin) when the parent's is unknown.
 */
export function allowedOrigins(param, parent, own) {
  if (param !== null && param !== undefined && param.trim() !== '') {
    return param.split(',').map((s) => s.trim()).filter(Boolean).map((o) => (o === '*' ? o : o.replace(/\/+$/, '')));
  }
  return [parent ?? own];
}
