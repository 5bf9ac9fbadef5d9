// @ts-check
// Data-parallel training over a ring of workers: each sends to the next and hears from the
// previous through MessagePorts the page hands out (`ring`), so the averaged gradients never go
// through the page. A ring all-reduce: N-1 rounds of reduce-scatter (each adds the chunk it hears
// to its own and passes it on), then N-1 rounds of all-gather (the finished chunks go round).
// Every chunk is summed once, by one worker, then copied, so all replicas get the same bits.
// The arithmetic (`chunkRange`, `ringPlan`) is pure and tested in Node (tests/ring.test.mjs).

/** Chunk `c` of `size` nearly equal chunks of `length` values: `[start, end)`.
 *  @param {number} length @param {number} size @param {number} c @returns {[number, number]} */
export function chunkRange(length, size, c) {
  return [Math.floor((c * length) / size), Math.floor(((c + 1) * length) / size)];
}

/**
 * What rank `rank` of a ring of `size` does, round by round: send chunk `send` to the next rank,
 * then take the chunk the previous one sent into chunk `into`, adding it (`add`: reduce-scatter)
 * or copying it (all-gather).
 * @param {number} rank
 * @param {number} size
 * @returns {{send: number, into: number, add: boolean}[]}
 */
export function ringPlan(rank, size) {
  const mod = (/** @type {number} */ x) => ((x % size) + size) % size;
  const rounds = [];
  for (let i = 0; i < size - 1; i++) rounds.push({ send: mod(rank - i), into: mod(rank - i - 1), add: true });
  for (let i = 0; i < size - 1; i++) rounds.push({ send: mod(rank + 1 - i), into: mod(rank - i), add: false });
  return rounds;
}

/**
 * @typedef {object} Ring This worker's place in the ring.
 * @property {number} rank
 * @property {number} size
 * @property {MessagePort | null} next
 * @property {MessagePort | null} prev
 * @property {Float32Array[]} inbox Chunks heard before a round asked for them.
 * @property {{resolve: (chunk: Float32Array) => void, reject: (err: Error) => void}[]} waiting Rounds waiting for a chunk.
 * @property {Promise<unknown>} chain The steps, one after another.
 */
/** @type {Ring} */
const ring = { rank: 0, size: 1, next: null, prev: null, inbox: [], waiting: [], chain: Promise.resolve() };

/** @returns {Promise<Float32Array>} */
function ringReceive() {
  if (ring.inbox.length) return Promise.resolve(/** @type {Float32Array} */ (ring.inbox.shift()));
  return new Promise((resolve, reject) => ring.waiting.push({ resolve, reject }));
}

/** Joins a ring as `rank` of `size` (size 1, or no ports: leaves it; whatever waits fails). */
export function joinRing(/** @type {{rank?: number, size?: number, next?: MessagePort | null, prev?: MessagePort | null}} */ { rank = 0, size = 1, next = null, prev = null }) {
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
  return { rank, size };
}

/** Replaces `g` (this replica's flat gradients) by the mean over the ring, in place. @param {Float32Array} g */
async function allReduce(g) {
  const chunk = (/** @type {number} */ c) => g.subarray(...chunkRange(g.length, ring.size, c));
  // Left while this replica computed its gradients (the page takes the ring apart when a worker fails).
  if (!ring.next) throw new Error('the training ring was taken apart');
  for (const { send, into, add } of ringPlan(ring.rank, ring.size)) {
    const out = chunk(send).slice();
    ring.next.postMessage(out, [out.buffer]);
    const heard = await ringReceive();
    const mine = chunk(into);
    if (add) for (let j = 0; j < mine.length; j++) mine[j] += heard[j];
    else mine.set(heard);
  }
  const scale = 1 / ring.size;
  for (let j = 0; j < g.length; j++) g[j] *= scale;
}

/** One data-parallel step in the ring: this replica's shard, the all-reduce, the same update
 *  (`on(m, fn)` calls into the request's session). Steps run one after another even when the page
 *  asks for the next before this one ends.
 *  @param {import('./sessions.js').Request} m @param {typeof import('./sessions.js').on} on */
export function ringStep(m, on) {
  const run = ring.chain.then(async () => {
    if (!ring.next) throw new Error('this worker is in no training ring');
    const { loss, gradients } = await on(m, (s) => s.gradients(ring.rank, ring.size));
    await allReduce(gradients);
    const applied = await on(m, (s) => s.applyGradients(gradients));
    return { loss, ...applied };
  });
  ring.chain = run.catch(() => {});
  return run;
}
