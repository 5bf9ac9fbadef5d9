// A minimal client of the W3C WebDriver protocol (classic, HTTP + JSON), for the engine whose
// driver speaks nothing else here: WebKitGTK's WebKitWebDriver (Debian's `webkit2gtk-driver`, no
// WebDriver BiDi in 2.50). It covers what the engine harness (engines.mjs) needs: sessions,
// windows, navigation, scripts, element clicks and keys, screenshots. Spec:
// https://www.w3.org/TR/webdriver2/ (the endpoints named beside each method).
// (selenium-webdriver would do the same, but its npm package carries a prebuilt binary
// (selenium-manager) and its versions for our Node 20 are no longer maintained.)

/** The key under which WebDriver sends an element reference. */
export const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** The longest a script may run in the page (ms): `execute/async` gives up after it. */
export const SCRIPT_MS = 270_000;
const COMMAND_MS = SCRIPT_MS + 20_000;

/** An error the driver answered with (`error` is WebDriver's code, e.g. "no such element"). */
export class WebDriverError extends Error {
  constructor(command, value) {
    super(`WebDriver ${command}: ${value?.error ?? 'error'}: ${value?.message ?? JSON.stringify(value)}`);
    this.error = value?.error;
  }
}

/** One WebDriver session on a driver listening at `url` (e.g. http://127.0.0.1:4444). */
export class WebDriverSession {
  /** Starts a session with `capabilities` (W3C `alwaysMatch`). */
  static async start(url, capabilities) {
    const s = new WebDriverSession(url, null);
    const value = await s.#send('POST', '/session', { capabilities: { alwaysMatch: capabilities } });
    s.id = value.sessionId;
    s.capabilities = value.capabilities;
    return s;
  }

  constructor(url, id) {
    this.url = url.replace(/\/+$/, '');
    this.id = id;
  }

  async #send(method, path, body) {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      // Longer than any script may run (setTimeouts), shorter than fetch's own 300 s limit.
      signal: AbortSignal.timeout(COMMAND_MS),
    }).catch((err) => {
      throw new WebDriverError(`${method} ${path}`, { error: 'no answer', message: err.name === 'TimeoutError' ? `the driver did not answer in ${COMMAND_MS / 1000} s` : err.message });
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WebDriverError(`${method} ${path}`, { error: `HTTP ${res.status}`, message: text.slice(0, 200) });
    }
    if (!res.ok || json?.value?.error) throw new WebDriverError(`${method} ${path}`, json?.value);
    return json.value;
  }

  /** A command of this session: `POST /session/{id}/...`, `GET ...`, `DELETE ...`. */
  command(method, path, body) {
    return this.#send(method, `/session/${this.id}${path}`, body);
  }

  /** Ends the session (the driver closes the browser). */
  async quit() {
    await this.command('DELETE', '').catch(() => {});
  }

  // Timeouts (ms): `script` bounds execute/async, `pageLoad` navigation.
  setTimeouts(t) { return this.command('POST', '/timeouts', t); }
  // Navigation.
  navigate(url) { return this.command('POST', '/url', { url }); }
  currentUrl() { return this.command('GET', '/url'); }
  refresh() { return this.command('POST', '/refresh', {}); }
  // Windows: the handle of the current one, all of them, a new tab, switching, closing.
  windowHandle() { return this.command('GET', '/window'); }
  newWindow() { return this.command('POST', '/window/new', { type: 'tab' }).then((v) => v.handle); }
  switchTo(handle) { return this.command('POST', '/window', { handle }); }
  closeWindow() { return this.command('DELETE', '/window'); }
  setWindowRect(rect) { return this.command('POST', '/window/rect', rect); }
  // Scripts: `script` is a function body; `arguments` are `args` (and, async, the callback last).
  execute(script, args = []) { return this.command('POST', '/execute/sync', { script, args }); }
  executeAsync(script, args = []) { return this.command('POST', '/execute/async', { script, args }); }
  // Elements, by reference ({[ELEMENT]: id}, as a script returns them).
  click(el) { return this.command('POST', `/element/${el[ELEMENT]}/click`, {}); }
  clear(el) { return this.command('POST', `/element/${el[ELEMENT]}/clear`, {}); }
  sendKeys(el, text) { return this.command('POST', `/element/${el[ELEMENT]}/value`, { text }); }
  // A PNG of the viewport (base64), or of one element.
  screenshot() { return this.command('GET', '/screenshot'); }
  elementScreenshot(el) { return this.command('GET', `/element/${el[ELEMENT]}/screenshot`); }
}
