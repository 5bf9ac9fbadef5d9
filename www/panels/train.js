// @ts-check
// The Pre-train card: Train / Pause / Stop, the progress of the run, and the loss curves. The
// device note says where the model trains and why.
import { LossChart, smooth } from '../lib/chart.js';
import { MAX_STEPS } from '../lib/state.js';
import { h, setState, setText } from './ui.js';

/**
 * The playground a setup card drives (`ctx.playground`): its published API (types/playground.d.ts)
 * with two members as lib/playground.js has them: `set` also takes a setting as text (an input's
 * value, checked like a URL parameter), and `history` holds lib/history.js's Histories.
 * @typedef {Omit<import('../types/playground.js').Playground, 'set' | 'history'> & {
 *   set(changes: Record<string, string | number>): Promise<void>,
 *   readonly history: import('../lib/core.js').Core['history'],
 * }} SetupPlayground
 */
/** @typedef {Extract<import('../types/playground.js').ModelOrigin, {kind: 'loaded'}>} LoadedOrigin */
/** A file input's (never null) or a drop's files, and a drop's items: iterable in every browser
 *  (the checked lib lacks dom.iterable).
 *  @typedef {FileList & Iterable<File>} Files */
/** @typedef {DataTransferItemList & Iterable<DataTransferItem>} Items */
/** @typedef {{train: HTMLButtonElement, pause: HTMLButtonElement, stop: HTMLButtonElement, refresh: () => void}} TrainButtons */

/** @param {number} s */
const fmtTime = (s) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : '–');
/** @param {number} v */
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : '–');

/** Buttons of a training view (this card and the compact bar) kept in step with the playground.
 *  @param {SetupPlayground} pg @param {HTMLInputElement} steps @param {AbortSignal} signal
 *  @returns {TrainButtons} */
export function trainButtons(pg, steps, signal) {
  const b = /** @type {TrainButtons} */ ({
    train: h('button', { class: 'primary', dataset: { action: 'train' } }, 'Train'),
    pause: h('button', { dataset: { action: 'pause' }, disabled: true }, 'Pause'),
    stop: h('button', { dataset: { action: 'stop' }, disabled: true }, 'Stop'),
  }); // `refresh` is added below
  const quiet = (/** @type {Promise<unknown>} */ p) => p?.catch?.(() => {}); // failures are shown through the `error` event
  b.train.addEventListener('click', async () => {
    try {
      await pg.set({ steps: steps.value });
    } catch (err) {
      pg.reportError(`${/** @type {Error} */ (err).message[0].toUpperCase()}${/** @type {Error} */ (err).message.slice(1)}.`);
      return;
    }
    quiet(pg.train());
  });
  b.pause.addEventListener('click', () => quiet(pg.pause()));
  b.stop.addEventListener('click', () => quiet(pg.stop()));
  b.refresh = () => {
    const running = pg.training || pg.paused;
    b.train.disabled = pg.training || pg.building;
    setText(b.train, pg.canTrainMore ? 'Train more' : 'Train');
    b.pause.disabled = !running;
    setText(b.pause, pg.paused ? 'Resume' : 'Pause');
    b.stop.disabled = !running;
  };
  for (const type of ['status', 'training', 'model', 'settings', 'building', 'device', 'corpus', 'trained']) pg.addEventListener(type, b.refresh, { signal });
  b.refresh();
  return b;
}

/** The steps input, kept in step with the `steps` setting.
 *  @param {SetupPlayground} pg @param {AbortSignal} signal @returns {HTMLInputElement} */
export function stepsInput(pg, signal) {
  const steps = h('input', { name: 'steps', type: 'number', min: '1', max: String(MAX_STEPS), value: String(pg.settings.steps), dataset: { role: 'steps' } });
  steps.addEventListener('change', () => pg.set({ steps: steps.value }).catch(() => {}));
  pg.addEventListener('settings', () => { if (/** @type {Document | ShadowRoot} */ (steps.getRootNode()).activeElement !== steps) steps.value = String(pg.settings.steps); }, { signal });
  return steps;
}

