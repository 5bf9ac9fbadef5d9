// @ts-check
// Residual connections and LayerNorm. Two views of the reader's model: (a) a traced forward pass
// shows how big the residual stream is after each sub-layer and what each LayerNorm does to its
// input; (b) four small models trained side by side (the GPT-2 baseline, no residual connections,
// no LayerNorm, GPT-1's post-LN) show why both parts are there.
import { LossChart, smooth } from '../lib/chart.js';
import { announcer, coalesced, fmt, h, lineSwatch, mean, onWidthChange, setState, sizeCanvas, throttle, wholeNumber } from './ui.js';
import { Experiment } from './runs.js';

/** @typedef {import('../lib/mount.js').PanelContext} PanelContext */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').Inspection} Inspection */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').SessionOptions} SessionOptions */
/** One point of the residual stream: its mean vector length. @typedef {Inspection['residual'][number]} Residual */
/** One LayerNorm's input and output statistics. @typedef {Inspection['layer_norms'][number]} LayerNormStats */
/** @typedef {'baseline' | 'no-residual' | 'no-layernorm' | 'post-ln'} VariantKey */
/** @typedef {{key: VariantKey, label: string, short: string, model: NonNullable<SessionOptions['model']>, color: string, dash: number[]}} Variant */
/**
 * One ablation model's run: what it is doing, its losses and its numbers.
 * @typedef {object} Run
 * @property {'building' | 'training' | 'done' | 'stopped'} status
 * @property {import('./runs.js').Points} points
 * @property {number} final Mean of the last FINAL_WINDOW training losses.
 * @property {number} val
 * @property {number} ms
 */
/**
 * One ablation: its settings and each variant's run (by key; none yet for a variant not started).
 * @typedef {{steps: number, nLayer: number, preset: string | undefined, runs: Record<string, Run>, done: boolean, stopped?: boolean}} Ablation
 */
/**
 * What the panel measured (`root.panelData`): the traced forward pass, then the ablation.
 * @typedef {object} ResidualData
 * @property {number | null} step
 * @property {number | null} nLayer
 * @property {string} text
 * @property {Residual[]} residual
 * @property {LayerNormStats[]} layerNorms
 * @property {Ablation | null} ablation
 * @property {string | null} error
 */

/** The ablation runs, in the order they train and are listed. `model` overrides the page's.
 *  @type {Variant[]} */
const VARIANTS = [
  { key: 'baseline', label: 'Baseline (pre-LN, GPT-2)', short: 'baseline', model: {}, color: '#3b5bdb', dash: [] },
  { key: 'no-residual', label: 'No residual connections', short: 'no residual connections', model: { residual: false }, color: '#e8590c', dash: [2, 3] },
  { key: 'no-layernorm', label: 'No LayerNorm', short: 'no LayerNorm', model: { layerNorm: false }, color: '#2f9e44', dash: [7, 4] },
  { key: 'post-ln', label: 'Post-LN (GPT-1)', short: 'post-LN', model: { lnPlacement: 'post' }, color: '#ae3ec9', dash: [11, 3, 2, 3] },
];
/** Why each ablation trains worse than the baseline, for the summary sentence.
 *  @type {Partial<Record<VariantKey, string>>} */
const WHY = {
  'no-residual': 'Without residual paths the signal and its gradient must pass through every layer in turn instead of taking the shortcut around it',
  'no-layernorm': 'Without LayerNorm nothing keeps the activations at a steady size, so they drift from layer to layer and the learning rate suits none of them',
  'post-ln': 'Post-LN normalises the residual stream itself after every sub-layer, so the shortcut no longer passes gradients unchanged; it usually needs a long learning-rate warm-up',
};
const SEED = 1337; // the same batches and initial weights for all four runs
const FINAL_WINDOW = 20; // "final loss" = mean of the last this many training losses
const SAMPLE_CHARS = 400; // the traced text: the start of the corpus (the last blockSize tokens are used)


/** "block 0 after attention" -> "block 0 + attention": the stream after that sub-layer added to it.
 *  @param {string} name */
function residualLabel(name) {
  if (name === 'embeddings') return 'embeddings';
  if (name === 'after ln_f') return 'final LayerNorm';
  return name.replace(' after ', ' + ');
}

