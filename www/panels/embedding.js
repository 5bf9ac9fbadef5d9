// @ts-check
// Embedding layer: each token id indexes a row of a learned [vocab, n_embd] table, and each position
// a row of a [block_size, n_embd] table. The token table is projected to 2-D with PCA (computed in
// the model worker from the live weights: lib/embedding-map.js), so the reader can watch similar
// tokens drift together as training goes; the page only draws, even for GPT-2's 50,257 tokens.
import { coalesced, diverging, fmt, h, mean, onWidthChange, replaceKeepingFocus, setState, sizeCanvas, themeColours, throttle, uid, visible } from './ui.js';

const MAX_LABELS = 300; // beyond this, tokens are drawn as dots
/** Resolves in a later task: what came before has been painted, and input answered. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
const MAX_OPTIONS = 1000; // tokens listed in the picker up front (GPT-2 has 50,257; others are added when chosen): each costs layout
const NEIGHBOURS = 8;
const POWER_ITERATIONS = 500;

// ---------- token categories (colour), so the reader can see groups form ----------
// Colours are the theme's (`theme`: a key of themeColours, its CSS variable in `css`) but one.
/** @type {{name: string, theme: keyof import('./ui.js').ThemeColours | null, css: string, test: (token: string) => boolean}[]} */
const CATEGORIES = [
  { name: 'vowels', theme: 'accent2', css: 'var(--accent-2)', test: (t) => /^\s*[aeiou]+$/.test(t) },
  { name: 'other lower-case', theme: 'accent', css: 'var(--accent)', test: (t) => /^\s*[a-z]+$/.test(t) },
  { name: 'capitalised', theme: null, css: '#2b8a3e', test: (t) => /^\s*[A-Z]/.test(t) },
  { name: 'space, punctuation, digits, bytes', theme: 'muted', css: 'var(--muted)', test: () => true },
];
const category = (/** @type {string} */ token) => CATEGORIES.findIndex((c) => c.test(token));
// Byte tokens (partial UTF-8, shown as <e7>) and control characters are rarely seen in a corpus.
const isByte = (/** @type {string} */ token) => /^<[0-9a-f]{2}( [0-9a-f]{2})*>$/.test(token) || /^[\x00-\x08\x0b-\x1f\x7f]+$/.test(token);
/** A token as drawn: spaces and newlines visible, other control characters as hex bytes. */
const label = (/** @type {string} */ token) => visible(token).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `<${c.charCodeAt(0).toString(16).padStart(2, '0')}>`);

/** The worker's `embeddingMap` answer (lib/worker/embeddings.js): `points` is [x0, y0, x1, y1, …].
 *  @typedef {{step: number, vocabSize: number, nEmbd: number, blockSize: number, tokens: string[], points: ArrayLike<number>,
 *    explained: number[], orthogonality: number, sampled: number | null, positionSimilarity: number[][]}} EmbeddingMap */
/** The worker's `neighbours` answer: the nearest tokens by cosine similarity, most similar first.
 *  @typedef {{step: number, token: number, neighbours: {id: number, cosine: number}[]}} Neighbours */
/** Maps PCA coordinates to canvas pixels. @typedef {{px: (x: number) => number, py: (y: number) => number}} Scale */
/** A vocabulary as drawn: the tokens with a text label, the others by category (dots).
 *  @typedef {{labels: Set<number>, dots: number[][]}} Look */
/** @typedef {import('./ui.js').ThemeColours} ThemeColours */
/** What the panel drew (`root.panelData`).
 *  @typedef {{step: number | null, tokens: string[], points: number[][], explained: number[], orthogonality: number | null,
 *    selected: {id: number, token: string, neighbours: {id: number, cosine: number, token: string}[]} | null,
 *    positionSimilarity: number[][], vocabSize?: number, nEmbd?: number, blockSize?: number, sampled?: number | null,
 *    adjacentSimilarity?: number, farSimilarity?: number}} EmbeddingData */

