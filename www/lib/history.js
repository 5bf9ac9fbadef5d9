// @ts-check
// A loss history of bounded size, for runs of any length. Each point stands for `stride`
// consecutive steps (their mean, min and max); when the points exceed `capacity`, neighbours
// merge in pairs and the stride doubles, so the resolution stays the same over the whole run. A
// chart draws the means as the line and the min/max as a band, so a spike survives the merging.
// The first and the latest few raw values are kept apart for the figures the page shows (first
// loss, mean of the last five).

const RAW = 5;

/**
 * @typedef {object} HistoryData A History as plain data (`toJSON()`).
 * @property {number} [capacity]
 * @property {Point[]} points
 * @property {number} [stride]
 * @property {number[]} first
 * @property {number[]} recent
 * @property {number} count
 */
/** @typedef {[lastStep: number, mean: number, min: number, max: number, count: number, firstStep: number]} Point */

export class History {
  /** @param {number} capacity most points kept (at least 8) */
  constructor(capacity = 4096) {
    this.capacity = Math.max(8, capacity);
    /** [lastStep, mean, min, max, count, firstStep] per point, steps increasing @type {Point[]} */
    this.points = [];
    this.stride = 1; // steps per point
    /** @type {number[]} */
    this.first = []; // the first RAW values
    /** @type {number[]} */
    this.recent = []; // the latest RAW values
    this.count = 0; // values pushed
  }

  /**
   * Appends the value of `step` (steps must increase).
   * @param {number} step
   * @param {number} value
   */
  push(step, value) {
    this.count++;
    if (this.first.length < RAW) this.first.push(value);
    this.recent.push(value);
    if (this.recent.length > RAW) this.recent.shift();
    const last = this.points.at(-1);
    if (last && last[4] < this.stride) {
      const n = last[4] + 1;
      last[0] = step;
      last[1] += (value - last[1]) / n;
      last[2] = Math.min(last[2], value);
      last[3] = Math.max(last[3], value);
      last[4] = n;
    } else {
      this.points.push([step, value, value, value, 1, step]);
    }
    if (this.points.length > this.capacity) this.#halve();
  }

  #halve() {
    /** @type {Point[]} */
    const merged = [];
    for (let i = 0; i < this.points.length; i += 2) {
      const a = this.points[i];
      const b = this.points[i + 1];
      if (!b) {
        merged.push(a);
        continue;
      }
      const n = a[4] + b[4];
      merged.push([b[0], (a[1] * a[4] + b[1] * b[4]) / n, Math.min(a[2], b[2]), Math.max(a[3], b[3]), n, a[5]]);
    }
    this.points = merged;
    this.stride *= 2;
  }

  /** Plain data (for a snapshot kept in IndexedDB). @returns {HistoryData} */
  toJSON() {
    return { capacity: this.capacity, points: this.points, stride: this.stride, first: this.first, recent: this.recent, count: this.count };
  }

  /**
   * A History from `toJSON()`'s data.
   * @param {HistoryData | null | undefined} data
   */
  static from(data) {
    const h = new History(data?.capacity);
    if (data) {
      Object.assign(h, { points: data.points.map((p) => /** @type {Point} */ ([...p])), stride: data.stride ?? 1, first: [...data.first], recent: [...data.recent], count: data.count });
    }
    return h;
  }

  /** Drops what came after `step` (a run restored from a snapshot taken at `step`); a point that
   *  straddles `step` stays whole.
   * @param {number} step
   */
  truncate(step) {
    this.points = this.points.filter((p) => p[5] <= step);
    this.count = this.points.reduce((a, p) => a + p[4], 0);
    if (this.count < this.first.length) this.first = this.first.slice(0, this.count);
    this.recent = this.points.slice(-RAW).map((p) => p[1]);
    return this;
  }

  get length() { return this.points.length; }
  /** The last value pushed (NaN before any). */
  get last() { return this.recent.at(-1) ?? NaN; }
  /** Mean of the first five values. */
  get firstMean() { return mean(this.first); }
  /** Mean of the latest five values. */
  get recentMean() { return mean(this.recent); }
  /** [step, value] pairs for drawing: each point at the middle of its steps, at their mean. @returns {[number, number][]} */
  pairs() { return this.points.map((p) => [(p[0] + p[5]) / 2, p[1]]); }
  /** [step, min, max] for a band behind the line. @returns {[number, number, number][]} */
  band() { return this.points.map((p) => [(p[0] + p[5]) / 2, p[2], p[3]]); }
  /** True once points stand for more than one value (the chart then shows a min/max band). */
  get merged() { return this.stride > 1; }
}

const mean = (/** @type {number[]} */ xs) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : NaN);
