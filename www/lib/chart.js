// @ts-check
// A small loss chart on a canvas: training loss (every step, smoothed) and validation loss
// (at each evaluation). Plain canvas: a charting library would add more than this file.

/**
 * @typedef {object} Series One line of the chart.
 * @property {string} label
 * @property {string} color
 * @property {[number, number][]} points `[step, loss]`
 * @property {boolean} [dashed]
 * @property {number[]} [dash] `[on, off, …]`, instead of `dashed`'s.
 * @property {boolean} [markers]
 * @property {[number, number, number][] | null} [band] `[step, low, high]`
 */

export class LossChart {
  /** `signal` (optional) ends the chart's resize observer, e.g. a panel's ctx.signal;
   *  `summary` (optional) is an element that gets the chart's text alternative: a sentence per
   *  series (first, last and lowest value), which the canvas names with aria-describedby.
   * @param {HTMLCanvasElement} canvas
   * @param {{signal?: AbortSignal, summary?: HTMLElement}} [options]
   */
  constructor(canvas, { signal, summary } = {}) {
    this.canvas = canvas;
    /** @type {Series[]} */
    this.series = [];
    this.summary = summary ?? null;
    if (summary) {
      summary.id ||= `gpt-chart-summary-${++charts}`;
      canvas.setAttribute('aria-describedby', summary.id);
    }
    const observer = new ResizeObserver(() => this.draw());
    observer.observe(canvas);
    signal?.addEventListener('abort', () => observer.disconnect(), { once: true });
  }

  /** `series`: [{label, color, points: [[step, loss], ...], dashed? or dash: [on, off, …],
   *  markers?, band?}]; `band`:
   *  [[step, low, high], ...] drawn as a light area behind the line. Series differ by dash and
   *  markers as well as colour, for readers who cannot tell the colours apart.
   * @param {Series[]} series
   */
  setSeries(series) {
    this.series = series;
    this.draw();
    if (this.summary) this.summary.textContent = describeSeries(series);
  }

  draw() {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (!w || !h) return;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')); // a chart's canvas has no other context
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const style = getComputedStyle(canvas);
    const fg = style.color;
    const grid = style.getPropertyValue('--grid') || '#ddd';
    ctx.font = '12px system-ui, sans-serif';
    const all = this.series.flatMap((s) => s.points);
    for (const s of this.series) for (const [px, lo, hi] of s.band ?? []) all.push([px, lo], [px, hi]);
    const pad = { l: 44, r: 12, t: 10, b: 24 };
    if (all.length === 0) {
      ctx.fillStyle = fg;
      ctx.textAlign = 'center';
      ctx.fillText('The loss curve appears here when training starts.', w / 2, h / 2);
      return;
    }
    // Loops, not Math.max(...all): spreading 10^5 points overflows the call stack.
    let maxX = 1;
    let minY = Infinity;
    let maxY = -Infinity;
    for (const [px, py] of all) {
      if (px > maxX) maxX = px;
      if (Number.isFinite(py)) {
        if (py < minY) minY = py;
        if (py > maxY) maxY = py;
      }
    }
    if (!Number.isFinite(minY)) [minY, maxY] = [0, 1];
    if (maxY - minY < 1e-6) maxY = minY + 1;
    const margin = (maxY - minY) * 0.05;
    minY = Math.max(0, minY - margin);
    maxY += margin;
    const x = (/** @type {number} */ v) => pad.l + (v / maxX) * (w - pad.l - pad.r);
    const y = (/** @type {number} */ v) => pad.t + (1 - (v - minY) / (maxY - minY)) * (h - pad.t - pad.b);

    ctx.strokeStyle = grid;
    ctx.fillStyle = fg;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = minY + ((maxY - minY) * i) / 4;
      ctx.beginPath();
      ctx.moveTo(pad.l, y(v));
      ctx.lineTo(w - pad.r, y(v));
      ctx.stroke();
      ctx.fillText(v.toFixed(2), pad.l - 6, y(v));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let i = 0; i <= 4; i++) {
      const v = Math.round((maxX * i) / 4);
      // The last label ends at the axis end instead of overflowing the canvas.
      ctx.textAlign = i === 4 ? 'right' : 'center';
      ctx.fillText(String(v), x(v), h - pad.b + 6);
    }

    for (const s of this.series) {
      if (s.band?.length) {
        ctx.globalAlpha = 0.18;
        ctx.fillStyle = s.color;
        ctx.beginPath();
        s.band.forEach(([px, , hi], i) => (i ? ctx.lineTo(x(px), y(hi)) : ctx.moveTo(x(px), y(hi))));
        for (let i = s.band.length - 1; i >= 0; i--) ctx.lineTo(x(s.band[i][0]), y(s.band[i][1]));
        ctx.closePath();
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      if (s.points.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dash ?? (s.dashed ? [5, 4] : []));
      ctx.beginPath();
      s.points.forEach(([px, py], i) => (i ? ctx.lineTo(x(px), y(py)) : ctx.moveTo(x(px), y(py))));
      ctx.stroke();
      ctx.setLineDash([]);
      if (s.points.length < 3 || (s.markers && s.points.length <= 60)) {
        for (const [px, py] of s.points) {
          ctx.beginPath();
          ctx.arc(x(px), y(py), 3, 0, Math.PI * 2);
          ctx.fillStyle = s.color;
          ctx.fill();
        }
      }
    }
    ctx.setLineDash([]);
  }
}

let charts = 0;

/**
 * One sentence per series: where it starts, where it ends and its lowest value.
 * @param {Series[]} series
 */
export function describeSeries(series) {
  const f = (/** @type {number} */ v) => (Number.isFinite(v) ? v.toFixed(3) : '–');
  const parts = series.filter((s) => s.points.length).map((s) => {
    const first = s.points[0];
    const last = /** @type {[number, number]} */ (s.points.at(-1)); // the series has points
    let low = first;
    for (const p of s.points) if (p[1] < low[1]) low = p;
    return s.points.length === 1
      ? `${s.label}: ${f(first[1])} at step ${first[0]}.`
      : `${s.label}: ${f(first[1])} at step ${first[0]}, ${f(last[1])} at step ${last[0]}, lowest ${f(low[1])} at step ${low[0]}.`;
  });
  return parts.length ? parts.join(' ') : 'No values yet.';
}

/**
 * Exponential moving average of [step, loss] points (the raw per-step loss is noisy).
 * @param {[number, number][]} points
 * @returns {[number, number][]}
 */
export function smooth(points, alpha = 0.1) {
  /** @type {number | null} */
  let avg = null;
  return points.map(([s, v]) => {
    avg = avg === null ? v : avg + alpha * (v - avg);
    return [s, avg];
  });
}
