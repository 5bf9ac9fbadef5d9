// @ts-check
// The mask panel's ablation: two fresh models, same corpus, seed and steps, trained side by side,
// one with the causal mask and one without. The one without can read the very token it must
// predict, and learns to copy it: its training loss falls off a cliff, its samples do not improve.
// The models are the panel's own (Experiment, runs.js); the reader's model is not touched.
import { LossChart, smooth } from '../lib/chart.js';
import { h, themeColours, throttle, uid, wholeNumber } from './ui.js';
import { Experiment } from './runs.js';

/** @typedef {import('../lib/mount.js').PanelContext} PanelContext */
/** @typedef {'causal' | 'nomask'} Variant */
/** @typedef {{trainLoss: number, trainEstimate: number, val: number, sample: string, curve: number[]}} Outcome */
/** @typedef {{steps: number, prompt: string, causal: Outcome, nomask: Outcome}} Outcomes */

/** @type {Record<Variant, string>} */
const SESSIONS = { causal: 'mask:causal', nomask: 'mask:nomask' };
/** @type {Variant[]} */
const VARIANTS = ['causal', 'nomask'];
const LABELS = { causal: 'with the mask (causal)', nomask: 'without the mask' };
const SHORT = { causal: 'with mask', nomask: 'without' };
const SAMPLE_TOKENS = 120;
const SAMPLING = { temperature: 0.8, seed: 1 };

/** The last smoothed loss of a curve, NaN when it has none. @param {[number, number][]} points */
const lastSmoothed = (points) => smooth(points).at(-1)?.[1] ?? NaN;

/**
 * Builds the ablation's part of the panel. `changed()` is called whenever its state changes (the
 * panel's status line and panelData derive from it).
 * @param {PanelContext} ctx @param {() => void} changed
 */
