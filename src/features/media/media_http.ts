/**
 * The one HTTP client of a `Client`'s media transfers, built from its options on first use and closed when
 * the client disconnects (after the transfers still running finished), so that a client that never moves
 * media holds no `Deno.HttpClient`, and a disposed one holds none either. The next transfer after a close
 * builds a new one.
 *
 * What it is built from, in order:
 * - a caller's {@link MediaHttpClient}: used as it is, never closed here;
 * - a caller's `Deno.HttpClient`: wrapped, never closed here (its owner closes it);
 * - otherwise a `Deno.HttpClient` made here with the client's `proxy` and `caCerts`, HTTP/1.1 only:
 *   against `Deno.serve` (FakeWhatsApp's media server), HTTP/2's flow-control window slows 64 MiB uploads
 *   about 3x (src/features/media/http.ts), and a transfer per connection gives up nothing for media.
 *
 * @module
 */

import { createFetchHttpClient, type FetchHttpClient, type MediaHttpClient } from "./http.ts";

/** What the media HTTP client is built from (the `Client`'s options). */
export interface MediaHttpOptions {
  /** A client to use as it is: a {@link MediaHttpClient} or a `Deno.HttpClient` (not closed by wadeno). */
  httpClient?: MediaHttpClient | Deno.HttpClient;
  /** `Deno.createHttpClient` options for the client made here (proxy, extra CAs). */
  create?: () => Deno.CreateHttpClientOptions;
}

/** A lease on the HTTP client: use `http`, then call `release()` exactly once. */
export interface MediaHttpLease {
  /** The client for this transfer. */
  readonly http: MediaHttpClient;
  /** Ends the lease. */
  release(): void;
}

function isMediaHttpClient(value: unknown): value is MediaHttpClient {
  return typeof value === "object" && value !== null &&
    typeof (value as { request?: unknown }).request === "function";
}

/**
 * Leases out one shared HTTP client and closes it when asked, once no lease is open.
 *
 * @example
 * ```ts
 * import { MediaHttp } from "./media_http.ts";
 * const media = new MediaHttp({ create: () => ({ caCerts: [] }) });
 * const lease = media.acquire();
 * // await lease.http.request({ method: "GET", url: "https://..." });
 * lease.release();
 * media.close();
 * ```
 */
export class MediaHttp {
  readonly #options: MediaHttpOptions;
  #owned: FetchHttpClient | undefined;
  #leases = 0;
  #closing = false;

  /** Holds the options; nothing is built until the first {@link acquire}. */
  constructor(options: MediaHttpOptions = {}) {
    this.#options = options;
  }

  /** True while a client made here is open. */
  get isOpen(): boolean {
    return this.#owned !== undefined;
  }

  /** A lease on the client (building it when needed). */
  acquire(): MediaHttpLease {
    const given = this.#options.httpClient;
    let http: MediaHttpClient;
    if (isMediaHttpClient(given)) http = given;
    else {
      // A new transfer cancels a close that waits for the last lease.
      this.#closing = false;
      http = this.#owned ??= given instanceof Deno.HttpClient
        ? createFetchHttpClient({ client: given })
        : this.#create();
    }
    this.#leases++;
    let released = false;
    return {
      http,
      release: () => {
        if (released) return;
        released = true;
        if (--this.#leases === 0 && this.#closing) this.#closeNow();
      },
    };
  }

  #create(): FetchHttpClient {
    const options = this.#options.create?.() ?? {};
    return createFetchHttpClient({ caCerts: options.caCerts, proxy: options.proxy, http2: false });
  }

  /** Closes the client made here once the open leases ended (at once when there are none). Idempotent. */
  close(): void {
    this.#closing = true;
    if (this.#leases === 0) this.#closeNow();
  }

  #closeNow(): void {
    this.#closing = false;
    const owned = this.#owned;
    this.#owned = undefined;
    owned?.close();
  }
}
