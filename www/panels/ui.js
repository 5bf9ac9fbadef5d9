// @ts-check
// Small DOM and drawing helpers shared by the panels (no library: a few lines each).

/**
 * `h`'s attributes: `on<event>` listeners (typed per event), `class`, `text`, `style` (CSS text),
 * `dataset`, and any other attribute (set as text; `true` sets it empty; undefined, null and false
 * leave it out).
 * @typedef {{[K in keyof HTMLElementEventMap as `on${K}`]?: (ev: HTMLElementEventMap[K]) => void}
 *   & {class?: string | null, text?: string | number | null, style?: string | null, dataset?: Record<string, string>}
 *   & {[attribute: string]: unknown}} Attrs
 */
/** One of `h`'s children: a node, or text; null, undefined and false are left out.
 *  @typedef {Node | string | number | boolean | null | undefined} Child */
/** The element `h(tag)` makes: the tag's own element type, else HTMLElement (a custom element).
 *  @template {string} K
 *  @typedef {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement} ElementOf */

/**
 * `h('div', {class: 'x', onclick: f}, 'text', child)` -> an element.
 * @template {string} K
 * @param {K} tag @param {Attrs | null} [attrs] @param {...(Child | readonly Child[])} children
 * @returns {ElementOf<K>}
 */
export function h(tag, attrs = {}, ...children) {
  const el = /** @type {ElementOf<K>} */ (document.createElement(tag));
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'class') el.className = /** @type {string} */ (v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = /** @type {string} */ (v);
    // Through the CSSOM, not a style attribute: a strict Content-Security-Policy (style-src 'self')
    // blocks style attributes but not this.
    else if (k === 'style') el.style.cssText = /** @type {string} */ (v);
    else el.setAttribute(k, v === true ? '' : /** @type {string} */ (v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let ids = 0;
/** A fresh element id (`gpt-NAME-7`): for label `for=` and ARIA references. Never a fixed id, so
 *  two panels of one kind, or an author's own elements, never collide.
 *  @param {string} name @returns {string} */
export const uid = (name) => `gpt-${name}-${++ids}`;

/** Calls `fn` when `element` changes size, until `signal` (the panel's ctx.signal) aborts.
 *  @param {Element} element @param {ResizeObserverCallback} fn @param {AbortSignal} [signal]
 *  @returns {ResizeObserver} */
export function onResize(element, fn, signal) {
  const observer = new ResizeObserver(fn);
  observer.observe(element);
  signal?.addEventListener('abort', () => observer.disconnect(), { once: true });
  return observer;
}

/** A canvas sized for the device pixel ratio; returns its 2-D context in CSS pixels.
 *  @param {HTMLCanvasElement} canvas @param {number} width @param {number} height
 *  @returns {CanvasRenderingContext2D} */
export function sizeCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  // Never null: the panels draw their canvases in 2-D only.
  const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  return g;
}

/** @typedef {{accent: string, accent2: string, fg: string, muted: string, grid: string, card: string, border: string}} ThemeColours */

/** The theme's colours as `element` resolves them: the --gpt-* custom properties, through
 *  playground.css's short names (a canvas cannot use CSS variables itself).
 *  @param {Element} element @returns {ThemeColours} */
export function themeColours(element) {
  const css = getComputedStyle(element);
  /** @param {string} name @param {string} fallback */
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    accent: v('--accent', '#3b5bdb'), accent2: v('--accent-2', '#e8590c'), fg: v('--fg', '#1c2330'), muted: v('--muted', '#5b6575'),
    grid: v('--grid', '#eceef2'), card: v('--card', '#fff'), border: v('--border', '#dde1e7'),
  };
}

/** Sequential colour for v in [0, 1]: white -> the accent blue. @param {number} v @returns {string} */
export function blues(v) {
  const t = Math.max(0, Math.min(1, v));
  const r = Math.round(255 + (37 - 255) * t);
  const g = Math.round(255 + (66 - 255) * t);
  const b = Math.round(255 + (190 - 255) * t);
  return `rgb(${r},${g},${b})`;
}

/** Diverging colour for v in [-1, 1]: orange (negative) -> white -> blue (positive).
 *  @param {number} v @returns {string} */
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  if (t < 0) return `rgb(255,${Math.round(255 + (140 - 255) * -t)},${Math.round(255 + (50 - 255) * -t)})`;
  return blues(t);
}