/** "block 0 ln_1" -> "block 0 ln_1 (attention)": which sub-layer the LayerNorm belongs to.
 *  @param {string} name */
function lnLabel(name) {
  if (name === 'ln_f') return 'ln_f (before the output)';
  return name.replace('ln_1', 'ln_1 (attention)').replace('ln_2', 'ln_2 (MLP)');
}

/** The running sum's points: the embeddings and each sub-layer (not the final LayerNorm's output,
 *  which is normalised and so on another scale). @param {Residual[]} residual */
const streamPoints = (residual) => residual.filter((r) => r.name !== 'after ln_f');

/** Horizontal bars, one per point of the residual stream, labelled and valued.
 *  @param {HTMLCanvasElement} canvas @param {Residual[]} all */
function drawResidual(canvas, all) {
  const residual = streamPoints(all);
  const width = Math.max(260, /** @type {HTMLElement} */ (canvas.parentElement).clientWidth);
  const row = 22;
  const height = residual.length * row + 8;
  const g = sizeCanvas(canvas, width, height);
  const style = getComputedStyle(canvas);
  const accent = style.getPropertyValue('--accent').trim() || '#3b5bdb';
  const muted = style.getPropertyValue('--muted').trim() || '#5b6575';
  const labelW = Math.min(150, width * 0.38);
  const valueW = 52;
  const max = Math.max(...residual.map((r) => r.mean_norm), 1e-9);
  g.font = '12px system-ui, sans-serif';
  g.textBaseline = 'middle';
  residual.forEach((r, i) => {
    const y = 4 + i * row;
    const w = ((width - labelW - valueW - 8) * r.mean_norm) / max;
    g.fillStyle = muted;
    g.textAlign = 'right';
    g.fillText(residualLabel(r.name), labelW - 6, y + row / 2, labelW - 8);
    g.fillStyle = accent;
    g.fillRect(labelW, y + 3, Math.max(1, w), row - 6);
    g.fillStyle = '#1c2330';
    g.textAlign = 'left';
    g.fillText(fmt(r.mean_norm, 2), labelW + w + 4, y + row / 2);
  });
}

/** The LayerNorm statistics as a table: input mean/std, then output mean/std.
 *  @param {LayerNormStats[]} norms */
