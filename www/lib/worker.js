// The Web Worker that owns the model. The page talks to it only through the messages described
// in PROTOCOL.md, so long training never blocks painting or input. Every call into a model
// session goes through the scheduler (scheduler.js): one queue per session, one call at a time.
import { Scheduler } from './scheduler.js';

// The model code comes in builds of the same facade (PROTOCOL.md, "Packages"): a CPU-only
// one (`cpu-relaxed` where the browser has WebAssembly relaxed SIMD, else `cpu`: the page
// chooses), loaded at boot from a module the page compiled once for all its workers, and the WebGPU
// one (burn's wgpu stack: about three times the size), fetched only when a session asks for
// WebGPU. Both have the same API; a session lives in the package of its device.
const PACKAGES = { cpu: '../pkg/cpu/gpt_wasm.js', 'cpu-relaxed': '../pkg/cpu-relaxed/gpt_wasm.js', webgpu: '../pkg/webgpu/gpt_wasm.js' };
const packages = {}; // name -> Promise of the package's exports (Session, TextTokenizer, ...)
const loaded = {}; // name -> the package, once it has loaded

/** Loads package `build` (a key of PACKAGES, default `name`) as `name`: the CPU one is `cpu`
 *  whichever build it is. */
function loadPackage(name, module, build = name) {
  packages[name] ??= (async () => {
    if (!PACKAGES[build]) throw new Error(`unknown package "${build}"`);
    const glue = await import(new URL(PACKAGES[build], import.meta.url));
    const instance = await glue.default(module ? { module_or_path: module } : undefined);
    loaded[name] = { ...glue, memory: instance.memory, build };
    return loaded[name];
  })();
  return packages[name];
}

/** The package that runs sessions on `device` ("cpu" unless "webgpu"). */
async function packageFor(device) {
  if (device !== 'webgpu') return loaded.cpu;
  try {
    return await loadPackage('webgpu');
  } catch (err) {
    delete packages.webgpu; // a failed download may be retried
    throw new Error(`could not load the WebGPU build of the model code (${err.message}); use the CPU instead`);
  }
}

// Named sessions: "main" is the model the reader trains; panels build their own beside it
// (ablation runs, the fine-tuned copy) so the reader's model is never disturbed.
const scheduler = new Scheduler();
// Tokenizers built for the tokenizer panel, keyed by kind and vocabulary size; each remembers the
// corpus it learned from, so switching char <-> BPE or back to a size reuses the trained one.
const tokenizers = new Map();

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
    const panic = loaded.webgpu?.lastPanic() ?? loaded.cpu?.lastPanic();
    return { message: panic ?? `the model crashed: ${err.message}`, fatal: true };
  }
  return { message: err?.message ?? String(err), fatal: false };
}

const sessionName = (m) => m.session ?? 'main';

// CPU copies of WebGPU sessions (`copy`): requests that only read the model (generation and the
// panels' inspections) go to the copy while it exists; anything that changes the model drops it.
const copies = new Set(); // names of sessions whose reads go to their copy
const copyName = (name) => `${name}@cpu`;
const READS = new Set(['generate', 'sampling', 'inspect', 'embeddings', 'tokenize']);
const CHANGES = new Set(['init', 'load', 'importHf', 'resume', 'train', 'apply', 'ringStep', 'finetune', 'drop']);
function dropCopy(name) {
  copies.delete(name);
  return scheduler.drop(copyName(name));
}

/** Milliseconds per generated token of session `name` (after one that warms up), continuing
 *  `prompt` (text the model's tokenizer can encode: the start of its corpus). */
function tokenMs(name, prompt) {
  return scheduler.call(name, async (s) => {
    await s.startGeneration(prompt, {});
    await s.nextToken();
    const t = now();
    for (let i = 0; i < 3; i++) await s.nextToken();
    return (now() - t) / 3;
  });
}
/** A call into the request's session, in its queue. */
const on = (m, fn) => scheduler.call(sessionName(m), fn);

/** Sampling options as the facade takes them, checked here so that a wrong one gets a sentence
 *  that names it (serde would say "invalid type: floating point `2.5`, expected usize"). */
