// @ts-check
// A playground's private state, and the operations its modules share (training.js, recovery.js,
// autosave.js, parallel.js, mount.js). The Playground facade (playground.js) holds one Core in a
// private field and never hands it out: views see only the facade's API (EMBEDDING.md).
import { ModelWorker } from './client.js';
import { CORPORA, loadCorpus } from './corpora.js';
import { chooseDevice } from './device.js';
import { RunState } from './run.js';
import { Snapshots, emptyHistory } from './autosave.js';
import { DataParallel } from './parallel.js';
import { recover } from './recovery.js';
import { runTraining } from './training.js';

/** @typedef {import('../pkg/cpu/gpt_wasm.js').SessionInfo} SessionInfo */
/** @typedef {import('../types/playground.js').ModelOrigin} ModelOrigin */
/** What a model is built from (BUILD_KEYS): a change to any of these needs a new model.
 *  @typedef {{text: string, preset: string, tokenizer: string, device: string}} BuildSettings */

/**
 * @typedef {object} Core
 * @property {ModelWorker} worker The primary worker: the reader's model (session "main").
 * @property {{autosave: string | false, snapshotSeconds: number, heartbeat?: any, allReduce: string}} config
 * @property {Record<string, any>} settings The settings (replaced, never changed in place).
 * @property {string} text The corpus text the next model is built from.
 * @property {number} corpusVersion Counts changes of the text, so the worker can keep it by id.
 * @property {{available: boolean, fallback?: boolean, name?: string, why?: string}} webgpu
 * @property {{device: string, note: string, measured?: object, generation?: object}} device
 * @property {import('../pkg/cpu/gpt_wasm.js').SessionInfo | null} info SessionInfo of the reader's model (replaced, never changed in place), or null.
 * @property {BuildSettings | null} builtWith The build settings the model was built with.
 * @property {ModelOrigin | null} origin How the model came to be.
 * @property {{start: number, target: number, reason: string | null}} run
 * @property {ReturnType<typeof emptyHistory>} history
 * @property {RunState} state The run's state: the only writer of the status.
 * @property {Snapshots} snapshots
 * @property {DataParallel} parallel
 * @property {Map<string, any>} measured Training speeds measured per preset|tokenizer.
 * @property {boolean} stopAsked Stop or Pause was pressed (data-parallel runs check it between steps).
 * @property {number} runVersion Counts changes of the reader's run outside the replicas.
 * @property {number} modelVersion Counts models (built, loaded, restored, forgotten).
 * @property {boolean} destroyed
 * @property {Promise<any> | null} pendingBuild The build in progress (training.js).
 * @property {Promise<any> | null} recovery The recovery in progress.
 * @property {Promise<any> | null} recovered The latest recovery (what a broken run resolves to).
 * @property {(type: string, detail?: any) => void} emit An event of the playground's.
 * @property {(message: string, extra?: object) => void} error An `error` event.
 * @property {(type: string, fields?: any, onEvent?: any, transfer?: Transferable[]) => Promise<any>} call A request to the primary worker.
 * @property {() => ModelWorker} startWorker A primary worker, watched for crashes and a lost GPU device.
 * @property {() => BuildSettings} build The build settings the current choice means.
 * @property {() => boolean} sameBuild The model was built from what the settings say now.
 * @property {(key: string, text?: string) => Promise<void>} selectCorpus Loads corpus `key` (or takes `text` for "own") and announces it with a `corpus` event.
 * @property {(s: Record<string, any>, steps: number, extra?: any) => any} options SessionOptions of a model built from `s`.
 * @property {(info: SessionInfo, builtWith: BuildSettings, origin: ModelOrigin, history?: ReturnType<typeof emptyHistory>) => void} adopt A new model is the reader's.
 * @property {() => void} forget There is no model.
 * @property {(step: number) => void} setStep
 * @property {(device: Core['device']) => void} setDevice
 * @property {() => void} applyDevice The device the preference and the probe say.
 * @property {() => void} fallBackToCpu The device preference leaves `webgpu` (which failed).
 * @property {() => Promise<any>} snapshot A snapshot of the run now (autosave.js).
 * @property {() => Promise<any>} runTraining
 * @property {(kind: 'crash' | 'device-lost', reason: string) => Promise<any> | null} recover
 * @property {() => string} prompt A prompt for the chosen corpus.
 */

// What a model is built from: a change to any of these needs a new model.
const BUILD_KEYS = /** @type {const} */ (['text', 'preset', 'tokenizer', 'device']);

/**
 * The Core of a playground whose events go to `target`, with its settings and options.
 * @param {EventTarget} target
 * @param {Record<string, any>} settings
 * @param {Core['config']} config
 * @param {(next: import('./run.js').RunStateName, previous: import('./run.js').RunStateName) => void} onState
 * @returns {Core}
 */
