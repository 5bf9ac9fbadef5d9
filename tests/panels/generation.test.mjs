// The generation panel: streaming text, next-token probability bars, forcing a candidate, and
// sampling settings that visibly change the bars.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, errorText, panel, panelData, shoot, status, train } from '../browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

/** The bars as drawn: token ids and the percentages shown. */
const bars = (page) =>
  page.$$eval('[data-panel=generation] .generation-bar', (bs) => bs.map((b) => ({ id: Number(b.dataset.id), pct: parseFloat(b.querySelector('.generation-p').textContent) })));

test('generation: bars show the next-token distribution, a click forces a token, sampling reshapes the bars', async () => {
  const context = await harness.launch();
  const page = await harness.open(context, '?panels=generation&corpus=names&preset=tiny&device=cpu');
  await train(page, 300);
  assert.equal(await status(page), 'done', await errorText(page));

  // Streaming: many tokens, each recorded with its probability; bars for the next one.
  await page.fill('[data-role=max-tokens]', '60');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled);
  let data = await panelData(page, 'generation');
  assert.equal(data.tokens.length, 60);
  assert.ok(data.text.length >= 30, data.text);
  assert.equal(await page.locator('[data-role=output] .generated').textContent(), data.text);
  let drawn = await bars(page);
  assert.equal(drawn.length, 8);
  const probs = data.candidates.map((c) => c.probability);
  assert.deepEqual(probs, [...probs].sort((a, b) => b - a), 'sorted, most likely first');
  assert.ok(probs.reduce((a, b) => a + b, 0) <= 1 + 1e-5);
  assert.deepEqual(drawn.map((b) => b.id), data.candidates.map((c) => c.id));

  // Clicking the third candidate forces exactly that token, then generation continues.
  const third = data.candidates[2];
  await page.click('[data-panel=generation] .generation-bar[data-rank="2"]');
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled && document.querySelector('[data-panel=generation]').panelData.tokens.length > 60);
  data = await panelData(page, 'generation');
  assert.deepEqual({ id: data.tokens[60].id, forced: data.tokens[60].forced }, { id: third.id, forced: true });
  assert.ok(Math.abs(data.tokens[60].probability - third.probability) < 1e-6, 'the forced token had the probability its bar showed');
  assert.equal(data.tokens[61]?.forced, false, 'then the model continues on its own');

  // One token at a time, then sampling changes reshape the same distribution.
  await page.click('[data-action=step]');
  await page.waitForFunction(() => !document.querySelector('[data-action=step]').disabled);
  const before = (await panelData(page, 'generation')).candidates;
  await page.locator('[data-role=temperature]').fill('0.2');
  await page.waitForFunction((p0) => document.querySelector('[data-panel=generation]').panelData.candidates[0].probability > p0 + 1e-4, before[0].probability);
  const sharp = (await panelData(page, 'generation')).candidates;
  assert.equal(sharp[0].id, before[0].id, 'the same favourite, only more certain');
  await page.fill('[data-role=top-k]', '1');
  await page.dispatchEvent('[data-role=top-k]', 'change');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.candidates[0].probability > 0.9999);
  drawn = await bars(page);
  assert.equal(drawn[0].pct, 100);
  assert.ok(drawn.slice(1).every((b) => b.pct === 0), 'top-k 1 leaves one candidate');
  console.log(`generation: p(top) ${before[0].probability.toFixed(3)} at T=0.8 -> ${sharp[0].probability.toFixed(3)} at T=0.2 -> 1 with top-k 1`);
  await page.locator('[data-role=temperature]').fill('0.8');
  await page.fill('[data-role=top-k]', '0');
  await page.dispatchEvent('[data-role=top-k]', 'change');
  await page.waitForTimeout(200);
  await shoot(panel(page, 'generation'), 'panel-generation');
  assert.deepEqual(page.consoleErrors, []);
});
