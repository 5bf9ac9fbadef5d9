// The browser package's WebGPU path without a browser: www/pkg/webgpu/ run in Node on Dawn (the
// WebGPU implementation inside Chrome, npm `webgpu`), beside the same package on the CPU (burn
// `flex`, one thread, as one Web Worker of the page). For a machine with a GPU and no browser
// (issue 11: "what a reader with a real GPU gets"); here it runs on SwiftShader's Vulkan.
//
// Prints the adapter, then per preset: training tokens/s and the loss after the timed steps on
// WebGPU and on the CPU (the two must agree to 1e-2: same model, same seed, same batches), and
// generation tokens/s (one read-back per token), as WEBGPU_NODE_*=… lines.
// Usage: node bench/webgpu_node.mjs [presets=tiny,baby,small] [steps=20] [tokens=50]
//   after `make www` and `cd bench/webgpu && npm ci`; see bench/webgpu_node.sh.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The `webgpu` package: bench/webgpu/node_modules/webgpu, or WEBGPU_MODULE=DIR (a trimmed copy
// with index.js and dist/<platform>/dawn.node, to carry to a machine without a registry).
const dawn = process.env.WEBGPU_MODULE ?? fileURLToPath(new URL('./webgpu/node_modules/webgpu', import.meta.url));
const { create, globals } = await import(`${dawn}/index.js`);

const [presets = 'tiny,baby,small', steps = '20', tokens = '50'] = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));

// What the package looks for in a browser: WebGPU's classes, navigator.gpu, and a `Window`
// constructor on the global object (wgpu's test for "a page or a dedicated worker").
Object.assign(globalThis, globals);
const gpu = create([]);
if (globalThis.navigator) Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
else globalThis.navigator = { gpu }; // Node before 21 has no navigator
globalThis.Window ??= class Window {};
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan driver? here: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)');
const info = adapter.info ?? {};
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.description}`.trim());

const pkg = `${root}/www/pkg/webgpu`;
const wasm = await import(`${pkg}/gpt_wasm.js`);
await wasm.default({ module_or_path: readFileSync(`${pkg}/gpt_wasm_bg.wasm`) });
const corpus = readFileSync(`${root}/www/corpora/moby-dick-small.txt`, 'utf8');

/** Training and generation figures of one preset on one device. */
async function measure(preset, device) {
  const s = await wasm.Session.create({ corpus, preset, device, seed: 7 });
  await s.train(3); // warm-up: shaders compiled, buffers allocated
  const t0 = performance.now();
  const r = await s.train(Number(steps));
  const trainSeconds = (performance.now() - t0) / 1000;
  await s.startGeneration('\n', { temperature: 0.8, seed: 1 });
  await s.nextToken(); // warm-up
  const t1 = performance.now();
  for (let i = 0; i < Number(tokens); i++) await s.nextToken();
  const generateSeconds = (performance.now() - t1) / 1000;
  s.free();
  return { loss: r.losses.at(-1), trainTps: r.tokens / trainSeconds, genTps: Number(tokens) / generateSeconds };
}

for (const preset of presets.split(',')) {
  const gpuR = await measure(preset, 'webgpu');
  const cpuR = await measure(preset, 'cpu');
  const P = preset.toUpperCase();
  console.log(`${preset}: training ${Math.round(gpuR.trainTps)} tokens/s on WebGPU, ${Math.round(cpuR.trainTps)} on the CPU (one thread) = ${(gpuR.trainTps / cpuR.trainTps).toFixed(2)}x; `
    + `loss after ${3 + Number(steps)} steps ${gpuR.loss.toFixed(5)} vs ${cpuR.loss.toFixed(5)}; generation ${gpuR.genTps.toFixed(1)} vs ${cpuR.genTps.toFixed(1)} tokens/s`);
  console.log(`WEBGPU_NODE_TRAIN_TOKENS_PER_SEC_${P}=${Math.round(gpuR.trainTps)}`);
  console.log(`WEBGPU_NODE_CPU_TRAIN_TOKENS_PER_SEC_${P}=${Math.round(cpuR.trainTps)}`);
  console.log(`WEBGPU_NODE_GENERATE_TOKENS_PER_SEC_${P}=${gpuR.genTps.toFixed(1)}`);
  if (!(Math.abs(gpuR.loss - cpuR.loss) < 1e-2)) {
    console.error(`FAIL: WebGPU and CPU losses differ (${gpuR.loss} vs ${cpuR.loss})`);
    process.exitCode = 1;
  }
}
process.exit(process.exitCode ?? 0); // Dawn keeps the event loop alive