function checkSampling(sampling) {
  if (sampling === undefined || sampling === null) return sampling;
  if (typeof sampling !== 'object') throw new Error('sampling must be an object of options (temperature, topK, topP, seed, candidates)');
  const whole = (key, min, max) => {
    const v = sampling[key];
    if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && v >= min && v <= max)) {
      throw new Error(`sampling option ${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    }
  };
  whole('topK', 0, 2 ** 32);
  whole('seed', 0, Number.MAX_SAFE_INTEGER);
  whole('candidates', 0, 1000);
  const t = sampling.temperature;
  if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t >= 0)) {
    throw new Error(`sampling option temperature must be 0 (greedy) or a positive number, not ${JSON.stringify(t)}`);
  }
  const p = sampling.topP;
  if (p !== undefined && p !== null && !(typeof p === 'number' && p > 0 && p <= 1)) {
    throw new Error(`sampling option topP must be a number in (0, 1], not ${JSON.stringify(p)}`);
  }
  return sampling;
}

function checkSteps(steps) {
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`steps must be a positive whole number, not ${steps}`);
}

async function trainLoop(id, m, job) {
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

// Data-parallel training over a ring of workers: each sends to the next and hears from the
// previous through MessagePorts the page hands out (`ring`), so the averaged gradients never go
// through the page. A ring all-reduce: N-1 rounds of reduce-scatter (each adds the chunk it hears
// to its own and passes it on), then N-1 rounds of all-gather (the finished chunks go round).
// Every chunk is summed once, by one worker, then copied, so all replicas get the same bits.
const ring = { rank: 0, size: 1, next: null, prev: null, inbox: [], waiting: [], chain: Promise.resolve() };

function ringReceive() {
  if (ring.inbox.length) return Promise.resolve(ring.inbox.shift());
  return new Promise((resolve, reject) => ring.waiting.push({ resolve, reject }));
}

/** Joins a ring as `rank` of `size` (size 1, or no ports: leaves it; whatever waits fails). */
function joinRing({ rank = 0, size = 1, next = null, prev = null }) {
  ring.next?.close();
  ring.prev?.close();
  for (const w of ring.waiting) w.reject(new Error('the training ring was taken apart'));
  Object.assign(ring, { rank, size, next, prev, inbox: [], waiting: [] });
  if (prev) {
    prev.onmessage = (e) => {
      const w = ring.waiting.shift();
      if (w) w.resolve(e.data);
      else ring.inbox.push(e.data);
    };
  }
}

/** Replaces `g` (this replica's flat gradients) by the mean over the ring, in place. */
async function allReduce(g) {
  const { rank, size } = ring;
  const mod = (x) => ((x % size) + size) % size;
  const chunk = (c) => g.subarray(Math.floor((c * g.length) / size), Math.floor(((c + 1) * g.length) / size));
  const pass = (c) => {
    const out = chunk(c).slice();
    ring.next.postMessage(out, [out.buffer]);
  };
  for (let i = 0; i < size - 1; i++) {
    pass(mod(rank - i));
    const heard = await ringReceive();
    const mine = chunk(mod(rank - i - 1));
    for (let j = 0; j < mine.length; j++) mine[j] += heard[j];
  }
  for (let i = 0; i < size - 1; i++) {
    pass(mod(rank + 1 - i));
    chunk(mod(rank - i)).set(await ringReceive());
  }
  const scale = 1 / size;
  for (let j = 0; j < g.length; j++) g[j] *= scale;
}

/** One data-parallel step in the ring: this replica's shard, the all-reduce, the same update. */
async function ringStep(m) {
  if (!ring.next) throw new Error('this worker is in no training ring');
  const { loss, gradients } = await on(m, (s) => s.gradients(ring.rank, ring.size));
  await allReduce(gradients);
  const applied = await on(m, (s) => s.applyGradients(gradients));
  return { loss, ...applied };
}

/** How long the worker generates before it sends what it has (about a frame at 60 Hz). */
const BATCH_MS = 12;
/** A generated token without the decoded text and candidate lists (all but a batch's last). */
const slim = ({ text, candidates, next, ...token }) => token;

async function generateLoop(id, m, job) {
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
    const last = batch.at(-1);
    text = last.text;
    const tokens = batch.map((t) => (t === last ? t : slim(t)));
    send({ id, type: 'tokens', index: start, tokens, tokensPerSecond: (i / (now() - t0)) * 1000 });
    await yieldToEvents();
  }
  return { text, reason: job.stop ? 'stopped' : 'done' };
}

/** Builds a session with `make` and puts it under the request's name (replacing any). */
async function replace(m, make) {
  const object = await scheduler.replace(sessionName(m), make);
  return on(m, () => object.info());
}

// Corpora the page sent for `tokenizer` requests, by the id it gave them (the latest two), so an
// edit of the text to tokenize does not post the whole corpus (up to 8 MB) again.
const corpora = new Map();

/** The corpus of a `tokenizer` request: sent with it (and kept under its id), or kept before. */
function requestCorpus({ corpus, corpusId }) {
  if (typeof corpus === 'string') {
    if (corpusId !== undefined) {
      corpora.delete(corpusId);
      corpora.set(corpusId, corpus);
      while (corpora.size > 2) corpora.delete(corpora.keys().next().value);
    }
    return corpus;
  }
  if (corpora.has(corpusId)) return corpora.get(corpusId);
  const err = new Error('the worker does not have this corpus: send it with the request');
  err.code = 'CORPUS_UNKNOWN';
  throw err;
}

/** GPT-2's own tokenizer (50,257 tokens): its files, fetched once from those the page ships, and
 *  the tokenizer read from them (built on first use, inside the worker's turn). */
let gpt2Files = null;
let gpt2Tokenizer = null;
function gpt2Fetch() {
  const file = async (name) => {
    const response = await fetch(new URL(`../corpora/gpt2/${name}`, import.meta.url));
    if (!response.ok) throw new Error(`GPT-2's ${name} could not be loaded (HTTP ${response.status})`);
    return response.text();
  };
  const t0 = now();
  gpt2Files ??= Promise.all([file('vocab.json'), file('merges.txt')]).then(([vocab, merges]) => ({ vocab, merges, ms: now() - t0 }));
  gpt2Files.catch(() => { gpt2Files = null; }); // a failed fetch is tried again next time
  return gpt2Files;
}
function gpt2(files) {
  if (!gpt2Tokenizer) {
    const t0 = now();
    const tokenizer = loaded.cpu.TextTokenizer.fromVocabAndMerges(files.vocab, files.merges);
    gpt2Tokenizer = { tokenizer, ms: files.ms + now() - t0 };
  }
  return gpt2Tokenizer;
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
  const entry = { corpus, tokenizer: new loaded.cpu.TextTokenizer(kind, corpus, vocabSize), ms: 0 };
  entry.ms = now() - t0;
  tokenizers.set(key, entry);
  return entry;
}

