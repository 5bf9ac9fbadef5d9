// @ts-check
// The run's state: one small state machine, the only writer of a playground's status and the only
// judge of whether an action may start now (the worker only ever sees what it lets through).
//
//   idle ──build──▶ building ──train──▶ training ──end──▶ done
//     ▲               │  ╲                │  ▲  ╲
//     │            unbuilt stop          pause resume stop
//   reset             │      ╲            ▼  │      ▼
//     │               ▼       ▶ stopping ◀─ pausing/paused ──stop──▶ done
//   (idle, done,   (back to                  (end: pausing ▶ paused)
//    error, paused) where it was)
//
// and from anywhere `fail` ▶ error; `settle` ▶ done (a model is there without a run: built for a
// panel, loaded, resumed or restored). The coarse `status` views have always read (body[data-status],
// embed messages) is derived: building, pausing and stopping are `training`; paused is `idle`.

/** @typedef {'idle' | 'building' | 'training' | 'pausing' | 'paused' | 'stopping' | 'done' | 'error'} RunStateName */
/** @typedef {'idle' | 'training' | 'done' | 'error'} Status */
/** @typedef {'build' | 'unbuilt' | 'train' | 'pause' | 'resume' | 'stop' | 'end' | 'settle' | 'fail' | 'reset' | 'dismiss'} RunAction */

/** Every state, in the order of a run. @type {readonly RunStateName[]} */
export const STATES = Object.freeze(['idle', 'building', 'training', 'pausing', 'paused', 'stopping', 'done', 'error']);

/** The states in which a model is being built or trained: nothing else may start. @type {readonly RunStateName[]} */
const BUSY = ['building', 'training', 'pausing', 'stopping'];
/** The states a new run (or a build, a reset, a loaded model) may start from. @type {readonly RunStateName[]} */
const AT_REST = ['idle', 'done', 'error', 'paused'];

/**
 * action -> {from: states it may happen in, to: the next state (a function of the current one)}.
 * @type {Readonly<Record<RunAction, {from: readonly RunStateName[], to: (s: RunStateName) => RunStateName}>>}
 */
const TRANSITIONS = /** @type {const} */ ({
  build: { from: AT_REST, to: () => 'building' },
  // A build failed: back to where it started (its error is said; a kept model stays usable).
  unbuilt: { from: ['building', 'stopping'], to: () => 'idle' },
  train: { from: [...AT_REST, 'building'], to: () => 'training' },
  pause: { from: ['training'], to: () => 'pausing' },
  resume: { from: ['paused'], to: () => 'training' },
  // Stop during a build: the model is built, but no run starts. Stop while paused ends the run.
  stop: { from: ['building', 'training', 'pausing', 'paused'], to: (/** @type {RunStateName} */ s) => (s === 'paused' ? 'done' : 'stopping') },
  end: { from: ['training', 'pausing', 'stopping'], to: (/** @type {RunStateName} */ s) => (s === 'pausing' ? 'paused' : 'done') },
  settle: { from: [...AT_REST, 'building', 'stopping'], to: () => 'done' },
  fail: { from: STATES, to: () => 'error' },
  reset: { from: AT_REST, to: () => 'idle' },
  dismiss: { from: ['error'], to: () => 'done' },
});

/** Why an action cannot happen now, in the reader's words. */
const REFUSALS = {
  busy: 'training is already running: stop it first',
  reset: 'stop training before starting a new model',
};

/** The coarse status of a state: what `Playground.status` and its `status` events say. */
export function statusOf(/** @type {RunStateName} */ state) {
  if (BUSY.includes(state)) return 'training';
  if (state === 'paused') return 'idle';
  return /** @type {Status} */ (state);
}

/** One playground's run state. `onChange(state, previous)` hears every change. */
export class RunState {
  /** @type {RunStateName} */
  #state = 'idle';
  /** @type {RunStateName} where a build started (an `unbuilt` returns there) */
  #beforeBuild = 'idle';
  /** @type {RunStateName} what `stopping` was stopping: a build or a run */
  #stopped = 'idle';
  #onChange;

  /** @param {(state: RunStateName, previous: RunStateName) => void} [onChange] */
  constructor(onChange = () => {}) {
    this.#onChange = onChange;
  }

  /** The state now. */
  get state() { return this.#state; }
  /** The coarse status: `idle` (also while paused), `training` (also while building, pausing or stopping), `done` or `error`. */
  get status() { return statusOf(this.#state); }
  /** A model is being built or trained now. */
  get busy() { return BUSY.includes(this.#state); }

  /** A model is being built (also when Stop was pressed meanwhile: the build finishes). */
  get building() { return this.#state === 'building' || (this.#state === 'stopping' && this.#stopped === 'building'); }
  /** A training run is in progress (also while it pauses or stops). */
  get training() { return this.busy && !this.building; }

  /** Whether `action` may happen now. @param {RunAction} action */
  may(action) {
    return TRANSITIONS[action].from.includes(this.#state);
  }

  /**
   * Throws the reader's reason when `action` may not happen now; otherwise does nothing (the
   * caller then does the work and calls `to`). @param {RunAction} action
   */
  check(action) {
    if (this.may(action)) return;
    if (action === 'reset') throw new Error(REFUSALS.reset);
    if (this.busy) throw new Error(REFUSALS.busy);
    throw new Error(`cannot ${action} now: the run is ${this.#state}`);
  }

  /**
   * Takes `action`, returning the new state. `dismiss` goes to `done` or, with `hasModel` false,
   * `idle`; `unbuilt` goes back to the state before the build. Throws (as `check`) when the
   * action may not happen now, and changes nothing then.
   * @param {RunAction} action
   * @param {{hasModel?: boolean}} [context]
   */
  to(action, { hasModel = true } = {}) {
    this.check(action);
    const previous = this.#state;
    let next = TRANSITIONS[action].to(previous);
    if (action === 'dismiss' && !hasModel) next = 'idle';
    if (action === 'unbuilt') next = this.#beforeBuild;
    if (action === 'build') this.#beforeBuild = previous;
    if (action === 'stop') this.#stopped = previous;
    if (next !== previous) {
      this.#state = next;
      this.#onChange(next, previous);
    }
    return next;
  }
}
