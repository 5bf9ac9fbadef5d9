// Training a panel's own model (an ablation run) beside the reader's, through the worker.

/** Train session `session` for `steps` steps, appending `[step, loss]` to `points` as each chunk
 *  arrives and calling `onChunk(progressEvent)` after it; resolves with the worker's result. */
export function trainInto(ctx, session, steps, points, onChunk) {
  return ctx.call('train', { session, steps, evalEvery: 0 }, (ev) => {
    if (ev.type !== 'progress') return;
    const first = ev.step - ev.losses.length;
    ev.losses.forEach((loss, i) => points.push([first + i + 1, loss]));
    onChunk?.(ev);
  });
}
