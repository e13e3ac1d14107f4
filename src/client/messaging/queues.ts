/**
 * Ordered processing: one queue per chat (so a chat's messages are handled in arrival order) behind a
 * shared concurrency gate. During offline sync the gate admits one task at a time, so the backlog is
 * processed strictly in order; after it, up to 64 chats run at once (the seed's offline-sync semaphore,
 * reference/seed-inventory-core.md item 83).
 *
 * @module
 */

/** Concurrency during offline sync. */
export const OFFLINE_CONCURRENCY = 1;
/** Concurrency after offline sync. */
export const ONLINE_CONCURRENCY = 64;

/** Per-chat FIFO queues behind an adjustable concurrency gate. */
export class ChatQueues {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #waiting: Array<() => void> = [];
  #permits: number;
  #running = 0;
  #pending = 0;
  #idle: Array<() => void> = [];
  readonly #onError: (error: unknown, chat: string) => void;

  /** Creates the queues; `onError` receives a task's failure (tasks should not throw). */
  constructor(onError: (error: unknown, chat: string) => void, permits = OFFLINE_CONCURRENCY) {
    this.#onError = onError;
    this.#permits = permits;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Changes how many tasks may run at once (takes effect for waiting tasks at once). */
  setConcurrency(permits: number): void {
    this.#permits = Math.max(1, permits);
    this.#pump();
  }

  /**
   * Appends a task to a chat's queue; resolves once it ran (a failure goes to `onError`, not to the
   * returned promise). The number of queued tasks is bounded by the caller (the router's in-flight
   * bound): this queue holds only what it is given.
   */
  enqueue(chat: string, task: () => Promise<void>): Promise<void> {
    this.#pending++;
    const previous = this.#tails.get(chat) ?? Promise.resolve();
    const next = previous.then(() => this.#gated(task)).catch((e) => this.#onError(e, chat)).finally(() => {
      this.#pending--;
      if (this.#tails.get(chat) === next) this.#tails.delete(chat);
      if (this.#pending === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
    });
    this.#tails.set(chat, next);
    return next;
  }

  /** Resolves when every queued task has finished. */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idle.push(resolve);
    return promise;
  }

  async #gated(task: () => Promise<void>): Promise<void> {
    if (this.#running < this.#permits) {
      this.#running++;
    } else {
      // Wait for a permit; #pump hands it over already counted in #running.
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiting.push(resolve);
      await promise;
    }
    try {
      await task();
    } finally {
      this.#running--;
      this.#pump();
    }
  }

  #pump(): void {
    while (this.#running < this.#permits && this.#waiting.length) {
      this.#running++;
      this.#waiting.shift()!();
    }
  }
}