export function createCore(target, settings, config, onState) {
  /** @type {Core} */
  const core = {
    worker: /** @type {any} */ (null),
    config,
    settings,
    text: '',
    corpusVersion: 0,
    webgpu: { available: false, why: 'WebGPU was not checked yet' },
    device: { device: 'cpu', note: 'Checking for WebGPU…' },
    info: null,
    builtWith: null,
    origin: null,
    run: { start: 0, target: 0, reason: null },
    history: emptyHistory(),
    state: new RunState(onState),
    snapshots: new Snapshots(config, {
      saved: (detail) => core.emit('saved', detail),
      error: (message) => core.error(message, { action: 'autosave' }),
    }),
    parallel: new DataParallel(config),
    measured: new Map(),
    stopAsked: false,
    runVersion: 0,
    modelVersion: 0,
    destroyed: false,
    pendingBuild: null,
    recovery: null,
    recovered: null,
    emit: (type, detail) => { if (!core.destroyed) target.dispatchEvent(new CustomEvent(type, { detail })); },
    error: (message, extra = {}) => core.emit('error', { message, ...extra }),
    call: (type, fields, onEvent, transfer) => {
      if (core.destroyed) return Promise.reject(new Error('this playground has been destroyed'));
      return core.worker.call(type, fields, onEvent, transfer);
    },
    startWorker: () => {
      const heartbeat = core.config.heartbeat;
      return new ModelWorker((/** @type {Error} */ err) => recover(core, 'crash', err.message), {
        onSignal: (/** @type {any} */ msg) => {
          if (msg.type === 'device-lost' && core.device.device === 'webgpu' && !core.destroyed) {
            const why = `the WebGPU device was lost (${[msg.reason, msg.message].filter(Boolean).join(': ') || 'no reason given'})`;
            core.webgpu = { available: false, why };
            recover(core, 'device-lost', why);
          } else if (msg.type === 'gpu-error') {
            core.error(`WebGPU reported an error: ${msg.message}`, { action: 'gpu' });
          }
        },
        ...(heartbeat ? { heartbeat } : {}),
      });
    },
    build: () => ({ text: core.text, preset: core.settings.preset, tokenizer: core.settings.tokenizer, device: core.device.device }),
    sameBuild: () => {
      const a = core.builtWith;
      const b = core.build();
      return !!a && BUILD_KEYS.every((k) => a[k] === b[k]);
    },
    selectCorpus: async (key, text) => {
      if (key === 'own') {
        if (typeof text === 'string') core.text = text;
      } else {
        core.text = (await loadCorpus(key)) ?? '';
      }
      core.corpusVersion++;
      core.emit('corpus', key);
    },
    options: (s, steps, extra = {}) => {
      const base = { corpus: s.text, preset: s.preset, tokenizer: s.tokenizer, device: s.device, training: { steps, evalBatches: 8 } };
      return { ...base, ...extra, model: { ...(extra.model ?? {}) }, training: { ...base.training, ...(extra.training ?? {}) } };
    },
    adopt: (info, builtWith, origin, history = emptyHistory()) => {
      core.runVersion++;
      core.modelVersion++;
      Object.assign(core, { info, builtWith, origin, history, run: { start: info.step, target: info.step, reason: null } });
      core.emit('model', info);
    },
    forget: () => {
      core.modelVersion++;
      Object.assign(core, { info: null, builtWith: null, origin: null, history: emptyHistory(), run: { start: 0, target: 0, reason: null } });
      core.emit('model', null);
    },
    setStep: (step) => { if (core.info && core.info.step !== step) core.info = { ...core.info, step }; },
    setDevice: (device) => {
      core.device = device;
      core.emit('device', { ...device });
    },
    applyDevice: () => core.setDevice(chooseDevice(core.settings.device, core.webgpu)),
    fallBackToCpu: () => {
      if (core.settings.device === 'webgpu') {
        core.settings = { ...core.settings, device: 'auto' };
        core.emit('settings', { settings: { ...core.settings }, changed: ['device'] });
      }
      core.applyDevice();
    },
    snapshot: () => snapshot(core),
    runTraining: () => runTraining(core),
    recover: (kind, reason) => recover(core, kind, reason),
    prompt: () => CORPORA[/** @type {keyof CORPORA} */ (core.settings.corpus)]?.prompt ?? 'The ',
  };
  return core;
}

/**
 * A snapshot of the reader's run now (between two training chunks), kept in memory and, with
 * `autosave`, in this browser (autosave.js); null without a trainable model.
 * @param {Core} core
 */
function snapshot(core) {
  if (!core.info || core.info.trainable === false || core.destroyed) return Promise.resolve(null);
  const model = core.modelVersion;
  return core.snapshots.take(async () => (await core.call('snapshot')).bytes, () => {
    // Another model since the request (New model, a load): this one is not the reader's any more.
    if (!core.info || !core.builtWith || core.modelVersion !== model) return null;
    const h = core.history;
    return {
      step: core.info.step, preset: core.info.preset, builtWith: { ...core.builtWith }, settings: { ...core.settings },
      text: core.builtWith.text, history: { train: h.train.toJSON(), val: h.val.toJSON() },
    };
  }, core.state.training);
}
