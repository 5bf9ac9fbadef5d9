// @ts-check
// A compact training bar: Train / Pause / Stop, the steps, a thin progress bar and the latest
// loss, in one row. A tutorial keeps it in view (position: sticky) while the reader scrolls
// through the panels that show the model it trains.
import { h, setState } from './ui.js';
import { showStats, stepsInput, trainButtons } from './train.js';

/** @param {HTMLElement} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  /** @type {import('./train.js').SetupPlayground} */
  const pg = ctx.playground;
  const { signal } = ctx;
  const steps = stepsInput(pg, signal);
  const b = trainButtons(pg, steps, signal);
  const progress = h('progress', { max: '1', value: '0', dataset: { role: 'progress' }, 'aria-label': 'Training progress' });
  const stats = h('span', { class: 'stats bar-stats', dataset: { role: 'train-stats' } }, 'Not trained yet.');
  const device = h('span', { class: 'bar-device', dataset: { role: 'device-chip' } });
  root.append(h('div', { class: 'row buttons bar-row' },
    b.train, b.pause, b.stop, h('label', { class: 'steps', hidden: ctx.hide.has('steps') }, 'Steps ', steps), progress, stats, device));

  let frame = 0;
  function draw() {
    frame = 0;
    const s = pg.stats;
    progress.max = Math.max(1, s.target - s.start);
    progress.value = pg.info ? s.step - s.start : 0;
    showStats(pg, stats);
    stats.textContent = !pg.info ? 'Not trained yet.'
      : pg.building ? 'Building…'
        : `step ${s.step.toLocaleString()}${pg.training ? ` of ${s.target.toLocaleString()}` : ''}`
          + (Number.isFinite(s.lastLoss) ? ` · loss ${s.lastLoss.toFixed(3)}` : '')
          + (pg.run.reason && !pg.training ? ` · ${pg.run.reason}` : '');
  }
  const redraw = () => { frame ||= requestAnimationFrame(draw); };
  signal.addEventListener('abort', () => cancelAnimationFrame(frame), { once: true });
  function showDevice() {
    const d = pg.device;
    device.textContent = d.device === 'webgpu' ? 'WebGPU' : 'CPU';
    device.title = d.note;
    device.setAttribute('aria-label', d.note);
  }
  for (const type of ['progress', 'eval']) ctx.events.addEventListener(type, redraw);
  for (const type of ['model', 'trained', 'status', 'building', 'training']) ctx.events.addEventListener(type, draw);
  ctx.events.addEventListener('device', showDevice);
  showDevice();
  draw();
  setState(root, 'ready');
}