/** The run's progress as text, plus machine-readable figures on `element.dataset` (README).
 *  @param {SetupPlayground} pg @param {HTMLElement} element @returns {string} */
export function showStats(pg, element) {
  const s = pg.stats;
  const run = pg.run;
  Object.assign(element.dataset, {
    step: String(s.step),
    tokensPerSecond: String(Number.isFinite(s.tokensPerSecond) ? Math.round(s.tokensPerSecond) : ''),
    firstLoss: String(Number.isFinite(s.firstLoss) ? s.firstLoss : ''),
    loss: String(Number.isFinite(s.loss) ? s.loss : ''),
    valLoss: String(Number.isFinite(s.valLoss) ? s.valLoss : ''),
  });
  if (!pg.info) return 'Not trained yet.';
  // Only a loaded origin has `huggingFace`.
  if (/** @type {LoadedOrigin | null} */ (pg.origin)?.huggingFace && !pg.history.train.count) {
    const { config, paramCount, vocabSize, trainable, untrainable } = pg.info;
    const act = config.activation === 'gelu_new' ? ", GPT-2's tanh GELU" : '';
    return `Imported a Hugging Face GPT-2 (${/** @type {LoadedOrigin} */ (pg.origin).file}): ${config.n_layer} layers × ${config.n_embd} wide, `
      + `${config.n_head} heads, context ${config.block_size}, ${vocabSize.toLocaleString()} tokens, `
      + `${paramCount.toLocaleString()} parameters${act}. ${trainable ? 'Train more to fine-tune it on the corpus.' : `It cannot train here: ${untrainable}.`}`;
  }
  if (pg.origin?.kind === 'loaded' && !pg.history.train.count) return `Loaded a model trained for ${s.step} steps.`;
  if (!pg.history.train.count) return 'Step 0: untrained (the generator produces noise).';
  const ending = run.reason ? ` · ${run.reason}` : '';
  const workers = pg.workers > 1 ? ` · ${pg.workers} workers` : '';
  element.dataset.workers = String(pg.workers);
  return `Step ${s.step} of ${s.target} · ${Number.isFinite(s.tokensPerSecond) ? Math.round(s.tokensPerSecond).toLocaleString() : '–'} tokens/s · `
    + `ETA ${pg.training ? fmtTime(s.etaSeconds) : fmtTime(0)} · loss ${fmt(s.lastLoss)}`
    + (Number.isFinite(s.valLoss) ? ` · validation ${fmt(s.valLoss)}` : '') + workers + ending;
}

