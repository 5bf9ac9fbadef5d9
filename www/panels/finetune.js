// @ts-check
// Pre-training, then fine-tuning. The reader's model (pre-trained on corpus A above) is copied;
// the copy goes on training on a small corpus B (by default questions and answers) with a lower
// learning rate. Samples from the same prompt and seed, and B's validation loss, before and after
// show what the short second phase changed. The reader's own model is never touched.
import { LossChart, smooth } from '../lib/chart.js';
import { announcer, fmt, h, setState, visible, wholeNumber } from './ui.js';
import { Experiment } from './runs.js';

/** @typedef {import('../lib/mount.js').PanelContext} PanelContext */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').SessionInfo} SessionInfo */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').FineTuned} FineTuned */
/** A sample of the copy, or why there is none.
 *  @typedef {{text: string, error?: undefined} | {error: string, text?: undefined}} Sample */
/**
 * One fine-tuning run (`root.panelData`): its settings, then what it measured as it went.
 * @typedef {object} FineTuneData
 * @property {string} prompt
 * @property {number} seed
 * @property {number} steps
 * @property {number} learningRate
 * @property {string} corpus
 * @property {[number, number][]} losses `[step, loss]`, numbered from 1.
 * @property {number[]} rates
 * @property {number} valBefore
 * @property {number} valAfter
 * @property {string} [error]
 * @property {number} [mainStepBefore]
 * @property {number} [mainStepAfter]
 * @property {number} [forkStep]
 * @property {Sample} [before]
 * @property {Sample} [after]
 * @property {string[]} [unknownChars]
 * @property {number} [droppedChars]
 * @property {number} [trainTokens]
 * @property {number} [valTokens]
 */

const SESSION = 'finetune';
const SEED = 42; // one seed for both samples, so only the weights differ
const SAMPLE_TOKENS = 120;
const TEMPERATURE = 0.8;
const RATES = ['3e-4', '1e-3', '3e-3'];
/** @type {Record<string, string>} */
const NAMES = { ' ': 'space', '\n': 'newline', '\t': 'tab' };

/** A character as a reader can see it: "·" (space), ":" … @param {string} c */
const charLabel = (c) => (NAMES[c] ? `${visible(c)} (${NAMES[c]})` : c);

/** A sample box: the prompt (dimmed), then what the model wrote, or why it could not write.
 *  @param {string} prompt @param {Sample | undefined} sample */
function sampleBox(prompt, sample) {
  if (!sample) return [];
  if (sample.error) return [h('span', { class: 'finetune-sample-error' }, `Could not generate from this prompt: ${sample.error}`)];
  return [h('span', { class: 'prompt' }, prompt), h('span', { class: 'generated' }, sample.text)];
}

