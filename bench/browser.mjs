// In-browser training speed: the built playground in headless Chromium (CPU path, wasm SIMD),
// training the given preset on the Moby Dick excerpt. Prints BROWSER_TRAIN_TOKENS_PER_SEC=...
// Usage: node bench/browser.mjs [preset=baby] [steps=60]   (after `make www`; see bench/browser.sh)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '../tests/node_modules/playwright-core/index.mjs';
import { serve } from '../scripts/serve.mjs';

const [preset = 'baby', steps = '60'] = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const server = await serve(join(root, 'www'), 0);
const profile = mkdtempSync(join(tmpdir(), 'gpt-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
try {
  const page = await context.newPage();
  const url = `http://127.0.0.1:${server.address().port}/?corpus=moby&preset=${preset}&steps=${steps}&autotrain=1&device=cpu`;
  await page.goto(url);
  // Time the whole run from the first progress event to the end (validation estimates excluded).
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status), null, { timeout: 900_000, polling: 200 });
  const r = await page.evaluate(() => ({
    status: document.body.dataset.status,
    error: document.querySelector('[data-role=error]').textContent,
    ...document.querySelector('[data-role=train-stats]').dataset,
  }));
  if (r.status !== 'done') throw new Error(r.error);
  await page.fill('#max-tokens', '200');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled, null, { timeout: 300_000 });
  const gen = await page.locator('[data-role=gen-stats]').textContent();
  console.log(`preset ${preset}, ${steps} steps on the CPU path of headless Chromium: loss ${Number(r.firstLoss).toFixed(3)} -> ${Number(r.loss).toFixed(3)}`);
  console.log(`generation: ${gen}`);
  console.log(`BROWSER_TRAIN_TOKENS_PER_SEC=${r.tokensPerSecond}`);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