/** @param {HTMLElement} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  /** @type {SetupPlayground} */
  const pg = ctx.playground;
  const { signal, hide } = ctx;
  const note = h('p', { class: 'device-note', dataset: { role: 'device-note' }, role: 'status' });
  const steps = stepsInput(pg, signal);
  const b = trainButtons(pg, steps, signal);
  const reset = h('button', { dataset: { action: 'reset' }, disabled: true, title: 'Forget the model and start over' }, 'New model');
  const save = h('button', { dataset: { action: 'save' }, disabled: true }, 'Save model');
  const exportHf = h('button', { dataset: { action: 'export-hf' }, disabled: true, title: 'A zip of the Hugging Face folder (config.json, model.safetensors, tokenizer.json) that GPT2LMHeadModel.from_pretrained reads' }, 'Download for transformers');
  // One .safetensors saved here, or a Hugging Face GPT-2 folder's files chosen together (or
  // dropped on the card, folder and all).
  const load = h('input', { type: 'file', multiple: true, accept: '.safetensors,.json,.txt', dataset: { role: 'load' } });
  const progress = h('progress', { max: '1', value: '0', dataset: { role: 'progress' }, 'aria-label': 'Training progress' });
  const stats = h('p', { class: 'stats', dataset: { role: 'train-stats' } }, 'Not trained yet.');
  const canvas = h('canvas', { class: 'chart', dataset: { role: 'loss-chart' }, role: 'img', 'aria-label': 'Training and validation loss per step' });
  const legend = h('p', { class: 'legend' }, h('span', { class: 'swatch train' }), ' training loss (smoothed) ', h('span', { class: 'swatch val' }), ' validation loss (dashed, dots)');
  const summary = h('p', { class: 'gpt-sr-only', dataset: { role: 'loss-summary' } });
  const stepsLabel = h('label', { class: 'steps', hidden: hide.has('steps') }, 'Steps ', steps);
  // A run kept in this browser (autosave): offered for resuming after a reload; forgettable.
  const savedText = h('span', { dataset: { role: 'saved-note' } });
  const resume = h('button', { dataset: { action: 'resume' }, hidden: true }, 'Resume it');
  const forget = h('button', { dataset: { action: 'forget-saved' } }, 'Forget saved model');
  const saved = h('p', { class: 'hint train-saved', hidden: true }, savedText, ' ', resume, ' ', forget);
  const loadLabel = h('label', { class: 'file small', hidden: hide.has('save'), title: 'A model saved here (.safetensors), or a Hugging Face GPT-2 folder: its config.json, model.safetensors and tokenizer.json (or vocab.json + merges.txt) together; you can also drop the folder on this card' }, 'Load model ', load);
  save.hidden = hide.has('save');
  exportHf.hidden = hide.has('save');
  canvas.hidden = hide.has('chart');
  legend.hidden = hide.has('chart');
  root.append(note, saved, h('div', { class: 'row buttons' }, stepsLabel, b.train, b.pause, b.stop, reset, save, exportHf, loadLabel), progress, stats, canvas, legend, summary);

  const chart = new LossChart(canvas, { signal, summary });
  let frame = 0;
  function draw() {
    frame = 0;
    const css = getComputedStyle(root);
    const { train, val } = pg.history;
    chart.setSeries([
      // Once a long run's points were merged, the band shows the min and max each one covers.
      { label: 'Training loss (smoothed)', color: css.getPropertyValue('--accent'), points: smooth(train.pairs()), band: train.merged ? train.band() : null },
      { label: 'Validation loss', color: css.getPropertyValue('--accent-2'), points: val.pairs(), dashed: true, markers: true },
    ]);
    const s = pg.stats;
    progress.max = Math.max(1, s.target - s.start);
    progress.value = pg.info ? s.step - s.start : 0;
    stats.textContent = showStats(pg, stats);
  }
  // At most one redraw per frame, however fast the worker reports.
  const redraw = () => { frame ||= requestAnimationFrame(draw); };
  signal.addEventListener('abort', () => cancelAnimationFrame(frame), { once: true });

  function refresh() {
    b.refresh();
    reset.disabled = !pg.info || pg.training;
    save.disabled = !pg.info || pg.training;
    exportHf.disabled = !pg.info || pg.training;
  }
  function showDevice() {
    const d = pg.device;
    note.textContent = d.note;
    note.classList.toggle('cpu', d.device === 'cpu');
  }

  reset.addEventListener('click', () => pg.reset().catch((err) => pg.reportError(/** @type {Error} */ (err).message)));
  /** Offers what `make()` gives (`{bytes, filename}`) as a download of `type`.
   *  @param {() => Promise<{bytes: Uint8Array, filename: string}>} make @param {string} type */
  const download = (make, type) => async () => {
    try {
      const { bytes, filename } = await make(); // bytes of an ArrayBuffer (from the worker), never shared
      const url = URL.createObjectURL(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (bytes)], { type }));
      h('a', { href: url, download: filename }).click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      pg.reportError(/** @type {Error} */ (err).message);
    }
  };
  save.addEventListener('click', download(() => pg.save(), 'application/octet-stream'));
  exportHf.addEventListener('click', download(() => pg.exportHf(), 'application/zip'));
  /** One .safetensors file is a checkpoint (saved here); several files, or a .json / .txt, are a
   *  Hugging Face folder. @param {File[]} files */
  const open = (files) => {
    if (!files.length) return;
    const single = files.length === 1 && files[0].name.endsWith('.safetensors');
    (single ? pg.load(files[0]) : pg.importHf(files)).catch(() => {});
  };
  load.addEventListener('change', () => {
    open([.../** @type {Files} */ (load.files)]);
    load.value = '';
  });
  // Dropped files, or a dropped folder (read through the entries API, one level deep).
  root.addEventListener('dragover', (e) => { if (!hide.has('save')) e.preventDefault(); }, { signal });
  root.addEventListener('drop', async (e) => {
    if (hide.has('save')) return;
    e.preventDefault();
    // A drop event always has its dataTransfer; `filter(Boolean)` leaves the entries.
    const entries = /** @type {FileSystemEntry[]} */ ([.../** @type {Items} */ (/** @type {DataTransfer} */ (e.dataTransfer).items)].map((i) => i.webkitGetAsEntry?.()).filter(Boolean));
    /** @param {FileSystemEntry} entry @returns {Promise<File>} */
    const fileOf = (entry) => new Promise((ok, fail) => /** @type {FileSystemFileEntry} */ (entry).file(ok, fail));
    /** @type {File[]} */
    const files = [];
    for (const entry of entries) {
      if (entry.isFile) files.push(await fileOf(entry));
      else if (entry.isDirectory) {
        /** @type {FileSystemEntry[]} */
        const children = await new Promise((ok, fail) => /** @type {FileSystemDirectoryEntry} */ (entry).createReader().readEntries(ok, fail));
        for (const child of children) if (child.isFile) files.push(await fileOf(child));
      }
    }
    open(files.length ? files : [.../** @type {Files} */ (/** @type {DataTransfer} */ (e.dataTransfer).files)]);
  }, { signal });
  const when = (/** @type {number} */ t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  /** @param {{step: number, savedAt: number} | null} [detail] undefined: on mount */
  async function showSaved(detail) {
    if (!pg.autosave) return;
    if (detail === undefined) {
      // On mount: a run from an earlier visit, offered while there is no model in the page yet.
      const run = await pg.savedRun();
      if (!run || pg.info) return;
      savedText.textContent = `You trained a model here before: ${run.preset} on "${run.corpus}", step ${run.step.toLocaleString()}, saved at ${when(run.savedAt)}.`;
      resume.hidden = false;
      saved.hidden = false;
      return;
    }
    resume.hidden = true;
    saved.hidden = !detail;
    if (detail) savedText.textContent = `Kept in this browser at step ${detail.step.toLocaleString()} (${when(detail.savedAt)}), so a reload loses nothing.`;
  }
  resume.addEventListener('click', () => {
    resume.disabled = true;
    pg.resumeSaved().catch(() => {}).finally(() => { resume.disabled = false; });
  });
  forget.addEventListener('click', () => pg.forgetSaved());
  ctx.events.addEventListener('saved', (e) => showSaved(/** @type {import('../types/playground.js').PlaygroundEventMap['saved']} */ (e).detail));
  showSaved();
  for (const type of ['status', 'training', 'model', 'building', 'trained']) ctx.events.addEventListener(type, refresh);
  // Progress arrives many times a second: one redraw per frame. A change of model or status is
  // drawn at once, so the figures (data-step, …) are current when `status` changes.
  for (const type of ['progress', 'eval']) ctx.events.addEventListener(type, redraw);
  for (const type of ['model', 'trained', 'status', 'training']) ctx.events.addEventListener(type, draw);
  ctx.events.addEventListener('device', showDevice);
  showDevice();
  refresh();
  draw();
  setState(root, 'ready');
}
