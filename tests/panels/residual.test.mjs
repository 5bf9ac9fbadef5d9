// The residual / LayerNorm panel: the traced residual stream and LayerNorm statistics of the
// reader's model, and four ablation models (baseline, no residual, no LayerNorm, post-LN).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, canvasColours, panel, panelData, shoot, train, waitPanel } from '../browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

/** Wait until the panel has traced the main model at `step`. */
const waitTraced = (page, step) =>
  page.waitForFunction((s) => {
    const root = document.querySelector('[data-panel=residual]');
    return root.dataset.state === 'ready' && root.panelData?.step === s;
  }, step, { timeout: 60_000, polling: 100 });

/** Wait until the ablation run ended (done or stopped). */
const waitAblation = (page, timeout = 120_000) =>
  page.waitForFunction(() => {
    const root = document.querySelector('[data-panel=residual]');
    return root.panelData?.ablation?.done && root.dataset.state !== 'busy';
  }, null, { timeout, polling: 200 });

test('residual stream and LayerNorm statistics come from the live model; the ablations train differently', async () => {
  const page = await harness.open(await harness.launch(), '?panels=residual&preset=tiny&corpus=names');
  assert.equal(await panel(page, 'residual').getAttribute('data-state'), 'empty');

  // After one step the LayerNorm gains and biases are still almost 1 and 0, so the outputs
  // (measured after gain and bias) must be normalised: mean ~0, std ~1, whatever the input.
  await train(page, 1);
  await waitTraced(page, 1);
  let d = await panelData(page, 'residual');
  const n = d.nLayer;
  assert.equal(d.residual.length, 2 * n + 2, 'embeddings, each sub-layer, and after the final LayerNorm');
  assert.deepEqual(d.residual.map((r) => r.name).slice(0, 3), ['embeddings', 'block 0 after attention', 'block 0 after MLP']);
  assert.equal(d.layerNorms.length, 2 * n + 1, 'two per block plus ln_f');
  for (const ln of d.layerNorms) {
    assert.ok(Math.abs(ln.output_mean) < 0.05, `${ln.name} output mean ${ln.output_mean}`);
    assert.ok(Math.abs(ln.output_std - 1) < 0.1, `${ln.name} output std ${ln.output_std}`);
  }
  // The embeddings start small (std 0.02 at init): LayerNorm really rescales them.
  assert.ok(d.layerNorms[0].input_std < 0.3, `block 0 ln_1 input std ${d.layerNorms[0].input_std}`);
  console.log('step 1 LN:', d.layerNorms.map((l) => `${l.name} in ${l.input_std.toFixed(3)} out ${l.output_mean.toFixed(4)}/${l.output_std.toFixed(3)}`).join('; '));

  await train(page, 300);
  await waitTraced(page, 301);
  d = await panelData(page, 'residual');
  for (const r of d.residual) assert.ok(Number.isFinite(r.mean_norm) && r.mean_norm > 0, `${r.name}: ${r.mean_norm}`);
  for (const ln of d.layerNorms) for (const k of ['input_mean', 'input_std', 'output_mean', 'output_std']) assert.ok(Number.isFinite(ln[k]), `${ln.name}.${k}`);
  assert.ok(await canvasColours(page, '[data-role=residual-chart]') > 3, 'the residual bars are drawn');
  assert.equal(await page.locator('[data-role=layer-norms] tbody tr').count(), 2 * n + 1);
  assert.match(await page.locator('[data-role=residual-sentence]').textContent(), /running sum/);
  console.log('step 301 residual:', d.residual.map((r) => `${r.name} ${r.mean_norm.toFixed(2)}`).join('; '));

  // Ablation: four models, 150 steps each, 2 layers.
  await page.fill('[data-role=residual-steps]', '150');
  await page.selectOption('[data-role=residual-layers]', '2');
  await page.click('[data-action=residual-run]');
  await waitAblation(page);
  const a = (await panelData(page, 'residual')).ablation;
  assert.equal(a.nLayer, 2);
  const keys = ['baseline', 'no-residual', 'no-layernorm', 'post-ln'];
  for (const k of keys) {
    assert.equal(a.runs[k].points.length, 150, `${k} has one loss per step`);
    assert.ok(Number.isFinite(a.runs[k].final) && Number.isFinite(a.runs[k].val), `${k} final ${a.runs[k].final} val ${a.runs[k].val}`);
  }
  const base = a.runs.baseline;
  const differs = keys.slice(1).some((k) => a.runs[k].points.some(([, loss], i) => Math.abs(loss - base.points[i][1]) > 0.01));
  assert.ok(differs, 'some ablation follows a different curve');
  // Measured here: baseline ~2.52, no residual ~3.16 (names, tiny, 2 layers, 150 steps).
  assert.ok(a.runs['no-residual'].final > base.final + 0.2, `no residual ${a.runs['no-residual'].final} vs baseline ${base.final}`);
  console.log('ablation:', keys.map((k) => `${k} final ${a.runs[k].final.toFixed(3)} val ${a.runs[k].val.toFixed(3)} ${Math.round(a.runs[k].ms)} ms`).join('; '));
  assert.ok(await canvasColours(page, '[data-role=residual-loss-chart]') > 4, 'four curves drawn');
  assert.equal(await page.locator('[data-role=ablation-table] tbody tr').count(), 4);
  assert.match(await page.locator('[data-role=ablation-summary]').textContent(), /baseline reached \d\.\d{3}/);
  await shoot(panel(page, 'residual'), 'panel-residual');
  assert.deepEqual(page.consoleErrors, []);
});

test('at 390 px nothing overflows, and Stop ends an ablation run', async () => {
  const page = await harness.open(await harness.launch({ width: 390, height: 900 }), '?panels=residual&preset=tiny&corpus=names');
  await train(page, 50);
  await waitTraced(page, 50);
  await page.fill('[data-role=residual-steps]', '2000');
  await page.click('[data-action=residual-run]');
  await page.waitForFunction(() => document.querySelector('[data-panel=residual]').panelData?.ablation?.runs?.baseline?.points.length > 10, null, { timeout: 60_000 });
  await page.click('[data-action=residual-stop]');
  await waitAblation(page, 30_000);
  const a = (await panelData(page, 'residual')).ablation;
  assert.equal(a.stopped, true);
  assert.ok(a.runs.baseline.points.length < 2000, 'the run stopped early');
  assert.equal(a.runs['no-residual'], undefined, 'no further model was trained');
  assert.equal(await panel(page, 'residual').getAttribute('data-state'), 'ready');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `page overflows by ${overflow}px`);
  await shoot(panel(page, 'residual'), 'panel-residual-390');
  assert.deepEqual(page.consoleErrors, []);
});
