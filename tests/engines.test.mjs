// The page and the embeds in every engine a reader may bring: Chromium, Firefox (Gecko) and
// WebKit (Safari's engine), each driven through engines.mjs. In each: the full page trains and
// generates on the CPU with the package that engine should get and says why there is no WebGPU,
// every panel becomes ready after one run, Stop answers within a second, a reload resumes the run
// kept in IndexedDB exactly, bad input gets its specific message, an author's page of custom
// elements shares one worker, and embed.html in a cross-origin iframe obeys the host it allows
// (found without `location.ancestorOrigins` where the engine has none); no console or page errors.
// Screenshots: ../screenshots/engines/ENGINE-*.png.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { embedHostPage, root, shots } from './browser.mjs';
import { engines, launch, testServer } from './engines.mjs';

const WWW = join(root, 'www');
const SHOTS = join(shots, 'engines');
mkdirSync(SHOTS, { recursive: true });

// What each engine should get. Relaxed SIMD: Chromium and Firefox have it, WebKit 2.50 does not.
// WebGPU: none of them here (Chromium is started without --enable-unsafe-webgpu, so it offers no
// adapter; Firefox ESR on Linux and WebKitGTK have no navigator.gpu).
const EXPECT = {
  chromium: { package: 'cpu-relaxed', why: /the browser offered no WebGPU adapter \(requestAdapter\(\) returned null\)/ },
  firefox: { package: 'cpu-relaxed', why: /this browser has no WebGPU \(navigator\.gpu is missing\)|requestAdapter\(\) returned null/ },
  webkit: { package: 'cpu', why: /this browser has no WebGPU \(navigator\.gpu is missing\)/ },
};

const AUTHOR = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An author's tutorial</title><link rel="icon" href="data:,">
<script type="module" src="/lib/elements.js"></script></head>
<body>
  <h1>My GPT tutorial</h1>
  <gpt-playground id="gpt" corpus="names" preset="tiny" steps="40" device="cpu"></gpt-playground>
  <p>Tokens are the units a model reads.</p>
  <gpt-panel name="tokenizer" playground="gpt"></gpt-panel>
  <p>Attention mixes information between positions.</p>
  <gpt-panel name="attention" playground="gpt"></gpt-panel>
  <gpt-panel name="generation"></gpt-panel>
