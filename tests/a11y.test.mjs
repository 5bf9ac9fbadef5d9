// Accessibility: an axe-core scan of the full page (every panel, after training) and of the
// tutorial with no serious or critical violation; keyboard focus that survives a redraw; live
// regions that say at most about one thing a second; charts whose series differ by more than
// colour and have a text alternative; a panel's error that stays in the panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { sharedBrowser, train, waitPanel } from './browser.mjs';

const shared = sharedBrowser();
const { harness } = shared;

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations on the page (shadow roots included). */
async function scan(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 40).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
  return violations;
}

test('the full page, trained, with every panel: no serious or critical axe violation', async () => {
  const page = await harness.open(shared.context, '?corpus=names&preset=tiny&device=cpu');
  await train(page, 60);
  for (const name of ['tokenizer', 'embedding', 'attention', 'mask', 'residual', 'finetune', 'generation', 'scale']) await waitPanel(page, name, ['ready']);
  await page.click('[data-action=step]');
  await page.waitForFunction(() => document.querySelectorAll('[data-panel=generation] .generation-bar').length > 0);
  const violations = await scan(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
});

test('the tutorial: no serious or critical axe violation', async () => {
  const page = await shared.context.newPage();
  await page.goto(`${harness.origin}/tutorial/`);
  await page.waitForFunction(() => document.querySelector('gpt-panel[name=scale]')?.panel?.dataset.state === 'ready', null, { timeout: 60_000 });
  const violations = await scan(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
});

test('focus stays on the chosen item when a list redraws; live regions say at most one thing a second', async () => {
  const page = await harness.open(shared.context, '?panels=attention,generation&corpus=names&preset=tiny&device=cpu');
  await train(page, 40);
  await waitPanel(page, 'attention', ['ready']);
  const focused = () => page.evaluate(() => {
    const a = document.activeElement;
    return a ? { tag: a.localName, cls: a.className, index: a.dataset.index ?? a.dataset.rank ?? null } : null;
  });
  // An attention chip, chosen from the keyboard: the chips redraw, focus stays on the chip.
  await page.locator('[data-panel=attention] .attention-chip').nth(3).focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await focused(), { tag: 'button', cls: 'attention-chip', index: '3' });
  // A probability bar, forced from the keyboard: the bars redraw for the next token.
  await page.click('[data-action=step]');
  await page.waitForFunction(() => document.querySelectorAll('[data-panel=generation] .generation-bar').length > 2);
  await page.locator('[data-panel=generation] .generation-bar').nth(2).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length === 2);
  await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled);
  const f = await focused();
  assert.equal(f?.cls, 'generation-bar', `focus went to ${JSON.stringify(f)}`);

  // Streaming 200 tokens: count what the live regions say.
  await page.evaluate(() => {
    window.__said = [];
    const regions = [...document.querySelectorAll('[aria-live], [role=status], [role=alert]')];
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        const region = (r.target.nodeType === 1 ? r.target : r.target.parentElement).closest('[aria-live], [role=status], [role=alert]');
        if (region) window.__said.push([performance.now(), region.textContent]);
      }
    });
    for (const r of regions) observer.observe(r, { childList: true, characterData: true, subtree: true });
    window.__t0 = performance.now();
  });
  await page.fill('[data-role=max-tokens]', '200');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length >= 200, null, { timeout: 60_000 });
  await page.waitForTimeout(1200);
  const { said, seconds } = await page.evaluate(() => ({ said: window.__said, seconds: (performance.now() - window.__t0) / 1000 }));
  assert.ok(said.length <= Math.ceil(seconds) + 2, `${said.length} announcements in ${seconds.toFixed(1)} s: ${JSON.stringify(said.slice(0, 8))}`);
  assert.ok(said.some(([, text]) => /Generation finished: 200 tokens/.test(text)), 'the end is announced');
});

test('every chart series differs by more than colour and has a text alternative; a panel error stays in the panel', async () => {
  const page = await harness.open(shared.context, '?panels=generation&corpus=names&preset=tiny&device=cpu');
  await train(page, 30);
  const summary = await page.evaluate(() => {
    const canvas = document.querySelector('[data-role=loss-chart]');
    return canvas.getRootNode().getElementById(canvas.getAttribute('aria-describedby'))?.textContent;
  });
  assert.match(summary, /^Training loss \(smoothed\): [\d.]+ at step 1, [\d.]+ at step 30, lowest [\d.]+ at step \d+\. Validation loss: /);
  assert.match(await page.locator('[data-card=train] .legend').textContent(), /dashed/);
  // A bad setting in the generation panel: its message appears in the panel; the page-wide
  // status and alert are not touched.
  await page.fill('[data-role=top-k]', '2.5');
  await page.click('[data-action=generate]');
  const message = 'Top-k must be a whole number from 0 to 65,536 (0 turns it off), not "2.5".';
  await page.waitForFunction((m) => document.querySelector('[data-panel=generation] [data-role=panel-error]')?.textContent === m, message);
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'done');
  assert.ok(await page.locator('[data-role=error-box]').isHidden());
});
