// Promise wrapper around the worker's message schema (PROTOCOL.md).
export class ModelWorker {
  constructor(onFatal) {
    this.onFatal = onFatal;
    this.pending = new Map();
    this.nextId = 1;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.booted = new Promise((resolve, reject) => {
      this.bootResolve = resolve;
      this.bootReject = reject;
    });
    this.worker.onmessage = (e) => this.receive(e.data);
    this.worker.onerror = (e) => {
      const err = new Error(`the model worker failed to start: ${e.message ?? 'unknown error'}`);
      this.bootReject(err);
      this.failAll(err);
    };
  }

  receive(msg) {
    if (msg.type === 'boot') {
      if (msg.ok) this.bootResolve();
      else this.bootReject(new Error(msg.message));
      return;
    }
    const call = this.pending.get(msg.id);
    if (!call) return;
    if (msg.type === 'result') {
      this.pending.delete(msg.id);
      call.resolve(msg.value);
    } else if (msg.type === 'error') {
      this.pending.delete(msg.id);
      const err = new Error(msg.message);
      err.fatal = msg.fatal;
      call.reject(err);
      if (msg.fatal) this.onFatal?.(err);
    } else {
      call.onEvent?.(msg);
    }
  }

  failAll(err) {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }

  /** Send a request; resolves with its result, calls `onEvent` for each streamed event. */
  async call(type, fields = {}, onEvent = null, transfer = []) {
    await this.booted;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ id, type, ...fields }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
    this.failAll(new Error('the model worker was restarted'));
  }
}
