// @ts-check
// embed.html: the playground as an iframe that talks (EMBEDDING.md), for authors who cannot add
// scripts to their page. No page chrome: only the Train card (unless hidden) and the named panels.
// The state comes from the URL (v=1: the same parameters as index.html, plus NAME_hide flags);
// the host page drives it and hears from it by postMessage:
//   out: {source: "gpt-playground", v: 1, type: "ready" | "status" | "progress" | "trained" |
//         "model" | "height" | "error" | "result", ...}
//   in:  {type: "train" | "pause" | "stop" | "reset" | "generate" | "set" | "state", requestId?, ...}
// Every message in is checked: it must come from the parent window, from an allowed origin.
import './elements.js';
import { ATTRIBUTES, STATE_VERSION, readState } from './state.js';
import { allowedOrigins, embeddingOrigin } from './origins.js';
import { choosePanels } from '../panels/index.js';

/** @typedef {import('../types/playground.js').PlaygroundEventMap} EventMap */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').SessionInfo} SessionInfo */
/**
 * @typedef {object} HostMessage A message in from the host page (checked by the playground).
 * @property {string} type
 * @property {unknown} [requestId]
 * @property {number | string} [steps]
 * @property {Record<string, unknown>} [settings]
 * @property {string} [prompt]
 * @property {number} [maxTokens]
 * @property {object} [sampling]
 */

const params = new URLSearchParams(location.search);
const { state } = readState((k) => params.get(k));
const SOURCE = 'gpt-playground';

const parent = embeddingOrigin({ framed: window.parent !== window, ancestorOrigins: location.ancestorOrigins, referrer: document.referrer });
const allowed = allowedOrigins(params.get('origins'), parent, location.origin);
const isAllowed = (/** @type {string} */ origin) => allowed.includes('*') || allowed.includes(origin);
// Messages out go to the embedding page's origin when the browser tells it (status and progress
// are no secret; `origins=` limits who may drive the embed, not who may watch it).
const target = parent ?? '*';
const frame = params.get('frame'); // the host's name for this iframe, echoed in every message

/** @param {string} type @param {Record<string, unknown>} [fields] */
function post(type, fields = {}) {
  if (window.parent === window) return;
  window.parent.postMessage({ source: SOURCE, v: STATE_VERSION, frame, type, ...fields }, target);
}

// Theme colours from the URL (an iframe cannot inherit the host's CSS custom properties).
const colour = (/** @type {string | null} */ v) => (v && /^#[0-9a-f]{3,8}$/i.test(v) ? v : null);

// ---------- the playground ----------
const el = /** @type {import('./elements.js').GptPlaygroundElement} */ (document.createElement('gpt-playground'));
// Every parameter the schema declares becomes the element's attribute of the same name, as given
// (the element reads and checks them, so a bad one is reported as on the page).
for (const key of ATTRIBUTES) if (params.has(key)) el.setAttribute(key, /** @type {string} */ (params.get(key)));
const { chosen, setup, unknown } = choosePanels(state.panels ?? '');
el.setAttribute('panels', chosen.map((p) => p.name).join(','));
// An embed shows the Train card and its panels; the data and model cards only when named. Panels
// that need no trained model (the tokenizer, the scale chart) come without the Train card too.
const hide = new Set(state.hide);
for (const card of ['data', 'model']) if (!setup.includes(card)) hide.add(card);
const modelFree = new Set(['tokenizer', 'scale']);
if (chosen.length && chosen.every((p) => modelFree.has(p.name)) && !setup.includes('train')) hide.add('train');
for (const part of hide) el.setAttribute(`${part}_hide`, '');
for (const [param, prop] of [['accent', '--gpt-accent'], ['background', '--gpt-background']]) {
  if (colour(params.get(param))) el.style.setProperty(prop, params.get(param));
}
document.body.append(el);
const pg = /** @type {import('./playground.js').Playground} */ (el.playground); // connected just above: it has one

const summary = (/** @type {SessionInfo | null} */ info) => info && { preset: info.preset, step: info.step, paramCount: info.paramCount, vocabSize: info.vocabSize, device: info.device };

pg.addEventListener('status', (e) => post('status', { status: /** @type {EventMap['status']} */ (e).detail.status }));
pg.addEventListener('error', (e) => post('error', { message: /** @type {EventMap['error']} */ (e).detail.message, panel: /** @type {EventMap['error']} */ (e).detail.panel ?? null }));
pg.addEventListener('model', (e) => post('model', { model: summary(/** @type {EventMap['model']} */ (e).detail) }));
pg.addEventListener('trained', () => post('trained', { step: pg.info?.step ?? 0, reason: pg.run.reason, loss: pg.stats.loss, valLoss: pg.stats.valLoss }));
// Progress at most ~5 times a second: enough for a host's own display.
let lastProgress = 0;
pg.addEventListener('progress', /** @type {EventListener} */ ((/** @type {EventMap['progress']} */ e) => {
  const now = performance.now();
  if (now - lastProgress < 200 && e.detail.step < e.detail.target) return;
  lastProgress = now;
  post('progress', { step: e.detail.step, target: e.detail.target, loss: e.detail.loss, tokensPerSecond: e.detail.tokensPerSecond });
}));

// ---------- height, for auto-resize ----------
let lastHeight = 0;
const reportHeight = () => {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height !== lastHeight) {
    lastHeight = height;
    post('height', { height });
  }
};
new ResizeObserver(reportHeight).observe(document.documentElement);

// ---------- messages in ----------
/** @type {Record<string, (m: HostMessage) => unknown>} */
const commands = {
  train: (m) => pg.train(m.steps === undefined ? {} : { steps: m.steps }),
  pause: () => pg.pause(),
  stop: () => pg.stop(),
  reset: () => pg.reset(),
  set: (m) => pg.set(m.settings ?? {}),
  generate: (m) => pg.generate({ prompt: m.prompt, maxTokens: m.maxTokens ?? 100, sampling: m.sampling ?? {} }),
  state: () => ({ settings: pg.settings, status: pg.status, model: summary(pg.info), stats: pg.stats }),
};

window.addEventListener('message', async (event) => {
  if (event.source !== window.parent || window.parent === window) return;
  if (!isAllowed(event.origin)) return; // not an origin allowed to drive this embed: ignored
  const m = event.data;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
  const reply = (/** @type {Record<string, unknown>} */ fields) => post('result', { requestId: m.requestId ?? null, command: m.type, ...fields });
  // Own keys only: `constructor` or `toString` are not commands.
  const command = Object.hasOwn(commands, m.type) ? commands[/** @type {keyof typeof commands} */ (m.type)] : undefined;
  if (!command) {
    reply({ ok: false, error: `unknown message type "${m.type}"; the types are ${Object.keys(commands).join(', ')}` });
    return;
  }
  try {
    reply({ ok: true, value: (await command(m)) ?? null });
  } catch (err) {
    reply({ ok: false, error: /** @type {Error} */ (err).message });
  }
});

el.ready.then(() => {
  // Bad settings were reported by the playground itself; a link from a future format is ours to flag.
  if (params.has('v') && params.get('v') !== String(STATE_VERSION)) {
    pg.reportError(`This link was made for version ${params.get('v')} of the embed URL format; this playground reads version ${STATE_VERSION}.`);
  }
  if (unknown.length) pg.reportError(`Unknown panel${unknown.length > 1 ? 's' : ''} "${unknown.join('", "')}" in the URL.`);
  document.body.dataset.ready = '1';
  post('ready', { settings: pg.settings, panels: chosen.map((p) => p.name), allowedOrigins: allowed });
  reportHeight();
});
