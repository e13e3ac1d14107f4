/**
 * The requesting side of media retry: who is waiting for the phone's `<notification type="mediaretry">`
 * about which message. A download registers before it sends its retry receipt, so an answer that comes
 * back fast is not missed, and stops waiting at its deadline or when its caller aborts.
 *
 * @module
 */

import { MediaError } from "./errors.ts";
import type { MediaRetryNotice } from "./retry_crypto.ts";

/** How long a download waits for the phone's answer by default: whatsapp-rust's 30 s. */
export const MEDIA_RETRY_TIMEOUT_MS = 30_000;

/** Waiters for media retry answers, by message id. Holds nothing once every wait settled. */
export class MediaRetryWaiters {
  readonly #waiting = new Map<string, Set<(notice: MediaRetryNotice) => void>>();

  /** How many waits are open (for tests). */
  get size(): number {
    let n = 0;
    for (const set of this.#waiting.values()) n += set.size;
    return n;
  }

  /**
   * Starts waiting for the answer about `messageId`; resolves with it, or rejects with
   * {@link MediaError} `timeout` after `timeoutMs` or `aborted` when `signal` fires.
   */
  wait(
    messageId: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<MediaRetryNotice> {
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new MediaError("aborted", "the media retry was aborted", { cause: signal.reason }),
      );
    }
    const timeoutMs = options.timeoutMs ?? MEDIA_RETRY_TIMEOUT_MS;
    const { promise, resolve, reject } = Promise.withResolvers<MediaRetryNotice>();
    let set = this.#waiting.get(messageId);
    if (set === undefined) this.#waiting.set(messageId, set = new Set());
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      set.delete(deliver);
      if (set.size === 0 && this.#waiting.get(messageId) === set) this.#waiting.delete(messageId);
    };
    const deliver = (notice: MediaRetryNotice) => {
      done();
      resolve(notice);
    };
    const onAbort = () => {
      done();
      reject(new MediaError("aborted", "the media retry was aborted", { cause: signal!.reason }));
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new MediaError(
          "timeout",
          `no media retry answer for message ${messageId} within ${timeoutMs} ms (is the sender's phone online?)`,
        ),
      );
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    set.add(deliver);
    return promise;
  }

  /** Hands an answer to everyone waiting for its message; returns how many were. */
  deliver(notice: MediaRetryNotice): number {
    const set = this.#waiting.get(notice.messageId);
    if (set === undefined) return 0;
    const waiters = [...set];
    for (const wake of waiters) wake(notice);
    return waiters.length;
  }
}
