// The masked-attention panel: the mask over live attention, the edit-a-later-token proof, and the
// train-without-the-mask ablation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, canvasColours, panel, panelData, shoot, train } from '../browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

const QUERY = '?panels=mask&preset=tiny&corpus=names&device=cpu';

/** Wait until the panel shows a proof made with the model after `step` steps (at `position`). */
const waitProof = (page, step, position = null) =>
  page.waitForFunction(([s, p]) => {
    const root = document.querySelector('[data-panel="mask"]');
    const proof = root.panelData?.proof;
    return root.dataset.state === 'ready' && proof?.step === s && (p === null || proof.position === p);
  }, [step, position], { timeout: 60_000, polling: 100 });

const waitAblation = (page, timeout = 150_000) =>
  page.waitForFunction(() => ['done', 'error', 'stopped'].includes(document.querySelector('.mask-ablation').dataset.ablation), null, { timeout, polling: 200 });

/** Earlier positions are bit-identical, the edited one moved. */
function assertCausal(proof) {
  const p = proof.position;
  assert.ok(p > 0, `an edit after the first token (at ${p})`);
  assert.equal(proof.first, p, 'a char-level edit changes exactly that position');
  for (let t = 0; t < p; t++) assert.equal(proof.maxDelta[t], 0, `position ${t} before the edit is identical (|Δ| ${proof.maxDelta[t]})`);
  assert.ok(proof.maxDelta[p] > 0, `the edited position ${p} changed (|Δ| ${proof.maxDelta[p]})`);
  assert.notEqual(proof.text, proof.edited);
  for (let t = 0; t < p; t++) assert.deepEqual(proof.before[t], proof.after[t], `same top prediction at ${t}`);
}

