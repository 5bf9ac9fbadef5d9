// @ts-check
// The full page (index.html): every setup card and explainer panel around one Playground
// (lib/playground.js). It is one user of the playground's public API, like <gpt-playground>,
// embed.html and an author's own page; what only this page does is page-level: the status on
// <body> for automation, the settings in the address bar, the numbered cards.
import { Playground, autotrain } from './lib/playground.js';
import { errorBox } from './lib/alerts.js';
import { readState, stateToParams } from './lib/state.js';
import { PANELS, choosePanels, stylesheets } from './panels/index.js';

/** @typedef {import('./types/playground.js').PlaygroundEventMap} EventMap */
// URLSearchParams as browsers have it: iterable (the type check's lib leaves out dom.iterable).
/** @typedef {URLSearchParams & Iterable<[string, string]> & {keys(): Iterable<string>}} Params */

const params = /** @type {Params} */ (new URLSearchParams(location.search));
const { state } = readState((k) => params.get(k));
// Settings problems in the URL (an unknown preset, say) come back as `error` events.
// The reader's run is kept in this browser (IndexedDB), so a reload can resume it.
// The first value of each parameter, as URLSearchParams.get (and readState above) read it.
const first = Object.fromEntries([...new Set(params.keys())].map((k) => [k, params.get(k)]));
const pg = new Playground({ ...first, autosave: 'main' });
const main = /** @type {HTMLElement & {playground?: Playground}} */ (document.querySelector('main')); // index.html has one
// For automation and tests: the page's Playground, on its <main> (a property, not a global).
main.playground = pg;

// Automation contract (README): body[data-status], body[data-ready], [data-role=error].
pg.addEventListener('status', (e) => { document.body.dataset.status = /** @type {EventMap['status']} */ (e).detail.status; });
// The playground's own errors; a panel shows its own.
/** @type {HTMLElement} */ (document.querySelector('footer')).before(errorBox(pg, { className: 'gpt-root gpt-error page-error', accept: (d) => !d.panel }));

/** The settings in the address bar, so a reload or a shared link gives the same playground. */
function syncUrl() {
  // The page's own parameters (panels, *_hide) stay; the settings are written as the state
  // module serialises them (defaults left out), and a shared link does not train on its own.
  const p = new URLSearchParams(location.search);
  for (const key of [...Object.keys(pg.settings), 'autotrain', 'v']) p.delete(key);
  for (const [key, value] of /** @type {Params} */ (stateToParams({ ...pg.settings, hide: [] }))) p.set(key, value);
  history.replaceState(null, '', `${location.pathname}?${p}`);
}
pg.addEventListener('settings', syncUrl);
pg.addEventListener('status', (e) => { if (/** @type {EventMap['status']} */ (e).detail.status === 'training') syncUrl(); });

const loaded = (/** @type {string} */ href) => /** @type {Promise<void>} */ (new Promise((resolve) => {
  if (document.querySelector(`link[rel=stylesheet][href="${href}"]`)) return resolve();
  const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
  link.onload = /** @type {() => void} */ (resolve);
  link.onerror = /** @type {() => void} */ (resolve);
  document.head.append(link);
}));

async function start() {
  const { chosen, unknown, setup } = choosePanels(state.panels);
  // A page of a few panels keeps only the Train card (plus the setup cards it names); the others
  // are there but hidden, so their figures (the model line, say) can still be read.
  const shown = (/** @type {string} */ card) => !state.hide.includes(card) && (state.panels === null || card === 'train' || setup.includes(card));
  const views = ['data', 'model', 'train', ...chosen.map((p) => p.name)];
  await Promise.all(views.flatMap(stylesheets).map(loaded));
  try {
    await pg.ready;
  } catch {
    return; // the error (the WebAssembly module did not load) is shown
  }
  let number = 0;
  const mounted = views.map((name) => {
    const visible = !['data', 'model', 'train'].includes(name) || shown(name);
    const m = pg.mountPanel(main, name, { shadow: false, number: visible ? ++number : null, hide: state.hide });
    m.root.hidden = !visible;
    return m;
  });
  await Promise.all(mounted.map((m) => m.ready));
  if (unknown.length) {
    pg.reportError(`Unknown panel${unknown.length > 1 ? 's' : ''} "${unknown.join('", "')}" in the URL; the panels are: ${PANELS.map((p) => p.name).join(', ')}.`);
  }
  document.body.dataset.ready = '1';
  if (state.autotrain) autotrain(pg);
}

start();
