// @ts-check
// Pre-training the reader's model: building it from the settings (after measuring, on `auto`,
// whether WebGPU or the CPU trains it faster here), the run itself (one worker, or data-parallel
// replicas: parallel.js), the loss history and rates it feeds, and the CPU copy of WebGPU weights
// that generation reads afterwards. The run's state (run.js) says what may happen when; these
// functions only do what it let through.
import { copyNote, measuredChoice } from './device.js';
import { workerCount } from './parallel.js';
import { checkSetting } from './state.js';

/** @typedef {import('./core.js').Core} Core */

/** Builds the reader's model from the current settings (the state is `building`). @param {Core} core */
export async function buildModel(core) {
  await measureDevices(core);
  const s = core.build();
  let info;
  try {
    info = await core.call('init', { options: core.options(s, core.settings.steps) });
  } catch (err) {
    const message = /** @type {Error} */ (err).message;
    if (s.device === 'webgpu' && /WebGPU/.test(message)) {
      // The adapter was there but the device could not be created: fall back to the CPU.
      core.webgpu = { available: false, why: message.replace(/; use the CPU instead$/, '') };
      core.fallBackToCpu();
      return buildModel(core);
    }
    throw err;
  }
  core.adopt(info, s, { kind: 'built' });
  core.snapshot();
  return info;
}

/** The reader's model, where there must be one (a run, after a build). @param {Core} core */
function modelOf(core) {
  if (!core.info) throw new Error('there is no model to train');
  return core.info;
}

/** The number of workers that train the model now: one on WebGPU, else `workerCount`. @param {Core} core @param {{paramCount?: number, batchSize?: number | null} | null} [model] */
export function workersFor(core, model = core.info) {
  if (!model?.batchSize) return 1;
  return workerCount({ asked: core.settings.workers, paramCount: model.paramCount, batchSize: model.batchSize, cores: globalThis.navigator?.hardwareConcurrency ?? 2 });
}

/** The number of workers the next run trains with: one on WebGPU, else `workersFor`. @param {Core} core */
export const runWorkers = (core) => (core.device.device === 'cpu' ? workersFor(core) : 1);

/**
 * The run from `core.run.start` to `core.run.target` (the state is `training` or `pausing`).
 * Resolves `{step, reason}`; a failure is said (an `error` event) and rejects.
 * @param {Core} core
 */
export async function runTraining(core) {
  const worker = core.worker; // replaced under this run by a recovery, the run ends there
  core.stopAsked = false;
  let result;
  try {
    const remaining = core.run.target - modelOf(core).step;
    const evalEvery = Math.max(10, Math.round((core.run.target - core.run.start) / 10));
    const workers = runWorkers(core);
    const onEvent = (/** @type {any} */ ev) => onTrainEvent(core, ev);
    if (workers > 1) {
      result = await core.parallel.train({
        primary: core.worker, info: core.info, text: core.builtWith?.text ?? core.text, version: core.runVersion, stopAsked: () => core.stopAsked, onEvent,
      }, workers, remaining, evalEvery);
    } else {
      core.parallel.drop(); // idle replicas hold memory
      result = await core.call('train', { steps: remaining, evalEvery }, onEvent);
      core.runVersion++; // replicas made later must copy this state
    }
  } catch (err) {
    // The worker was replaced under this run (a crash, a lost device): the recovery reports it
    // (and a run that carries on resolves this one).
    if (core.worker !== worker) return core.recovered;
    const message = /** @type {Error} */ (err).message;
    if (core.device.device === 'webgpu' && /device error/.test(message)) {
      // On WebGPU a failed read-back often arrives before the device's `lost` notice: give the
      // notice a moment, and without one treat the device as gone all the same.
      await new Promise((r) => setTimeout(r, 500));
      if (core.worker !== worker) return core.recovered;
      const why = `the WebGPU device failed (${message})`;
      core.webgpu = { available: false, why };
      return core.recover('device-lost', why);
    }
    core.state.to('fail');
    core.error(message, { action: 'train' });
    if (core.info) core.emit('trained', core.info);
    throw err;
  }
  core.setStep(result.step);
  const paused = core.state.state === 'pausing';
  core.run = { ...core.run, reason: paused ? 'paused' : result.reason };
  core.state.to('end');
  await refreshCopy(core);
  core.emit('trained', core.info);
  core.snapshot();
  return { step: result.step, reason: core.run.reason };
}

