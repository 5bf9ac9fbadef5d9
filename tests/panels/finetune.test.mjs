// The fine-tuning panel: a copy of the reader's pre-trained model is fine-tuned on the bundled
// dialogue corpus; samples and validation loss before/after, the tokenizer's carry-over, and the
// reader's own model left unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, canvasColours, panel, panelData, shoot, stats, train, waitPanel } from '../browser.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

async function fineTune(page, steps) {
  await page.fill('[data-role=finetune-steps]', String(steps));
  await page.click('[data-action=finetune]');
  await page.waitForFunction(() => document.querySelector('[data-panel=finetune]').dataset.state === 'busy', null, { timeout: 10_000 });
  await waitPanel(page, 'finetune', ['ready', 'error'], 120_000);
  return panelData(page, 'finetune');
}

test('Moby Dick -> dialogue: the copy learns B, the samples change, the main model does not', async () => {
  const page = await harness.open(await harness.launch(), '?panels=finetune&corpus=moby&preset=tiny');
  const root = panel(page, 'finetune');
  assert.equal(await root.getAttribute('data-state'), 'empty');
  assert.match(await root.locator('.panel-status').textContent(), /pre-train a model first/i);

  const pre = await train(page, 600);
  assert.equal(pre.step, '600');
  const d = await fineTune(page, 300);
  assert.equal(await root.getAttribute('data-state'), 'ready', d.error);
  console.log(`val on B ${d.valBefore.toFixed(3)} -> ${d.valAfter.toFixed(3)}; lr ${d.rates[0]} -> ${d.rates.at(-1)}`);
  console.log(`before: ${JSON.stringify(d.before.text)}\nafter:  ${JSON.stringify(d.after.text)}`);
  // Our dialogue corpus uses only characters Moby Dick has: nothing is dropped.
  assert.deepEqual(d.unknownChars, []);
  assert.equal(d.droppedChars, 0);
  assert.equal(d.losses.length, 300);
  // The fine-tuning run has its own warm-up and decay: it reaches the chosen 1e-3, then decays.
  assert.ok(Math.abs(Math.max(...d.rates) - 1e-3) < 1e-4, `peak learning rate ${Math.max(...d.rates)}`);
  assert.ok(d.rates.at(-1) < 0.5e-3, `decayed to ${d.rates.at(-1)}`);
  assert.ok(d.valAfter < d.valBefore - 0.3, `validation loss on B ${d.valBefore} -> ${d.valAfter}`);
  assert.ok(d.before.text.length > 0 && d.after.text.length > 0, 'both samples are non-empty');
  assert.notEqual(d.before.text, d.after.text);
  assert.equal(await page.locator('[data-role=finetune-before] .generated').textContent(), d.before.text);
  assert.equal(await page.locator('[data-role=finetune-after] .generated').textContent(), d.after.text);
  // The fork is separate: the reader's model is still at step 600.
  assert.equal(d.forkStep, 600);
  assert.equal(d.mainStepBefore, 600);
  assert.equal(d.mainStepAfter, 600);
  assert.equal((await stats(page)).step, '600');
  assert.match(await page.locator('[data-role=finetune-main]').textContent(), /unchanged: it is still at step 600/);
  assert.match(await page.locator('[data-role=finetune-tokenizer]').textContent(), /nothing was left out/);
  assert.ok(await canvasColours(page, '[data-role=finetune-chart]') > 3, 'the loss chart is drawn');
  await shoot(root, 'panel-finetune');
  assert.deepEqual(page.consoleErrors, []);
});

test('a names-trained model cannot encode the dialogue: the panel lists what is lost (390 px)', async () => {
  const page = await harness.open(await harness.launch({ width: 390, height: 900 }), '?panels=finetune&corpus=names&preset=tiny');
  await train(page, 100);
  const d = await fineTune(page, 20);
  assert.equal(await panel(page, 'finetune').getAttribute('data-state'), 'ready', d.error);
  for (const c of [' ', ':', '?']) assert.ok(d.unknownChars.includes(c), `${JSON.stringify(c)} is listed as unknown: ${JSON.stringify(d.unknownChars)}`);
  assert.ok(d.droppedChars > 1000, `dropped ${d.droppedChars}`);
  const listed = await page.locator('[data-role=unknown-chars] li').allTextContents();
  assert.ok(listed.includes('· (space)') && listed.includes(':'), listed.join(' '));
  assert.match(await page.locator('[data-role=finetune-tokenizer]').textContent(), /Pre-train on Moby Dick/);
  // The prompt "Q: What is " has characters the names vocabulary lacks: the error is shown.
  assert.ok(d.before.error, 'the prompt cannot be encoded');
  assert.match(await page.locator('[data-role=finetune-before]').textContent(), /Could not generate/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `page overflows by ${overflow}px`);
  await shoot(panel(page, 'finetune'), 'panel-finetune-names-390');
  assert.deepEqual(page.consoleErrors, []);
});
