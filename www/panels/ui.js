// Small DOM and drawing helpers shared by the panels (no library: a few lines each).

/** `h('div', {class: 'x', onclick: f}, 'text', child)` -> an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    // Through the CSSOM, not a style attribute: a strict Content-Security-Policy (style-src 'self')
    // blocks style attributes but not this.
    else if (k === 'style') el.style.cssText = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let ids = 0;
/** A fresh element id (`gpt-NAME-7`): for label `for=` and ARIA references. Never a fixed id, so
 *  two panels of one kind, or an author's own elements, never collide. */
export const uid = (name) => `gpt-${name}-${++ids}`;

/** Calls `fn` when `element` changes size, until `signal` (the panel's ctx.signal) aborts. */
export function onResize(element, fn, signal) {
  const observer = new ResizeObserver(fn);
  observer.observe(element);
  signal?.addEventListener('abort', () => observer.disconnect(), { once: true });
  return observer;
}

/** A canvas sized for the device pixel ratio; returns its 2-D context in CSS pixels. */
export function sizeCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  return g;
}

/** The theme's colours as `element` resolves them: the --gpt-* custom properties, through
 *  playground.css's short names (a canvas cannot use CSS variables itself). */
export function themeColours(element) {
  const css = getComputedStyle(element);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    accent: v('--accent', '#3b5bdb'), accent2: v('--accent-2', '#e8590c'), fg: v('--fg', '#1c2330'), muted: v('--muted', '#5b6575'),
    grid: v('--grid', '#eceef2'), card: v('--card', '#fff'), border: v('--border', '#dde1e7'),
  };
}

/** Sequential colour for v in [0, 1]: white -> the accent blue. */
export function blues(v) {
  const t = Math.max(0, Math.min(1, v));
  const r = Math.round(255 + (37 - 255) * t);
  const g = Math.round(255 + (66 - 255) * t);
  const b = Math.round(255 + (190 - 255) * t);
  return `rgb(${r},${g},${b})`;
}

/** Diverging colour for v in [-1, 1]: orange (negative) -> white -> blue (positive). */
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  if (t < 0) return `rgb(255,${Math.round(255 + (140 - 255) * -t)},${Math.round(255 + (50 - 255) * -t)})`;
  return blues(t);
}

/** 1234567 -> "1.23M", 175e9 -> "175B". */
export function shortNumber(n) {
  const units = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, unit] of units) if (Math.abs(n) >= size) return `${+(n / size).toPrecision(3)}${unit}`;
  return String(n);
}

/** Show a token's text visibly: spaces as ·, newlines as ⏎, tabs as ⇥. */
export const visible = (token) => token.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥');

/** Sets `element`'s text when it differs. Writing the same text again would still replace the
 *  text node, and WebKit (Safari) drops a click whose mouse button went down on a node that was
 *  replaced before it came up: a button relabelled on the `change` that the click's own mousedown
 *  caused (leaving a field) would then never be clicked. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Sets the panel's state (`data-state`: empty | busy | ready | error) and its status line. */
export function setState(root, state, message) {
  root.dataset.state = state;
  const line = root.querySelector(':scope > .panel-status');
  if (line) {
    line.textContent = message ?? '';
    line.hidden = !message;
  }
}

/** Call `fn` at most once per `ms` (the last call wins; it runs after the pause). */
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return (...args) => {
    clearTimeout(timer);
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => {
      last = performance.now();
      fn(...args);
    }, wait);
  };
}

/** Calls `fn(width)` when `element`'s width changes (at most every `ms`), not its height: a
 *  panel that redraws to its width changes its own height, which must not redraw it again. */
export function onWidthChange(element, fn, signal, ms = 200) {
  let width = 0;
  return onResize(element, throttle(() => {
    if (element.clientWidth === width) return;
    width = element.clientWidth;
    fn(width);
  }, ms), signal);
}

/**
 * One run of `job` at a time: a request made while it runs (a progress event, a click) makes it
 * run once more afterwards, so the latest state is always drawn and requests never pile up.
 * `idle()` is called when the last run ends. Returns `request()` (resolves when the run it
 * started or joined ends); `request.busy` is true from the start of a run to the end of the last.
 */
export function coalesced(job, { idle } = {}) {
  let busy = false;
  let again = false;
  let running = null;
  const request = () => {
    if (busy) {
      again = true;
      return running;
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
  return request;
}

/** A whole number from `min` to `max` read from text `raw` (an input's value), or an Error for the
 *  reader that names `what` and the range (and `note` after it). */
export function wholeNumber(raw, { min, max, what, note = '' }) {
  const n = Number(String(raw).trim() === '' ? NaN : raw);
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    throw new Error(`${what} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}${note}, not "${raw}".`);
  }
  return n;
}

/** A figure for display: `digits` decimals, or a dash for none (NaN, infinite). */
export const fmt = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
/** The mean of `xs`; NaN for none (shown as a dash by `fmt`). */
export const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

const FOCUSABLE = 'button, a[href], input, select, textarea, [tabindex]';

/** Replaces `container`'s children and, if one of them had keyboard focus, focuses the new child
 *  that stands for it (the same `data-key`, else the same position), so a reader choosing an
 *  item in a list that redraws does not lose their place. */
export function replaceKeepingFocus(container, ...children) {
  const active = container.getRootNode().activeElement;
  const had = active && container.contains(active) ? active : null;
  const before = had ? [...container.querySelectorAll(FOCUSABLE)] : [];
  const key = had?.dataset.key ?? null;
  const index = before.indexOf(had);
  container.replaceChildren(...children);
  if (!had) return;
  const after = [...container.querySelectorAll(FOCUSABLE)];
  const next = (key !== null && after.find((e) => e.dataset.key === key)) || after[Math.min(index, after.length - 1)];
  next?.focus({ preventScroll: true });
}

/** A polite live region in `root` (read by screen readers, not shown) that says at most one
 *  thing a second: `announce(text)` keeps only the latest text of a burst; `announce(text,
 *  true)` says it at once (a run ended). */
export function announcer(root, ms = 1000) {
  const region = h('p', { class: 'gpt-sr-only', 'aria-live': 'polite', dataset: { role: 'announcer' } });
  root.append(region);
  let last = 0;
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
      clearTimeout(timer);
      say();
    } else if (!timer) {
      timer = setTimeout(say, Math.max(0, last + ms - performance.now()));
    }
  };
}

const SVG = 'http://www.w3.org/2000/svg';

/** A legend key: a short line in `color` with the chart's dash pattern (`dash`: [on, off, …]). */
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
 *  characters from there; the prompt plus the corpus's second line when it does not occur. */
export function corpusSnippet(corpus, prompt, length) {
  const text = corpus ?? '';
  let at = text.indexOf(`\n${prompt}`);
  at = at >= 0 ? at + 1 : text.indexOf(prompt);
  const snippet = at >= 0 && prompt ? text.slice(at, at + length) : `${prompt}${(text.split('\n')[1] ?? '').slice(0, 24)}`;
  return snippet.slice(0, length) || prompt;
}
