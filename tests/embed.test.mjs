// Embedding: the custom elements in an author's page (one model shared by panels, two independent
// playgrounds, destroy() leaving nothing behind, hostile host CSS), the iframe that talks to a host
// on another origin, hosting under a sub-path with a strict Content-Security-Policy, and the npm
// tarball installed into an empty folder. The tutorial page has its own file (tutorial.test.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Harness, embedHostPage, root, shots } from './browser.mjs';
import { STRICT_CSP, serve } from '../scripts/serve.mjs';

const harness = new Harness();
before(() => harness.start());
after(() => harness.close());

/** Serves `html` at `url` for this browser context (an author's page, without writing into www/). */
const page = async (context, url, html, { headers = {} } = {}) => {
  await context.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers, body: html }));
  const p = await context.newPage();
  p.consoleErrors = [];
  p.on('console', (m) => m.type() === 'error' && p.consoleErrors.push(m.text()));
  p.on('pageerror', (e) => p.consoleErrors.push(String(e)));
  await p.goto(url);
  return p;
};

/** Polls `fn` (in Node) until it is true, for at most `ms`. */
async function until(fn, message, ms = 10_000) {
  for (const end = Date.now() + ms; !fn(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) assert.fail(`timed out: ${message}`);
  }
}

/** `data-state` of the panel inside a <gpt-panel> (or any element's shadow), by CSS selector. */
const panelState = (p, selector) => p.evaluate((s) => document.querySelector(s)?.panel?.dataset.state ?? null, selector);
const waitPanels = (p, selectors, want = ['ready'], timeout = 120_000) =>
  p.waitForFunction(([ss, w]) => ss.every((s) => w.includes(document.querySelector(s)?.panel?.dataset.state)), [selectors, want], { timeout, polling: 100 });

/** Clicks a button inside a shadow root (Playwright's CSS locators pierce open shadow roots). */
const trainIn = async (p, host, steps) => {
  const pg = p.locator(host);
  await pg.locator('[data-role=steps]').first().fill(String(steps));
  await pg.locator('[data-action=train]').first().click();
  await p.waitForFunction((h) => ['done', 'error'].includes(document.querySelector(h).playground?.status), host, { timeout: 120_000, polling: 100 });
  return p.evaluate((h) => {
    const pg = document.querySelector(h).playground;
    return { status: pg.status, step: pg.info?.step ?? 0, loss: pg.stats.loss, firstLoss: pg.stats.firstLoss };
  }, host);
};

