// @ts-check
// Custom elements for authors who can add a script tag (EMBEDDING.md):
//   <gpt-playground id="gpt" corpus="moby" steps="600"></gpt-playground>  the reader's model, with
//       the data / model / train cards (each optional) or a compact training bar;
//   <gpt-panel name="attention" playground="gpt"></gpt-panel>  one panel of that model, anywhere.
// Panels scattered through an article share one model (and its workers); two playgrounds on one
// page are independent. Everything renders in shadow roots, so the host's CSS and ours never meet; the
// --gpt-* custom properties theme it. Importing this module defines the two elements and nothing else.
import { Playground, autotrain } from './playground.js';
import { errorBox } from './alerts.js';
import { ATTRIBUTES, SCHEMA, SETTINGS, readState, setting } from './state.js';
import { choosePanels, findView, stylesheets } from '../panels/index.js';

/** @typedef {import('./mount.js').PanelHandle} PanelHandle */
/** @typedef {{el?: GptPlaygroundElement, wait?: string, error?: string}} Found The playground a panel belongs to, or why there is none. */

// The playground elements on the page, the panels attached to each, and panels waiting for one to appear.
/** @type {Set<GptPlaygroundElement>} */
const playgrounds = new Set();
/** @type {WeakMap<HTMLElement, Set<GptPanelElement>>} */
const attached = new WeakMap();
/** @type {Set<GptPanelElement>} */
const waiting = new Set();
// A <gpt-panel>'s attach and detach, for the playground element (private methods of that class).
/** @type {(panel: GptPanelElement) => void} */
let attachPanel;
/** @type {(panel: GptPanelElement) => void} */
let detachPanel;

const link = (/** @type {string} */ href) => {
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = href;
  return l;
};
const whenLoaded = (/** @type {HTMLLinkElement[]} */ links) => Promise.all(links.map((l) => new Promise((ok) => { l.onload = ok; l.onerror = ok; })));
/** `chart_hide` -> `chartHide`: an attribute's property name. */
const camel = (/** @type {string} */ name) => name.replace(/_([a-z])/g, (_, /** @type {string} */ c) => c.toUpperCase());

/**
 * `<gpt-playground>`: one reader's model. Its attributes are the URL parameters (lib/state.js
 * declares them); every one is observed, applied when it changes or is removed (a removed setting
 * goes back to its default) and reflected as a property (`el.preset = 'baby'`, `el.chartHide =
 * true`), as authors expect of custom elements.
 */
export class GptPlaygroundElement extends HTMLElement {
  static observedAttributes = [...ATTRIBUTES, 'autosave'];

  /** @type {Playground | null} */
  #pg = null;
  /** @type {AbortController | null} */
  #abort = null;
  /** @type {HTMLDivElement | null} */
  #layout = null; // the grid the cards and panels are mounted in
  /** @type {HTMLElement | null} */
  #errors = null; // the playground's own errors, after the views
  /** @type {Map<string, PanelHandle>} */
  #mounts = new Map(); // view key (name and what it was mounted with) -> its handle
  /** @type {Promise<void> | null} */
  #rendering = null; // the render in progress
  #renderAgain = false; // attributes changed during it

