// What GPT-2 small (124M parameters) costs in the page: import time, WebAssembly memory, and
// generation ms/token on the CPU path (headless Chromium, one worker), through the page's own
// Load model control. Prints GPT2_SMALL_BROWSER_*=… lines.
// Usage: node bench/gpt2_small.mjs FOLDER [tokens=32] [device=cpu|webgpu]
//   (after `make www`; see bench/gpt2_small.sh; webgpu: headless Chromium's adapter, SwiftShader
//   on a machine without a GPU)
import { join } from 'node:path';
import { Harness, errorText } from '../tests/browser.mjs';

const [folder, tokens = '32', device = 'cpu'] = process.argv.slice(2);
const harness = await new Harness().start();
try {
  const context = await harness.launch({ webgpu: device === 'webgpu' });
  const page = await harness.open(context, `?panels=generation&device=${device}&workers=1`);
  const t0 = Date.now();
  await page.setInputFiles('[data-role=load]', ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'].map((f) => join(folder, f)));
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status), null, { timeout: 600_000, polling: 200 });
  const status = await page.evaluate(() => document.body.dataset.status);
  if (status !== 'done') throw new Error(`import failed: ${await errorText(page)}`);
  const importSeconds = (Date.now() - t0) / 1000;
  const stats = await page.locator('[data-role=train-stats]').textContent();
  console.log(`imported in ${importSeconds.toFixed(1)} s: ${stats}`);
  // With WebGPU the page may generate from a CPU copy of the weights when that is faster: it says so here.
  console.log(`device note: ${await page.locator('[data-role=device-note]').textContent()}`);
  const memory = async () => (await page.evaluate(() => document.querySelector('main').playground.diagnostics()))
    .reduce((n, w) => n + w.memoryBytes, 0);
  const afterImport = await memory();
  await page.fill('[data-role=prompt]', 'The meaning of life is');
  await page.fill('[data-role=max-tokens]', tokens);
  const t1 = Date.now();
  await page.click('[data-action=generate]');
  await page.waitForFunction((n) => document.querySelector('[data-panel=generation]').panelData.tokens.length >= n
    && !document.querySelector('[data-action=generate]').disabled, Number(tokens), { timeout: 600_000, polling: 100 });
  const seconds = (Date.now() - t1) / 1000;
  const worker = await page.evaluate(() => document.querySelector('[data-panel=generation]').panelData.tokensPerSecond);
  const afterGenerate = await memory();
  console.log(`generated ${tokens} tokens in ${seconds.toFixed(1)} s end to end; the worker reports ${worker.toFixed(2)} tokens/s (${(1000 / worker).toFixed(0)} ms/token)`);
  console.log(`WebAssembly memory of the page's workers: ${(afterImport / 2 ** 20).toFixed(0)} MiB after the import, ${(afterGenerate / 2 ** 20).toFixed(0)} MiB after generating`);
  const D = device.toUpperCase();
  console.log(`device: ${device}`);
  console.log(`GPT2_SMALL_BROWSER_${D}_IMPORT_SECONDS=${importSeconds.toFixed(1)}`);
  console.log(`GPT2_SMALL_BROWSER_${D}_MS_PER_TOKEN=${(1000 / worker).toFixed(0)}`);
  console.log(`GPT2_SMALL_BROWSER_${D}_WASM_MIB=${(afterGenerate / 2 ** 20).toFixed(0)}`);
} finally {
  await harness.close();
}
