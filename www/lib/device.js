// @ts-check
// Where the model trains: WebGPU when the browser offers a hardware adapter, otherwise the CPU
// (WebAssembly SIMD). A software adapter (SwiftShader) is slower than the CPU path, so it is only
// used when asked for.

/** Whether this browser can give WebGPU, and why not. A software adapter counts as "fallback". */
/** @returns {Promise<{available: boolean, fallback?: boolean, name?: string, why?: string}>} */
export async function probeWebGpu() {
  if (!('gpu' in navigator)) return { available: false, why: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await /** @type {any} */ (navigator).gpu.requestAdapter();
    if (!adapter) return { available: false, why: 'the browser offered no WebGPU adapter (requestAdapter() returned null)' };
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    const name = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'a GPU';
    return { available: true, fallback, name };
  } catch (err) {
    return { available: false, why: `asking for a WebGPU adapter failed: ${/** @type {Error} */ (err).message}` };
  }
}

/** The backend for preference `pref` (`auto` | `cpu` | `webgpu`) given what `probeWebGpu` found,
 *  and a sentence for the reader saying which and why. */
/** @param {string} pref @param {{available: boolean, fallback?: boolean, name?: string, why?: string}} webgpu @returns {{device: 'cpu' | 'webgpu', note: string}} */
export function chooseDevice(pref, webgpu) {
  const g = webgpu;
  if (pref === 'cpu') return { device: 'cpu', note: 'Training on the CPU (WebAssembly), as chosen.' };
  if (!g.available) return { device: 'cpu', note: `Training on the CPU: ${g.why}.` };
  if (pref === 'webgpu') {
    return { device: 'webgpu', note: `Training on WebGPU (${g.name}${g.fallback ? ', a software adapter: expect it to be slow' : ''}).` };
  }
  if (g.fallback) {
    return { device: 'cpu', note: 'Training on the CPU: the only WebGPU adapter here is a software one (slower than the CPU path). Choose WebGPU under Device to try it anyway.' };
  }
  return { device: 'webgpu', note: `Training on WebGPU (${g.name}).` };
}

const rate = (/** @type {number} */ x) => `${Math.round(x).toLocaleString('en')} tokens/s`;

/**
 * Where to train, from measured speeds `m` (`{webgpu: {tokensPerSecond} | {error}, cpu:
 * {tokensPerSecond}, workers}`) on adapter `g`: the faster, and a sentence saying so.
 * @param {{webgpu: {tokensPerSecond?: number, error?: string}, cpu: {tokensPerSecond: number}, workers: number}} m
 * @param {{name?: string}} g
 */
export function measuredChoice(m, g) {
  const onCpu = `${rate(m.cpu.tokensPerSecond)} on the CPU (${m.workers} worker${m.workers > 1 ? 's' : ''})`;
  const measured = { webgpuTokensPerSecond: m.webgpu.tokensPerSecond ?? null, cpuTokensPerSecond: m.cpu.tokensPerSecond, workers: m.workers };
  if (m.webgpu.error || m.webgpu.tokensPerSecond === undefined) {
    return { device: 'cpu', note: `Training on the CPU: WebGPU failed when measured (${m.webgpu.error}).`, measured };
  }
  if (m.webgpu.tokensPerSecond > m.cpu.tokensPerSecond) {
    return { device: 'webgpu', note: `Training on WebGPU (${g.name}), the faster here: measured ${rate(m.webgpu.tokensPerSecond)} on WebGPU against ${onCpu}.`, measured };
  }
  return { device: 'cpu', note: `Training on the CPU, the faster here (small models often are): measured ${onCpu} against ${rate(m.webgpu.tokensPerSecond)} on WebGPU (${g.name}).`, measured };
}

/**
 * The device note after a CPU copy of WebGPU weights was made (or not) for generation and the
 * panels: `r` is the worker's `copy` answer.
 * @param {string} note @param {{device: string, cpuTokensPerSecond?: number, webgpuTokensPerSecond?: number}} r
 */
export function copyNote(note, r) {
  const n = (/** @type {number | undefined} */ x) => Math.round(x ?? 0).toLocaleString('en');
  const why = r.cpuTokensPerSecond
    ? `${n(r.cpuTokensPerSecond)} tokens/s there against ${n(r.webgpuTokensPerSecond)} on WebGPU`
    : 'a software adapter is slower than the CPU';
  const where = r.device === 'cpu' ? `read a CPU copy of the weights (${why})` : `stay on WebGPU (${why.replace(' there against ', ' on a CPU copy against ')})`;
  return `${note.replace(/ Generation and the panels .*$/, '')} Generation and the panels ${where}.`;
}