</body></html>`;

const PANELS = ['tokenizer', 'embedding', 'attention', 'mask', 'residual', 'finetune', 'generation', 'scale'];

// In the page: the playground of the full page, its status and its figures.
const stats = (page) => page.evaluate(() => ({ ...document.querySelector('[data-role=train-stats]').dataset }));
const text = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
const waitStatus = (page, want, timeout = 180_000) =>
  page.waitFor((w) => w.includes(document.body.dataset.status), want, { timeout, message: `status ${want}` });
const waitReady = (page) => page.waitFor(() => document.body.dataset.ready === '1' || document.body.dataset.status === 'error', null, { timeout: 60_000 });

/** Presses Train with `steps` steps and waits for the run to end. */
async function train(page, steps, timeout = 90_000) {
  await page.fill('[data-role=steps]', String(steps));
  await page.click('[data-action=train]');
  await waitStatus(page, ['done', 'error'], timeout);
  return stats(page);
}

/** Generates `tokens` tokens after `prompt` with the generation panel; resolves to the text. */
async function generate(page, tokens, prompt = 'Ma') {
  await page.fill('[data-role=prompt]', prompt);
  await page.fill('[data-role=max-tokens]', String(tokens));
  await page.click('[data-action=generate]');
  await page.waitFor((n) => document.querySelector('[data-panel=generation]').panelData?.tokens?.length >= n
    && !document.querySelector('[data-action=generate]').disabled, tokens, { timeout: 120_000 });
  return text(page, '[data-role=output] .generated');
}

/** Training losses after step `from`, as the playground recorded them. */
const lossesAfter = (page, from) => page.evaluate((f) => document.querySelector('main').playground.history.train.points.filter((p) => p[0] > f).map((p) => p[1]), from);

/** What the page shows now, in a line: where it is, its status, error and notes, its errors. */
const pageState = (page) => Promise.race([
  page.evaluate(() => {
    const t = (s) => document.querySelector(s)?.textContent?.trim().slice(0, 300) || undefined;
    // Errors shown inside custom elements' shadow roots too (an author's page).
    const shadowErrors = [...document.querySelectorAll('*')].filter((e) => e.shadowRoot)
      .map((e) => e.shadowRoot.querySelector('[data-role=error]')?.textContent?.trim()).filter(Boolean);
    return JSON.stringify({
      url: location.href,
      status: document.body?.dataset.status,
      error: t('[data-role=error]') ?? (shadowErrors.join(' | ') || undefined),
      saved: t('[data-role=saved-note]'),
      model: t('[data-role=model-info]'),
      stats: t('[data-role=train-stats]'),
    });
  }),
  new Promise((resolve) => setTimeout(resolve, 10_000, 'no answer in 10 s')),
]).then(async (state) => `${state}; errors: ${JSON.stringify(await Promise.race([page.errors(), new Promise((r) => setTimeout(r, 5_000, 'no answer'))]))}`, (e) => `unreadable (${e.message})`);

/** Copies the IndexedDB record of the reader's run from key `from` to key `to`, in the page. */
const copyRun = (page, from, to) => page.evaluate(([a, b]) => new Promise((resolve, reject) => {
  const req = indexedDB.open('gpt-playground');
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const tx = req.result.transaction('runs', 'readwrite');
    const store = tx.objectStore('runs');
    const get = store.get(a);
    get.onsuccess = () => {
      if (!get.result) reject(new Error(`no run under ${a}`));
      else store.put(get.result, b);
    };
    tx.oncomplete = () => {
      req.result.close();
      resolve(true);
    };
    tx.onerror = () => reject(tx.error);
  };
}), [from, to]);

for (const engine of engines()) {
  describe(engine, () => {
    let browser;
    let www;
    let hostServer;
    const expect = EXPECT[engine];
    const shot = (page, name) => page.screenshot(join(SHOTS, `${engine}-${name}.png`));
    // The test's page, closed after it whether it passed or not, so that a failure stays one.
    let current = null;
    const newPage = async () => (current = await browser.newPage());
    const open = async (query) => {
      const page = await newPage();
      await page.goto(`${www.origin}/${query}`);
      await waitReady(page);
      return page;
    };
    /** A test of one page: a failure says what the page showed then (status, error, notes). */
    const pageTest = (name, fn) => test(name, async () => {
      try {
        await fn();
      } catch (err) {
        if (current) err.message += `\n  the page then: ${await pageState(current)}`;
        throw err;
      }
    });
    afterEach(async () => {
      await current?.close().catch(() => {});
      current = null;
    });

    before(async () => {
      const recordErrors = engine === 'webkit';
      www = await testServer(WWW, { recordErrors, pages: { '/author/tutorial.html': AUTHOR } });
      // The host on another origin: embed `one` allows it by default (its parent's origin, however
      // the engine tells it), `two` allows only an origin the host is not.
      const host = embedHostPage(www.origin, { one: '', two: '&origins=http://127.0.0.1:1' });
      hostServer = await testServer(WWW, { recordErrors, pages: { '/host.html': host } });
      browser = await launch(engine);
    });
    after(async () => {
      await browser?.close();
      await www?.close();
      await hostServer?.close();
    });

    pageTest(`the full page trains on the CPU with pkg/${EXPECT[engine].package}, says why there is no WebGPU, generates, readies every panel; Stop answers within a second`, async () => {
      const page = await open('?corpus=names&preset=tiny&device=auto');
      const note = await text(page, '[data-role=device-note]');
      console.log(`${engine}: ${note}`);
      assert.match(note, /^Training on the CPU: /, note);
      assert.match(note, expect.why, note);
      const s = await train(page, 60);
      assert.equal(await page.evaluate(() => document.body.dataset.status), 'done', await text(page, '[data-role=error]'));
      assert.equal(Number(s.step), 60);
      assert.ok(Number(s.loss) < Number(s.firstLoss) - 0.5, `loss ${s.firstLoss} -> ${s.loss}`);
      console.log(`${engine}: ${Math.round(s.tokensPerSecond)} tokens/s on the CPU, loss ${Number(s.firstLoss).toFixed(3)} -> ${Number(s.loss).toFixed(3)}`);
      // The package this engine should get, and no other (the page compiles the CPU module).
      const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.includes('/pkg/')));
      assert.deepEqual([...new Set(fetched)], [`/pkg/${expect.package}/gpt_wasm_bg.wasm`], `package requests: ${fetched}`);
      const builds = await page.evaluate(async () => (await document.querySelector('main').playground.call('sessions')).builds);
      assert.deepEqual(builds, { cpu: expect.package });
      // Every panel draws from the trained model.
      await page.waitFor((names) => names.every((n) => document.querySelector(`[data-panel="${n}"]`)?.dataset.state === 'ready'), PANELS, { timeout: 180_000, message: 'every panel ready' });
      const generated = await generate(page, 60);
      assert.ok(generated.length >= 40 && /^[\p{L}\n' -]+$/u.test(generated), `name-like text: ${JSON.stringify(generated)}`);
      await shot(page, 'page-trained');
      assert.deepEqual(await page.errors(), []);

      // A long run: frames keep coming while the worker trains, and Stop ends it within a second
      // (timed in the page, from the click to the status, so the driver's latency does not count).
      await page.fill('[data-role=steps]', '100000');
      await page.click('[data-action=train]');
      await page.waitFor(() => Number(document.querySelector('[data-role=train-stats]').dataset.step) > 63, null, { timeout: 60_000 });
      await page.evaluate(() => {
        const stop = document.querySelector('[data-action=stop]');
        window.__stop = {};
        stop.addEventListener('click', () => { window.__stop.clicked = performance.now(); }, { once: true, capture: true });
        new MutationObserver((_, o) => {
          if (document.body.dataset.status !== 'done') return;
          window.__stop.done = performance.now();
          o.disconnect();
        }).observe(document.body, { attributes: true, attributeFilter: ['data-status'] });
      });
      await page.click('[data-action=stop]');
      await waitStatus(page, ['done'], 10_000);
      const ms = await page.evaluate(() => window.__stop.done - window.__stop.clicked);
      console.log(`${engine}: Stop answered in ${ms.toFixed(0)} ms`);
      assert.ok(ms < 1000, `Stop took ${ms} ms`);
      assert.match(await text(page, '[data-role=train-stats]'), /stopped/);
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });

    pageTest('a reload offers the run kept in IndexedDB, and resuming it takes exactly the steps it would have taken', async () => {
      const page = await open('?panels=data,model&corpus=names&preset=tiny&device=cpu');
      await train(page, 20);
      await page.waitFor(() => /step 20\b/.test(document.querySelector('[data-role=saved-note]')?.textContent ?? ''), null, { message: 'the run kept at step 20' });
      await copyRun(page, 'main', 'test-copy');
      await train(page, 5);
      const straight = await lossesAfter(page, 20);
      assert.equal(straight.length, 5);
      // The run's end is written after the run reports `done`: the step-20 copy goes back only
      // once that write has landed (else it could land after, and the reload offer step 25).
      await page.waitFor(() => /step 25\b/.test(document.querySelector('[data-role=saved-note]')?.textContent ?? ''), null, { message: 'the run kept at step 25' });
      // The step-20 run back in place, a reload, Resume, and the same five steps.
      await copyRun(page, 'test-copy', 'main');
      await page.reload();
      await waitReady(page);
      await page.waitFor(() => /You trained a model here before: tiny on "names", step 20/.test(document.querySelector('[data-role=saved-note]')?.textContent ?? ''), null, { message: 'the offer to resume' });
      await page.click('[data-action=resume]');
      await page.waitFor(() => document.querySelector('[data-role=train-stats]').dataset.step === '20', null, { message: 'resumed at step 20' });
      assert.match(await text(page, '[data-role=model-info]'), /resumed at step 20/);
      await train(page, 5);
      assert.deepEqual(await lossesAfter(page, 20), straight, 'the same next-step losses as without the reload');
      // Forget once the run's end is written: the note's new text moves the button, and a
      // WebDriver click aimed at where it was lands beside it (WebKit, once in a few runs).
      await page.waitFor(() => /Kept in this browser at step 25\b/.test(document.querySelector('[data-role=saved-note]')?.textContent ?? ''), null, { message: 'the resumed run kept at step 25' });
      await page.click('[data-action=forget-saved]');
      await page.waitFor(() => document.querySelector('.train-saved')?.hidden, null, { message: 'the saved run forgotten' });
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });

    pageTest('bad input: an empty or too short corpus gets its message, the trained model is kept and still generates', async () => {
      const page = await open('?panels=data,model,generation&corpus=names&preset=tiny&device=cpu');
      assert.equal((await train(page, 20)).step, '20');
      await page.select('[data-role=corpus]', 'own');
      await page.fill('[data-role=corpus-text]', '');
      await page.click('[data-action=train]');
      await waitStatus(page, ['error'], 30_000);
      assert.match(await text(page, '[data-role=error]'), /corpus is empty/);
      await page.fill('[data-role=corpus-text]', 'too short');
      await page.click('[data-action=train]');
      await page.waitFor(() => /too short/.test(document.querySelector('[data-role=error]').textContent), null, { message: 'the too-short message' });
      assert.match(await text(page, '[data-role=error]'), /context 32/);
      assert.match(await text(page, '[data-role=model-info]'), /previous model is kept/);
      // A setting the module API cannot take names the valid ones.
      const wrong = await page.evaluate(() => document.querySelector('main').playground.set({ preset: 'huge' }).then(() => 'accepted', (e) => e.message));
      assert.equal(wrong, 'unknown preset "huge"; the presets are "tiny", "baby", "small"');
      await shot(page, 'page-error');
      const generated = await generate(page, 20);
      assert.ok(generated.length >= 10, `still generates: ${generated}`);
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });

    pageTest('an author\'s page: one <gpt-playground> and three <gpt-panel>s share one model and one worker', async () => {
      const page = await newPage();
      await page.goto(`${www.origin}/author/tutorial.html`);
      await page.waitFor(() => document.querySelector('#gpt')?.playground, null, { message: 'the playground element' });
      await page.fill('#gpt >>> [data-role=steps]', '40');
      await page.click('#gpt >>> [data-action=train]');
      await page.waitFor(() => ['done', 'error'].includes(document.querySelector('#gpt').playground.status), null, { timeout: 180_000 });
      const run = await page.evaluate(() => {
        const pg = document.querySelector('#gpt').playground;
        return { status: pg.status, step: pg.info?.step, loss: pg.stats.loss, firstLoss: pg.stats.firstLoss };
      });
      assert.equal(run.status, 'done');
      assert.equal(run.step, 40);
      assert.ok(run.loss < run.firstLoss - 0.3, `loss ${run.firstLoss} -> ${run.loss}`);
      const panels = ['tokenizer', 'attention', 'generation'];
      await page.waitFor((ns) => ns.every((n) => document.querySelector(`gpt-panel[name=${n}]`)?.panel?.dataset.state === 'ready'), panels, { timeout: 120_000, message: 'the author\'s panels ready' });
      assert.equal(await page.evaluate(() => document.querySelector('gpt-panel[name=attention]').panel.panelData.step), 40);
      assert.equal(await page.evaluate(async () => (await import('/lib/playground.js')).liveWorkers()), 1, 'one worker for the playground and its panels');
      await shot(page, 'author-elements');
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });

    pageTest('embed.html in a cross-origin iframe: the host it allows by default drives it and gets `height`; another is ignored', async () => {
      const page = await newPage();
      await page.goto(`${hostServer.origin}/host.html`);
      await page.waitFor(() => ['one', 'two'].every((id) => window.heard[id].some((m) => m.type === 'ready')), null, { message: 'both embeds ready' });
      const ready = await page.evaluate(() => window.heard.one.find((m) => m.type === 'ready'));
      assert.deepEqual(ready.panels, ['attention']);
      // The default: only the embedding page's origin may drive it (ancestorOrigins, or the referrer).
      assert.deepEqual(ready.allowedOrigins, [hostServer.origin]);
      await page.evaluate(() => {
        for (const id of ['one', 'two']) document.getElementById(id).contentWindow.postMessage({ type: 'train', steps: 30, requestId: 'go' }, '*');
      });
      await page.waitFor(() => window.heard.one.some((m) => m.type === 'result' && m.requestId === 'go'), null, { timeout: 180_000, message: 'the train result' });
      const heard = await page.evaluate(() => window.heard);
      const result = heard.one.find((m) => m.type === 'result');
      assert.deepEqual([result.ok, result.value.step, result.value.reason], [true, 30, 'done']);
      for (const t of ['status', 'progress', 'height', 'trained']) assert.ok(heard.one.some((m) => m.type === t), `heard ${t}`);
      assert.ok(!heard.two.some((m) => m.type === 'status' || m.type === 'result'), 'the embed that does not allow this origin ignored it');
      // gpt-embed.js sized the iframe to the height the embed reported last.
      await page.waitFor(() => {
        const h = window.heard.one.filter((m) => m.type === 'height').at(-1)?.height;
        return h > 300 && Math.round(document.getElementById('one').getBoundingClientRect().height) === h;
      }, null, { message: 'the iframe sized to its reported height' });
      const generated = await page.evaluate(() => window.GptEmbed.send(document.getElementById('one'), 'generate', { prompt: 'Ma', maxTokens: 20 }));
      assert.ok(generated.text.length > 0);
      await shot(page, 'embed-iframes');
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });
  });
}
