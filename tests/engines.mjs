// One way to drive a page in three browser engines, so that a test names the engines it runs in
// rather than the driver:
//   chromium  Debian's chromium through Playwright (playwright-core, the Chrome DevTools Protocol)
//   firefox   Debian's firefox-esr through WebDriver BiDi (puppeteer-core)
//   webkit    WebKitGTK's MiniBrowser (Safari's engine) through WebKitWebDriver, classic WebDriver
//             (webdriver.mjs), on a virtual X display (xvfb-run): Debian's webkit2gtk-driver
// Each engine gives the same small `Page`: goto / reload, evaluate, waitFor, click / fill /
// select by CSS selector (`host >>> inner` goes into an open shadow root), screenshot, and the
// console errors and page errors it collected. WebKitWebDriver reports no console, so there a
// script the test server puts at the top of every HTML page records them (ERROR_RECORDER).
// `ENGINES=firefox,webkit npm test` runs the cross-engine files in those engines only.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { listen, staticHandler } from '../scripts/serve.mjs';
import { SCRIPT_MS, WebDriverSession } from './webdriver.mjs';

/** Every engine the cross-engine tests run in. */
export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engines to run now: all of them, or those named in $ENGINES (comma-separated). */
export function engines() {
  const wanted = (process.env.ENGINES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of wanted) if (!ENGINES.includes(e)) throw new Error(`unknown engine "${e}" in ENGINES; the engines are ${ENGINES.join(', ')}`);
  return wanted.length ? ENGINES.filter((e) => wanted.includes(e)) : ENGINES;
}

/** Where each engine's browser is (the environment can say otherwise). */
export const BINARIES = {
  chromium: process.env.CHROMIUM ?? '/usr/bin/chromium',
  firefox: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
  webkit: process.env.MINIBROWSER ?? miniBrowser(),
};

/** WebKitGTK's MiniBrowser, in Debian's multiarch library folder (x86_64-linux-gnu, aarch64-linux-gnu, …). */
function miniBrowser() {
  for (const arch of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    const path = `/usr/lib/${arch}/webkit2gtk-4.1/MiniBrowser`;
    if (existsSync(path)) return path;
  }
  return '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
}
/** WebKit's virtual display (Xvfb), in pixels. */
const DISPLAY = { width: 1400, height: 8000 };
/** Chromium's flags in every test: no sandbox (root in CI), nothing from the network. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

// ---------- the error recorder (engines without a console over their driver) ----------
const RECORDER_PATH = '/__engines/errors.js';
/** Records uncaught errors, unhandled rejections and console.error calls in `window.__engineErrors`. */
const ERROR_RECORDER = `(() => {
  const errors = (window.__engineErrors = []);
  const text = (x) => (x && x.stack ? String(x) : typeof x === 'string' ? x : (() => { try { return JSON.stringify(x); } catch { return String(x); } })());
  addEventListener('error', (e) => errors.push('pageerror: ' + (e.error ? text(e.error) : e.message || ('failed to load ' + (e.target && (e.target.src || e.target.href))))), true);
  addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + text(e.reason)));
  const error = console.error.bind(console);
  console.error = (...args) => { errors.push(args.map(text).join(' ')); error(...args); };
})();`;

/**
 * A test server: `root` (www/) as `make serve` serves it (`base`, `csp` as in serve.mjs), with
 * `pages` ({path: html}) in front of it (an author's pages, without writing into www/), and, with
 * `recordErrors`, the error recorder at the top of every HTML page. Resolves to
 * `{origin, server, close()}`.
 */
