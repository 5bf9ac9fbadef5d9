// @ts-check
// Masked (causal) self-attention, three ways: (a) the mask drawn over one head's live attention,
// (b) a proof by experiment that a later token cannot change an earlier prediction, and (c) an
// ablation that trains the same model without the mask, which learns to "cheat" (mask-ablation.js).
import { coalesced, corpusSnippet, h, onWidthChange, replaceKeepingFocus, setState, uid, visible } from './ui.js';
import { colourLegend, drawHeatmap, headMatrix, heatmapLayout } from './heatmap.js';
import { maskAblation } from './mask-ablation.js';

/** @typedef {import('../lib/mount.js').PanelContext} PanelContext */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').Tokenized} Tokenized */
/** An inspection with the training step and the prompt it was made of.
 *  @typedef {import('../pkg/cpu/gpt_wasm.js').Inspection & {step: number, text: string}} Inspected */
/** @typedef {{token: string, p: number}} Prediction */
/** One position of the proof: its input and top prediction before and after the edit.
 *  @typedef {{t: number, inBefore: string | null, inAfter: string | null, before: Prediction | null, after: Prediction | null, delta: number | null}} ProofRow */
/** @typedef {{text: string, edited: string, position: number, first: number, rows: ProofRow[], step: number}} ProofResult */
/**
 * The state of parts (a) and (b).
 * @typedef {object} Proof
 * @property {boolean} busy
 * @property {Promise<void> | null} comparing A comparison the reader asked for, while it runs.
 * @property {Inspected | null} data
 * @property {Tokenized | null} tokenized
 * @property {number} position The token to change.
 * @property {ProofResult | null} result
 * @property {string | null} error
 * @property {boolean} edited The reader edited the prompt.
 * @property {string[] | null} vocab
 * @property {{layer: number, head: number, T: number, weights: number[]}} [grid] What the grid drew.
 */

/** Softmax of one logits row: the most likely next token and its probability.
 *  @param {number[]} logits @param {number} t @param {number} V */
function topPrediction(logits, t, V) {
  const row = logits.slice(t * V, (t + 1) * V);
  let best = 0;
  for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
  let sum = 0;
  for (const l of row) sum += Math.exp(l - row[best]);
  return { id: best, p: 1 / sum };
}

/** Largest |difference| between two logits rows (position t of each).
 *  @param {number[]} a @param {number[]} b @param {number} t @param {number} V */
function maxDelta(a, b, t, V) {
  let m = 0;
  for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(a[t * V + v] - b[t * V + v]));
  return m;
}

/** Letters of the corpus, sorted: candidates for the replacement character. @param {string} corpus */
function corpusLetters(corpus) {
  const seen = new Set(corpus.slice(0, 50_000));
  const letters = [...seen].filter((c) => /\p{L}/u.test(c)).sort();
  return letters.length ? letters : [...seen].filter((c) => c !== '\n').sort();
}

