// @ts-check
// GPT-1 → GPT-2 → GPT-3: the same blocks, scaled up. Parameter counts of the published shapes are
// computed by the very config code that sized the reader's model (the worker's `referenceModels`),
// and all are placed on one logarithmic axis with the reader's model.
import { h, onWidthChange, setState, shortNumber } from './ui.js';

const MIN_EXP = 3; // the axis runs from 10^3 ...
const MAX_EXP = 12; // ... to 10^12 parameters
/** @type {Record<string, string>} */
const FAMILY_COLOURS = { 'GPT-1': '#e8590c', 'GPT-2': '#2b8a3e', 'GPT-3': '#3b5bdb', yours: '#c2255c' };
const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const SVG = 'http://www.w3.org/2000/svg';

/** @typedef {import('../pkg/cpu/gpt_wasm.js').GptConfig} GptConfig */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').ReferenceModel} ReferenceModel */
/** A model on the scale: a reference model, or the reader's (no reported count).
 *  @typedef {{name: string, family: string, config: GptConfig, paramCount: number, reportedParams: number | null, step?: number}} Row */
/** A model as drawn (`panelData.models`, `panelData.yours`); `x` is its dot's position.
 *  @typedef {{name: string, family: string, paramCount: number, reportedParams: number | null, x: number, config: GptConfig}} Entry */

/** @param {number} e */
const power = (e) => `10${/** @type {`${number}`[]} */ (String(e).split('')).map((d) => SUPERSCRIPT[d]).join('')}`;

/** An SVG element with attributes.
 *  @param {string} tag @param {Record<string, string | number>} [attrs] @param {string} [text] @returns {SVGElement} */
function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, /** @type {string} */ (v)); // a number as its text
  if (text !== undefined) el.textContent = text;
  return el;
}

/** "1,234×", "1.17M×", or "0.5×": how many times the reader's model a reference model is.
 *  @param {number} ratio @returns {string} */
function times(ratio) {
  if (!Number.isFinite(ratio)) return '–';
  if (ratio >= 1e4) return `${shortNumber(Math.round(ratio))}×`;
  if (ratio >= 10) return `${Math.round(ratio).toLocaleString()}×`;
  return `${ratio.toPrecision(2)}×`;
}

/** "6.19 million": a large ratio in words, for a sentence. @param {number} ratio @returns {string} */
function ratioWords(ratio) {
  for (const [size, word] of /** @type {[number, string][]} */ ([[1e9, 'billion'], [1e6, 'million']])) if (ratio >= size) return `${+(ratio / size).toPrecision(3)} ${word}`;
  return Math.round(ratio).toLocaleString();
}

