// The playground's core: one Web Worker holding one reader's model, the settings it is built from,
// its training history, and the panels that show it. It has no DOM of its own and touches nothing
// global: every view (the full page, <gpt-playground>, <gpt-panel>, embed.html, an author's own
// code) is a user of this API. See EMBEDDING.md.
import { ModelWorker, liveWorkers } from './client.js';
import { CORPORA, loadCorpus, readTextFile } from './corpora.js';
import { chooseDevice, probeWebGpu } from './device.js';
import { DEFAULTS, checkSetting, readState } from './state.js';
import { History } from './history.js';
import { deleteRun, getRun, putRun } from './store.js';
import { findView, stylesheets, VIEWS } from '../panels/index.js';
import { errorBox } from './alerts.js';
import { zip } from './zip.js';

export { CORPORA, DEFAULTS, VIEWS, liveWorkers, readState, readTextFile };

const SETTINGS = ['corpus', 'preset', 'tokenizer', 'steps', 'device', 'workers'];
/** Largest model file `load` reads (the small preset's checkpoint is about 11 MB). */
export const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** Largest Hugging Face folder `importHf` reads: GPT-2 small (124M parameters, 548 MB in f32)
 *  fits, with room for its copies in a tab's 4 GiB of WebAssembly memory. */
export const MAX_HF_BYTES = 1024 * 1024 * 1024;
/** The files of a Hugging Face GPT-2 folder that `importHf` reads. */
export const HF_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt'];
// What a model is built from: a change to any of these needs a new model.
const BUILD_KEYS = ['text', 'preset', 'tokenizer', 'device'];
let mounts = 0; // numbers panel mounts, so each one's worker sessions get their own names
let playgrounds = 0;

/**
 * One playground: a reader's model in its own worker, and the panels that show it.
 *
 * Events (CustomEvent; `detail` in brackets): `ready`, `status` ({status}), `settings`
 * ({settings, changed}), `corpus` (key), `device` ({device, note}), `building` (bool), `training`
 * (bool: a run started or ended), `saved` ({step, savedAt} after a run was kept in this browser;
 * null after it was forgotten), `model`
 * (SessionInfo or null), `progress` ({step, loss, target, tokensPerSecond}), `eval` ({step, train,
 * val}), `trained` (SessionInfo, after every run: done, stopped or paused), `error` ({message,
 * action?, panel?}).
 */
export class Playground extends EventTarget {
  #worker;
  #settings;
  #text = '';
  #corpusVersion = 0; // counts changes of the corpus text, so the worker can keep it by id
  #webgpu = { available: false, why: 'WebGPU was not checked yet' };
  #device = { device: 'cpu', note: 'Checking for WebGPU…' };
  #info = null;
  #builtWith = null;
  #origin = null; // how the current model came to be: {kind: 'built'} | {kind: 'loaded', file}
  #status = 'idle';
  #training = false;
  #paused = false;
  #pausing = false;
  #building = false;
  #run = { start: 0, target: 0, reason: null };
  #history = Playground.#emptyHistory();
  #mounts = new Set();
  #destroyed = false;
  #config; // what the constructor was given (autosave key, snapshot interval, heartbeat)
  // The latest snapshot of the reader's run (kept in memory; in IndexedDB too with `autosave`):
  // {bytes, step, builtWith, settings, text, history, preset, savedAt}. A crash or a lost GPU
  // device brings the model back from it.
  #snapshot = null;
  #snapshotAt = 0; // when the last one was taken (performance.now())
  #snapshotting = null; // the snapshot in progress
  #recovery = null; // the recovery in progress (a crash, a lost device)
  #recovered = null; // the latest recovery, and the run it continued (what a broken run resolves to)
  // Data-parallel training: replicas of the reader's model in workers of their own (the primary
  // #worker holds the one the panels see). They hold the state of `#mainVersion` `#replicaSync`.
  #replicas = [];
  #mainVersion = 0;
  #replicaSync = -1;
  #ring = []; // the workers linked in a ring for the all-reduce, in ring order
  #stopAsked = false; // Stop or Pause of a data-parallel run (checked between two steps)
  #panelWorker = null; // the panels' own models (ablations, the fine-tuned copy), created when needed
  #storeFailed = false; // IndexedDB refused once: said once, not at every snapshot
  #storedAt = -Infinity; // when a snapshot last went to IndexedDB (performance.now())
  #measured = new Map(); // preset|tokenizer -> training speed measured on WebGPU and the CPU
  #id = ++playgrounds;

