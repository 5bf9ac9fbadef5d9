// @ts-check
// Autoregressive generation: the model writes one token at a time, each drawn from a probability
// distribution over the vocabulary. The bars show that distribution for the next token; clicking a
// bar forces that token and the model continues from it.
import { announcer, h, replaceKeepingFocus, setState, uid, visible, wholeNumber } from './ui.js';

const CANDIDATES = 8;
const MAX_TOKENS = 2000;
const MAX_TOP_K = 65536;

/**
 * What the panel shows (`root.panelData`).
 * @typedef {object} GenerationState
 * @property {Promise<{text: string, reason: 'done' | 'stopped'}> | null} running
 * @property {boolean} started
 * @property {{id: number, token: string, probability: number, forced: boolean}[]} tokens
 * @property {import('../types/playground.js').GeneratedToken['next']} candidates
 * @property {string} text
 * @property {number} [tokensPerSecond]
 */

/** @param {HTMLElement & {panelData?: unknown}} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  const promptId = uid('prompt');
  const prompt = h('input', { id: promptId, dataset: { role: 'prompt' }, type: 'text', autocomplete: 'off', value: ctx.prompt });
  const temperature = h('input', { dataset: { role: 'temperature' }, type: 'range', min: '0', max: '2', step: '0.05', value: '0.8' });
  const temperatureValue = h('output', { dataset: { role: 'temperature-value' } }, '0.80');
  const topK = h('input', { dataset: { role: 'top-k' }, type: 'number', min: '0', max: String(MAX_TOP_K), step: '1', value: '0' });
  const topP = h('input', { dataset: { role: 'top-p' }, type: 'range', min: '0.05', max: '1', step: '0.05', value: '1' });
  const topPValue = h('output', { dataset: { role: 'top-p-value' } }, '1.00');
  const seed = h('input', { dataset: { role: 'seed' }, type: 'number', min: '0', value: '1' });
  const maxTokens = h('input', { dataset: { role: 'max-tokens' }, type: 'number', min: '1', max: String(MAX_TOKENS), value: '200' });
  const generate = h('button', { class: 'primary', dataset: { action: 'generate' } }, 'Generate');
  const step = h('button', { dataset: { action: 'step' }, title: 'Start (or continue) one token at a time' }, 'One token');
  const stop = h('button', { dataset: { action: 'stop-generation' }, disabled: true }, 'Stop');
  const stats = h('span', { class: 'hint', dataset: { role: 'gen-stats' } });
  const promptSpan = h('span', { class: 'prompt' });
  const generated = h('span', { class: 'generated' });
  // Not a live region: a screen reader would read every token. `announce` sums up instead.
  const output = h('pre', { class: 'output', dataset: { role: 'output' }, tabindex: '0', role: 'region', 'aria-label': 'Generated text' });
  const bars = h('ol', { class: 'generation-bars', dataset: { role: 'candidates' }, 'aria-label': 'Most likely next tokens; choose one to force it' });
  const barsNote = h('p', { class: 'hint generation-note' });

  root.append(
    h('p', { class: 'hint' }, 'A GPT writes one token at a time: it turns its last output into a probability for every token in the vocabulary, '
      + 'draws one, appends it to the text and repeats. Temperature sharpens (low) or flattens (high) the distribution; top-k and top-p cut off its unlikely tail.'),
    h('label', { for: promptId }, 'Prompt'), prompt,
    h('div', { class: 'grid4' },
      h('label', {}, 'Temperature ', temperatureValue, temperature),
      h('label', {}, 'Top-k (0 = off) ', topK),
      h('label', {}, 'Top-p ', topPValue, topP),
      h('label', {}, 'Seed ', seed),
      h('label', {}, 'Tokens ', maxTokens)),
    h('div', { class: 'row buttons' }, generate, step, stop, stats),
    h('div', { class: 'generation-cols' },
      output,
      h('div', { class: 'generation-next' }, h('h3', {}, 'Next token'), bars, barsNote)),
  );

  const announce = announcer(root);
  /** @type {GenerationState} */
  const state = {
    running: null, // the promise of the generate request in flight
    started: false, // a generation exists in the worker that `continue` can extend
    tokens: [], // {id, token, probability, forced} of this generation
    candidates: [],
    text: '',
  };
  root.panelData = state;
  let stepping = false; // One token was the last button pressed: a forced token stops after itself

  /** The sampling settings, checked: an Error names the field and its valid range. */
  function sampling() {
    const k = wholeNumber(topK.value, { what: 'Top-k', min: 0, max: MAX_TOP_K, note: ' (0 turns it off)' });
    return {
      temperature: Number(temperature.value),
      topK: k > 0 ? k : undefined,
      topP: Number(topP.value) < 1 ? Number(topP.value) : undefined,
      seed: wholeNumber(seed.value, { what: 'Seed', min: 0, max: Number.MAX_SAFE_INTEGER }),
      candidates: CANDIDATES,
    };
  }

  function drawBars() {
    const c = state.candidates;
    replaceKeepingFocus(bars, ...c.map((cand, i) => {
      const pct = (cand.probability * 100).toFixed(1);
      const button = h('button', {
        class: 'generation-bar',
        dataset: { id: String(cand.id), rank: String(i) },
        title: `Force "${cand.token}" (id ${cand.id}) as the next token`,

        onclick: () => force(cand.id),
      },
      h('span', { class: 'generation-token' }, visible(cand.token)),
      h('span', { class: 'generation-track' }, h('span', { class: 'generation-fill', style: `width:${Math.max(0.5, cand.probability * 100)}%` })),
      h('span', { class: 'generation-p' }, `${pct}%`), h('span', { class: 'gpt-sr-only' }, ': force this token'));
      return h('li', {}, button);
    }));
    const shown = c.reduce((a, x) => a + x.probability, 0);
    barsNote.textContent = c.length
      ? `These ${c.length} tokens hold ${(shown * 100).toFixed(1)}% of the probability. Click one to force it; the model continues from it.`
      : 'The probability of each possible next token appears here once generation starts (try One token).';
  }

  function refresh() {
    const busy = !!state.running;
    generate.disabled = busy;
    step.disabled = busy;
    stop.disabled = !busy;
  }

  function showTokens() {
    generated.textContent = state.text;
    output.scrollTop = output.scrollHeight;
  }

  /** Run one `generate` request; `fields.continue` extends the current generation.
   *  @param {Record<string, unknown>} fields */
  async function run(fields) {
    let options;
    try {
      options = sampling();
    } catch (err) {
      ctx.showError(/** @type {Error} */ (err).message);
      return;
    }
    state.running = ctx.call('generate', { sampling: options, ...fields }, (ev) => {
      if (ev.type !== 'tokens') return;
      // A batch of tokens (about a frame's worth); its last one carries the text and the bars.
      for (const t of ev.tokens) state.tokens.push({ id: t.id, token: t.token, probability: t.probability, forced: t.forced });
      const t = ev.tokens.at(-1);
      state.text = t.text;
      state.candidates = t.next;
      state.tokensPerSecond = ev.tokensPerSecond;
      showTokens();
      drawBars();
      stats.textContent = `${state.tokens.length} tokens · last "${visible(t.token)}" had p = ${t.probability.toFixed(3)}${t.forced ? ' (forced)' : ''}`
        + (ev.tokensPerSecond ? ` · ${ev.tokensPerSecond.toFixed(0)} tokens/s` : '');
      announce(`${state.tokens.length} tokens generated`);
    });
    refresh();
    try {
      const result = await state.running;
      announce(`Generation ${result.reason === 'stopped' ? 'stopped' : 'finished'}: ${state.tokens.length} tokens. The text ends: ${state.text.slice(-80)}`, true);
      setState(root, 'ready');
    } catch (err) {
      ctx.showError(/** @type {Error} */ (err).message);
    } finally {
      state.running = null;
      refresh();
    }
  }

  const validTokens = () => wholeNumber(maxTokens.value, { what: 'Tokens', min: 1, max: MAX_TOKENS });

  /** @param {number} [count] */
  async function start(count) {
    try {
      await ctx.ensureModel();
      if (!prompt.value) throw new Error('The prompt is empty: type at least one character for the model to continue.');
      const n = count ?? validTokens();
      sampling(); // checked before the output is cleared
      promptSpan.textContent = prompt.value;
      output.replaceChildren(promptSpan, generated);
      state.tokens = [];
      state.text = '';
      state.candidates = [];
      showTokens();
      state.started = true;
      await run({ prompt: prompt.value, maxTokens: n });
    } catch (err) {
      ctx.showError(/** @type {Error} */ (err).message);
    }
  }

  /** @param {number} id */
  async function force(id) {
    if (!state.started) return;
    try {
      const n = validTokens();
      if (state.running) {
        await ctx.call('stop', { what: 'generate' });
        await state.running.catch(() => {});
      }
      // The forced token is the first of another `Tokens` tokens (just it, when stepping).
      await run({ continue: true, forced: id, maxTokens: stepping ? 1 : n });
    } catch (err) {
      ctx.showError(/** @type {Error} */ (err).message);
    }
  }

  generate.addEventListener('click', () => {
    stepping = false;
    start();
  });
  step.addEventListener('click', () => {
    stepping = true;
    if (state.started && state.candidates.length) run({ continue: true, maxTokens: 1 });
    else start(1);
  });
  stop.addEventListener('click', () => ctx.call('stop', { what: 'generate' }));

  // New sampling settings apply to the generation in progress: the bars change at once.
  const resample = async () => {
    temperatureValue.textContent = Number(temperature.value).toFixed(2);
    topPValue.textContent = Number(topP.value).toFixed(2);
    if (!state.started || state.running) return;
    try {
      state.candidates = await ctx.call('sampling', { sampling: sampling() });
      drawBars();
    } catch (err) {
      ctx.showError(/** @type {Error} */ (err).message);
    }
  };
  for (const input of [temperature, topP]) input.addEventListener('input', resample);
  topK.addEventListener('change', resample);

  const reset = () => {
    state.started = false;
    state.candidates = [];
    drawBars();
  };
  ctx.events.addEventListener('model', reset);
  ctx.events.addEventListener('corpus', () => { prompt.value = ctx.prompt; });
  // Training changes the weights: the distribution shown would be stale.
  ctx.events.addEventListener('trained', reset);
  setState(root, 'ready');
  drawBars();
  refresh();
}
