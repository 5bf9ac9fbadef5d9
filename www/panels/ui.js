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