  /** The Playground (lib/playground.js) behind this element; null while not connected. */
  get playground() { return this.#pg; }

  /** Resolves when the cards are drawn and the model code is loaded. */
  get ready() { return this.#ready ?? Promise.resolve(); }
  /** @type {Promise<void> | null} */
  #ready = null;

  /** The state the attributes say now (invalid values as their defaults) and the problems. */
  #state() {
    return readState((name) => this.getAttribute(name));
  }

  connectedCallback() {
    if (this.#pg) return; // moved within the page: keep the model
    // Every attribute goes to the Playground, which reads them as a URL (and reports invalid ones).
    const options = Object.fromEntries(ATTRIBUTES.filter((k) => this.hasAttribute(k)).map((k) => [k, this.getAttribute(k)]));
    const autosave = this.#autosaveKey();
    if (autosave) options.autosave = autosave;
    this.#pg = new Playground(options);
    this.#abort = new AbortController();
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    this.#layout = document.createElement('div');
    this.#layout.className = 'gpt-theme gpt-layout';
    this.#layout.part = 'layout';
    this.#errors = errorBox(this.#pg, { signal: this.#abort.signal, accept: (d) => !d.panel });
    const base = link(stylesheets('train')[0]);
    shadow.replaceChildren(base, this.#layout);
    this.#layout.append(this.#errors, document.createElement('slot'));
    playgrounds.add(this);
    const pg = this.#pg;
    this.#ready = (async () => {
      await whenLoaded([base]);
      await this.#render();
      if (this.#pg !== pg) return;
      for (const panel of [...waiting]) attachPanel(panel);
      if (this.#state().state.autotrain) this.#autotrain();
    })();
    for (const panel of [...waiting]) attachPanel(panel);
  }

  #autosaveKey() {
    return this.hasAttribute('autosave') ? this.getAttribute('autosave') || this.id || 'element' : false;
  }

  /** Starts training when nothing has trained yet (`autotrain`). */
  #autotrain() {
    if (this.#pg) autotrain(this.#pg);
  }

  /**
   * Shows the views the attributes name now (`layout`, `panels`, the `*_hide` flags): a view
   * whose name and options did not change stays as it is (its drawings and sessions too); the
   * others are destroyed or mounted. Renders one at a time; changes meanwhile render once after.
   */
  #render() {
    if (this.#rendering) {
      this.#renderAgain = true;
      return this.#rendering;
    }
    this.#rendering = (async () => {
      do {
        this.#renderAgain = false;
        await this.#renderOnce();
      } while (this.#renderAgain && this.#pg);
    })().finally(() => { this.#rendering = null; });
    return this.#rendering;
  }

  async #renderOnce() {
    const pg = this.#pg;
    if (!pg) return;
    const { state } = this.#state();
    const panels = state.panels ? choosePanels(state.panels).chosen.map((p) => p.name) : [];
    const cards = state.layout === 'bar' ? ['bar'] : ['data', 'model', 'train'].filter((c) => !state.hide.includes(c));
    const heading = !state.hide.includes('title');
    // A card is drawn with the hide flags (its fields), a panel only with its heading: a view
    // whose key is unchanged stays as it is.
    const wanted = [...cards.map((name) => ({ name, key: `${name}|${heading}|${state.hide.join(',')}` })),
      ...panels.map((name) => ({ name, key: `${name}|${heading}` }))];
    const keys = new Set(wanted.map((w) => w.key));
    for (const [key, handle] of this.#mounts) {
      if (keys.has(key)) continue;
      handle.destroy();
      this.#mounts.delete(key);
    }
    // Stylesheets of views shown for the first time, before they are drawn.
    const shadow = /** @type {ShadowRoot} */ (this.shadowRoot);
    const have = new Set([.../** @type {NodeListOf<HTMLLinkElement> & Iterable<HTMLLinkElement>} */ (shadow.querySelectorAll('link'))].map((l) => l.href));
    const links = [...new Set(wanted.flatMap((w) => stylesheets(w.name)))].filter((href) => !have.has(href)).map(link);
    shadow.prepend(...links);
    await whenLoaded(links);
    if (this.#pg !== pg) return;
    for (const w of wanted) {
      let handle = this.#mounts.get(w.key);
      if (!handle) {
        handle = pg.mountPanel(/** @type {HTMLDivElement} */ (this.#layout), w.name, { shadow: false, hide: state.hide, heading });
        this.#mounts.set(w.key, handle);
      }
      /** @type {HTMLDivElement} */ (this.#layout).insertBefore(handle.root, this.#errors); // in the order the attributes name (#layout: made with #pg)
    }
    await Promise.all([...this.#mounts.values()].map((m) => m.ready));
  }

  disconnectedCallback() {
    // A move (remove, then insert in the same task) keeps the model; a removal ends it.
    queueMicrotask(() => { if (!this.isConnected) this.destroy(); });
  }

  /** @param {string} name @param {string | null} old @param {string | null} value */
  attributeChangedCallback(name, old, value) {
    const pg = this.#pg;
    if (!pg || old === value) return;
    if (SETTINGS.includes(name)) {
      // A removed setting goes back to its default.
      pg.set({ [name]: value ?? setting(name).default }).catch((err) => pg.reportError(err.message));
    } else if (name === 'autosave') {
      pg.autosaveKey = this.#autosaveKey();
    } else if (name === 'autotrain') {
      if (this.#state().state.autotrain) this.#autotrain();
    } else {
      this.#render();
    }
  }

  /** Ends this playground: its worker, its model and every panel attached to it. */
  destroy() {
    if (!this.#pg) return;
    playgrounds.delete(this);
    /** @type {AbortController} */ (this.#abort).abort(); // set with #pg
    this.#pg.destroy();
    this.#pg = null;
    this.#mounts.clear();
    this.shadowRoot?.replaceChildren();
    for (const panel of [...(attached.get(this) ?? [])]) detachPanel(panel);
    attached.delete(this);
  }
}

// Each attribute as a property: a setting reads as the playground's current value (the reader
// may have changed it in the model card), a view option as the attribute says; writing one sets
// the attribute (null, undefined or false removes it).
for (const s of SCHEMA) {
  Object.defineProperty(GptPlaygroundElement.prototype, camel(s.name), {
    configurable: true,
    enumerable: true,
    /** @this {GptPlaygroundElement} */
    get() {
      const pg = this.playground;
      if (s.run && pg) return pg.settings[s.name];
      const { state } = readState((name) => (name === s.name ? this.getAttribute(name) : null));
      return s.name.endsWith('_hide') ? state.hide.length > 0 : /** @type {Record<string, unknown>} */ (state)[s.name];
    },
    /** @this {GptPlaygroundElement} @param {unknown} value */
    set(value) {
      if (value === null || value === undefined || value === false) this.removeAttribute(s.name);
      else this.setAttribute(s.name, value === true ? '' : String(value));
    },
  });
}
Object.defineProperty(GptPlaygroundElement.prototype, 'autosave', {
  configurable: true,
  enumerable: true,
  /** @this {GptPlaygroundElement} */
  get() { return this.getAttribute('autosave'); },
  /** @this {GptPlaygroundElement} @param {unknown} value */
  set(value) {
    if (value === null || value === undefined || value === false) this.removeAttribute('autosave');
    else this.setAttribute('autosave', value === true ? '' : String(value));
  },
});

/** `<gpt-panel name="attention">`: one panel of a playground on the page: the one named by the
 *  `playground` attribute (its id), else the enclosing one, else the only one. */
export class GptPanelElement extends HTMLElement {
  static observedAttributes = ['name', 'playground', 'title_hide'];

  /** @type {import('./mount.js').PanelHandle | null} */
  #handle = null;
  /** @type {HTMLElement | null} */
  #owner = null;

  /** The mounted panel's root element (its `panelData` holds the numbers it drew). */
  get panel() { return this.#handle?.root ?? null; }
  /** Resolves when the panel has drawn what it can. */
  get ready() { return this.#handle?.ready ?? Promise.resolve(); }

  static {
    attachPanel = (panel) => panel.#attach();
    detachPanel = (panel) => panel.#detach();
  }

  connectedCallback() { this.#attach(); }

  disconnectedCallback() {
    queueMicrotask(() => { if (!this.isConnected) this.#detach(); });
  }

  attributeChangedCallback() {
    if (this.#handle || waiting.has(this)) {
      this.#detach();
      this.#attach();
    }
  }

  /** The playground element this panel belongs to, or a sentence saying why there is none. @returns {Found} */
  #find() {
    // A connected panel's root (#attach checks): the document or a shadow root.
    const scope = /** @type {Document | ShadowRoot} */ (this.getRootNode());
    const id = this.getAttribute('playground');
    if (id) {
      const el = scope.getElementById?.(id) ?? document.getElementById(id);
      if (!el) return { wait: `waiting for <gpt-playground id="${id}">` };
      if (el.localName !== 'gpt-playground') return { error: `the element with id "${id}" is a <${el.localName}>, not a <gpt-playground>` };
      return { el: /** @type {GptPlaygroundElement} */ (el) };
    }
    const enclosing = /** @type {GptPlaygroundElement | null} */ (this.closest('gpt-playground'));
    if (enclosing) return { el: enclosing };
    // Through Element: where types/elements.d.ts is loaded, the tag names its declared class.
    const all = /** @type {NodeListOf<GptPlaygroundElement>} */ (/** @type {NodeListOf<Element>} */ (scope.querySelectorAll('gpt-playground')));
    if (all.length === 1) return { el: all[0] };
    if (all.length === 0) return { wait: 'waiting for a <gpt-playground> on this page' };
    return { error: `this page has ${all.length} <gpt-playground> elements: say which one with playground="ID"` };
  }

  /** @param {string} text @param {'error' | 'empty'} state */
  #message(text, state) {
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const box = document.createElement('p');
    box.className = 'gpt-root card panel-status';
    box.dataset.state = state;
    box.setAttribute('role', 'status');
    box.textContent = `<gpt-panel name="${this.getAttribute('name') ?? ''}">: ${text}`;
    shadow.replaceChildren(link(stylesheets('train')[0]), box);
  }

  /** (Re)attaches to the playground it names. */
  #attach() {
    if (this.#handle || !this.isConnected) return;
    const name = this.getAttribute('name');
    let problem = name ? null : 'say which panel with name="…" (for example name="attention")';
    try {
      if (name) findView(name);
    } catch (err) {
      problem = /** @type {Error} */ (err).message;
    }
    const found = /** @type {Found} */ (problem ? {} : this.#find());
    if (problem || found.error) {
      waiting.delete(this);
      this.#message(/** @type {string} */ (problem ?? found.error), 'error');
      return;
    }
    const pg = found.el?.playground;
    if (!pg) {
      waiting.add(this);
      this.#message(found.wait ?? 'waiting for its <gpt-playground> to start', 'empty');
      return;
    }
    waiting.delete(this);
    try {
      this.#handle = pg.mountPanel(this, /** @type {string} */ (name), { shadow: true, heading: !this.hasAttribute('title_hide') });
    } catch (err) {
      this.#message(/** @type {Error} */ (err).message, 'error');
      return;
    }
    // found.el is there: it gave pg.
    this.#owner = /** @type {GptPlaygroundElement} */ (found.el);
    if (!attached.has(/** @type {GptPlaygroundElement} */ (found.el))) attached.set(/** @type {GptPlaygroundElement} */ (found.el), new Set());
    attached.get(/** @type {GptPlaygroundElement} */ (found.el))?.add(this);
  }

  /** The panel leaves its playground (removed, or the playground ended). */
  #detach() {
    waiting.delete(this);
    this.#handle?.destroy();
    this.#handle = null;
    if (this.#owner) attached.get(this.#owner)?.delete(this);
    this.#owner = null;
    if (this.isConnected) {
      this.shadowRoot?.replaceChildren();
      this.#attach();
    }
  }
}

if (!customElements.get('gpt-playground')) customElements.define('gpt-playground', GptPlaygroundElement);
if (!customElements.get('gpt-panel')) customElements.define('gpt-panel', GptPanelElement);
export { Playground };