/** @param {HTMLElement & {panelData?: unknown}} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  const chartBox = h('div', { class: 'scale-chart' });
  const hint = h('p', { class: 'hint scale-yours-hint', dataset: { role: 'scale-hint' } });
  const table = h('table', { class: 'scale-table', dataset: { role: 'scale-table' } });
  root.append(
    h('p', { class: 'hint' }, 'GPT-1, GPT-2 and GPT-3 are built from the same Transformer blocks as the model you trained: what changed is mostly scale '
      + '(more layers, wider vectors, longer context, more data). One design change: GPT-1 applies LayerNorm after each sub-layer (post-LN); '
      + 'GPT-2 and GPT-3 apply it before (pre-LN), which trains more stably when deep.'),
    hint,
    chartBox,
    h('p', { class: 'hint' }, 'Each step right on the axis is ten times more parameters. "Computed" comes from the same code that counted your model\'s parameters; '
      + '"reported" is the paper\'s figure (small differences come from details such as biases and rounding).'),
    h('div', { class: 'scale-table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Parameter counts (scrolls sideways)' }, table),
  );

  /** @type {{models: Entry[], yours: Entry | null, axis: {min: number, max: number}}} */
  const data = { models: [], yours: null, axis: { min: 10 ** MIN_EXP, max: 10 ** MAX_EXP } };
  root.panelData = data;
  /** @type {ReferenceModel[] | null} */
  let references = null;
  let width = 0;

  async function load() {
    setState(root, 'busy', 'Computing the reference configurations…');
    try {
      references = await ctx.call('referenceModels', {});
      render();
    } catch (err) {
      setState(root, 'error', `Could not compute the reference models: ${/** @type {Error} */ (err).message}`);
    }
  }

  /** What the reader's model is called: its preset, or "imported" for a Hugging Face GPT-2.
   *  @returns {string} */
  const kind = () => (ctx.origin?.huggingFace ? 'imported' : ctx.info.preset);
  /** The reader's model as a row like the references, or null before one exists. @returns {Row | null} */
  function yours() {
    const info = ctx.info;
    if (!info) return null;
    return { name: `Your model (${kind()})`, family: 'yours', config: info.config, paramCount: info.paramCount, reportedParams: null, step: info.step };
  }

  function render() {
    if (!references) return;
    const mine = yours();
    hint.textContent = mine
      ? `Your ${kind()} model has ${mine.paramCount.toLocaleString()} parameters (${shortNumber(mine.paramCount)}): `
        + `GPT-3 175B has ${ratioWords(/** @type {ReferenceModel} */ (references.at(-1)).paramCount / mine.paramCount)} times as many.` // GPT-3 175B is the last
      : 'Train a model (Pre-train, above) to place yours on the scale.';
    const rows = mine ? [mine, ...references] : references;
    width = chartBox.clientWidth || 600;
    chartBox.replaceChildren(chart(rows, width));
    table.replaceChildren(...tableRows(rows, mine));
    setState(root, 'ready');
  }

  /** One row per model on a shared log axis: names on the left, so labels can never overlap.
   *  @param {Row[]} rows @param {number} w @returns {SVGElement} */
  function chart(rows, w) {
    const narrow = w < 520;
    const labelW = narrow ? 112 : 170;
    const rowH = 22;
    const top = 26;
    const right = narrow ? 12 : 28;
    const height = top + rows.length * rowH + (narrow ? 6 : 22);
    const span = w - labelW - right;
    const x = (/** @type {number} */ n) => labelW + ((Math.log10(n) - MIN_EXP) / (MAX_EXP - MIN_EXP)) * span;
    const svg = s('svg', { width: w, height, viewBox: `0 0 ${w} ${height}`, role: 'img', class: 'scale-svg',
      'aria-label': `Parameter counts on a logarithmic axis from ${power(MIN_EXP)} to ${power(MAX_EXP)}` });
    for (let e = MIN_EXP; e <= MAX_EXP; e++) {
      const gx = x(10 ** e);
      svg.append(s('line', { x1: gx, x2: gx, y1: top - 6, y2: top + rows.length * rowH, class: 'scale-grid' }));
      if (!narrow || e % 3 === 0) svg.append(s('text', { x: gx, y: 14, class: 'scale-tick', 'text-anchor': 'middle' }, power(e)));
    }
    if (!narrow) {
      // Plain-language names of the powers of a thousand.
      for (const [e, word] of /** @type {[number, string][]} */ ([[3, 'thousand'], [6, 'million'], [9, 'billion'], [12, 'trillion']])) {
        svg.append(s('text', { x: x(10 ** e), y: height - 4, class: 'scale-word', 'text-anchor': e === MAX_EXP ? 'end' : 'middle' }, word));
      }
    }
    data.models = [];
    rows.forEach((m, i) => {
      const cy = top + i * rowH + rowH / 2;
      const cx = x(m.paramCount);
      const colour = FAMILY_COLOURS[m.family] ?? '#5b6575';
      const g = s('g', { class: `scale-row${m.family === 'yours' ? ' scale-yours' : ''}` });
      g.append(s('title', {}, `${m.name}: ${m.paramCount.toLocaleString()} parameters`));
      g.append(s('line', { x1: labelW, x2: cx, y1: cy, y2: cy, stroke: colour, 'stroke-opacity': 0.25, 'stroke-width': 2 }));
      g.append(s('text', { x: labelW - 8, y: cy + 4, 'text-anchor': 'end', class: 'scale-name', fill: m.family === 'yours' ? colour : 'currentColor' },
        narrow && m.family === 'yours' ? 'Your model' : m.name));
      if (m.family === 'yours') {
        g.append(s('rect', { x: cx - 6, y: cy - 6, width: 12, height: 12, fill: colour, transform: `rotate(45 ${cx} ${cy})` }));
      } else {
        g.append(s('circle', { cx, cy, r: 5, fill: colour }));
      }
      // The count beside its dot, on whichever side has room.
      const onLeft = cx > w - right - 44;
      g.append(s('text', { x: onLeft ? cx - 9 : cx + 9, y: cy + 4, 'text-anchor': onLeft ? 'end' : 'start', class: 'scale-value' }, shortNumber(m.paramCount)));
      svg.append(g);
      const entry = { name: m.name, family: m.family, paramCount: m.paramCount, reportedParams: m.reportedParams, x: cx, config: m.config };
      if (m.family === 'yours') data.yours = entry;
      else data.models.push(entry);
    });
    if (!rows.some((m) => m.family === 'yours')) data.yours = null;
    return svg;
  }

  /** @param {Row[]} rows @param {Row | null} mine @returns {HTMLElement[]} */
  function tableRows(rows, mine) {
    const head = h('tr', {}, ...[
      ['Model'], ['Family'], ['Layers', 'n_layer'], ['Width', 'n_embd: numbers per token vector'], ['Heads', 'n_head'], ['Context', 'block_size: tokens it can look back on'],
      ['Vocab', 'vocabulary size'], ['LayerNorm', 'post-LN: after each sub-layer; pre-LN: before'], ['Parameters', 'computed by the same config code as your model'],
      ['Reported', 'as published'], ['× yours', 'parameters relative to your model'],
    ].map(([t, title]) => h('th', { scope: 'col', title }, t)));
    const body = rows.map((m) => {
      const c = m.config;
      const isMine = m.family === 'yours';
      return h('tr', { class: isMine ? 'scale-yours' : '', dataset: { name: m.name } },
        h('th', { scope: 'row' }, h('span', { class: 'scale-swatch', style: `background:${FAMILY_COLOURS[m.family]}` }), m.name),
        h('td', {}, isMine ? '—' : m.family),
        h('td', {}, c.n_layer), h('td', {}, c.n_embd.toLocaleString()), h('td', {}, c.n_head), h('td', {}, c.block_size.toLocaleString()),
        h('td', {}, c.vocab_size.toLocaleString()), h('td', {}, `${c.ln_placement}-LN`),
        h('td', { title: m.paramCount.toLocaleString(), dataset: { role: 'computed' } }, shortNumber(m.paramCount)),
        h('td', {}, m.reportedParams ? shortNumber(m.reportedParams) : '—'),
        h('td', {}, mine ? (isMine ? '1×' : times(m.paramCount / mine.paramCount)) : '–'));
    });
    return [h('thead', {}, head), h('tbody', {}, ...body)];
  }

  ctx.events.addEventListener('model', render);
  ctx.events.addEventListener('trained', render);
  onWidthChange(chartBox, (w) => {
    if (references && w && w !== width) render();
  }, ctx.signal);
  load();
}
