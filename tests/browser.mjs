// Shared by the page tests: a static server for www/, headless Chromium (Debian's), and the few
// page actions every test needs. Screenshots go to ../screenshots/ (git-ignored).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { serve } from '../scripts/serve.mjs';
import { BINARIES, CHROMIUM_ARGS } from './engines.mjs';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const shots = join(root, 'screenshots');
mkdirSync(shots, { recursive: true });

/** One server and the browsers a test file opens; `close()` ends them all. */
export class Harness {
  constructor() {
    this.browsers = [];
    this.profiles = [];
  }

  async start() {
    this.server = await serve(join(root, 'www'), 0);
    this.origin = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  /** A fresh Chromium profile; `webgpu` adds --enable-unsafe-webgpu (SwiftShader here). */
  async launch({ webgpu = false, width = 1200, height = 1000 } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-chromium-'));
    this.profiles.push(dir);
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: BINARIES.chromium,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : [])],
      viewport: { width, height },
    });
    this.browsers.push(context);
    return context;
  }

  /** Open the page with a query string and wait until it is ready (or shows an error).
   *  `page.foreign` collects requests that left the origin, `page.requests` every request's path
   *  (the workers' too), `page.consoleErrors` console errors. */
  async open(context, query = '') {
    const page = await context.newPage();
    page.foreign = [];
    page.requests = [];
    page.on('request', (r) => {
      const url = r.url();
      if (url.startsWith(this.origin)) page.requests.push(new URL(url).pathname);
      if (!url.startsWith(this.origin) && !url.startsWith('data:') && !url.startsWith('blob:')) page.foreign.push(url);
    });
    page.consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && page.consoleErrors.push(m.text()));
    page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
    await page.goto(`${this.origin}/${query}`);
    await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.status === 'error');
    return page;
  }

  async close() {
    for (const b of this.browsers) await b.close();
    this.server?.close();
    for (const d of this.profiles) rmSync(d, { recursive: true, force: true });
  }
}

/** One server and one browser for a whole test file (its before/after hooks registered):
 *  `shared.harness`, and `shared.context` once the file's tests run. */
export function sharedBrowser(options) {
  const shared = { harness: new Harness(), context: null };
  before(async () => {
    await shared.harness.start();
    shared.context = await shared.harness.launch(options);
  });
  after(() => shared.harness.close());
  return shared;
}

export const status = (page) => page.evaluate(() => document.body.dataset.status);
export const errorText = (page) => page.locator('[data-role=error]').textContent();
export const waitStatus = (page, want, timeout = 120_000) =>
  page.waitForFunction((w) => w.includes(document.body.dataset.status), want, { timeout, polling: 100 });
export const stats = (page) => page.evaluate(() => ({ ...document.querySelector('[data-role=train-stats]').dataset }));

/** Press Train with `steps` steps and wait for the run to end. */
export async function train(page, steps, timeout = 180_000) {
  await page.fill('[data-role=steps]', String(steps));
  await page.click('[data-action=train]');
  await waitStatus(page, ['done', 'error'], timeout);
  return stats(page);
}

/** Screenshot one element (a panel) to screenshots/<name>.png. */
export async function shoot(locator, name) {
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: join(shots, `${name}.png`) });
}

/** A panel's root element, by its `data-panel` name. */
export const panel = (page, name) => page.locator(`[data-panel="${name}"]`);

/** What a panel drew, as it exposes it for tests (`root.panelData`, plain data). */
export const panelData = (page, name) =>
  page.evaluate((n) => JSON.parse(JSON.stringify(document.querySelector(`[data-panel="${n}"]`)?.panelData ?? null)), name);

/** Wait until a panel's `data-state` is one of `want` (e.g. "ready"). */
export const waitPanel = (page, name, want = ['ready'], timeout = 180_000) =>
  page.waitForFunction(([n, w]) => w.includes(document.querySelector(`[data-panel="${n}"]`)?.dataset.state), [name, want], { timeout, polling: 100 });

/** True when the canvas has more than `min` distinct pixel colours (not blank, not a flat fill). */
export const canvasColours = (page, selector) =>
  page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 16) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, selector);

/** A host page (another origin) with embed iframes of the playground served at `embedOrigin`:
 *  `frames` maps each iframe's id to the extra URL parameters of its embed.html. The page records
 *  every message of each embed, as gpt-embed.js re-dispatches them, in `window.heard[id]`. */
export function embedHostPage(embedOrigin, frames, common = 'panels=attention&corpus=names&preset=tiny&steps=40&device=cpu') {
  const ids = Object.keys(frames);
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
  <script src="${embedOrigin}/gpt-embed.js"></script></head><body>
  <p>Embeds of the playground.</p>
  ${ids.map((id) => `<iframe id="${id}" data-gpt-embed src="${embedOrigin}/embed.html?v=1&${common}&frame=${id}${frames[id]}" style="width: 900px; height: 150px; border: 0"></iframe>`).join('\n  ')}
  <script>
    window.heard = {};
    for (const id of ${JSON.stringify(ids)}) {
      window.heard[id] = [];
      for (const type of ['ready', 'status', 'progress', 'height', 'error', 'trained', 'result'])
        document.getElementById(id).addEventListener('gpt-' + type, (e) => window.heard[id].push(e.detail));
    }
  </script></body></html>`;
}
