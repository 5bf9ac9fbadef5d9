// The embedding panel's math (www/lib/embedding-map.js), in Node: PCA finds a known plane and
// orders its components, the projections are centred and uncorrelated, a large table takes its
// directions from a sample, and the neighbours are the brute-force nearest by cosine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PCA_ROWS, nearest, pca2, similarityMatrix } from '../www/lib/embedding-map.js';

/** n rows of C columns: 3·a along e0 plus 1·b along e1 plus small noise (a, b, noise deterministic). */
function plane(n, C) {
  const X = new Float32Array(n * C);
  let s = 7;
  const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; };
  for (let i = 0; i < n; i++) {
    const [a, b] = [rnd(), rnd()];
    for (let j = 0; j < C; j++) X[i * C + j] = 0.01 * rnd();
    X[i * C] += 3 * a;
    X[i * C + 1] += b;
  }
  return X;
}

test('PCA finds the plane the rows lie in, first the wider direction, projections centred and uncorrelated', () => {
  const n = 500;
  const C = 8;
  const p = pca2(plane(n, C), n, C);
  assert.equal(p.sampled, null, 'every row used');
  assert.ok(Math.abs(Math.abs(p.components[0][0]) - 1) < 1e-3, `PC1 ${p.components[0]}`);
  assert.ok(Math.abs(Math.abs(p.components[1][1]) - 1) < 1e-3, `PC2 ${p.components[1]}`);
  assert.ok(p.explained[0] > p.explained[1] && p.explained[0] + p.explained[1] > 0.99, `${p.explained}`);
  assert.ok(Math.abs(p.orthogonality) < 1e-9);
  const xs = Array.from({ length: n }, (_, i) => p.points[2 * i]);
  const ys = Array.from({ length: n }, (_, i) => p.points[2 * i + 1]);
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(mean(xs)) < 1e-9 && Math.abs(mean(ys)) < 1e-9);
  const cov = mean(xs.map((x, i) => x * ys[i]));
  assert.ok(Math.abs(cov) < 1e-6, `cov ${cov}`);
});

test('a table larger than PCA_ROWS takes its directions from a sample and still projects every row', () => {
  const n = PCA_ROWS * 2 + 3;
  const C = 4;
  const p = pca2(plane(n, C), n, C);
  assert.equal(p.sampled, PCA_ROWS);
  assert.equal(p.points.length, 2 * n);
  assert.ok(Math.abs(Math.abs(p.components[0][0]) - 1) < 1e-2, 'the sample finds the same plane');
});

test('neighbours are the brute-force nearest by cosine, most similar first, without the token itself', () => {
  const n = 300;
  const C = 6;
  const X = plane(n, C);
  const cos = (i, j) => {
    let d = 0; let a = 0; let b = 0;
    for (let c = 0; c < C; c++) { d += X[i * C + c] * X[j * C + c]; a += X[i * C + c] ** 2; b += X[j * C + c] ** 2; }
    return d / Math.sqrt(a * b);
  };
  for (const i of [0, 17, 299]) {
    const want = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => cos(i, b) - cos(i, a)).slice(0, 8);
    const got = nearest(X, n, C, i, 8);
    assert.deepEqual(got.map((g) => g.id), want);
    got.forEach((g) => assert.ok(Math.abs(g.cosine - cos(i, g.id)) < 1e-6));
  }
});

test('position similarity is symmetric with a unit diagonal', () => {
  const T = 5;
  const C = 3;
  const S = similarityMatrix(plane(T, C), T, C);
  S.forEach((row, i) => row.forEach((v, j) => {
    if (i === j) assert.ok(Math.abs(v - 1) < 1e-6);
    assert.equal(v, S[j][i]);
  }));
});
