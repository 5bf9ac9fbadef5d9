// The settings schema in the browser (www/lib/state.js): embed.html honours every parameter the
// full page has, one page per parameter; a live <gpt-playground> applies every attribute when it
// changes or is removed, and reflects each as a property.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedBrowser } from './browser.mjs';
import { HIDEABLE } from '../www/lib/state.js';

const shared = sharedBrowser();

/** Opens embed.html with `query` and waits for it to be ready. */
async function embed(query) {
  const p = await shared.context.newPage();
  p.errors = [];
  p.on('pageerror', (e) => p.errors.push(String(e)));
  await p.goto(`${shared.harness.origin}/embed.html?v=1&device=cpu&${query}`);
  await p.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
  return p;
}

/** What the embed shows: its playground's settings, the views mounted, and which of `selectors`
 *  (inside the element's shadow root) are rendered (visible to a reader). */
const look = (p, selectors = {}) => p.evaluate((sel) => {
  const el = document.querySelector('gpt-playground');
  const shadow = el.shadowRoot;
  const shown = (s) => [...shadow.querySelectorAll(s)].some((x) => x.checkVisibility());
  return {
    status: el.playground.status,
    settings: el.playground.settings,
    cards: [...shadow.querySelectorAll('[data-card]')].map((c) => c.dataset.card),
    panels: [...shadow.querySelectorAll('[data-panel]')].map((c) => c.dataset.panel),
    shown: Object.fromEntries(Object.entries(sel).map(([k, s]) => [k, shown(s)])),
  };
}, selectors);

// What each `NAME_hide` flag hides, inside the element (with the data, model and train cards shown).
const HIDDEN_BY = {
  data: '[data-card=data]', model: '[data-card=model]', train: '[data-card=train]', chart: '[data-role=loss-chart]',
  corpus: '[data-role=corpus]', preset: '[data-role=preset]', tokenizer: '[data-role=tokenizer]', device: '[data-role=device]',
  workers: '[data-role=workers]', steps: '[data-role=steps]', save: '[data-action=save]', title: '.gpt-title',
};

describe('embed.html takes every parameter of the page', () => {
  test('each run setting', async () => {
    const cases = { corpus: 'moby', preset: 'baby', tokenizer: 'bpe', steps: 42, device: 'cpu', workers: 2 };
    for (const [name, value] of Object.entries(cases)) {
      const p = await embed(`panels=train&${name}=${value}`);
      await p.evaluate(() => document.querySelector('gpt-playground').playground.ready);
      const { settings, status } = await look(p);
      assert.equal(settings[name], value, `${name}=${value}`);
      assert.equal(status, 'idle', 'the model code loaded');
      assert.deepEqual(p.errors, []);
      await p.close();
    }
  });

  test('autotrain: the embed trains once loaded', async () => {
    const p = await embed('panels=attention&steps=3&autotrain=1');
    // The run ends (status done, after its last evaluation) at step 3, and the attention panel
    // draws the trained model (it stayed empty before: embed.js dropped autotrain).
    await p.waitForFunction(() => {
      const pg = document.querySelector('gpt-playground').playground;
      return pg.status === 'done' && pg.info?.step === 3;
    }, null, { timeout: 60_000 });
    await p.waitForFunction(() => {
      const panel = document.querySelector('gpt-playground').shadowRoot.querySelector('[data-panel=attention]');
      return panel?.dataset.state === 'ready' && panel.panelData?.step === 3;
    }, null, { timeout: 60_000 });
    await p.close();
  });

  test('panels and layout', async () => {
    let p = await embed('panels=attention,mask');
    let seen = await look(p);
    assert.deepEqual(seen.panels, ['attention', 'mask']);
    assert.deepEqual(seen.cards, ['train'], 'an embed shows the Train card and the named panels');
    await p.close();
    p = await embed('panels=tokenizer&layout=bar');
    seen = await look(p);
    assert.deepEqual(seen.cards, ['bar']);
    assert.deepEqual(seen.panels, ['tokenizer']);
    await p.close();
  });

  test('each NAME_hide flag hides its part', async () => {
    const base = await embed('panels=data,model,train');
    const before = await look(base, HIDDEN_BY);
    for (const part of HIDEABLE) assert.equal(before.shown[part], true, `${part} is shown without ${part}_hide`);
    await base.close();
    for (const part of HIDEABLE) {
      const p = await embed(`panels=data,model,train&${part}_hide=1`);
      const { shown } = await look(p, HIDDEN_BY);
      assert.equal(shown[part], false, `${part}_hide=1 hides ${HIDDEN_BY[part]}`);
      await p.close();
    }
  });
});

