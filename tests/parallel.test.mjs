// Data-parallel training across Web Workers, with no shared memory: each worker computes the
// gradients of its shard of the same global batch, they are averaged (a ring all-reduce between
// the workers, or through the page), every replica applies the same step. The same seed gives the same loss curve as one worker, and the replicas stay
// bit-identical; Stop, generation and the panels work as with one worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedBrowser, train } from './browser.mjs';

const shared = sharedBrowser();
const { harness } = shared;

test('two workers follow one worker\'s loss curve within 1e-4 (ring and page all-reduce alike), and the replicas stay identical', async () => {
  const page = await shared.context.newPage();
  await page.goto(`${harness.origin}/blank`).catch(() => {});
  const r = await page.evaluate(async (origin) => {
    const { Playground } = await import(`${origin}/lib/playground.js`);
    const curve = async (workers, allReduce = 'ring') => {
      const pg = new Playground({ corpus: 'names', preset: 'tiny', device: 'cpu', workers, allReduce });
      await pg.ready;
      await pg.train({ steps: 20 });
      const losses = pg.history.train.points.map((p) => p[1]);
      return { pg, losses, count: pg.workers };
    };
    const one = await curve(1);
    const viaPage = await curve(2, 'page');
    viaPage.pg.destroy();
    const two = await curve(2);
    one.pg.destroy();
    await two.pg.train({ steps: 30 });
    // The weights of every replica: the data section of its model file (the header's metadata
    // order may differ between two saves; the tensors may not).
    const files = await two.pg.callAll('save');
    const data = files.map(({ bytes }) => {
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      return Array.from(bytes.subarray(8 + n));
    });
    const identical = data.every((d) => d.length === data[0].length && d.every((b, i) => b === data[0][i]));
    const step = two.pg.info.step;
    two.pg.destroy();
    return { one: one.losses, two: two.losses, viaPage: viaPage.losses, count: two.count, replicas: files.length, identical, step };
  }, harness.origin);
  assert.equal(r.count, 2);
  assert.equal(r.replicas, 2);
  assert.equal(r.one.length, 20);
  const worst = Math.max(...r.one.map((l, i) => Math.abs(l - r.two[i])));
  console.log(`1 vs 2 workers over 20 steps: largest loss difference ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `loss curves differ by ${worst}`);
  // With two workers both all-reduces add the same two numbers: the same bits.
  assert.deepEqual(r.viaPage, r.two);
  assert.equal(r.step, 50);
  assert.ok(r.identical, 'after 50 steps the replicas hold bit-identical weights');
});

test('the page with workers=2: trains (loss falls), says so, Stop answers within a second, generation and panels work', async () => {
  const page = await harness.open(shared.context, '?panels=attention,generation&corpus=moby&preset=baby&steps=2000&workers=2&autotrain=1&device=cpu');
  await page.waitForFunction(() => Number(document.querySelector('[data-role=train-stats]').dataset.step) >= 6, null, { timeout: 120_000 });
  assert.match(await page.locator('[data-role=train-stats]').textContent(), /· 2 workers/);
  assert.equal(await page.evaluate(async () => (await import('/lib/playground.js')).liveWorkers()), 2);
  const t0 = Date.now();
  await page.click('[data-action=stop]');
  await page.waitForFunction(() => document.body.dataset.status === 'done', null, { timeout: 5000 });
  const ms = Date.now() - t0;
  assert.ok(ms < 1000, `Stop took ${ms} ms`);
  const s = await page.evaluate(() => ({ ...document.querySelector('[data-role=train-stats]').dataset }));
  assert.ok(Number(s.loss) < Number(s.firstLoss), `loss ${s.firstLoss} -> ${s.loss}`);
  await page.waitForFunction(() => document.querySelector('[data-panel=attention]').dataset.state === 'ready', null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.querySelector('[data-panel=attention]').panelData.step), Number(s.step));
  // Train on with two workers, then generate from the model they trained.
  const more = await train(page, 4);
  assert.equal(Number(more.step), Number(s.step) + 4);
  await page.fill('[data-role=max-tokens]', '20');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length >= 20, null, { timeout: 60_000 });
  console.log(`2 workers, baby: ${s.tokensPerSecond} tokens/s in the page; Stop in ${ms} ms`);
});
