// In-browser speed: the built playground in headless Chromium (CPU path, wasm SIMD).
// - training tokens/s of a preset on the Moby Dick excerpt with 1, 2, … workers (data-parallel:
//   with 1 worker both CPU packages, the page's choice (relaxed SIMD in Chromium) and `_plain`;
//   one replica per worker; gradients averaged by a ring between the workers, and through the
//   page for comparison), through the module API (`Playground`) in a blank page;
// - streaming generation tokens/s into the page (tiny preset, 2,000 tokens).
// Prints BROWSER_TRAIN_TOKENS_PER_SEC_<preset>_<workers>[_page]=… and BROWSER_STREAM_TOKENS_PER_SEC=…
// Usage: node bench/browser.mjs [presets=baby,small] [workers=1,2] [steps=40]
//   (after `make www`; see bench/browser.sh)
import { Harness, waitStatus } from '../tests/browser.mjs';

const [presets = 'baby,small', workerList = '1,2', steps = '40'] = process.argv.slice(2);
const harness = await new Harness().start();
try {
  const context = await harness.launch();
  for (const preset of presets.split(',')) {
    for (const workers of workerList.split(',').map(Number)) {
      // More than one worker: both ways of averaging the gradients, in the same run. One
      // worker: the plain SIMD128 CPU package too (`_plain`), beside the page's own choice.
      const runs = workers > 1 ? [['ring', 'auto'], ['page', 'auto']] : [['ring', 'auto'], ['ring', 'cpu']];
      for (const [allReduce, build] of runs) {
        const page = await context.newPage();
        await page.goto(`${harness.origin}/blank`).catch(() => {});
        const r = await page.evaluate(async ({ origin, preset, workers, allReduce, steps, build }) => {
          const { useCpuPackage, cpuPackage } = await import(`${origin}/lib/client.js`);
          useCpuPackage(build);
          const { Playground } = await import(`${origin}/lib/playground.js`);
          const pg = new Playground({ corpus: 'moby', preset, steps, workers, allReduce, device: 'cpu' });
          await pg.ready;
          await pg.train();
          const losses = pg.history.train.points.map((p) => p[1]);
          const out = { tokensPerSecond: pg.stats.tokensPerSecond, first: losses[0], last: losses.at(-1), workers: pg.workers, package: cpuPackage() };
          pg.destroy();
          return out;
        }, { origin: harness.origin, preset, workers, allReduce, steps: Number(steps), build });
        const how = workers > 1 ? `, ${allReduce} all-reduce` : '';
        console.log(`preset ${preset}, ${r.workers} worker(s)${how}, package ${r.package}, ${steps} steps: loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, ${Math.round(r.tokensPerSecond)} tokens/s`);
        const suffix = workers > 1 && allReduce === 'page' ? '_page' : build === 'cpu' ? '_plain' : '';
        console.log(`BROWSER_TRAIN_TOKENS_PER_SEC_${preset}_${workers}${suffix}=${Math.round(r.tokensPerSecond)}`);
        await page.close();
      }
    }
  }
  // Streaming: the tiny model writes 2,000 tokens into the generation panel.
  const page = await harness.open(context, '?panels=generation&corpus=names&preset=tiny&steps=100&autotrain=1&device=cpu&workers=1');
  await waitStatus(page, ['done', 'error'], 300_000);
  await page.fill('[data-role=max-tokens]', '2000');
  const t0 = Date.now();
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length >= 2000 && !document.querySelector('[data-action=generate]').disabled, null, { timeout: 300_000, polling: 50 });
  const seconds = (Date.now() - t0) / 1000;
  const worker = await page.evaluate(() => document.querySelector('[data-panel=generation]').panelData.tokensPerSecond);
  console.log(`streaming: 2000 tokens of tiny into the page in ${seconds.toFixed(2)} s (${Math.round(2000 / seconds)} tokens/s end to end; the worker reports ${Math.round(worker)} tokens/s)`);
  console.log(`BROWSER_STREAM_TOKENS_PER_SEC=${Math.round(2000 / seconds)}`);
} finally {
  await harness.close();
}
