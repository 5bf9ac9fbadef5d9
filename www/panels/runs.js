// @ts-check
// A panel's own experiment beside the reader's model: the mask ablation (two models side by side),
// the residual/LayerNorm ablation (four in turn) and fine-tuning (a copy of the reader's model)
// each build models of their own in the worker, train them, measure them and drop them. This is
// that scaffold, written once: earlier leftovers dropped first, every model dropped after (the
// panel keeps the numbers, not the models, nor their memory), and Stop reaching whatever runs.

/** @typedef {import('../lib/mount.js').PanelContext} PanelContext */
/** @typedef {[step: number, loss: number][]} Points */

/** Train session `session` for `steps` steps, appending `[step, loss]` to `points` as each chunk
 *  arrives and calling `onChunk(progressEvent)` after it; resolves with the worker's result.
 *  @param {PanelContext} ctx @param {string} session @param {number} steps @param {Points} points
 *  @param {(ev: any) => void} [onChunk] */
export function trainInto(ctx, session, steps, points, onChunk) {
  return ctx.call('train', { session, steps, evalEvery: 0 }, (ev) => {
    if (ev.type !== 'progress') return;
    const first = ev.step - ev.losses.length;
    ev.losses.forEach((/** @type {number} */ loss, /** @type {number} */ i) => points.push([first + i + 1, loss]));
    onChunk?.(ev);
  });
}

/** One experiment of a panel: the sessions it may build, and one run of it at a time. */
export class Experiment {
  /** True from `run()` until its models are dropped. */
  running = false;
  /** The reader pressed Stop during the current (or last) run. */
  stopped = false;
  /** What the worker is doing for it now ('train' or 'generate'): what Stop asks it to end. */
  #doing = 'train';
  #ctx;
  #sessions;

  /** @param {PanelContext} ctx @param {string[]} sessions The session names its models use. */
  constructor(ctx, sessions) {
    this.#ctx = ctx;
    this.#sessions = sessions;
  }

  /**
   * Runs `body(this)`: models an earlier run left (one cut short) are dropped first, and every
   * model after, whatever happens. Resolves to what `body` resolves to; rejects as it does.
   * @template T @param {(experiment: Experiment) => Promise<T>} body @returns {Promise<T>}
   */
  async run(body) {
    if (this.running) throw new Error('this experiment is already running');
    this.running = true;
    this.stopped = false;
    try {
      await this.#dropAll();
      return await body(this);
    } finally {
      this.#dropAll();
      this.running = false;
    }
  }

  /** A fresh model under `session`. @param {string} session @param {object} options SessionOptions. */
  build(session, options) { return this.#ctx.call('init', { session, options }); }

  /** A copy of the reader's model (`main`) under `session`, optimizer and all. @param {string} session */
  fork(session) { return this.#ctx.call('fork', { from: 'main', session }); }

  /** Trains `session` (trainInto). @param {string} session @param {number} steps @param {Points} points @param {(ev: any) => void} [onChunk] */
  train(session, steps, points, onChunk) {
    this.#doing = 'train';
    return trainInto(this.#ctx, session, steps, points, onChunk);
  }

  /** The loss estimates of `session`: `{train, val}`. @param {string} session @returns {Promise<{train: number, val: number}>} */
  evaluate(session) { return this.#ctx.call('evaluate', { session }); }

  /** Text written by `session` after `prompt`. @param {string} session @param {string} prompt
   *  @param {{temperature: number, seed: number}} sampling @param {number} maxTokens @returns {Promise<string>} */
  async generate(session, prompt, sampling, maxTokens) {
    this.#doing = 'generate';
    try {
      return (await this.#ctx.call('generate', { session, prompt, sampling, maxTokens })).text;
    } finally {
      this.#doing = 'train';
    }
  }

  /** Drops the model under `session` now (its numbers are taken). @param {string} session */
  drop(session) { return this.#ctx.call('drop', { session }).catch(() => {}); }

  /** Stop: the worker ends what it does for this experiment; the run goes on to its end, and
   *  `stopped` tells it that the reader asked. */
  async stop() {
    if (!this.running) return;
    this.stopped = true;
    const what = this.#doing;
    await Promise.all(this.#sessions.map((session) => this.#ctx.call('stop', { session, what }).catch(() => {})));
  }

  #dropAll() { return Promise.all(this.#sessions.map((s) => this.drop(s))); }
}
