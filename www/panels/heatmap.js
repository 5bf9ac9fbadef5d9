// @ts-check
// Attention heatmaps, shared by the attention and mask panels: a [T, T] matrix of weights drawn
// white -> blue, token labels on both axes, the masked (future) cells hatched, and the colour scale.
import { blues, h, sizeCanvas } from './ui.js';

const LABEL_FONT = '11px ui-monospace, SFMono-Regular, Menlo, monospace';
const MAX_LABEL = 56; // px: longer token labels (BPE) are cut with an ellipsis

/** Cut a label to `max` px wide. @param {CanvasRenderingContext2D} g @param {string} text @param {number} max */
function fitLabel(g, text, max) {
  if (g.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && g.measureText(`${s}…`).width > max) s = s.slice(0, -1);
  return `${s}…`;
}

/** @type {CanvasRenderingContext2D | null} */
let measuring = null;
/** One 2-D context for measuring label text, made once: a canvas per layout is garbage whose
 *  backing store some engines (WebKit) return only at their next full collection. */
function measurer() {
  // A fresh canvas always gives a 2-D context.
  measuring ??= /** @type {CanvasRenderingContext2D} */ (document.createElement('canvas').getContext('2d'));
  return measuring;
}

/** How big a labelled T×T heatmap can be drawn in `width` px: the cell size and label room.
 *  @param {string[]} labels @param {number} width @param {{maxCell?: number, minCell?: number}} [options] */
export function heatmapLayout(labels, width, { maxCell = 22, minCell = 5 } = {}) {
  const g = measurer();
  g.font = LABEL_FONT;
  const labelW = Math.min(MAX_LABEL, Math.max(8, ...labels.map((l) => g.measureText(l).width))) + 6;
  const T = labels.length;
  const cell = Math.max(minCell, Math.min(maxCell, Math.floor((width - labelW - 4) / T)));
  // Column labels stand upright when each fits in its cell, else they are turned on their side.
  const upright = labelW - 6 <= cell;
  const top = upright ? 16 : labelW;
  return { cell, left: labelW, top, upright, width: labelW + cell * T + 2, height: top + cell * T + 2 };
}

/** Where a heatmap's cells and labels go (`heatmapLayout`). @typedef {ReturnType<typeof heatmapLayout>} HeatmapLayout */

/**
 * Draw the attention matrix `weights` (row-major [T, T], row = query, column = key) on `canvas`
 * with token labels: white -> blue by weight. `masked` hatches the cells above the diagonal (the
 * causal mask); `values` prints the weight in cells large enough; `row` outlines a query row.
 * @param {HTMLCanvasElement} canvas @param {ArrayLike<number>} weights @param {string[]} labels @param {HeatmapLayout} layout
 * @param {{masked?: boolean, values?: boolean, row?: number}} [options]
 */
export function drawHeatmap(canvas, weights, labels, layout, { masked = false, values = false, row = -1 } = {}) {
  const T = labels.length;
  const { cell, left, top, upright } = layout;
  const g = /** @type {CanvasRenderingContext2D} */ (sizeCanvas(canvas, layout.width, layout.height));
  g.clearRect(0, 0, layout.width, layout.height);
  g.font = LABEL_FONT;
  g.fillStyle = '#5b6575';
  const showLabels = cell >= 8;
  for (let i = 0; i < T && showLabels; i++) {
    const text = fitLabel(g, labels[i], left - 6);
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    g.fillText(text, left - 4, top + (i + 0.5) * cell);
    g.save();
    if (upright) {
      g.textAlign = 'center';
      g.textBaseline = 'bottom';
      g.fillText(text, left + (i + 0.5) * cell, top - 3);
    } else {
      g.translate(left + (i + 0.5) * cell, top - 4);
      g.rotate(-Math.PI / 2);
      g.textAlign = 'left';
      g.fillText(text, 0, 0);
    }
    g.restore();
  }
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const x = left + j * cell;
      const y = top + i * cell;
      if (masked && j > i) {
        hatch(g, x, y, cell);
        continue;
      }
      const w = weights[i * T + j];
      g.fillStyle = blues(w);
      g.fillRect(x, y, cell, cell);
      if (values && cell >= 26) {
        g.fillStyle = w > 0.55 ? '#fff' : '#1c2330';
        g.textAlign = 'center';
        g.textBaseline = 'middle';
        g.font = '9px system-ui, sans-serif';
        g.fillText(w.toFixed(2).replace(/^0/, ''), x + cell / 2, y + cell / 2);
        g.font = LABEL_FONT;
      }
    }
  }
  g.strokeStyle = '#dde1e7';
  g.lineWidth = 1;
  g.strokeRect(left - 0.5, top - 0.5, cell * T + 1, cell * T + 1);
  if (row >= 0 && row < T) {
    g.strokeStyle = '#e8590c';
    g.lineWidth = 2;
    g.strokeRect(left + 1, top + row * cell + 1, cell * T - 2, cell - 2);
  }
}

/** A grey cell with diagonal stripes: a masked (future) position.
 *  @param {CanvasRenderingContext2D} g @param {number} x @param {number} y @param {number} cell */
function hatch(g, x, y, cell) {
  g.fillStyle = '#eceef2';
  g.fillRect(x, y, cell, cell);
  g.save();
  g.beginPath();
  g.rect(x, y, cell, cell);
  g.clip();
  g.strokeStyle = '#b7bec9';
  g.lineWidth = 1;
  for (let d = -cell; d < cell; d += 5) {
    g.beginPath();
    g.moveTo(x + d, y + cell);
    g.lineTo(x + d + cell, y);
    g.stroke();
  }
  g.restore();
}

/** A plain heatmap without labels (the small multiples).
 *  @param {HTMLCanvasElement} canvas @param {ArrayLike<number>} weights @param {number} T @param {number} size */
export function drawThumb(canvas, weights, T, size) {
  const g = /** @type {CanvasRenderingContext2D} */ (sizeCanvas(canvas, size, size));
  const cell = size / T;
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      g.fillStyle = blues(weights[i * T + j]);
      // Slight overlap so no seams show between fractional cells.
      g.fillRect(j * cell, i * cell, cell + 0.5, cell + 0.5);
    }
  }
}

/** The [T, T] matrix of one head from an Inspection's per-layer flat [H, T, T] array.
 *  @param {Pick<import('../pkg/cpu/gpt_wasm.js').Inspection, 'tokens' | 'attention'>} inspection @param {number} layer @param {number} head */
export function headMatrix(inspection, layer, head) {
  const T = inspection.tokens.length;
  return inspection.attention[layer].slice(head * T * T, (head + 1) * T * T);
}

/** A white -> blue colour scale from 0 to 1. @param {string} prefix */
export function colourLegend(prefix) {
  return h('div', { class: `${prefix}-legend`, 'aria-label': 'Colour scale: white is weight 0, dark blue is weight 1' },
    h('span', {}, '0'), h('span', { class: `${prefix}-ramp`, style: `background: linear-gradient(to right, ${blues(0)}, ${blues(0.5)}, ${blues(1)})` }), h('span', {}, '1'),
    h('span', { class: `${prefix}-legend-note` }, 'attention weight'));
}
