// In-browser training speed: the built playground in headless Chromium (CPU path, wasm SIMD),
// training the given preset on the Moby Dick excerpt. Prints BROWSER_TRAIN_TOKENS_PER_SEC=...
// Usage: node bench/browser.mjs [preset=baby] [steps=60]   (after `make www`; see bench/browser.sh)
import { Harness, waitStatus } from '../tests/browser.mjs';

const [preset = 'baby', steps = '60'] = process.argv.slice(2);
const harness = await new Harness().start();
try {
  const context = await harness.launch();
  // Only the generation panel: the benchmark times training and streaming, nothing else.
  const page = await harness.open(context, `?panels=generation&corpus=moby&preset=${preset}&steps=${steps}&autotrain=1&device=cpu`);
  await waitStatus(page, ['done', 'error'], 900_000);
  const r = await page.evaluate(() => ({
    status: document.body.dataset.status,
    error: document.querySelector('[data-role=error]').textContent,
    ...document.querySelector('[data-role=train-stats]').dataset,
  }));
  if (r.status !== 'done') throw new Error(r.error);
  await page.fill('[data-role=prompt]', 'Call me ');
  await page.fill('[data-role=max-tokens]', '200');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled, null, { timeout: 300_000 });
  const gen = await page.locator('[data-role=gen-stats]').textContent();
  console.log(`preset ${preset}, ${steps} steps on the CPU path of headless Chromium: loss ${Number(r.firstLoss).toFixed(3)} -> ${Number(r.loss).toFixed(3)}`);
  console.log(`generation: ${gen}`);
  console.log(`BROWSER_TRAIN_TOKENS_PER_SEC=${r.tokensPerSecond}`);
} finally {
  await harness.close();
}