export function maskAblation(ctx, changed) {
  const stepsId = uid('mask-steps');
  const steps = /** @type {HTMLInputElement} */ (h('input', { id: stepsId, dataset: { role: 'mask-steps' }, type: 'number', min: '10', max: '5000', value: '1000' }));
  const trainBoth = /** @type {HTMLButtonElement} */ (h('button', { class: 'primary', dataset: { action: 'mask-ablate' } }, 'Train both'));
  const stop = /** @type {HTMLButtonElement} */ (h('button', { dataset: { action: 'mask-stop' }, disabled: true }, 'Stop'));
  const status = h('p', { class: 'hint mask-ablation-status', 'aria-live': 'polite' });
  const chartCanvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'mask-chart', 'aria-label': 'Training loss per step of the model with the mask and the model without it' }));
  const chartSummary = h('p', { class: 'gpt-sr-only', dataset: { role: 'chart-summary' } });
  const results = h('div', { class: 'mask-results' });
  const element = h('div', { class: 'mask-ablation', dataset: { ablation: 'idle' } },
    h('h3', {}, 'Train without the mask'),
    h('p', { class: 'hint' }, 'Two fresh models, same corpus, seed and number of steps, trained side by side: one as usual, one with the mask switched off. '
      + 'Without the mask every position can read the very token it has to predict. The model usually finds that trick suddenly, '
      + 'after a few hundred steps (with the tiny preset, 1000 steps take about half a minute): watch the orange curve fall off a cliff.'),
    h('div', { class: 'row mask-edit-row' }, h('label', { for: stepsId }, 'Steps each'), steps, trainBoth, stop),
    status,
    chartCanvas,
    chartSummary,
    h('p', { class: 'legend' }, h('span', { class: 'swatch train' }), ' training loss with the mask ', h('span', { class: 'swatch val' }), ' without the mask (dashed; both smoothed)'),
    results,
  );
  const chart = new LossChart(chartCanvas, { signal: ctx.signal, summary: chartSummary });
  const experiment = new Experiment(ctx, Object.values(SESSIONS));
  const state = {
    done: false,
    /** @type {string | null} */
    error: null,
    /** @type {Record<Variant, [number, number][]>} */
    points: { causal: [], nomask: [] },
    /** @type {Outcomes | null} */
    out: null,
  };

  function drawChart() {
    const colours = themeColours(element);
    chart.setSeries([
      { label: LABELS.causal, color: colours.accent, points: smooth(state.points.causal) },
      { label: LABELS.nomask, color: colours.accent2, points: smooth(state.points.nomask), dashed: true },
    ]);
  }
  const redrawChart = throttle(drawChart, 400);

  /** @param {string} phase @param {string} message */
  function setPhase(phase, message) {
    element.dataset.ablation = phase;
    status.textContent = message;
    changed();
  }

  async function run() {
    if (experiment.running) return;
    let n;
    try {
      n = wholeNumber(steps.value, { what: 'Steps', min: 10, max: 5000 });
    } catch (err) {
      setPhase('error', /** @type {Error} */ (err).message);
      return;
    }
    Object.assign(state, { done: false, error: null, points: { causal: [], nomask: [] }, out: null });
    results.replaceChildren();
    const outcome = experiment.run(async (x) => {
      setPhase('building', 'Building two fresh models: one with the causal mask, one without…');
      drawChart();
      const options = {
        causal: ctx.sessionOptions({ training: { steps: n } }),
        nomask: ctx.sessionOptions({ model: { causal: false }, training: { steps: n } }),
      };
      for (const v of VARIANTS) await x.build(SESSIONS[v], options[v]);
      if (x.stopped) return false;
      setPhase('training', `Training both models for ${n} steps each (they take turns on the worker${ctx.training ? ', with your main model' : ''})…`);
      await Promise.all(VARIANTS.map((v) => x.train(SESSIONS[v], n, state.points[v], redrawChart)));
      drawChart();
      if (x.stopped) return false;
      setPhase('evaluating', 'Estimating both models’ loss on training and validation batches…');
      const evals = { causal: await x.evaluate(SESSIONS.causal), nomask: await x.evaluate(SESSIONS.nomask) };
      setPhase('generating', `Writing ${SAMPLE_TOKENS} tokens with each model (same prompt, temperature ${SAMPLING.temperature}, seed ${SAMPLING.seed})…`);
      const samples = {
        causal: await x.generate(SESSIONS.causal, ctx.prompt, SAMPLING, SAMPLE_TOKENS),
        nomask: await x.generate(SESSIONS.nomask, ctx.prompt, SAMPLING, SAMPLE_TOKENS),
      };
      if (x.stopped) return false;
      /** @param {Variant} v @returns {Outcome} */
      const outcome = (v) => ({ trainLoss: lastSmoothed(state.points[v]), trainEstimate: evals[v].train, val: evals[v].val, sample: samples[v], curve: state.points[v].map((p) => p[1]) });
      state.out = { steps: n, prompt: ctx.prompt, causal: outcome('causal'), nomask: outcome('nomask') };
      return true;
    });
    refresh(); // running from here on
    try {
      if (await outcome) {
        state.done = true;
        drawResults();
        setPhase('done', `Done: ${n} steps each.`);
      } else {
        const got = Math.min(state.points.causal.length, state.points.nomask.length);
        setPhase('stopped', `Stopped after ${got} of ${n} steps. Press Train both to start again.`);
      }
    } catch (err) {
      state.error = `The ablation failed: ${/** @type {Error} */ (err).message}`;
      setPhase('error', state.error);
    } finally {
      refresh();
      changed();
    }
  }

  function drawResults() {
    const o = /** @type {Outcomes} */ (state.out);
    const f = (/** @type {number} */ x) => x.toFixed(3);
    const sample = (/** @type {Variant} */ v) => h('figure', { class: `mask-sample mask-${v}` },
      h('figcaption', {}, LABELS[v]),
      h('pre', { class: 'output', dataset: { role: `sample-${v}` } }, h('span', { class: 'prompt' }, o.prompt), o[v].sample));
    const num = (/** @type {number} */ x) => h('td', { class: 'mask-num' }, f(x));
    results.replaceChildren(
      h('div', { class: 'mask-table-wrap' }, h('table', { class: 'mask-table mask-losses' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, SHORT.causal), h('th', { scope: 'col' }, SHORT.nomask))),
        h('tbody', {},
          h('tr', {}, h('th', { scope: 'row' }, 'training loss (smoothed)'), num(o.causal.trainLoss), num(o.nomask.trainLoss)),
          h('tr', {}, h('th', { scope: 'row' }, 'validation loss'), num(o.causal.val), num(o.nomask.val))))),
      h('div', { class: 'mask-samples' }, sample('causal'), sample('nomask')),
      h('p', { class: 'mask-explain' }, explain(o)),
    );
  }

  function refresh() {
    trainBoth.disabled = experiment.running || ctx.training;
    trainBoth.title = ctx.training ? 'Wait until your main model has finished training (Pre-train, above)' : '';
    stop.disabled = !experiment.running;
  }

  trainBoth.addEventListener('click', run);
  stop.addEventListener('click', () => experiment.stop());

  return {
    element,
    /** Re-enables Train both when the reader's model stops training (and the reverse). */
    refresh,
    get running() { return experiment.running; },
    get done() { return state.done; },
    get error() { return state.error; },
    /** The status line of the run in progress. */
    get status() { return status.textContent ?? ''; },
    /** The numbers it drew (panelData.ablation), or null before a run finished. */
    data: () => state.out && { ...state.out, done: state.done },
  };
}

/** What the numbers of a run say, in words. @param {Outcomes} o */
function explain(o) {
  const f = (/** @type {number} */ x) => x.toFixed(3);
  const cheated = o.causal.trainLoss - o.nomask.trainLoss > 0.3;
  const train = cheated
    ? `Without the mask the training loss ended at ${f(o.nomask.trainLoss)}, against ${f(o.causal.trainLoss)} with it. `
      + 'That model did not learn the text better: it learned to copy the next token, which it could see. '
    : `The model without the mask has not found the trick yet (training loss ${f(o.nomask.trainLoss)} against ${f(o.causal.trainLoss)}): `
      + 'it usually finds it suddenly after a few hundred steps, so train both for longer. ';
  const val = o.nomask.val < o.causal.val - 0.3
    ? `Its validation loss is just as low (${f(o.nomask.val)}): validation batches are scored the same way, with the answer in view, so here that number measures nothing. `
    : `Validation loss: ${f(o.nomask.val)} without the mask, ${f(o.causal.val)} with it. `;
  return `${train}${val}Generation is the honest test: when the model writes, the next token does not exist yet, so there is nothing to copy. Compare the two samples.`;
}