/** `m.text` under a tokenizer entry: ids, tokens, spans, and the characters it has no token for. */
function tokenizeWith({ tokenizer, ms }, m) {
  const text = m.text ?? '';
  const unknownChars = tokenizer.unknownChars(text);
  const t0 = now();
  // A character-level tokenizer cannot encode characters its corpus lacked: no tokens, but which.
  const out = unknownChars.length ? { ids: [], tokens: [], spans: [], byteSpans: [] } : tokenizer.tokenize(text);
  return { ...out, vocabSize: tokenizer.vocabSize, unknownChars, trainMs: ms, ms: now() - t0 };
}

// The WebGPU device burn's wgpu runtime asks for: watched, so that its loss (a driver reset, a
// tab in the background too long, or the test hook below) and GPU errors outside any call reach
// the page, which then carries on from the last snapshot on the CPU.
const gpu = { device: null };
if (self.GPUAdapter) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function watchedRequestDevice(...args) {
    const device = await requestDevice.apply(this, args);
    gpu.device = device;
    device.lost.then((info) => send({ type: 'device-lost', reason: info.reason, message: info.message }));
    device.addEventListener('uncapturederror', (e) => send({ type: 'gpu-error', message: e.error?.message ?? String(e.error) }));
    return device;
  };
}

// Test hooks: a crash after boot, a worker that stops answering, a lost WebGPU device.
const debug = {
  crash: () => setTimeout(() => { throw new Error('a crash requested by a test'); }),
  hang: () => setTimeout(() => { for (;;); }),
  'lose-device': () => {
    if (!gpu.device) throw new Error('there is no WebGPU device to lose');
    gpu.device.destroy();
  },
};