/** @param {HTMLElement & {panelData?: unknown}} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  const step = h('p', { class: 'stats', dataset: { role: 'embedding-step' } });
  const canvas = h('canvas', { class: 'embedding-map', role: 'img', 'aria-label': 'Token embeddings projected to two dimensions with PCA' });
  const legend = h('p', { class: 'legend embedding-legend' },
    ...CATEGORIES.map((c) => h('span', { class: 'embedding-key' }, h('span', { class: 'embedding-dot', style: `background:${c.css}` }), c.name)));
  const pickId = uid('embedding-token');
  const pick = h('select', { id: pickId, dataset: { role: 'embedding-token' }, 'aria-label': 'Token whose nearest neighbours to list' });
  const neighbours = h('ol', { class: 'embedding-neighbours', dataset: { role: 'neighbours' } });
  const heat = h('canvas', { class: 'embedding-heat', role: 'img', 'aria-label': 'Cosine similarity between every pair of position embeddings' });
  const heatNote = h('p', { class: 'hint embedding-heat-note', dataset: { role: 'position-note' } });
  const variance = h('p', { class: 'hint', dataset: { role: 'pca-note' } });
  const body = h('div', { class: 'embedding-body', hidden: true });

  root.append(
    h('p', { class: 'hint' }, 'The first layer of a GPT looks each token id up in a table of learned vectors (here one vector of n_embd numbers per token). '
      + 'The map squeezes those vectors into 2-D (PCA): tokens the model uses alike end up close together as it learns.'),
    body);
  body.append(
    step,
    h('div', { class: 'embedding-cols' },
      h('div', { class: 'embedding-main' }, canvas, legend, variance),
      h('div', { class: 'embedding-side' },
        h('label', { for: pickId }, 'Nearest neighbours of'), pick,
        h('p', { class: 'hint' }, 'By cosine similarity of the full vectors (1 = same direction).'),
        neighbours)),
    h('h3', { class: 'embedding-h3' }, 'Position embeddings'),
    h('p', { class: 'hint' }, 'A second table gives each position 0…block_size−1 its own vector, added to the token\'s. '
      + 'Each cell is the cosine similarity of two positions\' vectors: as the model learns, neighbouring positions become similar (a bright band along the diagonal).'),
    h('div', { class: 'embedding-heat-wrap' }, heat),
    heatNote,
  );

  /** @type {EmbeddingData} */
  const data = { step: null, tokens: [], points: [], explained: [], orthogonality: null, selected: null, positionSimilarity: [] };
  root.panelData = data;
  /** @type {EmbeddingMap | null} */
  let emb = null; // the last Embeddings from the worker
  // [x, y] per token for readers of panelData (tests), made when read: 50,257 small arrays per
  // map would be garbage on every redraw of a GPT-2-sized vocabulary.
  Object.defineProperty(data, 'points', {
    enumerable: true,
    get: () => {
      const pts = emb?.points ?? [];
      return Array.from({ length: pts.length / 2 }, (_, i) => [pts[2 * i], pts[2 * i + 1]]);
    },
  });
  /** @type {number | null} */
  let selected = null; // token id the reader chose
  /** @type {number | null} */
  let hover = null; // token id under the pointer
  /** @type {Look | null} */
  let look = null; // the vocabulary's labels and dot groups (lookOf), per model
  /** @type {Scale | null} */
  let scale = null; // maps PCA coordinates to canvas pixels
  /** @type {Float32Array | null} */
  let pixels = null; // where each token is drawn: [x0, y0, x1, y1, …] (canvas pixels), for hit testing
  // One request at a time: progress events may arrive faster than an answer.
  const refresh = coalesced(async () => {
    if (!ctx.info) {
      emb = null;
      body.hidden = true;
      setState(root, 'empty', 'Train a model (Pre-train, above) to see its token and position embeddings.');
      return;
    }
    try {
      if (!emb) setState(root, 'busy', 'Reading the embedding tables…');
      const e = await ctx.call('embeddingMap', {});
      // The page stays responsive on GPT-2's 50,257 tokens: reading the map, listing the tokens
      // and drawing are separate tasks, none near the 200 ms a click may wait (its test).
      await analyse(e);
      await nextTask();
      if (body.hidden) {
        body.hidden = false; // its first layout (the picker's options) is a task of its own
        await nextTask();
      }
      draw();
      await showNeighbours();
      setState(root, 'ready');
    } catch (err) {
      setState(root, 'error', `Could not read the embeddings: ${/** @type {Error} */ (err).message}`);
    }
  });

  /** @param {EmbeddingMap} e */
  async function analyse(e) {
    const first = !emb || emb.vocabSize !== e.vocabSize;
    emb = e;
    const { vocabSize: V, nEmbd: C, blockSize: T } = e;
    Object.assign(data, {
      step: e.step, vocabSize: V, nEmbd: C, blockSize: T, tokens: e.tokens,
      explained: e.explained, orthogonality: e.orthogonality, sampled: e.sampled, positionSimilarity: e.positionSimilarity,
    });
    if (first) {
      // Each its own task (about 40 and 20 ms for GPT-2's vocabulary here); no map is drawn
      // until the new vocabulary's look is worked out.
      look = null;
      await nextTask();
      look = lookOf(e.tokens);
      await nextTask();
      fillPicker(e.tokens);
    }
    if (selected === null || selected >= V) selected = defaultToken(e.tokens);
    showInPicker(selected);
  }

  /** A letter the reader will recognise (a vowel if there is one). @param {string[]} tokens */
  function defaultToken(tokens) {
    for (const want of ['e', 'a', ' the', 'the']) {
      const i = tokens.indexOf(want);
      if (i >= 0) return i;
    }
    return Math.max(0, tokens.findIndex((t) => !isByte(t)));
  }

  const option = (/** @type {string} */ t, /** @type {number} */ i) => h('option', { value: String(i) }, `${label(t)}  (id ${i})`);
  /** @param {string[]} tokens */
  function fillPicker(tokens) {
    // A huge vocabulary lists its readable tokens first, up to MAX_OPTIONS; a token chosen on the
    // map that is not listed is added then.
    const ids = tokens.length <= MAX_OPTIONS ? tokens.map((_, i) => i) : [...labelled(tokens, MAX_OPTIONS)].sort((a, b) => a - b);
    pick.replaceChildren(...ids.map((i) => option(tokens[i], i)));
  }
  /** @param {number} id */
  function showInPicker(id) {
    // No emb while a new model's map is read: a click on the old map then chooses a token it cannot list.
    if (!pick.querySelector(`option[value="${id}"]`) && emb) pick.append(option(emb.tokens[id], id));
    pick.value = String(id);
  }

  function draw() {
    if (!emb || !look) return;
    drawMap();
    drawHeat();
    const [a, b] = data.explained;
    step.textContent = `Embeddings at training step ${emb.step} · ${emb.vocabSize.toLocaleString('en')} tokens × ${emb.nEmbd} numbers each`
      + (emb.sampled ? ` · PCA directions from ${emb.sampled.toLocaleString('en')} evenly spaced tokens, every token projected` : '');
    variance.textContent = `The horizontal axis (first principal component) keeps ${(a * 100).toFixed(1)}% of the spread of the vectors, `
      + `the vertical ${(b * 100).toFixed(1)}%; the rest is in the other ${emb.nEmbd - 2} directions the map cannot show.`;
  }

  /** Which tokens get a text label: readable ones first (byte tokens are rarely used), in id
   *  order, at most `most`. One pass: GPT-2's 50,257 tokens are tested once each.
   *  @param {string[]} tokens @param {number} [most] */
  function labelled(tokens, most = MAX_LABELS) {
    const bytes = tokens.map(isByte);
    const order = [...tokens.keys()].filter((i) => !bytes[i]);
    for (let i = 0; i < tokens.length && order.length < most; i++) if (bytes[i]) order.push(i);
    return new Set(order.slice(0, most));
  }

  /** What drawing needs of a vocabulary, worked out once per model: the labelled tokens, and the
   *  others (dots) grouped by category, so that 50,257 dots are four fills, not 50,257.
   *  @param {string[]} tokens @returns {Look} */
  function lookOf(tokens) {
    const labels = labelled(tokens);
    const dots = CATEGORIES.map(() => /** @type {number[]} */ ([]));
    tokens.forEach((t, i) => { if (!labels.has(i)) dots[category(t)].push(i); });
    return { labels, dots };
  }

  // Draws emb, once its vocabulary's look is worked out (a hover meanwhile draws nothing).
  function drawMap() {
    if (!emb || !look) return;
    const width = Math.max(240, /** @type {HTMLElement} */ (canvas.parentElement).clientWidth);
    const height = Math.round(Math.min(420, Math.max(260, width * 0.7)));
    const g = sizeCanvas(canvas, width, height);
    const pts = /** @type {EmbeddingMap} */ (emb).points; // [x0, y0, x1, y1, …]
    // The extent in one pass (spreading 50,257 points into Math.min overflows some engines' argument limits).
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < pts.length; i += 2) {
      const x = pts[i];
      const y = pts[i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const pad = 22;
    const theme = themeColours(root);
    const sx = (width - 2 * pad) / Math.max(1e-9, x1 - x0);
    const sy = (height - 2 * pad) / Math.max(1e-9, y1 - y0);
    scale = { px: (x) => pad + (x - x0) * sx, py: (y) => height - pad - (y - y0) * sy };
    const { px, py } = scale;
    const at = new Float32Array(pts.length);
    for (let i = 0; i < pts.length; i += 2) {
      at[i] = px(pts[i]);
      at[i + 1] = py(pts[i + 1]);
    }
    pixels = at;
    g.fillStyle = theme.card;
    g.fillRect(0, 0, width, height);
    // Axes through the mean (PCA centres the data at 0).
    g.strokeStyle = theme.grid;
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(scale.px(0), 0); g.lineTo(scale.px(0), height);
    g.moveTo(0, scale.py(0)); g.lineTo(width, scale.py(0));
    g.stroke();
    // Axis names in the corners, on white, so tokens drawn there stay readable around them.
    g.font = '11px system-ui, sans-serif';
    for (const [text, x, y] of /** @type {[string, number, number][]} */ ([['PC 1 →', width - 48, height - 6], ['↑ PC 2', 4, 14]])) {
      g.fillStyle = theme.card;
      g.globalAlpha = 0.85;
      g.fillRect(x - 2, y - 11, g.measureText(text).width + 4, 14);
      g.globalAlpha = 1;
      g.fillStyle = theme.muted;
      g.fillText(text, x, y);
    }
    const { labels, dots } = /** @type {Look} */ (look);
    const colour = (/** @type {number} */ c) => (CATEGORIES[c].theme ? theme[/** @type {keyof ThemeColours} */ (CATEGORIES[c].theme)] : CATEGORIES[c].css);
    // The unlabelled tokens as dots: one path per category.
    g.globalAlpha = 0.5;
    dots.forEach((ids, c) => {
      g.fillStyle = colour(c);
      g.beginPath();
      for (const i of ids) g.rect(at[2 * i] - 1.5, at[2 * i + 1] - 1.5, 3, 3);
      g.fill();
    });
    const near = new Set((data.selected?.neighbours ?? []).map((n) => n.id));
    const tokens = /** @type {EmbeddingMap} */ (emb).tokens;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.font = '12px ui-monospace, Menlo, monospace';
    for (const i of labels) {
      g.fillStyle = colour(category(tokens[i]));
      g.globalAlpha = selected !== null && !near.has(i) && i !== selected ? 0.65 : 1;
      g.fillText(label(tokens[i]), at[2 * i], at[2 * i + 1]);
    }
    g.globalAlpha = 1;
    // The chosen token and its neighbours: ringed, with lines to them.
    const focus = hover ?? selected;
    if (focus !== null) {
      const [fx, fy] = [at[2 * focus], at[2 * focus + 1]];
      g.strokeStyle = theme.accent2;
      g.globalAlpha = 0.5;
      for (const id of near) {
        const [x, y] = [at[2 * id], at[2 * id + 1]];
        g.beginPath(); g.moveTo(fx, fy); g.lineTo(x, y); g.stroke();
      }
      g.globalAlpha = 1;
      g.lineWidth = 2;
      g.beginPath(); g.arc(fx, fy, 11, 0, 2 * Math.PI); g.stroke();
      g.font = 'bold 13px ui-monospace, Menlo, monospace';
      g.fillStyle = theme.fg;
      g.fillText(label(/** @type {EmbeddingMap} */ (emb).tokens[focus]), fx, fy);
    }
  }

  // The neighbours of the token in focus, from the worker (one request at a time; the latest wins).
  const showNeighbours = coalesced(async () => {
    const id = hover ?? selected;
    if (!emb || id === null) return;
    /** @type {Neighbours} */
    let answer;
    try {
      answer = await ctx.call('neighbours', { token: id, k: NEIGHBOURS });
    } catch (err) {
      if (emb) setState(root, 'error', `Could not find the neighbours: ${/** @type {Error} */ (err).message}`);
      return;
    }
    if (!emb || (hover ?? selected) !== id) return; // the focus moved on: its own request follows
    const list = answer.neighbours.map((n) => ({ ...n, token: /** @type {EmbeddingMap} */ (emb).tokens[n.id] }));
    data.selected = { id, token: emb.tokens[id], neighbours: list };
    drawMap();
    replaceKeepingFocus(neighbours, ...list.map((n) => h('li', {},
      h('button', { type: 'button', class: 'embedding-neighbour', onclick: () => choose(n.id), title: `Show the neighbours of "${label(n.token)}"` },
        h('span', { class: 'embedding-token' }, label(n.token)),
        h('span', { class: 'embedding-bar' }, h('span', { style: `width:${Math.max(0, n.cosine) * 100}%` })),
        h('span', { class: 'embedding-cos' }, n.cosine.toFixed(3))))));
  });

  // Draws emb's position similarities: called only while there is one.
  function drawHeat() {
    const T = /** @type {EmbeddingMap} */ (emb).blockSize;
    const sim = data.positionSimilarity;
    const size = Math.min(300, Math.max(160, /** @type {HTMLElement} */ (heat.parentElement).clientWidth - 40));
    const top = 6; // room for the "0" label
    const cell = (size - 28 - top) / T;
    const g = sizeCanvas(heat, size - top, size);
    const theme = themeColours(root);
    g.fillStyle = theme.card;
    g.fillRect(0, 0, size, size);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
      g.fillStyle = diverging(sim[i][j]);
      g.fillRect(28 + j * cell, top + i * cell, Math.ceil(cell), Math.ceil(cell));
    }
    g.fillStyle = theme.muted;
    g.font = '10px system-ui, sans-serif';
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    g.fillText('0', 24, top + cell / 2);
    g.fillText(String(T - 1), 24, top + (T - 0.5) * cell);
    g.textAlign = 'center';
    g.textBaseline = 'bottom';
    g.fillText(`position (0…${T - 1})`, 28 + (size - 28 - top) / 2, size);
    // What to notice, as numbers: similarity of adjacent positions vs. positions far apart.
    const adjacent = mean(Array.from({ length: T - 1 }, (_, i) => sim[i][i + 1]));
    const far = mean(sim.flatMap((r, i) => r.filter((_, j) => Math.abs(i - j) >= T / 2)));
    data.adjacentSimilarity = adjacent;
    data.farSimilarity = far;
    heatNote.textContent = `Blue = similar (cosine up to 1), orange = opposite (down to −1). Mean similarity of adjacent positions: ${fmt(adjacent, 2)}; `
      + `of positions at least ${Math.ceil(T / 2)} apart: ${fmt(far, 2)}.`;
  }

  /** @param {number} id */
  function choose(id) {
    selected = id;
    hover = null;
    showInPicker(id);
    draw();
    showNeighbours();
  }

  /** The token drawn nearest to a pointer position (within 14 px), or null.
   *  @param {MouseEvent} event @returns {number | null} */
  function hit(event) {
    const at = pixels;
    if (!at) return null;
    const r = canvas.getBoundingClientRect();
    const x = event.clientX - r.left;
    const y = event.clientY - r.top;
    /** @type {number | null} */
    let best = null;
    let bestD = 14 * 14;
    for (let i = 0; 2 * i < at.length; i++) {
      const d = (at[2 * i] - x) ** 2 + (at[2 * i + 1] - y) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  canvas.addEventListener('mousemove', (e) => {
    const id = hit(e);
    if (id !== hover) {
      hover = id;
      if (emb) { drawMap(); showNeighbours(); }
    }
  });
  canvas.addEventListener('mouseleave', () => {
    hover = null;
    if (emb) { draw(); showNeighbours(); }
  });
  canvas.addEventListener('click', (e) => { const id = hit(e); if (id !== null) choose(id); });
  pick.addEventListener('change', () => choose(Number(pick.value)));

  const onProgress = throttle(refresh, 1000);
  ctx.events.addEventListener('model', () => { emb = null; look = null; selected = null; refresh(); });
  ctx.events.addEventListener('progress', onProgress);
  ctx.events.addEventListener('trained', () => refresh());
  onWidthChange(root, () => draw(), ctx.signal);
  refresh();
}
