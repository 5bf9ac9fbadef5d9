// Custom elements for authors who can add a script tag (EMBEDDING.md):
//   <gpt-playground id="gpt" corpus="moby" steps="600"></gpt-playground>  the reader's model, with
//       the data / model / train cards (each optional) or a compact training bar;
//   <gpt-panel name="attention" playground="gpt"></gpt-panel>  one panel of that model, anywhere.
// Panels scattered through an article share one model and one worker; two playgrounds on one page
// are independent. Everything renders in shadow roots, so the host's CSS and ours never meet; the
// --gpt-* custom properties theme it. Importing this module defines the two elements and nothing else.
import { Playground } from './playground.js';
import { errorBox } from './alerts.js';
import { readState } from './state.js';
import { choosePanels, findView, stylesheets } from '../panels/index.js';

const SETTINGS = ['corpus', 'preset', 'tokenizer', 'steps', 'device', 'workers'];

// The playground elements on the page, and panels waiting for one to appear.
const playgrounds = new Set();
const waiting = new Set();

const link = (href) => {
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = href;
  return l;
};
const whenLoaded = (links) => Promise.all(links.map((l) => new Promise((ok) => { l.onload = ok; l.onerror = ok; })));

/** `<gpt-playground>`: one reader's model. Attributes mirror the URL parameters (README). */
export class GptPlaygroundElement extends HTMLElement {
  static observedAttributes = [...SETTINGS];

  #pg = null;
  #abort = null;
  #mounts = [];
  #panels = new Set(); // <gpt-panel> elements attached to this playground

