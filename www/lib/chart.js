// A small loss chart on a canvas: training loss (every step, smoothed) and validation loss
// (at each evaluation). Plain canvas: a charting library would add more than this file.
export class LossChart {
  /** `signal` (optional) ends the chart's resize observer, e.g. a panel's ctx.signal. */
  constructor(canvas, { signal } = {}) {
    this.canvas = canvas;
    this.series = [];
    const observer = new ResizeObserver(() => this.draw());
    observer.observe(canvas);
    signal?.addEventListener('abort', () => observer.disconnect(), { once: true });
  }

  /** `series`: [{label, color, points: [[step, loss], ...], dashed?}] */
  setSeries(series) {
    this.series = series;
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (!w || !h) return;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const style = getComputedStyle(canvas);
    const fg = style.color;
    const grid = style.getPropertyValue('--grid') || '#ddd';
    ctx.font = '12px system-ui, sans-serif';
    const all = this.series.flatMap((s) => s.points);
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
    const x = (v) => pad.l + (v / maxX) * (w - pad.l - pad.r);
    const y = (v) => pad.t + (1 - (v - minY) / (maxY - minY)) * (h - pad.t - pad.b);

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
      if (s.points.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dashed ? [5, 4] : []);
      ctx.beginPath();
      s.points.forEach(([px, py], i) => (i ? ctx.lineTo(x(px), y(py)) : ctx.moveTo(x(px), y(py))));
      ctx.stroke();
      if (s.points.length < 3) {
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

/** Exponential moving average of [step, loss] points (the raw per-step loss is noisy). */
export function smooth(points, alpha = 0.1) {
  let avg = null;
  return points.map(([s, v]) => {
    avg = avg === null ? v : avg + alpha * (v - avg);
    return [s, avg];
  });
}
