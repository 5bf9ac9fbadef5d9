// Nothing lost, nothing stuck: a crashed or hung worker is replaced and the model comes back from
// its last snapshot (and a discarded one does not); a full storage quota is said, never fatal.
// (A lost WebGPU device: page.test.mjs, beside the page's other WebGPU check. A reload resuming the
// run kept in IndexedDB: engines.test.mjs, in every engine. Memory over long use: long-use.test.mjs.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, errorText, train, waitStatus } from './browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

test('a crashed worker is replaced and the model comes back from its last snapshot', async () => {
  const context = await harness.launch();
  const page = await harness.open(context, '?panels=data,model,generation&corpus=names&preset=tiny&device=cpu');
  await train(page, 25);
  await page.evaluate(() => document.querySelector('main').playground.call('debug', { action: 'crash' }));
  await waitStatus(page, ['error'], 30_000);
  assert.match(await errorText(page), /^The model worker failed \(the model worker crashed: .*a crash requested by a test\)\. Your model was restored from its last snapshot, at step 25\.$/);
  assert.match(await page.locator('[data-role=model-info]').textContent(), /restored from its snapshot at step 25/);
  // It trains on and generates.
  const s = await train(page, 5);
  assert.equal(s.step, '30');
  await page.fill('[data-role=max-tokens]', '10');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length >= 10);
  // After New model a crash brings nothing back: the discarded model's snapshot went with it.
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled);
  await page.click('[data-action=reset]');
  await waitStatus(page, ['idle'], 10_000);
  await page.evaluate(() => document.querySelector('main').playground.call('debug', { action: 'crash' }));
  await waitStatus(page, ['error'], 30_000);
  assert.match(await errorText(page), /^The model worker failed \(the model worker crashed: .*\)\. It was restarted \(it held no model\); press Train to build one\.$/);
  assert.equal(await page.evaluate(() => document.querySelector('main').playground.info), null);
  assert.equal((await train(page, 5)).step, '5', 'a new model trains from step 0');
});

test('a worker that stops answering is found by its heartbeat and replaced', async () => {
  const context = await harness.launch();
  const page = await context.newPage();
  await page.goto(`${harness.origin}/tests-blank`).catch(() => {});
  const result = await page.evaluate(async (origin) => {
    const { Playground } = await import(`${origin}/lib/playground.js`);
    const pg = new Playground({ corpus: 'names', device: 'cpu', heartbeat: { every: 200, deadline: 2000 } });
    const errors = [];
    pg.addEventListener('error', (e) => errors.push(e.detail.message));
    await pg.ready;
    await pg.train({ steps: 20 });
    await pg.snapshot();
    await pg.call('debug', { action: 'hang' });
    const t0 = performance.now();
    const late = await pg.call('info').then(() => 'answered', (e) => e.message);
    for (let i = 0; i < 100 && pg.status !== 'error'; i++) await new Promise((r) => setTimeout(r, 100));
    const info = await pg.call('info');
    pg.destroy();
    return { late, ms: performance.now() - t0, errors, step: info.step };
  }, harness.origin);
  assert.match(result.late, /stopped answering/);
  assert.ok(result.ms < 10_000, `noticed after ${result.ms} ms`);
  assert.match(result.errors.at(-1), /stopped answering .* restored from its last snapshot, at step 20/);
  assert.equal(result.step, 20);
});

// A lost WebGPU device: page.test.mjs (one WebGPU run checks training on it and the move to the CPU).

test('a full storage quota is said once and training goes on', async () => {
  const context = await harness.launch();
  await context.addInitScript(() => {
    IDBObjectStore.prototype.put = function full() {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });
  const page = await harness.open(context, '?panels=data,model&corpus=names&preset=tiny&device=cpu');
  const s = await train(page, 20);
  assert.equal(s.step, '20');
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'done');
  await page.waitForFunction(() => /could not be kept/.test(document.querySelector('[data-role=error]').textContent));
  assert.equal(await errorText(page), 'Your model could not be kept in this browser (the browser has no room left for this page (storage quota exceeded)); it stays here until you close the page.');
  assert.equal((await train(page, 5)).step, '25');
});
