// @ts-check
// Crash recovery: the model worker crashed, stopped answering (its heartbeat), or lost its GPU
// device. The worker is replaced, the reader's model comes back from the last snapshot
// (autosave.js; on the CPU when the device was lost), and the reader is told what happened and
// what was restored. After a lost device a run in progress carries on to its target.
import { restore } from './autosave.js';

/** @typedef {import('./core.js').Core} Core */

/**
 * Replaces the worker and restores the reader's run; resolves when done (with the continued run's
 * result, after a lost device during training). One recovery at a time.
 * @param {Core} core @param {'crash' | 'device-lost'} kind @param {string} reason
 */
export function recover(core, kind, reason) {
  if (core.destroyed || core.recovery) return core.recovery;
  const wasTraining = core.state.training;
  const hadModel = !!core.info || core.state.building;
  const target = core.run.target;
  core.recovery = (async () => {
    core.worker.terminate(kind === 'crash' ? 'the model worker crashed' : 'the model worker was replaced');
    core.worker = core.startWorker();
    // The run's state stays until the outcome is known: a crash then ends in `error` (the reader
    // is told what was restored); after a lost device the run carries on from the snapshot.
    if (kind === 'device-lost') core.fallBackToCpu();
    const fail = () => core.state.to('fail');
    const what = kind === 'crash' ? `The model worker failed (${reason}).` : `Training moved to the CPU: ${reason}.`;
    const snap = core.snapshots.latest;
    if (!snap) {
      core.forget();
      core.error(hadModel
        ? `${what} There was no snapshot of your model yet, so it is gone; press Train to start again.`
        : `${what} It was restarted (it held no model); press Train to build one.`, { action: kind });
      fail();
      return null;
    }
    try {
      await core.worker.booted;
      const lost = (core.info?.step ?? snap.step) - snap.step;
      await restore(core, snap, { kind: 'restored', step: snap.step });
      core.error(`${what} Your model was restored from its last snapshot, at step ${snap.step}${lost > 0 ? ` (the ${lost} steps after it were lost)` : ''}.`, { action: kind, restored: snap.step });
      if (kind === 'crash') {
        fail(); // an error the reader dismisses
        return null;
      }
      if (wasTraining && target > snap.step) {
        core.run = { start: snap.step, target, reason: null };
        core.recovery = null;
        return core.runTraining(); // still training (or pausing): the run goes on
      }
      core.state.to(core.state.training ? 'end' : 'settle'); // a lost device is handled
      return null;
    } catch (err) {
      core.forget();
      core.error(`${what} Restoring your model failed too (${/** @type {Error} */ (err).message}); press Train to start again.`, { action: kind });
      fail();
      return null;
    }
  })().finally(() => { core.recovery = null; });
  core.recovered = core.recovery;
  return core.recovery;
}
