// The worker's scheduler (www/lib/scheduler.js) under the interleavings that broke the old
// worker: a generate during training, a drop or replace while a job runs, cancellation. In Node,
// with fake sessions that fail the way wasm-bindgen objects do when re-entered or used after free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, SessionGone } from '../www/lib/scheduler.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A session whose every method is async, as on WebGPU, and which refuses re-entry and use after free. */
class FakeSession {
  constructor(name, log) {
    this.name = name;
    this.log = log;
    this.busy = false;
    this.freed = false;
    this.steps = 0;
  }

  async work(label, ms = 5) {
    if (this.freed) throw new Error(`${this.name}: used after free`);
    if (this.busy) throw new Error(`${this.name}: recursive use of an object detected`);
    this.busy = true;
    this.log.push(`${this.name}:${label}`);
    await sleep(ms);
    this.busy = false;
    return label;
  }

  async train() {
    await this.work(`train${this.steps}`);
    return ++this.steps;
  }

  free() {
    if (this.busy) throw new Error(`${this.name}: freed while in use`);
    this.freed = true;
    this.log.push(`${this.name}:free`);
  }
}

/** The worker's training loop, in miniature: one call per chunk, `stop` checked between them. */
const trainLoop = (s, name, chunks) => async (job) => {
  let step = 0;
  for (let i = 0; i < chunks && !job.stop; i++) {
    step = await s.call(name, (o) => o.train());
    await sleep(1); // the worker yields a macrotask between chunks
  }
  return { step, reason: job.stop ? 'stopped' : 'done' };
};

test('a generate during training runs between two chunks, never inside one', async () => {
  const log = [];
  const s = new Scheduler();
  await s.replace('main', async () => new FakeSession('main', log));
  const training = s.job(1, 'main', 'train', trainLoop(s, 'main', 10));
  await sleep(12);
  const token = await s.call('main', (o) => o.work('token'));
  assert.equal(token, 'token');
  const result = await training;
  assert.deepEqual(result, { step: 10, reason: 'done' });
  const at = log.indexOf('main:token');
  assert.ok(at > 0 && at < log.length - 1, `the token came between chunks: ${log.join(' ')}`);
});

test('calls of two sessions never overlap (one WebAssembly instance), each keeps its order', async () => {
  const log = [];
  const s = new Scheduler();
  let inside = 0;
  let worst = 0;
  const guard = (o, label) => async () => {
    inside++;
    worst = Math.max(worst, inside);
    await o.work(label, 2);
    inside--;
  };
  await s.replace('a', async () => new FakeSession('a', log));
  await s.replace('b', async () => new FakeSession('b', log));
  await Promise.all([1, 2, 3].flatMap((i) => [s.call('a', (o) => guard(o, `x${i}`)()), s.call('b', (o) => guard(o, `y${i}`)())]));
  assert.equal(worst, 1);
  assert.deepEqual(log.filter((l) => l.startsWith('a:')), ['a:x1', 'a:x2', 'a:x3']);
});

test('drop during a running train loop: the chunk in flight finishes, then the session is freed; nothing runs after', async () => {
  const log = [];
  const s = new Scheduler();
  await s.replace('ablation', async () => new FakeSession('ablation', log));
  const training = s.job(7, 'ablation', 'train', trainLoop(s, 'ablation', 1000));
  await sleep(15);
  const queuedBefore = s.call('ablation', (o) => o.work('inspect'));
  const dropped = s.drop('ablation');
  await assert.rejects(s.call('ablation', (o) => o.work('late')), SessionGone);
  assert.equal(await queuedBefore, 'inspect', 'a call queued before the drop still runs');
  assert.equal(await dropped, true);
  const result = await training;
  assert.equal(result.reason, 'stopped');
  assert.equal(log.at(-1), 'ablation:free', `freed last: ${log.join(' ')}`);
  assert.ok(!log.some((l) => /late/.test(l)));
  assert.equal(s.has('ablation'), false);
  assert.equal(await s.drop('ablation'), false);
});

test('replace is refused while a job runs, and a job that starts during the build loses the race cleanly', async () => {
  const log = [];
  const s = new Scheduler();
  const first = await s.replace('main', async () => new FakeSession('first', log));
  const training = s.job(1, 'main', 'train', trainLoop(s, 'main', 5));
  await assert.rejects(s.replace('main', async () => new FakeSession('never', log)), /stop training and generation/);
  await training;
  // While a (slow) build runs, a train request arrives: it is refused, not run on a session
  // about to be freed.
  let release;
  const built = s.replace('main', () => new Promise((r) => { release = () => r(new FakeSession('second', log)); }));
  await sleep(1);
  await assert.rejects(s.job(2, 'main', 'train', trainLoop(s, 'main', 3)), /being rebuilt/);
  release();
  const second = await built;
  await sleep(5);
  assert.equal(first.freed, true, 'the replaced session is freed');
  assert.equal(second.freed, false);
  assert.equal(await s.call('main', (o) => o.name), 'second');
});

test('a job started between the check and the swap makes replace free the new object and keep the old', async () => {
  const log = [];
  const s = new Scheduler();
  const old = await s.replace('main', async () => new FakeSession('old', log));
  // Simulate a job registered while `make` runs (as a request slipping in between awaits).
  const built = s.replace('main', async () => {
    s.jobs.set(99, { id: 99, session: 'main', kind: 'generate', stop: false });
    return new FakeSession('new', log);
  });
  await assert.rejects(built, /started while the new model was built/);
  s.jobs.delete(99);
  assert.equal(old.freed, false);
  assert.ok(log.includes('new:free'), 'the object that lost is freed');
  assert.equal(await s.call('main', (o) => o.name), 'old');
});

test('cancel by request id stops that job only; stop by session stops its jobs', async () => {
  const log = [];
  const s = new Scheduler();
  await s.replace('a', async () => new FakeSession('a', log));
  await s.replace('b', async () => new FakeSession('b', log));
  const ja = s.job(1, 'a', 'train', trainLoop(s, 'a', 1000));
  const jb = s.job(2, 'b', 'train', trainLoop(s, 'b', 1000));
  await sleep(20);
  assert.equal(s.cancel(1), true);
  assert.equal(s.cancel(42), false);
  assert.equal((await ja).reason, 'stopped');
  assert.equal(s.running('b').length, 1, 'the other job goes on');
  assert.equal(s.stop('b', ['generate']), 0);
  assert.equal(s.stop('b'), 1);
  assert.equal((await jb).reason, 'stopped');
  await assert.rejects(s.job(3, 'nope', 'train', trainLoop(s, 'nope', 1)), /no session named "nope"/);
  // One train job per session.
  const again = s.job(4, 'a', 'train', trainLoop(s, 'a', 50));
  await assert.rejects(s.job(5, 'a', 'train', trainLoop(s, 'a', 1)), /already running/);
  s.stop('a');
  await again;
});

test('a failing call rejects alone: the queue goes on', async () => {
  const s = new Scheduler();
  await s.replace('main', async () => new FakeSession('main', []));
  const bad = s.call('main', async () => { throw new Error('boom'); });
  const good = s.call('main', (o) => o.work('after'));
  await assert.rejects(bad, /boom/);
  assert.equal(await good, 'after');
});