export async function testServer(root, { pages = {}, recordErrors = false, ...options } = {}) {
  const files = staticHandler(root, options);
  const headers = options.csp ? { 'Content-Security-Policy': options.csp } : {};
  const inject = (html) => {
    if (!recordErrors) return html;
    const tag = `<script src="${RECORDER_PATH}"></script>`;
    const head = html.match(/<head[^>]*>/i);
    return head ? html.replace(head[0], `${head[0]}${tag}`) : `${tag}${html}`;
  };
  const server = await listen(async (req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path === RECORDER_PATH) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' }).end(ERROR_RECORDER);
      return;
    }
    if (path in pages) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }).end(inject(pages[path]));
      return;
    }
    if (!recordErrors) return files(req, res);
    // HTML from the folder gets the recorder too (the body is one buffer: see staticHandler).
    const end = res.end.bind(res);
    res.end = (body, ...rest) => {
      if (Buffer.isBuffer(body) && /^\s*<!doctype html/i.test(body.subarray(0, 64).toString())) body = Buffer.from(inject(body.toString()));
      return end(body, ...rest);
    };
    return files(req, res);
  }, 0);
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, server, close: () => new Promise((ok) => server.close(ok)) };
}

// ---------- process memory, as the operating system sees it ----------
/** Every process on this machine: pid -> {ppid, cmd}. */
function processes() {
  const all = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      all.set(Number(name), { ppid, cmd });
    } catch {
      // the process ended meanwhile
    }
  }
  return all;
}

