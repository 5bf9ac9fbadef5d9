// The two CPU packages (PROTOCOL.md, "Packages"): Chromium has WebAssembly relaxed SIMD, so the
// page picks `cpu-relaxed` (linear layers on the model crate's own FMA matrix product); a
// browser without it (here: `WebAssembly.validate` made to refuse the probe) gets the plain
// `cpu` package. In each, every fused op (the linear layer on the relaxed-SIMD product among
// them) agrees with its reference composition, forward and backward (`checkFusedOps`); and both
// train the same model from the same seed along one loss curve (within the 1e-3 of the 50-step
// WebGPU gate: FMA rounds once where multiply-then-add rounds twice, a difference of ~1e-8 in
// the gradients that 20 steps leave below the loss's f32 resolution).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedBrowser } from './browser.mjs';

const shared = sharedBrowser();
const { harness } = shared;

async function curve({ relaxed }) {
  const page = await shared.context.newPage();
  if (!relaxed) {
    await page.addInitScript(() => {
      WebAssembly.validate = () => false;
    });
  }
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(`${harness.origin}/blank`).catch(() => {});
  const r = await page.evaluate(async (origin) => {
    const { hasRelaxedSimd, cpuPackage } = await import(`${origin}/lib/client.js`);
    const { Playground } = await import(`${origin}/lib/playground.js`);
    const pg = new Playground({ corpus: 'names', preset: 'tiny', device: 'cpu', workers: 1 });
    await pg.ready;
    await pg.train({ steps: 20 });
    const losses = pg.history.train.points.map((p) => p[1]);
    const { builds } = await pg.call('sessions');
    const checks = await pg.call('checkFusedOps');
    pg.destroy();
    return { losses, builds, checks, relaxed: hasRelaxedSimd(), chosen: cpuPackage() };
  }, harness.origin);
  await page.close();
  return { ...r, wasm: [...new Set(requests.filter((p) => p.endsWith('.wasm')))] };
}

test('Chromium gets the relaxed-SIMD package, a browser without relaxed SIMD the plain one, and both follow one loss curve', async () => {
  const relaxed = await curve({ relaxed: true });
  const plain = await curve({ relaxed: false });
  assert.equal(relaxed.relaxed, true, 'Chromium validates relaxed SIMD');
  assert.equal(relaxed.chosen, 'cpu-relaxed');
  assert.deepEqual(relaxed.builds, { cpu: 'cpu-relaxed' });
  assert.deepEqual(relaxed.wasm, ['/pkg/cpu-relaxed/gpt_wasm_bg.wasm']);
  assert.equal(plain.relaxed, false);
  assert.equal(plain.chosen, 'cpu');
  assert.deepEqual(plain.builds, { cpu: 'cpu' });
  assert.deepEqual(plain.wasm, ['/pkg/cpu/gpt_wasm_bg.wasm']);

  assert.equal(relaxed.losses.length, 20);
  assert.equal(plain.losses.length, 20);
  assert.ok(relaxed.losses.at(-1) < relaxed.losses[0] - 0.3, `loss falls: ${relaxed.losses[0]} -> ${relaxed.losses.at(-1)}`);
  const worst = Math.max(...relaxed.losses.map((l, i) => Math.abs(l - plain.losses[i])));
  console.log(`relaxed vs plain CPU package over 20 steps: largest loss difference ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-3, `loss curves differ by ${worst}`);
  for (const [name, r] of [['cpu-relaxed', relaxed], ['cpu', plain]]) {
    // GELU 2, LayerNorm 4, attention 18, cross-entropy 2, linear 8, AdamW 3 (ops::self_check).
    assert.equal(r.checks.length, 37, name);
    assert.deepEqual(r.checks.filter((c) => !c.passed), [], `${name}: fused ops that disagree with their references`);
    assert.equal(r.checks.filter((c) => c.case.startsWith('linear')).length, 8, name);
  }
  const linear = (r) => Math.max(...r.checks.filter((c) => c.case.startsWith('linear')).map((c) => c.diff / c.scale));
  console.log(`linear layer vs burn's linear, largest relative difference: ${linear(relaxed).toExponential(2)} (relaxed SIMD), ${linear(plain).toExponential(2)} (plain)`);
});
