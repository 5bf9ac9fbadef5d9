// @ts-check
// Data-parallel training on the CPU: replicas of the reader's model in workers of their own beside
// the primary one (which holds the model the panels see). Each computes the gradients of its shard
// of the same global batch, the gradients are averaged (an all-reduce over transferable buffers)
// and every replica applies the same step, so they stay bit-identical. The all-reduce is a ring
// between the workers (the default: the page stays out of the loop; worker/ring.js) or goes
// through the page (`allReduce: "page"`); BENCHMARKS.md compares them.
import { ModelWorker } from './client.js';

/** Models from this many parameters up train on several workers with `workers=auto`. */
export const PARALLEL_FROM_PARAMS = 200_000;

/**
 * How many CPU workers train a model of `paramCount` parameters on batches of `batchSize`:
 * `asked` (the `workers` setting; `auto`: one per core but one, for the page, at most 8, for a
 * model of baby's size and up; a tiny model's step is so short that the messages would cost more
 * than the shards save), brought down to a divisor of the batch size (equal shards).
 * @param {{asked: number | 'auto', paramCount?: number, batchSize: number, cores?: number}} what
 */
export function workerCount({ asked, paramCount = 0, batchSize, cores = 2 }) {
  const auto = paramCount >= PARALLEL_FROM_PARAMS ? Math.max(1, Math.min(8, cores - 1)) : 1;
  let n = Math.max(1, asked === 'auto' ? auto : asked);
  while (batchSize % n) n--;
  return n;
}

/**
 * @typedef {object} ParallelRun What a data-parallel run reads of the playground.
 * @property {ModelWorker} primary The worker of the reader's model.
 * @property {any} info The model's SessionInfo at the run's start.
 * @property {string} text The corpus the model trains on.
 * @property {number} version The version of the reader's run the primary holds now.
 * @property {() => boolean} stopAsked Stop or Pause was pressed (checked between two steps).
 * @property {(ev: any) => void} onEvent A chunk's `progress` or an `eval`, as the single worker sends them.
 */

/** The replicas of one playground's run and the ring between its workers. */
export class DataParallel {
  /** @type {ModelWorker[]} */
  #replicas = [];
  #synced = -1; // the version of the run the replicas hold
  /** @type {ModelWorker[]} */
  #ring = []; // the workers linked in a ring for the all-reduce, in ring order
  #options;

  /** @param {{heartbeat?: any, allReduce?: string}} options */
  constructor(options) {
    this.#options = options;
  }