const handlers = {
  init: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    return replace(m, () => Session.create(m.options));
  },
  load: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    return replace(m, () => Session.load(new Uint8Array(m.bytes), m.options ?? {}));
  },
  // A Hugging Face GPT-2 folder's files ({name, bytes: ArrayBuffer}[]) as a new session.
  importHf: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    const files = m.files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }));
    return replace(m, () => Session.importHf(files, m.options ?? {}));
  },
  // A training run (model, optimizer, samplers) saved by `snapshot`, continued exactly.
  resume: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    return replace(m, () => Session.resume(new Uint8Array(m.bytes), m.options ?? {}));
  },
  snapshot: async (_, m) => ({ bytes: await on(m, (s) => s.snapshot()) }),
  // Data-parallel training (one replica per worker): this replica's shard of the next global
  // batch, then the averaged gradients applied by every replica alike.
  gradients: (_, m) => on(m, (s) => s.gradients(m.shard, m.of)),
  apply: (_, m) => on(m, (s) => s.applyGradients(m.gradients)),
  ring: (_, m) => {
    joinRing(m);
    return { rank: ring.rank, size: ring.size };
  },
  // Steps run one after another even when the page asks for the next before this one ends.
  ringStep: (_, m) => {
    const run = ring.chain.then(() => ringStep(m));
    ring.chain = run.catch(() => {});
    return run;
  },
  // Which device trains faster: `steps` timed steps (after one that warms up: WebGPU compiles its
  // shaders) of a throwaway model built from `options`. With `shards` > 1 a step is one shard's
  // gradients plus the optimizer step: what each of that many data-parallel workers does.
  measure: (_, m) => scheduler.exclusive(async () => {
    const { Session } = await packageFor(m.options?.device);
    const session = await Session.create(m.options);
    try {
      const of = m.shards ?? 1; // a divisor of the batch size (the page sees to it)
      const step = async () => {
        if (of > 1) await session.applyGradients((await session.gradients(0, of)).gradients);
        else await session.train(1);
      };
      await step();
      const steps = m.steps ?? 3;
      const t = now();
      for (let i = 0; i < steps; i++) await step();
      const ms = (now() - t) / steps;
      const info = session.info();
      return { msPerStep: ms, tokensPerSecond: (info.batchSize * info.config.block_size * 1000) / ms, paramCount: info.paramCount, batchSize: info.batchSize };
    } finally {
      session.free();
    }
  }),
  // A CPU copy of a WebGPU session for generation and inspection, which are latency-bound (one
  // read-back per token). With `measure`, a few tokens after `prompt` are timed on both and the copy is used
  // only when it is faster; without, it is used (a software adapter is always slower).
  copy: async (_, m) => {
    const name = sessionName(m);
    await dropCopy(name);
    const bytes = await on(m, (s) => s.save());
    const { Session } = await packageFor('cpu');
    await scheduler.replace(copyName(name), () => Session.load(bytes, { device: 'cpu' }));
    const result = { device: 'cpu' };
    if (m.measure) {
      result.cpuTokensPerSecond = 1000 / (await tokenMs(copyName(name), m.prompt));
      result.webgpuTokensPerSecond = 1000 / (await tokenMs(name, m.prompt));
      if (result.webgpuTokensPerSecond > result.cpuTokensPerSecond) result.device = 'webgpu';
    }
    if (result.device === 'cpu') copies.add(name);
    else await scheduler.drop(copyName(name));
    return result;
  },
  debug: (_, m) => {
    const hook = debug[m.action];
    if (!hook) throw new Error(`unknown debug action "${m.action}"; the actions are ${Object.keys(debug).join(', ')}`);
    hook();
    return { ok: true };
  },
  // A copy of one session's model (weights, tokenizer, step) under another name.
  fork: async (_, m) => {
    const from = { session: m.from };
    const [bytes, info] = await on(from, async (s) => [await s.save(), s.info()]);
    const { Session } = await packageFor(info.device);
    return replace(m, () => Session.load(bytes, { device: info.device }));
  },
  // Stops the session's jobs and frees it (the reader's "New model" drops "main").
  drop: async (_, m) => ({ dropped: await scheduler.drop(sessionName(m)) }),
  info: (_, m) => on(m, (s) => s.info()),
  train: (id, m) => scheduler.job(id, sessionName(m), 'train', (job) => trainLoop(id, m, job)),
  generate: (id, m) => scheduler.job(id, sessionName(m), 'generate', (job) => generateLoop(id, m, job)),
  evaluate: (_, m) => on(m, (s) => s.evaluate()),
  finetune: (_, m) => on(m, (s) => s.fineTune(m.options)),
  sampling: (_, m) => on(m, (s) => s.setSampling(checkSampling(m.sampling) ?? {})),
  tokenize: (_, m) => on(m, (s) => s.tokenize(m.text ?? '')),
  inspect: (_, m) => on(m, (s) => s.inspect(m.text ?? '')),
  embeddings: (_, m) => on(m, (s) => s.embeddings()),
  tokenizer: async (_, m) => {
    // GPT-2's is read (not trained) and needs no corpus; fetched before taking the worker.
    const files = m.kind === 'gpt2' ? await gpt2Fetch() : null;
    return scheduler.exclusive(() => tokenizeWith(files ? gpt2(files) : textTokenizer({ ...m, corpus: requestCorpus(m) }), m));
  },
  referenceModels: () => loaded.cpu.referenceModels(),
  checkFusedOps: () => scheduler.exclusive(() => loaded.cpu.checkFusedOps()),
  save: async (_, m) => ({ bytes: await on(m, (s) => s.save()) }),
  exportHf: async (_, m) => ({ files: await on(m, (s) => s.exportHf()) }),
  // Answered at once (not queued): the sessions that exist, the WebAssembly memory and the
  // tokenizers kept (for the page's long-use checks).
  sessions: () => ({
    sessions: scheduler.names(),
    memoryBytes: Object.values(loaded).reduce((sum, p) => sum + p.memory.buffer.byteLength, 0),
    packages: Object.keys(loaded),
    // The build behind each package name ("cpu" is `cpu` or `cpu-relaxed`).
    builds: Object.fromEntries(Object.entries(loaded).map(([name, p]) => [name, p.build])),
    tokenizers: tokenizers.size,
  }),
};

