// Masked (causal) self-attention, three ways: (a) the mask drawn over one head's live attention,
// (b) a proof by experiment that a later token cannot change an earlier prediction, and (c) an
// ablation that trains the same model without the mask, which learns to "cheat".
import { LossChart, smooth } from '../lib/chart.js';
import { coalesced, corpusSnippet, h, onWidthChange, replaceKeepingFocus, setState, throttle, uid, visible, wholeNumber } from './ui.js';
import { colourLegend, drawHeatmap, headMatrix, heatmapLayout } from './heatmap.js';
import { trainInto } from './runs.js';

const SESSIONS = { causal: 'mask:causal', nomask: 'mask:nomask' };
const LABELS = { causal: 'with the mask (causal)', nomask: 'without the mask' };
const SHORT = { causal: 'with mask', nomask: 'without' };
const SAMPLE_TOKENS = 120;
const SAMPLING = { temperature: 0.8, seed: 1 };

/** Softmax of one logits row: the most likely next token and its probability. */
function topPrediction(logits, t, V) {
  const row = logits.slice(t * V, (t + 1) * V);
  let best = 0;
  for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
  let sum = 0;
  for (const l of row) sum += Math.exp(l - row[best]);
  return { id: best, p: 1 / sum };
}

/** Largest |difference| between two logits rows (position t of each). */
function maxDelta(a, b, t, V) {
  let m = 0;
  for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(a[t * V + v] - b[t * V + v]));
  return m;
}

/** Letters of the corpus, sorted: candidates for the replacement character. */
function corpusLetters(corpus) {
  const seen = new Set(corpus.slice(0, 50_000));
  const letters = [...seen].filter((c) => /\p{L}/u.test(c)).sort();
  return letters.length ? letters : [...seen].filter((c) => c !== '\n').sort();
}

