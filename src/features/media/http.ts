/**
 * The pluggable HTTP client of media transfers (the seed's `HttpClient`, api/http-client): one method that
 * takes a request with an optional streamed body and answers a web `Response` whose body is read as a
 * stream. The default is the global `fetch`; {@link createFetchHttpClient} adds a `Deno.HttpClient` for
 * extra trusted CAs (`caCerts`) or a proxy. TLS is always verified: trusting a test server means passing
 * its CA certificate, never turning verification off.
 *
 * @module
 */

/** One HTTP request of a media transfer. */
export interface MediaHttpRequest {
  /** `GET` (download), `POST` (upload), `DELETE` (history blob removal). */
  method: "GET" | "POST" | "DELETE";
  /** Absolute `https:` URL. */
  url: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Body: bytes, or a stream sent as it is read (`duplex: "half"`). */
  body?: Uint8Array | ReadableStream<Uint8Array>;
  /** Aborts the request, including a body still being sent or received. */
  signal?: AbortSignal;
}

/**
 * What media code calls for HTTP. Implementations must stream: read a request body stream only as it is
 * sent, and return a response before its body has arrived.
 *
 * @example
 * ```ts
 * import { Client, type MediaHttpClient, MemoryStore } from "@wadeno/client";
 * // A client that logs every request, delegating to fetch.
 * const logging: MediaHttpClient = {
 *   request: (r) => {
 *     console.log(r.method, new URL(r.url).host);
 *     return fetch(r.url, { method: r.method, headers: r.headers, body: r.body as BodyInit, signal: r.signal });
 *   },
 * };
 * const client = await Client.create({ store: new MemoryStore(), httpClient: logging }); // media goes through it
 * await client.disconnect();
 * ```
 */
export interface MediaHttpClient {
  /** Sends `request`; resolves with the response once its headers arrived. Rejects on network errors. */
  request(request: MediaHttpRequest): Promise<Response>;
}

/** Options of {@link createFetchHttpClient}. */
export interface FetchHttpClientOptions {
  /** A client made by the caller with `Deno.createHttpClient`; the caller closes it. */
  client?: Deno.HttpClient;
  /** Extra trusted CA certificates (PEM), for example FakeWhatsApp's media server. */
  caCerts?: string[];
  /** A proxy for every request. */
  proxy?: Deno.Proxy;
  /**
   * Offer HTTP/2 (default true). Against FakeWhatsApp's media server, HTTP/1.1 uploads are about 3x faster
   * (64 MiB: 0.55 s against 1.7 s): `Deno.serve`'s HTTP/2 flow-control window throttles request bodies.
   */
  http2?: boolean;
}

/** A {@link MediaHttpClient} over `fetch` that may own a `Deno.HttpClient`; `close()` frees it. */
export interface FetchHttpClient extends MediaHttpClient, Disposable {
  /** Closes the `Deno.HttpClient` this client created (not one passed in). Idempotent. */
  close(): void;
}

type FetchInit = RequestInit & { client?: Deno.HttpClient; duplex?: "half" };

/**
 * A {@link MediaHttpClient} on `fetch`. With `caCerts`, `proxy` or `http2` it creates (and owns) a
 * `Deno.HttpClient`; with `client` it uses the caller's; with neither, plain global `fetch`.
 *
 * @example
 * ```ts
 * import { createFetchHttpClient } from "./http.ts";
 * // caCert: the PEM of a local media server, e.g. FakeWhatsApp's `wa.mediaCaCert`.
 * export async function example(caCert: string, host: string) {
 *   using http = createFetchHttpClient({ caCerts: [caCert] });
 *   const response = await http.request({ method: "GET", url: `https://${host}/v/t62/1.enc` });
 *   return response.status;
 * }
 * ```
 */
export function createFetchHttpClient(options: FetchHttpClientOptions = {}): FetchHttpClient {
  let owned: Deno.HttpClient | undefined;
  const custom = options.caCerts !== undefined || options.proxy !== undefined || options.http2 !== undefined;
  if (options.client === undefined && custom) {
    owned = Deno.createHttpClient({
      caCerts: options.caCerts,
      proxy: options.proxy,
      http2: options.http2 ?? true,
    });
  }
  const client = options.client ?? owned;
  const close = () => {
    owned?.close();
    owned = undefined;
  };
  return {
    request(request) {
      const init: FetchInit = { method: request.method, headers: request.headers, signal: request.signal };
      if (request.body !== undefined) {
        init.body = request.body as BodyInit;
        if (request.body instanceof ReadableStream) init.duplex = "half";
      }
      if (client !== undefined) init.client = client;
      return fetch(request.url, init);
    },
    close,
    [Symbol.dispose]: close,
  };
}

/** The default client: global `fetch`, system trust store, no proxy. */
export const defaultHttpClient: MediaHttpClient = createFetchHttpClient();