  /** The replicas now (beside the primary). */
  get replicas() { return [...this.#replicas]; }

  /** Ends the replicas (idle ones hold memory). @param {string} why */
  drop(why = 'no longer needed') {
    while (this.#replicas.length) /** @type {ModelWorker} */ (this.#replicas.pop()).terminate(why);
    this.#synced = -1;
  }

  /** Workers `1..n-1` hold exact copies of the reader's run (from a snapshot of the primary). @param {ParallelRun} run @param {number} n */
  async #ensureReplicas(run, n) {
    while (this.#replicas.length > n - 1) /** @type {ModelWorker} */ (this.#replicas.pop()).terminate('no longer needed');
    let fresh = false;
    while (this.#replicas.length < n - 1) {
      const h = this.#options.heartbeat;
      this.#replicas.push(new ModelWorker((/** @type {Error} */ err) => this.#failed(run, err), h ? { heartbeat: h } : {}));
      fresh = true;
    }
    if (!fresh && this.#synced === run.version) return;
    const { bytes } = await run.primary.call('snapshot');
    const options = { corpus: run.text, device: 'cpu' };
    await Promise.all(this.#replicas.map((w) => {
      const copy = bytes.slice().buffer;
      return w.call('resume', { bytes: copy, options }, null, [copy]);
    }));
    this.#synced = run.version;
  }

  /** A replica failed: all go, and the primary leaves the ring (it may be waiting for a chunk). */
  #failed(/** @type {ParallelRun} */ run, /** @type {Error | undefined} */ err) {
    for (const w of this.#replicas) w.terminate(`a training worker failed: ${err?.message ?? 'unknown'}`);
    this.#replicas = [];
    this.#synced = -1;
    if (this.#ring.length) {
      this.#ring = [];
      run.primary.call('ring', { size: 1 }).catch(() => {});
    }
  }

  /** Links the workers in a ring (worker k sends to k+1) for the all-reduce, once per set. @param {ModelWorker[]} workers */
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

  /**
   * `steps` data-parallel steps on `n` workers, an evaluation every `evalEvery`; progress goes
   * out every ~200 ms, as from the single worker. Resolves `{step, reason}`.
   * @param {ParallelRun} run @param {number} n @param {number} steps @param {number} evalEvery
   */
  async train(run, n, steps, evalEvery) {
    await this.#ensureReplicas(run, n);
    const workers = [run.primary, ...this.#replicas];
    const ring = this.#options.allReduce !== 'page';
    if (ring) await this.#ensureRing(workers);
    const target = run.info.step + steps;
    const tokens = run.info.batchSize * run.info.config.block_size;
    let step = run.info.step;
    let nextEval = evalEvery > 0 ? step : Infinity;
    let chunk = { losses: /** @type {number[]} */ ([]), t0: performance.now() };
    const evaluate = async () => {
      // Evaluation time is not training time (the worker's own loop does not count it either).
      const t = performance.now();
      const losses = await run.primary.call('evaluate');
      run.onEvent({ type: 'eval', step, ...losses });
      chunk.t0 += performance.now() - t;
      nextEval = step + evalEvery;
    };
    /** Records one finished global step; reports a chunk every ~200 ms. @param {any[]} results */
    const done = async (results) => {
      step = results[0].step;
      chunk.losses.push(results.reduce((a, r) => a + r.loss, 0) / results.length);
      const ms = performance.now() - chunk.t0;
      if (ms >= 200 || step >= target || run.stopAsked()) {
        run.onEvent({ type: 'progress', step, losses: chunk.losses, tokens: tokens * chunk.losses.length, ms, learningRate: results[0].learningRate, workers: workers.length });
        chunk = { losses: [], t0: performance.now() };
        await new Promise((r) => setTimeout(r, 0)); // let Stop and the panels in
      }
    };
    // Steps asked for but not finished: at most two, so a worker never waits for the page
    // between two steps; none across an evaluation (it reads the primary's weights).
    let asked = step;
    const more = () => asked < target && asked < nextEval && !run.stopAsked();
    const evalDue = () => step < target && !run.stopAsked() && step >= nextEval;
    if (evalEvery > 0 && step < target) await evaluate();
    if (ring) {
      /** @type {Promise<any[]>[]} */
      const inFlight = [];
      for (;;) {
        while (inFlight.length < 2 && more()) {
          asked++;
          inFlight.push(Promise.all(workers.map((w) => w.call('ringStep'))));
        }
        const next = inFlight.shift();
        if (next) {
          await done(await next);
        } else if (evalDue()) {
          await evaluate();
        } else {
          break;
        }
      }
    } else {
      const gradients = () => {
        asked++;
        return Promise.all(workers.map((w, i) => w.call('gradients', { shard: i, of: workers.length })));
      };
      let pending = more() ? gradients() : null;
      while (pending) {
        const shards = await pending;
        const mean = meanOf(shards.map((s) => s.gradients));
        const applying = Promise.all(workers.map((w, i) => {
          const copy = i === workers.length - 1 ? mean : mean.slice();
          return w.call('apply', { gradients: copy }, null, [copy.buffer]);
        }));
        // The next shard goes into each worker's queue right behind this step.
        pending = more() ? gradients() : null;
        const applied = await applying;
        await done(applied.map((a, i) => ({ ...a, loss: shards[i].loss })));
        if (!pending && evalDue()) {
          await evaluate();
          pending = more() ? gradients() : null;
        }
      }
    }
    if (evalEvery > 0 && !run.stopAsked() && step > target - steps) await evaluate();
    return { step, reason: run.stopAsked() ? 'stopped' : 'done' };
  }
}

/** The element-wise mean of equally long gradient arrays, in the first one's buffer. @param {Float32Array[]} all */
export function meanOf(all) {
  const mean = all[0];
  for (let k = 1; k < all.length; k++) {
    const g = all[k];
    for (let j = 0; j < mean.length; j++) mean[j] += g[j];
  }
  const scale = 1 / all.length;
  for (let j = 0; j < mean.length; j++) mean[j] *= scale;
  return mean;
}
