// @ts-check
// The embedding panel's requests, answered in the worker (PROTOCOL.md): the map of the token
// table (PCA), the position similarities and a token's neighbours, computed here from the
// session's tables so that the page never holds (or loops over) a 50,257 x 768 table.
import { nearest, pca2, similarityMatrix } from '../embedding-map.js';
import { on } from './sessions.js';

/** @typedef {import('./sessions.js').Request} Request */
/** @typedef {import('./sessions.js').Session} Session */
/**
 * @typedef {Omit<import('../../pkg/cpu/gpt_wasm.js').Embeddings, 'tokenEmbedding' | 'positionEmbedding'>
 *   & {tokenEmbedding: Float32Array, positionEmbedding: Float32Array}} Tables A session's embedding tables at one step.
 */

// The latest tables read from each session, at the step they were read: a `neighbours` request
// for the same step reuses them.
const tables = /** @type {WeakMap<Session, Tables>} */ (new WeakMap());

/** The session's embedding tables now (token table as a Float32Array), read once per step. @param {Request} m @returns {Promise<Tables>} */
async function tablesOf(m) {
  return on(m, async (s) => {
    const step = s.info().step;
    const cached = tables.get(s);
    if (cached && cached.step === step) return cached;
    const e = await s.embeddings();
    const entry = { ...e, step, tokenEmbedding: Float32Array.from(e.tokenEmbedding), positionEmbedding: Float32Array.from(e.positionEmbedding) };
    tables.set(s, entry);
    return entry;
  });
}

/** `embeddingMap`: the token table's PCA map and the position similarities (no tables). @param {Request} m */
export async function embeddingMap(m) {
  const e = await tablesOf(m);
  const { vocabSize: V, nEmbd: C, blockSize: T } = e;
  const pca = pca2(e.tokenEmbedding, V, C);
  return {
    step: e.step, vocabSize: V, nEmbd: C, blockSize: T, tokens: e.tokens,
    points: pca.points, explained: pca.explained, orthogonality: pca.orthogonality, sampled: pca.sampled,
    positionSimilarity: similarityMatrix(e.positionEmbedding, T, C),
  };
}

/** `neighbours`: the `k` tokens nearest to token `m.token` (an id) by cosine similarity, with the
 *  step they are of. (`token`, not `id`: a request's `id` is the protocol's.) @param {Request} m */
export async function neighbours(m) {
  const e = await tablesOf(m);
  const id = /** @type {number} */ (m.token); // checked below
  if (!(Number.isInteger(id) && id >= 0 && id < e.vocabSize)) throw new Error(`token must be an id from 0 to ${e.vocabSize - 1}, not ${JSON.stringify(id)}`);
  return { step: e.step, token: id, neighbours: nearest(e.tokenEmbedding, e.vocabSize, e.nEmbd, id, m.k ?? 8) };
}
