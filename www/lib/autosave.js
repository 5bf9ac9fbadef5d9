// @ts-check
// Snapshots of the reader's run and autosave: the latest snapshot (model, optimizer, samplers,
// loss history) is kept in memory, where a crashed worker or a lost GPU device comes back from
// it (recovery.js), and, with the `autosave` option, in this browser (IndexedDB, store.js), where
// a reload offers to resume it.
import { History } from './history.js';
import { deleteRun, getRun, putRun } from './store.js';

/** @typedef {import('./core.js').Core} Core */

/**
 * @typedef {object} Snapshot A run as kept: the bytes `resume` reads, and what rebuilds the page's view of it.
 * @property {ArrayBuffer} bytes
 * @property {number} step
 * @property {string} preset
 * @property {import('./core.js').BuildSettings} builtWith The build settings of the model (text, preset, tokenizer, device).
 * @property {Record<string, any>} settings The playground's settings then.
 * @property {string} text The corpus it trains on.
 * @property {{train: any, val: any}} history The loss histories (History.toJSON()).
 * @property {number} savedAt Date.now() when it was taken.
 */

/** How often at most a run in progress goes to IndexedDB (a small-preset run is ~30 MB). */
const STORE_EVERY_MS = 60_000;

/** An empty loss history: `train` and `val` Histories, and the latest chunks' rates (tokens/s, ETA). */
export function emptyHistory() {
  return { train: new History(), val: new History(512), rates: /** @type {{steps: number, tokens: number, ms: number}[]} */ ([]) };
}

/** The loss history of snapshot data, without what came after `step`. */
export function reviveHistory(/** @type {{train: any, val: any} | undefined} */ history, /** @type {number} */ step) {
  const h = emptyHistory();
  if (history) {
    h.train = History.from(history.train).truncate(step);
    h.val = History.from(history.val).truncate(step);
  }
  return h;
}

/** The snapshots of one playground's run. */
export class Snapshots {
  /** @type {Snapshot | null} */
  latest = null;
  /** When the latest was taken (performance.now()). */
  takenAt = 0;
  #taking = /** @type {Promise<Snapshot | null> | null} */ (null);
  #storeFailed = false; // IndexedDB refused once: said once, not at every snapshot
  #storedAt = -Infinity;
  #events;
  #config;

  /** The IndexedDB key runs are kept under now; false: kept in memory only. */
  get key() { return this.#config.autosave; }

  /**
   * @param {{autosave: string | false}} config The playground's: `autosave` is the IndexedDB key runs are kept under (false: memory only).
   * @param {{saved: (detail: {step: number, savedAt: number} | null) => void, error: (message: string) => void}} events
   */
  constructor(config, events) {
    this.#config = config;
    this.#events = events;
  }

  /**
   * Takes a snapshot unless one is being taken: `bytes()` asks the worker for the run's bytes,
   * then `describe()` gives the rest, or null when the model changed meanwhile (the snapshot is
   * then not the reader's any more, and is dropped). `running`: a run is in progress (IndexedDB
   * then gets it at most once a minute; the run's end always goes). An untrained model is kept in
   * memory only: a reload has nothing to offer from it, and a baby model's run is 6.5 MB to write.
   * @param {() => Promise<Uint8Array>} bytes
   * @param {() => Omit<Snapshot, 'bytes' | 'savedAt'> | null} describe
   * @param {boolean} running
   */
  take(bytes, describe, running) {
    this.#taking ??= (async () => {
      try {
        const b = await bytes();
        const meta = describe();
        if (!meta) return null;
        const buffer = b.buffer.byteLength === b.byteLength ? b.buffer : b.slice().buffer;
        this.latest = { ...meta, bytes: /** @type {ArrayBuffer} */ (buffer), savedAt: Date.now() };
        this.takenAt = performance.now();
        const due = !running || performance.now() - this.#storedAt > STORE_EVERY_MS;
        if (this.key && due && this.latest.step > 0) await this.#store(this.latest);
        return this.latest;
      } catch {
        return null; // the model changed or went away meanwhile: the next one will do
      } finally {
        this.#taking = null;
      }
    })();
    return this.#taking;
  }

  /** Failures to store are said once and never stop training. @param {Snapshot} snap */
  async #store(snap) {
    try {
      await putRun(/** @type {string} */ (this.key), snap);
      this.#storedAt = performance.now();
      this.#storeFailed = false;
      this.#events.saved({ step: snap.step, savedAt: snap.savedAt });
    } catch (err) {
      if (!this.#storeFailed) this.#events.error(`Your model could not be kept in this browser (${/** @type {Error} */ (err).message}); it stays here until you close the page.`);
      this.#storeFailed = true;
    }
  }

  /** The run kept in this browser (the whole snapshot), or null. */
  async saved() {
    return this.key ? /** @type {Promise<Snapshot | null>} */ (getRun(this.key)) : null;
  }

  /** Forgets the run kept in this browser. A snapshot being taken (a run's end is written just
   *  after the run reports `done`) lands first and goes with it, rather than bringing it back. */
  async forget() {
    if (!this.key) return;
    await this.#taking;
    await deleteRun(this.key).catch(() => {});
    this.#events.saved(null);
  }
}

/**
 * Puts run snapshot `snap` back as the reader's model, on the current device.
 * @param {Core} core @param {Snapshot} snap @param {import('./core.js').ModelOrigin} origin
 */
export async function restore(core, snap, origin) {
  const bytes = snap.bytes.slice(0);
  const device = core.device.device;
  const info = await core.call('resume', { bytes, options: { corpus: snap.text, device } }, null, [bytes]);
  core.adopt(info, { ...snap.builtWith, device }, origin, reviveHistory(snap.history, snap.step));
  core.emit('trained', info);
  return info;
}

/** The run kept in this browser (with `autosave`), without its bytes: `{step, preset, corpus,
 *  savedAt}`; null when there is none. @param {Core} core */
export async function savedRun(core) {
  try {
    const r = await core.snapshots.saved();
    return r ? { step: r.step, preset: r.preset, corpus: r.settings.corpus, savedAt: r.savedAt } : null;
  } catch {
    return null;
  }
}

/** Continues the run kept in this browser: the same settings and corpus, the model, optimizer
 *  and samplers as saved, and the loss history; the next step is the one it would have taken.
 *  `set` changes the playground's settings (Playground.set). @param {Core} core @param {(settings: object) => Promise<void>} set */
export async function resumeSaved(core, set) {
  let building = false;
  try {
    core.state.check('build');
    const r = await core.snapshots.saved();
    if (!r) throw new Error('there is no saved model in this browser');
    const { device, ...settings } = r.settings;
    await set(r.settings.corpus === 'own' ? { ...settings, text: r.text } : settings);
    core.state.to('build');
    building = true;
    const info = await restore(core, r, { kind: 'resumed', step: r.step });
    core.snapshots.latest = r;
    core.state.to('settle');
    return info;
  } catch (err) {
    if (building && core.state.may('unbuilt')) core.state.to('unbuilt');
    core.error(`Could not resume the saved model: ${/** @type {Error} */ (err).message}.`, { action: 'resume' });
    throw err;
  }
}
