// @ts-check
// The playground's state as one plain, URL-serialisable object (as TensorFlow Playground's
// state.ts), declared once in SCHEMA below: every setting and view option, its valid values, its
// default, and its name (the same name is a URL parameter of index.html and embed.html, an
// attribute of <gpt-playground> and, camel-cased, a property of that element). URL parsing,
// attributes, embed.html, the page's address bar, validation messages and the model card's
// choices all derive from it. Version 1 of this format is marked `v=1` in embed URLs.
import { CORPORA } from './corpora.js';

/** Version of the URL format below; an embed URL carries it as `v=1`. */
export const STATE_VERSION = 1;
/** Most training steps one press of Train may ask for. */
export const MAX_STEPS = 100_000;
/** Most workers one playground trains with (data-parallel, CPU). */
export const MAX_WORKERS = 16;
/** Parts of the page an embed can hide with `NAME_hide=1` (TensorFlow Playground's convention). */
export const HIDEABLE = /** @type {const} */ (['data', 'model', 'train', 'chart', 'corpus', 'preset', 'tokenizer', 'device', 'workers', 'steps', 'save', 'title']);

/**
 * @typedef {object} Setting One entry of SCHEMA.
 * @property {string} name URL parameter and attribute name.
 * @property {'choice' | 'count' | 'flag' | 'list'} kind A choice among `values`; a whole number
 *   from `min` to `max` (or one of `values`); a flag (present and not `0`/`false`); a
 *   comma-separated list.
 * @property {string | number | boolean | null} default The value when absent.
 * @property {boolean} run Part of the run's settings (`Playground.settings`, `set()`); the others
 *   are view options: what an element or page shows.
 * @property {string} noun How a message names the setting (`the presets are …`).
 * @property {readonly (string | number)[]} [values] The valid choices (for a count: the words
 *   allowed besides numbers, like `auto`).
 * @property {readonly (readonly [string, string])[]} [labels] What the model card offers: `[value, label]`.
 * @property {number} [min]
 * @property {number} [max]
 */

/** A choice's values and their labels, from `[value, label]` pairs in the order they are shown. */
const choices = (/** @type {(readonly [string, string])[]} */ pairs) => ({ values: Object.freeze(pairs.map(([v]) => v)), labels: Object.freeze(pairs) });

/** Every setting and view option, once. @type {readonly Setting[]} */
export const SCHEMA = Object.freeze(/** @type {Setting[]} */ ([
  { name: 'corpus', kind: 'choice', run: true, default: 'names', noun: 'corpora', ...choices(Object.entries(CORPORA).map(([k, c]) => [k, c.label])) },
  {
    name: 'preset', kind: 'choice', run: true, default: 'tiny', noun: 'presets',
    ...choices([['tiny', 'tiny (2 layers, 32 wide)'], ['baby', 'baby (4 layers, 128 wide)'], ['small', 'small (6 layers, 192 wide)']]),
  },
  { name: 'tokenizer', kind: 'choice', run: true, default: 'char', noun: 'tokenizers', ...choices([['char', 'characters'], ['bpe', 'byte-level BPE, 512 tokens']]) },
  { name: 'steps', kind: 'count', run: true, default: 1500, noun: 'training steps', min: 1, max: MAX_STEPS, values: [] },
  { name: 'device', kind: 'choice', run: true, default: 'auto', noun: 'devices', ...choices([['auto', 'automatic'], ['cpu', 'CPU'], ['webgpu', 'WebGPU']]) },
  {
    name: 'workers', kind: 'count', run: true, default: 'auto', noun: 'workers', min: 1, max: MAX_WORKERS, values: ['auto'],
    // The model card's choices (any count up to MAX_WORKERS is valid).
    labels: Object.freeze([['auto', 'automatic'], ...['1', '2', '3', '4', '6', '8'].map((n) => /** @type {const} */ ([n, n]))]),
  },
  { name: 'autotrain', kind: 'flag', run: false, default: false, noun: 'autotrain' },
  { name: 'panels', kind: 'list', run: false, default: null, noun: 'panels' },
  { name: 'layout', kind: 'choice', run: false, default: 'cards', noun: 'layouts', ...choices([['cards', 'the setup cards'], ['bar', 'a compact training bar']]) },
  ...HIDEABLE.map((part) => ({ name: `${part}_hide`, kind: 'flag', run: false, default: false, noun: `${part}_hide` })),
]).map((s) => Object.freeze(s)));

/** The run's settings by name, in order: corpus, preset, tokenizer, steps, device, workers. */
export const SETTINGS = SCHEMA.filter((s) => s.run).map((s) => s.name);
/** Every attribute of <gpt-playground> the schema declares (settings and view options). */
export const ATTRIBUTES = SCHEMA.map((s) => s.name);
const byName = new Map(SCHEMA.map((s) => [s.name, s]));

/**
 * The schema entry called `name`, or an Error naming the settings.
 * @param {string} name
 */
