// @ts-check
// The worker's long jobs: a training run in chunks of ~200 ms, and generation in batches of about
// a frame, each answering `stop` between two calls and reporting as it goes.
import { now, on, send, yieldToEvents } from './sessions.js';

/** @typedef {import('./sessions.js').Request} Request */
/** @typedef {import('../scheduler.js').Job} Job */
/** @typedef {import('../../pkg/cpu/gpt_wasm.js').SamplingOptions} SamplingOptions */
/** @typedef {import('../../pkg/cpu/gpt_wasm.js').GeneratedToken} GeneratedToken */

/** Sampling options as the facade takes them, checked here so that a wrong one gets a sentence
 *  that names it (serde would say "invalid type: floating point `2.5`, expected usize").
 *  @param {unknown} sampling @returns {SamplingOptions | null | undefined} */
export function checkSampling(sampling) {
  if (sampling === undefined || sampling === null) return sampling;
  if (typeof sampling !== 'object') throw new Error('sampling must be an object of options (temperature, topK, topP, seed, candidates)');
  const whole = (/** @type {string} */ key, /** @type {number} */ min, /** @type {number} */ max) => {
    const v = /** @type {Record<string, unknown>} */ (sampling)[key];
    if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && /** @type {number} */ (v) >= min && /** @type {number} */ (v) <= max)) {
      throw new Error(`sampling option ${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    }
  };
  whole('topK', 0, 2 ** 32);
  whole('seed', 0, Number.MAX_SAFE_INTEGER);
  whole('candidates', 0, 1000);
  const t = /** @type {Record<string, unknown>} */ (sampling).temperature;
  if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t >= 0)) {
    throw new Error(`sampling option temperature must be 0 (greedy) or a positive number, not ${JSON.stringify(t)}`);
  }
  const p = /** @type {Record<string, unknown>} */ (sampling).topP;
  if (p !== undefined && p !== null && !(typeof p === 'number' && p > 0 && p <= 1)) {
    throw new Error(`sampling option topP must be a number in (0, 1], not ${JSON.stringify(p)}`);
  }
  return /** @type {SamplingOptions} */ (sampling);
}

/** @param {unknown} steps @returns {asserts steps is number} */
function checkSteps(steps) {
  if (!(Number.isInteger(steps) && /** @type {number} */ (steps) > 0)) throw new Error(`steps must be a positive whole number, not ${steps}`);
}

/** @param {number} id @param {Request} m @param {Job} job */
export async function trainLoop(id, m, job) {
  const { steps, evalEvery = 0 } = m;
  checkSteps(steps);
  const step = () => on(m, (s) => s.step());
  const start = await step();
  const target = start + steps;
  let at = start;
  let chunk = 1;
  let nextEval = evalEvery > 0 ? start : Infinity;
  const evaluate = async () => {
    const losses = await on(m, (s) => s.evaluate());
    send({ id, type: 'eval', step: at, ...losses });
  };
  while (at < target && !job.stop) {
    if (at >= nextEval) {
      await evaluate();
      nextEval = at + evalEvery;
      if (job.stop) break;
    }
    const n = Math.min(chunk, target - at, Math.max(1, nextEval - at));
    const t = now();
    const report = await on(m, (s) => s.train(n));
    const ms = now() - t;
    at = report.step;
    send({ id, type: 'progress', step: report.step, losses: report.losses, tokens: report.tokens, ms, learningRate: report.learning_rate });
    // Size chunks to ~200 ms so `stop` is answered well within a second.
    chunk = Math.max(1, Math.min(50, Math.round((n * 200) / Math.max(ms, 1))));
    await yieldToEvents();
  }
  // A stopped run answers at once; a finished one gets a last validation estimate.
  if (evalEvery > 0 && at > start && !job.stop) await evaluate();
  return { step: at, reason: job.stop ? 'stopped' : 'done' };
}

/** How long the worker generates before it sends what it has (about a frame at 60 Hz). */
const BATCH_MS = 12;
/** A generated token without the decoded text and candidate lists (all but a batch's last). */
const slim = (/** @type {GeneratedToken} */ { text, candidates, next, ...token }) => token;

/** @param {number} id @param {Request} m @param {Job} job */
export async function generateLoop(id, m, job) {
  const { prompt, maxTokens = 200, forced } = m;
  const sampling = checkSampling(m.sampling);
  if (!(Number.isSafeInteger(maxTokens) && maxTokens >= 1 && maxTokens <= 100_000)) {
    throw new Error(`maxTokens must be a whole number from 1 to 100000, not ${JSON.stringify(maxTokens)}`);
  }
  // `continue` goes on from where the last generation stopped (say, after forcing a token).
  if (!m.continue) await on(m, (s) => s.startGeneration(prompt ?? '', sampling ?? {}));
  else if (sampling) await on(m, (s) => s.setSampling(sampling));
  let text = '';
  const t0 = now();
  let i = 0;
  while (i < maxTokens && !job.stop) {
    // Tokens go out in batches of about one frame (the model writes a tiny-preset token in
    // ~0.4 ms; one message per token capped streaming near 200 tokens/s). Only the batch's last
    // token carries the decoded text and the next candidates; the others are slim.
    const batch = [];
    const start = i;
    const sliceEnd = now() + BATCH_MS;
    do {
      const token = await on(m, (s) => s.nextToken(i === 0 ? forced : undefined));
      batch.push(token);
      i++;
    } while (i < maxTokens && !job.stop && now() < sliceEnd);
    const last = /** @type {GeneratedToken} */ (batch.at(-1)); // the loop ran at least once
    text = last.text;
    const tokens = batch.map((t) => (t === last ? t : slim(t)));
    send({ id, type: 'tokens', index: start, tokens, tokensPerSecond: (i / (now() - t0)) * 1000 });
    await yieldToEvents();
  }
  return { text, reason: job.stop ? 'stopped' : 'done' };
}
