// @ts-check
// Mounting a view (a setup card or an explainer panel, panels/index.js) of one playground: its
// card, heading, status line and error box, its stylesheets when it lives in a shadow root, and
// the `ctx` it is given (panels/README.md). A panel's own worker sessions are named per mount and
// dropped when it is destroyed.
import { ModelWorker } from './client.js';
import { errorBox } from './alerts.js';
import { loadCorpus } from './corpora.js';
import { findView, stylesheets } from '../panels/index.js';

let mounts = 0; // numbers panel mounts, so each one's worker sessions get their own names

/**
 * @typedef {object} PanelHandle A mounted view.
 * @property {string} name
 * @property {HTMLElement} root Its card (`root.dataset.state`, `root.panelData`).
 * @property {Promise<void>} ready Resolves when it has drawn what it can.
 * @property {() => void} destroy Removes it, ends its listeners and drops its sessions.
 */

/**
 * @typedef {object} MountHost What mounting needs of the playground (playground.js gives it).
 * @property {EventTarget & {ready: Promise<unknown>}} playground
 * @property {() => boolean} destroyed
 * @property {(type: string, fields: any, onEvent?: any, transfer?: Transferable[]) => Promise<any>} route A panel's request (playground.js routes it).
 * @property {(session: string) => void} drop Frees a session of the reader's worker.
 * @property {(message: string, extra?: object) => void} error An `error` event.
 * @property {() => Record<string, any>} settings The build settings now, with the corpus text.
 * @property {() => string} corpusId Names the corpus text now, for requests that can refer to it.
 * @property {Set<PanelHandle>} mounted The playground's mounted views.
 */

/**
 * Shows view `name` in `element` (in its shadow root with its own styles when `shadow`; otherwise
 * the caller links `stylesheets(name)`). Returns its handle.
 * @param {MountHost} host @param {HTMLElement} element @param {string} name
 * @param {{shadow?: boolean, heading?: boolean, number?: number | null, hide?: Iterable<string>}} [options]
 * @returns {PanelHandle}
 */
export function mountView(host, element, name, { shadow = true, heading = true, number = null, hide = [] } = {}) {
  if (host.destroyed()) throw new Error('this playground has been destroyed');
  const view = findView(name);
  const abort = new AbortController();
  const id = ++mounts;
  const container = shadow ? (element.shadowRoot ?? element.attachShadow({ mode: 'open' })) : element;
  const links = shadow ? stylesheets(name).map((href) => Object.assign(document.createElement('link'), { rel: 'stylesheet', href })) : [];
  const root = document.createElement('section');
  root.className = `gpt-root card${view.wide ? ' wide' : ''}${view.setup ? '' : ' panel'}`;
  root.dataset[view.setup ? 'card' : 'panel'] = name;
  root.dataset.state = 'empty';
  const title = document.createElement('h2');
  title.className = 'gpt-title';
  title.id = `gpt-${name}-${id}-title`;
  if (number !== null) title.append(Object.assign(document.createElement('span'), { className: 'num', textContent: String(number) }), ' ');
  title.append(view.title);
  title.hidden = !heading;
  root.setAttribute('aria-labelledby', title.id);
  const status = Object.assign(document.createElement('p'), { className: 'panel-status', hidden: true });
  status.setAttribute('role', 'status');
  // The panel's own errors (ctx.showError) stay in the panel.
  const alert = errorBox(host.playground, { signal: abort.signal, accept: (d) => d.root === root, className: 'gpt-error panel-error', role: 'panel-error', panel: true });
  root.append(title, status, alert);
  if (shadow) container.replaceChildren(...links, root);
  else container.append(root);

  /** @type {Set<string>} */
  const sessions = new Set();
  const ctx = panelContext(host, name, root, abort.signal, id, sessions, new Set(hide));
  /** @type {{destroy?: () => void} | null} */
  let extra = null;
  const loaded = links.map((l) => new Promise((ok) => { l.onload = ok; l.onerror = ok; }));
  const ready = (async () => {
    await Promise.all(loaded);
    await host.playground.ready.catch(() => {});
    if (abort.signal.aborted) return;
    try {
      const module = await view.load();
      if (abort.signal.aborted) return;
      extra = (await module.mount(root, ctx)) ?? null;
    } catch (err) {
      root.dataset.state = 'error';
      status.hidden = false;
      status.textContent = `This panel failed to load: ${/** @type {Error} */ (err).message}`;
    }
  })();
  /** @type {PanelHandle} */
  const handle = {
    name,
    root,
    ready,
    destroy: () => {
      if (abort.signal.aborted) return;
      abort.abort();
      extra?.destroy?.();
      for (const session of sessions) host.drop(session);
      if (shadow) container.replaceChildren();
      else root.remove();
      host.mounted.delete(handle);
    },
  };
  host.mounted.add(handle);
  return handle;
}