/** 1234567 -> "1.23M", 175e9 -> "175B". @param {number} n @returns {string} */
export function shortNumber(n) {
  /** @type {[number, string][]} */
  const units = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, unit] of units) if (Math.abs(n) >= size) return `${+(n / size).toPrecision(3)}${unit}`;
  return String(n);
}

/** Show a token's text visibly: spaces as ·, newlines as ⏎, tabs as ⇥. @param {string} token @returns {string} */
export const visible = (token) => token.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥');

/** Sets `element`'s text when it differs. Writing the same text again would still replace the
 *  text node, and WebKit (Safari) drops a click whose mouse button went down on a node that was
 *  replaced before it came up: a button relabelled on the `change` that the click's own mousedown
 *  caused (leaving a field) would then never be clicked.
 *  @param {Node} element @param {string} text */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** @typedef {'empty' | 'busy' | 'ready' | 'error'} PanelState */

/** Sets the panel's state (`data-state`: empty | busy | ready | error) and its status line.
 *  @param {HTMLElement} root @param {PanelState} state @param {string | null} [message] */
export function setState(root, state, message) {
  root.dataset.state = state;
  const line = /** @type {HTMLElement | null} */ (root.querySelector(':scope > .panel-status'));
  if (line) {
    line.textContent = message ?? '';
    line.hidden = !message;
  }
}

/** Call `fn` at most once per `ms` (the last call wins; it runs after the pause).
 *  @template {unknown[]} A
 *  @param {(...args: A) => void} fn @param {number} ms @returns {(...args: A) => void} */
export function throttle(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let last = 0;
  return (...args) => {
    clearTimeout(timer ?? undefined);
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => {
      last = performance.now();
      fn(...args);
    }, wait);
  };
}

/** Calls `fn(width)` when `element`'s width changes (at most every `ms`), not its height: a
 *  panel that redraws to its width changes its own height, which must not redraw it again.
 *  @param {Element} element @param {(width: number) => void} fn @param {AbortSignal} [signal]
 *  @param {number} [ms] @returns {ResizeObserver} */
export function onWidthChange(element, fn, signal, ms = 200) {
  let width = 0;
  return onResize(element, throttle(() => {
    if (element.clientWidth === width) return;
    width = element.clientWidth;
    fn(width);
  }, ms), signal);
}

/** `coalesced`'s request: resolves when the run it started or joined ends.
 *  @typedef {(() => Promise<void>) & {readonly busy: boolean}} Coalesced */

/**
 * One run of `job` at a time: a request made while it runs (a progress event, a click) makes it
 * run once more afterwards, so the latest state is always drawn and requests never pile up.
 * `idle()` is called when the last run ends. Returns `request()` (resolves when the run it
 * started or joined ends); `request.busy` is true from the start of a run to the end of the last.
 * @param {() => unknown} job @param {{idle?: () => void}} [options] @returns {Coalesced}
 */
export function coalesced(job, { idle } = {}) {
  let busy = false;
  let again = false;
  /** @type {Promise<void> | null} */
  let running = null;
  /** @returns {Promise<void>} */
  const request = () => {
    if (busy) {
      again = true;
      return /** @type {Promise<void>} */ (running); // set whenever busy
    }
    busy = true;
    running = (async () => {
      try {
        await job();
      } finally {
        if (again) {
          again = false;
          busy = false;
          request();
        } else {
          busy = false;
          running = null;
          idle?.();
        }
      }
    })();
    return running;
  };
  Object.defineProperty(request, 'busy', { get: () => busy });
  return /** @type {Coalesced} */ (request);
}

/** A whole number from `min` to `max` read from text `raw` (an input's value), or an Error for the
 *  reader that names `what` and the range (and `note` after it).
 *  @param {string | number} raw @param {{min: number, max: number, what: string, note?: string}} options
 *  @returns {number} */
export function wholeNumber(raw, { min, max, what, note = '' }) {
  const n = Number(String(raw).trim() === '' ? NaN : raw);
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    throw new Error(`${what} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}${note}, not "${raw}".`);
  }
  return n;
}

