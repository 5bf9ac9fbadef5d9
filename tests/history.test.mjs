// The loss history (www/lib/history.js): bounded for runs of any length, with the first and the
// latest values and every spike kept. In Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../www/lib/history.js';
import { describeSeries } from '../www/lib/chart.js';

test('200,000 steps fit in the capacity; means, extremes and the first and last values survive', () => {
  const h = new History(1024);
  let sum = 0;
  for (let step = 1; step <= 200_000; step++) {
    const v = step === 123_457 ? 99 : 4 - step / 100_000;
    sum += v;
    h.push(step, v);
  }
  assert.ok(h.length <= 1024 && h.length > 512, `${h.length} points`);
  assert.equal(h.count, 200_000);
  assert.equal(h.points.at(-1)[0], 200_000, 'the last point is at the last step');
  assert.equal(h.points.reduce((a, p) => a + p[4], 0), 200_000, 'every value is counted once');
  const mean = h.points.reduce((a, p) => a + p[1] * p[4], 0) / 200_000;
  assert.ok(Math.abs(mean - sum / 200_000) < 1e-9, 'the means keep the overall mean');
  assert.equal(Math.max(...h.points.map((p) => p[3])), 99, 'a one-step spike survives as a maximum');
  assert.ok(h.merged);
  assert.equal(h.firstMean, 4 - 3 / 100_000);
  assert.equal(h.last, 2);
  // A snapshot round-trip, then a restore to an earlier step.
  const back = History.from(JSON.parse(JSON.stringify(h.toJSON()))).truncate(100_000);
  assert.ok(back.points.at(-1)[5] <= 100_000 && back.points.at(-1)[0] >= 100_000 - h.stride, 'cut at the step');
  assert.equal(back.points[0][5], 1, 'from the first step');
  assert.equal(back.count, back.points.reduce((a, p) => a + p[4], 0));
  // One resolution over the whole run: every full point covers `stride` steps.
  assert.ok(h.points.slice(0, -1).every((p) => p[4] === h.stride), `stride ${h.stride}`);
  assert.ok(Math.abs(h.pairs()[0][1] - 4) < 0.01, 'the start of the curve keeps its shape');
});

test('the chart\'s text alternative names each series\' start, end and lowest value', () => {
  const text = describeSeries([
    { label: 'Training loss', points: [[1, 4], [2, 3], [3, 3.5]] },
    { label: 'Validation loss', points: [[3, 3.2]] },
    { label: 'Empty', points: [] },
  ]);
  assert.equal(text, 'Training loss: 4.000 at step 1, 3.500 at step 3, lowest 3.000 at step 2. Validation loss: 3.200 at step 3.');
});
