// The tutorial (www/tutorial/): one <gpt-playground> near the top, a sticky training bar and one
// <gpt-panel> per section, all on the public element API. One training run makes every panel ready.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Harness, shots } from './browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

const SECTIONS = ['tokenizer', 'embedding', 'attention', 'mask', 'residual', 'train', 'finetune', 'generation', 'scale'];

test('one training run from the sticky bar makes the panel of every section ready', async () => {
  const context = await harness.launch({ width: 1280, height: 900 });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${harness.origin}/tutorial/?`);
  await page.waitForFunction(() => document.querySelector('#gpt')?.playground, null, { timeout: 30_000 });
  const names = await page.evaluate(() => [...document.querySelectorAll('gpt-panel')].map((p) => p.getAttribute('name')));
  assert.deepEqual(names, ['bar', ...SECTIONS]);
  // Scroll to the middle first: the bar is still in view there (sticky), and it trains the model.
  await page.locator('#mask').scrollIntoViewIfNeeded();
  const bar = page.locator('gpt-panel[name=bar]');
  const box = await bar.boundingBox();
  assert.ok(box && box.y >= -1 && box.y < 5, `the training bar sticks to the top while scrolling (y = ${box?.y})`);
  await bar.locator('[data-role=steps]').fill('200');
  await bar.locator('[data-action=train]').click();
  await page.waitForFunction(() => document.querySelector('#gpt').playground.status === 'done', null, { timeout: 180_000, polling: 200 });
  await page.waitForFunction((ss) => ss.every((s) => document.querySelector(`gpt-panel[name=${s}]`).panel?.dataset.state === 'ready'), SECTIONS, { timeout: 120_000, polling: 200 });
  const info = await page.evaluate(() => document.querySelector('#gpt').playground.info);
  assert.equal(info.step, 200);
  // Every panel drew from the same model: the attention panel's step is the playground's.
  assert.equal(await page.evaluate(() => document.querySelector('gpt-panel[name=attention]').panel.panelData.step), 200);
  assert.equal(await page.evaluate(async () => (await import('../lib/playground.js')).liveWorkers()), 1);
  await page.locator('h1').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'tutorial-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the tutorial is ${overflow}px wider than a phone`);
  await page.screenshot({ path: join(shots, 'tutorial-390.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
