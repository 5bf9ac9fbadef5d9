// @ts-check
// Tokenizers for the tokenizer panel: ones trained on the reader's corpus (kept by kind and size)
// and GPT-2's own, read from the files the page ships.
import { loaded } from './packages.js';
import { now } from './sessions.js';

/** @typedef {import('../../pkg/cpu/gpt_wasm.js').TextTokenizer} TextTokenizer */
/** @typedef {{tokenizer: TextTokenizer, ms: number, corpus?: string}} TokenizerEntry A tokenizer, how long it took to build and the corpus it learned from. */
/** @typedef {{vocab: string, merges: string, ms: number}} Gpt2Files GPT-2's vocab.json and merges.txt, and how long they took to fetch. */

// Tokenizers built for the tokenizer panel, keyed by kind and vocabulary size; each remembers the
// corpus it learned from, so switching char <-> BPE or back to a size reuses the trained one.
const tokenizers = /** @type {Map<string, TokenizerEntry>} */ (new Map());

// Corpora the page sent for `tokenizer` requests, by the id it gave them (the latest two), so an
// edit of the text to tokenize does not post the whole corpus (up to 8 MB) again.
const corpora = /** @type {Map<unknown, string>} */ (new Map()); // keyed by the page's opaque id

/** The corpus of a `tokenizer` request: sent with it (and kept under its id), or kept before.
 *  @returns {string} */
export function requestCorpus(/** @type {{corpus?: string, corpusId?: string}} */ { corpus, corpusId }) {
  if (typeof corpus === 'string') {
    if (corpusId !== undefined) {
      corpora.delete(corpusId);
      corpora.set(corpusId, corpus);
      while (corpora.size > 2) corpora.delete(corpora.keys().next().value);
    }
    return corpus;
  }
  if (corpora.has(corpusId)) return /** @type {string} */ (corpora.get(corpusId));
  const err = /** @type {Error & {code?: string}} */ (new Error('the worker does not have this corpus: send it with the request'));
  err.code = 'CORPUS_UNKNOWN';
  throw err;
}

/** GPT-2's own tokenizer (50,257 tokens): its files, fetched once from those the page ships, and
 *  the tokenizer read from them (built on first use, inside the worker's turn). */
let gpt2Files = /** @type {Promise<Gpt2Files> | null} */ (null);
let gpt2Tokenizer = /** @type {TokenizerEntry | null} */ (null);
export function gpt2Fetch() {
  const file = async (/** @type {string} */ name) => {
    const response = await fetch(new URL(`../../corpora/gpt2/${name}`, import.meta.url));
    if (!response.ok) throw new Error(`GPT-2's ${name} could not be loaded (HTTP ${response.status})`);
    return response.text();
  };
  const t0 = now();
  gpt2Files ??= Promise.all([file('vocab.json'), file('merges.txt')]).then(([vocab, merges]) => ({ vocab, merges, ms: now() - t0 }));
  gpt2Files.catch(() => { gpt2Files = null; }); // a failed fetch is tried again next time
  return gpt2Files;
}
/** @param {Gpt2Files} files */
export function gpt2(files) {
  if (!gpt2Tokenizer) {
    const t0 = now();
    const tokenizer = loaded.cpu.TextTokenizer.fromVocabAndMerges(files.vocab, files.merges);
    gpt2Tokenizer = { tokenizer, ms: files.ms + now() - t0 };
  }
  return gpt2Tokenizer;
}

/** A tokenizer of the given kind and size trained on exactly `corpus`; the last few are kept. */
export function textTokenizer(/** @type {{kind?: string, vocabSize?: number, corpus?: string}} */ { kind = 'char', vocabSize = 512, corpus = '' }) {
  const key = `${kind}:${vocabSize}`;
  const cached = tokenizers.get(key);
  if (cached?.corpus === corpus) return cached;
  cached?.tokenizer.free();
  tokenizers.delete(key);
  if (tokenizers.size >= 4) {
    const [oldest, entry] = /** @type {[string, TokenizerEntry]} */ (tokenizers.entries().next().value);
    entry.tokenizer.free();
    tokenizers.delete(oldest);
  }
  const t0 = now();
  const entry = { corpus, tokenizer: new loaded.cpu.TextTokenizer(/** @type {'char' | 'bpe'} */ (kind), corpus, vocabSize), ms: 0 };
  entry.ms = now() - t0;
  tokenizers.set(key, entry);
  return entry;
}

/** `m.text` under a tokenizer entry: ids, tokens, spans, and the characters it has no token for. */
export function tokenizeWith(/** @type {TokenizerEntry} */ { tokenizer, ms }, /** @type {{text?: string}} */ m) {
  const text = m.text ?? '';
  const unknownChars = tokenizer.unknownChars(text);
  const t0 = now();
  // A character-level tokenizer cannot encode characters its corpus lacked: no tokens, but which.
  const out = unknownChars.length ? { ids: [], tokens: [], spans: [], byteSpans: [] } : tokenizer.tokenize(text);
  return { ...out, vocabSize: tokenizer.vocabSize, unknownChars, trainMs: ms, ms: now() - t0 };
}

/** How many trained tokenizers are kept now. */
export const tokenizersKept = () => tokenizers.size;
