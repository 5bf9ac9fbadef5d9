// The ring all-reduce's arithmetic (www/lib/worker/ring.js) and the data-parallel helpers of the
// page (www/lib/parallel.js), in Node: the chunks tile the gradients, the plan sums every chunk
// exactly once and hands every rank the same bits, and the worker counts divide the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkRange, ringPlan } from '../www/lib/worker/ring.js';
import { meanOf, workerCount } from '../www/lib/parallel.js';

test('the chunks tile the gradients exactly, in nearly equal sizes', () => {
  for (const length of [0, 1, 5, 7, 100, 4099]) {
    for (const size of [1, 2, 3, 4, 7, 16]) {
      let end = 0;
      const sizes = [];
      for (let c = 0; c < size; c++) {
        const [a, b] = chunkRange(length, size, c);
        assert.equal(a, end, `chunk ${c} of ${size} starts where the last ended (length ${length})`);
        end = b;
        sizes.push(b - a);
      }
      assert.equal(end, length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
    }
  }
});

/** Runs the ring plan of `size` ranks over their gradients (Float32Arrays), round by round, as the
 *  workers do with their ports; returns every rank's result (the mean, before scaling: the sum). */
function simulate(grads) {
  const size = grads.length;
  const plans = grads.map((_, r) => ringPlan(r, size));
  const chunk = (g, c) => g.subarray(...chunkRange(g.length, size, c));
  const rounds = plans[0].length;
  for (let i = 0; i < rounds; i++) {
    // Every rank sends at once, then takes what its previous rank sent.
    const sent = grads.map((g, r) => chunk(g, plans[r][i].send).slice());
    grads.forEach((g, r) => {
      const heard = sent[(r + size - 1) % size];
      const { into, add } = plans[r][i];
      const mine = chunk(g, into);
      assert.equal(heard.length, mine.length, `rank ${r} round ${i}: the chunk heard fits the chunk it goes into`);
      if (add) for (let j = 0; j < mine.length; j++) mine[j] += heard[j];
      else mine.set(heard);
    });
  }
  return grads;
}

test('the ring plan gives every rank the sum of all ranks, bit for bit the same', () => {
  for (const size of [1, 2, 3, 4, 5, 8]) {
    const length = 37;
    const grads = Array.from({ length: size }, (_, r) => Float32Array.from({ length }, (_, j) => Math.sin(r * 31 + j) * 10 ** ((j % 5) - 2)));
    const expected = new Float64Array(length);
    for (const g of grads) g.forEach((v, j) => { expected[j] += v; });
    const out = simulate(grads.map((g) => g.slice()));
    for (let r = 0; r < size; r++) {
      assert.deepEqual(out[r], out[0], `rank ${r} has rank 0's bits`);
      out[r].forEach((v, j) => assert.ok(Math.abs(v - expected[j]) <= 1e-5 * Math.max(1, Math.abs(expected[j])), `size ${size} rank ${r} value ${j}: ${v} vs ${expected[j]}`));
    }
  }
});

test('each round, every rank sends a different chunk (no chunk is summed twice)', () => {
  for (const size of [2, 3, 6]) {
    for (let i = 0; i < 2 * (size - 1); i++) {
      const sent = new Set(Array.from({ length: size }, (_, r) => ringPlan(r, size)[i].send));
      assert.equal(sent.size, size);
    }
  }
  assert.deepEqual(ringPlan(0, 1), [], 'one worker: nothing to exchange');
});

test('the page averages gradients (allReduce: "page") into the first buffer', () => {
  const a = Float32Array.of(1, 2, 3);
  const mean = meanOf([a, Float32Array.of(3, 4, 5), Float32Array.of(5, 6, 7)]);
  assert.equal(mean, a);
  assert.deepEqual([...mean], [3, 4, 5]);
});

test('workers: auto is one per core but one from the baby preset up, and always divides the batch', () => {
  assert.equal(workerCount({ asked: 'auto', paramCount: 30_000, batchSize: 16, cores: 8 }), 1, 'a tiny model trains in one');
  assert.equal(workerCount({ asked: 'auto', paramCount: 800_000, batchSize: 16, cores: 8 }), 4, '7 workers do not divide 16: 4');
  assert.equal(workerCount({ asked: 'auto', paramCount: 800_000, batchSize: 12, cores: 4 }), 3);
  assert.equal(workerCount({ asked: 'auto', paramCount: 800_000, batchSize: 64, cores: 32 }), 8, 'at most 8');
  assert.equal(workerCount({ asked: 'auto', paramCount: 800_000, batchSize: 16, cores: 1 }), 1);
  assert.equal(workerCount({ asked: 3, paramCount: 10, batchSize: 16 }), 2, 'asked 3 of a batch of 16: 2');
  assert.equal(workerCount({ asked: 16, batchSize: 16 }), 16);
});
