// @ts-check
// The model code: builds of the same facade (PROTOCOL.md, "Packages"), loaded when needed.

// The model code comes in builds of the same facade (PROTOCOL.md, "Packages"): a CPU-only
// one (`cpu-relaxed` where the browser has WebAssembly relaxed SIMD, else `cpu`: the page
// chooses), loaded at boot from a module the page compiled once for all its workers, and the WebGPU
// one (burn's wgpu stack: about three times the size), fetched only when a session asks for
// WebGPU. Both have the same API; a session lives in the package of its device.
/** @typedef {typeof import('../../pkg/cpu/gpt_wasm.js')} Glue The exports of a build's glue module. */
/** @typedef {Glue & {memory: WebAssembly.Memory, build: string}} Package A loaded build: its exports, memory and name. */

/** @type {Record<string, string>} */
const PACKAGES = { cpu: '../../pkg/cpu/gpt_wasm.js', 'cpu-relaxed': '../../pkg/cpu-relaxed/gpt_wasm.js', webgpu: '../../pkg/webgpu/gpt_wasm.js' };
const packages = /** @type {Record<string, Promise<Package>>} */ ({}); // name -> Promise of the package's exports (Session, TextTokenizer, ...)
// (`cpu` is there from boot on: the page sends requests only after boot's answer.)
export const loaded = /** @type {Record<string, Package>} */ ({}); // name -> the package, once it has loaded

/** Loads package `build` (a key of PACKAGES, default `name`) as `name`: the CPU one is `cpu`
 *  whichever build it is.
 *  @param {string} name @param {WebAssembly.Module | null} [module] @param {string} [build] @returns {Promise<Package>} */
export function loadPackage(name, module, build = name) {
  packages[name] ??= (async () => {
    if (!PACKAGES[build]) throw new Error(`unknown package "${build}"`);
    // import() takes a URL; TypeScript types its specifier as a string.
    const glue = /** @type {Glue} */ (await import(/** @type {string} */ (/** @type {unknown} */ (new URL(PACKAGES[build], import.meta.url)))));
    const instance = await glue.default(module ? { module_or_path: module } : undefined);
    loaded[name] = { ...glue, memory: instance.memory, build };
    return loaded[name];
  })();
  return packages[name];
}

/** The package that runs sessions on `device` ("cpu" unless "webgpu"). @param {string} [device] */
export async function packageFor(device) {
  if (device !== 'webgpu') return loaded.cpu;
  try {
    return await loadPackage('webgpu');
  } catch (err) {
    delete packages.webgpu; // a failed download may be retried
    throw new Error(`could not load the WebGPU build of the model code (${/** @type {Error} */ (err).message}); use the CPU instead`);
  }
}

/** An error as the page hears it; `fatal` when the module is unusable (a Rust panic). @param {unknown} err */
export function describe(err) {
  // A trap inside WebAssembly (a Rust panic) leaves the module unusable; its message was saved.
  if (err instanceof WebAssembly.RuntimeError) {
    const panic = loaded.webgpu?.lastPanic() ?? loaded.cpu?.lastPanic();
    return { message: panic ?? `the model crashed: ${err.message}`, fatal: true };
  }
  return { message: /** @type {{message?: string} | null | undefined} */ (err)?.message ?? String(err), fatal: false };
}
