// The embedding panel on a GPT-2-sized table (50,257 tokens x 768): a folder of GPT-2's shape is
// made here (GPT-2's own vocab.json and merges.txt, which the page ships; config.json; random
// weights in model.safetensors, 2 layers so that it stays small to write), imported through the
// Load control, and the panel draws its PCA map. The map's math runs in the worker, so the page's
// longest main-thread task meanwhile stays under 200 ms (PerformanceObserver `longtask`, from the
// import's end to the panel's `ready`), and a click on the page is answered meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorText, panelData, root, shoot, sharedBrowser, waitPanel } from './browser.mjs';

const shared = sharedBrowser();
const GPT2 = { vocab_size: 50257, n_embd: 768, n_head: 12, n_layer: 2, n_positions: 64 };
/** The longest main-thread task allowed while the panel draws (ms). */
const LONGEST_MS = 200;

/** GPT-2's tensors for `cfg` (the Hub's names, Conv1D layout [in, out]): name -> shape. */
function gpt2Shapes({ vocab_size: V, n_embd: C, n_layer: L, n_positions: T }) {
  const shapes = { 'wte.weight': [V, C], 'wpe.weight': [T, C] };
  for (let i = 0; i < L; i++) {
    Object.assign(shapes, {
      [`h.${i}.ln_1.weight`]: [C], [`h.${i}.ln_1.bias`]: [C],
      [`h.${i}.attn.c_attn.weight`]: [C, 3 * C], [`h.${i}.attn.c_attn.bias`]: [3 * C],
      [`h.${i}.attn.c_proj.weight`]: [C, C], [`h.${i}.attn.c_proj.bias`]: [C],
      [`h.${i}.ln_2.weight`]: [C], [`h.${i}.ln_2.bias`]: [C],
      [`h.${i}.mlp.c_fc.weight`]: [C, 4 * C], [`h.${i}.mlp.c_fc.bias`]: [4 * C],
      [`h.${i}.mlp.c_proj.weight`]: [4 * C, C], [`h.${i}.mlp.c_proj.bias`]: [C],
    });
  }
  return Object.assign(shapes, { 'ln_f.weight': [C], 'ln_f.bias': [C] });
}

/** A safetensors file of f32 tensors: LayerNorm gains 1, biases 0, weights small and random. */
function safetensors(shapes) {
  const header = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // the data starts 8-byte aligned
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  out.write(json, 8, 'utf8');
  const data = new Float32Array(out.buffer, out.byteOffset + 8 + json.length, offset / 4);
  let seed = 12345;
  for (const [name, { data_offsets: [from, to] }] of Object.entries(header)) {
    const part = data.subarray(from / 4, to / 4);
    if (/ln_\w+\.weight$/.test(name)) part.fill(1);
    else if (!name.endsWith('.bias')) {
      for (let i = 0; i < part.length; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; // an LCG: fast, and enough here
        part[i] = (seed / 2 ** 32 - 0.5) * 0.04;
      }
    }
  }
  return out;
}

test('a GPT-2-sized embedding table (50,257 x 768): the map is drawn with no main-thread task over 200 ms, and the page answers a click meanwhile', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpt2-sized-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, n_ctx: GPT2.n_positions, ...GPT2 }));
    writeFileSync(join(dir, 'model.safetensors'), safetensors(gpt2Shapes(GPT2)));
    for (const f of ['vocab.json', 'merges.txt']) copyFileSync(join(root, 'www', 'corpora', 'gpt2', f), join(dir, f));

    const page = await shared.harness.open(shared.context, '?panels=embedding&preset=tiny&corpus=names&device=cpu');
    // Every long task from here on, and a timer that notes how late it runs (the page's answer time).
    await page.evaluate(() => {
      window.__long = [];
      new PerformanceObserver((list) => window.__long.push(...list.getEntries().map((e) => ({ start: e.startTime, ms: e.duration })))).observe({ type: 'longtask' });
    });
    await page.setInputFiles('[data-role=load]', ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'].map((f) => join(dir, f)));
    await page.waitForFunction(() => document.querySelector('main').playground.info?.config?.vocab_size === 50257
      || document.querySelector('[data-role=error]').textContent.trim() !== '', null, { timeout: 180_000, polling: 100 });
    assert.equal(await page.evaluate(() => document.querySelector('main').playground.info?.config?.vocab_size), 50257, await errorText(page));
    const imported = await page.evaluate(() => performance.now());

    // While the panel works: a click on the page is answered (the handler runs) within 200 ms.
    await page.waitForFunction(() => document.querySelector('[data-panel=embedding]').dataset.state === 'busy', null, { timeout: 30_000, polling: 20 });
    // A real click (the DevTools protocol answers once the page has handled it), timed from here.
    await page.evaluate(() => document.addEventListener('click', () => {
      window.__clicked = document.querySelector('[data-panel=embedding]').dataset.state;
    }, { once: true }));
    const t0 = Date.now();
    await page.mouse.click(3, 3);
    const answered = { ms: Date.now() - t0, state: await page.evaluate(() => window.__clicked) };
    await waitPanel(page, 'embedding', ['ready', 'error'], 180_000);
    assert.equal(await page.evaluate(() => document.querySelector('[data-panel=embedding]').dataset.state), 'ready', await page.locator('[data-panel=embedding] .panel-status').textContent());
    const done = await page.evaluate(() => performance.now());

    const data = await panelData(page, 'embedding');
    assert.equal(data.vocabSize, 50257);
    assert.equal(data.nEmbd, 768);
    assert.equal(data.tokens.length, 50257);
    const long = await page.evaluate(([from, to]) => window.__long.filter((t) => t.start + t.ms >= from && t.start <= to), [imported, done]);
    const longest = Math.max(0, ...long.map((t) => t.ms));
    console.log(`GPT-2-sized map drawn in ${((done - imported) / 1000).toFixed(1)} s; ${long.length} long tasks meanwhile, the longest ${longest.toFixed(0)} ms; a click answered in ${answered.ms.toFixed(0)} ms`);
    assert.ok(longest < LONGEST_MS, `the longest main-thread task while the map was drawn: ${longest} ms (${JSON.stringify(long)})`);
    assert.equal(answered.state, 'busy', 'the click was handled while the panel was busy');
    assert.ok(answered.ms < 1000, `the click took ${answered.ms} ms to be handled`);
    await shoot(page.locator('[data-panel=embedding]'), 'embedding-gpt2-sized');
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
