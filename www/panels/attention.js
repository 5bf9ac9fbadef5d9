// @ts-check
// Self-attention: for a prompt, every layer and head of the reader's model turns each position
// (a query) into a probability distribution over the positions it may look at (the keys). The
// small multiples show all heads at once; the large view and the bars show one head and one token.
import { blues, coalesced, corpusSnippet, h, onWidthChange, replaceKeepingFocus, setState, visible } from './ui.js';
import { colourLegend, drawHeatmap, drawThumb, headMatrix, heatmapLayout } from './heatmap.js';

/** An inspection with the training step and the prompt it was made of.
 *  @typedef {import('../pkg/cpu/gpt_wasm.js').Inspection & {step: number, text: string}} Inspected */

/** @param {HTMLElement & {panelData?: unknown}} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  // A textarea, not an input: an input would drop the newlines that separate lines of the corpus.
  const prompt = h('textarea', { dataset: { role: 'attention-prompt' }, rows: '2', autocomplete: 'off', spellcheck: 'false' });
  const inspect = h('button', { class: 'primary', dataset: { action: 'inspect' } }, 'Inspect');
  const thumbs = h('div', { class: 'attention-thumbs', role: 'group', 'aria-label': 'Layers and heads: choose one to enlarge' });
  const bigTitle = h('h3', { class: 'attention-title' });
  const big = h('canvas', { class: 'attention-big', tabindex: '0' });
  const bigWrap = h('div', { class: 'attention-big-wrap' }, big);
  const chips = h('div', { class: 'attention-chips', role: 'group', 'aria-label': 'Choose a query token' });
  const sentence = h('p', { class: 'attention-sentence' });
  const shaded = h('p', { class: 'attention-shaded', 'aria-label': 'The prompt, each earlier token shaded by how much the chosen token attends to it' });
  // Scrolls when long: focusable, so a keyboard can scroll it too.
  const bars = h('ol', { class: 'attention-bars', dataset: { role: 'attention-bars' }, tabindex: '0', 'aria-label': 'Attention weights of the chosen token' });
  const body = h('div', { class: 'attention-body' },
    h('div', { class: 'attention-top' }, thumbs, h('p', { class: 'hint' }, 'Each row of a heatmap is one token (the query) looking back: its weights over the earlier tokens (the keys) are a probability '
      + 'distribution, so every row sums to 1 and nothing right of the diagonal is used. Each head learns its own pattern: '
      + 'compare the small maps (one per layer and head) and look for a head that always looks at the previous token, or at the start of a word or line. Press Ctrl+Enter in the prompt to inspect again.')),
    h('div', { class: 'attention-cols' },
      h('div', { class: 'attention-main' }, bigTitle, bigWrap, colourLegend('attention'),
        h('p', { class: 'hint' }, 'Rows: queries, columns: keys. Click a row (or a token below) to see what it attends to.')),
      h('div', { class: 'attention-detail' },
        h('h3', {}, 'What one token attends to'), chips, sentence, shaded, bars)),
  );
  body.hidden = true;
  root.append(
    h('div', { class: 'row attention-controls' },
      h('label', { class: 'attention-prompt-label' }, 'Prompt', prompt), inspect),
    body,
  );

  /** @type {{data: Inspected | null, layer: number, head: number, query: number, edited: boolean, weights?: number[]}} */
  const state = { data: null, layer: 0, head: 0, query: -1, edited: false };

  function defaultPrompt() {
    const block = ctx.info?.config.block_size ?? 32;
    return corpusSnippet(ctx.corpus, ctx.prompt, Math.min(block, 32));
  }

  // One inspection at a time; a request made meanwhile runs once after it.
  const run = coalesced(async () => {
    if (!ctx.info) {
      showEmpty();
      return;
    }
    inspect.disabled = true;
    if (!state.edited) prompt.value = defaultPrompt();
    setState(root, 'busy', 'Running the prompt through your model…');
    const step = ctx.info.step;
    try {
      const text = prompt.value || defaultPrompt();
      const data = /** @type {import('../pkg/cpu/gpt_wasm.js').Inspection} */ (await ctx.call('inspect', { text }));
      state.data = { ...data, step, text };
      if (state.layer >= data.n_layer) state.layer = 0;
      if (state.head >= data.n_head) state.head = 0;
      const T = data.tokens.length;
      if (state.query < 0 || state.query >= T) state.query = T - 1;
      body.hidden = false;
      render();
      setState(root, 'ready', !ctx.pretrained ? 'This model is untrained (step 0): expect nearly uniform attention. Train it and inspect again.' : '');
    } catch (err) {
      setState(root, 'error', `Could not inspect the prompt: ${/** @type {Error} */ (err).message}`);
    } finally {
      inspect.disabled = false;
    }
  });

  function showEmpty() {
    state.data = null;
    root.panelData = null;
    body.hidden = true;
    setState(root, 'empty', 'Train a model (Pre-train, above) to see its attention heatmaps.');
  }

  function render() {
    renderThumbs();
    renderBig();
    renderQuery();
    publish();
  }

  // These draw state.data: called only once an inspection is in it.
  function renderThumbs() {
    const d = /** @type {Inspected} */ (state.data);
    const T = d.tokens.length;
    const avail = Math.max(200, root.clientWidth - 40);
    const size = Math.max(44, Math.min(110, Math.floor((avail - (d.n_head - 1) * 8) / d.n_head) - 10));
    thumbs.style.gridTemplateColumns = `repeat(${d.n_head}, ${size + 10}px)`;
    thumbs.replaceChildren();
    for (let l = 0; l < d.n_layer; l++) {
      for (let hd = 0; hd < d.n_head; hd++) {
        const name = `layer ${l + 1} head ${hd + 1}`;
        const canvas = h('canvas', { 'aria-label': `Attention heatmap of ${name}` });
        const selected = l === state.layer && hd === state.head;
        const button = h('button', {
          class: 'attention-thumb', 'aria-pressed': String(selected), dataset: { layer: String(l), head: String(hd) }, title: `Enlarge ${name}`,
          onclick: () => select(l, hd),
        }, canvas, h('span', {}, name));
        drawThumb(canvas, headMatrix(d, l, hd), T, size);
        thumbs.append(button);
      }
    }
  }

  /** @param {number} layer @param {number} head */
  function select(layer, head) {
    state.layer = layer;
    state.head = head;
    // A NodeList is iterable in every browser (the checked lib lacks dom.iterable); every thumb has data-layer and data-head.
    for (const b of /** @type {NodeListOf<HTMLButtonElement> & Iterable<HTMLButtonElement>} */ (thumbs.querySelectorAll('button'))) {
      b.setAttribute('aria-pressed', String(+(/** @type {string} */ (b.dataset.layer)) === layer && +(/** @type {string} */ (b.dataset.head)) === head));
    }
    renderBig();
    renderQuery();
    publish();
  }

  /** @type {import('./heatmap.js').HeatmapLayout | null} */
  let layout = null;
  function renderBig() {
    const d = /** @type {Inspected} */ (state.data);
    const labels = d.tokenStrings.map(visible);
    const avail = bigWrap.clientWidth || 320;
    layout = heatmapLayout(labels, avail);
    bigTitle.textContent = `Layer ${state.layer + 1}, head ${state.head + 1}`;
    big.setAttribute('aria-label', `Attention of layer ${state.layer + 1} head ${state.head + 1}: rows are queries, columns are keys. Use the up and down arrow keys to choose a query.`);
    drawHeatmap(big, headMatrix(d, state.layer, state.head), labels, layout, { row: state.query });
  }

  function renderQuery() {
    const d = /** @type {Inspected} */ (state.data);
    const T = d.tokens.length;
    const q = state.query;
    const weights = headMatrix(d, state.layer, state.head).slice(q * T, q * T + T);
    replaceKeepingFocus(chips, ...d.tokenStrings.map((t, i) => h('button', {
      class: 'attention-chip', 'aria-pressed': String(i === q), dataset: { index: String(i) }, title: `position ${i}`,
      onclick: () => chooseQuery(i),
    }, visible(t))));
    sentence.replaceChildren(
      h('strong', {}, `“${visible(d.tokenStrings[q])}”`), ` at position ${q} (layer ${state.layer + 1}, head ${state.head + 1}) spreads its attention over the ${q + 1} token${q ? 's' : ''} up to itself:`);
    shaded.replaceChildren(...d.tokenStrings.map((t, j) => {
      if (j > q) return h('span', { class: 'attention-future', title: 'later: masked, weight 0' }, visible(t));
      const w = weights[j];
      return h('span', { class: j === q ? 'attention-self' : '', style: `background:${blues(w)};color:${w > 0.55 ? '#fff' : 'inherit'}`, title: `weight ${w.toFixed(3)}` }, visible(t));
    }));
    bars.replaceChildren(...weights.slice(0, q + 1).map((w, j) => h('li', { class: 'attention-bar', dataset: { key: String(j), weight: String(w) } },
      h('span', { class: 'attention-bar-token' }, `${j} `, h('b', {}, visible(d.tokenStrings[j]))),
      h('span', { class: 'attention-track' }, h('span', { class: 'attention-fill', style: `width:${(w * 100).toFixed(2)}%` })),
      h('span', { class: 'attention-bar-value' }, w.toFixed(3)))));
    state.weights = weights;
  }

  /** @param {number} i */
  function chooseQuery(i) {
    const T = /** @type {Inspected} */ (state.data).tokens.length;
    state.query = Math.max(0, Math.min(T - 1, i));
    renderBig();
    renderQuery();
    publish();
  }

  function publish() {
    const d = /** @type {Inspected} */ (state.data);
    root.panelData = {
      step: d.step, text: d.text, tokens: d.tokenStrings, nLayer: d.n_layer, nHead: d.n_head, T: d.tokens.length,
      attention: d.attention, layer: state.layer, head: state.head, query: state.query, weights: Array.from(/** @type {number[]} */ (state.weights)),
    };
  }

  big.addEventListener('click', (e) => {
    if (!state.data || !layout) return;
    const rect = big.getBoundingClientRect();
    const row = Math.floor((e.clientY - rect.top - layout.top) / layout.cell);
    if (row >= 0 && row < state.data.tokens.length) chooseQuery(row);
  });
  big.addEventListener('keydown', (e) => {
    if (!state.data) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      chooseQuery(state.query + (e.key === 'ArrowDown' ? 1 : -1));
    }
  });
  inspect.addEventListener('click', () => {
    state.edited = prompt.value !== '' && prompt.value !== defaultPrompt();
    run();
  });
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) inspect.click();
  });
  onWidthChange(root, () => {
    if (!state.data || body.hidden) return;
    renderThumbs();
    renderBig();
  }, ctx.signal);

  ctx.events.addEventListener('trained', () => run());
  ctx.events.addEventListener('model', (e) => {
    if (!/** @type {CustomEvent} */ (e).detail) showEmpty();
    else if (!ctx.training) run();
  });
  prompt.value = defaultPrompt();
  if (ctx.info) run();
  else showEmpty();
}
