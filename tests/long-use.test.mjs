// Long use, as a reader who keeps the tab open: the full page (every panel), cycle after cycle of
// Train then New model, with an ablation in the mask panel now and then. Memory is measured as the
// operating system sees it (the resident memory of the processes that run the page and its
// workers: Chromium's renderers, Firefox's web content processes, WebKit's web processes) as well
// as the workers' WebAssembly memory and, in Chromium, the page's JavaScript heap after a
// collection. After a warm-up none of them may grow by 10% or more over 50 more cycles, in every
// engine, once the page has settled (the resident memory after every cycle is printed too: while
// busy, Chromium leaves garbage for its memory reducer, which collects after ~10 s of idle).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root } from './browser.mjs';
import { engines, launch, testServer } from './engines.mjs';

// WebKit's web process takes ~20 cycles to reach its plateau (Chromium and Firefox fewer).
const WARM_UP = 20;
const CYCLES = 50;
const STEPS = 3;
const ABLATION_EVERY = 5; // a mask ablation every that many cycles (10 steps each)
const MiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * In the page: `n` cycles of Train (`steps` steps) then New model, waiting each time until every
 * panel drew the trained model; every `every`-th cycle also trains the mask panel's two ablation
 * models. Driven from inside the page (clicks, observers), so the driver's polling adds nothing
 * to the memory measured.
 */
function cycles([n, steps, every]) {
  const until = (check, target, attribute) => new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!check()) return;
      observer.disconnect();
      resolve();
    });
    observer.observe(target, { attributes: true, subtree: true, attributeFilter: [attribute] });
    if (check()) {
      observer.disconnect();
      resolve();
    }
  });
  const status = (want) => until(() => want.includes(document.body.dataset.status), document.body, 'data-status');
  const panels = [...document.querySelectorAll('[data-panel]')];
  const allReady = () => until(() => panels.every((p) => p.dataset.state === 'ready'), document.querySelector('main'), 'data-state');
  const steps$ = document.querySelector('[data-role=steps]');
  const ablation = document.querySelector('.mask-ablation');
  return (async () => {
    for (let i = 0; i < n; i++) {
      steps$.value = String(steps);
      document.querySelector('[data-action=train]').click();
      await new Promise((r) => setTimeout(r, 0));
      await status(['done', 'error']);
      await allReady();
      if (every && i % every === every - 1) {
        document.querySelector('[data-role=mask-steps]').value = '10';
        document.querySelector('[data-action=mask-ablate]').click();
        await until(() => ablation.dataset.ablation === 'training', ablation, 'data-ablation');
        await until(() => ['done', 'error', 'stopped'].includes(ablation.dataset.ablation), ablation, 'data-ablation');
      }
      document.querySelector('[data-action=reset]').click();
      await status(['idle']);
    }
    return document.body.dataset.status;
  })();
}

for (const engine of engines()) {
  describe(engine, () => {
    let browser;
    let www;
    before(async () => {
      www = await testServer(join(root, 'www'), { recordErrors: engine === 'webkit' });
      browser = await launch(engine);
    });
    after(async () => {
      await browser?.close();
      await www?.close();
    });

    test(`long use: ${CYCLES} train / New model cycles of the full page after ${WARM_UP} to warm up: the processes' resident memory stays flat`, async () => {
      const page = await browser.newPage();
      await page.goto(`${www.origin}/?corpus=names&preset=tiny&device=cpu`);
      await page.waitFor(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
      /** Memory once the page has settled: Chromium collects on the driver's request (what its
       *  memory reducer does after ~10 s of idle; measured here: the page's renderer 502 -> 294 MiB
       *  after 150 cycles); the others after a pause. The smallest of a few readings. */
      const settled = async () => {
        const collected = await page.collectGarbage();
        // After a collection on request, a moment; else the engine's own, and its allocator's
        // return of free pages to the system, take a few seconds.
        await new Promise((r) => setTimeout(r, collected === true ? 300 : 3000));
        // The smallest of a few readings: over 1 s after a collection on request, over 6 s
        // otherwise (WebKit's allocator returns free pages to the system bit by bit).
        let rss = Infinity;
        const [readings, every] = collected === true ? [5, 200] : [12, 500];
        for (let i = 0; i < readings; i++) {
          rss = Math.min(rss, browser.contentMemory().rss);
          await new Promise((r) => setTimeout(r, every));
        }
        const workers = await page.evaluate(() => document.querySelector('main').playground.diagnostics());
        return { rss, workers, wasm: workers.reduce((a, w) => a + w.memoryBytes, 0), heap: collected === true ? await page.jsHeap() : null };
      };
      const t0 = Date.now();
      assert.equal(await page.evaluate(cycles, [WARM_UP, STEPS, ABLATION_EVERY]), 'idle');
      const first = await settled();
      // The resident memory after every cycle, as it is (what a busy reader's tab holds).
      const rss = [];
      for (let i = 0; i < CYCLES; i++) {
        assert.equal(await page.evaluate(cycles, [1, STEPS, (WARM_UP + i + 1) % ABLATION_EVERY === 0 ? 1 : 0]), 'idle');
        rss.push(browser.contentMemory().rss);
      }
      const last = await settled();
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const tens = Array.from({ length: CYCLES / 10 }, (_, k) => MiB(mean(rss.slice(k * 10, k * 10 + 10))));
      const pct = (a, b) => `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)}%`;
      console.log(`${engine}: resident memory of the content processes (${browser.contentMemory().processes.length}), settled: ${MiB(first.rss)} -> ${MiB(last.rss)} `
        + `(${pct(first.rss, last.rss)}); as it is, mean of each 10 cycles: ${tens.join(' -> ')}; WebAssembly ${MiB(first.wasm)} -> ${MiB(last.wasm)}`
        + `${first.heap === null ? '' : `; JS heap after a collection ${MiB(first.heap)} -> ${MiB(last.heap)}`}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      assert.deepEqual(last.workers.flatMap((w) => w.sessions), [], 'no session left behind (New model frees the main one; the ablations drop theirs)');
      assert.deepEqual(last.workers.map((w) => w.role), ['primary', 'panels'], 'the ablations train in the panels\' own worker');
      assert.ok(last.rss < first.rss * 1.1, `resident memory ${MiB(first.rss)} -> ${MiB(last.rss)}`);
      assert.ok(last.wasm < first.wasm * 1.1, `WebAssembly memory ${MiB(first.wasm)} -> ${MiB(last.wasm)}`);
      if (first.heap !== null) assert.ok(last.heap < first.heap * 1.1, `JS heap ${MiB(first.heap)} -> ${MiB(last.heap)}`);
      assert.deepEqual(await page.errors(), []);
    });
  });
}
