// @ts-check
// The reader's training run, kept in this browser (IndexedDB) so that a reload, a discarded tab
// or a crash loses nothing: the run's snapshot (model, optimizer, samplers), the corpus, the
// settings and the loss history. One record per key (the full page uses "main"; an element
// chooses its own with `autosave="…"`). Every failure (no IndexedDB, a full quota) is reported
// to the caller as an Error with a sentence for the reader; none is fatal.

const DB = 'gpt-playground';
const STORE = 'runs';

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) {
      reject(new Error('this browser keeps no data for pages (no IndexedDB)'));
      return;
    }
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`the browser refused its storage: ${req.error?.message ?? 'unknown reason'}`));
    req.onblocked = () => reject(new Error('the browser storage is busy in another tab'));
  });
}

/** A sentence for the reader about a storage failure. */
const explain = (/** @type {DOMException | Error | null | undefined} */ e) => new Error(e?.name === 'QuotaExceededError'
  ? 'the browser has no room left for this page (storage quota exceeded)'
  : `the browser storage failed: ${e?.message ?? 'unknown reason'}`);

/**
 * Runs `fn` in a transaction; resolves with its request's result once the transaction is done.
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest} fn
 * @returns {Promise<unknown>}
 */
async function run(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      /** @type {IDBRequest | undefined} */
      let req;
      try {
        const tx = db.transaction(STORE, mode);
        req = fn(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(req?.result);
        tx.onabort = tx.onerror = () => reject(explain(tx.error ?? req?.error));
      } catch (e) {
        reject(explain(/** @type {Error} */ (e))); // thrown at once (a full quota, a value that cannot be stored)
      }
    });
  } finally {
    db.close();
  }
}

/** Keeps `record` under `key` (replacing the one before). */
export const putRun = (/** @type {string} */ key, /** @type {unknown} */ record) => run('readwrite', (s) => s.put(record, key));
/** The record under `key`, or undefined. */
export const getRun = (/** @type {string} */ key) => run('readonly', (s) => s.get(key));
/** Forgets the record under `key`. */
export const deleteRun = (/** @type {string} */ key) => run('readwrite', (s) => s.delete(key));
