// @ts-check
// The playground's core: a reader's model in a Web Worker (with data-parallel replicas and a
// panels' worker when needed), the settings it is built from, its run and training history, and
// the panels that show it. It has no DOM of its own and touches nothing global: every view (the
// full page, <gpt-playground>, <gpt-panel>, embed.html, an author's own code) is a user of this
// API (EMBEDDING.md). This file is the facade; the work is in modules of one job each, which
// share the playground's private state (the `Core` below, never exposed):
//   run.js       the run's state machine: the only writer of `status`, the judge of what may start
//   training.js  building and training the model (train, pause, resume, stop), measuring
//                devices, the CPU copy for generation
//   parallel.js  data-parallel replicas and their ring
//   autosave.js  snapshots in memory and in this browser;  recovery.js  crashes and lost devices
//   files.js     checkpoints and Hugging Face folders;     mount.js     panels and their `ctx`
import { ModelWorker, liveWorkers } from './client.js';
import { CORPORA, readTextFile } from './corpora.js';
import { probeWebGpu } from './device.js';
import { DEFAULTS, SETTINGS, checkSetting, readState } from './state.js';
import { statusOf } from './run.js';
import { createCore } from './core.js';
import { resumeSaved, savedRun } from './autosave.js';
import { ensureModel, pause, resume, runWorkers, statsOf, stop, train } from './training.js';
import { HF_FILES, MAX_CHECKPOINT_BYTES, MAX_HF_BYTES, filesLabel, hfZip, loadFailed, loadInto, modelName, readCheckpoint, readHfFolder } from './files.js';
import { PanelRequests, mountView } from './mount.js';
import { VIEWS } from '../panels/index.js';

export { CORPORA, DEFAULTS, HF_FILES, MAX_CHECKPOINT_BYTES, MAX_HF_BYTES, VIEWS, liveWorkers, readState, readTextFile };

let playgrounds = 0;

/** `autotrain` (the full page, <gpt-playground>, embed.html): trains when the playground has no
 *  model yet and nothing is running or failed; a failure is the playground's `error` event.
 *  @param {Playground} pg */
export function autotrain(pg) {
  if (!pg.info && pg.run.state === 'idle') pg.train().catch(() => {});
}

/**
 * One playground: a reader's model in its own worker, and the panels that show it.
 *
 * Events (CustomEvent; `detail` in brackets): `ready`, `status` ({status, state}), `settings`
 * ({settings, changed}), `corpus` (key), `device` ({device, note}), `building` (bool), `training`
 * (bool: a run started or ended), `saved` ({step, savedAt} after a run was kept in this browser;
 * null after it was forgotten), `model` (SessionInfo or null), `progress` ({step, loss, target,
 * tokensPerSecond, workers}), `eval` ({step, train, val}), `trained` (SessionInfo, after every
 * run: done, stopped or paused), `error` ({message, action?, panel?}).
 */
export class Playground extends EventTarget {
  /** @type {import('./core.js').Core} */
  #core;
  #panels; // the panels' own worker and the routing of their requests (mount.js)
  #mounts = new Set();
  #was = { building: false, training: false }; // what the last `building` / `training` events said
  #id = ++playgrounds;

  /**
   * `options`: any of the settings (`corpus`, `preset`, `tokenizer`, `steps`, `device`,
   * `workers`) as in the URL, `text` (the reader's own corpus, with `corpus: "own"`), `webgpu` (a
   * `probeWebGpu()` result, to skip the probe), `autosave`, `snapshotSeconds`, `heartbeat`,
   * `allReduce` (EMBEDDING.md). Invalid settings fall back to the defaults and are reported as
   * `error` events once the playground is ready.
   * @param {Record<string, any>} [options]
   */
  constructor(options = {}) {
    super();
    const { state, problems } = readState((k) => options[k] ?? null);
    const config = { autosave: options.autosave ?? false, snapshotSeconds: options.snapshotSeconds ?? 10, heartbeat: options.heartbeat, allReduce: options.allReduce ?? 'ring' };
    const settings = Object.fromEntries(SETTINGS.map((k) => [k, /** @type {any} */ (state)[k]]));
    const core = this.#core = createCore(this, settings, config, (next, previous) => this.#stateChanged(next, previous));
    core.worker = core.startWorker();
    this.#panels = new PanelRequests(core);
    /** Resolves once the worker, the WebGPU probe and the corpus are ready; rejects if the
     *  WebAssembly module cannot load (the reason is also an `error` event). */
    this.ready = this.#boot(options, problems);
    this.ready.catch(() => {});
  }

