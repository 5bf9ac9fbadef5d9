// The Web Worker that owns the model. The page talks to it only through the messages described
// in PROTOCOL.md, so long training never blocks painting or input.
import init, { Session, TextTokenizer, lastPanic, referenceModels } from '../pkg/gpt_wasm.js';

// Named sessions: "main" is the model the reader trains; panels build their own beside it
// (ablation runs, the fine-tuned copy) so the reader's model is never disturbed.
const sessions = new Map();
// Long jobs that a `stop` request can end, keyed "train:<session>" / "generate:<session>".
const running = {};
// Tokenizers built for the tokenizer panel, keyed by kind and vocabulary size; each remembers the
// corpus it learned from, so switching char <-> BPE or back to a size reuses the trained one.
const tokenizers = new Map();
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

const sessionName = (m) => m.session ?? 'main';

function needSession(m) {
  const name = sessionName(m);
  const s = sessions.get(name);
  if (!s) throw new Error(name === 'main' ? 'no model yet: press Train (or load a saved model) first' : `no session named "${name}"`);
  return s;
}

async function job(kind, m, fn) {
  const key = `${kind}:${sessionName(m)}`;
  if (running[key]) throw new Error(kind === 'train' ? 'training is already running: stop it first' : 'a generation is already running: stop it first');
  const state = { stop: false };
  running[key] = state;
  try {
    return await fn(state);
  } finally {
    delete running[key];
  }
}

const train = (id, m) => job('train', m, (state) => trainLoop(id, m, state));
const generate = (id, m) => job('generate', m, (state) => generateLoop(id, m, state));

async function trainLoop(id, m, state) {
  const { steps, evalEvery = 0 } = m;
  const s = needSession(m);
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

async function generateLoop(id, m, state) {
  const { prompt, sampling, maxTokens = 200, forced } = m;
  const s = needSession(m);
  // `continue` goes on from where the last generation stopped (say, after forcing a token).
  if (!m.continue) await exclusive(() => s.startGeneration(prompt ?? '', sampling ?? {}));
  else if (sampling) await exclusive(() => s.setSampling(sampling));
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

async function replace(m, make) {
  const name = sessionName(m);
  if (running[`train:${name}`] || running[`generate:${name}`]) throw new Error('stop training and generation before building a new model');
  const next = await exclusive(make);
  sessions.get(name)?.free();
  sessions.set(name, next);
  return next.info();
}

function drop(m) {
  const name = sessionName(m);
  if (name === 'main') throw new Error('the main model cannot be dropped, only replaced');
  for (const kind of ['train', 'generate']) if (running[`${kind}:${name}`]) running[`${kind}:${name}`].stop = true;
  return exclusive(() => {
    sessions.get(name)?.free();
    return { dropped: sessions.delete(name) };
  });
}

/** A tokenizer of the given kind and size trained on exactly `corpus`; the last few are kept. */
function textTokenizer({ kind = 'char', vocabSize = 512, corpus = '' }) {
  const key = `${kind}:${vocabSize}`;
  const cached = tokenizers.get(key);
  if (cached?.corpus === corpus) return cached;
  cached?.tokenizer.free();
  tokenizers.delete(key);
  if (tokenizers.size >= 4) {
    const [oldest, entry] = tokenizers.entries().next().value;
    entry.tokenizer.free();
    tokenizers.delete(oldest);
  }
  const t0 = now();
  const entry = { corpus, tokenizer: new TextTokenizer(kind, corpus, vocabSize), ms: 0 };
  entry.ms = now() - t0;
  tokenizers.set(key, entry);
  return entry;
}

const handlers = {
  init: (_, m) => replace(m, () => Session.create(m.options)),
  load: (_, m) => replace(m, () => Session.load(new Uint8Array(m.bytes), m.options ?? {})),
  // A copy of one session's model (weights, tokenizer, step) under another name.
  fork: (_, m) => replace(m, async () => {
    const from = needSession({ session: m.from });
    return Session.load(await from.save(), { device: from.info().device });
  }),
  drop: (_, m) => drop(m),
  info: (_, m) => exclusive(() => needSession(m).info()),
  train,
  generate,
  evaluate: (_, m) => exclusive(() => needSession(m).evaluate()),
  finetune: (_, m) => exclusive(() => needSession(m).fineTune(m.options)),
  sampling: (_, m) => exclusive(() => needSession(m).setSampling(m.sampling ?? {})),
  tokenize: (_, m) => exclusive(() => needSession(m).tokenize(m.text ?? '')),
  inspect: (_, m) => exclusive(() => needSession(m).inspect(m.text ?? '')),
  embeddings: (_, m) => exclusive(() => needSession(m).embeddings()),
  tokenizer: (_, m) => exclusive(() => {
    const { tokenizer, ms } = textTokenizer(m);
    const text = m.text ?? '';
    const unknownChars = tokenizer.unknownChars(text);
    const t0 = now();
    // A character-level tokenizer cannot encode characters its corpus lacked: no tokens, but which.
    const out = unknownChars.length ? { ids: [], tokens: [], spans: [], byteSpans: [] } : tokenizer.tokenize(text);
    return { ...out, vocabSize: tokenizer.vocabSize, unknownChars, trainMs: ms, ms: now() - t0 };
  }),
  referenceModels: () => referenceModels(),
  save: async (_, m) => ({ bytes: await exclusive(() => needSession(m).save()) }),
};

onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'stop') {
    const name = msg.session ?? 'main';
    const kinds = (msg.what ? [msg.what] : ['train', 'generate']).map((k) => `${k}:${name}`);
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