/** What a panel may use: the `ctx` of `mount(root, ctx)` (panels/README.md).
 *  @typedef {ReturnType<typeof panelContext>} PanelContext */

/**
 * What a panel may use (panels/README.md).
 * @param {MountHost} host @param {string} name @param {HTMLElement} root @param {AbortSignal} signal
 * @param {number} id @param {Set<string>} sessions @param {Set<string>} hide
 */
function panelContext(host, name, root, signal, id, sessions, hide) {
  const pg = /** @type {any} */ (host.playground);
  // A panel's own worker sessions (ablations, a fine-tuned copy) get this mount's suffix, so two
  // mounts of one panel never share them; they are dropped when the panel is destroyed.
  const own = (/** @type {string | undefined} */ session) => (session && session !== 'main' ? `${session}@${id}` : session);
  return {
    playground: pg,
    name,
    signal,
    hide,
    /** @param {string} type @param {Record<string, any>} [fields] @param {(ev: any) => void} [onEvent] @param {Transferable[]} [transfer] */
    call(type, fields = {}, onEvent, transfer) {
      const f = { ...fields };
      if ('session' in f) f.session = own(f.session);
      if (type === 'fork' && f.from) f.from = own(f.from);
      if (['init', 'fork', 'load', 'importHf'].includes(type) && f.session && f.session !== 'main') sessions.add(f.session);
      if (type === 'drop') sessions.delete(f.session);
      return host.route(type, f, onEvent, transfer);
    },
    get info() { return pg.info; },
    get corpus() { return pg.text; },
    // Names this exact corpus text for requests that can refer to it instead of sending it.
    get corpusId() { return host.corpusId(); },
    get corpusKey() { return pg.settings.corpus; },
    get prompt() { return pg.prompt; },
    get training() { return pg.training; },
    get pretrained() { return pg.pretrained; },
    get origin() { return pg.origin; },
    settings: () => host.settings(),
    /** @param {object} [extra] @returns {import('../pkg/cpu/gpt_wasm.js').SessionOptions} */
    sessionOptions: (extra) => pg.sessionOptions(extra),
    ensureModel: () => pg.ensureModel(),
    loadCorpus,
    showError: (/** @type {string} */ message) => host.error(message, { panel: name, root }),
    events: {
      /** @param {string} type @param {EventListener} fn @param {AddEventListenerOptions | boolean} [options] */
      addEventListener: (type, fn, options) => pg.addEventListener(type, fn, { ...(typeof options === 'object' ? options : {}), signal }),
      /** @param {string} type @param {EventListener} fn */
      removeEventListener: (type, fn) => pg.removeEventListener(type, fn),
    },
  };
}

/**
 * The panels' requests: about the reader's model (or none) to the primary worker; about a model of
 * a panel's own (an ablation, the fine-tuned copy) to the panels' worker, created when first
 * needed, so their training never takes turns with the reader's. A fork of the reader's model
 * crosses over as a file.
 */
export class PanelRequests {
  /** @type {ModelWorker | null} */
  worker = null;
  #core;

  /** @param {import('./core.js').Core} core */
  constructor(core) {
    this.#core = core;
  }

  /** @param {string} type @param {Record<string, any>} fields @param {any} [onEvent] @param {Transferable[]} [transfer] */
  async route(type, fields, onEvent, transfer) {
    const core = this.#core;
    const own = fields.session !== undefined && fields.session !== 'main';
    if (!own) return core.call(type, fields, onEvent, transfer);
    if (core.destroyed) throw new Error('this playground has been destroyed');
    const heartbeat = core.config.heartbeat;
    const panel = this.worker ??= new ModelWorker(() => {
      // A crash in the panels' worker loses their models only; the next request starts another.
      this.terminate('the panels\' worker crashed');
    }, heartbeat ? { heartbeat } : {});
    if (type === 'fork' && (fields.from ?? 'main') === 'main') {
      const { bytes } = await core.call('save');
      const copy = bytes.buffer;
      return panel.call('load', { session: fields.session, bytes: copy, options: { device: core.device.device } }, null, [copy]);
    }
    return panel.call(type, fields, onEvent, transfer);
  }

  /** Ends the panels' worker (their models go with it). @param {string} why */
  terminate(why) {
    this.worker?.terminate(why);
    this.worker = null;
  }
}