export function setting(name) {
  const s = byName.get(name);
  if (!s) throw new Error(`unknown setting "${name}"; the settings are ${SETTINGS.join(', ')}`);
  return s;
}

/** The values of setting `name` as the model card offers them: `[[value, label]]`. */
export const choicesOf = (/** @type {string} */ name) => setting(name).labels ?? [];

/** The default state: the bundled first names, the tiny preset, 1500 steps, device chosen for you. */
export const DEFAULTS = Object.freeze({
  ...Object.fromEntries(SCHEMA.filter((s) => !s.name.endsWith('_hide')).map((s) => [s.name, s.default])),
  hide: Object.freeze([]),
});

const quoted = (/** @type {readonly (string | number)[]} */ xs) => xs.map((x) => `"${x}"`).join(', ');
const isOn = (/** @type {unknown} */ raw) => raw !== null && raw !== undefined && raw !== false && raw !== '0' && raw !== 'false';

/**
 * Checks one value of setting `key` (a string as in a URL, or the value itself); returns the value
 * to use or throws an Error that names the valid ones.
 * @param {string} key
 * @param {unknown} raw
 * @returns {string | number | boolean | null}
 */
export function checkSetting(key, raw) {
  const s = setting(key);
  switch (s.kind) {
    case 'choice':
      if (!s.values?.includes(/** @type {string | number} */ (raw))) throw new Error(`unknown ${s.name} "${raw}"; the ${s.noun} are ${quoted(s.values ?? [])}`);
      return /** @type {string | number} */ (raw);
    case 'count': {
      if (s.values?.includes(/** @type {string | number} */ (raw))) return /** @type {string | number} */ (raw);
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim() === '' ? NaN : raw);
      const min = s.min ?? 1;
      const max = s.max ?? Infinity;
      if (!(Number.isInteger(n) && n >= min && n <= max)) {
        const words = s.values?.length ? `${quoted(s.values)} or ` : '';
        throw new Error(`${s.noun} must be ${words}a whole number from ${min} to ${max.toLocaleString('en')}, not "${raw}"`);
      }
      return n;
    }
    case 'flag':
      return isOn(raw);
    default:
      return raw === null || raw === undefined ? null : String(raw);
  }
}

/**
 * @typedef {object} State What a URL or an element's attributes say.
 * @property {string} corpus
 * @property {string} preset
 * @property {string} tokenizer
 * @property {number} steps
 * @property {string} device
 * @property {number | 'auto'} workers
 * @property {boolean} autotrain
 * @property {string | null} panels
 * @property {string} layout
 * @property {string[]} hide The parts hidden (`NAME_hide`).
 */

/**
 * Reads a state from named string values: `get(name)` returns the URL parameter or attribute
 * `name`, or null when absent. Invalid values fall back to the default and are reported in
 * `problems` (sentences for the reader), so a mistyped link still opens a working playground.
 * @param {(name: string) => string | null | undefined} get
 * @returns {{state: State, problems: string[]}}
 */
export function readState(get) {
  /** @type {Record<string, any>} */
  const state = { ...DEFAULTS, hide: [] };
  const problems = [];
  for (const s of SCHEMA) {
    const raw = get(s.name);
    if (raw === null || raw === undefined) continue;
    try {
      const value = checkSetting(s.name, raw);
      if (s.name.endsWith('_hide')) {
        if (value) state.hide.push(s.name.slice(0, -'_hide'.length));
      } else {
        state[s.name] = value;
      }
    } catch (err) {
      problems.push(`${/** @type {Error} */ (err).message} (using "${s.default}")`);
    }
  }
  const v = get('v');
  if (v !== null && v !== undefined && v !== String(STATE_VERSION)) {
    problems.push(`this link was made for version ${v} of the playground's URL format; this playground reads version ${STATE_VERSION}`);
  }
  return { state: /** @type {State} */ (state), problems };
}

/**
 * A state as named string values (only what differs from the defaults): what a URL or an
 * element's attributes hold for it. Flags are `1` when on.
 * @param {Partial<State>} state
 * @returns {[string, string][]}
 */
export function stateEntries(state) {
  /** @type {[string, string][]} */
  const out = [];
  const hide = new Set(state.hide ?? []);
  for (const s of SCHEMA) {
    const value = s.name.endsWith('_hide') ? hide.has(s.name.slice(0, -'_hide'.length)) : /** @type {Record<string, unknown>} */ (state)[s.name];
    if (value === undefined || value === null || value === s.default) continue;
    out.push([s.name, s.kind === 'flag' ? (value ? '1' : '0') : String(value)]);
  }
  return out;
}

/**
 * A state as URL parameters (only what differs from the defaults, plus `v`).
 * @param {Partial<State>} state
 * @param {{version?: boolean}} [options]
 */
export function stateToParams(state, { version = true } = {}) {
  const p = new URLSearchParams();
  if (version) p.set('v', String(STATE_VERSION));
  for (const [key, value] of stateEntries(state)) p.set(key, value);
  return p;
}