test('the mask zeroes the future, a later edit leaves earlier predictions identical, and the unmasked model cheats', async () => {
  const context = await harness.launch();
  const page = await harness.open(context, QUERY);
  assert.equal(await page.locator('[data-panel="mask"]').getAttribute('data-state'), 'empty');
  await train(page, 300);
  await waitProof(page, 300);

  // (a) The grid: one head's live weights, nothing above the diagonal.
  let d = await panelData(page, 'mask');
  const { T, weights } = d.grid;
  assert.ok(T >= 8, `a ${T}-token prompt`);
  let future = 0;
  let rowErr = 0;
  for (let i = 0; i < T; i++) {
    let sum = 0;
    for (let j = 0; j < T; j++) {
      sum += weights[i * T + j];
      if (j > i) future = Math.max(future, Math.abs(weights[i * T + j]));
    }
    rowErr = Math.max(rowErr, Math.abs(sum - 1));
  }
  assert.ok(future <= 1e-6, `masked cells carry no attention (largest ${future})`);
  assert.ok(rowErr <= 1e-4, `rows sum to 1 (off by ${rowErr})`);
  assert.ok(await canvasColours(page, '.mask-grid') > 5, 'the grid is drawn');
  await page.selectOption('[data-role=mask-layer]', '1');
  await page.selectOption('[data-role=mask-head]', '1');
  d = await panelData(page, 'mask');
  assert.equal(d.grid.layer, 1);
  assert.equal(d.grid.head, 1);

  // (b) The automatic proof, then one of our own: change token 4 to another corpus letter.
  assertCausal(d.proof);
  const auto = d.proof;
  await page.click('.mask-chip[data-index="4"]');
  const current = d.proof.text[4];
  await page.fill('[data-role=mask-replacement]', current === 'q' ? 'z' : 'q');
  await page.click('[data-action=mask-change]');
  await waitProof(page, 300, 4);
  d = await panelData(page, 'mask');
  assertCausal(d.proof);
  assert.equal(await page.locator('.mask-table tbody tr.mask-same').count() >= 4, true);
  assert.match(await page.locator('.mask-proof-note').textContent(), /Positions 0–3: max \|Δ logit\| = 0, identical/);
  // A character the corpus lacks is refused with a reason (char-level tokenizer).
  await page.fill('[data-role=mask-replacement]', '€');
  await page.click('[data-action=mask-change]');
  await page.waitForFunction(() => document.querySelector('[data-panel="mask"]').dataset.state === 'error');
  assert.match(await page.locator('[data-panel="mask"] .panel-status').textContent(), /never occurs in the corpus/);
  await page.fill('[data-role=mask-replacement]', current === 'q' ? 'z' : 'q');
  await page.click('[data-action=mask-change]');
  await waitProof(page, 300, 4);

  // (c) The ablation: 1000 steps each (the unmasked tiny model finds its trick after ~500 steps).
  await page.fill('[data-role=mask-steps]', '1000');
  const t0 = Date.now();
  await page.click('[data-action=mask-ablate]');
  await waitAblation(page);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(await page.locator('.mask-ablation').getAttribute('data-ablation'), 'done', await page.locator('.mask-ablation-status').textContent());
  const a = (await panelData(page, 'mask')).ablation;
  assert.equal(a.causal.curve.length, 1000);
  assert.equal(a.nomask.curve.length, 1000);
  assert.ok(a.nomask.trainLoss < a.causal.trainLoss - 0.3, `no-mask train loss ${a.nomask.trainLoss} well below causal ${a.causal.trainLoss}`);
  const curveDiff = Math.max(...a.causal.curve.map((l, i) => Math.abs(l - a.nomask.curve[i])));
  assert.ok(curveDiff > 1e-3, `the two curves differ (by up to ${curveDiff})`);
  assert.ok(a.causal.sample.length > 0 && a.nomask.sample.length > 0, 'both models wrote something');
  assert.ok(Number.isFinite(a.causal.val) && Number.isFinite(a.nomask.val));
  assert.ok(await canvasColours(page, '.mask-chart') > 5, 'the loss chart is drawn');
  // Both curves are on the chart: pixels of each series colour.
  const hues = await page.evaluate(() => {
    const c = document.querySelector('.mask-chart');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let blue = 0;
    let orange = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 2] > 150 && px[i] < 120) blue++;
      if (px[i] > 180 && px[i + 2] < 80) orange++;
    }
    return { blue, orange };
  });
  assert.ok(hues.blue > 50 && hues.orange > 50, `both curves drawn: ${JSON.stringify(hues)}`);
  assert.equal((await page.locator('[data-role=sample-causal]').textContent()).length > a.prompt.length, true);

  await shoot(panel(page, 'mask'), 'panel-mask');
  console.log(`mask: auto proof at position ${auto.position} of ${auto.maxDelta.length}, |Δ| there ${auto.maxDelta[auto.position].toFixed(3)}; `
    + `ablation ${seconds.toFixed(1)} s: train loss causal ${a.causal.trainLoss.toFixed(3)} vs no mask ${a.nomask.trainLoss.toFixed(3)}, `
    + `val ${a.causal.val.toFixed(3)} vs ${a.nomask.val.toFixed(3)}`);
  console.log(`samples:\n  causal: ${JSON.stringify(a.causal.sample)}\n  nomask: ${JSON.stringify(a.nomask.sample)}`);
  assert.deepEqual(page.consoleErrors, []);
});

test('Stop ends the ablation, and at 390 px wide the panel fits the screen', async () => {
  const context = await harness.launch({ width: 390, height: 900 });
  const page = await harness.open(context, QUERY);
  // The ablation needs no main model: it builds its own two.
  await page.fill('[data-role=mask-steps]', '3000');
  await page.click('[data-action=mask-ablate]');
  await page.waitForFunction(() => document.querySelector('.mask-ablation').dataset.ablation === 'training', null, { timeout: 30_000 });
  await page.waitForTimeout(500);
  await page.click('[data-action=mask-stop]');
  await waitAblation(page, 10_000);
  assert.equal(await page.locator('.mask-ablation').getAttribute('data-ablation'), 'stopped');
  await page.fill('[data-role=mask-steps]', '40');
  await page.click('[data-action=mask-ablate]');
  await waitAblation(page);
  assert.equal(await page.locator('.mask-ablation').getAttribute('data-ablation'), 'done');
  await train(page, 60);
  await waitProof(page, 60);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  // The tables fit without scrolling sideways.
  const hidden = await page.$$eval('.mask-table-wrap', (els) => els.map((e) => e.scrollWidth - e.clientWidth));
  assert.ok(hidden.length === 2 && hidden.every((x) => x <= 1), `table overflow: ${hidden}`);
  await shoot(panel(page, 'mask'), 'panel-mask-390');
  assert.deepEqual(page.consoleErrors, []);
});
