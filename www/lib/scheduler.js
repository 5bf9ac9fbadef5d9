// @ts-check
// The worker's scheduler: every call into a model session goes through it. Pure JavaScript with
// no worker or WebAssembly of its own, so its interleavings are tested in Node
// (tests/scheduler.test.mjs).
//
// - One FIFO queue per session: calls into one session never overlap (wasm-bindgen refuses to
//   re-enter an object while one of its async methods is pending: "recursive use of an object").
// - One lock across all sessions around each call: they share one WebAssembly instance and one
//   GPU device, and a call is short (a training chunk of ~200 ms, one token), so long jobs
//   (training, generation) are loops of calls, and other requests run between two of them.
// - A session is freed only by its own queue, after every call queued before that: `drop` and
//   `replace` never free what a running call holds, and nothing runs on a freed session.
// - Long jobs are registered under their request id, so `stop` (by session) and `cancel` (by
//   request id) end them between two calls.

/**
 * @typedef {object} Job A long request running on a session.
 * @property {number} id The request's id.
 * @property {string} session
 * @property {JobKind} kind
 * @property {boolean} stop Set to end the job between two calls.
 */
/** @typedef {'train' | 'generate'} JobKind */
/** @typedef {<T>(fn: () => T | PromiseLike<T>) => Promise<T>} Lock */

/** A call on a session that has been dropped or replaced. */
export class SessionGone extends Error {
  /** @param {string} name */
  constructor(name) {
    super(name === 'main' ? 'no model yet: press Train (or load a saved model) first' : `no session named "${name}"`);
    this.name = 'SessionGone';
  }
}

/**
 * One session object and the calls queued for it.
 * @template {{free?: () => void}} S
 */
class SessionQueue {
  /**
   * @param {string} name
   * @param {S} object
   * @param {Lock} lock
   */
  constructor(name, object, lock) {
    this.name = name;
    this.object = object;
    this.lock = lock;
    /** @type {Promise<unknown>} */
    this.tail = Promise.resolve();
    this.closed = false;
  }

  /**
   * Runs `fn(object)` after every call queued before it, under the global lock.
   * @template T
   * @param {(object: S) => T | PromiseLike<T>} fn
   * @returns {Promise<T>}
   */
  run(fn) {
    if (this.closed) return Promise.reject(new SessionGone(this.name));
    const result = this.tail.then(() => {
      if (this.freed) throw new SessionGone(this.name);
      return this.lock(() => fn(this.object));
    });
    this.tail = result.catch(() => {});
    return result;
  }

  /** No new calls; frees the object once the calls already queued have finished. */
  close() {
    if (this.closed) return this.tail;
    this.closed = true;
    this.tail = this.tail.then(() => {
      this.freed = true;
      return this.lock(() => this.object.free?.());
    }).catch(() => {});
    return this.tail;
  }
}

/**
 * The sessions, their queues and their jobs. `S`: what a session is (the model's wasm Session).
 * @template {{free?: () => void}} [S=import('../pkg/cpu/gpt_wasm.js').Session]
 */
export class Scheduler {
  constructor() {
    /** @type {Map<string, SessionQueue<S>>} */
    this.sessions = new Map();
    /** @type {Map<number, Job>} */
    this.jobs = new Map(); // request id -> {id, session, kind, stop}
    /** @type {Set<string>} */
    this.building = new Set(); // sessions being built or replaced
    /** @type {Promise<unknown>} */
    let chain = Promise.resolve();
    /** The one lock across sessions: `fn` runs after every call started before it. @type {Lock} */
    this.lock = (fn) => {
      const result = chain.then(fn);
      chain = result.catch(() => {});
      return result;
    };
  }

  /** The names of the sessions that exist now. */
  names() {
    return [...this.sessions.keys()];
  }

  /** @param {string} name */
  has(name) {
    return this.sessions.has(name);
  }

  /** Runs `fn(session)` in `name`'s queue; rejects with SessionGone if there is no such session
   *  (or it is dropped before the call's turn comes).
   * @template T
   * @param {string} name
   * @param {(session: S) => T | PromiseLike<T>} fn
   * @returns {Promise<T>}
   */
  call(name, fn) {
    const queue = this.sessions.get(name);
    if (!queue) return Promise.reject(new SessionGone(name));
    return queue.run(fn);
  }

  /**
   * Runs `fn` under the global lock, outside any session (building one, a tokenizer, …).
   * @template T
   * @param {() => T | PromiseLike<T>} fn
   * @returns {Promise<T>}
   */
  exclusive(fn) {
    return this.lock(fn);
  }

  /**
   * Jobs (long requests) running on session `name`, optionally of one kind.
   * @param {string} name
   * @param {JobKind} [kind]
   */
  running(name, kind) {
    return [...this.jobs.values()].filter((j) => j.session === name && (!kind || j.kind === kind));
  }

  /**
   * Runs a long job (`kind`: "train" or "generate") for request `id` on session `name`:
   * `body(job)` is a loop of `call`s that checks `job.stop` between them. One job of a kind per
   * session at a time.
   * @template T
   * @param {number} id
   * @param {string} name
   * @param {JobKind} kind
   * @param {(job: Job) => Promise<T>} body
   * @returns {Promise<T>}
   */
  async job(id, name, kind, body) {
    if (!this.sessions.has(name)) throw new SessionGone(name);
    if (this.building.has(name)) throw new Error('the model is being rebuilt: try again when it is ready');
    if (this.running(name, kind).length) {
      throw new Error(kind === 'train' ? 'training is already running: stop it first' : 'a generation is already running: stop it first');
    }
    /** @type {Job} */
    const job = { id, session: name, kind, stop: false };
    this.jobs.set(id, job);
    try {
      return await body(job);
    } finally {
      this.jobs.delete(id);
    }
  }

  /** Asks the jobs of session `name` (of `kinds`, default all) to stop after their current
   *  call; returns how many were asked.
   * @param {string} name
   * @param {readonly JobKind[]} [kinds]
   */
  stop(name, kinds = ['train', 'generate']) {
    const jobs = this.running(name).filter((j) => kinds.includes(j.kind));
    for (const j of jobs) j.stop = true;
    return jobs.length;
  }

  /**
   * Asks the job started by request `id` to stop; false when there is none.
   * @param {number} id
   */
  cancel(id) {
    const job = this.jobs.get(id);
    if (job) job.stop = true;
    return !!job;
  }

  /**
   * Builds a session with `make()` (under the lock) and puts it under `name`, freeing the one it
   * replaces after that one's queued calls. Refused while a job runs on `name`, also when one
   * started while building (the new object is freed then, the old one kept).
   * @param {string} name
   * @param {() => S | PromiseLike<S>} make
   * @returns {Promise<S>}
   */
  async replace(name, make) {
    const busy = () => this.running(name).length > 0;
    if (busy()) throw new Error('stop training and generation before building a new model');
    if (this.building.has(name)) throw new Error('a model is already being built here');
    this.building.add(name);
    try {
      const object = await this.lock(make);
      if (busy()) {
        await this.lock(() => object.free?.());
        throw new Error('training or generation started while the new model was built; stop it and try again');
      }
      const old = this.sessions.get(name);
      this.sessions.set(name, new SessionQueue(name, object, this.lock));
      old?.close();
      return object;
    } finally {
      this.building.delete(name);
    }
  }

  /**
   * Stops `name`'s jobs and frees it once its queued calls are done; resolves when freed.
   * @param {string} name
   */
  async drop(name) {
    const queue = this.sessions.get(name);
    if (!queue) return false;
    this.stop(name);
    this.sessions.delete(name);
    await queue.close();
    return true;
  }
}
