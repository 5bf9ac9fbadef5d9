// The run state machine (www/lib/run.js), in Node: every transition, the refusals, and the
// coarse status the page and embeds have always read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunState, STATES, statusOf } from '../www/lib/run.js';

/** A machine driven through `actions` from idle; returns it and the changes it reported. */
function drive(...actions) {
  const changes = [];
  const run = new RunState((state, previous) => changes.push(`${previous}>${state}`));
  for (const a of actions) run.to(a);
  return { run, changes };
}

// Every allowed (state, action) -> next state. Anything not listed must be refused.
const ALLOWED = {
  idle: { build: 'building', train: 'training', settle: 'done', fail: 'error', reset: 'idle' },
  building: { train: 'training', stop: 'stopping', settle: 'done', unbuilt: 'idle', fail: 'error' },
  training: { pause: 'pausing', stop: 'stopping', end: 'done', fail: 'error' },
  pausing: { stop: 'stopping', end: 'paused', fail: 'error' },
  paused: { build: 'building', train: 'training', resume: 'training', stop: 'done', settle: 'done', fail: 'error', reset: 'idle' },
  stopping: { end: 'done', settle: 'done', unbuilt: 'idle', fail: 'error' },
  done: { build: 'building', train: 'training', settle: 'done', fail: 'error', reset: 'idle' },
  error: { build: 'building', train: 'training', settle: 'done', fail: 'error', reset: 'idle', dismiss: 'done' },
};
const ACTIONS = ['build', 'unbuilt', 'train', 'pause', 'resume', 'stop', 'end', 'settle', 'fail', 'reset', 'dismiss'];
// A path from idle to each state.
const PATHS = {
  idle: [], building: ['build'], training: ['train'], pausing: ['train', 'pause'], paused: ['train', 'pause', 'end'],
  stopping: ['train', 'stop'], done: ['settle'], error: ['fail'],
};

test('every action in every state goes where the table says, or is refused and changes nothing', () => {
  assert.deepEqual(Object.keys(ALLOWED).sort(), [...STATES].sort());
  for (const state of STATES) {
    for (const action of ACTIONS) {
      const { run } = drive(...PATHS[state]);
      assert.equal(run.state, state);
      const next = ALLOWED[state][action];
      assert.equal(run.may(action), next !== undefined, `${state} may ${action}`);
      if (next === undefined) {
        assert.throws(() => run.to(action), Error, `${state} refuses ${action}`);
        assert.equal(run.state, state, `a refused ${action} leaves ${state} as it was`);
      } else {
        assert.equal(run.to(action), next, `${state} --${action}-->`);
        assert.equal(run.state, next);
      }
    }
  }
});

test('the refusals are said in the reader\'s words', () => {
  assert.throws(() => drive('train').run.check('train'), /^Error: training is already running: stop it first$/);
  assert.throws(() => drive('build').run.check('build'), /training is already running/);
  assert.throws(() => drive('train').run.check('reset'), /^Error: stop training before starting a new model$/);
  assert.throws(() => drive().run.check('resume'), /cannot resume now: the run is idle/);
});

test('a run: build, train, end; changes are reported once each', () => {
  const { run, changes } = drive('build', 'train', 'end');
  assert.equal(run.state, 'done');
  assert.deepEqual(changes, ['idle>building', 'building>training', 'training>done']);
  // settle from done is no change, so nothing is reported.
  run.to('settle');
  assert.equal(changes.length, 3);
});

test('pause then resume, and stop while paused', () => {
  const { run } = drive('train', 'pause', 'end');
  assert.equal(run.state, 'paused');
  assert.equal(run.status, 'idle', 'paused reads as idle');
  run.to('resume');
  assert.equal(run.state, 'training');
  run.to('pause');
  run.to('end');
  assert.equal(run.to('stop'), 'done', 'stop while paused ends the run');
});

test('stop during a build: the build finishes, no run starts', () => {
  const { run } = drive('build', 'stop');
  assert.equal(run.state, 'stopping');
  assert.equal(run.status, 'training', 'still busy: the model is being built');
  assert.equal(run.may('train'), false);
  assert.equal(run.to('settle'), 'done');
});

test('a failed build goes back to where it started', () => {
  assert.equal(drive('settle', 'build', 'unbuilt').run.state, 'done');
  assert.equal(drive('build', 'unbuilt').run.state, 'idle');
  assert.equal(drive('train', 'pause', 'end', 'build', 'unbuilt').run.state, 'paused');
  assert.equal(drive('build', 'stop', 'unbuilt').run.state, 'idle', 'stopped, then failed');
});

test('a crash during pause (or a build, or a run) is an error, and Train may start again', () => {
  for (const path of [PATHS.paused, PATHS.pausing, PATHS.building, PATHS.training, PATHS.stopping]) {
    const { run } = drive(...path, 'fail');
    assert.equal(run.state, 'error');
    assert.equal(run.may('train'), true);
    assert.equal(run.may('resume'), false, 'a crashed pause cannot be resumed');
  }
  const { run } = drive('fail');
  assert.equal(run.to('dismiss', { hasModel: false }), 'idle');
  assert.equal(drive('fail').run.to('dismiss'), 'done');
});

test('the coarse status of each state', () => {
  assert.deepEqual(Object.fromEntries(STATES.map((s) => [s, statusOf(s)])), {
    idle: 'idle', building: 'training', training: 'training', pausing: 'training', paused: 'idle', stopping: 'training', done: 'done', error: 'error',
  });
});

test('building and training are told apart, also while stopping', () => {
  const during = (...path) => { const { run } = drive(...path); return [run.building, run.training]; };
  assert.deepEqual(during('build'), [true, false]);
  assert.deepEqual(during('build', 'stop'), [true, false], 'a stopped build still finishes building');
  assert.deepEqual(during('train'), [false, true]);
  assert.deepEqual(during('train', 'pause'), [false, true]);
  assert.deepEqual(during('train', 'stop'), [false, true]);
  assert.deepEqual(during('train', 'pause', 'end'), [false, false], 'paused: nothing runs');
  assert.deepEqual(during('settle'), [false, false]);
});