onmessage = async (event) => {
  const msg = event.data;
  // The first message: which CPU package, and its compiled module (or null: fetch and compile
  // it here).
  if (msg.type === 'boot') {
    loadPackage('cpu', msg.module, msg.package ?? 'cpu').then(
      () => send({ type: 'boot', ok: true }),
      (err) => send({ type: 'boot', ok: false, message: `could not load the model code (WebAssembly): ${err.message}` }),
    );
    return;
  }
  // `stop` and `cancel` are answered at once: they only flag jobs, which end between two calls.
  if (msg.type === 'stop') {
    const kinds = msg.what ? [msg.what] : undefined;
    const stopped = scheduler.stop(sessionName(msg), kinds) + scheduler.stop(copyName(sessionName(msg)), kinds);
    send({ id: msg.id, type: 'result', value: { stopped: stopped > 0 } });
    return;
  }
  if (msg.type === 'ping') {
    send({ id: msg.id, type: 'result', value: { pong: true } });
    return;
  }
  if (msg.type === 'cancel') {
    send({ id: msg.id, type: 'result', value: { cancelled: scheduler.cancel(msg.target) } });
    return;
  }
  if (READS.has(msg.type) && copies.has(sessionName(msg))) msg.session = copyName(sessionName(msg));
  else if (CHANGES.has(msg.type) && copies.has(sessionName(msg))) dropCopy(sessionName(msg));
  const handler = handlers[msg.type];
  if (!handler) {
    send({ id: msg.id, type: 'error', message: `unknown request type "${msg.type}"`, fatal: false });
    return;
  }
  try {
    const value = await handler(msg.id, msg);
    const transfer = value?.bytes ? [value.bytes.buffer] : value?.gradients ? [value.gradients.buffer]
      : value?.files ? value.files.map((f) => f.bytes.buffer) : [];
    send({ id: msg.id, type: 'result', value }, transfer);
  } catch (err) {
    send({ id: msg.id, type: 'error', ...describe(err), ...(err.code ? { code: err.code } : {}) });
  }
};

// A message that could not be deserialised (it names no request): say so rather than hang.
onmessageerror = () => send({ type: 'messageerror', message: 'the model worker received a message it could not read' });
