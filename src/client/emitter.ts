/**
 * A typed event emitter: `on` returns an unsubscribe function, `waitFor` resolves on the next matching
 * event (with an AbortSignal deadline), and `events()` is an async iterator over everything emitted.
 *
 * @module
 */

/** One emitted event as seen by {@linkcode TypedEmitter.events}: its name and payload. */
export type EventOf<M> = { [K in keyof M]: { type: K; data: M[K] } }[keyof M];

/** A listener; a returned promise is observed so that its rejection is reported, never lost. */
export type Listener<T> = (data: T) => void | Promise<unknown>;

/** Options for {@linkcode TypedEmitter.waitFor}. */
export interface WaitForOptions<T> {
  /** Aborts the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Only an event for which this returns true resolves the wait. */
  filter?: (data: T) => boolean;
}

/**
 * A small typed event emitter. Listeners run synchronously in registration order; an error thrown or
 * rejected by a listener goes to `onListenerError` and does not stop the other listeners.
 *
 * @example
 * ```ts
 * import { TypedEmitter } from "./emitter.ts";
 * const em = new TypedEmitter<{ tick: number }>();
 * const off = em.on("tick", (n) => console.log("tick", n));
 * em.emit("tick", 1);
 * off();
 * ```
 */
export class TypedEmitter<M extends object> {
  #listeners = new Map<keyof M, Set<Listener<never>>>();
  #iterators = new Set<(event: EventOf<M>, done?: () => void) => void>();
  /** Called with a listener's error; defaults to `console.error`. */
  onListenerError: (error: unknown, event: keyof M) => void = (error, event) =>
    console.error(`wadeno: listener for "${String(event)}" failed:`, error);

  /** Registers a listener and returns a function that removes it. */
  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, set = new Set());
    const entry = listener as Listener<never>;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Registers a listener for the next event of this name only. */
  once<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    const off = this.on(name, (data) => {
      off();
      return listener(data);
    });
    return off;
  }

  /** True when at least one listener or iterator would see an event of this name. */
  hasListeners(name: keyof M): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0 || this.#iterators.size > 0;
  }

  /** Delivers an event to every listener of its name and to every open iterator. */
  emit<K extends keyof M>(name: K, data: M[K]): void {
    this.#callListeners(name, data, undefined);
    if (this.#iterators.size) {
      const event = { type: name, data } as EventOf<M>;
      for (const push of this.#iterators) push(event);
    }
  }

  /**
   * Delivers an event like {@linkcode TypedEmitter.emit} and resolves once it has been handled: every
   * listener's returned promise settled, and every open iterator's consumer asked for the next event
   * after this one (or stopped iterating). The client emits messages this way, so that a message counts
   * as handled only when the bot's code is done with it.
   */
  emitAndWait<K extends keyof M>(name: K, data: M[K]): Promise<void> {
    const waits: Promise<unknown>[] = [];
    this.#callListeners(name, data, waits);
    if (this.#iterators.size) {
      const event = { type: name, data } as EventOf<M>;
      for (const push of this.#iterators) {
        const { promise, resolve } = Promise.withResolvers<void>();
        push(event, resolve);
        waits.push(promise);
      }
    }
    return waits.length ? Promise.all(waits).then(() => {}) : Promise.resolve();
  }

  /**
   * Calls every listener of `name` (a snapshot: listeners added or removed meanwhile do not change this
   * delivery). A throw or a rejected promise goes to `onListenerError`; the promises (already handled)
   * go into `waits` when one is given.
   */
  #callListeners<K extends keyof M>(name: K, data: M[K], waits: Promise<unknown>[] | undefined): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        const result = (listener as Listener<M[K]>)(data);
        if (result && typeof (result as Promise<void>).then === "function") {
          const handled = (result as Promise<void>).then(undefined, (e) => this.onListenerError(e, name));
          waits?.push(handled);
        }
      } catch (e) {
        this.onListenerError(e, name);
      }
    }
  }

  /**
   * Resolves with the payload of the next event of this name (that passes `filter`). Register it before
   * triggering the action that causes the event.
   */
  waitFor<K extends keyof M>(name: K, options: WaitForOptions<M[K]> = {}): Promise<M[K]> {
    const { signal, filter } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<M[K]>();
    const onAbort = () => {
      off();
      reject(signal!.reason);
    };
    const off = this.on(name, (data) => {
      if (filter && !filter(data)) return;
      off();
      signal?.removeEventListener("abort", onAbort);
      resolve(data);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    return promise;
  }

  /**
   * An async iterator over every event emitted after the call. Events are buffered while the consumer is
   * busy (nothing is dropped); the iterator ends when `signal` aborts or the consumer breaks.
   *
   * An event delivered by {@linkcode TypedEmitter.emitAndWait} counts as handled when the consumer asks
   * for the next event (the body of a `for await` loop finished) or stops iterating; until then the
   * emitter's caller waits. So the buffer holds at most what the emitters are waiting on: a consumer
   * that never asks for the next event holds up those emitters (backpressure), it does not lose events.
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<EventOf<M>> {
    const buffer: Array<{ event: EventOf<M>; done?: () => void }> = [];
    let current: (() => void) | undefined;
    let wake: (() => void) | undefined;
    let done = false;
    const push = (event: EventOf<M>, handled?: () => void) => {
      if (done) return handled?.();
      buffer.push({ event, done: handled });
      wake?.();
    };
    const finish = () => {
      if (done) return;
      done = true;
      this.#iterators.delete(push);
      current?.();
      current = undefined;
      for (const entry of buffer.splice(0)) entry.done?.();
      wake?.();
    };
    this.#iterators.add(push);
    options.signal?.addEventListener("abort", finish, { once: true });
    if (options.signal?.aborted) finish();
    const iterator: AsyncIterableIterator<EventOf<M>> = {
      next: async (): Promise<IteratorResult<EventOf<M>>> => {
        // Asking for the next event means the previous one was handled.
        current?.();
        current = undefined;
        while (!buffer.length && !done) {
          const { promise, resolve } = Promise.withResolvers<void>();
          wake = resolve;
          await promise;
          wake = undefined;
        }
        const entry = buffer.shift();
        if (!entry) return { value: undefined, done: true };
        current = entry.done;
        return { value: entry.event, done: false };
      },
      return: (): Promise<IteratorResult<EventOf<M>>> => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
