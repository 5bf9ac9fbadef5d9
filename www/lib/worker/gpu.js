// @ts-check
// Watching the WebGPU device, and the test hooks that break things on purpose.
import { send } from './sessions.js';

/**
 * @typedef {object} GpuDevice The part of WebGPU's GPUDevice used here (TypeScript's DOM lib has no WebGPU types).
 * @property {Promise<{reason: string, message: string}>} lost
 * @property {() => void} destroy
 * @property {(type: 'uncapturederror', listener: (e: {error?: {message?: string}}) => void) => void} addEventListener
 */
/** @typedef {{prototype: {requestDevice: (...args: unknown[]) => Promise<GpuDevice>}}} GpuAdapterClass */

// The WebGPU device burn's wgpu runtime asks for: watched, so that its loss (a driver reset, a
// tab in the background too long, or the test hook below) and GPU errors outside any call reach
// the page, which then carries on from the last snapshot on the CPU.
const gpu = { device: /** @type {GpuDevice | null} */ (null) };
// The global (undefined without WebGPU), typed here: TypeScript's DOM lib has no WebGPU.
const GPUAdapter = /** @type {typeof self & {GPUAdapter?: GpuAdapterClass}} */ (self).GPUAdapter;
if (GPUAdapter) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  /** @this {unknown} @param {unknown[]} args */
  GPUAdapter.prototype.requestDevice = async function watchedRequestDevice(...args) {
    const device = await requestDevice.apply(this, args);
    gpu.device = device;
    device.lost.then((info) => send({ type: 'device-lost', reason: info.reason, message: info.message }));
    device.addEventListener('uncapturederror', (e) => send({ type: 'gpu-error', message: e.error?.message ?? String(e.error) }));
    return device;
  };
}

// Test hooks: a crash after boot, a worker that stops answering, a lost WebGPU device.
/** @type {Record<string, (() => void) | undefined>} */
export const debug = {
  crash: () => setTimeout(() => { throw new Error('a crash requested by a test'); }),
  hang: () => setTimeout(() => { for (;;); }),
  'lose-device': () => {
    if (!gpu.device) throw new Error('there is no WebGPU device to lose');
    gpu.device.destroy();
  },
};
