// @ts-check
// The Web Worker that owns the model. The page talks to it only through the messages described
// in PROTOCOL.md, so long training never blocks painting or input. Every call into a model
// session goes through the scheduler (scheduler.js): one queue per session, one call at a time.
// This file is the dispatch: what each request does. The parts are in worker/: the packages
// (model code), the sessions and their CPU copies, the training and generation loops, the ring
// all-reduce of data-parallel training, the tokenizers, and the GPU watch.
import { describe, loadPackage, loaded, packageFor } from './worker/packages.js';
import { CHANGES, READS, copies, copyName, dropCopy, now, on, replace, scheduler, send, sessionName, tokenMs } from './worker/sessions.js';
import { checkSampling, generateLoop, trainLoop } from './worker/loops.js';
import { joinRing, ringStep } from './worker/ring.js';
import { gpt2, gpt2Fetch, requestCorpus, textTokenizer, tokenizeWith, tokenizersKept } from './worker/tokenizers.js';
import { debug } from './worker/gpu.js';
import { embeddingMap, neighbours } from './worker/embeddings.js';

/** @typedef {import('./worker/sessions.js').Request} Request */
/** @typedef {import('../pkg/cpu/gpt_wasm.js').SessionOptions} SessionOptions */
/**
 * @typedef {{bytes?: Uint8Array, gradients?: Float32Array, points?: Float64Array, files?: import('../pkg/cpu/gpt_wasm.js').HfFile[]} | null | undefined} Transferring
 *   A reply's value as far as the buffers it transfers go (other values have none of these fields).
 */

/** What each request type does: `id` is the request's, `m` the request. @type {Record<string, (id: number, m: Request) => unknown>} */
const handlers = {
  init: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    return replace(m, () => Session.create(/** @type {SessionOptions} */ (m.options)));
  },
  load: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    return replace(m, () => Session.load(new Uint8Array(/** @type {ArrayBuffer} */ (m.bytes)), m.options ?? {}));
  },
  // A Hugging Face GPT-2 folder's files ({name, bytes: ArrayBuffer}[]) as a new session.
  importHf: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    const files = /** @type {{name: string, bytes: ArrayBuffer}[]} */ (m.files).map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }));
    return replace(m, () => Session.importHf(files, m.options ?? {}));
  },
  // A training run (model, optimizer, samplers) saved by `snapshot`, continued exactly.
  resume: async (_, m) => {
    const { Session } = await packageFor(m.options?.device);
    return replace(m, () => Session.resume(new Uint8Array(/** @type {ArrayBuffer} */ (m.bytes)), m.options ?? {}));
  },
  snapshot: async (_, m) => ({ bytes: await on(m, (s) => s.snapshot()) }),
  // Data-parallel training (one replica per worker): this replica's shard of the next global
  // batch, then the averaged gradients applied by every replica alike.
  gradients: (_, m) => on(m, (s) => s.gradients(/** @type {number} */ (m.shard), /** @type {number} */ (m.of))),
  apply: (_, m) => on(m, (s) => s.applyGradients(/** @type {Float32Array} */ (m.gradients))),
  ring: (_, m) => joinRing(m),
  ringStep: (_, m) => ringStep(m, on),
  // Which device trains faster: `steps` timed steps (after one that warms up: WebGPU compiles its
  // shaders) of a throwaway model built from `options`. With `shards` > 1 a step is one shard's
  // gradients plus the optimizer step: what each of that many data-parallel workers does.
  measure: (_, m) => scheduler.exclusive(async () => {
    const { Session } = await packageFor(m.options?.device);
    const session = await Session.create(/** @type {SessionOptions} */ (m.options));
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
      return { msPerStep: ms, tokensPerSecond: (/** @type {number} */ (info.batchSize) * info.config.block_size * 1000) / ms, paramCount: info.paramCount, batchSize: info.batchSize };
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
    /** @type {{device: 'cpu' | 'webgpu', cpuTokensPerSecond?: number, webgpuTokensPerSecond?: number}} */
    const result = { device: 'cpu' };
    if (m.measure) {
      result.cpuTokensPerSecond = 1000 / (await tokenMs(copyName(name), /** @type {string} */ (m.prompt)));
      result.webgpuTokensPerSecond = 1000 / (await tokenMs(name, /** @type {string} */ (m.prompt)));
      if (result.webgpuTokensPerSecond > result.cpuTokensPerSecond) result.device = 'webgpu';
    }
    if (result.device === 'cpu') copies.add(name);
    else await scheduler.drop(copyName(name));
    return result;
  },
  debug: (_, m) => {
    const hook = debug[/** @type {string} */ (m.action)];
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
  finetune: (_, m) => on(m, (s) => s.fineTune(/** @type {import('../pkg/cpu/gpt_wasm.js').FineTuneOptions} */ (m.options))),
  sampling: (_, m) => on(m, (s) => s.setSampling(checkSampling(m.sampling) ?? {})),
  tokenize: (_, m) => on(m, (s) => s.tokenize(m.text ?? '')),
  inspect: (_, m) => on(m, (s) => s.inspect(m.text ?? '')),
  embeddings: (_, m) => on(m, (s) => s.embeddings()),
  embeddingMap: (_, m) => embeddingMap(m),
  neighbours: (_, m) => neighbours(m),
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
    tokenizers: tokenizersKept(),
  }),
};

onmessage = async (event) => {
  const msg = /** @type {Request} */ (event.data);
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
    send({ id: msg.id, type: 'result', value: { cancelled: scheduler.cancel(/** @type {number} */ (msg.target)) } });
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
    const value = /** @type {Transferring} */ (await handler(msg.id, msg));
    const transfer = value?.bytes ? [value.bytes.buffer] : value?.gradients ? [value.gradients.buffer] : value?.points ? [value.points.buffer]
      : value?.files ? value.files.map((f) => f.bytes.buffer) : [];
    send({ id: msg.id, type: 'result', value }, transfer);
  } catch (err) {
    send({ id: msg.id, type: 'error', ...describe(err), ...(/** @type {{code?: string}} */ (err).code ? { code: /** @type {{code?: string}} */ (err).code } : {}) });
  }
};

// A message that could not be deserialised (it names no request): say so rather than hang.
onmessageerror = () => send({ type: 'messageerror', message: 'the model worker received a message it could not read' });