  /**
   * `options`: any of the settings (`corpus`, `preset`, `tokenizer`, `steps`, `device`) as in the
   * URL, `text` (the reader's own corpus, with `corpus: "own"`), and `webgpu` (a `probeWebGpu()`
   * result, to skip the probe). Invalid settings fall back to the defaults and are reported as
   * `error` events once the playground is ready.
   */
  constructor(options = {}) {
    super();
    const { state, problems } = readState((k) => options[k] ?? null);
    this.#settings = Object.fromEntries(SETTINGS.map((k) => [k, state[k]]));
    this.#config = {
      autosave: options.autosave ?? false,
      snapshotSeconds: options.snapshotSeconds ?? 10,
      heartbeat: options.heartbeat,
      allReduce: options.allReduce ?? 'ring',
    };
    this.#worker = this.#startWorker();
    /** Resolves once the worker, the WebGPU probe and the corpus are ready; rejects if the
     *  WebAssembly module cannot load (the reason is also an `error` event). */
    this.ready = this.#boot(options, problems);
    this.ready.catch(() => {});
  }

  async #boot(options, problems) {
    await null; // let the caller add listeners before the first event
    for (const message of problems) this.#error(message);
    this.#webgpu = options.webgpu ?? (await probeWebGpu());
    this.#applyDevice();
    try {
      await this.#selectCorpus(this.#settings.corpus, options.text ?? '');
    } catch (err) {
      this.#error(err.message);
    }
    try {
      await this.#worker.booted;
    } catch (err) {
      this.#error(err.message, { action: 'boot' });
      this.#setStatus('error');
      throw err;
    }
    this.#emit('ready');
  }

  // ---------- events ----------
  #emit(type, detail) {
    if (!this.#destroyed) this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #error(message, extra = {}) {
    this.#emit('error', { message, ...extra });
  }

  #setStatus(status) {
    if (this.#status === status) return;
    this.#status = status;
    this.#emit('status', { status });
  }

  // ---------- what views read ----------
  /** `idle` (also while paused), `training` (also while building), `done` or `error`. */
  get status() { return this.#status; }
  /** The current settings: `{corpus, preset, tokenizer, steps, device}` (device: auto|cpu|webgpu). */
  get settings() { return { ...this.#settings }; }
  /** The corpus text the next model is built from. */
  get text() { return this.#text; }
  /** Suggested prompt for the chosen corpus. */
  get prompt() { return CORPORA[this.#settings.corpus]?.prompt ?? 'The '; }
  /** `{device: "cpu"|"webgpu", note, webgpu: {available, fallback?, name?, why?}}` */
  get device() { return { ...this.#device, webgpu: { ...this.#webgpu } }; }
  /** SessionInfo of the reader's model, or null before there is one. */
  get info() { return this.#info; }
  /** `{kind: "built"}` or `{kind: "loaded", file}` for the current model; null without one. */
  get origin() { return this.#origin; }
  get training() { return this.#training; }
  get paused() { return this.#paused; }
  get building() { return this.#building; }
  get destroyed() { return this.#destroyed; }
  /** The current (or last) run: `{start, target, reason}` (reason: done|stopped|paused|null). */
  get run() { return { ...this.#run }; }
  /** Loss history of the current model: `train` and `val` Histories (bounded, see history.js). */
  get history() { return this.#history; }

  static #emptyHistory() {
    // `rates`: {steps, tokens, ms} of the latest training chunks, for tokens/s and the ETA.
    return { train: new History(), val: new History(512), rates: [] };
  }
  /** True when Train would continue the current model rather than build a new one. */
  get canTrainMore() {
    return this.pretrained && this.#sameBuild();
  }
  /** Whether the model has learned something: it trained here, or came pre-trained from a
   *  Hugging Face folder (at step 0 of this page's count). */
  get pretrained() {
    return !!this.#info && (this.#info.step > 0 || !!this.#origin?.huggingFace);
  }
  /** Figures of the current run for display: step, target, tokens/s, ETA, mean first/last losses. */
  get stats() {
    const h = this.#history;
    const recent = h.rates.slice(-10);
    const sum = (key) => recent.reduce((a, r) => a + r[key], 0);
    const seconds = Math.max(1e-9, sum('ms') / 1000);
    const step = this.#info?.step ?? 0;
    return {
      step,
      start: this.#run.start,
      target: this.#run.target,
      tokensPerSecond: recent.length ? sum('tokens') / seconds : NaN,
      etaSeconds: recent.length ? (this.#run.target - step) / (sum('steps') / seconds) : NaN,
      loss: h.train.recentMean,
      firstLoss: h.train.firstMean,
      lastLoss: h.train.last,
      valLoss: h.val.last,
    };
  }

  // ---------- settings ----------
  /**
   * Changes settings: any of `corpus` (a key of CORPORA), `text` (own text; implies corpus
   * "own"), `preset`, `tokenizer`, `steps`, `device`. Throws an Error naming the valid values
   * for an invalid one, and changes nothing then.
   */
  async set(changes) {
    const next = { ...this.#settings };
    for (const [key, value] of Object.entries(changes)) {
      if (key === 'text') continue;
      next[key] = checkSetting(key, value);
    }
    const typed = typeof changes.text === 'string';
    if (typed && changes.corpus === undefined) next.corpus = 'own';
    const changed = SETTINGS.filter((k) => next[k] !== this.#settings[k]);
    this.#settings = next;
    if (changed.includes('device')) this.#applyDevice();
    if (typed && changes.corpus === undefined && !changed.includes('corpus')) {
      // Typing into the own text: no `corpus` event per keystroke (panels read `text` when needed).
      this.#text = changes.text;
      this.#corpusVersion++;
      this.#emit('settings', { settings: this.settings, changed: ['text'] });
      return;
    }
    if (changed.includes('corpus') || typed) await this.#selectCorpus(next.corpus, changes.text);
    if (changed.length) this.#emit('settings', { settings: this.settings, changed });
  }

  /** Loads corpus `key` (or takes `text` for "own") and announces it with a `corpus` event. */
  async #selectCorpus(key, text) {
    if (key === 'own') {
      if (typeof text === 'string') this.#text = text;
    } else {
      this.#text = (await loadCorpus(key)) ?? '';
    }
    this.#corpusVersion++;
    this.#emit('corpus', key);
  }

  #applyDevice() {
    this.#device = chooseDevice(this.#settings.device, this.#webgpu);
    this.#emit('device', { ...this.#device });
  }

  /** The build settings the current choice means (compared with the model's to decide rebuilds). */
  #build() {
    return { text: this.#text, preset: this.#settings.preset, tokenizer: this.#settings.tokenizer, device: this.#device.device };
  }

  #sameBuild() {
    const a = this.#builtWith;
    const b = this.#build();
    return !!a && BUILD_KEYS.every((k) => a[k] === b[k]);
  }

  /** SessionOptions of a main model built from the current settings, merged with `extra` (how a
   *  panel builds a comparable model of its own: an ablation, say). */
  sessionOptions(extra = {}, steps = this.#settings.steps) {
    return Playground.#options(this.#builtWith ?? this.#build(), steps, extra);
  }

  static #options(s, steps, extra = {}) {
    const base = { corpus: s.text, preset: s.preset, tokenizer: s.tokenizer, device: s.device, training: { steps, evalBatches: 8 } };
    return { ...base, ...extra, model: { ...(extra.model ?? {}) }, training: { ...base.training, ...(extra.training ?? {}) } };
  }

  /** Reports an error of the caller's (a view's) as an `error` event; without `panel` it also
   *  sets the status to `error`, as a failed action of the playground's own would. */
  reportError(message, extra = {}) {
    this.#error(message, extra);
    if (!extra.panel) this.#setStatus('error');
  }

  /** The reader has seen the error: the status goes back to `done` (with a model) or `idle`. */
  dismissError() {
    if (this.#status === 'error') this.#setStatus(this.#info ? 'done' : 'idle');
  }

  // ---------- the worker ----------
  #startWorker() {
    const heartbeat = this.#config.heartbeat;
    return new ModelWorker((err) => this.#recover('crash', err.message), {
      onSignal: (msg) => {
        if (msg.type === 'device-lost' && this.#device.device === 'webgpu' && !this.#destroyed) {
          this.#webgpu = { available: false, why: `the WebGPU device was lost (${[msg.reason, msg.message].filter(Boolean).join(': ') || 'no reason given'})` };
          this.#recover('device-lost', this.#webgpu.why);
        } else if (msg.type === 'gpu-error') {
          this.#error(`WebGPU reported an error: ${msg.message}`, { action: 'gpu' });
        }
      },
      ...(heartbeat ? { heartbeat } : {}),
    });
  }

  /**
   * The worker crashed, hung, or lost its GPU device: replace it, bring the reader's model back
   * from the last snapshot (on the CPU when the device was lost), say what happened and what was
   * restored. After a lost device a run in progress carries on to its target.
   */
  #recover(kind, reason) {
    if (this.#destroyed || this.#recovery) return this.#recovery;
    const wasTraining = this.#training;
    const hadModel = !!this.#info || this.#building;
    const target = this.#run.target;
    this.#recovery = (async () => {
      this.#worker.terminate(kind === 'crash' ? 'the model worker crashed' : 'the model worker was replaced');
      this.#worker = this.#startWorker();
      if (this.#training) this.#setTraining(false);
      this.#paused = false;
      this.#building = false;
      if (kind === 'device-lost') {
        if (this.#settings.device === 'webgpu') this.#settings.device = 'auto';
        this.#applyDevice();
      }
      const what = kind === 'crash' ? `The model worker failed (${reason}).` : `Training moved to the CPU: ${reason}.`;
      const snap = this.#snapshot;
      if (!snap) {
        this.#forget();
        this.#setStatus('error');
        this.#error(hadModel
          ? `${what} There was no snapshot of your model yet, so it is gone; press Train to start again.`
          : `${what} It was restarted (it held no model); press Train to build one.`, { action: kind });
        return null;
      }
      try {
        await this.#worker.booted;
        const lost = (this.#info?.step ?? snap.step) - snap.step;
        await this.#restore(snap, { kind: 'restored', step: snap.step });
        this.#error(`${what} Your model was restored from its last snapshot, at step ${snap.step}${lost > 0 ? ` (the ${lost} steps after it were lost)` : ''}.`, { action: kind, restored: snap.step });
        if (kind === 'device-lost' && wasTraining && target > snap.step) {
          this.#run = { start: snap.step, target, reason: null };
          this.#recovery = null;
          return this.#runTraining();
        }
        this.#setStatus(kind === 'crash' ? 'error' : 'done');
        return null;
      } catch (err) {
        this.#forget();
        this.#setStatus('error');
        this.#error(`${what} Restoring your model failed too (${err.message}); press Train to start again.`, { action: kind });
        return null;
      }
    })().finally(() => { this.#recovery = null; });
    this.#recovered = this.#recovery;
    return this.#recovery;
  }

  /** Puts run snapshot `snap` back as the reader's model, on the current device. */
  async #restore(snap, origin) {
    const bytes = snap.bytes.slice(0);
    const device = this.#device.device;
    const info = await this.call('resume', { bytes, options: { corpus: snap.text, device } }, null, [bytes]);
    this.#adopt(info, { ...snap.builtWith, device }, origin, Playground.#revive(snap.history, snap.step));
    this.#emit('trained', info);
    return info;
  }

  // ---------- snapshots and autosave ----------
  /** A snapshot of the reader's run now (between two training chunks), kept in memory and, with
   *  `autosave`, in this browser. Failures to store are said once and never stop training. */
  snapshot() {
    if (!this.#info || this.#info.trainable === false || this.#destroyed) return Promise.resolve(null);
    this.#snapshotting ??= (async () => {
      const info = this.#info;
      try {
        const { bytes } = await this.call('snapshot');
        // A New model (or another model) since the request: this one is not the reader's any more.
        if (this.#info !== info) return null;
        const buffer = bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
        const h = this.#history;
        this.#snapshot = {
          bytes: buffer,
          step: this.#info.step,
          preset: this.#info.preset,
          builtWith: { ...this.#builtWith },
          settings: this.settings,
          text: this.#builtWith.text,
          history: { train: h.train.toJSON(), val: h.val.toJSON() },
          savedAt: Date.now(),
        };
        this.#snapshotAt = performance.now();
        // The browser's storage gets a run at its end, and at most once a minute while it
        // trains (a small-preset run is ~30 MB with its optimizer state; memory keeps the rest).
        // An untrained model (the snapshot taken when one is built) stays in memory only: a
        // reload has nothing to offer from it, and a baby model's run is 6.5 MB to write.
        const due = !this.#training || performance.now() - this.#storedAt > 60_000;
        if (this.#config.autosave && due && this.#snapshot.step > 0) await this.#store();
        return this.#snapshot;
      } catch {
        return null; // the model changed or went away meanwhile: the next one will do
      } finally {
        this.#snapshotting = null;
      }
    })();
    return this.#snapshotting;
  }

  async #store() {
    try {
      await putRun(this.#config.autosave, this.#snapshot);
      this.#storedAt = performance.now();
      this.#storeFailed = false;
      this.#emit('saved', { step: this.#snapshot.step, savedAt: this.#snapshot.savedAt });
    } catch (err) {
      if (!this.#storeFailed) this.#error(`Your model could not be kept in this browser (${err.message}); it stays here until you close the page.`, { action: 'autosave' });
      this.#storeFailed = true;
    }
  }

  /** The run kept in this browser (with `autosave`), without its bytes: `{step, preset, corpus,
   *  savedAt}`; null when there is none. */
  async savedRun() {
    if (!this.#config.autosave) return null;
    try {
      const r = await getRun(this.#config.autosave);
      return r ? { step: r.step, preset: r.preset, corpus: r.settings.corpus, savedAt: r.savedAt } : null;
    } catch {
      return null;
    }
  }

  /** Continues the run kept in this browser: the same settings and corpus, the model, optimizer
   *  and samplers as saved, and the loss history; the next step is the one it would have taken. */
  async resumeSaved() {
    try {
      const r = await getRun(this.#config.autosave);
      if (!r) throw new Error('there is no saved model in this browser');
      const { device, ...settings } = r.settings;
      await this.set(r.settings.corpus === 'own' ? { ...settings, text: r.text } : settings);
      this.#setStatus('training');
      const info = await this.#restore(r, { kind: 'resumed', step: r.step });
      this.#snapshot = r;
      this.#setStatus('done');
      return info;
    } catch (err) {
      this.#setStatus(this.#info ? 'done' : 'idle');
      this.#error(`Could not resume the saved model: ${err.message}.`, { action: 'resume' });
      throw err;
    }
  }

  /** Forgets the run kept in this browser (the model in the page stays). */
  async forgetSaved() {
    if (!this.#config.autosave) return;
    await deleteRun(this.#config.autosave).catch(() => {});
    this.#emit('saved', null);
  }

  /** Whether runs are kept in this browser (the `autosave` option). */
  get autosave() { return !!this.#config.autosave; }

  static #revive(history, step) {
    const h = Playground.#emptyHistory();
    if (history) {
      h.train = History.from(history.train).truncate(step);
      h.val = History.from(history.val).truncate(step);
    }
    return h;
  }

  /** A request to the model worker (PROTOCOL.md); resolves with its result. */
  call(type, fields, onEvent, transfer) {
    if (this.#destroyed) return Promise.reject(new Error('this playground has been destroyed'));
    return this.#worker.call(type, fields, onEvent, transfer);
  }

  /**
   * A panel's request: about the reader's model (or none) to the primary worker; about a model of
   * the panel's own (an ablation, the fine-tuned copy) to the panels' worker, so their training
   * never takes turns with the reader's. A fork of the reader's model crosses over as a file.
   */
  async #route(type, fields, onEvent, transfer) {
    const own = fields.session !== undefined && fields.session !== 'main';
    if (!own) return this.call(type, fields, onEvent, transfer);
    if (this.#destroyed) throw new Error('this playground has been destroyed');
    const panel = this.#panelWorker ??= new ModelWorker(() => {
      // A crash in the panels' worker loses their models only; the next request starts another.
      this.#panelWorker?.terminate('the panels\' worker crashed');
      this.#panelWorker = null;
    }, this.#config.heartbeat ? { heartbeat: this.#config.heartbeat } : {});
    if (type === 'fork' && (fields.from ?? 'main') === 'main') {
      const { bytes } = await this.call('save');
      const copy = bytes.buffer;
      return panel.call('load', { session: fields.session, bytes: copy, options: { device: this.#device.device } }, null, [copy]);
    }
    return panel.call(type, fields, onEvent, transfer);
  }

  // ---------- training ----------
  async #buildModel() {
    await this.#measureDevices();
    const s = this.#build();
    const previous = this.#status;
    this.#setStatus('training');
    this.#building = true;
    this.#emit('building', true);
    let info;
    try {
      info = await this.call('init', { options: Playground.#options(s, this.#settings.steps) });
    } catch (err) {
      this.#building = false;
      this.#emit('building', false);
      this.#setStatus(previous);
      if (s.device === 'webgpu' && /WebGPU/.test(err.message)) {
        // The adapter was there but the device could not be created: fall back to the CPU.
        this.#webgpu = { available: false, why: err.message.replace(/; use the CPU instead$/, '') };
        if (this.#settings.device === 'webgpu') this.#settings.device = 'auto';
        this.#applyDevice();
        return this.#buildModel();
      }
      throw err;
    }
    this.#building = false;
    this.#emit('building', false);
    this.#adopt(info, s, { kind: 'built' });
    this.snapshot();
    return info;
  }

  #adopt(info, builtWith, origin, history = Playground.#emptyHistory()) {
    this.#mainVersion++;
    this.#info = info;
    this.#builtWith = builtWith;
    this.#origin = origin;
    this.#history = history;
    this.#run = { start: info.step, target: info.step, reason: null };
    this.#emit('model', info);
  }

  #forget() {
    this.#info = null;
    this.#builtWith = null;
    this.#origin = null;
    this.#history = Playground.#emptyHistory();
    this.#run = { start: 0, target: 0, reason: null };
    this.#emit('model', null);
  }

  /**
   * Trains the reader's model for `steps` more steps (default: the `steps` setting), building it
   * first when there is none or the settings changed. Resolves `{step, reason}`; failures are
   * reported as an `error` event and reject.
   */
  async train({ steps } = {}) {
    try {
      const n = checkSetting('steps', steps ?? this.#settings.steps);
      if (this.#training || this.#building) throw new Error('training is already running: stop it first');
      if (!this.#info || !this.#sameBuild()) {
        this.#paused = false;
        await this.#buildModel();
      }
      this.#run = { start: this.#info.step, target: this.#info.step + n, reason: null };
    } catch (err) {
      this.#error(err.message, { action: 'build' });
      this.#setStatus('error');
      throw err;
    }
    return this.#runTraining();
  }

  #setTraining(on) {
    this.#training = on;
    this.#emit('training', on);
  }

  async #runTraining() {
    const worker = this.#worker; // replaced under this run by a recovery, the run ends there
    this.#paused = false;
    this.#setTraining(true);
    this.#setStatus('training');
    this.#stopAsked = false;
    let result;
    try {
      const remaining = this.#run.target - this.#info.step;
      const evalEvery = Math.max(10, Math.round((this.#run.target - this.#run.start) / 10));
      const workers = this.#parallelism();
      if (workers > 1) {
        result = await this.#runParallel(workers, remaining, evalEvery);
      } else {
        while (this.#replicas.length) this.#replicas.pop().terminate('no longer needed'); // idle replicas hold memory
        result = await this.call('train', { steps: remaining, evalEvery }, (ev) => this.#onTrainEvent(ev));
        this.#mainVersion++; // the replicas (if any) no longer hold this state
      }
    } catch (err) {
      // The worker was replaced under this run (a crash, a lost device): the recovery reports it
      // (and a run that carries on resolves this one).
      if (this.#worker !== worker) return this.#recovered;
      if (this.#device.device === 'webgpu' && /device error/.test(err.message)) {
        // On WebGPU a failed read-back often arrives before the device's `lost` notice: give the
        // notice a moment, and without one treat the device as gone all the same.
        await new Promise((r) => setTimeout(r, 500));
        if (this.#worker !== worker) return this.#recovered;
        this.#webgpu = { available: false, why: `the WebGPU device failed (${err.message})` };
        return this.#recover('device-lost', this.#webgpu.why);
      }
      this.#pausing = false;
      this.#setTraining(false);
      this.#error(err.message, { action: 'train' });
      this.#setStatus('error');
      if (this.#info) this.#emit('trained', this.#info);
      throw err;
    }
    this.#info.step = result.step;
    this.#training = false;
    if (this.#pausing) {
      this.#pausing = false;
      this.#paused = true;
      this.#run.reason = 'paused';
      this.#setStatus('idle');
    } else {
      this.#run.reason = result.reason;
      this.#setStatus('done');
    }
    this.#emit('training', false);
    await this.#refreshCopy();
    this.#emit('trained', this.#info);
    this.snapshot();
    return { step: result.step, reason: this.#run.reason };
  }

  /** A chunk's `progress` or an `eval` from the worker (or from the data-parallel loop). */
  #onTrainEvent(ev) {
    const h = this.#history;
    if (ev.type === 'progress') {
      const first = ev.step - ev.losses.length;
      ev.losses.forEach((l, i) => h.train.push(first + i + 1, l));
      h.rates.push({ steps: ev.losses.length, tokens: ev.tokens, ms: ev.ms });
      if (h.rates.length > 10) h.rates.shift();
      this.#info.step = ev.step;
      const s = this.stats;
      this.#emit('progress', { step: ev.step, loss: ev.losses.at(-1), target: this.#run.target, tokensPerSecond: s.tokensPerSecond, workers: ev.workers ?? 1 });
      // A snapshot every few seconds: what a crash or a lost GPU device would come back to.
      if (performance.now() - this.#snapshotAt > this.#config.snapshotSeconds * 1000) this.snapshot();
    } else if (ev.type === 'eval') {
      h.val.push(ev.step, ev.val);
      this.#emit('eval', { step: ev.step, train: ev.train, val: ev.val });
    }
  }

  // ---------- which device, by measuring ----------
  /**
   * With a hardware WebGPU adapter and the device on `auto`, times a few training steps of the
   * chosen preset on WebGPU and on the CPU workers (one shard per worker) and trains on the
   * faster; small models are often faster on the CPU. The result is kept per preset and
   * tokenizer. A software adapter is never measured: it is always slower than the CPU.
   */
  async #measureDevices() {
    const g = this.#webgpu;
    if (this.#settings.device !== 'auto' || !g.available || g.fallback) return;
    const key = `${this.#settings.preset}|${this.#settings.tokenizer}`;
    let m = this.#measured.get(key);
    if (!m) {
      this.#device = { ...this.#device, note: 'Measuring which trains this model faster here: WebGPU or the CPU…' };
      this.#emit('device', { ...this.#device });
      const options = (device) => Playground.#options({ ...this.#build(), device }, this.#settings.steps);
      const webgpu = await this.call('measure', { options: options('webgpu') }).catch((err) => ({ error: err.message }));
      const workers = webgpu.error ? 1 : this.#workersFor(webgpu);
      const cpu = await this.call('measure', { options: options('cpu'), shards: workers });
      m = { webgpu, cpu, workers };
      this.#measured.set(key, m);
    }
    if (this.#settings.device !== 'auto') return;
    const rate = (r) => `${Math.round(r.tokensPerSecond).toLocaleString('en')} tokens/s`;
    const onCpu = `${rate(m.cpu)} on the CPU (${m.workers} worker${m.workers > 1 ? 's' : ''})`;
    if (m.webgpu.error) {
      this.#device = { device: 'cpu', note: `Training on the CPU: WebGPU failed when measured (${m.webgpu.error}).` };
    } else if (m.webgpu.tokensPerSecond > m.cpu.tokensPerSecond) {
      this.#device = { device: 'webgpu', note: `Training on WebGPU (${g.name}), the faster here: measured ${rate(m.webgpu)} on WebGPU against ${onCpu}.` };
    } else {
      this.#device = { device: 'cpu', note: `Training on the CPU, the faster here (small models often are): measured ${onCpu} against ${rate(m.webgpu)} on WebGPU (${g.name}).` };
    }
    this.#device.measured = { webgpuTokensPerSecond: m.webgpu.tokensPerSecond ?? null, cpuTokensPerSecond: m.cpu.tokensPerSecond, workers: m.workers };
    this.#emit('device', { ...this.#device });
  }

  /**
   * After a run on WebGPU: a CPU copy of the weights, which generation and the panels' inspections
   * then read (they are latency-bound: one read-back per token) when it is faster, measured on
   * a few tokens with a hardware adapter. Training again drops the copy until the run ends.
   */
  async #refreshCopy() {
    if (this.#device.device !== 'webgpu' || !this.#info || this.#destroyed) return;
    try {
      // The start of the corpus the model trained on: text its tokenizer encodes.
      const prompt = [...(this.#builtWith?.text ?? '')].slice(0, 4).join('') || this.prompt;
      const r = await this.call('copy', { measure: !this.#webgpu.fallback, prompt });
      const rate = (x) => Math.round(x).toLocaleString('en');
      const why = r.cpuTokensPerSecond
        ? `${rate(r.cpuTokensPerSecond)} tokens/s there against ${rate(r.webgpuTokensPerSecond)} on WebGPU`
        : 'a software adapter is slower than the CPU';
      this.#device = {
        ...this.#device,
        generation: { device: r.device, cpuTokensPerSecond: r.cpuTokensPerSecond ?? null, webgpuTokensPerSecond: r.webgpuTokensPerSecond ?? null },
        note: `${this.#device.note.replace(/ Generation and the panels .*$/, '')} Generation and the panels ${r.device === 'cpu' ? `read a CPU copy of the weights (${why})` : `stay on WebGPU (${why.replace(' there against ', ' on a CPU copy against ')})`}.`,
      };
      this.#emit('device', { ...this.#device });
    } catch (err) {
      this.#error(`A CPU copy of the model for generation could not be made (${err.message}); generation stays on WebGPU.`, { action: 'copy' });
    }
  }

  // ---------- data-parallel training ----------
  /** How many workers train the reader's model: the `workers` setting (`auto`: one per core but
   *  one, for the page, for models of baby's size and up: a tiny model's step is so short that
   *  the messages would cost more than the shards save), one on WebGPU, and a divisor of the
   *  batch size (equal shards). */
  #parallelism() {
    if (this.#device.device !== 'cpu' || !this.#info?.batchSize) return 1;
    return this.#workersFor(this.#info);
  }

  /** The CPU workers for a model of `paramCount` parameters trained on batches of `batchSize`. */
  #workersFor({ paramCount = 0, batchSize }) {
    const asked = this.#settings.workers === 'auto' ? this.#autoWorkers(paramCount >= 200_000) : this.#settings.workers;
    let n = Math.max(1, asked);
    while (batchSize % n) n--;
    return n;
  }

  /** `workers=auto`: one per core but one (for the page), for a model of baby's size and up. */
  #autoWorkers(big) {
    return big ? Math.max(1, Math.min(8, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1)) : 1;
  }

  /** The number of workers the next run trains with. */
  get workers() { return this.#parallelism(); }

  /** Workers `1..n-1` hold exact copies of the reader's run (from a snapshot of the primary). */
  async #ensureReplicas(n) {
    while (this.#replicas.length > n - 1) this.#replicas.pop().terminate('no longer needed');
    let fresh = false;
    while (this.#replicas.length < n - 1) {
      this.#replicas.push(new ModelWorker((err) => this.#dropReplicas(err), this.#config.heartbeat ? { heartbeat: this.#config.heartbeat } : {}));
      fresh = true;
    }
    if (!fresh && this.#replicaSync === this.#mainVersion) return;
    const { bytes } = await this.call('snapshot');
    const options = { corpus: this.#builtWith.text, device: 'cpu' };
    await Promise.all(this.#replicas.map((w) => {
      const copy = bytes.slice().buffer;
      return w.call('resume', { bytes: copy, options }, null, [copy]);
    }));
    this.#replicaSync = this.#mainVersion;
  }

  #dropReplicas(err) {
    for (const w of this.#replicas) w.terminate(`a training worker failed: ${err?.message ?? 'unknown'}`);
    this.#replicas = [];
    this.#replicaSync = -1;
    if (this.#ring.length) {
      // The primary may be waiting for a chunk from a replica that is gone: take the ring apart.
      this.#ring = [];
      this.call('ring', { size: 1 }).catch(() => {});
    }
  }

  /**
   * `steps` data-parallel steps on `n` workers: each computes the gradients of its shard of the
   * same global batch, the gradients are averaged (an all-reduce over transferable buffers) and
   * every replica applies the same step, so they stay bit-identical. The all-reduce is a ring
   * between the workers (the default: the page stays out of the loop) or goes through the page
   * (`allReduce: "page"`); BENCHMARKS.md compares them. Progress goes out every ~200 ms, as from
   * the single worker.
   */
  async #runParallel(n, steps, evalEvery) {
    await this.#ensureReplicas(n);
    const workers = [this.#worker, ...this.#replicas];
    const ring = this.#config.allReduce !== 'page';
    if (ring) await this.#ensureRing(workers);
    const target = this.#info.step + steps;
    const tokens = this.#info.batchSize * this.#info.config.block_size;
    let step = this.#info.step;
    let nextEval = evalEvery > 0 ? step : Infinity;
    let chunk = { losses: [], t0: performance.now() };
    const evaluate = async () => {
      // Evaluation time is not training time (the worker's own loop does not count it either).
      const t = performance.now();
      const losses = await this.call('evaluate');
      this.#onTrainEvent({ type: 'eval', step, ...losses });
      chunk.t0 += performance.now() - t;
      nextEval = step + evalEvery;
    };
    /** Records one finished global step; reports a chunk every ~200 ms. */
    const done = async (results) => {
      step = results[0].step;
      chunk.losses.push(results.reduce((a, r) => a + r.loss, 0) / results.length);
      const ms = performance.now() - chunk.t0;
      if (ms >= 200 || step >= target || this.#stopAsked) {
        this.#onTrainEvent({ type: 'progress', step, losses: chunk.losses, tokens: tokens * chunk.losses.length, ms, learningRate: results[0].learningRate, workers: workers.length });
        chunk = { losses: [], t0: performance.now() };
        await new Promise((r) => setTimeout(r, 0)); // let Stop and the panels in
      }
    };
    // Steps asked for but not finished: at most two, so a worker never waits for the page
    // between two steps; none across an evaluation (it reads the primary's weights).
    let asked = step;
    const more = () => asked < target && asked < nextEval && !this.#stopAsked;
    if (evalEvery > 0 && step < target) await evaluate();
    if (ring) {
      const inFlight = [];
      const ask = () => {
        asked++;
        inFlight.push(Promise.all(workers.map((w) => w.call('ringStep'))));
      };
      for (;;) {
        while (inFlight.length < 2 && more()) ask();
        if (!inFlight.length) {
          if (step < target && !this.#stopAsked && step >= nextEval) {
            await evaluate();
            continue;
          }
          break;
        }
        await done(await inFlight.shift());
      }
    } else {
      const gradients = () => {
        asked++;
        return Promise.all(workers.map((w, i) => w.call('gradients', { shard: i, of: workers.length })));
      };
      let pending = more() ? gradients() : null;
      while (pending) {
        const shards = await pending;
        const mean = shards[0].gradients;
        for (let k = 1; k < shards.length; k++) {
          const g = shards[k].gradients;
          for (let j = 0; j < mean.length; j++) mean[j] += g[j];
        }
        const scale = 1 / shards.length;
        for (let j = 0; j < mean.length; j++) mean[j] *= scale;
        const applying = Promise.all(workers.map((w, i) => {
          const copy = i === workers.length - 1 ? mean : mean.slice();
          return w.call('apply', { gradients: copy }, null, [copy.buffer]);
        }));
        // The next shard goes into each worker's queue right behind this step.
        pending = more() ? gradients() : null;
        const applied = await applying;
        await done(applied.map((a, i) => ({ ...a, loss: shards[i].loss })));
        if (!pending && step < target && !this.#stopAsked && step >= nextEval) {
          await evaluate();
          pending = more() ? gradients() : null;
        }
      }
    }
    if (evalEvery > 0 && !this.#stopAsked && step > target - steps) await evaluate();
    return { step, reason: this.#stopAsked ? 'stopped' : 'done' };
  }

  /** Links the workers in a ring (worker k sends to k+1) for the all-reduce, once per set. */
  async #ensureRing(workers) {
    if (this.#ring.length === workers.length && this.#ring.every((w, k) => w === workers[k])) return;
    const channels = workers.map(() => new MessageChannel());
    await Promise.all(workers.map((w, k) => {
      const next = channels[k].port1;
      const prev = channels[(k + workers.length - 1) % workers.length].port2;
      return w.call('ring', { rank: k, size: workers.length, next, prev }, null, [next, prev]);
    }));
    this.#ring = workers;
  }

  /** Calls every worker that holds the reader's run (the primary, then the replicas); for
   *  checks and diagnostics. */
  callAll(type, fields = {}) {
    return Promise.all([this.#worker, ...this.#replicas].map((w) => w.call(type, fields)));
  }

  /** Every worker of this playground, what it holds and its WebAssembly memory: `[{role:
   *  "primary" | "replica" | "panels", sessions, memoryBytes}]` (for long-use checks). */
  async diagnostics() {
    const workers = [['primary', this.#worker], ...this.#replicas.map((w) => ['replica', w]), ...(this.#panelWorker ? [['panels', this.#panelWorker]] : [])];
    return Promise.all(workers.map(async ([role, w]) => ({ role, ...(await w.call('sessions')) })));
  }

  /** Pauses a run (it can be resumed), or resumes a paused one. */
  async pause() {
    if (this.#paused) return this.resume();
    if (!this.#training) return null;
    this.#pausing = true;
    this.#stopAsked = true;
    return this.call('stop', { what: 'train' });
  }

  /** Continues a paused run towards its target. */
  async resume() {
    if (!this.#paused) return null;
    return this.#runTraining().catch(() => null);
  }

  /** Ends the run (a paused one too); the model keeps what it learned. */
  async stop() {
    this.#pausing = false;
    this.#stopAsked = true;
    if (this.#paused) {
      this.#paused = false;
      this.#run.reason = 'stopped';
      this.#setStatus('done');
      return { stopped: true };
    }
    return this.call('stop', { what: 'train' });
  }

  /** Forgets the model and frees it in the worker (the next Train builds a new one). */
  reset() {
    if (this.#training) throw new Error('stop training before starting a new model');
    this.#paused = false;
    this.#forget();
    // The discarded model's snapshot goes too: memory it would hold for nothing, and a crash
    // before the next model must not bring the discarded one back.
    this.#snapshot = null;
    this.#mainVersion++;
    this.#setStatus('idle');
    return this.call('drop', { session: 'main' }).catch(() => null);
  }

  /** Builds an untrained model when there is none (panels that need one call this). */
  async ensureModel() {
    if (!this.#info) {
      await this.#buildModel();
      this.#setStatus('done');
    }
    return this.#info;
  }

  // ---------- save / load ----------
  /** The model as a safetensors file: `{bytes, filename}`. */
  async save() {
    if (!this.#info) throw new Error('no model yet: press Train (or load a saved model) first');
    const { bytes } = await this.call('save');
    return { bytes, filename: `gpt-${this.#info.preset}-step${this.#info.step}.safetensors` };
  }

  /** Loads a safetensors file (`bytes`: ArrayBuffer, typed array, Blob or File) in place of the
   *  current model, which is kept if the file cannot be loaded. */
  async load(bytes, name = bytes?.name ?? 'model.safetensors') {
    try {
      const size = bytes?.size ?? bytes?.byteLength ?? 0;
      if (size > MAX_CHECKPOINT_BYTES) {
        // Checked before reading: a huge file would be read into memory for nothing.
        throw new Error(`the file is ${(size / 1e6).toFixed(1)} MB; the playground loads model files up to ${MAX_CHECKPOINT_BYTES / (1024 * 1024)} MB`);
      }
      if (size === 0) throw new Error('the file is empty');
      // A copy: the buffer is transferred to the worker, and the caller's stays usable.
      const buffer = bytes instanceof Blob ? await bytes.arrayBuffer()
        : ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice().buffer
          : bytes.slice(0);
      return await this.#loadWith('load', { bytes: buffer }, [buffer], { kind: 'loaded', file: name });
    } catch (err) {
      throw this.#loadFailed(`Could not load "${name}"`, err);
    }
  }

  /** Replaces the model with the session a `load`-like request (`type`, `fields`) builds in the
   *  worker, trainable on the current corpus when its tokenizer can encode it. */
  async #loadWith(type, fields, transfer, origin) {
    const options = { device: this.#device.device, corpus: this.#text, preset: this.#settings.preset };
    const info = await this.call(type, { ...fields, options }, null, transfer);
    this.#paused = false;
    this.#adopt(info, { ...this.#build(), preset: info.preset }, origin);
    await this.#refreshCopy();
    this.#setStatus('done');
    this.#emit('trained', info);
    return info;
  }

  /** Says why a load failed (the current model is kept) and returns the error to throw. */
  #loadFailed(what, err) {
    const message = `${what}: ${err.message}. The current model is kept.`;
    this.#error(message, { action: 'load' });
    this.#setStatus('error');
    return new Error(message);
  }

  /** The model as a Hugging Face GPT-2 folder in one zip (config.json, model.safetensors,
   *  tokenizer.json, ...: what `GPT2LMHeadModel.from_pretrained` reads): `{bytes, filename, files}`. */
  async exportHf() {
    if (!this.#info) throw new Error('no model yet: press Train (or load a saved model) first');
    const { files } = await this.call('exportHf');
    const folder = `gpt-${this.#info.preset}-step${this.#info.step}`;
    const bytes = zip(files.map((f) => ({ name: `${folder}/${f.name}`, bytes: f.bytes })));
    return { bytes, filename: `${folder}-transformers.zip`, files: files.map((f) => f.name) };
  }

  /** Reads a Hugging Face GPT-2 folder (`files`: File objects or `{name, bytes}`, e.g. a folder's
   *  files or a multiple file choice; names may include folders) in place of the current model,
   *  which is kept if the files cannot be read. */
  async importHf(files) {
    const list = [...files];
    const base = (f) => f.name.split(/[\\/]/).pop();
    const label = list.length === 1 ? base(list[0]) : `${list.length} files`;
    try {
      const wanted = list.filter((f) => HF_FILES.includes(base(f)));
      if (!wanted.some((f) => base(f) === 'config.json')) {
        throw new Error(`there is no config.json among ${list.map(base).join(', ') || 'them'}: choose the folder's config.json, model.safetensors and tokenizer files together`);
      }
      const size = wanted.reduce((n, f) => n + (f.size ?? f.bytes?.byteLength ?? 0), 0);
      if (size > MAX_HF_BYTES) {
        throw new Error(`the files are ${(size / 1e6).toFixed(0)} MB; the playground reads Hugging Face folders up to ${MAX_HF_BYTES / 1024 ** 3} GiB (GPT-2 small is 0.55 GB)`);
      }
      const read = await Promise.all(wanted.map(async (f) => {
        const bytes = f instanceof Blob ? await f.arrayBuffer()
          : ArrayBuffer.isView(f.bytes) ? f.bytes.slice().buffer : f.bytes.slice(0);
        return { name: base(f), bytes };
      }));
      return await this.#loadWith('importHf', { files: read }, read.map((f) => f.bytes), { kind: 'loaded', file: label, huggingFace: true });
    } catch (err) {
      throw this.#loadFailed(`Could not import ${label}`, err);
    }
  }

  // ---------- generation ----------
  /**
   * Generates up to `maxTokens` tokens after `prompt` with the reader's model, calling
   * `onToken(token)` for each (GeneratedToken: id, token, probability, forced; the text so far and
   * the candidates come with the last token of each batch the worker sends, about one a frame).
   * Resolves `{text, reason}`.
   */
  async generate({ prompt = this.prompt, sampling = {}, maxTokens = 200 } = {}, onToken) {
    await this.ensureModel();
    return this.call('generate', { prompt, sampling, maxTokens }, (ev) => {
      if (ev.type === 'tokens') for (const t of ev.tokens) onToken?.(t);
    });
  }

  // ---------- panels ----------
  /**
   * Shows panel `name` (one of VIEWS: the setup cards `data`, `model`, `train`, `bar` and the
   * explainer panels) in `element`, drawn from this playground's model. With `shadow` (the
   * default) it lives in `element`'s shadow root with its own styles, untouched by the page's CSS;
   * without, the caller links `stylesheets(name)` itself. Returns `{name, root, ready, destroy()}`.
   */
  mountPanel(element, name, { shadow = true, heading = true, number = null, hide = [] } = {}) {
    if (this.#destroyed) throw new Error('this playground has been destroyed');
    const view = findView(name);
    const abort = new AbortController();
    const id = ++mounts;
    const container = shadow ? (element.shadowRoot ?? element.attachShadow({ mode: 'open' })) : element;
    const links = shadow ? stylesheets(name).map((href) => Object.assign(document.createElement('link'), { rel: 'stylesheet', href })) : [];
    const root = document.createElement('section');
    root.className = `gpt-root card${view.wide ? ' wide' : ''}${view.setup ? '' : ' panel'}`;
    root.dataset[view.setup ? 'card' : 'panel'] = name;
    root.dataset.state = 'empty';
    const title = document.createElement('h2');
    title.className = 'gpt-title';
    title.id = `gpt-${name}-${id}-title`;
    if (number !== null) title.append(Object.assign(document.createElement('span'), { className: 'num', textContent: String(number) }), ' ');
    title.append(view.title);
    title.hidden = !heading;
    root.setAttribute('aria-labelledby', title.id);
    const status = Object.assign(document.createElement('p'), { className: 'panel-status', hidden: true });
    status.setAttribute('role', 'status');
    // The panel's own errors (ctx.showError) stay in the panel.
    const alert = errorBox(this, { signal: abort.signal, accept: (d) => d.root === root, className: 'gpt-error panel-error', role: 'panel-error', panel: true });
    root.append(title, status, alert);
    if (shadow) container.replaceChildren(...links, root);
    else container.append(root);

    const sessions = new Set();
    const ctx = this.#panelContext(name, root, abort.signal, id, sessions, new Set(hide));
    let extra = null;
    const loaded = links.map((l) => new Promise((ok) => { l.onload = ok; l.onerror = ok; }));
    const ready = (async () => {
      await Promise.all(loaded);
      await this.ready.catch(() => {});
      if (abort.signal.aborted) return;
      try {
        const module = await view.load();
        if (abort.signal.aborted) return;
        extra = (await module.mount(root, ctx)) ?? null;
      } catch (err) {
        root.dataset.state = 'error';
        status.hidden = false;
        status.textContent = `This panel failed to load: ${err.message}`;
      }
    })();
    const handle = {
      name,
      root,
      ready,
      destroy: () => {
        if (abort.signal.aborted) return;
        abort.abort();
        extra?.destroy?.();
        for (const session of sessions) this.#worker.call('drop', { session }).catch(() => {});
        if (shadow) container.replaceChildren();
        else root.remove();
        this.#mounts.delete(handle);
      },
    };
    this.#mounts.add(handle);
    return handle;
  }

  /** What a panel may use (panels/README.md). */
  #panelContext(name, root, signal, id, sessions, hide) {
    const pg = this;
    // A panel's own worker sessions (ablations, a fine-tuned copy) get this mount's suffix, so two
    // mounts of one panel never share them; they are dropped when the panel is destroyed.
    const own = (session) => (session && session !== 'main' ? `${session}@${id}` : session);
    return {
      playground: pg,
      name,
      signal,
      hide,
      call(type, fields = {}, onEvent, transfer) {
        const f = { ...fields };
        if ('session' in f) f.session = own(f.session);
        if (type === 'fork' && f.from) f.from = own(f.from);
        if (['init', 'fork', 'load', 'importHf'].includes(type) && f.session && f.session !== 'main') sessions.add(f.session);
        if (type === 'drop') sessions.delete(f.session);
        return pg.#route(type, f, onEvent, transfer);
      },
      get info() { return pg.info; },
      get corpus() { return pg.text; },
      // Names this exact corpus text for requests that can refer to it instead of sending it.
      get corpusId() { return `${pg.#id}:${pg.#corpusVersion}`; },
      get corpusKey() { return pg.settings.corpus; },
      get prompt() { return pg.prompt; },
      get training() { return pg.training; },
      settings: () => ({ ...pg.#build(), corpus: pg.text }),
      sessionOptions: (extra) => pg.sessionOptions(extra),
      ensureModel: () => pg.ensureModel(),
      loadCorpus,
      showError: (message) => pg.#error(message, { panel: name, root }),
      events: {
        addEventListener: (type, fn, options) => pg.addEventListener(type, fn, { ...(typeof options === 'object' ? options : {}), signal }),
        removeEventListener: (type, fn) => pg.removeEventListener(type, fn),
      },
    };
  }

  /** The panels mounted now (their handles). */
  get panels() { return [...this.#mounts]; }

  /** Ends the playground: destroys its panels, stops and terminates the worker (the model is
   *  gone). Listeners added with `addEventListener` on this object are the caller's. */
  destroy() {
    if (this.#destroyed) return;
    for (const handle of [...this.#mounts]) handle.destroy();
    this.#destroyed = true;
    this.#worker.terminate('this playground has been destroyed');
    for (const w of this.#replicas) w.terminate('this playground has been destroyed');
    this.#replicas = [];
    this.#panelWorker?.terminate('this playground has been destroyed');
    this.#panelWorker = null;
  }
}
