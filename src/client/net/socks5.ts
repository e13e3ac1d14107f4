/**
 * A SOCKS5 tunnel (RFC 1928) with username/password authentication (RFC 1929). `socks5h` sends the host
 * name to the proxy (address type 3) so name resolution happens there; `socks5` resolves it here first and
 * sends the address (types 1 and 4).
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { ConnReader, ConnReaderError } from "./conn_reader.ts";
import { TransportError } from "./errors.ts";
import { type TunnelConn, writeAll } from "./http_connect.ts";
import { describeProxy, type ProxyConfig } from "./proxy_url.ts";

const VERSION = 5;
const AUTH_NONE = 0x00;
const AUTH_PASSWORD = 0x02;
const AUTH_NO_ACCEPTABLE = 0xff;
const PASSWORD_AUTH_VERSION = 1;
const CMD_CONNECT = 1;
const ATYP_IPV4 = 1;
const ATYP_DOMAIN = 3;
const ATYP_IPV6 = 4;

/** RFC 1928 section 6 reply codes. */
const REPLY_TEXT: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** Resolves a host name to one address (IPv4 or IPv6 text); the system resolver by default. */
export type Resolve = (hostname: string) => Promise<string>;

const systemResolve: Resolve = async (hostname) => (await lookup(hostname)).address;

/**
 * Runs the SOCKS5 greeting, authentication and CONNECT over `conn` (already connected to the proxy).
 *
 * @throws {TransportError} `proxy_auth` when the proxy wants credentials that were not given or rejects
 * them; `proxy_refused` when it answers CONNECT with a failure; `proxy_protocol` when it does not speak
 * SOCKS5; `bad_url` when a credential or host name is longer than 255 bytes.
 * @example
 * ```ts
 * import { socks5Connect } from "./socks5.ts";
 * import { parseProxyUrl } from "./proxy_url.ts";
 * export async function example() {
 *   const conn = await Deno.connect({ hostname: "127.0.0.1", port: 1080 });
 *   await socks5Connect(conn, parseProxyUrl("socks5h://u:p@127.0.0.1:1080"), "web.whatsapp.com", 443);
 *   return conn; // now a tunnel to web.whatsapp.com:443
 * }
 * ```
 */
export async function socks5Connect(
  conn: TunnelConn,
  proxy: ProxyConfig,
  hostname: string,
  port: number,
  resolve: Resolve = systemResolve,
): Promise<void> {
  const name = describeProxy(proxy);
  const fail = (code: "proxy_auth" | "proxy_refused" | "proxy_protocol" | "bad_url", text: string) =>
    new TransportError(code, `SOCKS5 proxy ${name} ${text}`, { proxy: name });
  const reader = new ConnReader(conn);
  const read = async (n: number, step: string) => {
    try {
      return await reader.readExact(n);
    } catch (e) {
      if (e instanceof ConnReaderError) throw fail("proxy_refused", `closed the connection during ${step}`);
      throw e;
    }
  };

  const encoder = new TextEncoder();
  const user = proxy.username === undefined ? undefined : encoder.encode(proxy.username);
  const pass = encoder.encode(proxy.password ?? "");
  if (user && (user.length > 255 || pass.length > 255 || user.length === 0)) {
    throw fail("bad_url", "credentials must be 1-255 bytes (user) and 0-255 bytes (password) (RFC 1929)");
  }
  const address = await targetAddress(proxy, hostname, resolve, fail);

  await writeAll(
    conn,
    user ? Uint8Array.of(VERSION, 2, AUTH_NONE, AUTH_PASSWORD) : Uint8Array.of(VERSION, 1, AUTH_NONE),
  );
  const choice = await read(2, "the greeting");
  if (choice[0] !== VERSION) {
    throw fail("proxy_protocol", `answered the greeting with version ${choice[0]}, expected 5`);
  }
  if (choice[1] === AUTH_NO_ACCEPTABLE) {
    throw fail(
      "proxy_auth",
      user ? "accepts none of the offered methods (none, password)" : "asked for credentials",
    );
  }
  if (choice[1] === AUTH_PASSWORD) {
    if (!user) throw fail("proxy_protocol", "chose password authentication, which was not offered");
    const auth = new Uint8Array(3 + user.length + pass.length);
    auth[0] = PASSWORD_AUTH_VERSION;
    auth[1] = user.length;
    auth.set(user, 2);
    auth[2 + user.length] = pass.length;
    auth.set(pass, 3 + user.length);
    await writeAll(conn, auth);
    const status = await read(2, "authentication");
    if (status[1] !== 0) throw fail("proxy_auth", `rejected the credentials (status ${status[1]})`);
  } else if (choice[1] !== AUTH_NONE) {
    throw fail("proxy_protocol", `chose authentication method ${choice[1]}, which was not offered`);
  }

  // VER CMD RSV, then the address (its type byte included), then the port.
  const request = new Uint8Array(3 + address.length + 2);
  request.set([VERSION, CMD_CONNECT, 0]);
  request.set(address, 3);
  request[3 + address.length] = port >>> 8;
  request[4 + address.length] = port & 0xff;
  await writeAll(conn, request);
  const reply = await read(4, "CONNECT");
  if (reply[0] !== VERSION) {
    throw fail("proxy_protocol", `answered CONNECT with version ${reply[0]}, expected 5`);
  }
  if (reply[1] !== 0) {
    throw fail("proxy_refused", `refused CONNECT: ${REPLY_TEXT[reply[1]] ?? `reply code ${reply[1]}`}`);
  }
  // The bound address that follows is of no use to a client, but its bytes must be consumed.
  const atyp = reply[3];
  const length = atyp === ATYP_IPV4
    ? 4
    : atyp === ATYP_IPV6
    ? 16
    : atyp === ATYP_DOMAIN
    ? (await read(1, "CONNECT"))[0]
    : -1;
  if (length < 0) throw fail("proxy_protocol", `answered CONNECT with address type ${atyp}`);
  await read(length + 2, "CONNECT");
  if (reader.rest().length > 0) throw fail("proxy_protocol", "sent data before the tunnel was used");
}