const AUTHOR = (extraHead = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An author's tutorial</title>${extraHead}
<script type="module" src="/lib/elements.js"></script></head>
<body>
  <h1>My GPT tutorial</h1>
  <p class="hint">Press Train in the playground, then scroll.</p>
  <gpt-playground id="gpt" corpus="names" preset="tiny" steps="60" device="cpu"></gpt-playground>
  <p>Tokens are the units a model reads. <label>A host label <input id="host-input"></label></p>
  <gpt-panel name="tokenizer" playground="gpt"></gpt-panel>
  <p>Attention mixes information between positions.</p>
  <section class="card"><button class="row" id="host-button">Host button</button></section>
  <gpt-panel name="attention" playground="gpt"></gpt-panel>
  <p>Generation writes one token at a time.</p>
  <gpt-panel name="generation"></gpt-panel>
</body></html>`;

// A typical framework's global rules, aimed at the class and element names our panels use.
const HOSTILE = `<style>
  :root { --accent: #ff00ff; --accent-2: #00ff00; --muted: #00ffff; --fg: red; --border: lime; --card: black; }
  * { box-sizing: content-box; }
  body { font: 13px/2.2 "Courier New", monospace; color: #333; letter-spacing: 0.12em; text-transform: uppercase; }
  button { background: red; border: 5px solid black; padding: 20px; border-radius: 0; font-size: 30px; }
  .card { border: 10px dashed red; padding: 50px; background: yellow; }
  label { display: inline; font-weight: 900; color: purple; }
  .row { display: block; } .hint { display: none; } .output { color: red; } .num { background: red; }
  input, select, textarea { border: 4px solid orange; }
  h2 { font-size: 40px; } p { margin: 3em; } section { margin: 2em; }
</style>`;

/** Computed styles of a few of our elements (in shadow roots) and of the host's own. */
const styles = (p) => p.evaluate(() => {
  const props = ['font-family', 'font-size', 'color', 'background-color', 'border-top-width', 'border-top-style', 'padding-top', 'letter-spacing',
    'text-transform', 'display', 'line-height', 'box-sizing', 'margin-top', 'font-weight'];
  const pick = (el) => (el ? Object.fromEntries(props.map((k) => [k, getComputedStyle(el).getPropertyValue(k)])) : null);
  const sr = (sel) => document.querySelector(sel)?.shadowRoot;
  const pgRoot = sr('#gpt');
  const attn = sr('gpt-panel[name=attention]');
  return {
    ours: {
      trainButton: pick(pgRoot?.querySelector('[data-action=train]')),
      card: pick(pgRoot?.querySelector('[data-card=data]')),
      label: pick(pgRoot?.querySelector('[data-card=model] label')),
      select: pick(pgRoot?.querySelector('[data-role=preset]')),
      hint: pick(pgRoot?.querySelector('[data-role=model-info]')),
      heading: pick(attn?.querySelector('h2')),
      panelHint: pick(attn?.querySelector('.hint')),
      output: pick(sr('gpt-panel[name=generation]')?.querySelector('[data-role=output]')),
    },
    host: {
      button: pick(document.getElementById('host-button')),
      label: pick(document.querySelector('body > p label')),
      input: pick(document.getElementById('host-input')),
      card: pick(document.querySelector('section.card')),
      hint: pick(document.querySelector('p.hint')),
    },
  };
});

describe('custom elements in an author page', () => {
  let context;
  before(async () => {
    context = await harness.launch();
  });

  test('one <gpt-playground> and three <gpt-panel>s share one model and one worker; a second playground is independent', async () => {
    const p = await page(context, `${harness.origin}/author/shared.html`, AUTHOR());
    await p.waitForFunction(() => document.querySelector('#gpt')?.playground, null, { timeout: 30_000 });
    const panels = ['gpt-panel[name=tokenizer]', 'gpt-panel[name=attention]', 'gpt-panel[name=generation]'];
    const run = await trainIn(p, '#gpt', 60);
    assert.equal(run.status, 'done');
    assert.equal(run.step, 60);
    assert.ok(run.loss < run.firstLoss - 0.5, `loss ${run.firstLoss} -> ${run.loss}`);
    await waitPanels(p, panels);
    const liveWorkers = await p.evaluate(async () => (await import('/lib/playground.js')).liveWorkers());
    assert.equal(liveWorkers, 1, 'one worker for the playground and its three panels');
    assert.equal(p.workers().length, 1, 'the browser runs exactly one dedicated worker');
    // The attention panel shows this model (same step), though it sits elsewhere in the page.
    const attention = await p.evaluate(() => document.querySelector('gpt-panel[name=attention]').panel.panelData);
    assert.equal(attention.step, 60);
    await p.screenshot({ path: join(shots, 'author-elements.png'), fullPage: true });

    // A second playground, added later, trains on its own; the first model is untouched.
    await p.evaluate(() => {
      const second = Object.assign(document.createElement('gpt-playground'), { id: 'other' });
      for (const [k, v] of Object.entries({ corpus: 'moby', preset: 'tiny', steps: '20', device: 'cpu', data_hide: '', model_hide: '' })) second.setAttribute(k, v);
      const panel = document.createElement('gpt-panel');
      panel.setAttribute('name', 'attention');
      panel.setAttribute('playground', 'other');
      document.body.append(second, panel);
    });
    await p.waitForFunction(() => document.querySelector('#other')?.playground, null, { timeout: 30_000 });
    const second = await trainIn(p, '#other', 20);
    assert.equal(second.step, 20);
    await waitPanels(p, ['gpt-panel[playground=other]']);
    assert.equal(await p.evaluate(async () => (await import('/lib/playground.js')).liveWorkers()), 2);
    assert.equal(p.workers().length, 2);
    const first = await p.evaluate(() => document.querySelector('#gpt').playground.info.step);
    assert.equal(first, 60, 'training the second playground left the first at its step');
    const vocab = await p.evaluate(() => [document.querySelector('#gpt').playground.info.vocabSize, document.querySelector('#other').playground.info.vocabSize]);
    assert.notEqual(vocab[0], vocab[1], 'different corpora, different vocabularies');
    // Removing an element ends its playground's worker; its panel says it waits for one.
    await p.evaluate(() => document.querySelector('#other').remove());
    await p.waitForFunction(async () => (await import('/lib/playground.js')).liveWorkers() === 1, null, { timeout: 10_000 });
    await p.waitForFunction(() => /waiting for <gpt-playground id="other">/.test(document.querySelector('gpt-panel[playground=other]').shadowRoot.textContent));
    assert.deepEqual(p.consoleErrors, []);
  });

  test('Playground.destroy() ends the worker and leaves no listeners or observers behind', async () => {
    // Count every listener and observer the page creates from here on.
    await context.addInitScript(() => {
      const records = [];
      const add = EventTarget.prototype.addEventListener;
      const remove = EventTarget.prototype.removeEventListener;
      const capture = (o) => (typeof o === 'boolean' ? o : !!o?.capture);
      EventTarget.prototype.addEventListener = function (type, fn, options) {
        if (fn && !(this instanceof AbortSignal)) {
          const r = { target: this, type, fn, capture: capture(options), live: true };
          records.push(r);
          options?.signal?.addEventListener('abort', () => { r.live = false; });
        }
        return add.call(this, type, fn, options);
      };
      EventTarget.prototype.removeEventListener = function (type, fn, options) {
        for (const r of records) if (r.live && r.target === this && r.type === type && r.fn === fn && r.capture === capture(options)) r.live = false;
        return remove.call(this, type, fn, options);
      };
      const observers = [];
      for (const name of ['ResizeObserver', 'MutationObserver', 'IntersectionObserver']) {
        const Base = window[name];
        window[name] = class extends Base {
          observe(...args) { if (!observers.includes(this)) observers.push(this); this.live = true; return super.observe(...args); }
          disconnect() { this.live = false; return super.disconnect(); }
        };
      }
      window.__leaks = () => ({
        // A listener on a detached node goes with the node; on the window, the document, a node
        // still in the page or any other object it would stay.
        listeners: records.filter((r) => r.live && (!(r.target instanceof Node) || r.target.isConnected)).map((r) => `${r.target.constructor.name}:${r.type}`),
        observers: observers.filter((o) => o.live).map((o) => o.constructor.name),
      });
    });
    const html = `<!doctype html><html><head><meta charset="utf-8"></head><body>
      <div id="a"></div><p>text</p><div id="b"></div><div id="c"></div><div id="d"></div></body></html>`;
    const p = await page(context, `${harness.origin}/author/module.html`, html);
    const before = await p.evaluate(() => window.__leaks());
    const result = await p.evaluate(async () => {
      const { Playground, liveWorkers } = await import('/lib/playground.js');
      const pg = new Playground({ corpus: 'names', preset: 'tiny', device: 'cpu' });
      const mounts = ['train', 'attention', 'embedding', 'mask'].map((name, i) => pg.mountPanel(document.querySelectorAll('div')[i], name));
      await Promise.all(mounts.map((m) => m.ready));
      await pg.train({ steps: 30 });
      // The panels redraw from the trained model (the mask panel runs its proof).
      for (let i = 0; i < 600 && !mounts.every((m) => m.root.dataset.state === 'ready'); i++) await new Promise((r) => setTimeout(r, 100));
      const states = mounts.map((m) => m.root.dataset.state);
      const during = { workers: liveWorkers(), ...window.__leaks() };
      pg.destroy();
      const after = { workers: liveWorkers(), ...window.__leaks() };
      let rejected = '';
      await pg.call('info').catch((e) => { rejected = e.message; });
      return { states, during, after, rejected, empty: [...document.querySelectorAll('div')].every((d) => !d.shadowRoot || d.shadowRoot.childNodes.length === 0) };
    });
    assert.deepEqual(result.states, ['ready', 'ready', 'ready', 'ready'], JSON.stringify(result.states));
    assert.equal(result.during.workers, 1);
    assert.ok(result.during.listeners.length > before.listeners.length, 'the spy sees the panels\' listeners');
    assert.ok(result.during.observers.length > 0, 'and their resize observers');
    assert.equal(result.after.workers, 0, 'the worker is gone');
    await until(() => p.workers().length === 0, 'the browser closed the worker');
    assert.deepEqual(result.after.listeners, before.listeners, 'no listener left behind');
    assert.deepEqual(result.after.observers, [], 'no observer left behind');
    assert.match(result.rejected, /destroyed/);
    assert.ok(result.empty, 'the panels\' DOM is removed');
  });

  test('Train pressed before the playground is ready (its corpus still loading) waits for it and trains', async () => {
    const context = await harness.launch();
    // The corpus arrives a second late: a reader on a slow line presses Train at once.
    await context.route('**/corpora/first-names.txt', async (route) => {
      await new Promise((r) => setTimeout(r, 1000));
      await route.continue();
    });
    const p = await page(context, `${harness.origin}/early/tutorial.html`, AUTHOR());
    await p.waitForFunction(() => document.querySelector('#gpt')?.playground, null, { polling: 20 });
    const early = await p.evaluate(async () => {
      const pg = document.querySelector('#gpt').playground;
      const before = pg.text.length;
      const r = await pg.train({ steps: 5 });
      return { before, step: r.step, status: pg.status, text: pg.text.length };
    });
    assert.equal(early.before, 0, 'Train was pressed before the corpus arrived');
    assert.deepEqual([early.step, early.status], [5, 'done']);
    assert.ok(early.text > 1000);
    assert.deepEqual(p.consoleErrors, []);
  });

  test('hostile host CSS changes nothing inside, and our styles change nothing of the host', async () => {
    const drawn = async (p) => {
      await p.waitForFunction(() => document.querySelector('#gpt')?.playground, null, { timeout: 30_000 });
      await p.evaluate(() => document.querySelector('#gpt').ready);
      await waitPanels(p, ['gpt-panel[name=attention]', 'gpt-panel[name=generation]'], ['empty', 'ready']);
    };
    const plain = await page(context, `${harness.origin}/author/plain.html`, AUTHOR());
    await drawn(plain);
    const hostile = await page(context, `${harness.origin}/author/hostile.html`, AUTHOR(HOSTILE));
    await drawn(hostile);
    const a = await styles(plain);
    const b = await styles(hostile);
    for (const [name, s] of Object.entries(a.ours)) assert.ok(s, `found our ${name}`);
    assert.deepEqual(b.ours, a.ours, 'our elements look the same under the hostile CSS');
    assert.equal(a.ours.trainButton['background-color'], 'rgb(59, 91, 219)', 'the default accent, not the host\'s --accent');
    // The host's own elements: the same with our script as without it.
    const bare = await page(context, `${harness.origin}/author/bare.html`, AUTHOR(HOSTILE).replace('<script type="module" src="/lib/elements.js"></script>', ''));
    assert.deepEqual((await styles(bare)).host, b.host, 'the host\'s elements are unchanged by ours');
    await hostile.screenshot({ path: join(shots, 'author-hostile-css.png'), fullPage: true });
    // Themable: --gpt-accent on the host reaches the panels.
    await hostile.evaluate(() => document.documentElement.style.setProperty('--gpt-accent', 'rgb(10, 120, 50)'));
    const themed = await hostile.evaluate(() => getComputedStyle(document.querySelector('#gpt').shadowRoot.querySelector('[data-action=train]')).backgroundColor);
    assert.equal(themed, 'rgb(10, 120, 50)');
  });
});

describe('an iframe that talks', () => {
  test('a host on another origin drives one embed, sizes it from `height`; a disallowed origin is ignored', async () => {
    const context = await harness.launch();
    // Served by a real server (a page fulfilled by the test would not count as loopback, and
    // Chromium's local-network rules would then block its requests to the playground's origin).
    const hostDir = mkdtempSync(join(tmpdir(), 'gpt-host-'));
    const host = await serve(hostDir, 0);
    const hostOrigin = `http://127.0.0.1:${host.address().port}`;
    try {
      const html = embedHostPage(harness.origin, { one: `&origins=${encodeURIComponent(hostOrigin)}`, two: '&origins=http://127.0.0.1:1' });
      writeFileSync(join(hostDir, 'host.html'), html);
      const p = await context.newPage();
      p.consoleErrors = [];
      p.on('console', (m) => m.type() === 'error' && p.consoleErrors.push(m.text()));
      p.on('pageerror', (e) => p.consoleErrors.push(String(e)));
      await p.goto(`${hostOrigin}/host.html`);
      await p.waitForFunction(() => ['one', 'two'].every((id) => window.heard[id].some((m) => m.type === 'ready')), null, { timeout: 60_000 });
      const ready = await p.evaluate(() => window.heard.one.find((m) => m.type === 'ready'));
      assert.equal(ready.v, 1);
      assert.deepEqual(ready.panels, ['attention']);
      // Both are asked to train; only the one that allows this origin does.
      await p.evaluate(() => {
        for (const id of ['one', 'two']) document.getElementById(id).contentWindow.postMessage({ type: 'train', steps: 40, requestId: 'go' }, '*');
      });
      await p.waitForFunction(() => window.heard.one.some((m) => m.type === 'result' && m.requestId === 'go'), null, { timeout: 120_000 });
      const heard = await p.evaluate(() => window.heard);
      const types = new Set(heard.one.map((m) => m.type));
      for (const t of ['ready', 'status', 'progress', 'height', 'trained', 'result']) assert.ok(types.has(t), `heard ${t}`);
      const result = heard.one.find((m) => m.type === 'result');
      assert.deepEqual([result.ok, result.value.step, result.value.reason], [true, 40, 'done']);
      assert.ok(heard.one.some((m) => m.type === 'status' && m.status === 'training'));
      assert.ok(heard.one.every((m) => m.frame === 'one' && m.source === 'gpt-playground'));
      assert.ok(!heard.two.some((m) => m.type === 'status' || m.type === 'result'), 'the embed that does not allow this origin ignored it');
      const inside = p.frames().find((f) => f.url().includes('frame=two'));
      assert.equal(await inside.evaluate(() => document.querySelector('gpt-playground').playground.status), 'idle');
      // The helper resized the iframe to the last height the embed reported.
      await p.waitForFunction(() => {
        const h = window.heard.one.filter((m) => m.type === 'height').at(-1)?.height;
        return h > 300 && document.getElementById('one').getBoundingClientRect().height === h;
      }, null, { timeout: 10_000 });
      // The attention panel inside shows the trained model, and the host can ask for a sample.
      const one = p.frames().find((f) => f.url().includes('frame=one'));
      await one.waitForFunction(() => document.querySelector('gpt-playground').shadowRoot.querySelector('[data-panel=attention]')?.dataset.state === 'ready', null, { timeout: 60_000 });
      const generated = await p.evaluate(() => window.GptEmbed.send(document.getElementById('one'), 'generate', { prompt: 'Ma', maxTokens: 20 }));
      assert.ok(generated.text.length > 0);
      const wrong = await p.evaluate(() => window.GptEmbed.send(document.getElementById('one'), 'fly').catch((e) => e.message));
      assert.match(wrong, /unknown message type "fly"/);
      await p.screenshot({ path: join(shots, 'embed-iframes.png'), fullPage: true });
      assert.deepEqual(p.consoleErrors, []);
    } finally {
      host.close();
    }
  });
});

