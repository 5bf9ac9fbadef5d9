// The worker's sessions: named models ("main" is the reader's; panels build their own beside
// it), each with its own queue in the scheduler (one call at a time), and the CPU copies of
// WebGPU sessions that generation and the panels read. Also the worker's clock and its way of
// letting messages in between two calls.
import { Scheduler } from '../scheduler.js';

// Named sessions: "main" is the model the reader trains; panels build their own beside it
// (ablation runs, the fine-tuned copy) so the reader's model is never disturbed.
export const scheduler = new Scheduler();

/** Posts a message to the page. */
export const send = (msg, transfer) => postMessage(msg, transfer ?? []);
// A macrotask, not a microtask, so that the worker receives `stop` between chunks and tokens.
// A MessageChannel message rather than setTimeout(0), which browsers clamp to 4 ms when nested:
// that alone capped streaming generation at ~100 tokens/s.
const tick = new MessageChannel();
const ticking = [];
tick.port1.onmessage = () => ticking.shift()?.();
/** Resolves after the events waiting now (a `stop`, say) were delivered. */
export const yieldToEvents = () =>
  new Promise((resolve) => {
    ticking.push(resolve);
    tick.port2.postMessage(0);
  });
export const now = () => performance.now();

/** The session a request names (`main` by default). */
export const sessionName = (m) => m.session ?? 'main';

/** Builds a session with `make` and puts it under the request's name (replacing any). */
export async function replace(m, make) {
  const object = await scheduler.replace(sessionName(m), make);
  return on(m, () => object.info());
}

// CPU copies of WebGPU sessions (`copy`): requests that only read the model (generation and the
// panels' inspections) go to the copy while it exists; anything that changes the model drops it.
export const copies = new Set(); // names of sessions whose reads go to their copy
export const copyName = (name) => `${name}@cpu`;
export const READS = new Set(['generate', 'sampling', 'inspect', 'embeddings', 'embeddingMap', 'neighbours', 'tokenize']);
export const CHANGES = new Set(['init', 'load', 'importHf', 'resume', 'train', 'apply', 'ringStep', 'finetune', 'drop']);
export function dropCopy(name) {
  copies.delete(name);
  return scheduler.drop(copyName(name));
}

/** Milliseconds per generated token of session `name` (after one that warms up), continuing
 *  `prompt` (text the model's tokenizer can encode: the start of its corpus). */
export function tokenMs(name, prompt) {
  return scheduler.call(name, async (s) => {
    await s.startGeneration(prompt, {});
    await s.nextToken();
    const t = now();
    for (let i = 0; i < 3; i++) await s.nextToken();
    return (now() - t) / 3;
  });
}
/** A call into the request's session, in its queue. */
export const on = (m, fn) => scheduler.call(sessionName(m), fn);