describe('a live <gpt-playground>', () => {
  test('panels, layout and a hide flag change what is shown without a reload; removing them undoes it', async () => {
    const p = await shared.context.newPage();
    await p.route(`${shared.harness.origin}/author/live.html`, (r) => r.fulfill({
      status: 200, contentType: 'text/html', body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>live</title>
      <script type="module" src="/lib/elements.js"></script></head><body>
      <gpt-playground id="a" corpus="names" preset="tiny" device="cpu"></gpt-playground>
      <gpt-playground id="b" corpus="names" device="cpu"></gpt-playground></body></html>`,
    }));
    await p.goto(`${shared.harness.origin}/author/live.html`);
    await p.waitForFunction(() => document.querySelector('#a').playground && document.querySelector('#b').playground);
    await p.evaluate(() => document.querySelector('#a').ready);
    const views = () => p.evaluate(() => {
      const shadow = document.querySelector('#a').shadowRoot;
      return [...shadow.querySelectorAll('[data-card], [data-panel]')].map((v) => v.dataset.card ?? v.dataset.panel);
    });
    const set = (name, value) => p.evaluate(async ([n, v]) => {
      const el = document.querySelector('#a');
      if (v === null) el.removeAttribute(n);
      else el.setAttribute(n, v);
      await new Promise((r) => setTimeout(r, 50));
      await el.ready;
    }, [name, value]);
    const waitViews = (want) => p.waitForFunction((w) => {
      const shadow = document.querySelector('#a').shadowRoot;
      return JSON.stringify([...shadow.querySelectorAll('[data-card], [data-panel]')].map((v) => v.dataset.card ?? v.dataset.panel)) === JSON.stringify(w);
    }, want, { timeout: 30_000 });

    assert.deepEqual(await views(), ['data', 'model', 'train']);
    await set('panels', 'attention');
    await waitViews(['data', 'model', 'train', 'attention']);
    const attention = await p.evaluateHandle(() => document.querySelector('#a').shadowRoot.querySelector('[data-panel=attention]'));
    await set('layout', 'bar');
    await waitViews(['bar', 'attention']);
    assert.equal(await attention.evaluate((el) => el.isConnected), true, 'the panel stays as it was while the cards change');
    await set('layout', null);
    await waitViews(['data', 'model', 'train', 'attention']);
    const chart = () => p.evaluate(() => document.querySelector('#a').shadowRoot.querySelector('[data-role=loss-chart]').checkVisibility());
    assert.equal(await chart(), true);
    await set('chart_hide', '');
    await p.waitForFunction(() => !document.querySelector('#a').shadowRoot.querySelector('[data-role=loss-chart]')?.checkVisibility());
    assert.equal(await p.evaluate(() => document.querySelector('#a').chartHide), true, 'reflected as chartHide');
    await p.evaluate(() => { document.querySelector('#a').chartHide = false; });
    await p.waitForFunction(() => document.querySelector('#a').shadowRoot.querySelector('[data-role=loss-chart]')?.checkVisibility());
    assert.equal(await p.evaluate(() => document.querySelector('#a').hasAttribute('chart_hide')), false);
    await set('panels', null);
    await waitViews(['data', 'model', 'train']);

    // el.preset = 'baby' is the attribute; removing it goes back to the default.
    const read = () => p.evaluate(() => ['a', 'b'].map((id) => {
      const el = document.querySelector(`#${id}`);
      return { attribute: el.getAttribute('preset'), property: el.preset, setting: el.playground.settings.preset, shown: el.shadowRoot.querySelector('[data-role=preset]').value };
    }));
    await p.evaluate(() => {
      document.querySelector('#a').preset = 'baby';
      document.querySelector('#b').setAttribute('preset', 'baby');
    });
    await p.waitForFunction(() => document.querySelector('#a').playground.settings.preset === 'baby' && document.querySelector('#b').playground.settings.preset === 'baby');
    const [a, b] = await read();
    assert.deepEqual(a, { attribute: 'baby', property: 'baby', setting: 'baby', shown: 'baby' });
    assert.deepEqual(a, b, 'the property and the attribute do the same');
    await p.evaluate(() => document.querySelector('#a').removeAttribute('preset'));
    await p.waitForFunction(() => document.querySelector('#a').playground.settings.preset === 'tiny');
    assert.equal(await p.evaluate(() => document.querySelector('#a').preset), 'tiny');
    // A bad value is refused with the valid ones named, and nothing changes.
    await p.evaluate(() => document.querySelector('#a').setAttribute('steps', 'lots'));
    await p.waitForFunction(() => /training steps must be a whole number from 1 to 100,000, not "lots"/.test(document.querySelector('#a').shadowRoot.textContent));
    assert.equal(await p.evaluate(() => document.querySelector('#a').steps), 1500);
    await p.close();
  });
});
