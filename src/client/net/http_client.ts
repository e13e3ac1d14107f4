/**
 * The HTTP client for everything the client fetches over HTTPS (media upload and download): the same
 * `proxy` URL as the chat socket, turned into `Deno.createHttpClient`'s proxy option, plus extra trusted
 * roots (FakeWhatsApp's certificate in tests). With a proxy set, no request leaves outside it.
 *
 * @module
 */

import { parseProxyUrl, type ProxyConfig } from "./proxy_url.ts";

/** What {@linkcode httpClientOptions} takes. */
export interface HttpNetOptions {
  /** `http://`, `socks5://` or `socks5h://` proxy URL, credentials included; none by default. */
  proxy?: string | URL | ProxyConfig;
  /** Extra trusted roots (PEM). */
  caCerts?: string[];
}

/**
 * Options for `Deno.createHttpClient`. Credentials go in `basicAuth` (Deno sends them as
 * Proxy-Authorization for HTTP and as RFC 1929 username/password for SOCKS5), never in the URL.
 *
 * @throws {TransportError} `bad_url` for a proxy URL that {@linkcode parseProxyUrl} refuses.
 * @example
 * ```ts
 * import { httpClientOptions } from "./http_client.ts";
 * const client = Deno.createHttpClient(httpClientOptions({ proxy: "socks5h://u:p@127.0.0.1:1080" }));
 * client.close();
 * ```
 */
export function httpClientOptions(options: HttpNetOptions): Deno.CreateHttpClientOptions {
  const out: Deno.CreateHttpClientOptions = {};
  if (options.caCerts?.length) out.caCerts = [...options.caCerts];
  if (options.proxy !== undefined) {
    const proxy = typeof options.proxy === "string" || options.proxy instanceof URL
      ? parseProxyUrl(options.proxy)
      : options.proxy;
    const host = proxy.hostname.includes(":") ? `[${proxy.hostname}]` : proxy.hostname;
    out.proxy = {
      transport: proxy.protocol === "http" ? "http" : "socks5",
      url: `${proxy.protocol}://${host}:${proxy.port}`,
      ...(proxy.username !== undefined
        ? { basicAuth: { username: proxy.username, password: proxy.password ?? "" } }
        : {}),
    };
  }
  return out;
}

/**
 * A `Deno.HttpClient` for `fetch(url, { client })`. Close it when done.
 *
 * @example
 * ```ts
 * import { createHttpClient } from "./http_client.ts";
 * export async function example() {
 *   using client = createHttpClient({ proxy: "http://127.0.0.1:3128" });
 *   await fetch("https://mmg.whatsapp.net/", { client });
 * }
 * ```
 */
export function createHttpClient(options: HttpNetOptions): Deno.HttpClient {
  return Deno.createHttpClient(httpClientOptions(options));
}