/** Builds a model from the settings (state `building`); a failed build goes back to where it
 *  was. `core.pendingBuild` is the build in progress, which `ensureModel` waits for. @param {Core} core */
async function build(core) {
  core.state.to('build');
  core.pendingBuild = buildModel(core);
  try {
    return await core.pendingBuild;
  } catch (err) {
    if (core.state.may('unbuilt')) core.state.to('unbuilt');
    throw err;
  } finally {
    core.pendingBuild = null;
  }
}

/** Playground.train: `steps` more steps, building first when there is no model or the settings
 *  changed. @param {Core} core @param {number | string | undefined} steps */
export async function train(core, steps) {
  try {
    const n = /** @type {number} */ (checkSetting('steps', steps ?? core.settings.steps));
    core.state.check('train');
    if (!core.info || !core.sameBuild()) {
      await build(core);
      if (core.state.state !== 'building') {
        // Stopped while building: the model is there, no run starts.
        core.run = { ...core.run, reason: 'stopped' };
        core.state.to('settle');
        core.emit('trained', core.info);
        return { step: modelOf(core).step, reason: 'stopped' };
      }
    }
    const { step } = modelOf(core);
    core.run = { start: step, target: step + n, reason: null };
  } catch (err) {
    core.error(/** @type {Error} */ (err).message, { action: 'build' });
    // A refusal (a run is in progress) leaves that run alone; a bad value or a failed build is an error.
    if (!core.state.busy) core.state.to('fail');
    throw err;
  }
  core.state.to('train');
  return runTraining(core);
}

/** Playground.ensureModel: an untrained model when there is none; during a build, waits for it. @param {Core} core */
export async function ensureModel(core) {
  if (core.pendingBuild) await core.pendingBuild;
  else if (!core.info) {
    await build(core);
    core.state.to('settle');
  }
  return core.info;
}

/** Playground.pause: pauses a run, or resumes a paused one. @param {Core} core */
export async function pause(core) {
  if (core.state.state === 'paused') return resume(core);
  if (!core.state.may('pause')) return null;
  core.state.to('pause');
  core.stopAsked = true;
  return core.call('stop', { what: 'train' });
}

/** Playground.resume: a paused run goes on towards its target. @param {Core} core */
export async function resume(core) {
  if (!core.state.may('resume')) return null;
  core.state.to('resume');
  return runTraining(core).catch(() => null);
}

/** Playground.stop: the run ends (a paused one too; during a build, the model is built but does
 *  not train). @param {Core} core */
export async function stop(core) {
  if (!core.state.may('stop')) return { stopped: false };
  const was = core.state.state;
  core.state.to('stop');
  core.stopAsked = true;
  if (was === 'paused') {
    core.run = { ...core.run, reason: 'stopped' };
    return { stopped: true };
  }
  if (was === 'building') return { stopped: true };
  return core.call('stop', { what: 'train' });
}