describe('hosting anywhere', () => {
  test('under a sub-path without the trailing slash, with a strict CSP: no violation, nothing off the origin', async () => {
    const server = await serve(join(root, 'www'), 0, { base: '/course/gpt/', csp: STRICT_CSP });
    const origin = `http://127.0.0.1:${server.address().port}`;
    try {
      const context = await harness.launch();
      await context.addInitScript(() => {
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const open = async (path) => {
        const p = await context.newPage();
        p.issues = [];
        p.on('console', (m) => (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) && p.issues.push(m.text()));
        p.on('pageerror', (e) => p.issues.push(String(e)));
        p.on('request', (r) => !r.url().startsWith(origin) && !/^(data|blob):/.test(r.url()) && p.issues.push(`off-origin ${r.url()}`));
        await p.goto(`${origin}${path}`);
        return p;
      };
      // The full page, trained and generating.
      const full = await open('/course/gpt?panels=attention,generation&steps=30&device=cpu&autotrain=1');
      assert.equal(new URL(full.url()).pathname, '/course/gpt/');
      await full.waitForFunction(() => document.body.dataset.status === 'done', null, { timeout: 120_000 });
      await full.waitForFunction(() => document.querySelector('[data-panel=attention]').dataset.state === 'ready', null, { timeout: 60_000 });
      await full.click('[data-action=generate]');
      await full.waitForFunction(() => document.querySelector('[data-role=output] .generated')?.textContent.length > 10, null, { timeout: 60_000 });
      // The iframe view and the tutorial, under the same policy.
      const embed = await open('/course/gpt/embed.html?v=1&panels=tokenizer,scale');
      await embed.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
      await embed.waitForFunction(() => document.querySelector('gpt-playground').shadowRoot.querySelector('[data-panel=scale]')?.dataset.state === 'ready', null, { timeout: 60_000 });
      const tutorial = await open('/course/gpt/tutorial');
      assert.equal(new URL(tutorial.url()).pathname, '/course/gpt/tutorial/');
      await tutorial.waitForFunction(() => document.querySelector('gpt-panel[name=scale]')?.panel?.dataset.state === 'ready', null, { timeout: 60_000 });
      for (const p of [full, embed, tutorial]) {
        assert.deepEqual(await p.evaluate(() => window.__violations), [], `${p.url()}: no CSP violation`);
        assert.deepEqual(p.issues, [], `${p.url()}: no console error, nothing off the origin`);
      }
    } finally {
      server.close();
    }
  });
});

describe('the npm package', () => {
  test('the packed tarball, installed into an empty folder, serves an author page that trains and shows a panel', async () => {
    const dist = join(root, 'dist');
    const tarball = readdirSync(dist).find((f) => /^gpt-playground-.*\.tgz$/.test(f));
    assert.ok(tarball, 'make dist packed the tarball');
    const dir = mkdtempSync(join(tmpdir(), 'gpt-author-'));
    writeFileSync(join(dir, 'package.json'), '{"name": "my-tutorial", "private": true}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(dist, tarball)], { cwd: dir, stdio: 'pipe' });
    writeFileSync(join(dir, 'index.html'), `<!doctype html><html><head><meta charset="utf-8">
      <script type="module" src="node_modules/gpt-playground/lib/elements.js"></script></head><body>
      <h1>My page</h1><gpt-playground corpus="names" steps="30" device="cpu" layout="bar"></gpt-playground>
      <gpt-panel name="attention"></gpt-panel></body></html>`);
    // The TypeScript declarations describe what the module exports.
    writeFileSync(join(dir, 'check.ts'), `import { Playground, type PanelHandle, type Settings } from 'gpt-playground';
      import 'gpt-playground/elements';
      const pg = new Playground({ corpus: 'moby', steps: 100 });
      const s: Settings = pg.settings;
      pg.addEventListener('progress', (e) => console.log(e.detail.step, e.detail.loss, s.preset));
      const h: PanelHandle = pg.mountPanel(document.createElement('div'), 'attention', { shadow: true });
      h.destroy();
      document.querySelector('gpt-playground')?.playground?.train({ steps: 10 }).then((r) => r.reason);
      pg.destroy();\n`);
    const tsc = join(root, 'tests', 'node_modules', '.bin', 'tsc');
    // esnext: wasm-bindgen's declarations use Symbol.dispose (explicit resource management).
    try {
      execFileSync(tsc, ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'esnext,dom', 'check.ts'], { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      assert.fail(`tsc found errors in the package's declarations or their use:\n${err.stdout}`);
    }
    const server = await serve(dir, 0);
    try {
      const context = await harness.launch();
      const p = await context.newPage();
      await p.goto(`http://127.0.0.1:${server.address().port}/`);
      await p.waitForFunction(() => document.querySelector('gpt-playground')?.playground, null, { timeout: 30_000 });
      await p.locator('gpt-playground [data-action=train]').click();
      await p.waitForFunction(() => document.querySelector('gpt-playground').playground.status === 'done', null, { timeout: 120_000 });
      await p.waitForFunction(() => document.querySelector('gpt-panel').panel?.dataset.state === 'ready', null, { timeout: 60_000 });
      await p.screenshot({ path: join(shots, 'author-npm-package.png'), fullPage: true });
    } finally {
      server.close();
    }
  });
});
