// Nothing lost, nothing stuck: a reload resumes the reader's run exactly; a crashed or hung worker
// is replaced and the model comes back from its last snapshot; a full storage quota is said, never
// fatal; long use (train / New model cycles, ablation runs) keeps memory flat. (A lost WebGPU
// device: page.test.mjs, beside the page's other WebGPU check.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, errorText, train, waitStatus } from './browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

const pg = (page) => page.evaluateHandle(() => document.querySelector('main').playground);
const losses = (page, from) => page.evaluate((f) => document.querySelector('main').playground.history.train.points.filter((p) => p[0] > f).map((p) => p[1]), from);

test('a reload offers the saved run, and resuming it takes exactly the steps it would have taken', async () => {
  const context = await harness.launch();
  const page = await harness.open(context, '?panels=data,model&corpus=names&preset=tiny&device=cpu');
  await train(page, 30);
  // The run as kept in this browser at step 30 (the test keeps a copy; the page overwrites it).
  await page.waitForFunction(() => /step 30\b/.test(document.querySelector('[data-role=saved-note]')?.textContent ?? ''));
  const kept = await page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('gpt-playground');
    req.onsuccess = () => {
      const get = req.result.transaction('runs').objectStore('runs').get('main');
      get.onsuccess = () => resolve({ ...get.result, bytes: [...new Uint8Array(get.result.bytes)] });
      get.onerror = () => reject(get.error);
    };
  }));
  assert.equal(kept.step, 30);
  // Without a reload: the next five steps.
  await train(page, 5);
  const straight = await losses(page, 30);
  assert.equal(straight.length, 5);
  // Put the step-30 run back, reload, resume, and take the same five steps.
  await page.evaluate((rec) => new Promise((resolve) => {
    const req = indexedDB.open('gpt-playground');
    req.onsuccess = () => {
      const tx = req.result.transaction('runs', 'readwrite');
      tx.objectStore('runs').put({ ...rec, bytes: new Uint8Array(rec.bytes).buffer }, 'main');
      tx.oncomplete = resolve;
    };
  }), kept);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  const offer = page.locator('[data-role=saved-note]');
  await offer.waitFor();
  assert.match(await offer.textContent(), /You trained a model here before: tiny on "names", step 30/);
  await page.click('[data-action=resume]');
  await page.waitForFunction(() => document.querySelector('[data-role=train-stats]').dataset.step === '30');
  assert.match(await page.locator('[data-role=model-info]').textContent(), /resumed at step 30/);
  assert.equal(await page.locator('[data-action=train]').textContent(), 'Train more');
  await train(page, 5);
  assert.deepEqual(await losses(page, 30), straight, 'the same next-step losses as without the reload');
  // The history came back too (the chart goes on from step 1).
  assert.equal(await page.evaluate(() => document.querySelector('main').playground.history.train.points[0][0]), 1);
  // Forget it: the next visit offers nothing.
  await page.click('[data-action=forget-saved]');
  await page.waitForFunction(() => document.querySelector('.train-saved').hidden); // deleted
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  await page.waitForTimeout(300);
  assert.ok(await page.locator('[data-action=resume]').isHidden());
});

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

test('long use: 50 train / New model cycles and 20 ablation runs keep memory flat', async () => {
  const context = await harness.launch();
  const page = await harness.open(context, '?panels=mask&corpus=names&preset=tiny&device=cpu');
  const cdp = await context.newCDPSession(page);
  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const workers = await page.evaluate(() => document.querySelector('main').playground.diagnostics());
    return { heap, wasm: workers.reduce((a, w) => a + w.memoryBytes, 0), sessions: workers.flatMap((w) => w.sessions), workers: workers.map((w) => w.role) };
  };
  // Driven from inside the page (clicks, waiting on data-status), so that the test's own
  // polling does not add to the heap it measures.
  const cycles = (n, ablations) => page.evaluate(async ([n, ablations]) => {
    const until = (test, target, attribute) => new Promise((resolve) => {
      const check = () => {
        if (!test()) return;
        observer.disconnect();
        resolve();
      };
      const observer = new MutationObserver(check);
      observer.observe(target, { attributes: true, subtree: true, attributeFilter: [attribute] });
      check();
    });
    const status = (want) => until(() => want.includes(document.body.dataset.status), document.body, 'data-status');
    const steps = document.querySelector('[data-role=steps]');
    for (let i = 0; i < n; i++) {
      steps.value = '3';
      steps.dispatchEvent(new Event('change'));
      document.querySelector('[data-action=train]').click();
      await new Promise((r) => setTimeout(r, 0));
      await status(['done', 'error']);
      document.querySelector('[data-action=reset]').click();
      await status(['idle']);
    }
    const ablation = document.querySelector('.mask-ablation');
    document.querySelector('[data-role=mask-steps]').value = '10';
    for (let i = 0; i < ablations; i++) {
      document.querySelector('[data-action=mask-ablate]').click();
      await until(() => ablation.dataset.ablation === 'training', ablation, 'data-ablation');
      await until(() => ['done', 'error', 'stopped'].includes(ablation.dataset.ablation), ablation, 'data-ablation');
    }
  }, [n, ablations]);
  // A few cycles of each kind first: the wasm memory grows to its high-water mark and the
  // JavaScript engine compiles and optimises the code; then 50 and 20 more must not raise them.
  await cycles(5, 2);
  const first = await measure();
  await cycles(50, 20);
  await page.waitForTimeout(500);
  const last = await measure();
  console.log(`memory after 5 train / New model cycles and 2 ablations: wasm ${first.wasm} B, JS heap ${first.heap} B; `
    + `after 50 and 20 more: wasm ${last.wasm} B, JS heap ${last.heap} B`);
  assert.deepEqual(last.sessions, [], 'no session left behind (New model frees the main one; the ablations drop theirs)');
  assert.deepEqual(last.workers, ['primary', 'panels'], 'the ablations train in the panels\' own worker');
  assert.ok(last.wasm <= first.wasm * 1.1, `wasm memory ${first.wasm} -> ${last.wasm}`);
  assert.ok(last.heap <= first.heap * 1.1, `JS heap ${first.heap} -> ${last.heap}`);
});