/** A chunk's `progress` or an `eval` from the worker (or from the data-parallel loop). @param {Core} core @param {any} ev */
export function onTrainEvent(core, ev) {
  const h = core.history;
  if (ev.type === 'progress') {
    const first = ev.step - ev.losses.length;
    ev.losses.forEach((/** @type {number} */ l, /** @type {number} */ i) => h.train.push(first + i + 1, l));
    h.rates.push({ steps: ev.losses.length, tokens: ev.tokens, ms: ev.ms });
    if (h.rates.length > 10) h.rates.shift();
    core.setStep(ev.step);
    core.emit('progress', { step: ev.step, loss: ev.losses.at(-1), target: core.run.target, tokensPerSecond: statsOf(core).tokensPerSecond, workers: ev.workers ?? 1 });
    // A snapshot every few seconds: what a crash or a lost GPU device would come back to.
    if (performance.now() - core.snapshots.takenAt > core.config.snapshotSeconds * 1000) core.snapshot();
  } else if (ev.type === 'eval') {
    h.val.push(ev.step, ev.val);
    core.emit('eval', { step: ev.step, train: ev.train, val: ev.val });
  }
}

/**
 * With a hardware WebGPU adapter and the device on `auto`, times a few training steps of the
 * chosen preset on WebGPU and on the CPU workers (one shard per worker) and trains on the
 * faster; small models are often faster on the CPU. The result is kept per preset and
 * tokenizer. A software adapter is never measured: it is always slower than the CPU.
 * @param {Core} core
 */
async function measureDevices(core) {
  const g = core.webgpu;
  if (core.settings.device !== 'auto' || !g.available || g.fallback) return;
  const key = `${core.settings.preset}|${core.settings.tokenizer}`;
  let m = core.measured.get(key);
  if (!m) {
    core.setDevice({ ...core.device, note: 'Measuring which trains this model faster here: WebGPU or the CPU…' });
    const options = (/** @type {string} */ device) => core.options({ ...core.build(), device }, core.settings.steps);
    const webgpu = await core.call('measure', { options: options('webgpu') }).catch((err) => ({ error: err.message }));
    const workers = webgpu.error ? 1 : workersFor(core, webgpu);
    const cpu = await core.call('measure', { options: options('cpu'), shards: workers });
    m = { webgpu, cpu, workers };
    core.measured.set(key, m);
  }
  if (core.settings.device !== 'auto') return;
  core.setDevice(measuredChoice(m, g));
}

/**
 * After a run on WebGPU: a CPU copy of the weights, which generation and the panels' inspections
 * then read (they are latency-bound: one read-back per token) when it is faster, measured on
 * a few tokens with a hardware adapter. Training again drops the copy until the run ends.
 * @param {Core} core
 */
export async function refreshCopy(core) {
  if (core.device.device !== 'webgpu' || !core.info || core.destroyed) return;
  try {
    // The start of the corpus the model trained on: text its tokenizer encodes.
    const prompt = [...(core.builtWith?.text ?? '')].slice(0, 4).join('') || core.prompt();
    const r = await core.call('copy', { measure: !core.webgpu.fallback, prompt });
    core.setDevice({
      ...core.device,
      generation: { device: r.device, cpuTokensPerSecond: r.cpuTokensPerSecond ?? null, webgpuTokensPerSecond: r.webgpuTokensPerSecond ?? null },
      note: copyNote(core.device.note, r),
    });
  } catch (err) {
    core.error(`A CPU copy of the model for generation could not be made (${/** @type {Error} */ (err).message}); generation stays on WebGPU.`, { action: 'copy' });
  }
}

/** Figures of the current run for display: step, target, tokens/s, ETA, mean first/last losses. @param {Core} core */
export function statsOf(core) {
  const { history: h, run, info } = core;
  const recent = h.rates.slice(-10);
  const sum = (/** @type {'steps' | 'tokens' | 'ms'} */ key) => recent.reduce((a, r) => a + r[key], 0);
  const seconds = Math.max(1e-9, sum('ms') / 1000);
  const step = info?.step ?? 0;
  return {
    step,
    start: run.start,
    target: run.target,
    tokensPerSecond: recent.length ? sum('tokens') / seconds : NaN,
    etaSeconds: recent.length ? (run.target - step) / (sum('steps') / seconds) : NaN,
    loss: h.train.recentMean,
    firstLoss: h.train.firstMean,
    lastLoss: h.train.last,
    valLoss: h.val.last,
  };
}
