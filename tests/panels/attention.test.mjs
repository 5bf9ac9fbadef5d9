// The self-attention panel: heatmaps per layer and head from the reader's trained model.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, canvasColours, panel, panelData, shoot, train, waitPanel } from '../browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

const QUERY = '?panels=attention&preset=tiny&corpus=names&device=cpu';

/** Wait until the panel shows an inspection made after `step` training steps. */
const waitInspected = (page, step) =>
  page.waitForFunction((s) => {
    const root = document.querySelector('[data-panel="attention"]');
    return root.dataset.state === 'ready' && root.panelData?.step === s;
  }, step, { timeout: 60_000, polling: 100 });

test('attention rows are causal distributions, heads differ, and a clicked token shows its row', async () => {
  const context = await harness.launch();
  const page = await harness.open(context, QUERY);
  assert.equal(await page.locator('[data-panel="attention"]').getAttribute('data-state'), 'empty');
  const s = await train(page, 300);
  assert.equal(Number(s.step), 300);
  await waitInspected(page, 300);

  const d = await panelData(page, 'attention');
  const T = d.T;
  assert.ok(T >= 10, `inspected ${T} tokens`);
  assert.equal(d.tokens.length, T);
  assert.equal(d.attention.length, d.nLayer);
  let worstSum = 0;
  let worstFuture = 0;
  for (const layer of d.attention) {
    assert.equal(layer.length, d.nHead * T * T);
    for (let hd = 0; hd < d.nHead; hd++) {
      for (let i = 0; i < T; i++) {
        let sum = 0;
        for (let j = 0; j < T; j++) {
          const w = layer[hd * T * T + i * T + j];
          sum += w;
          if (j > i) worstFuture = Math.max(worstFuture, Math.abs(w));
        }
        worstSum = Math.max(worstSum, Math.abs(sum - 1));
      }
    }
  }
  assert.ok(worstSum <= 1e-4, `every row sums to 1 (worst off by ${worstSum})`);
  assert.ok(worstFuture <= 1e-6, `nothing above the diagonal (largest ${worstFuture})`);

  // Different heads learned different patterns (a broadcast bug would make them equal).
  const heads = d.attention.flatMap((layer) => Array.from({ length: d.nHead }, (_, hd) => layer.slice(hd * T * T, (hd + 1) * T * T)));
  let maxDiff = 0;
  for (let a = 0; a < heads.length; a++) {
    for (let b = a + 1; b < heads.length; b++) {
      for (let k = 0; k < T * T; k++) maxDiff = Math.max(maxDiff, Math.abs(heads[a][k] - heads[b][k]));
    }
  }
  assert.ok(maxDiff > 1e-3, `heads differ (largest difference ${maxDiff})`);

  const thumbs = await page.locator('.attention-thumb').count();
  assert.equal(thumbs, d.nLayer * d.nHead);
  for (let k = 0; k < thumbs; k++) {
    const colours = await canvasColours(page, `.attention-thumb:nth-child(${k + 1}) canvas`);
    assert.ok(colours > 5, `small multiple ${k} is drawn (${colours} colours)`);
  }
  assert.ok(await canvasColours(page, '.attention-big') > 5, 'the large view is drawn');

  // Choose layer 2 head 2 and the 8th token: the bars are exactly that row.
  const layer = d.nLayer - 1;
  const head = d.nHead - 1;
  await page.click(`.attention-thumb[data-layer="${layer}"][data-head="${head}"]`);
  await page.click('.attention-chip[data-index="7"]');
  const after = await panelData(page, 'attention');
  assert.equal(after.layer, layer);
  assert.equal(after.head, head);
  assert.equal(after.query, 7);
  const shown = await page.$$eval('.attention-bar', (els) => els.map((e) => Number(e.dataset.weight)));
  assert.equal(shown.length, 8, 'one bar per token up to the query');
  const row = after.attention[layer].slice(head * T * T + 7 * T, head * T * T + 8 * T);
  shown.forEach((w, j) => assert.ok(Math.abs(w - row[j]) < 1e-7, `bar ${j}: ${w} vs ${row[j]}`));
  assert.match(await page.locator('.attention-title').textContent(), new RegExp(`Layer ${layer + 1}, head ${head + 1}`));

  // A click on a row of the large view chooses that query too; arrow keys move it.
  const lay = await page.evaluate(() => {
    const c = document.querySelector('.attention-big');
    return { w: c.clientWidth, h: c.clientHeight };
  });
  await page.locator('.attention-big').click({ position: { x: lay.w - 5, y: lay.h - 5 } }); // the last row
  assert.equal((await panelData(page, 'attention')).query, T - 1);
  await page.focus('.attention-big');
  await page.keyboard.press('ArrowUp');
  assert.equal((await panelData(page, 'attention')).query, T - 2);
  await page.click('.attention-chip[data-index="7"]');

  // A prompt of one's own.
  await page.fill('[data-role=attention-prompt]', 'Annabell');
  await page.click('[data-action=inspect]');
  await page.waitForFunction(() => document.querySelector('[data-panel="attention"]').panelData?.T === 8, null, { timeout: 30_000 });
  await page.fill('[data-role=attention-prompt]', '');
  await page.click('[data-action=inspect]');
  await page.waitForFunction(() => document.querySelector('[data-panel="attention"]').panelData?.T > 8, null, { timeout: 30_000 });
  await page.click('.attention-chip[data-index="7"]');

  await shoot(panel(page, 'attention'), 'panel-attention');
  console.log(`attention: T=${T}, worst row-sum error ${worstSum.toExponential(1)}, largest future weight ${worstFuture}, heads differ by up to ${maxDiff.toFixed(3)}`);
  assert.deepEqual(page.consoleErrors, []);
});

test('at 390 px wide the panel fits the screen', async () => {
  const context = await harness.launch({ width: 390, height: 900 });
  const page = await harness.open(context, QUERY);
  await train(page, 60);
  await waitInspected(page, 60);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  const hidden = await page.$$eval('.attention-thumbs, .attention-big-wrap', (els) => els.map((e) => e.scrollWidth - e.clientWidth));
  assert.ok(hidden.every((x) => x <= 1), `heatmaps fit without scrolling: ${hidden}`);
  await page.click('.attention-chip[data-index="9"]');
  await shoot(panel(page, 'attention'), 'panel-attention-390');
  assert.deepEqual(page.consoleErrors, []);
});
