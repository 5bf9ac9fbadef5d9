// @ts-check
// The embedding panel's analysis of a model's embedding tables, run in the model worker (the
// `embeddingMap` and `neighbours` requests, PROTOCOL.md) so that the page stays responsive even for
// GPT-2's 50,257 x 768 table: the token table projected to 2-D with PCA, the cosine similarity of
// the position embeddings, and a token's nearest neighbours. Pure functions, tested in Node
// (tests/embedding-map.test.mjs).

const POWER_ITERATIONS = 500;
/** PCA's directions come from at most this many rows (evenly spaced token ids); every row is then
 *  projected onto them. Up to it, the PCA is exact; GPT-2's table has 50,257 rows, whose full
 *  covariance (50,257 x 768 x 768 multiply-adds) would take the worker half a minute. */
export const PCA_ROWS = 2048;

/** @typedef {Float32Array | Float64Array | number[]} Vector A flat table or a vector. */

/** Column means of the rows of X [n×C] (flat). @param {Vector} X @param {number} n @param {number} C */
function columnMeans(X, n, C) {
  const mean = new Float64Array(C);
  for (let i = 0; i < n; i++) for (let j = 0; j < C; j++) mean[j] += X[i * C + j];
  for (let j = 0; j < C; j++) mean[j] /= Math.max(1, n);
  return mean;
}

/** Covariance [C×C] of the rows `ids` of X [n×C] (flat), centred on `mean`. @param {Vector} X @param {number} C @param {number[]} ids @param {Float64Array} mean */
function covariance(X, C, ids, mean) {
  const cov = new Float64Array(C * C);
  const centred = new Float64Array(C);
  for (const i of ids) {
    for (let j = 0; j < C; j++) centred[j] = X[i * C + j] - mean[j];
    for (let a = 0; a < C; a++) {
      const xa = centred[a];
      if (xa === 0) continue;
      for (let b = a; b < C; b++) cov[a * C + b] += xa * centred[b];
    }
  }
  for (let a = 0; a < C; a++) for (let b = a; b < C; b++) {
    cov[a * C + b] /= Math.max(1, ids.length - 1);
    cov[b * C + a] = cov[a * C + b];
  }
  return cov;
}

/** a·b. A loop, not `reduce`: a reduce callback boxed every partial sum (a heap number each),
 *  which made this the page's largest source of garbage (about 4 MB per trained tiny model). */
/** @param {Vector} a @param {Vector} b */
function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
const norm = (/** @type {Vector} */ a) => Math.sqrt(dot(a, a));

/** Top eigenvector of the symmetric matrix M [C×C] by power iteration, kept orthogonal to `against`.
 *  The start vector is fixed (not random), so the same weights always give the same picture. */
/** @param {Float64Array} M @param {number} C @param {number[][]} [against] @returns {{vector: number[], lambda: number}} */
function topEigenvector(M, C, against = []) {
  let v = Float64Array.from({ length: C }, (_, j) => 1 + 0.5 * Math.sin(j + 1));
  // Two buffers, swapped each iteration: no allocation per step (up to 500 of them per redraw).
  let w = new Float64Array(C);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    for (let a = 0; a < C; a++) {
      let s = 0;
      for (let b = 0; b < C; b++) s += M[a * C + b] * v[b];
      w[a] = s;
    }
    for (const u of against) {
      const d = dot(w, u);
      for (let j = 0; j < C; j++) w[j] -= d * u[j];
    }
    const len = norm(w);
    if (len === 0) break;
    let change = 0;
    for (let j = 0; j < C; j++) {
      w[j] /= len;
      change += (w[j] - v[j]) ** 2;
    }
    [v, w] = [w, v];
    if (change < 1e-14) break;
  }
  let vector = Array.from(v);
  // An eigenvector's sign is arbitrary: make its largest loading positive so the plot does not flip.
  let big = 0;
  for (let j = 1; j < C; j++) if (Math.abs(vector[j]) > Math.abs(vector[big])) big = j;
  if (vector[big] < 0) vector = vector.map((x) => -x);
  let lambda = 0;
  for (let a = 0; a < C; a++) {
    let s = 0;
    for (let b = 0; b < C; b++) s += M[a * C + b] * vector[b];
    lambda += vector[a] * s;
  }
  return { vector, lambda };
}

/**
 * The first two principal components of the rows of X [n×C] (from at most PCA_ROWS evenly spaced
 * rows), and every row projected onto them: `points` is [x0, y0, x1, y1, …] (n pairs), centred.
 * `sampled` is the number of rows the directions came from when that is fewer than n.
 */
/** @param {Vector} X @param {number} n @param {number} C */
export function pca2(X, n, C) {
  const mean = columnMeans(X, n, C);
  const m = Math.min(n, PCA_ROWS);
  const ids = m === n ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
  const cov = covariance(X, C, ids, mean);
  let first = topEigenvector(cov, C);
  // Deflation: remove the first component's variance, then find the top one of what is left.
  const deflated = cov.slice();
  for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) deflated[a * C + b] -= first.lambda * first.vector[a] * first.vector[b];
  let second = topEigenvector(deflated, C, [first.vector]);
  // Should power iteration stop short, keep the components in order of the variance they explain.
  if (second.lambda > first.lambda) [first, second] = [second, first];
  let trace = 0;
  for (let a = 0; a < C; a++) trace += cov[a * C + a];
  const points = new Float64Array(2 * n);
  const [u, v] = [first.vector, second.vector];
  for (let i = 0; i < n; i++) {
    let x = 0;
    let y = 0;
    for (let j = 0; j < C; j++) {
      const c = X[i * C + j] - mean[j];
      x += c * u[j];
      y += c * v[j];
    }
    points[2 * i] = x;
    points[2 * i + 1] = y;
  }
  return {
    points,
    components: [u, v],
    explained: [first.lambda / trace, second.lambda / trace],
    orthogonality: dot(u, v),
    sampled: m < n ? m : null,
  };
}

/** Row `i` of the flat [n×C] array (a view of a typed array; a copy of a plain one). */
const row = (/** @type {Vector} */ X, /** @type {number} */ i, /** @type {number} */ C) => (Array.isArray(X) ? X.slice(i * C, (i + 1) * C) : X.subarray(i * C, (i + 1) * C));
/** @param {Vector} a @param {Vector} b */
function cosine(a, b) {
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot(a, b) / d;
}

/** The `k` rows most similar to row `i` by cosine similarity, most similar first: `[{id, cosine}]`. */
/** @param {Vector} X @param {number} n @param {number} C @param {number} i @param {number} k */
export function nearest(X, n, C, i, k) {
  const target = row(X, i, C);
  const t = norm(target);
  /** @type {{id: number, cosine: number}[]} */
  const best = []; // the k best so far, most similar first
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    let d = 0;
    let q = 0;
    for (let c = 0; c < C; c++) {
      const x = X[j * C + c];
      d += x * target[c];
      q += x * x;
    }
    const cos = t === 0 || q === 0 ? 0 : d / (t * Math.sqrt(q));
    if (best.length === k && cos <= best[k - 1].cosine) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].cosine < cos) at--;
    best.splice(at, 0, { id: j, cosine: cos });
    if (best.length > k) best.pop();
  }
  return best;
}

/** Cosine similarity of every pair of rows of P [T×C]: a [T][T] array. */
/** @param {Vector} P @param {number} T @param {number} C */
export function similarityMatrix(P, T, C) {
  const rows = Array.from({ length: T }, (_, i) => row(P, i, C));
  return rows.map((a) => rows.map((b) => cosine(a, b)));
}
