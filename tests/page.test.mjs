// Page-level tests: the built release package of the playground in Debian's headless Chromium.
// Run by `make test` (after `make www`); screenshots go to ../screenshots/ (git-ignored).
// The explainer panels have their own files in panels/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Harness, errorText, shots, stats, status, waitStatus } from './browser.mjs';

const harness = new Harness();
const launch = (webgpu) => harness.launch({ webgpu });
const open = (context, query) => harness.open(context, query);
// The setup cards and the generation panel: what these tests drive.
const CORE = 'panels=data,model,generation&';

async function generate(page, tokens = 120) {
  await page.fill('[data-role=max-tokens]', String(tokens));
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled, null, { timeout: 120_000 });
  return page.locator('[data-role=output] .generated').textContent();
}

before(() => harness.start());
after(() => harness.close());

describe('with WebGPU (SwiftShader)', () => {
  let context;
  before(async () => {
    context = await launch(true);
  });

  test('the default corpus and preset train on the CPU: the loss falls, then it generates', async () => {
    const page = await open(context, '?corpus=names&preset=tiny&steps=150&autotrain=1&device=cpu');
    await waitStatus(page, ['done', 'error'], 180_000);
    assert.equal(await status(page), 'done', await errorText(page));
    const s = await stats(page);
    assert.equal(Number(s.step), 150);
    assert.ok(Number(s.loss) < Number(s.firstLoss) - 0.8, `loss ${s.firstLoss} -> ${s.loss}`);
    assert.ok(Number(s.valLoss) > 0, 'a validation loss is shown');
    console.log(`CPU (wasm) training: ${s.tokensPerSecond} tokens/s, loss ${Number(s.firstLoss).toFixed(3)} -> ${Number(s.loss).toFixed(3)}`);
    assert.match(await page.locator('[data-role=device-note]').textContent(), /CPU/);
    const text = await generate(page, 150);
    assert.ok(text.length >= 100, `generated: ${text}`);
    // Names: mostly letters and newlines, several lines (one name per line).
    assert.ok(/^[\p{L}\n' -]+$/u.test(text), `name-like characters only: ${JSON.stringify(text)}`);
    assert.ok(text.split('\n').length > 5, `several names: ${JSON.stringify(text)}`);
    await page.screenshot({ path: join(shots, 'page-trained-cpu.png'), fullPage: true });
    // CPU first: the page, its worker and the training fetched the CPU package once, compiled it
    // once, and never the WebGPU one.
    const wasm = page.requests.filter((p) => p.endsWith('.wasm') || p.includes('/pkg/'));
    assert.deepEqual([...new Set(wasm)].sort(), ['/pkg/cpu-relaxed/gpt_wasm.js', '/pkg/cpu-relaxed/gpt_wasm_bg.wasm'], `package requests: ${wasm}`);
    assert.equal(wasm.filter((p) => p.endsWith('.wasm')).length, 1, `one wasm download: ${wasm}`);
    assert.deepEqual(page.foreign, []);
    assert.deepEqual(page.consoleErrors, []);
  });

  // One WebGPU (SwiftShader) run serves two checks, as WebGPU is slow here: the page trains on it,
  // then a lost device moves the run to the CPU, where it carries on from its last snapshot.
  test('training on WebGPU lowers the loss; a lost device moves the run to the CPU, which carries on', async () => {
    const page = await open(context, `?${CORE}corpus=names&preset=tiny&steps=30&autotrain=1&device=webgpu`);
    assert.match(await page.locator('[data-role=device-note]').textContent(), /WebGPU/);
    await page.waitForFunction(() => Number(document.querySelector('[data-role=train-stats]').dataset.step) >= 15
      && document.querySelector('main').playground.history.val.count > 0, null, { timeout: 300_000, polling: 100 });
    const before = await stats(page);
    assert.ok(Number(before.loss) < Number(before.firstLoss) - 0.2, `loss on WebGPU ${before.firstLoss} -> ${before.loss}`);
    assert.match(await page.locator('[data-role=model-info]').textContent(), /on WebGPU/);
    await page.screenshot({ path: join(shots, 'page-trained-webgpu.png'), fullPage: true });
    // A snapshot of the trained run now: the periodic ones come every 10 s, and 15 steps on
    // WebGPU can take less than that (the last one may be of the untrained model).
    // (One already under way when asked may be older: then ask again.)
    let snapped = 0;
    for (let i = 0; i < 3 && !(snapped >= 15); i++) {
      snapped = await page.evaluate(async () => (await document.querySelector('main').playground.snapshot())?.step);
    }
    assert.ok(snapped >= 15, `a snapshot at step ${snapped}`);
    // The device goes away mid-run (the worker's test hook destroys it).
    await page.evaluate(() => document.querySelector('main').playground.call('debug', { action: 'lose-device' }));
    await waitStatus(page, ['done', 'error'], 300_000);
    assert.equal(await status(page), 'done', await errorText(page));
    const message = await errorText(page);
    assert.match(message, /^Training moved to the CPU: the WebGPU device (was lost|failed) .*Your model was restored from its last snapshot, at step \d+/);
    const restored = Number(message.match(/at step (\d+)/)[1]);
    assert.match(await page.locator('[data-role=device-note]').textContent(), /Training on the CPU: the WebGPU device (was lost|failed)/);
    assert.match(await page.locator('[data-role=model-info]').textContent(), /on the CPU/);
    const after = await stats(page);
    assert.equal(after.step, '30', 'the run reached its target on the CPU');
    // The history goes on from the snapshot: every step once, and the first CPU loss near the
    // last one before it, far below the untrained model's (a fresh start would be back there).
    const points = await page.evaluate(() => document.querySelector('main').playground.history.train.points.map((p) => [p[0], p[1]]));
    assert.deepEqual(points.map((p) => p[0]), Array.from({ length: 30 }, (_, i) => i + 1));
    const at = (step) => points[step - 1][1];
    console.log(`WebGPU lost near step ${before.step}, restored at ${restored}: loss ${at(restored).toFixed(3)} -> ${at(restored + 1).toFixed(3)} on the CPU (untrained ${Number(before.firstLoss).toFixed(3)})`);
    assert.ok(restored > 0 && Math.abs(at(restored + 1) - at(restored)) < 0.3, `loss ${at(restored)} -> ${at(restored + 1)} across the move`);
    assert.ok(at(restored + 1) < Number(before.firstLoss) - 0.2, `still trained: ${at(restored + 1)}`);
    const text = await generate(page, 20);
    assert.ok(text.length > 0, 'and it generates');
  });

  // SwiftShader stands in for a hardware adapter here (the probe result is given), so the paths a
  // reader with a real GPU takes run for real: the device is chosen by measuring both, and after a
  // run on WebGPU generation reads a CPU copy of the weights when that is faster.
  test('the device is chosen by measuring; generation after WebGPU training reads a faster CPU copy', async () => {
    const page = await open(context, `?${CORE}corpus=names&preset=tiny`);
    const r = await page.evaluate(async () => {
      const { Playground } = await import('/lib/playground.js');
      const pg = new Playground({ corpus: 'names', preset: 'tiny', device: 'auto', webgpu: { available: true, fallback: false, name: 'SwiftShader as if hardware' } });
      await pg.ready;
      const errors = [];
      pg.addEventListener('error', (e) => errors.push(e.detail.message));
      const sessions = async () => (await pg.call('sessions')).sessions;
      const t0 = performance.now();
      await pg.train({ steps: 2 });
      const auto = { ...pg.device, info: pg.info.device, ms: performance.now() - t0 };
      await pg.set({ device: 'webgpu' });
      await pg.train({ steps: 2 });
      const forced = { ...pg.device, info: pg.info.device, sessions: await sessions() };
      const text = await pg.generate({ prompt: 'A', maxTokens: 10, sampling: { seed: 3 } }).then((g) => g.text ?? g);
      const training = pg.train({ steps: 1 });
      await new Promise((r) => setTimeout(r, 0));
      const duringTraining = await sessions();
      await training;
      const after = await sessions();
      pg.destroy();
      return { auto, forced, text, duringTraining, after, errors };
    });
    console.log(`measured: ${r.auto.note} (${Math.round(r.auto.ms)} ms) / ${r.forced.note}`);
    assert.deepEqual(r.errors, []);
    // Measured, both figures in the note; a tiny model on a software adapter loses to the CPU.
    assert.equal(r.auto.info, 'cpu');
    assert.ok(r.auto.measured.webgpuTokensPerSecond > 0 && r.auto.measured.cpuTokensPerSecond > r.auto.measured.webgpuTokensPerSecond, JSON.stringify(r.auto.measured));
    assert.match(r.auto.note, /^Training on the CPU, the faster here .*measured [\d,]+ tokens\/s on the CPU \(1 worker\) against [\d,]+ tokens\/s on WebGPU \(SwiftShader as if hardware\)/);
    // Forced onto WebGPU: it trains there; the copy was measured faster and is what generates.
    assert.equal(r.forced.info, 'webgpu');
    assert.equal(r.forced.generation.device, 'cpu', JSON.stringify(r.forced.generation));
    assert.ok(r.forced.generation.cpuTokensPerSecond > r.forced.generation.webgpuTokensPerSecond, JSON.stringify(r.forced.generation));
    assert.match(r.forced.note, /^Training on WebGPU .*Generation and the panels read a CPU copy of the weights \([\d,]+ tokens\/s there against [\d,]+ on WebGPU\)\.$/);
    assert.deepEqual(r.forced.sessions.sort(), ['main', 'main@cpu']);
    assert.ok(typeof r.text === 'string' && r.text.length > 0, `generated ${JSON.stringify(r.text)}`);
    // Training drops the copy (it would be stale) and the end of the run makes a new one.
    assert.deepEqual(r.duringTraining, ['main']);
    assert.deepEqual(r.after.sort(), ['main', 'main@cpu']);
  });

  test('the page stays responsive while training, and Stop answers within a second', async () => {
    const page = await open(context, `?${CORE}corpus=moby&preset=baby&steps=5000&autotrain=1&device=cpu`);
    await page.waitForFunction(() => Number(document.querySelector('[data-role=train-stats]').dataset.step) > 3, null, { timeout: 120_000 });
    // Frames keep coming while the worker trains: the longest gap between two frames over 2 s.
    const worstGap = await page.evaluate(() => new Promise((resolve) => {
      let last = performance.now();
      let worst = 0;
      const end = last + 2000;
      const frame = (t) => {
        worst = Math.max(worst, t - last);
        last = t;
        if (t < end) requestAnimationFrame(frame);
        else resolve(worst);
      };
      requestAnimationFrame(frame);
    }));
    assert.ok(worstGap < 250, `longest frame gap while training: ${worstGap.toFixed(0)} ms`);
    // An input answers at once: typing into the prompt box.
    await page.fill('[data-role=prompt]', 'Whales');
    assert.equal(await page.inputValue('[data-role=prompt]'), 'Whales');
    await page.screenshot({ path: join(shots, 'page-training.png'), fullPage: true });
    const t0 = Date.now();
    await page.click('[data-action=stop]');
    await waitStatus(page, ['done'], 5000);
    const ms = Date.now() - t0;
    assert.ok(ms < 1000, `Stop took ${ms} ms`);
    assert.match(await page.locator('[data-role=train-stats]').textContent(), /stopped/);
    console.log(`frame gap while training ${worstGap.toFixed(0)} ms; Stop answered in ${ms} ms`);
  });

  test('bad input gets a specific error and the trained model is kept', async () => {
    const page = await open(context, `?${CORE}corpus=names&preset=tiny&steps=20&autotrain=1&device=cpu`);
    await waitStatus(page, ['done', 'error'], 120_000);
    assert.equal(await status(page), 'done', await errorText(page));

    await page.selectOption('[data-role=corpus]', 'own');
    await page.fill('[data-role=corpus-text]', '');
    await page.click('[data-action=train]');
    await waitStatus(page, ['error'], 30_000);
    assert.match(await errorText(page), /corpus is empty/);

    await page.fill('[data-role=corpus-text]', 'too short');
    await page.click('[data-action=train]');
    await page.waitForFunction(() => /too short/.test(document.querySelector('[data-role=error]').textContent));
    assert.match(await errorText(page), /context 32/);
    assert.match(await page.locator('[data-role=model-info]').textContent(), /previous model is kept/);

    await page.setInputFiles('[data-role=upload]', { name: 'big.txt', mimeType: 'text/plain', buffer: Buffer.alloc(5 * 1024 * 1024, 'a') });
    await page.waitForFunction(() => /big\.txt.*up to 4 MB/.test(document.querySelector('[data-role=error]').textContent));
    await page.setInputFiles('[data-role=upload]', { name: 'photo.txt', mimeType: 'text/plain', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]) });
    await page.waitForFunction(() => /photo\.txt.*binary/.test(document.querySelector('[data-role=error]').textContent));
    await page.setInputFiles('[data-role=load]', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint at all') });
    await page.waitForFunction(() => /broken\.safetensors.*cannot load checkpoint.*current model is kept/.test(document.querySelector('[data-role=error]').textContent));
    await page.screenshot({ path: join(shots, 'page-error.png'), fullPage: true });

    // The model trained before the errors still generates (names, not the pasted text's characters).
    await page.fill('[data-role=prompt]', 'Ma');
    const text = await generate(page, 30);
    assert.ok(text.length >= 20, `still generates: ${text}`);
    assert.ok(await page.locator('[data-action=train]').isEnabled());
  });

  test('a saved model loads back and generates exactly the same text', async () => {
    const page = await open(context, `?${CORE}corpus=names&preset=tiny&steps=40&autotrain=1&device=cpu`);
    await waitStatus(page, ['done', 'error'], 120_000);
    assert.equal(await status(page), 'done', await errorText(page));
    const before = await generate(page, 60);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=save]')]);
    assert.match(download.suggestedFilename(), /^gpt-tiny-step40\.safetensors$/);
    const file = join(harness.profiles.at(-1), 'model.safetensors');
    await download.saveAs(file);
    await page.click('[data-action=reset]');
    await page.setInputFiles('[data-role=load]', file);
    await page.waitForFunction(() => /loaded from model\.safetensors/.test(document.querySelector('[data-role=model-info]').textContent));
    assert.match(await page.locator('[data-role=train-stats]').textContent(), /trained for 40 steps/);
    const after = await generate(page, 60);
    assert.equal(after, before);
  });

  test('phone width: nothing overflows horizontally', async () => {
    const page = await open(context, '?corpus=moby&preset=tiny&steps=10&autotrain=1&device=cpu');
    await page.setViewportSize({ width: 390, height: 844 });
    await waitStatus(page, ['done', 'error'], 120_000);
    await generate(page, 40);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    await page.screenshot({ path: join(shots, 'page-phone.png'), fullPage: true });
  });
});

