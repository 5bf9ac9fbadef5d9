// The Web Worker that owns the model. The page talks to it only through the messages described
// in PROTOCOL.md, so long training never blocks painting or input.
import init, { Session, lastPanic } from './pkg/gpt_wasm.js';

let session = null;
// Long jobs that a `stop` request can end: 'train' and 'generate' -> { stop: bool }.
const running = {};
// Every call into the session goes through this lock: wasm-bindgen forbids re-entering an object
// while one of its async methods is pending, and this is also what lets a `generate` request
// slip in between two training chunks.
let lock = Promise.resolve();
function exclusive(fn) {
  const result = lock.then(fn);
  lock = result.catch(() => {});
  return result;
}

const send = (msg, transfer) => postMessage(msg, transfer ?? []);
// A macrotask, not a microtask, so that the worker receives `stop` between chunks and tokens.
// A MessageChannel message rather than setTimeout(0), which browsers clamp to 4 ms when nested:
// that alone capped streaming generation at ~100 tokens/s.
const tick = new MessageChannel();
const ticking = [];
tick.port1.onmessage = () => ticking.shift()?.();
const yieldToEvents = () =>
  new Promise((resolve) => {
    ticking.push(resolve);
    tick.port2.postMessage(0);
  });
const now = () => performance.now();

function describe(err) {
  // A trap inside WebAssembly (a Rust panic) leaves the module unusable; its message was saved.
  if (err instanceof WebAssembly.RuntimeError) {
    return { message: lastPanic() ?? `the model crashed: ${err.message}`, fatal: true };
  }
  return { message: err?.message ?? String(err), fatal: false };
}

function needSession() {
  if (!session) throw new Error('no model yet: press Train (or load a saved model) first');
  return session;
}

async function job(kind, fn) {
  if (running[kind]) throw new Error(kind === 'train' ? 'training is already running: stop it first' : 'a generation is already running: stop it first');
  const state = { stop: false };
  running[kind] = state;
  try {
    return await fn(state);
  } finally {
    delete running[kind];
  }
}

const train = (id, m) => job('train', (state) => trainLoop(id, m, state));
const generate = (id, m) => job('generate', (state) => generateLoop(id, m, state));

async function trainLoop(id, { steps, evalEvery = 0 }, state) {
  const s = needSession();
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`steps must be a positive whole number, not ${steps}`);
  const start = s.step();
  const target = start + steps;
  let chunk = 1;
  let nextEval = evalEvery > 0 ? start : Infinity;
  while (s.step() < target && !state.stop) {
    if (s.step() >= nextEval) {
      const losses = await exclusive(() => s.evaluate());
      send({ id, type: 'eval', step: s.step(), ...losses });
      nextEval = s.step() + evalEvery;
    }
    const n = Math.min(chunk, target - s.step(), Math.max(1, nextEval - s.step()));
    const t = now();
    const report = await exclusive(() => s.train(n));
    const ms = now() - t;
    send({
      id,
      type: 'progress',
      step: report.step,
      losses: report.losses,
      tokens: report.tokens,
      ms,
      learningRate: report.learning_rate,
    });
    // Size chunks to ~200 ms so `stop` is answered well within a second.
    chunk = Math.max(1, Math.min(50, Math.round((n * 200) / Math.max(ms, 1))));
    await yieldToEvents();
  }
  // A stopped run answers at once; a finished one gets a last validation estimate.
  if (evalEvery > 0 && s.step() > start && !state.stop) {
    const losses = await exclusive(() => s.evaluate());
    send({ id, type: 'eval', step: s.step(), ...losses });
  }
  return { step: s.step(), reason: state.stop ? 'stopped' : 'done' };
}

async function generateLoop(id, { prompt, sampling, maxTokens = 200, forced }, state) {
  const s = needSession();
  await exclusive(() => s.startGeneration(prompt ?? '', sampling ?? {}));
  let text = '';
  const t0 = now();
  for (let i = 0; i < maxTokens && !state.stop; i++) {
    const token = await exclusive(() => s.nextToken(i === 0 ? forced : undefined));
    text = token.text;
    // `token` stays nested: its own `id` (the token id) must not shadow the request id.
    send({ id, type: 'token', index: i, token, tokensPerSecond: ((i + 1) / (now() - t0)) * 1000 });
    await yieldToEvents();
  }
  return { text, reason: state.stop ? 'stopped' : 'done' };
}

async function replace(make) {
  if (running.train || running.generate) throw new Error('stop training and generation before building a new model');
  const next = await exclusive(make);
  session?.free();
  session = next;
  return session.info();
}

const handlers = {
  init: (_, m) => replace(() => Session.create(m.options)),
  load: (_, m) => replace(() => Session.load(new Uint8Array(m.bytes), m.options ?? {})),
  info: () => exclusive(() => needSession().info()),
  train,
  generate,
  tokenize: (_, m) => exclusive(() => needSession().tokenize(m.text ?? '')),
  inspect: (_, m) => exclusive(() => needSession().inspect(m.text ?? '')),
  save: async () => ({ bytes: await exclusive(() => needSession().save()) }),
};

onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'stop') {
    const kinds = msg.what ? [msg.what] : Object.keys(running);
    const stopped = kinds.filter((k) => running[k]);
    for (const k of stopped) running[k].stop = true;
    send({ id: msg.id, type: 'result', value: { stopped: stopped.length > 0 } });
    return;
  }
  const handler = handlers[msg.type];
  if (!handler) {
    send({ id: msg.id, type: 'error', message: `unknown request type "${msg.type}"`, fatal: false });
    return;
  }
  try {
    const value = await handler(msg.id, msg);
    const transfer = value?.bytes ? [value.bytes.buffer] : [];
    send({ id: msg.id, type: 'result', value }, transfer);
  } catch (err) {
    send({ id: msg.id, type: 'error', ...describe(err) });
  }
};

init()
  .then(() => send({ type: 'boot', ok: true }))
  .catch((err) => send({ type: 'boot', ok: false, message: `could not load the model code (WebAssembly): ${err.message}` }));