async function targetAddress(
  proxy: ProxyConfig,
  hostname: string,
  resolve: Resolve,
  fail: (code: "bad_url" | "proxy_refused", text: string) => TransportError,
): Promise<Uint8Array> {
  let literal = ipBytes(hostname);
  if (literal === undefined && proxy.protocol === "socks5") {
    let address: string;
    try {
      address = await resolve(hostname);
    } catch (e) {
      throw new TransportError(
        "connect_failed",
        `could not resolve ${hostname} (socks5:// resolves names here; socks5h:// lets the proxy)`,
        { cause: e, proxy: describeProxy(proxy) },
      );
    }
    literal = ipBytes(address);
    if (literal === undefined) throw fail("proxy_refused", `got no usable address for ${hostname}`);
  }
  if (literal !== undefined) {
    const out = new Uint8Array(1 + literal.length);
    out[0] = literal.length === 4 ? ATYP_IPV4 : ATYP_IPV6;
    out.set(literal, 1);
    return out;
  }
  const name = new TextEncoder().encode(hostname);
  if (name.length > 255) throw fail("bad_url", `cannot be given a host name over 255 bytes (${name.length})`);
  const out = new Uint8Array(2 + name.length);
  out[0] = ATYP_DOMAIN;
  out[1] = name.length;
  out.set(name, 2);
  return out;
}

/**
 * The bytes of an IPv4 (`a.b.c.d`) or IPv6 (RFC 4291 section 2.2 text, brackets allowed) literal, or
 * `undefined` for a host name.
 *
 * @example
 * ```ts
 * import { ipBytes } from "./socks5.ts";
 * ipBytes("127.0.0.1"); // Uint8Array [127, 0, 0, 1]
 * ipBytes("web.whatsapp.com"); // undefined
 * ```
 */
export function ipBytes(text: string): Uint8Array | undefined {
  const v4 = parseIPv4(text);
  if (v4) return v4;
  const host = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!host.includes(":")) return undefined;
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const tail = parseIPv4(piece);
        if (!tail) return undefined;
        out.push((tail[0] << 8) | tail[1], (tail[2] << 8) | tail[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]);
  const tail = halves.length === 2 ? words(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((word, i) => {
    out[2 * i] = word >>> 8;
    out[2 * i + 1] = word & 0xff;
  });
  return out;
}

function parseIPv4(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? Uint8Array.from(bytes) : undefined;
}