  /** @param {Record<string, any>} options @param {string[]} problems */
  async #boot(options, problems) {
    const core = this.#core;
    await null; // let the caller add listeners before the first event
    for (const message of problems) core.error(message);
    core.webgpu = options.webgpu ?? (await probeWebGpu());
    core.applyDevice();
    try {
      await core.selectCorpus(core.settings.corpus, options.text ?? '');
    } catch (err) {
      core.error(/** @type {Error} */ (err).message);
    }
    try {
      await core.worker.booted;
    } catch (err) {
      core.error(/** @type {Error} */ (err).message, { action: 'boot' });
      core.state.to('fail');
      throw err;
    }
    core.emit('ready');
  }

  /** The run state changed: `status`, `building` and `training` events follow from it. */
  #stateChanged(/** @type {import('./run.js').RunStateName} */ next, /** @type {import('./run.js').RunStateName} */ previous) {
    const core = this.#core;
    if (statusOf(next) !== statusOf(previous)) core.emit('status', { status: statusOf(next), state: next });
    const { building, training } = core.state;
    if (building !== this.#was.building) core.emit('building', building);
    if (training !== this.#was.training) core.emit('training', training);
    this.#was = { building, training };
  }

  /** Actions wait until the playground is ready: before, the corpus may not be loaded nor the
   *  device chosen (a Train pressed at once built from an empty corpus). A failed boot is the
   *  action's error then. */
  #booted() { return this.ready.catch(() => {}); }

  // ---------- what views read ----------
  /** `idle` (also while paused), `training` (also while building), `done` or `error`. */
  get status() { return this.#core.state.status; }
  /** The current settings: `{corpus, preset, tokenizer, steps, device, workers}`. */
  get settings() { return { ...this.#core.settings }; }
  /** The corpus text the next model is built from. */
  get text() { return this.#core.text; }
  /** Suggested prompt for the chosen corpus. */
  get prompt() { return this.#core.prompt(); }
  /** `{device: "cpu"|"webgpu", note, webgpu: {available, fallback?, name?, why?}}` */
  get device() { return { ...this.#core.device, webgpu: { ...this.#core.webgpu } }; }
  /** SessionInfo of the reader's model, or null before there is one (a new object at each change). */
  get info() { return this.#core.info; }
  /** How the current model came to be (`{kind: "built" | "loaded" | "resumed" | "restored", ...}`); null without one. */
  get origin() { return this.#core.origin; }
  get training() { return this.#core.state.training; }
  get paused() { return this.#core.state.state === 'paused'; }
  get building() { return this.#core.state.building; }
  get destroyed() { return this.#core.destroyed; }
  /** The current (or last) run: `{start, target, reason, state}` (reason: done|stopped|paused|null; state: run.js). */
  get run() { return { ...this.#core.run, state: this.#core.state.state }; }
  /** Loss history of the current model: `train` and `val` Histories (bounded, see history.js). */
  get history() { return this.#core.history; }
  /** True when Train would continue the current model rather than build a new one. */
  get canTrainMore() { return this.pretrained && this.#core.sameBuild(); }
  /** Whether the model has learned something: it trained here, or came pre-trained from a
   *  Hugging Face folder (at step 0 of this page's count). */
  get pretrained() {
    const { info, origin } = this.#core;
    return !!info && (info.step > 0 || (origin?.kind === 'loaded' && !!origin.huggingFace));
  }
  /** Figures of the current run for display: step, target, tokens/s, ETA, mean first/last losses. */
  get stats() { return statsOf(this.#core); }
  /** The number of workers the next run trains with. */
  get workers() { return runWorkers(this.#core); }

  // ---------- settings ----------
  /**
   * Changes settings: any of `corpus` (a key of CORPORA), `text` (own text; implies corpus
   * "own"), `preset`, `tokenizer`, `steps`, `device`, `workers`. Throws an Error naming the valid
   * values for an invalid one, and changes nothing then.
   * @param {Record<string, any>} changes
   */
  async set(changes) {
    const core = this.#core;
    const next = { ...core.settings };
    for (const [key, value] of Object.entries(changes)) {
      if (key === 'text') continue;
      next[key] = checkSetting(key, value);
    }
    const typed = typeof changes.text === 'string';
    if (typed && changes.corpus === undefined) next.corpus = 'own';
    const changed = SETTINGS.filter((k) => next[k] !== core.settings[k]);
    core.settings = next;
    if (changed.includes('device')) core.applyDevice();
    if (typed && changes.corpus === undefined && !changed.includes('corpus')) {
      // Typing into the own text: no `corpus` event per keystroke (panels read `text` when needed).
      core.text = changes.text;
      core.corpusVersion++;
      core.emit('settings', { settings: this.settings, changed: ['text'] });
      return;
    }
    if (changed.includes('corpus') || typed) await core.selectCorpus(next.corpus, changes.text);
    if (changed.length) core.emit('settings', { settings: this.settings, changed });
  }

  /** SessionOptions of a main model built from the current settings, merged with `extra` (how a
   *  panel builds a comparable model of its own: an ablation, say). */
  sessionOptions(extra = {}, steps = this.#core.settings.steps) {
    return this.#core.options(this.#core.builtWith ?? this.#core.build(), steps, extra);
  }

  /** Reports an error of the caller's (a view's) as an `error` event; without `panel`, and with
   *  no run in progress, it also sets the status to `error`, as a failed action of the
   *  playground's own would. @param {string} message @param {{panel?: string, [k: string]: any}} [extra] */
  reportError(message, extra = {}) {
    this.#core.error(message, extra);
    const state = this.#core.state;
    if (!extra.panel && !state.busy && state.state !== 'paused') state.to('fail');
  }

  /** The reader has seen the error: the status goes back to `done` (with a model) or `idle`. */
  dismissError() {
    const state = this.#core.state;
    if (state.may('dismiss')) state.to('dismiss', { hasModel: !!this.#core.info });
  }

  // ---------- workers ----------
  /** A request to the model worker (PROTOCOL.md); resolves with its result.
   *  @param {string} type @param {Record<string, any>} [fields] @param {((ev: any) => void) | null} [onEvent] @param {Transferable[]} [transfer] */
  call(type, fields, onEvent, transfer) {
    return this.#core.call(type, fields, onEvent, transfer);
  }

  /** Calls every worker that holds the reader's run (the primary, then the replicas); for checks and diagnostics.
   *  @param {string} type @param {Record<string, any>} [fields] */
  callAll(type, fields = {}) {
    return Promise.all([this.#core.worker, ...this.#core.parallel.replicas].map((w) => w.call(type, fields)));
  }

  /** Every worker of this playground, what it holds and its WebAssembly memory: `[{role:
   *  "primary" | "replica" | "panels", sessions, memoryBytes}]` (for long-use checks). */
  async diagnostics() {
    const core = this.#core;
    /** @type {[string, ModelWorker][]} */
    const workers = [['primary', core.worker], ...core.parallel.replicas.map((w) => /** @type {[string, ModelWorker]} */ (['replica', w])), ...(this.#panels.worker ? [/** @type {[string, ModelWorker]} */ (['panels', this.#panels.worker])] : [])];
    return Promise.all(workers.map(async ([role, w]) => ({ role, ...(await w.call('sessions')) })));
  }

  // ---------- the run ----------
  /**
   * Trains the reader's model for `steps` more steps (default: the `steps` setting), building it
   * first when there is none or the settings changed. Resolves `{step, reason}`; failures are
   * reported as an `error` event and reject.
   * @param {{steps?: number | string}} [options]
   */
  async train({ steps } = {}) {
    await this.#booted();
    return train(this.#core, steps);
  }

  /** Pauses a run (it can be resumed), or resumes a paused one. */
  async pause() { return pause(this.#core); }

  /** Continues a paused run towards its target. */
  async resume() { return resume(this.#core); }

  /** Ends the run (a paused one too; during a build, the model is built but does not train);
   *  the model keeps what it learned. */
  async stop() { return stop(this.#core); }

  /** Forgets the model and frees it in the worker (the next Train builds a new one). Rejects
   *  while a model is being built or trained. */
  async reset() {
    const core = this.#core;
    core.state.check('reset');
    core.forget();
    // The discarded model's snapshot goes too: memory it would hold for nothing, and a crash
    // before the next model must not bring the discarded one back.
    core.snapshots.latest = null;
    core.runVersion++;
    core.state.to('reset');
    return this.call('drop', { session: 'main' }).catch(() => null);
  }

  /** Builds an untrained model when there is none (panels that need one call this); during a build, waits for it. */
  async ensureModel() {
    await this.#booted();
    return ensureModel(this.#core);
  }

  // ---------- snapshots and autosave (autosave.js) ----------
  /** A snapshot of the reader's run now (between two training chunks), kept in memory and, with
   *  `autosave`, in this browser. Failures to store are said once and never stop training. */
  snapshot() { return this.#core.snapshot(); }

  /** The run kept in this browser (with `autosave`), without its bytes: `{step, preset, corpus,
   *  savedAt}`; null when there is none. */
  savedRun() { return savedRun(this.#core); }

  /** Continues the run kept in this browser: the same settings and corpus, the model, optimizer
   *  and samplers as saved, and the loss history; the next step is the one it would have taken. */
  async resumeSaved() {
    await this.#booted();
    return resumeSaved(this.#core, (settings) => this.set(settings));
  }

  /** Forgets the run kept in this browser (the model in the page stays). */
  forgetSaved() { return this.#core.snapshots.forget(); }

  /** Whether runs are kept in this browser (the `autosave` option). */
  get autosave() { return !!this.#core.config.autosave; }
  /** The IndexedDB key runs are kept under (false: none); setting it keeps later runs there. */
  get autosaveKey() { return this.#core.config.autosave; }
  set autosaveKey(key) { this.#core.config.autosave = key || false; }

  // ---------- model files (files.js) ----------
  /** The model as a safetensors file: `{bytes, filename}`. */
  async save() {
    const info = this.#core.info;
    if (!info) throw new Error('no model yet: press Train (or load a saved model) first');
    const { bytes } = await this.call('save');
    return { bytes, filename: `${modelName(info)}.safetensors` };
  }

  /** Loads a safetensors file (`bytes`: ArrayBuffer, typed array, Blob or File) in place of the
   *  current model, which is kept if the file cannot be loaded.
   *  @param {import('./files.js').Bytes} bytes @param {string} [name] */
  async load(bytes, name = /** @type {any} */ (bytes)?.name ?? 'model.safetensors') {
    await this.#booted();
    try {
      const buffer = await readCheckpoint(bytes);
      return await loadInto(this.#core, 'load', { bytes: buffer }, [buffer], { kind: 'loaded', file: name });
    } catch (err) {
      throw loadFailed(this.#core, `Could not load "${name}"`, /** @type {Error} */ (err));
    }
  }

  /** Reads a Hugging Face GPT-2 folder (`files`: File objects or `{name, bytes}`, e.g. a folder's
   *  files or a multiple file choice; names may include folders) in place of the current model,
   *  which is kept if the files cannot be read. @param {Iterable<any>} files */
  async importHf(files) {
    const list = [...files];
    const label = filesLabel(list);
    await this.#booted();
    try {
      const read = await readHfFolder(list);
      return await loadInto(this.#core, 'importHf', { files: read }, read.map((f) => f.bytes), { kind: 'loaded', file: label, huggingFace: true });
    } catch (err) {
      throw loadFailed(this.#core, `Could not import ${label}`, /** @type {Error} */ (err));
    }
  }

  /** The model as a Hugging Face GPT-2 folder in one zip (config.json, model.safetensors,
   *  tokenizer.json, ...: what `GPT2LMHeadModel.from_pretrained` reads): `{bytes, filename, files}`. */
  async exportHf() {
    const info = this.#core.info;
    if (!info) throw new Error('no model yet: press Train (or load a saved model) first');
    const { files } = await this.call('exportHf');
    return hfZip(files, info);
  }

  // ---------- generation ----------
  /**
   * Generates up to `maxTokens` tokens after `prompt` with the reader's model, calling
   * `onToken(token)` for each (GeneratedToken: id, token, probability, forced; the text so far and
   * the candidates come with the last token of each batch the worker sends, about one a frame).
   * Resolves `{text, reason}`.
   * @param {{prompt?: string, sampling?: object, maxTokens?: number}} [options] @param {(token: any) => void} [onToken]
   */
  async generate({ prompt = this.prompt, sampling = {}, maxTokens = 200 } = {}, onToken) {
    await this.ensureModel();
    return this.call('generate', { prompt, sampling, maxTokens }, (/** @type {any} */ ev) => {
      if (ev.type === 'tokens') for (const t of ev.tokens) onToken?.(t);
    });
  }

  // ---------- panels (mount.js) ----------
  /**
   * Shows panel `name` (one of VIEWS: the setup cards `data`, `model`, `train`, `bar` and the
   * explainer panels) in `element`, drawn from this playground's model. With `shadow` (the
   * default) it lives in `element`'s shadow root with its own styles, untouched by the page's CSS;
   * without, the caller links `stylesheets(name)` itself. Returns `{name, root, ready, destroy()}`.
   * @param {HTMLElement} element @param {string} name @param {Parameters<typeof mountView>[3]} [options]
   */
  mountPanel(element, name, options) {
    const core = this.#core;
    return mountView({
      playground: this,
      destroyed: () => core.destroyed,
      route: (type, fields, onEvent, transfer) => this.#panels.route(type, fields, onEvent, transfer),
      // A panel's own sessions live in the panels' worker: freed there.
      drop: (session) => { if (this.#panels.worker) this.#panels.route('drop', { session }).catch(() => {}); },
      error: core.error,
      settings: () => ({ ...core.build(), corpus: core.text }),
      corpusId: () => `${this.#id}:${core.corpusVersion}`,
      mounted: this.#mounts,
    }, element, name, options);
  }

  /** The panels mounted now (their handles). */
  get panels() { return [...this.#mounts]; }

  /** Ends the playground: destroys its panels, stops and terminates the workers (the model is
   *  gone). Listeners added with `addEventListener` on this object are the caller's. */
  destroy() {
    const core = this.#core;
    if (core.destroyed) return;
    for (const handle of [...this.#mounts]) handle.destroy();
    core.destroyed = true;
    core.worker.terminate('this playground has been destroyed');
    core.parallel.drop('this playground has been destroyed');
    this.#panels.terminate('this playground has been destroyed');
  }
}

