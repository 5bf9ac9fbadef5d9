// The panels' experiment runner (www/panels/runs.js), against a fake ctx that records the
// requests: leftovers dropped before a run, every model dropped after (also when the run
// fails), Stop reaching each session with what it is doing, one run at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Experiment } from '../www/panels/runs.js';

/** A ctx whose `call` records `[type, session, what]` and answers like the worker would. */
function fakeCtx({ failOn } = {}) {
  const calls = [];
  let release;
  const ctx = {
    calls,
    /** Resolves the pending `train` call (the run waits on it). */
    finishTraining: () => release?.(),
    call(type, fields, onEvent) {
      calls.push([type, fields.session, fields.what].filter((x) => x !== undefined).join(' '));
      if (type === failOn) return Promise.reject(new Error(`${type} failed`));
      if (type === 'train') {
        onEvent({ type: 'progress', step: 12, losses: [3, 2.5] });
        return new Promise((resolve) => { release = () => resolve({ step: 12 }); });
      }
      if (type === 'generate') return Promise.resolve({ text: 'abc' });
      if (type === 'evaluate') return Promise.resolve({ train: 2, val: 2.1 });
      return Promise.resolve({});
    },
  };
  return ctx;
}

test('a run drops leftovers first and every model after; points are numbered by the worker\'s steps', async () => {
  const ctx = fakeCtx();
  const x = new Experiment(ctx, ['a', 'b']);
  const points = [];
  const run = x.run(async (e) => {
    await e.build('a', {});
    const training = e.train('a', 2, points);
    ctx.finishTraining();
    await training;
    return [await e.evaluate('a'), await e.generate('a', 'Ma', { temperature: 1, seed: 1 }, 5)];
  });
  assert.equal(x.running, true);
  assert.deepEqual(await run, [{ train: 2, val: 2.1 }, 'abc']);
  assert.equal(x.running, false);
  assert.deepEqual(points, [[11, 3], [12, 2.5]]);
  assert.deepEqual(ctx.calls, ['drop a', 'drop b', 'init a', 'train a', 'evaluate a', 'generate a', 'drop a', 'drop b']);
});

test('a failing run still drops its models, and says why', async () => {
  const ctx = fakeCtx({ failOn: 'init' });
  const x = new Experiment(ctx, ['a']);
  await assert.rejects(x.run((e) => e.build('a', {})), /init failed/);
  assert.equal(x.running, false);
  assert.deepEqual(ctx.calls, ['drop a', 'init a', 'drop a']);
});

test('Stop reaches every session with what it does now; a second run meanwhile is refused', async () => {
  const ctx = fakeCtx();
  const x = new Experiment(ctx, ['a', 'b']);
  let training;
  const started = new Promise((resolve) => {
    training = x.run(async (e) => {
      const t = e.train('b', 5, []);
      resolve();
      await t;
      return e.stopped;
    });
  });
  await started;
  await assert.rejects(x.run(async () => 1), /already running/);
  await x.stop();
  ctx.finishTraining();
  assert.equal(await training, true, 'the run sees that the reader stopped it');
  assert.ok(ctx.calls.includes('stop a train') && ctx.calls.includes('stop b train'), ctx.calls.join(', '));
  // Stop when nothing runs does nothing.
  const before = ctx.calls.length;
  await x.stop();
  assert.equal(ctx.calls.length, before);
});
