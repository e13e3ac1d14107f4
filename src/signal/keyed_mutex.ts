/**
 * A per-key lock: operations under the same key run one after another, operations under different keys
 * run freely. Used by the client so that two operations on one Signal session (load, ratchet, store) never
 * interleave across an `await`.
 *
 * @module
 */

/**
 * Serializes async work per key, in call order. An entry lives only while work for its key is queued or
 * running, so the map stays as small as the number of keys in use at once.
 *
 * @example
 * ```ts
 * import { KeyedMutex } from "./mod.ts";
 * const locks = new KeyedMutex();
 * const [a, b] = await Promise.all([
 *   locks.withLock("15551234567@c.us.0", async () => "first"),
 *   locks.withLock("15551234567@c.us.0", async () => "second, after first finished"),
 * ]);
 * ```
 */
export class KeyedMutex {
  // The promise that settles when the last queued task for the key has finished.
  readonly #tails = new Map<string, Promise<void>>();

  /** Number of keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }

  /** Whether work for `key` is queued or running. */
  isLocked(key: string): boolean {
    return this.#tails.has(key);
  }

  /**
   * Runs `fn` once every earlier task for `key` has settled, and returns its result. A task that throws
   * releases the lock like one that returns; its error goes to its own caller only.
   */
  async withLock<T>(key: string, fn: () => T | Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const { promise: done, resolve: release } = Promise.withResolvers<void>();
    this.#tails.set(key, done);
    try {
      if (previous !== undefined) await previous;
      return await fn();
    } finally {
      release();
      // Only the last task in the queue removes the entry; later callers have replaced the tail.
      if (this.#tails.get(key) === done) this.#tails.delete(key);
    }
  }

  /**
   * Takes the lock of `key` once every earlier task for it has settled and resolves with the function that
   * releases it (call it exactly once; later calls do nothing). For work whose set of locks grows as it
   * goes; prefer {@linkcode KeyedMutex.withLock} otherwise.
   */
  async acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key);
    const { promise: done, resolve } = Promise.withResolvers<void>();
    this.#tails.set(key, done);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      resolve();
      if (this.#tails.get(key) === done) this.#tails.delete(key);
    };
    if (previous !== undefined) await previous;
    return release;
  }

  /**
   * Runs `fn` while holding the locks of all `keys` (a group send to many devices). Keys are taken in sorted
   * order, so two multi-key callers can never wait on each other in a cycle.
   */
  withLocks<T>(keys: Iterable<string>, fn: () => T | Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const acquire = (i: number): Promise<T> =>
      i === sorted.length ? Promise.resolve().then(fn) : this.withLock(sorted[i], () => acquire(i + 1));
    return acquire(0);
  }
}
