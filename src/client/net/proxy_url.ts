/**
 * Proxy URLs: `http://user:pass@host:port` (HTTP CONNECT), `socks5://...` (SOCKS5, names resolved
 * here) and `socks5h://...` (SOCKS5, names resolved by the proxy). Credentials are percent-decoded; they
 * never appear in a description or an error message.
 *
 * @module
 */

import { TransportError } from "./errors.ts";

/** How to talk to a proxy. */
export type ProxyProtocol = "http" | "socks5" | "socks5h";

/** A parsed proxy URL. */
export interface ProxyConfig {
  /** `http` tunnels with CONNECT; `socks5` resolves names locally; `socks5h` lets the proxy resolve. */
  protocol: ProxyProtocol;
  /** Host name or IP literal (IPv6 without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** User name, when the proxy takes credentials. */
  username?: string;
  /** Password, when the proxy takes credentials. */
  password?: string;
}

/** The port a proxy URL without one means: 80 for HTTP (as in any http URL), 1080 for SOCKS (RFC 1928). */
const DEFAULT_PORT: Record<ProxyProtocol, number> = { http: 80, socks5: 1080, socks5h: 1080 };

/**
 * Parses a proxy URL.
 *
 * @throws {TransportError} `bad_url` for another scheme, a missing host, a path or query, or a bad port;
 * the message shows the URL with its credentials removed.
 * @example
 * ```ts
 * import { parseProxyUrl } from "./proxy_url.ts";
 * const p = parseProxyUrl("socks5h://bot%40one:s3cret@127.0.0.1:1080");
 * p.username; // "bot@one"
 * ```
 */
export function parseProxyUrl(input: string | URL): ProxyConfig {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new TransportError("bad_url", `expected a proxy URL, got ${redactUrlText(String(input))}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "socks5" && scheme !== "socks5h") {
    throw new TransportError(
      "bad_url",
      `expected a proxy URL starting http://, socks5:// or socks5h://, got ${scheme}:// (${redactUrl(url)})`,
    );
  }
  const hostname = unbracket(url.hostname);
  if (hostname === "") throw new TransportError("bad_url", `proxy URL ${redactUrl(url)} has no host`);
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new TransportError("bad_url", `proxy URL ${redactUrl(url)} must not have a path or query`);
  }
  const port = url.port === "" ? DEFAULT_PORT[scheme] : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TransportError("bad_url", `proxy URL ${redactUrl(url)} has port ${url.port}, expected 1-65535`);
  }
  const config: ProxyConfig = { protocol: scheme, hostname, port };
  if (url.username !== "" || url.password !== "") {
    config.username = percentDecode(url.username, url);
    config.password = percentDecode(url.password, url);
  }
  return config;
}

/**
 * The proxy as `scheme://host:port`, for logs and error messages: never with credentials.
 *
 * @example
 * ```ts
 * import { describeProxy, parseProxyUrl } from "./proxy_url.ts";
 * describeProxy(parseProxyUrl("http://u:p@[::1]:3128")); // "http://[::1]:3128"
 * ```
 */
export function describeProxy(proxy: ProxyConfig): string {
  return `${proxy.protocol}://${hostPort(proxy.hostname, proxy.port)}`;
}

/** `host:port`, with an IPv6 literal in brackets (as in a URL authority and an HTTP CONNECT target). */
export function hostPort(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/** Removes the brackets URL parsing leaves around an IPv6 literal. */
export function unbracket(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

function percentDecode(part: string, url: URL): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TransportError("bad_url", `proxy URL ${redactUrl(url)} has badly percent-encoded credentials`);
  }
}

function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

/** For text that did not parse as a URL: drops whatever sits between `//` and the last `@`. */
function redactUrlText(text: string): string {
  return JSON.stringify(text.replace(/\/\/.*@/, "//***@").slice(0, 200));
}