/** @param {HTMLElement & {panelData?: unknown}} root @param {PanelContext} ctx */
export function mount(root, ctx) {
  const corpusChoice = h('select', { dataset: { role: 'finetune-corpus' } },
    h('option', { value: 'dialogue' }, 'Questions and answers (bundled dialogue corpus)'),
    h('option', { value: 'own' }, 'Your own text (paste below)'));
  const ownText = h('textarea', { dataset: { role: 'finetune-own' }, rows: '5', spellcheck: 'false', hidden: true, 'aria-label': 'Your own fine-tuning text',
    placeholder: 'Paste the text to fine-tune on (a few thousand characters at least).' });
  const prompt = h('input', { dataset: { role: 'finetune-prompt' }, type: 'text', autocomplete: 'off', value: 'Q: What is ' });
  const steps = h('input', { dataset: { role: 'finetune-steps' }, type: 'number', min: '10', max: '5000', step: '10', value: '300' });
  const rate = h('select', { dataset: { role: 'finetune-lr' } }, ...RATES.map((r) => h('option', { value: r, selected: r === '1e-3' }, r)));
  const go = h('button', { class: 'primary', dataset: { action: 'finetune' } }, 'Fine-tune');
  const stop = h('button', { dataset: { action: 'finetune-stop' }, disabled: true }, 'Stop');
  // Updated every training chunk: not a live region itself; `announce` says it once a second.
  const note = h('p', { class: 'hint finetune-note', dataset: { role: 'finetune-note' } });
  const announce = announcer(root);
  const tokenizerNote = h('div', { class: 'finetune-tokenizer', dataset: { role: 'finetune-tokenizer' }, hidden: true });
  const chartCanvas = h('canvas', { class: 'chart finetune-chart', dataset: { role: 'finetune-chart' }, role: 'img', 'aria-label': 'Training loss on corpus B during fine-tuning, with its validation loss before and after' });
  const valLine = h('p', { class: 'stats', dataset: { role: 'finetune-val' } });
  const beforeHead = h('h3', {}, 'Before fine-tuning');
  const afterHead = h('h3', {}, 'After fine-tuning');
  const beforeOut = h('pre', { class: 'output finetune-sample', dataset: { role: 'finetune-before' }, tabindex: '0', role: 'region', 'aria-label': 'Sample before fine-tuning' });
  const afterOut = h('pre', { class: 'output finetune-sample', dataset: { role: 'finetune-after' }, tabindex: '0', role: 'region', 'aria-label': 'Sample after fine-tuning' });
  const mainNote = h('p', { class: 'hint', dataset: { role: 'finetune-main' } });
  const results = h('div', { class: 'finetune-results', hidden: true },
    chartCanvas,
    h('p', { class: 'legend' }, h('span', { class: 'swatch train' }), 'training loss on B (smoothed)', h('span', { class: 'swatch val' }), 'validation loss on B'),
    valLine,
    h('div', { class: 'finetune-samples' }, h('div', {}, beforeHead, beforeOut), h('div', {}, afterHead, afterOut)),
    mainNote);

  root.append(
    h('p', { class: 'hint' }, 'Pre-training (your model above, on corpus A) teaches spelling, words and style from a lot of text. '
      + 'Fine-tuning takes a copy of that model and trains it briefly on a small corpus B, with a lower learning rate, to teach a new format: here questions and answers.'),
    h('div', { class: 'grid2 finetune-setup' },
      h('label', {}, 'Corpus B', corpusChoice),
      h('label', {}, 'Prompt for the samples', prompt)),
    ownText,
    h('div', { class: 'row finetune-controls' },
      h('label', {}, 'Fine-tuning steps', steps),
      h('label', {}, 'Learning rate', rate),
      go, stop),
    note, tokenizerNote, results,
  );

  // Null until the first run; everything below that reads its fields runs after fineTune set it.
  let data = /** @type {FineTuneData} */ (/** @type {unknown} */ (null));
  const experiment = new Experiment(ctx, [SESSION]);
  root.panelData = null;

  /** The empty state's hint, from the main model as it is now. */
  function idle() {
    if (experiment.running || data) return;
    if (!ctx.info) return setState(root, 'empty', 'Pre-train a model first (above); Moby Dick works best. Then fine-tune a copy of it here.');
    if (!ctx.pretrained) return setState(root, 'empty', 'Your model is untrained: pre-train it first (above), then fine-tune a copy of it here.');
    // A pre-trained model is there: the panel is ready for the reader to fine-tune a copy.
    setState(root, 'ready', `Press Fine-tune to copy your model (step ${ctx.info.step}) and train the copy on corpus B.`);
  }

  async function corpusB() {
    if (corpusChoice.value === 'own') return ownText.value;
    return ctx.loadCorpus('dialogue');
  }

  /** A sample of the copy (or why there is none: the rest of the run goes on).
   *  @param {Experiment} x @returns {Promise<Sample>} */
  async function sample(x) {
    try {
      return { text: await x.generate(SESSION, prompt.value, { seed: SEED, temperature: TEMPERATURE }, SAMPLE_TOKENS) };
    } catch (err) {
      return { error: /** @type {Error} */ (err).message };
    }
  }

  /** What the pre-trained tokenizer did to corpus B, and why.
   *  @param {SessionInfo} info @param {FineTuned} ft @param {boolean} namesA */
  function renderTokenizer(info, ft, namesA) {
    const known = info.tokenizer === 'bpe'
      ? 'It is byte-level BPE, which can encode any text as bytes, so nothing of B was dropped.'
      : `It is character-level (${info.vocabSize} characters, those of corpus A).`;
    /** @type {HTMLElement[]} */
    const parts = [h('p', {}, h('strong', {}, 'The tokenizer carries over from pre-training. '), known)];
    if (ft.unknownChars.length) {
      parts.push(h('p', {}, `A character-level vocabulary has no id for characters corpus A never contained, so ${ft.droppedChars.toLocaleString()} characters of B `
        + `(${ft.unknownChars.length} different ones) were left out before fine-tuning. Byte-level BPE would have kept them, as bytes.`));
      parts.push(h('ul', { class: 'finetune-unknown', dataset: { role: 'unknown-chars' }, 'aria-label': 'Characters of corpus B that were left out' },
        ...ft.unknownChars.map((c) => h('li', {}, charLabel(c)))));
      const basic = [' ', ':', '?'].filter((c) => ft.unknownChars.includes(c));
      if (basic.length) {
        const names = basic.map((c) => (c === ' ' ? 'spaces' : `"${c}"`));
        const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0];
        parts.push(h('p', { class: 'finetune-warning' }, `Corpus A has no ${list}${namesA ? ' (the first-names corpus holds only letters, "-" and newlines)' : ''}, `
          + 'so B loses its spaces and punctuation and the copy cannot learn its question-and-answer format. '
          + 'Pre-train on Moby Dick (choose it under Data and press Train) and fine-tune again.'));
      }
    } else if (info.tokenizer !== 'bpe') {
      parts.push(h('p', {}, 'Every character of B is in it, so nothing was left out (0 characters dropped).'));
    }
    tokenizerNote.replaceChildren(...parts);
    tokenizerNote.hidden = false;
  }

  const chartSummary = h('p', { class: 'gpt-sr-only', dataset: { role: 'chart-summary' } });
  chartCanvas.after(chartSummary);
  const chart = new LossChart(chartCanvas, { signal: ctx.signal, summary: chartSummary });
  function drawChart() {
    const css = getComputedStyle(root);
    const val = css.getPropertyValue('--accent-2');
    // Two separate one-point series: dots at the start and the end, not a line implying a curve.
    chart.setSeries([
      { label: 'Training loss on B (smoothed)', color: css.getPropertyValue('--accent'), points: smooth(data.losses) },
      { label: 'Validation loss on B before', color: val, points: Number.isFinite(data.valBefore) ? [[0, data.valBefore]] : [], markers: true },
      { label: 'Validation loss on B after', color: val, points: Number.isFinite(data.valAfter) ? [[data.losses.length, data.valAfter]] : [], markers: true },
    ]);
  }

  function renderResults() {
    results.hidden = false;
    drawChart();
    const drop = data.valBefore - data.valAfter;
    valLine.textContent = Number.isFinite(data.valAfter)
      ? `Validation loss on B: ${fmt(data.valBefore)} → ${fmt(data.valAfter)} (${drop >= 0 ? '−' : '+'}${fmt(Math.abs(drop))}) after ${data.losses.length} steps`
        + (data.rates.length ? `; learning rate warmed up to ${Math.max(...data.rates).toPrecision(2)}, decayed to ${/** @type {number} */ (data.rates.at(-1)).toPrecision(2)}.` : '.')
      : `Validation loss on B before fine-tuning: ${fmt(data.valBefore)}.`;
    beforeHead.textContent = `Before fine-tuning (step ${data.forkStep}, seed ${SEED})`;
    afterHead.textContent = `After ${data.losses.length} steps on B (same seed)`;
    beforeOut.replaceChildren(...sampleBox(data.prompt, data.before));
    afterOut.replaceChildren(...sampleBox(data.prompt, data.after));
    mainNote.textContent = Number.isFinite(data.mainStepAfter)
      ? `Your model above is unchanged: it is still at step ${data.mainStepAfter}; only the copy was fine-tuned.`
      : '';
  }

  async function fineTune() {
    if (experiment.running) return;
    if (!ctx.info?.step) return idle();
    let n;
    try {
      n = wholeNumber(steps.value, { what: 'Fine-tuning steps', min: 10, max: 5000 });
    } catch (err) {
      note.textContent = /** @type {Error} */ (err).message;
      return;
    }
    const lr = Number(rate.value);
    go.disabled = true;
    stop.disabled = false;
    data = { prompt: prompt.value, seed: SEED, steps: n, learningRate: lr, corpus: corpusChoice.value, losses: [], rates: [], valBefore: NaN, valAfter: NaN };
    root.panelData = data;
    results.hidden = true;
    tokenizerNote.hidden = true;
    setState(root, 'busy', 'Copying your model…');
    try {
      await experiment.run((x) => fineTuneCopy(x, n, lr));
    } catch (err) {
      data.error = /** @type {Error} */ (err).message;
      setState(root, 'error', `Fine-tuning failed: ${/** @type {Error} */ (err).message}`);
    }
    go.disabled = false;
    stop.disabled = true;
  }

  /** Fork, sample, fine-tune on B, sample again: the run itself (in `experiment.run`).
   *  @param {Experiment} x @param {number} n @param {number} lr */
  async function fineTuneCopy(x, n, lr) {
    const text = await corpusB();
    if (!text?.trim()) throw new Error('corpus B is empty: paste some text to fine-tune on');
    data.mainStepBefore = (await ctx.call('info')).step;
    const info = /** @type {SessionInfo} */ (await x.fork(SESSION));
    data.forkStep = info.step;
    setState(root, 'busy', 'Sampling from the copy before fine-tuning…');
    data.before = await sample(x);
    // A fresh schedule for the fine-tuning run: a short warm-up to `lr`, then a cosine decay
    // that ends `n` steps later (the step count itself carries on from pre-training).
    const training = { steps: n, learningRate: lr };
    const ft = /** @type {FineTuned} */ (await ctx.call('finetune', { session: SESSION, options: { corpus: text, seed: SEED, training } }));
    Object.assign(data, { unknownChars: ft.unknownChars, droppedChars: ft.droppedChars, trainTokens: ft.trainTokens, valTokens: ft.valTokens });
    // Whether corpus A is the bundled first names (to name the cause of the missing characters).
    const namesA = ft.unknownChars.length > 0 && ctx.sessionOptions().corpus === (await ctx.loadCorpus('names').catch(() => null));
    renderTokenizer(info, ft, namesA);
    data.valBefore = (await x.evaluate(SESSION)).val;
    renderResults();
    setState(root, 'busy', `Fine-tuning on B (${ft.trainTokens.toLocaleString()} training tokens)…`);
    // Numbered from 1 here: the copy's own step count carries on from pre-training.
    /** @type {import('./runs.js').Points} */
    const points = [];
    await x.train(SESSION, n, points, (ev) => {
      for (let i = data.losses.length; i < points.length; i++) data.losses.push([i + 1, points[i][1]]);
      data.rates.push(ev.learningRate);
      note.textContent = `Fine-tuning: step ${data.losses.length} of ${n}, loss on B ${fmt(ev.losses.at(-1))}`;
      announce(note.textContent);
      drawChart();
    });
    data.valAfter = (await x.evaluate(SESSION)).val;
    data.after = await sample(x);
    data.mainStepAfter = (await ctx.call('info')).step;
    note.textContent = data.losses.length < n ? `Stopped after ${data.losses.length} of ${n} steps.` : `Fine-tuned the copy for ${n} steps.`;
    announce(note.textContent, true);
    renderResults();
    setState(root, 'ready');
  }

  corpusChoice.addEventListener('change', () => { ownText.hidden = corpusChoice.value !== 'own'; });
  go.addEventListener('click', fineTune);
  stop.addEventListener('click', () => experiment.stop());
  ctx.events.addEventListener('model', idle);
  ctx.events.addEventListener('trained', idle);
  idle();
}