  /** The Playground (lib/playground.js) behind this element; null while not connected. */
  get playground() { return this.#pg; }

  /** Resolves when the cards are drawn and the model code is loaded. */
  get ready() { return this.#ready ?? Promise.resolve(); }
  #ready = null;

  connectedCallback() {
    if (this.#pg) return; // moved within the page: keep the model
    const get = (name) => this.getAttribute(name);
    const { state } = readState(get);
    const options = Object.fromEntries(SETTINGS.filter((k) => this.hasAttribute(k)).map((k) => [k, get(k)]));
    // `autosave="KEY"` keeps the reader's run in this browser under KEY (resumable after a reload).
    if (this.hasAttribute('autosave')) options.autosave = get('autosave') || this.id || 'element';
    this.#pg = new Playground(options);
    this.#abort = new AbortController();
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const { chosen } = choosePanels(state.panels ?? '');
    const panelNames = state.panels ? chosen.map((p) => p.name) : [];
    const cards = get('layout') === 'bar' ? ['bar'] : ['data', 'model', 'train'].filter((c) => !state.hide.includes(c));
    const views = [...cards, ...panelNames];
    const links = [...new Set(views.flatMap(stylesheets))].map(link);
    const layout = document.createElement('div');
    layout.className = 'gpt-theme gpt-layout';
    layout.part = 'layout';
    // The playground's own errors (each panel shows its own).
    const errors = errorBox(this.#pg, { signal: this.#abort.signal, accept: (d) => !d.panel });
    shadow.replaceChildren(...links, layout);
    playgrounds.add(this);
    this.#ready = (async () => {
      await whenLoaded(links);
      if (!this.#pg) return;
      this.#mounts = views.map((name) => this.#pg.mountPanel(layout, name, { shadow: false, hide: state.hide, heading: !state.hide.includes('title') }));
      layout.append(errors, document.createElement('slot'));
      await Promise.all(this.#mounts.map((m) => m.ready));
      for (const panel of [...waiting]) panel.attach();
      if (state.autotrain && this.#pg && this.#pg.status !== 'error') this.#pg.train().catch(() => {});
    })();
    for (const panel of [...waiting]) panel.attach();
  }

  disconnectedCallback() {
    // A move (remove, then insert in the same task) keeps the model; a removal ends it.
    queueMicrotask(() => { if (!this.isConnected) this.destroy(); });
  }

  attributeChangedCallback(name, old, value) {
    if (!this.#pg || value === null || old === value) return;
    this.#pg.set({ [name]: value }).catch((err) => this.#pg.reportError(err.message));
  }

  /** Ends this playground: its worker, its model and every panel attached to it. */
  destroy() {
    if (!this.#pg) return;
    playgrounds.delete(this);
    this.#abort.abort();
    this.#pg.destroy();
    this.#pg = null;
    this.#mounts = [];
    this.shadowRoot?.replaceChildren();
    for (const panel of [...this.#panels]) panel.detach();
  }

  /** @internal a <gpt-panel> attaches to this playground. */
  adopt(panel) { this.#panels.add(panel); }
  /** @internal */
  release(panel) { this.#panels.delete(panel); }
}

/** `<gpt-panel name="attention">`: one panel of a playground on the page: the one named by the
 *  `playground` attribute (its id), else the enclosing one, else the only one. */
export class GptPanelElement extends HTMLElement {
  static observedAttributes = ['name', 'playground'];

  #handle = null;
  #owner = null;

  /** The mounted panel's root element (its `panelData` holds the numbers it drew). */
  get panel() { return this.#handle?.root ?? null; }
  /** Resolves when the panel has drawn what it can. */
  get ready() { return this.#handle?.ready ?? Promise.resolve(); }

  connectedCallback() { this.attach(); }

  disconnectedCallback() {
    queueMicrotask(() => { if (!this.isConnected) this.detach(); });
  }

  attributeChangedCallback() {
    if (this.#handle || waiting.has(this)) {
      this.detach();
      this.attach();
    }
  }

  /** The playground element this panel belongs to, or a sentence saying why there is none. */
  #find() {
    const scope = this.getRootNode();
    const id = this.getAttribute('playground');
    if (id) {
      const el = scope.getElementById?.(id) ?? document.getElementById(id);
      if (!el) return { wait: `waiting for <gpt-playground id="${id}">` };
      if (el.localName !== 'gpt-playground') return { error: `the element with id "${id}" is a <${el.localName}>, not a <gpt-playground>` };
      return { el };
    }
    const enclosing = this.closest('gpt-playground');
    if (enclosing) return { el: enclosing };
    const all = scope.querySelectorAll('gpt-playground');
    if (all.length === 1) return { el: all[0] };
    if (all.length === 0) return { wait: 'waiting for a <gpt-playground> on this page' };
    return { error: `this page has ${all.length} <gpt-playground> elements: say which one with playground="ID"` };
  }

  #message(text, state) {
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const box = document.createElement('p');
    box.className = 'gpt-root card panel-status';
    box.dataset.state = state;
    box.setAttribute('role', 'status');
    box.textContent = `<gpt-panel name="${this.getAttribute('name') ?? ''}">: ${text}`;
    shadow.replaceChildren(link(stylesheets('train')[0]), box);
  }

  /** @internal (re)attach to the playground it names. */
  attach() {
    if (this.#handle || !this.isConnected) return;
    const name = this.getAttribute('name');
    let problem = name ? null : 'say which panel with name="…" (for example name="attention")';
    try {
      if (name) findView(name);
    } catch (err) {
      problem = err.message;
    }
    const found = problem ? {} : this.#find();
    if (problem || found.error) {
      waiting.delete(this);
      this.#message(problem ?? found.error, 'error');
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
      this.#handle = pg.mountPanel(this, name, { shadow: true, heading: !this.hasAttribute('title_hide') });
    } catch (err) {
      this.#message(err.message, 'error');
      return;
    }
    this.#owner = found.el;
    this.#owner.adopt(this);
  }

  /** @internal the panel leaves its playground (removed, or the playground ended). */
  detach() {
    waiting.delete(this);
    this.#handle?.destroy();
    this.#handle = null;
    this.#owner?.release(this);
    this.#owner = null;
    if (this.isConnected) {
      this.shadowRoot?.replaceChildren();
      this.attach();
    }
  }
}

if (!customElements.get('gpt-playground')) customElements.define('gpt-playground', GptPlaygroundElement);
if (!customElements.get('gpt-panel')) customElements.define('gpt-panel', GptPanelElement);
export { Playground };