describe('without WebGPU (Chromium without --enable-unsafe-webgpu)', () => {
  test('asking for WebGPU falls back to the CPU with a visible note', async () => {
    const context = await launch(false);
    const page = await open(context, `?${CORE}corpus=names&preset=tiny&steps=10&autotrain=1&device=webgpu`);
    const note = await page.locator('[data-role=device-note]').textContent();
    assert.match(note, /Training on the CPU: .*WebGPU/, note);
    await waitStatus(page, ['done', 'error'], 120_000);
    assert.equal(await status(page), 'done', await errorText(page));
    assert.match(await page.locator('[data-role=model-info]').textContent(), /on the CPU/);
    await page.screenshot({ path: join(shots, 'page-no-webgpu.png'), fullPage: true });
  });
});

describe('panels on demand', () => {
  test('panels= shows only the named panels, in the tutorial order, and names a wrong one', async () => {
    const context = await launch(false);
    const page = await open(context, '?panels=scale,tokenizer&corpus=names');
    const shown = await page.evaluate(() => [...document.querySelectorAll('[data-panel]')].map((p) => p.dataset.panel));
    assert.deepEqual(shown, ['tokenizer', 'scale']);
    // An embed keeps the Train card; the corpus and model cards are hidden unless named.
    assert.ok(await page.locator('[data-card=train]').isVisible());
    assert.ok(!(await page.locator('[data-card=data]').isVisible()));
    const all = await open(context, '?corpus=names');
    const every = await all.evaluate(() => [...document.querySelectorAll('[data-panel]')].map((p) => p.dataset.panel));
    assert.deepEqual(every, ['tokenizer', 'embedding', 'attention', 'mask', 'residual', 'finetune', 'generation', 'scale']);
    const wrong = await open(context, '?panels=attention,atention&corpus=names');
    assert.match(await errorText(wrong), /Unknown panel "atention"/);
    assert.equal(await wrong.locator('[data-panel]').count(), 1);
  });
});