const fmtP = (p) => `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;
const fmtDelta = (d) => (d === 0 ? '0' : d < 0.001 ? d.toExponential(1) : d.toFixed(3));

export function mount(root, ctx) {
  const ids = { replacement: uid('mask-replacement'), steps: uid('mask-steps') };
  // ---------- elements ----------
  const prompt = h('textarea', { dataset: { role: 'mask-prompt' }, rows: '2', spellcheck: 'false', autocomplete: 'off' });
  const show = h('button', { dataset: { action: 'mask-inspect' } }, 'Inspect');
  const layerSel = h('select', { dataset: { role: 'mask-layer' }, 'aria-label': 'Layer' });
  const headSel = h('select', { dataset: { role: 'mask-head' }, 'aria-label': 'Head' });
  const grid = h('canvas', { class: 'mask-grid' });
  const gridWrap = h('div', { class: 'mask-grid-wrap' }, grid);
  const chips = h('div', { class: 'mask-chips', role: 'group', 'aria-label': 'Choose the token to change' });
  const replacement = h('input', { id: ids.replacement, dataset: { role: 'mask-replacement' }, type: 'text', maxlength: '2', autocomplete: 'off', spellcheck: 'false' });
  const change = h('button', { class: 'primary', dataset: { action: 'mask-change' } }, 'Change it and compare');
  const proofNote = h('p', { class: 'mask-proof-note', 'aria-live': 'polite' });
  const table = h('table', { class: 'mask-table' });
  const live = h('div', { class: 'mask-live' },
    h('h3', {}, 'The mask over the attention'),
    h('p', { class: 'hint' }, 'Each row is one position (the query). Cells right of the diagonal are the future: their scores are set to −∞ before the '
      + 'softmax, so their weight after it is exactly 0 and each row shares its 100% among the positions up to itself.'),
    h('div', { class: 'row mask-controls' },
      h('label', { class: 'mask-prompt-label' }, 'Prompt (keep it short)', prompt), show),
    h('div', { class: 'row mask-controls' }, h('label', {}, 'Layer ', layerSel), h('label', {}, 'Head ', headSel)),
    gridWrap,
    h('div', { class: 'mask-legends' }, colourLegend('mask'),
      h('span', { class: 'mask-key' }, h('span', { class: 'mask-hatch' }), 'masked: −∞ before softmax → 0 after')),
    h('h3', {}, 'Proof: change a later token'),
    h('p', { class: 'hint' }, 'Pick a token, replace it with another character and compare the model’s predictions for every position before and after the edit. '
      + 'Position t only sees tokens up to t, so a change at a later position cannot reach it: its logits stay bit-for-bit the same.'),
    chips,
    h('div', { class: 'row mask-edit-row' }, h('label', { for: ids.replacement }, 'Replace it with'), replacement, change),
    proofNote,
    h('div', { class: 'mask-table-wrap' }, table),
  );
  live.hidden = true;

  const steps = h('input', { id: ids.steps, dataset: { role: 'mask-steps' }, type: 'number', min: '10', max: '5000', value: '1000' });
  const trainBoth = h('button', { class: 'primary', dataset: { action: 'mask-ablate' } }, 'Train both');
  const stop = h('button', { dataset: { action: 'mask-stop' }, disabled: true }, 'Stop');
  const ablationStatus = h('p', { class: 'hint mask-ablation-status', 'aria-live': 'polite' });
  const chartCanvas = h('canvas', { class: 'mask-chart', 'aria-label': 'Training loss per step of the model with the mask and the model without it' });
  const results = h('div', { class: 'mask-results' });
  const ablation = h('div', { class: 'mask-ablation', dataset: { ablation: 'idle' } },
    h('h3', {}, 'Train without the mask'),
    h('p', { class: 'hint' }, 'Two fresh models, same corpus, seed and number of steps, trained side by side: one as usual, one with the mask switched off. '
      + 'Without the mask every position can read the very token it has to predict. The model usually finds that trick suddenly, '
      + 'after a few hundred steps (with the tiny preset, 1000 steps take about half a minute): watch the orange curve fall off a cliff.'),
    h('div', { class: 'row mask-edit-row' }, h('label', { for: ids.steps }, 'Steps each'), steps, trainBoth, stop),
    ablationStatus,
    chartCanvas,
    h('p', { class: 'legend' }, h('span', { class: 'swatch train' }), ' training loss with the mask ', h('span', { class: 'swatch val' }), ' without the mask (dashed; both smoothed)'),
    results,
  );
  root.append(live, ablation);
  const chartSummary = h('p', { class: 'gpt-sr-only', dataset: { role: 'chart-summary' } });
  chartCanvas.after(chartSummary);
  const chart = new LossChart(chartCanvas, { signal: ctx.signal, summary: chartSummary });

  // ---------- (a) and (b): the mask and the proof ----------
  const proof = { busy: false, comparing: null, data: null, tokenized: null, position: -1, result: null, error: null, edited: false, vocab: null };
  const abl = { running: false, done: false, error: null, phase: '', stopped: false, points: { causal: [], nomask: [] }, out: null };

  function defaultPrompt() {
    return corpusSnippet(ctx.corpus, ctx.prompt, 12);
  }

  /** The vocabulary's readable tokens (for the predictions), fetched once per model. */
  async function vocabulary() {
    if (!proof.vocab) proof.vocab = (await ctx.call('embeddings', {})).tokens;
    return proof.vocab;
  }

  /** Tokenize `text` with the model's tokenizer and keep only its last `block` tokens. */
  async function tokenizeCropped(text) {
    const block = ctx.info.config.block_size;
    const tk = await ctx.call('tokenize', { text });
    if (tk.ids.length <= block) return { text, tk };
    const from = tk.spans[tk.ids.length - block][0];
    return tokenizeCropped(text.slice(from));
  }

  /** Inspect the prompt (for the grid) and run the proof at the chosen position. */
  // One at a time; a request made meanwhile runs once after it.
  const inspectAndProve = coalesced(async () => {
    await proof.comparing; // a comparison the reader asked for finishes first
    if (!ctx.info) return showEmpty();
    proof.busy = true;
    proof.error = null;
    updateState('Running the prompt through your model…');
    const step = ctx.info.step;
    try {
      if (!proof.edited) prompt.value = defaultPrompt();
      const { text, tk } = await tokenizeCropped(prompt.value || defaultPrompt());
      const data = await ctx.call('inspect', { text });
      proof.data = { ...data, text, step };
      proof.tokenized = tk;
      const T = data.tokens.length;
      if (proof.position < 1 || proof.position >= T) {
        proof.position = Math.max(0, T - 1 - Math.floor(T / 3));
        suggestReplacement();
      }
      fillSelects();
      live.hidden = false;
      drawGrid();
      drawChips();
      await compare();
    } catch (err) {
      proof.error = `Could not run the prompt: ${err.message}`;
    } finally {
      proof.busy = false;
      updateState();
    }
  });

  function fillSelects() {
    const d = proof.data;
    const fill = (sel, n, name) => {
      const keep = Math.min(Number(sel.value) || 0, n - 1);
      sel.replaceChildren(...Array.from({ length: n }, (_, i) => new Option(`${name} ${i + 1}`, String(i))));
      sel.value = String(keep);
    };
    fill(layerSel, d.n_layer, 'layer');
    fill(headSel, d.n_head, 'head');
  }

  function drawGrid() {
    const d = proof.data;
    const labels = d.tokenStrings.map(visible);
    const layout = heatmapLayout(labels, gridWrap.clientWidth || 320, { maxCell: 34 });
    const layer = Number(layerSel.value);
    const head = Number(headSel.value);
    const weights = headMatrix(d, layer, head);
    grid.setAttribute('aria-label', `Causal mask over the attention of layer ${layer + 1} head ${head + 1}: cells above the diagonal are masked and weigh 0`);
    drawHeatmap(grid, weights, labels, layout, { masked: true, values: true });
    proof.grid = { layer, head, T: labels.length, weights: Array.from(weights) };
    publish();
  }

  function drawChips() {
    const d = proof.data;
    replaceKeepingFocus(chips, h('span', { class: 'mask-chips-label' }, 'Token to change:'), ...d.tokenStrings.map((t, i) => h('button', {
      class: 'mask-chip', 'aria-pressed': String(i === proof.position), dataset: { index: i }, 'aria-label': `position ${i}: ${visible(t)}`,
      onclick: () => {
        proof.position = i;
        suggestReplacement();
        drawChips();
      },
    }, visible(t))));
  }

  /** Another character from the corpus for the chosen position (the next letter, cyclically). */
  function suggestReplacement() {
    const d = proof.data;
    const current = d ? d.tokenStrings[proof.position] : '';
    const letters = corpusLetters(ctx.corpus);
    const at = letters.indexOf(current);
    const next = letters[(at + 1) % letters.length];
    replacement.value = next === current ? letters[(at + 2) % letters.length] ?? '' : next ?? '';
  }

  /** Run the edited text and fill the table: position by position, before vs after. */
  async function compare() {
    const d = proof.data;
    const p = proof.position;
    const r = replacement.value;
    const tk = proof.tokenized;
    if ([...r].length !== 1) throw new Error('type exactly one character to put in its place');
    if (ctx.info.tokenizer === 'char' && !ctx.corpus.includes(r)) {
      throw new Error(`“${r}” never occurs in the corpus, so this character-level model has no token for it; pick a character from the corpus`);
    }
    const [from, to] = tk.spans[p];
    const edited = d.text.slice(0, from) + r + d.text.slice(to);
    if (edited === d.text) throw new Error('the replacement is the same as the token: choose another character');
    const [after, vocab] = await Promise.all([ctx.call('inspect', { text: edited }), vocabulary()]);
    const V = d.vocab_size;
    const T = Math.min(d.tokens.length, after.tokens.length);
    // The first position whose input differs (the edited one; with BPE a merge may start earlier).
    let first = 0;
    while (first < T && d.tokens[first] === after.tokens[first]) first++;
    const rows = [];
    for (let t = 0; t < Math.max(d.tokens.length, after.tokens.length); t++) {
      const before = t < d.tokens.length ? topPrediction(d.logits, t, V) : null;
      const next = t < after.tokens.length ? topPrediction(after.logits, t, V) : null;
      rows.push({
        t,
        inBefore: d.tokenStrings[t] ?? null,
        inAfter: after.tokenStrings[t] ?? null,
        before: before && { token: vocab[before.id], p: before.p },
        after: next && { token: vocab[next.id], p: next.p },
        delta: t < T ? maxDelta(d.logits, after.logits, t, V) : null,
      });
    }
    proof.result = { text: d.text, edited, position: p, first, rows, step: d.step };
    drawTable();
    publish();
  }

  function drawTable() {
    const { rows, first, position } = proof.result;
    const cell = (pred) => (pred ? `“${visible(pred.token)}” ${fmtP(pred.p)}` : '–');
    table.replaceChildren(
      h('caption', {}, 'Most likely next token at each position, before and after the edit'),
      h('thead', {}, h('tr', {}, ...['pos', 'input', 'predicted before', 'after', 'max |Δ logit|', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map((row) => {
        const same = row.delta === 0;
        const input = row.inBefore === row.inAfter ? visible(row.inBefore ?? '') : `${visible(row.inBefore ?? '–')} → ${visible(row.inAfter ?? '–')}`;
        return h('tr', { class: `${same ? 'mask-same' : 'mask-changed'}${row.t === position ? ' mask-edited' : ''}`, dataset: { pos: row.t } },
          h('td', {}, String(row.t)),
          h('td', { class: 'mask-token' }, input),
          h('td', { class: 'mask-token' }, cell(row.before)),
          h('td', { class: 'mask-token' }, cell(row.after)),
          h('td', { class: 'mask-num' }, row.delta === null ? '–' : fmtDelta(row.delta)),
          h('td', { class: 'mask-verdict' }, same ? 'identical' : row.t < first ? 'changed!' : 'changed'));
      })),
    );
    const earlier = rows.filter((r) => r.t < first);
    const later = rows.filter((r) => r.t >= first && r.delta !== null);
    const allSame = earlier.every((r) => r.delta === 0);
    const biggest = Math.max(0, ...later.map((r) => r.delta));
    proofNote.replaceChildren(
      earlier.length === 0
        ? 'The first token was changed, so there is no earlier position to compare: pick a later one.'
        : allSame
          ? h('span', {}, h('strong', {}, `Positions 0–${first - 1}: max |Δ logit| = 0, identical. `),
            `From position ${first} on, where the changed token is visible, the logits move by up to ${fmtDelta(biggest)}.`)
          : h('strong', {}, 'An earlier position changed: this model is not causal (is the mask switched off?).'),
    );
  }

  function showEmpty() {
    proof.data = null;
    proof.result = null;
    live.hidden = true;
    updateState();
  }

  // ---------- (c): the ablation ----------
  const redrawChart = throttle(drawChart, 400);
  function drawChart() {
    const css = getComputedStyle(root);
    chart.setSeries([
      { label: LABELS.causal, color: css.getPropertyValue('--accent'), points: smooth(abl.points.causal) },
      { label: LABELS.nomask, color: css.getPropertyValue('--accent-2'), points: smooth(abl.points.nomask), dashed: true },
    ]);
  }

  function setPhase(phase, message) {
    abl.phase = phase;
    ablation.dataset.ablation = phase;
    ablationStatus.textContent = message;
    updateState();
  }

  async function runAblation() {
    let n;
    try {
      n = wholeNumber(steps.value, { what: 'Steps', min: 10, max: 5000 });
    } catch (err) {
      setPhase('error', err.message);
      return;
    }
    Object.assign(abl, { running: true, done: false, error: null, stopped: false, points: { causal: [], nomask: [] }, out: null });
    results.replaceChildren();
    refreshButtons();
    drawChart();
    try {
      setPhase('building', 'Building two fresh models: one with the causal mask, one without…');
      for (const name of Object.values(SESSIONS)) await ctx.call('drop', { session: name }).catch(() => {});
      const options = {
        causal: ctx.sessionOptions({ training: { steps: n } }),
        nomask: ctx.sessionOptions({ model: { causal: false }, training: { steps: n } }),
      };
      for (const key of Object.keys(SESSIONS)) await ctx.call('init', { session: SESSIONS[key], options: options[key] });
      if (abl.stopped) return finishStopped(n);
      setPhase('training', `Training both models for ${n} steps each (they take turns on the worker${ctx.training ? ', with your main model' : ''})…`);
      await Promise.all(Object.keys(SESSIONS).map((key) => trainInto(ctx, SESSIONS[key], n, abl.points[key], redrawChart)));
      drawChart();
      if (abl.stopped) return finishStopped(n);
      setPhase('evaluating', 'Estimating both models’ loss on training and validation batches…');
      const evals = {};
      for (const key of Object.keys(SESSIONS)) evals[key] = await ctx.call('evaluate', { session: SESSIONS[key] });
      setPhase('generating', `Writing ${SAMPLE_TOKENS} tokens with each model (same prompt, temperature ${SAMPLING.temperature}, seed ${SAMPLING.seed})…`);
      const samples = {};
      for (const key of Object.keys(SESSIONS)) {
        samples[key] = (await ctx.call('generate', { session: SESSIONS[key], prompt: ctx.prompt, sampling: SAMPLING, maxTokens: SAMPLE_TOKENS })).text;
      }
      if (abl.stopped) return finishStopped(n);
      abl.out = summarise(n, evals, samples);
      abl.done = true;
      drawResults();
      setPhase('done', `Done: ${n} steps each.`);
    } catch (err) {
      abl.error = `The ablation failed: ${err.message}`;
      setPhase('error', abl.error);
    } finally {
      // The results are drawn: the two models are not needed any more (nor their memory).
      for (const name of Object.values(SESSIONS)) ctx.call('drop', { session: name }).catch(() => {});
      abl.running = false;
      refreshButtons();
      publish();
      updateState();
    }
  }

  function finishStopped(n) {
    const got = Math.min(abl.points.causal.length, abl.points.nomask.length);
    setPhase('stopped', `Stopped after ${got} of ${n} steps. Press Train both to start again.`);
  }

  function summarise(n, evals, samples) {
    const out = { steps: n, prompt: ctx.prompt };
    for (const key of Object.keys(SESSIONS)) {
      out[key] = {
        trainLoss: smooth(abl.points[key]).at(-1)?.[1] ?? NaN,
        trainEstimate: evals[key].train,
        val: evals[key].val,
        sample: samples[key],
        curve: abl.points[key].map((p) => p[1]),
      };
    }
    return out;
  }

  function drawResults() {
    const o = abl.out;
    const f = (x) => x.toFixed(3);
    const sample = (key) => h('figure', { class: `mask-sample mask-${key}` },
      h('figcaption', {}, LABELS[key]),
      h('pre', { class: 'output', dataset: { role: `sample-${key}` } }, h('span', { class: 'prompt' }, o.prompt), o[key].sample));
    results.replaceChildren(
      h('div', { class: 'mask-table-wrap' }, h('table', { class: 'mask-table mask-losses' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, SHORT.causal), h('th', { scope: 'col' }, SHORT.nomask))),
        h('tbody', {},
          h('tr', {}, h('th', { scope: 'row' }, 'training loss (smoothed)'), h('td', { class: 'mask-num' }, f(o.causal.trainLoss)), h('td', { class: 'mask-num' }, f(o.nomask.trainLoss))),
          h('tr', {}, h('th', { scope: 'row' }, 'validation loss'), h('td', { class: 'mask-num' }, f(o.causal.val)), h('td', { class: 'mask-num' }, f(o.nomask.val)))))),
      h('div', { class: 'mask-samples' }, sample('causal'), sample('nomask')),
      h('p', { class: 'mask-explain' }, explain(o)),
    );
  }

  /** What the numbers of this run say, in words. */
  function explain(o) {
    const f = (x) => x.toFixed(3);
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

  function refreshButtons() {
    trainBoth.disabled = abl.running || ctx.training;
    trainBoth.title = ctx.training ? 'Wait until your main model has finished training (Pre-train, above)' : '';
    stop.disabled = !abl.running;
  }

  async function onStop() {
    abl.stopped = true;
    const what = abl.phase === 'generating' ? 'generate' : 'train';
    await Promise.all(Object.values(SESSIONS).map((session) => ctx.call('stop', { session, what }).catch(() => {})));
  }

  // ---------- state shared by the parts ----------
  function updateState(message) {
    const error = proof.error ?? abl.error;
    if (proof.busy || abl.running) setState(root, 'busy', message ?? (abl.running ? ablationStatus.textContent : 'Working…'));
    else if (error) setState(root, 'error', error);
    else if (proof.data || abl.done) setState(root, 'ready', proof.data ? '' : 'Train a model (Pre-train, above) to see the mask over its attention and the proof.');
    else setState(root, 'empty', 'Train a model (Pre-train, above) to see the mask over its attention; the ablation below builds two models of its own.');
  }

  function publish() {
    root.panelData = {
      grid: proof.grid ?? null,
      proof: proof.result && {
        step: proof.result.step, text: proof.result.text, edited: proof.result.edited, position: proof.result.position, first: proof.result.first,
        maxDelta: proof.result.rows.map((r) => r.delta), before: proof.result.rows.map((r) => r.before), after: proof.result.rows.map((r) => r.after),
      },
      ablation: abl.out && { ...abl.out, done: abl.done },
    };
  }

  // ---------- wiring ----------
  layerSel.addEventListener('change', drawGrid);
  headSel.addEventListener('change', drawGrid);
  show.addEventListener('click', () => {
    proof.edited = prompt.value !== '' && prompt.value !== defaultPrompt();
    inspectAndProve();
  });
  change.addEventListener('click', () => {
    if (!proof.data || proof.busy) return;
    proof.busy = true;
    proof.error = null;
    updateState('Comparing the predictions…');
    proof.comparing = compare().catch((err) => {
      proof.error = `Could not compare: ${err.message}`;
    }).finally(() => {
      proof.busy = false;
      proof.comparing = null;
      updateState();
    });
  });
  replacement.addEventListener('keydown', (e) => e.key === 'Enter' && change.click());
  trainBoth.addEventListener('click', runAblation);
  stop.addEventListener('click', onStop);
  onWidthChange(root, () => {
    if (proof.data && !live.hidden) drawGrid();
  }, ctx.signal);

  ctx.events.addEventListener('progress', refreshButtons);
  ctx.events.addEventListener('trained', () => {
    refreshButtons();
    inspectAndProve();
  });
  ctx.events.addEventListener('model', (e) => {
    proof.vocab = null;
    refreshButtons();
    if (!e.detail) showEmpty();
    else if (!ctx.training) inspectAndProve();
  });
  prompt.value = defaultPrompt();
  publish();
  refreshButtons();
  if (ctx.info) inspectAndProve();
  else updateState();
}
