// @ts-check
// Tokenizer: any text -> the tokens a GPT actually sees. Two tokenizers trained on the chosen
// corpus are compared: character-level (one token per character it has seen) and byte-level BPE
// (UTF-8 bytes merged into frequent pieces, up to a vocabulary budget). No model is needed.
import { h, setState, uid, visible, wholeNumber } from './ui.js';

const MIN_VOCAB = 257; // the 256 bytes plus at least one merge
const MAX_VOCAB = 4096;
const MAX_TEXT = 2000; // characters; every token becomes a focusable chip
const HUES = 6; // chip colours cycle through this many, so neighbouring chips always differ

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** @typedef {'char' | 'bpe' | 'gpt2'} TokenizerKind */
/** The worker's `tokenizer` answer (lib/worker/tokenizers.js): the tokens, or none and the
 *  characters the tokenizer has no token for.
 *  @typedef {import('../pkg/cpu/gpt_wasm.js').Tokenized & {vocabSize: number, unknownChars: string[], trainMs: number, ms: number}} Tokenization */

/** A piece of the current corpus to try (whole lines or words, so every character is known). @param {string} corpus */
function corpusSample(corpus) {
  const head = corpus.slice(0, 400);
  const lines = head.split('\n').filter((l) => l.trim());
  if (lines.length > 3 && lines.slice(0, 5).every((l) => l.length < 30)) return lines.slice(0, 5).join('\n');
  const sentence = head.match(/^[^.!?]{20,160}[.!?]/);
  if (sentence) return sentence[0].trim();
  return head.slice(0, 80).replace(/\s+\S*$/, '').trim();
}

/** @type {{label: string, text: (ctx: import('../lib/mount.js').PanelContext) => string}[]} */
const SAMPLES = [
  { label: 'From the corpus', text: (ctx) => corpusSample(ctx.corpus) },
  { label: 'English sentence', text: () => 'The quick brown fox jumps over the lazy dog.' },
  { label: 'Japanese: 私は学生です', text: () => '私は学生です' },
  { label: 'Emoji 🙂', text: () => 'I love pizza 🍕 and cats 🐈!' },
];

/** The UTF-8 bytes of one token, and whether they are a whole character sequence on their own.
 *  @param {Uint8Array} bytes @param {[number, number]} span */
function tokenBytes(bytes, [start, end]) {
  const slice = bytes.slice(start, end);
  let whole = true;
  try {
    strictDecoder.decode(slice);
  } catch {
    whole = false;
  }
  return { slice, whole };
}

