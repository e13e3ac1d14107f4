/**
 * The `media_conn` IQ as a spec, and the client's cache of its answer: fetched on first use, kept until it
 * expires (min(ttl, auth_ttl), less a small margin so that a token is not used in its last seconds), and
 * fetched again once by every caller that finds it stale or refused. Concurrent callers share one request.
 *
 * Request: `<iq xmlns="w:m" type="set" to="s.whatsapp.net"><media_conn/></iq>` (protocol-facts.md "Media";
 * whatsmeow `mediaconn.go` `queryMediaConn`). The answer is read by {@link parseMediaConn}.
 *
 * @module
 */

import type { IqSpec } from "../iq.ts";
import { MediaError } from "./errors.ts";
import { type MediaConn, mediaConnExpiresAt, parseMediaConn } from "./media_conn.ts";

/**
 * The `media_conn` query.
 *
 * @param now the clock the answer's expiry counts from (`Date.now` by default)
 * @example
 * ```ts
 * import { mediaConnSpec } from "./media_conn_cache.ts";
 * const iq = mediaConnSpec().build();
 * iq.namespace; // "w:m"
 * ```
 */
export function mediaConnSpec(now: () => number = Date.now): IqSpec<MediaConn> {
  return {
    operation: "media connection",
    build: () => ({ namespace: "w:m", type: "set", content: [{ tag: "media_conn" }] }),
    parse: (node) => parseMediaConn(node, now()),
  };
}

/** A cached answer is refreshed this long before it expires (or at half its lifetime, if shorter). */
export const MEDIA_CONN_MARGIN_MS = 10_000;

/** Options of {@link MediaConnCache}. */
export interface MediaConnCacheOptions {
  /** Runs the `media_conn` query (the feature context's `execute`). */
  fetch(signal?: AbortSignal): Promise<MediaConn>;
  /** Clock in ms; `Date.now` by default. */
  now?: () => number;
}

/**
 * The cached `media_conn` answer of one client.
 *
 * @example
 * ```ts
 * import { MediaConnCache } from "./media_conn_cache.ts";
 * let asked = 0;
 * const cache = new MediaConnCache({
 *   // A client passes its `media_conn` query here; this one answers locally.
 *   fetch: () => {
 *     asked++;
 *     return Promise.resolve({
 *       auth: "token",
 *       ttlSeconds: 300,
 *       hosts: [{ hostname: "mmg.whatsapp.net", type: "primary" }],
 *       fetchedAt: Date.now(),
 *     });
 *   },
 * });
 * const conn = await cache.get();
 * await cache.get(); // still fresh: not asked again
 * cache.invalidate(conn); // after a 401 from a host
 * await cache.get();
 * asked; // 2
 * ```
 */
export class MediaConnCache {
  readonly #fetch: (signal?: AbortSignal) => Promise<MediaConn>;
  readonly #now: () => number;
  #current: MediaConn | undefined;
  #pending: Promise<MediaConn> | undefined;

  /** Creates an empty cache. */
  constructor(options: MediaConnCacheOptions) {
    this.#fetch = options.fetch;
    this.#now = options.now ?? Date.now;
  }

  /** The cached answer when it is still fresh. */
  get current(): MediaConn | undefined {
    const conn = this.#current;
    return conn !== undefined && this.#fresh(conn) ? conn : undefined;
  }

  #fresh(conn: MediaConn): boolean {
    const expiresAt = mediaConnExpiresAt(conn);
    const margin = Math.min(MEDIA_CONN_MARGIN_MS, (expiresAt - conn.fetchedAt) / 2);
    return this.#now() < expiresAt - margin;
  }

  /**
   * A fresh answer: the cached one, or a new query shared by every caller waiting for it. A caller's
   * `signal` stops its own wait (with {@link MediaError} `aborted`), not the query others share.
   */
  get(signal?: AbortSignal): Promise<MediaConn> {
    const cached = this.current;
    if (cached !== undefined) return Promise.resolve(cached);
    this.#pending ??= this.#fetch().then((conn) => {
      this.#current = conn;
      return conn;
    }).finally(() => this.#pending = undefined);
    return signal === undefined ? this.#pending : raceAbort(this.#pending, signal);
  }

  /**
   * Drops the cached answer when it is `stale` (the one a host refused), so the next {@link get} asks
   * again; an answer fetched since by someone else is kept.
   */
  invalidate(stale?: MediaConn): void {
    if (stale === undefined || this.#current === stale) this.#current = undefined;
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const abortError = () =>
    new MediaError("aborted", "the media operation was aborted", { cause: signal.reason });
  if (signal.aborted) return Promise.reject(abortError());
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = () => reject(abortError());
  signal.addEventListener("abort", onAbort, { once: true });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}
