/**
 * A download that stops sending must not hold a history chunk (and our phone's peer chat behind it)
 * forever: the guard aborts the download when the network gives nothing for a while. Only time spent
 * waiting for bytes counts: while the listeners work on what arrived, the clock is stopped, so slow
 * listeners slow the download instead of failing it. (Baileys gives a paused history sync 120 s,
 * `HISTORY_SYNC_PAUSED_TIMEOUT_MS`, protocol-facts-features.md 3.2.)
 *
 * @module
 */

import { HistorySyncError } from "./errors.ts";

/** Default of `HistorySyncOptions.stallTimeoutMs`. */
export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

/** Aborts a download that waits for bytes longer than `ms` at once. */
export class StallGuard {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Creates the guard, its clock stopped. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Aborted when the network stalled (the reason is a `HistorySyncError` `stalled`). */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once the guard fired. */
  get fired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Starts (or restarts) the clock: we are waiting for bytes. */
  resume(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#controller.abort(
        new HistorySyncError(
          "stalled",
          `expected more of the history blob, but nothing came for ${this.#ms} ms`,
        ),
      );
    }, this.#ms);
  }

  /** Stops the clock: the bytes came and are being handled. */
  pause(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The stall error, when the guard fired. */
  get reason(): HistorySyncError | undefined {
    return this.fired ? this.#controller.signal.reason as HistorySyncError : undefined;
  }

  // A read that the abort does not end (a transform that swallows it) still ends with the stall error.
  #race<T>(read: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      read.then(
        (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
        (error) => (signal.removeEventListener("abort", onAbort), reject(this.reason ?? error)),
      );
    });
  }

  /** Reads `stream` with the clock running only while a read is pending. */
  async *watch(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
    const reader = stream.getReader();
    try {
      for (;;) {
        this.resume();
        const step = await this.#race(reader.read());
        this.pause();
        if (step.done) return;
        yield step.value;
      }
    } finally {
      this.pause();
      await reader.cancel().catch(() => {});
    }
  }
}