const hex = (/** @type {Uint8Array} */ bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** @param {HTMLElement & {panelData?: unknown}} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  const textId = uid('tokenizer-text');
  const kindName = uid('tokenizer-kind'); // radio groups are per document: never a fixed name
  const text = h('textarea', { id: textId, dataset: { role: 'tokenizer-text' }, rows: '3', maxlength: String(MAX_TEXT), spellcheck: 'false', class: 'tokenizer-input' });
  text.value = '私は学生です';
  const samples = SAMPLES.map((s) => h('button', { type: 'button', class: 'tokenizer-sample', onclick: () => useSample(s) }, s.label));
  const kindChar = h('input', { type: 'radio', name: kindName, value: 'char', dataset: { role: 'tokenizer-kind-char' } });
  const kindBpe = h('input', { type: 'radio', name: kindName, value: 'bpe', dataset: { role: 'tokenizer-kind-bpe' }, checked: true });
  // GPT-2's own byte-level BPE (50,257 tokens, read from the files the page ships, not trained here).
  const kindGpt2 = h('input', { type: 'radio', name: kindName, value: 'gpt2', dataset: { role: 'tokenizer-kind-gpt2' } });
  const vocab = h('input', { type: 'number', dataset: { role: 'tokenizer-vocab' }, min: String(MIN_VOCAB), max: String(MAX_VOCAB), step: '1', value: '512' });
  const summary = h('p', { class: 'stats tokenizer-summary', dataset: { role: 'tokenizer-summary' }, 'aria-live': 'polite' });
  const problem = h('p', { class: 'tokenizer-problem', dataset: { role: 'tokenizer-problem' }, hidden: true });
  const chips = h('div', { class: 'tokenizer-chips', dataset: { role: 'tokens' }, 'aria-label': 'Tokens; focus one to see what it covers' });
  const detail = h('p', { class: 'hint tokenizer-detail', dataset: { role: 'token-detail' }, 'aria-live': 'polite' });
  const partialNote = h('p', { class: 'hint tokenizer-partial-note', hidden: true },
    h('span', { class: 'tokenizer-chip tokenizer-partial tokenizer-legend' }, '<e7 a7>'),
    ' Dashed chips hold only some bytes of one character: byte-level BPE splits a character into its UTF-8 bytes when no learned merge covers it.');

  root.append(
    h('p', { class: 'hint' }, 'A GPT never sees letters: a tokenizer cuts the text into tokens, and each token becomes a number (its id). '
      + "Characters and byte-level BPE are trained here on the corpus chosen above; GPT-2's is the one OpenAI trained on web text. "
      + 'Notice how the same text costs a different number of tokens under each.'),
    h('label', { for: textId }, 'Text to tokenize'), text,
    h('div', { class: 'row tokenizer-samples', role: 'group', 'aria-label': 'Sample texts' }, h('span', { class: 'hint' }, 'Try:'), ...samples),
    h('div', { class: 'row tokenizer-controls' },
      h('fieldset', { class: 'tokenizer-kind' }, h('legend', {}, 'Tokenizer'),
        h('label', {}, kindChar, ' characters'),
        h('label', {}, kindBpe, ' byte-level BPE'),
        h('label', { title: "GPT-2's own byte-level BPE: 50,257 tokens learned by OpenAI from 40 GB of web text" }, kindGpt2, " GPT-2's")),
      h('label', { class: 'tokenizer-vocab' }, `BPE vocabulary (${MIN_VOCAB}–${MAX_VOCAB})`, vocab)),
    summary, problem, chips, detail, partialNote,
  );

  /** @type {{kind: TokenizerKind, vocabSize: number | null, requestedVocabSize: number, ids: number[], tokens: string[], spans: [number, number][],
   *  byteSpans: [number, number][], partial: boolean[], text: string, unknownChars: string[], error: string | null, trainMs?: number, ms?: number}} */
  const data = { kind: 'bpe', vocabSize: null, requestedVocabSize: 512, ids: [], tokens: [], spans: [], byteSpans: [], partial: [], text: '', unknownChars: [], error: null };
  root.panelData = data;
  let serial = 0; // the latest request; older answers are dropped
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;

  /** @returns {TokenizerKind} */
  const kind = () => (kindChar.checked ? 'char' : kindGpt2.checked ? 'gpt2' : 'bpe');

  // The corpus travels to the worker once per version (ctx.corpusId), not with every edit.
  /** @type {string | null} */
  let sent = null;
  /** @param {{kind: TokenizerKind, vocabSize: number, text: string}} fields @param {string} corpus @returns {Promise<Tokenization>} */
  async function tokenize(fields, corpus) {
    if (fields.kind === 'gpt2') return ctx.call('tokenizer', fields); // learned elsewhere: no corpus
    const corpusId = ctx.corpusId;
    if (sent === corpusId) {
      try {
        return await ctx.call('tokenizer', { ...fields, corpusId });
      } catch (err) {
        if (/** @type {Error & {code?: string}} */ (err).code !== 'CORPUS_UNKNOWN') throw err; // a new worker: send it again
      }
    }
    const result = await ctx.call('tokenizer', { ...fields, corpusId, corpus });
    sent = corpusId;
    return result;
  }

  /** @param {typeof SAMPLES[number]} s */
  function useSample(s) {
    text.value = s.text(ctx).slice(0, MAX_TEXT);
    run();
  }

  // clearTimeout(null) does nothing, as (undefined) does.
  function schedule() {
    clearTimeout(timer ?? undefined);
    timer = setTimeout(run, 150);
  }

  /** @param {string | null | (string | Node)[]} message */
  function showProblem(message) {
    // null leaves the text "null" in the line, hidden below.
    problem.replaceChildren(...(Array.isArray(message) ? message : [/** @type {string} */ (message)]));
    problem.hidden = !message;
  }

  async function run() {
    clearTimeout(timer ?? undefined);
    const corpus = ctx.corpus;
    const k = kind();
    vocab.disabled = k !== 'bpe';
    if (!corpus.trim() && k !== 'gpt2') {
      chips.replaceChildren();
      summary.textContent = '';
      setState(root, 'empty', 'Choose or paste a corpus under Data, above: both tokenizers are learned from it.');
      return;
    }
    let size = Number(vocab.value);
    if (k === 'bpe') {
      try {
        size = wholeNumber(vocab.value, { what: 'The BPE vocabulary', min: MIN_VOCAB, max: MAX_VOCAB, note: ` (${MIN_VOCAB}: the 256 bytes plus one merge)` });
      } catch (err) {
        showProblem(/** @type {Error} */ (err).message);
        return;
      }
    }
    const input = text.value;
    const id = ++serial;
    setState(root, 'busy', k === 'bpe' ? `Tokenizing (training a ${size}-token BPE on this corpus the first time)…`
      : k === 'gpt2' ? "Tokenizing (reading GPT-2's 50,257-token vocabulary the first time)…" : 'Tokenizing…');
    try {
      const result = await tokenize({ kind: k, vocabSize: size, text: input }, corpus);
      if (id !== serial) return;
      if (result.unknownChars.length) {
        renderError(input, k, size, result.unknownChars, null);
        return;
      }
      showProblem(null);
      render(input, k, size, result);
      setState(root, 'ready');
    } catch (err) {
      if (id !== serial) return;
      renderError(input, k, size, [], /** @type {Error} */ (err).message);
    }
  }

  /** @param {string} input @param {TokenizerKind} k @param {number} size @param {Tokenization} r */
  function render(input, k, size, r) {
    const bytes = encoder.encode(input);
    const pieces = r.byteSpans.map((span) => tokenBytes(bytes, span));
    Object.assign(data, {
      kind: k, vocabSize: r.vocabSize, requestedVocabSize: size, ids: r.ids, tokens: r.tokens, spans: r.spans,
      byteSpans: r.byteSpans, partial: pieces.map((p) => !p.whole), text: input, unknownChars: r.unknownChars, error: null,
      trainMs: r.trainMs, ms: r.ms,
    });
    chips.replaceChildren(...r.tokens.map((token, i) => chip(input, r, pieces[i], token, i)));
    partialNote.hidden = !data.partial.some(Boolean);
    const chars = [...input].length;
    const perToken = r.ids.length ? (chars / r.ids.length).toFixed(2) : '–';
    summary.textContent = `${r.ids.length} tokens for ${chars} characters (${bytes.length} UTF-8 bytes): ${perToken} characters per token · `
      + (k === 'gpt2'
        ? `GPT-2's vocabulary of ${r.vocabSize.toLocaleString()} tokens, learned by OpenAI from 40 GB of web text (read in ${Math.round(r.trainMs)} ms)`
        : `vocabulary of ${r.vocabSize} ${k === 'char' ? 'characters' : 'tokens'} · learned from the "${ctx.corpusKey}" corpus in ${Math.round(r.trainMs)} ms`);
    detail.textContent = r.ids.length ? 'Hover over or focus a token to see which characters and bytes it covers.' : 'Type some text above.';
  }

  /** @param {string} input @param {Tokenization} r @param {ReturnType<typeof tokenBytes>} piece @param {string} token @param {number} i */
  function chip(input, r, piece, token, i) {
    const [s, e] = r.spans[i];
    const [bs, be] = r.byteSpans[i];
    const label = piece.whole ? visible(token) : `<${hex(piece.slice)}>`;
    const where = piece.whole
      ? `characters [${s}, ${e}) "${visible(input.slice(s, e))}"`
      : `part of the character "${String.fromCodePoint(/** @type {number} */ (input.codePointAt(s)))}"`;
    const describe = `Token ${i}: id ${r.ids[i]}, ${where}, bytes [${bs}, ${be}) = ${hex(piece.slice)}`;
    const show = () => { detail.textContent = describe; };
    return h('button', {
      type: 'button',
      class: `tokenizer-chip hue-${i % HUES}${piece.whole ? '' : ' tokenizer-partial'}`,
      dataset: { index: String(i), id: String(r.ids[i]) },
      // The chip's name is what it shows (token and id); the rest is its description.
      title: describe,
      onmouseenter: show, onfocus: show, onclick: show,
    }, h('span', { class: 'tokenizer-text' }, label), h('span', { class: 'tokenizer-id' }, String(r.ids[i])));
  }

  /** No tokens: the tokenizer lacks characters (`missing`) or failed (`message`).
   *  @param {string} input @param {TokenizerKind} k @param {number} size @param {string[]} missing @param {string | null} message */
  function renderError(input, k, size, missing, message) {
    chips.replaceChildren();
    partialNote.hidden = true;
    summary.textContent = '';
    detail.textContent = '';
    const error = message ?? `no token for ${missing.join(' ')}`;
    Object.assign(data, { kind: k, requestedVocabSize: size, ids: [], tokens: [], spans: [], byteSpans: [], partial: [], text: input, error, unknownChars: missing });
    if (missing.length) {
      const shown = missing.slice(0, 12).map((ch) => `"${visible(ch)}"`).join(', ');
      showProblem([
        `The character-level tokenizer learned from the "${ctx.corpusKey}" corpus has no token for ${missing.length === 1 ? 'the character' : `${missing.length} characters of this text`}: `
          + `${shown}${missing.length > 12 ? ', …' : ''}. It only knows characters it saw in its corpus, so it cannot encode this text. `,
        h('button', { type: 'button', onclick: () => { kindBpe.checked = true; run(); } }, 'Use byte-level BPE'),
        ' instead: it falls back to raw bytes, so it can encode any text.',
      ]);
    } else {
      showProblem(`Could not tokenize: ${message}`);
    }
    // The panel still works (the reader can edit the text): it shows a result, not a failure.
    setState(root, 'ready');
  }

  text.addEventListener('input', schedule);
  vocab.addEventListener('input', schedule);
  kindChar.addEventListener('change', run);
  kindBpe.addEventListener('change', run);
  kindGpt2.addEventListener('change', run);
  ctx.events.addEventListener('corpus', () => run());
  run();
}
