// @ts-check
// Promise wrapper around the worker's message schema (../PROTOCOL.md). One ModelWorker is one
// Web Worker holding one WebAssembly instance. A Playground has one for the reader's model (the
// primary), and, when needed, one per data-parallel replica (parallel.js) and one for the panels'
// own models (mount.js).

/** @typedef {Error & {fatal?: boolean, code?: string}} WorkerError An error the worker reported for a request. */
/**
 * @typedef {object} PendingCall A request waiting for its result.
 * @property {(value: any) => void} resolve
 * @property {(err: Error) => void} reject
 * @property {((ev: any) => void) | null} onEvent
 */

let live = 0;
/** How many model workers are running in this page (tests check that panels share one). */
export const liveWorkers = () => live;

/** A module worker from `url`. A page may load this module from another origin (a CDN that sends
 *  CORS headers); a worker must come from the page's own origin, so then a same-origin blob
 *  module that imports the real one stands in (which a `worker-src 'self'` policy forbids: host
 *  the files on your own origin under a strict CSP).
 * @param {URL} url
 */
function startWorker(url) {
  if (url.origin === location.origin) return new Worker(url, { type: 'module' });
  const source = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(source), { type: 'module' });
}

// The CPU package comes in two builds (PROTOCOL.md, "Packages"): `cpu-relaxed`, whose linear
// layers run on the model crate's own matrix product with WebAssembly's relaxed SIMD (fused
// multiply-add; faster training), for browsers that have relaxed SIMD (Chrome 114+, Firefox
// 120+), and `cpu`, plain SIMD128, for the others (a module that uses relaxed SIMD does not
// even compile there).
const CPU_PACKAGES = ['cpu-relaxed', 'cpu'];

// The smallest module that uses relaxed SIMD: one function returning f32x4.relaxed_madd of its
// three v128 parameters. It validates exactly where the browser has relaxed SIMD.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // local.get 0, 1, 2
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd (0xfd 0x105), end
]);

/** Whether this browser's WebAssembly has relaxed SIMD. */
export function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

let cpuChoice = 'auto';

/** Which CPU package the page's workers load: `"auto"` (the default: `cpu-relaxed` where the
 *  browser has relaxed SIMD, `cpu` elsewhere), `"cpu-relaxed"` or `"cpu"`. Takes effect for
 *  workers started afterwards, so call it before the first Playground (benchmarks compare both).
 * @param {string} name
 */
export function useCpuPackage(name) {
  if (name !== 'auto' && !CPU_PACKAGES.includes(name)) throw new Error(`unknown CPU package "${name}": auto, ${CPU_PACKAGES.join(', ')}`);
  if (name !== cpuChoice) compiled = null;
  cpuChoice = name;
}

/** The CPU package workers load now (see useCpuPackage). */
export function cpuPackage() {
  if (cpuChoice !== 'auto') return cpuChoice;
  return hasRelaxedSimd() ? 'cpu-relaxed' : 'cpu';
}

// The CPU package's WebAssembly, compiled once per page and posted to every worker (main,
// data-parallel replicas, the panels'): a replica then starts without fetching or compiling.
/** @type {Promise<{name: string, module: WebAssembly.Module | null}> | null} */
let compiled = null;

