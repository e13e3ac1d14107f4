/**
 * The `media_conn` answer as plain data: the auth token and media hosts that uploads and downloads need.
 * Pure: the IQ itself (`<iq xmlns="w:m" type="set"><media_conn/></iq>`) is sent by the client.
 *
 * Answer shape (protocol-facts.md "Media", protocol-facts-features.md §1.2; whatsmeow `mediaconn.go`,
 * whatsapp-rust `wacore/src/iq/mediaconn.rs`):
 *
 * ```
 * <media_conn auth ttl auth_ttl? max_buckets?>
 *   <host hostname type?="primary"|"fallback" fallback_hostname? ...><upload/>?<download>...</download>?</host>
 * </media_conn>
 * ```
 *
 * Expiry: whatsmeow and Baileys use `ttl`; whatsapp-rust min(ttl, auth_ttl). The stricter reading is used.
 *
 * @module
 */

import { getChild, getChildren, type Node } from "../../binary/mod.ts";
import { MediaError } from "./errors.ts";

/** One media host. */
export interface MediaHost {
  /** Host name (with a port in tests), e.g. `mmg.whatsapp.net`. */
  hostname: string;
  /** `primary` unless the server says `fallback`. */
  type: "primary" | "fallback";
  /** An alternative name for the same host, when given. */
  fallbackHostname?: string;
}

/** A parsed `media_conn` answer. */
export interface MediaConn {
  /** Auth token for the upload query (`auth=`). */
  auth: string;
  /** Seconds the hosts are valid. */
  ttlSeconds: number;
  /** Seconds the auth token is valid, when given. */
  authTtlSeconds?: number;
  /** `max_buckets`, when given. */
  maxBuckets?: number;
  /** Hosts, primary ones first, in the server's order otherwise. */
  hosts: MediaHost[];
  /** When the answer was read (ms since the epoch); expiry counts from here. */
  fetchedAt: number;
}

function seconds(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MediaError("bad_media_conn", `media_conn ${what} must be a non-negative integer, got ${value}`);
  }
  return n;
}

const MAX_HOSTS = 64;

/**
 * Reads a `<media_conn>` node, or an IQ result that contains one.
 *
 * @param now the fetch time in ms (`Date.now()` by default)
 * @throws {MediaError} `bad_media_conn` without `<media_conn>`, `auth` or any host, or with a bad number.
 * @example
 * ```ts
 * import { parseMediaConn } from "./media_conn.ts";
 * const conn = parseMediaConn({
 *   tag: "media_conn",
 *   attrs: { auth: "AbC", ttl: "300" },
 *   content: [{ tag: "host", attrs: { hostname: "mmg.whatsapp.net" } }],
 * });
 * conn.hosts[0].hostname; // "mmg.whatsapp.net"
 * ```
 */
export function parseMediaConn(node: Node, now: number = Date.now()): MediaConn {
  const conn = node.tag === "media_conn" ? node : getChild(node, "media_conn");
  if (conn === undefined) throw new MediaError("bad_media_conn", `expected <media_conn>, got <${node.tag}>`);
  const auth = conn.attrs.auth;
  if (!auth) throw new MediaError("bad_media_conn", "<media_conn> has no auth attribute");
  const primary: MediaHost[] = [];
  const fallback: MediaHost[] = [];
  for (const child of getChildren(conn, "host").slice(0, MAX_HOSTS)) {
    const hostname = child.attrs.hostname;
    if (!hostname) continue;
    const host: MediaHost = { hostname, type: child.attrs.type === "fallback" ? "fallback" : "primary" };
    if (child.attrs.fallback_hostname) host.fallbackHostname = child.attrs.fallback_hostname;
    (host.type === "primary" ? primary : fallback).push(host);
  }
  if (primary.length + fallback.length === 0) {
    throw new MediaError("bad_media_conn", "<media_conn> lists no <host hostname=...>");
  }
  const result: MediaConn = {
    auth,
    ttlSeconds: seconds(conn.attrs.ttl, "ttl") ?? 0,
    hosts: [...primary, ...fallback],
    fetchedAt: now,
  };
  const authTtl = seconds(conn.attrs.auth_ttl, "auth_ttl");
  const maxBuckets = seconds(conn.attrs.max_buckets, "max_buckets");
  if (authTtl !== undefined) result.authTtlSeconds = authTtl;
  if (maxBuckets !== undefined) result.maxBuckets = maxBuckets;
  return result;
}

/** When `conn` must be fetched again (ms since the epoch): after min(ttl, auth_ttl). */
export function mediaConnExpiresAt(conn: MediaConn): number {
  const ttl = Math.min(conn.ttlSeconds, conn.authTtlSeconds ?? Infinity);
  return conn.fetchedAt + ttl * 1000;
}

/** The host names to try in order: every host (primary ones first), then the hosts' `fallback_hostname`s. */
export function mediaHostnames(conn: MediaConn): string[] {
  const names: string[] = [];
  for (const host of conn.hosts) if (!names.includes(host.hostname)) names.push(host.hostname);
  for (const host of conn.hosts) {
    if (host.fallbackHostname !== undefined && !names.includes(host.fallbackHostname)) {
      names.push(host.fallbackHostname);
    }
  }
  return names;
}