/** A figure for display: `digits` decimals, or a dash for none (NaN, infinite).
 *  @param {number} v @param {number} [digits] @returns {string} */
export const fmt = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits).replace(/^-(0\.?0*)$/, '$1') : '–'); // never "-0.00"
/** The mean of `xs`; NaN for none (shown as a dash by `fmt`). @param {readonly number[]} xs @returns {number} */
export const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

const FOCUSABLE = 'button, a[href], input, select, textarea, [tabindex]';
/** What FOCUSABLE selects; a NodeList is iterable in every browser (the checked lib lacks dom.iterable).
 *  @typedef {NodeListOf<HTMLElement> & Iterable<HTMLElement>} Focusables */

/** Replaces `container`'s children and, if one of them had keyboard focus, focuses the new child
 *  that stands for it (the same `data-key`, else the same position), so a reader choosing an
 *  item in a list that redraws does not lose their place.
 *  @param {Element} container @param {...(Node | string)} children */
export function replaceKeepingFocus(container, ...children) {
  // A connected element's root is its document or shadow root (a detached one has no focus).
  const active = /** @type {Document | ShadowRoot} */ (container.getRootNode()).activeElement;
  const had = active && container.contains(active) ? /** @type {HTMLElement} */ (active) : null;
  /** @type {HTMLElement[]} */
  const before = had ? [.../** @type {Focusables} */ (container.querySelectorAll(FOCUSABLE))] : [];
  const key = had?.dataset.key ?? null;
  const index = before.indexOf(/** @type {HTMLElement} */ (had)); // -1 when none had focus
  container.replaceChildren(...children);
  if (!had) return;
  const after = [.../** @type {Focusables} */ (container.querySelectorAll(FOCUSABLE))];
  const next = (key !== null && after.find((e) => e.dataset.key === key)) || after[Math.min(index, after.length - 1)];
  next?.focus({ preventScroll: true });
}

/** A polite live region in `root` (read by screen readers, not shown) that says at most one
 *  thing a second: `announce(text)` keeps only the latest text of a burst; `announce(text,
 *  true)` says it at once (a run ended).
 *  @param {Element} root @param {number} [ms] @returns {(text: string, now?: boolean) => void} */
export function announcer(root, ms = 1000) {
  const region = h('p', { class: 'gpt-sr-only', 'aria-live': 'polite', dataset: { role: 'announcer' } });
  root.append(region);
  let last = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let pending = '';
  const say = () => {
    timer = null;
    last = performance.now();
    region.textContent = pending;
  };
  return (text, now = false) => {
    pending = text;
    if (now) {
      clearTimeout(timer ?? undefined);
      say();
    } else if (!timer) {
      timer = setTimeout(say, Math.max(0, last + ms - performance.now()));
    }
  };
}

const SVG = 'http://www.w3.org/2000/svg';

/** A legend key: a short line in `color` with the chart's dash pattern (`dash`: [on, off, …]).
 *  @param {string} color @param {readonly number[]} [dash] @returns {SVGSVGElement} */
export function lineSwatch(color, dash = []) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', '26');
  svg.setAttribute('height', '8');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'line-swatch');
  const line = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 1, y1: 4, x2: 25, y2: 4, stroke: color, 'stroke-width': 2.5, 'stroke-dasharray': dash.join(' ') || 'none' })) line.setAttribute(k, String(v));
  svg.append(line);
  return svg;
}

/** A piece of the corpus to inspect: where `prompt` starts a line (or anywhere), `length`
 *  characters from there; the prompt plus the corpus's second line when it does not occur.
 *  @param {string | null | undefined} corpus @param {string} prompt @param {number} length @returns {string} */
export function corpusSnippet(corpus, prompt, length) {
  const text = corpus ?? '';
  let at = text.indexOf(`\n${prompt}`);
  at = at >= 0 ? at + 1 : text.indexOf(prompt);
  const snippet = at >= 0 && prompt ? text.slice(at, at + length) : `${prompt}${(text.split('\n')[1] ?? '').slice(0, 24)}`;
  return snippet.slice(0, length) || prompt;
}