/** @param {string} name */
async function compile(name) {
  const response = await fetch(new URL(`../pkg/${name}/gpt_wasm_bg.wasm`, import.meta.url));
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  // compileStreaming needs the application/wasm type, which some static hosts do not send.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** `{name, module}`: the CPU package and its compiled module, or a null module when the page
 *  cannot compile it (the worker then fetches and compiles on its own, and reports what went
 *  wrong). Where the relaxed-SIMD package cannot be had (an older copy of the files without it),
 *  the plain one stands in. */
function cpuModule() {
  compiled ??= (async () => {
    const name = cpuPackage();
    try {
      return { name, module: await compile(name) };
    } catch (err) {
      if (name !== 'cpu-relaxed' || cpuChoice !== 'auto') return { name, module: null };
      return compile('cpu').then((module) => ({ name: 'cpu', module }), () => ({ name: 'cpu', module: null }));
    }
  })();
  return compiled;
}

export class ModelWorker {
  /**
   * `onFatal(err)`: the worker crashed after it booted (a trap inside WebAssembly, an uncaught
   * error) or stopped answering; every pending call has then been rejected. `onSignal(msg)`:
   * a message the worker sends on its own (`device-lost`, `gpu-error`). `heartbeat`: how often
   * (ms) to ask a quiet worker whether it is alive, and how long (ms) a silent worker may keep a
   * call waiting before it counts as hung.
   */
  /**
   * @param {(err: Error) => void} onFatal
   * @param {{onSignal?: (msg: any) => void, heartbeat?: {every: number, deadline: number}}} [options]
   */
  constructor(onFatal, { onSignal, heartbeat = { every: 2000, deadline: 30_000 } } = {}) {
    this.onFatal = onFatal;
    this.onSignal = onSignal;
    /** @type {Map<number, PendingCall>} */
    this.pending = new Map();
    this.nextId = 1;
    this.alive = true;
    this.heard = performance.now();
    live++;
    this.worker = startWorker(new URL('./worker.js', import.meta.url));
    cpuModule().then(({ name, module }) => this.alive && this.worker.postMessage({ type: 'boot', module, package: name }));
    this.up = false; // booted: a failure from now on is a crash, not a failed start
    /** @type {Promise<void>} */
    this.booted = new Promise((resolve, reject) => {
      this.bootResolve = () => {
        this.up = true;
        resolve();
      };
      this.bootReject = reject;
    });
    // Nobody may be waiting on `booted` yet: a failed boot must not be an unhandled rejection.
    this.booted.catch(() => {});
    this.worker.onmessage = (e) => this.receive(e.data);
    // A message that could not be read names no request: fail every pending call rather than
    // leave one waiting forever.
    this.worker.onmessageerror = () => this.failAll(new Error('a reply from the model worker could not be read'));
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this.fail(this.up ? `the model worker crashed: ${e.message ?? 'unknown error'}` : `the model worker failed to start: ${e.message ?? 'unknown error'}`);
    };
    this.timer = setInterval(() => this.#listen(heartbeat), heartbeat.every);
  }

  /**
   * Pings a quiet worker; declares it hung when calls wait and nothing was heard for too long.
   * @param {{every: number, deadline: number}} heartbeat
   */
  #listen({ every, deadline }) {
    if (!this.up || !this.alive) return;
    const quiet = performance.now() - this.heard;
    if (quiet > deadline && this.pending.size > 0) {
      this.fail(`the model worker stopped answering (nothing for ${Math.round(quiet / 1000)} s)`);
    } else if (quiet > every) {
      const id = this.nextId++;
      this.worker.postMessage({ id, type: 'ping' });
    }
  }

  /**
   * The worker is broken: reject what waits, and tell the owner (after boot).
   * @param {string} message
   */
  fail(message) {
    const err = new Error(message);
    this.bootReject(err);
    this.failAll(err);
    if (this.up && this.alive) this.onFatal?.(err);
  }

  /** @param {any} msg A message of the worker's (PROTOCOL.md). */
  receive(msg) {
    this.heard = performance.now();
    if (msg.type === 'messageerror') {
      this.failAll(new Error(msg.message));
      return;
    }
    if (msg.type === 'boot') {
      if (msg.ok) this.bootResolve();
      else this.bootReject(new Error(msg.message));
      return;
    }
    if (msg.type === 'device-lost' || msg.type === 'gpu-error') {
      this.onSignal?.(msg);
      return;
    }
    const call = this.pending.get(msg.id);
    if (!call) return;
    if (msg.type === 'result') {
      this.pending.delete(msg.id);
      call.resolve(msg.value);
    } else if (msg.type === 'error') {
      this.pending.delete(msg.id);
      const err = /** @type {WorkerError} */ (new Error(msg.message));
      err.fatal = msg.fatal;
      if (msg.code) err.code = msg.code;
      call.reject(err);
      if (msg.fatal) this.onFatal?.(err);
    } else {
      call.onEvent?.(msg);
    }
  }

  /** @param {Error} err */
  failAll(err) {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }

  /**
   * Send a request; resolves with its result, calls `onEvent` for each streamed event.
   * @param {string} type
   * @param {Record<string, unknown>} [fields]
   * @param {((ev: any) => void) | null} [onEvent]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>} The request's result (PROTOCOL.md): its shape depends on `type`.
   */
  async call(type, fields = {}, onEvent = null, transfer = []) {
    await this.booted;
    if (!this.alive) throw new Error('the model worker has been shut down');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ id, type, ...fields }, transfer);
    });
  }

  /** @param {string} [reason] */
  terminate(reason = 'the model worker was shut down') {
    if (!this.alive) return;
    this.alive = false;
    live--;
    clearInterval(this.timer);
    this.worker.terminate();
    this.bootReject(new Error(reason));
    this.failAll(new Error(reason));
  }
}