const fmtP = (/** @type {number} */ p) => `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;
const fmtDelta = (/** @type {number} */ d) => (d === 0 ? '0' : d < 0.001 ? d.toExponential(1) : d.toFixed(3));

/** @param {HTMLElement & {panelData?: unknown}} root @param {PanelContext} ctx */
export function mount(root, ctx) {
  const ids = { replacement: uid('mask-replacement') };
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

  const ablation = maskAblation(ctx, () => {
    publish();
    updateState();
  });
  root.append(live, ablation.element);

  // ---------- (a) and (b): the mask and the proof ----------
  /** @type {Proof} */
  const proof = { busy: false, comparing: null, data: null, tokenized: null, position: -1, result: null, error: null, edited: false, vocab: null };

  function defaultPrompt() {
    return corpusSnippet(ctx.corpus, ctx.prompt, 12);
  }

  /** The vocabulary's readable tokens (for the predictions), fetched once per model. */
  async function vocabulary() {
    if (!proof.vocab) proof.vocab = /** @type {import('../pkg/cpu/gpt_wasm.js').Embeddings} */ (await ctx.call('embeddings', {})).tokens;
    return proof.vocab;
  }

  /** Tokenize `text` with the model's tokenizer and keep only its last `block` tokens.
   *  @param {string} text @returns {Promise<{text: string, tk: Tokenized}>} */
  async function tokenizeCropped(text) {
    const block = ctx.info.config.block_size;
    const tk = /** @type {Tokenized} */ (await ctx.call('tokenize', { text }));
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
      const data = /** @type {import('../pkg/cpu/gpt_wasm.js').Inspection} */ (await ctx.call('inspect', { text }));
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
      proof.error = `Could not run the prompt: ${/** @type {Error} */ (err).message}`;
    } finally {
      proof.busy = false;
      updateState();
    }
  });

  // These four run only while proof.data is set.
  function fillSelects() {
    const d = /** @type {Inspected} */ (proof.data);
    /** @param {HTMLSelectElement} sel @param {number} n @param {string} name */
    const fill = (sel, n, name) => {
      const keep = Math.min(Number(sel.value) || 0, n - 1);
      sel.replaceChildren(...Array.from({ length: n }, (_, i) => new Option(`${name} ${i + 1}`, String(i))));
      sel.value = String(keep);
    };
    fill(layerSel, d.n_layer, 'layer');
    fill(headSel, d.n_head, 'head');
  }

  function drawGrid() {
    const d = /** @type {Inspected} */ (proof.data);
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
    const d = /** @type {Inspected} */ (proof.data);
    replaceKeepingFocus(chips, h('span', { class: 'mask-chips-label' }, 'Token to change:'), ...d.tokenStrings.map((t, i) => h('button', {
      class: 'mask-chip', 'aria-pressed': String(i === proof.position), dataset: { index: String(i) }, 'aria-label': `position ${i}: ${visible(t)}`,
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
    const d = /** @type {Inspected} */ (proof.data);
    const p = proof.position;
    const r = replacement.value;
    const tk = /** @type {Tokenized} */ (proof.tokenized);
    if ([...r].length !== 1) throw new Error('type exactly one character to put in its place');
    if (ctx.info.tokenizer === 'char' && !ctx.corpus.includes(r)) {
      throw new Error(`“${r}” never occurs in the corpus, so this character-level model has no token for it; pick a character from the corpus`);
    }
    const [from, to] = tk.spans[p];
    const edited = d.text.slice(0, from) + r + d.text.slice(to);
    if (edited === d.text) throw new Error('the replacement is the same as the token: choose another character');
    const [after, vocab] = await Promise.all([/** @type {Promise<import('../pkg/cpu/gpt_wasm.js').Inspection>} */ (ctx.call('inspect', { text: edited })), vocabulary()]);
    const V = d.vocab_size;
    const T = Math.min(d.tokens.length, after.tokens.length);
    // The first position whose input differs (the edited one; with BPE a merge may start earlier).
    let first = 0;
    while (first < T && d.tokens[first] === after.tokens[first]) first++;
    /** @type {ProofRow[]} */
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
    const { rows, first, position } = /** @type {ProofResult} */ (proof.result); // drawn after compare() set it
    const cell = (/** @type {Prediction | null} */ pred) => (pred ? `“${visible(pred.token)}” ${fmtP(pred.p)}` : '–');
    table.replaceChildren(
      h('caption', {}, 'Most likely next token at each position, before and after the edit'),
      h('thead', {}, h('tr', {}, ...['pos', 'input', 'predicted before', 'after', 'max |Δ logit|', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map((row) => {
        const same = row.delta === 0;
        const input = row.inBefore === row.inAfter ? visible(row.inBefore ?? '') : `${visible(row.inBefore ?? '–')} → ${visible(row.inAfter ?? '–')}`;
        return h('tr', { class: `${same ? 'mask-same' : 'mask-changed'}${row.t === position ? ' mask-edited' : ''}`, dataset: { pos: String(row.t) } },
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
    const biggest = Math.max(0, ...later.map((r) => /** @type {number} */ (r.delta)));
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

  // ---------- state shared by the parts ----------
  /** @param {string} [message] */
  function updateState(message) {
    const error = proof.error ?? ablation.error;
    if (proof.busy || ablation.running) setState(root, 'busy', message ?? (ablation.running ? ablation.status : 'Working…'));
    else if (error) setState(root, 'error', error);
    else if (proof.data || ablation.done) setState(root, 'ready', proof.data ? '' : 'Train a model (Pre-train, above) to see the mask over its attention and the proof.');
    else setState(root, 'empty', 'Train a model (Pre-train, above) to see the mask over its attention; the ablation below builds two models of its own.');
  }

  function publish() {
    root.panelData = {
      grid: proof.grid ?? null,
      proof: proof.result && {
        step: proof.result.step, text: proof.result.text, edited: proof.result.edited, position: proof.result.position, first: proof.result.first,
        maxDelta: proof.result.rows.map((r) => r.delta), before: proof.result.rows.map((r) => r.before), after: proof.result.rows.map((r) => r.after),
      },
      ablation: ablation.data(),
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
  onWidthChange(root, () => {
    if (proof.data && !live.hidden) drawGrid();
  }, ctx.signal);

  ctx.events.addEventListener('progress', ablation.refresh);
  ctx.events.addEventListener('trained', () => {
    ablation.refresh();
    inspectAndProve();
  });
  ctx.events.addEventListener('model', (e) => {
    proof.vocab = null;
    ablation.refresh();
    if (!/** @type {CustomEvent} */ (e).detail) showEmpty();
    else if (!ctx.training) inspectAndProve();
  });
  prompt.value = defaultPrompt();
  publish();
  ablation.refresh();
  if (ctx.info) inspectAndProve();
  else updateState();
}