/** Resident memory of process `pid` in bytes (VmRSS), 0 when it is gone. */
function rss(pid) {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** `root` and its descendants: [{pid, cmd}]. */
function tree(root, all = processes()) {
  const out = [];
  const visit = (pid) => {
    const p = all.get(pid);
    if (!p) return;
    out.push({ pid, cmd: p.cmd });
    for (const [child, q] of all) if (q.ppid === pid) visit(child);
  };
  visit(root);
  return out;
}

// What a web page (and its workers) runs in, per engine: Chromium's renderers, Firefox's web
// content processes, WebKit's web processes. (Chromium rewrites its children's command lines into
// one string, so these match the whole line.)
const CONTENT = {
  chromium: (line) => / --type=renderer( |$)/.test(line) && !/ --extension-process( |$)/.test(line),
  firefox: (line) => / -contentproc /.test(line) && / -isForBrowser /.test(line),
  webkit: (line) => /\/WebKitWebProcess( |$)/.test(line),
};

// ---------- pages ----------
/** Finds the element of a selector in the page: `a >>> b` is `b` inside `a`'s open shadow root. */
function deepQuery(selector) {
  let scope = document;
  let el = null;
  for (const part of selector.split(/\s*>>>\s*/)) {
    el = (scope.shadowRoot ?? scope).querySelector(part);
    if (!el) return null;
    scope = el;
  }
  return el;
}

/** Sets a <select>'s value as a reader's choice does (input and change events). Self-contained:
 *  it is sent to the page as source. */
function chooseOption([selector, value]) {
  let el = document;
  for (const part of selector.split(/\s*>>>\s*/)) {
    el = el && (el.shadowRoot ?? el).querySelector(part);
  }
  if (!el) throw new Error(`no element ${selector}`);
  el.value = value;
  if (el.value !== value) throw new Error(`${selector} has no option "${value}"`);
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}
const resolveScript = `const deepQuery = ${deepQuery.toString()}; return deepQuery(arguments[0]);`;

/** Waits in Node until `check()` resolves truthy; the message names what timed out. */
async function poll(check, { timeout = 60_000, polling = 100, message = 'the condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, polling));
  }
}

/** What every engine's page offers; the engines fill in the driver calls. */
class Page {
  constructor(engine) {
    this.engine = engine;
    /** Console errors and page errors seen so far (`errors()` includes the page's own record). */
    this.consoleErrors = [];
  }

  /** Runs `fn(arg)` in the page (it may be async); resolves to its (JSON-like) result. */
  evaluate(fn, arg) { return this.evaluateRaw(fn, arg); }

  /** Resolves once `fn(arg)` is truthy in the page. */
  waitFor(fn, arg, { timeout = 60_000, polling = 100, message } = {}) {
    return poll(() => this.evaluate(fn, arg).catch((err) => {
      // A navigation under the poll (a reload): try again.
      if (/navigat|context|detached|destroyed|no such (window|frame)|stale/i.test(err.message)) return false;
      throw err;
    }), { timeout, polling, message: message ?? fn.toString().slice(0, 160) });
  }

  /** Sets a <select> to `value`. */
  select(selector, value) { return this.evaluateRaw(chooseOption, [selector, value]); }

  /** The console errors and page errors seen in this page since it opened. */
  async errors() { return [...this.consoleErrors]; }

  /** Collects garbage in the page where the driver can ask for it: true (Chromium, on request),
   *  'allocation' (WebKit: garbage made to run the engine's own collector), false (nothing). */
  async collectGarbage() { return false; }

  /** The page's JavaScript heap in bytes where the driver can read it (Chromium), else null. */
  async jsHeap() { return null; }
}

/** A page of a driver library with a page object of its own (Playwright, Puppeteer): the same
 *  calls, but for waiting, typing, the viewport and what the DevTools protocol adds. */
class LibraryPage extends Page {
  constructor(engine, page) {
    super(engine);
    this.page = page;
    page.on('console', (m) => m.type() === 'error' && this.consoleErrors.push(m.text()));
    page.on('pageerror', (e) => this.consoleErrors.push(String(e)));
  }

  goto(url) { return this.page.goto(url); }
  reload() { return this.page.reload(); }
  url() { return Promise.resolve(this.page.url()); }
  evaluateRaw(fn, arg) { return this.page.evaluate(fn, arg); }
  element(selector) {
    return poll(async () => (await this.page.evaluateHandle(deepQuery, selector)).asElement(), { timeout: 30_000, message: `element ${selector}` });
  }
  async click(selector) { await (await this.element(selector)).click(); }
  screenshot(path) { return this.page.screenshot({ path, fullPage: true }); }
  close() { return this.page.close(); }
}

class PlaywrightPage extends LibraryPage {
  constructor(page) { super('chromium', page); }
  async waitFor(fn, arg, { timeout = 60_000, polling = 100 } = {}) {
    await this.page.waitForFunction(fn, arg, { timeout, polling });
  }
  async fill(selector, text) { await (await this.element(selector)).fill(text); }
  async #cdp() {
    this.cdp ??= await this.page.context().newCDPSession(this.page);
    return this.cdp;
  }
  async collectGarbage() {
    await (await this.#cdp()).send('HeapProfiler.collectGarbage');
    return true;
  }
  async jsHeap() { return (await (await this.#cdp()).send('Runtime.getHeapUsage')).usedSize; }
}

class PuppeteerPage extends LibraryPage {
  constructor(page) { super('firefox', page); }
  async waitFor(fn, arg, { timeout = 60_000, polling = 100 } = {}) {
    await this.page.waitForFunction(fn, { timeout, polling }, arg);
  }
  async fill(selector, text) {
    const el = await this.element(selector);
    // Emptied as a reader's select-all + delete would (an input event), then typed.
    await el.evaluate((e) => {
      e.focus();
      e.value = '';
      e.dispatchEvent(new Event('input', { bubbles: true }));
    });
    if (text) await el.type(text);
  }
}

class WebDriverPage extends Page {
  constructor(browser) {
    super('webkit');
    this.browser = browser;
  }

  /** Runs `fn(session)` for this page: one command sequence at a time, and never once the page
   *  is closed (the window has moved on to the next page). */
  #run(fn) {
    return this.browser.exclusive(async (s) => {
      if (this.browser.page !== this) throw new Error('this WebKit page is closed: the window belongs to the next page now');
      return fn(s);
    });
  }

  /** The errors the recorder kept in the page (before a navigation forgets them). */
  async #harvest() {
    const found = await this.#run((s) => s.execute('return window.__engineErrors ? window.__engineErrors.splice(0) : []')).catch(() => []);
    this.consoleErrors.push(...found);
  }

  async goto(url) {
    await this.#harvest();
    await this.#run((s) => s.navigate(url));
  }
  async reload() {
    await this.#harvest();
    await this.#run((s) => s.refresh());
  }
  url() { return this.#run((s) => s.currentUrl()); }
  async evaluateRaw(fn, arg) {
    // The result crosses as JSON text: WebKitWebDriver cannot send NaN or Infinity (they
    // arrive as null, as JSON.stringify writes them).
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
        .then((v) => done(JSON.stringify({ ok: v === undefined ? null : v })), (e) => done(JSON.stringify({ error: String(e && e.stack ? e.stack : e) })));`;
    const r = JSON.parse(await this.#run((s) => s.executeAsync(script, [arg === undefined ? null : arg])));
    if ('error' in r) throw new Error(`in the page: ${r.error}`);
    return r.ok;
  }
  #element(selector) {
    return poll(() => this.#run((s) => s.execute(resolveScript, [selector])), { timeout: 30_000, message: `element ${selector}` });
  }
  async click(selector) {
    const el = await this.#element(selector);
    await this.#run((s) => s.click(el));
  }
  async fill(selector, text) {
    const el = await this.#element(selector);
    await this.#run(async (s) => {
      await s.clear(el);
      // WebDriver's clear fires no input event: a reader's delete would.
      await s.execute('arguments[0].dispatchEvent(new Event("input", { bubbles: true }))', [el]);
      if (text) await s.sendKeys(el, text);
    });
  }
  /** The whole page: WebDriver shoots the viewport, so the window grows to the page's height
   *  for the picture (at most the virtual display's), then goes back. */
  async screenshot(path) {
    const png = await this.#run(async (s) => {
      const rect = await s.command('GET', '/window/rect');
      const [page, view, x, y] = await s.execute('const at = [scrollX, scrollY]; scrollTo(0, 0); return [document.documentElement.scrollHeight, innerHeight, ...at]');
      const height = Math.min(DISPLAY.height, rect.height + Math.max(0, page - view));
      if (height > rect.height) {
        await s.setWindowRect({ width: rect.width, height });
        // The resized view paints a frame or two later; a picture before that is partly black.
        await s.executeAsync(`const [want, done] = arguments; const start = performance.now();
          const check = () => (innerHeight >= want || performance.now() - start > 3000
            ? requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 100))) : setTimeout(check, 20));
          check();`, [view + (height - rect.height)]);
      }
      try {
        return await s.screenshot();
      } finally {
        if (height > rect.height) await s.setWindowRect({ width: rect.width, height: rect.height });
        await s.execute('scrollTo(arguments[0], arguments[1])', [x, y]);
      }
    });
    writeFileSync(path, Buffer.from(png, 'base64'));
  }
  async errors() {
    await this.#harvest();
    return [...this.consoleErrors];
  }
  /** WebDriver cannot ask WebKit to collect: the page makes 128 MiB of short-lived garbage, which
   *  runs JavaScriptCore's own collector (its heap is some 10 MiB), as the next burst of work in a
   *  reader's tab would; without it WebKit sometimes holds a cycle's garbage for minutes (the
   *  long-use figure then swung between -0.4% and +12.9% on the same code). */
  async collectGarbage() {
    await this.evaluate(() => {
      let n = 0;
      for (let i = 0; i < 64; i++) n += new Array(1 << 18).fill(i).length;
      return n;
    });
    return 'allocation';
  }
  async close() {
    if (this.browser.page !== this) return;
    await this.#harvest();
    await this.#run((s) => s.navigate('about:blank')).catch(() => {});
    this.browser.page = null;
  }
}

// ---------- browsers ----------
/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts engine `name` with a fresh profile: `{engine, newPage(), contentMemory(), close()}`.
 * `width` x `height` is the viewport of its pages.
 */
export async function launch(name, { width = 1200, height = 1000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), `gpt-${name}-`));
  const cleanup = () => rmSync(profile, { recursive: true, force: true });
  if (name === 'chromium') {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: BINARIES.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width, height },
    });
    // The browser process is the one started with this profile (its children carry no profile).
    const root = () => [...processes()].find(([, p]) => p.cmd.join(' ').includes(`--user-data-dir=${profile}`) && !/ --type=/.test(p.cmd.join(' ')))?.[0];
    return browser(name, {
      newPage: async () => new PlaywrightPage(await context.newPage()),
      root,
      close: async () => { await context.close(); cleanup(); },
    });
  }
  if (name === 'firefox') {
    const ff = await puppeteer.launch({ browser: 'firefox', executablePath: BINARIES.firefox, headless: true, userDataDir: profile, defaultViewport: { width, height } });
    return browser(name, {
      newPage: async () => new PuppeteerPage(await ff.newPage()),
      root: () => ff.process()?.pid,
      close: async () => { await ff.close(); cleanup(); },
    });
  }
  if (name === 'webkit') {
    const port = await freePort();
    // A display big enough for a window as tall as a page, for screenshots.
    const driver = spawn('xvfb-run', ['-a', '-s', `-screen 0 ${DISPLAY.width}x${DISPLAY.height}x24`, 'WebKitWebDriver', `--port=${port}`, '--host=127.0.0.1'], { stdio: 'ignore', detached: true });
    // xvfb-run, Xvfb, the driver and the browser are one process group: ended together, also
    // when this process ends without closing (a test runner's time-out).
    const stop = () => {
      try {
        process.kill(-driver.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    process.once('exit', stop);
    const url = `http://127.0.0.1:${port}`;
    await poll(() => fetch(`${url}/status`).then((r) => r.ok, () => false), { timeout: 30_000, message: 'WebKitWebDriver to listen' });
    const session = await WebDriverSession.start(url, {
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: BINARIES.webkit, args: ['--automation'] },
    });
    await session.setTimeouts({ script: SCRIPT_MS, pageLoad: 120_000 });
    await session.setWindowRect({ width, height });
    let queue = Promise.resolve();
    // One window, one page at a time: a page opened while another is still open (a test that
    // failed before closing its page) takes the window over. A second window would be a
    // background tab of MiniBrowser, where WebKit stalls scripts: every later command then
    // waits out its time-out (in CI, one failed test turned four more into 270 s time-outs).
    const state = {
      /** The page the window shows now, or null. */
      page: /** @type {WebDriverPage | null} */ (null),
      /** One WebDriver command sequence at a time. */
      exclusive(fn) {
        const next = queue.then(() => fn(session));
        queue = next.catch(() => {});
        return next;
      },
    };
    return browser(name, {
      newPage: async () => {
        await state.page?.close();
        state.page = new WebDriverPage(state);
        return state.page;
      },
      root: () => driver.pid,
      close: async () => {
        await session.quit();
        stop();
        process.off('exit', stop);
        cleanup();
      },
    });
  }
  throw new Error(`unknown engine "${name}"; the engines are ${ENGINES.join(', ')}`);
}

function browser(engine, { newPage, root, close }) {
  return {
    engine,
    newPage,
    close,
    /** Resident memory (bytes) of the processes that run web pages and their workers, as the
     *  operating system counts it, with the pids and the whole browser's total. */
    contentMemory() {
      const all = processes();
      const pid = root();
      const mine = pid ? tree(pid, all) : [];
      const content = mine.filter((p) => CONTENT[engine](p.cmd.join(' ')));
      const sizes = content.map((p) => ({ pid: p.pid, rss: rss(p.pid) }));
      return { rss: sizes.reduce((a, p) => a + p.rss, 0), processes: sizes, total: mine.reduce((a, p) => a + rss(p.pid), 0) };
    },
  };
}
