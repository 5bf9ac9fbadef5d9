// Where the model trains: WebGPU when the browser offers a hardware adapter, otherwise the CPU
// (WebAssembly SIMD). A software adapter (SwiftShader) is slower than the CPU path, so it is only
// used when asked for.

/** Whether this browser can give WebGPU, and why not. A software adapter counts as "fallback". */
export async function probeWebGpu() {
  if (!('gpu' in navigator)) return { available: false, why: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, why: 'the browser offered no WebGPU adapter (requestAdapter() returned null)' };
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    const name = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'a GPU';
    return { available: true, fallback, name };
  } catch (err) {
    return { available: false, why: `asking for a WebGPU adapter failed: ${err.message}` };
  }
}

/** The backend for preference `pref` (`auto` | `cpu` | `webgpu`) given what `probeWebGpu` found,
 *  and a sentence for the reader saying which and why. */
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