function lnTable(norms) {
  const head = h('tr', {}, ...['LayerNorm', 'input mean', 'input std', 'output mean', 'output std'].map((t) => h('th', { scope: 'col' }, t)));
  const rows = norms.map((n) => h('tr', {},
    h('th', { scope: 'row' }, lnLabel(n.name)),
    h('td', {}, fmt(n.input_mean)), h('td', {}, fmt(n.input_std)),
    h('td', { class: 'residual-out' }, fmt(n.output_mean)), h('td', { class: 'residual-out' }, fmt(n.output_std))));
  return h('table', { class: 'residual-table' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

/** One sentence on the residual stream, from the measured sizes.
 *  @param {Residual[]} residual */
function residualSentence(residual) {
  const sums = streamPoints(residual);
  const first = sums[0].mean_norm;
  const last = /** @type {Residual} */ (sums.at(-1)).mean_norm; // never empty: the embeddings start it
  const final = residual.find((r) => r.name === 'after ln_f');
  return `The residual stream is a running sum: the embeddings start it and every attention and MLP sub-layer adds its output to it (x = x + sublayer(x)), `
    + `so nothing earlier is overwritten. Here its mean vector length goes from ${fmt(first, 2)} to ${fmt(last, 2)} over the ${sums.length - 1} sub-layers.`
    + (final ? ` The final LayerNorm then rescales it (length ${fmt(final.mean_norm, 2)}) before the output layer.` : '');
}

/** One sentence on LayerNorm, from the measured statistics.
 *  @param {LayerNormStats[]} norms */
function lnSentence(norms) {
  const inStd = norms.map((n) => n.input_std);
  const outStd = norms.map((n) => n.output_std);
  return `LayerNorm rescales every vector to mean 0 and standard deviation 1, then applies its learned gain and bias (these output columns include them): `
    + `inputs with std from ${fmt(Math.min(...inStd), 2)} to ${fmt(Math.max(...inStd), 2)} come out with std from ${fmt(Math.min(...outStd), 2)} to ${fmt(Math.max(...outStd), 2)}, `
    + 'so the next sub-layer always sees numbers of about the same size.';
}

/** @param {HTMLElement & {panelData?: unknown}} root @param {PanelContext} ctx */
export function mount(root, ctx) {
  // ---------- (a) the traced forward pass ----------
  const stateLine = h('p', { class: 'hint', dataset: { role: 'residual-trace-note' } });
  const canvas = h('canvas', { class: 'residual-bars', dataset: { role: 'residual-chart' }, role: 'img', 'aria-label': 'Residual stream size after the embeddings and after each sub-layer' });
  const residualText = h('p', { class: 'hint', dataset: { role: 'residual-sentence' } });
  const tableBox = h('div', { class: 'residual-table-box', dataset: { role: 'layer-norms' }, tabindex: '0', 'aria-label': 'LayerNorm statistics' });
  const lnText = h('p', { class: 'hint', dataset: { role: 'ln-sentence' } });
  const traced = h('div', { class: 'residual-traced', hidden: true },
    h('h3', {}, 'Size of the residual stream'), canvas, residualText,
    h('h3', {}, 'What each LayerNorm does'), tableBox, lnText);

  // ---------- (b) the ablation runs ----------
  const steps = h('input', { dataset: { role: 'residual-steps' }, type: 'number', min: '20', max: '5000', step: '10', value: '300' });
  const layers = h('select', { dataset: { role: 'residual-layers' } }, ...[2, 4, 6].map((n) => h('option', { value: String(n), selected: n === 4 }, String(n))));
  const run = h('button', { class: 'primary', dataset: { action: 'residual-run' } }, 'Train the four models');
  const stop = h('button', { dataset: { action: 'residual-stop' }, disabled: true }, 'Stop');
  // Updated every training chunk: not a live region itself; `announce` says it once a second.
  const runNote = h('span', { class: 'hint residual-run-note', dataset: { role: 'residual-run-note' } });
  const announce = announcer(root);
  const chartCanvas = h('canvas', { class: 'chart residual-loss', dataset: { role: 'residual-loss-chart' }, role: 'img', 'aria-label': 'Training loss of the four models, step by step' });
  const legend = h('p', { class: 'legend residual-legend' }, ...VARIANTS.map((v) =>
    h('span', { class: 'residual-key' }, lineSwatch(v.color, v.dash), v.label)));
  const resultBody = h('tbody');
  const results = h('div', { class: 'residual-table-box' }, h('table', { class: 'residual-table residual-results', dataset: { role: 'ablation-table' } },
    h('caption', {}, `Final loss: the mean of the last ${FINAL_WINDOW} training losses; validation loss: on held-out text after the run.`),
    h('thead', {}, h('tr', {}, ...['model', 'final loss', 'validation loss', 'time'].map((t) => h('th', { scope: 'col' }, t)))),
    resultBody));
  const summary = h('div', { class: 'hint residual-summary', dataset: { role: 'ablation-summary' } });
  const ablation = h('div', { class: 'residual-ablation' }, chartCanvas, legend, results, summary);
  ablation.hidden = true;

  root.append(
    h('p', { class: 'hint' }, 'Every block reads the residual stream, computes something, and adds the result back; LayerNorm keeps the numbers entering each sub-layer at a steady scale. '
      + 'Below: both measured in your model, then four models trained with and without them.'),
    stateLine, traced,
    h('h3', {}, 'Ablation: train without them'),
    h('p', { class: 'hint' }, 'Four models with the page\'s corpus, preset and tokenizer, the same seed and the same number of steps; only the wiring differs. '
      + 'Residual connections matter more the deeper the model, so pick the number of layers.'),
    h('div', { class: 'row residual-controls' },
      h('label', {}, 'Steps per model', steps),
      h('label', {}, 'Layers', layers),
      run, stop),
    runNote, ablation,
  );

  /** @type {ResidualData} */
  const data = { step: null, nLayer: null, text: '', residual: [], layerNorms: [], ablation: null, error: null };
  root.panelData = data;
  const experiment = new Experiment(ctx, VARIANTS.map((v) => `residual:${v.key}`));

  /** @param {string} [message] */
  function refreshState(message) {
    if (data.error) return setState(root, 'error', data.error);
    if (experiment.running || inspect.busy) return setState(root, 'busy', message ?? (experiment.running ? 'Training the ablation models…' : 'Tracing a forward pass…'));
    if (data.residual.length || data.ablation?.done) return setState(root, 'ready', message);
    setState(root, 'empty', 'Train a model (Pre-train, above) to see its residual stream and LayerNorms, or train the four ablation models below.');
  }

  // ---- (a) ----
  // One trace at a time; a model change meanwhile traces once more afterwards.
  const inspect = coalesced(async () => {
    if (!ctx.info) {
      data.residual = [];
      data.layerNorms = [];
      traced.hidden = true;
      stateLine.textContent = '';
      refreshState();
      return;
    }
    refreshState();
    try {
      // The corpus the model was built from, so every character is in its vocabulary.
      const text = (ctx.sessionOptions().corpus ?? '').slice(0, SAMPLE_CHARS);
      const step = ctx.info.step;
      const trace = /** @type {Inspection} */ (await ctx.call('inspect', { text }));
      Object.assign(data, { step, nLayer: trace.n_layer, text, residual: trace.residual, layerNorms: trace.layer_norms, error: null });
      render();
    } catch (err) {
      data.error = `Could not trace the model: ${/** @type {Error} */ (err).message}`;
    }
  }, { idle: () => refreshState() });

  function render() {
    traced.hidden = false;
    stateLine.textContent = `Traced on "${data.text.slice(0, 40).replace(/\n/g, ' ')}…" by your model at step ${data.step} (re-traced after each training run).`;
    drawResidual(canvas, data.residual);
    residualText.textContent = residualSentence(data.residual);
    if (data.layerNorms.length) {
      tableBox.replaceChildren(lnTable(data.layerNorms));
      lnText.textContent = lnSentence(data.layerNorms);
    } else {
      tableBox.replaceChildren(h('p', { class: 'hint' }, 'This model has no LayerNorm.'));
      lnText.textContent = '';
    }
  }

  // ---- (b) ----
  const chartSummary = h('p', { class: 'gpt-sr-only', dataset: { role: 'chart-summary' } });
  chartCanvas.after(chartSummary);
  const chart = new LossChart(chartCanvas, { signal: ctx.signal, summary: chartSummary });
  const drawChart = () => chart.setSeries(VARIANTS.map((v) => ({
    label: v.label, color: v.color, dash: v.dash, points: smooth(data.ablation?.runs[v.key]?.points ?? []),
  })));
  const drawSoon = throttle(drawChart, 300);

  // The ablation's parts below run only while data.ablation is set.
  function renderTable() {
    const runs = /** @type {Ablation} */ (data.ablation).runs;
    resultBody.replaceChildren(...VARIANTS.map((v) => {
      const r = runs[v.key];
      const time = r?.ms ? `${(r.ms / 1000).toFixed(1)} s` : r?.status ?? (/** @type {Ablation} */ (data.ablation).done ? 'not run' : 'waiting');
      return h('tr', { dataset: { variant: v.key } },
        h('th', { scope: 'row' }, lineSwatch(v.color, v.dash), v.label),
        // No run yet: undefined, shown as a dash (as NaN is).
        h('td', {}, fmt(/** @type {number} */ (r?.final))), h('td', {}, fmt(/** @type {number} */ (r?.val))), h('td', {}, time));
    }));
  }

  /** The outcome in words, from the measured final losses: the slowest first, each with why. */
  function summarize() {
    const runs = /** @type {Ablation} */ (data.ablation).runs;
    const base = runs.baseline;
    const others = VARIANTS.slice(1).filter((v) => Number.isFinite(runs[v.key]?.final));
    if (!Number.isFinite(base?.final) || !others.length) return [];
    others.sort((a, b) => runs[b.key].final - runs[a.key].final);
    const gap = (/** @type {Variant} */ v) => runs[v.key].final - base.final;
    const lead = h('p', {}, `After ${/** @type {Ablation} */ (data.ablation).steps} steps the baseline reached ${fmt(base.final)}. `
      + (gap(others[0]) > 0.01 ? `Slowest was ${others[0].short}; all differences below are to the baseline's loss.` : 'No ablation was clearly worse here: try more layers or more steps.'));
    const items = others.map((v) => h('li', { dataset: { variant: v.key } }, h('strong', {}, `${v.short}: ${fmt(runs[v.key].final)} (${gap(v) >= 0 ? '+' : '−'}${fmt(Math.abs(gap(v)))})`),
      gap(v) > 0.01 ? ` ${WHY[v.key]}.` : ' about as good as the baseline in this run.'));
    return [lead, h('ul', {}, ...items)];
  }

  /** Trains variant `v` in its own session, keeps its numbers and drops the model.
   *  @param {Experiment} x @param {Variant} v @param {(v: Variant) => SessionOptions} opts */
  async function trainOne(x, v, opts) {
    const session = `residual:${v.key}`;
    /** @type {Run} */
    const r = { status: 'building', points: [], final: NaN, val: NaN, ms: 0 };
    /** @type {Ablation} */ (data.ablation).runs[v.key] = r;
    renderTable();
    const t0 = performance.now();
    await x.build(session, opts(v));
    r.status = 'training';
    renderTable();
    await x.train(session, /** @type {Ablation} */ (data.ablation).steps, r.points, (ev) => {
      drawSoon();
      runNote.textContent = `${v.label}: step ${ev.step} of ${/** @type {Ablation} */ (data.ablation).steps}, loss ${fmt(ev.losses.at(-1))}`;
      announce(runNote.textContent);
    });
    r.final = mean(r.points.slice(-FINAL_WINDOW).map((p) => p[1]));
    r.val = r.points.length ? (await x.evaluate(session)).val : NaN;
    r.ms = performance.now() - t0;
    r.status = x.stopped ? 'stopped' : 'done';
    // Only the numbers are kept; the model itself is not needed any more (nor its memory).
    await x.drop(session);
    renderTable();
  }

  async function runAblation() {
    if (experiment.running) return;
    let n;
    try {
      n = wholeNumber(steps.value, { what: 'Steps', min: 20, max: 5000 });
    } catch (err) {
      runNote.textContent = /** @type {Error} */ (err).message;
      return;
    }
    const nLayer = Number(layers.value);
    /** @param {Variant} v @returns {SessionOptions} */
    const opts = (v) => ({ ...ctx.sessionOptions({ model: { ...v.model, nLayer }, training: { steps: n } }), seed: SEED });
    data.ablation = { steps: n, nLayer, preset: opts(VARIANTS[0]).preset, runs: {}, done: false };
    data.error = null;
    const done = experiment.run(async (x) => {
      for (const v of VARIANTS) {
        if (x.stopped) break;
        await trainOne(x, v, opts);
      }
    });
    run.disabled = true;
    stop.disabled = false;
    ablation.hidden = false;
    summary.replaceChildren();
    drawChart();
    refreshState();
    try {
      await done;
      drawChart();
      summary.replaceChildren(...summarize());
      runNote.textContent = experiment.stopped ? 'Stopped.' : `Done: ${VARIANTS.length} models, ${n} steps each, ${nLayer} layers.`;
      announce(runNote.textContent, true);
    } catch (err) {
      // Said once, as the panel's error (an alert under its heading).
      runNote.textContent = '';
      ctx.showError(`The ablation failed: ${/** @type {Error} */ (err).message}`);
    }
    data.ablation.done = true;
    data.ablation.stopped = experiment.stopped;
    run.disabled = false;
    stop.disabled = true;
    renderTable();
    refreshState();
  }

  run.addEventListener('click', runAblation);
  stop.addEventListener('click', () => experiment.stop());

  ctx.events.addEventListener('trained', inspect);
  ctx.events.addEventListener('model', inspect);
  onWidthChange(root, () => {
    if (data.residual.length && !traced.hidden) drawResidual(canvas, data.residual);
  }, ctx.signal);
  inspect();
}
