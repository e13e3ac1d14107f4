/**
 * Trusted-contact (tc) tokens (`client.tcTokens`): privacy tokens that prove to the server that a
 * contact trusts us. A contact's token reaches us in a `<notification type="privacy_token">` and is
 * stored under the contact's LID; we attach it (`<tctoken>`) where the server gates what it shows
 * (1:1 messages, presence subscriptions, profile pictures, usync user info). After a 1:1 message we
 * issue our own token to the recipient, once per 7-day bucket, in the background. Tokens are valid for
 * the current bucket and the three before it (about 28 days).
 *
 * Shapes and rules: reference/protocol-facts-features.md 5.5; whatsmeow tctoken.go
 * (`currentTCTokenCutoffTimestamp`, `shouldSendNewTCToken`, `issuePrivacyToken`) and notification.go
 * (`handlePrivacyTokenNotification`).
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, optAttrInt } from "../binary/mod.ts";
import { LruTtlCache, type TcTokenEntry } from "../store/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import { type IqSpec, requireChild } from "./iq.ts";
import { toJid } from "./jid_input.ts";
import { lenientInt } from "./lenient_attrs.ts";

/** Length of one token bucket in seconds (AB prop `tctoken_duration`, 7 days). */
export const TC_TOKEN_BUCKET_SECONDS = 604_800;
/** How many buckets a token stays valid for (AB prop `tctoken_num_buckets`). */
export const TC_TOKEN_BUCKETS = 4;
/** Most JIDs one issue request may name (keeps the IQ and its answer small). */
export const MAX_TC_TOKEN_ISSUE = 500;

/** The oldest token timestamp (Unix seconds) still valid at `now`: the start of the oldest live bucket. */
export function tcTokenCutoff(now: number = Math.floor(Date.now() / 1000)): number {
  const bucket = Math.floor(now / TC_TOKEN_BUCKET_SECONDS);
  return (bucket - (TC_TOKEN_BUCKETS - 1)) * TC_TOKEN_BUCKET_SECONDS;
}

/**
 * True when a token issued at `tokenTimestamp` is no longer valid at `now`.
 *
 * @example
 * ```ts
 * import { isTcTokenExpired } from "@wadeno/client";
 * const now = 1_700_000_000;
 * isTcTokenExpired(now - 86_400, now); // false: issued yesterday
 * isTcTokenExpired(now - 40 * 86_400, now); // true: older than four buckets
 * ```
 */
export function isTcTokenExpired(
  tokenTimestamp: number,
  now: number = Math.floor(Date.now() / 1000),
): boolean {
  return !(tokenTimestamp > 0) || tokenTimestamp < tcTokenCutoff(now);
}

/** True when our own token should be issued again: never issued, or issued in an earlier bucket. */
export function shouldIssueTcToken(
  senderTimestamp: number | undefined,
  now: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!senderTimestamp) return true;
  return Math.floor(now / TC_TOKEN_BUCKET_SECONDS) > Math.floor(senderTimestamp / TC_TOKEN_BUCKET_SECONDS);
}

/** True for JIDs a chat token is exchanged with: users (PN or LID), not bots or the PSA account. */
export function exchangesTcTokens(jid: Jid): boolean {
  return (jid.isPn() || jid.isLid()) && !jid.isBot() && jid.user !== "0";
}

/** A token as the server answered an issue request. */
export interface IssuedTcToken {
  /** Who the token was issued to. */
  jid: Jid;
  /** The token bytes. */
  token: Uint8Array;
  /** The token's timestamp (Unix seconds). */
  timestamp: number;
}

/**
 * The IQ that issues our trusted-contact token to `jids` (LIDs preferred):
 * `iq(privacy,set) <tokens><token jid t type="trusted_contact"/>…</tokens>`, answered with
 * `<tokens><token jid t type>bytes</token>…</tokens>`.
 */
export function issueTcTokensSpec(jids: readonly Jid[], timestamp: number): IqSpec<IssuedTcToken[]> {
  if (jids.length > MAX_TC_TOKEN_ISSUE) {
    throw new InputError(
      "invalid_argument",
      "jids",
      `at most ${MAX_TC_TOKEN_ISSUE} per request, got ${jids.length}`,
    );
  }
  const t = String(Math.floor(timestamp));
  const spec: IqSpec<IssuedTcToken[]> = {
    operation: "issue trusted-contact tokens",
    about: jids.length === 1 ? jids[0] : `${jids.length} users`,
    build: () => ({
      namespace: "privacy",
      type: "set",
      content: [{
        tag: "tokens",
        attrs: {},
        content: jids.map((jid) => ({
          tag: "token",
          attrs: { jid: jid.toNonAd(), t, type: "trusted_contact" },
        })),
      }],
    }),
    parse: (res: Node) => {
      const out: IssuedTcToken[] = [];
      for (const token of getChildren(requireChild(spec, res, "tokens"), "token")) {
        const jid = token.attrs.jid ? Jid.tryParse(token.attrs.jid) : undefined;
        if (!jid || !(token.content instanceof Uint8Array)) continue;
        out.push({ jid, token: token.content.slice(), timestamp: optAttrInt(token, "t") ?? Number(t) });
      }
      return out;
    },
  };
  return spec;
}

/** What a `<notification type="privacy_token">` carries. */
export interface PrivacyTokenNotification {
  /** The contact who gave us the token. */
  from: Jid;
  /** The contact's LID, when the notification names it. */
  senderLid?: Jid;
  /** The `trusted_contact` tokens (other types are skipped). */
  tokens: { token: Uint8Array; timestamp: number }[];
}

/** Parses a `privacy_token` notification; throws when it lacks `from` or `<tokens>`. */
export function parsePrivacyTokenNotification(node: Node): PrivacyTokenNotification {
  const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
  if (!from) throw new Error(`privacy_token notification lacks a valid from (got ${node.attrs.from})`);
  const tokens = getChild(node, "tokens");
  if (!tokens) throw new Error("privacy_token notification has no <tokens>");
  const senderLid = node.attrs.sender_lid ? Jid.tryParse(node.attrs.sender_lid)?.toNonAd() : undefined;
  const out: PrivacyTokenNotification["tokens"] = [];
  for (const token of getChildren(tokens, "token")) {
    if (token.attrs.type !== "trusted_contact" || !(token.content instanceof Uint8Array)) continue;
    const timestamp = lenientInt(token, "t");
    if (!timestamp) continue;
    out.push({ token: token.content.slice(), timestamp });
  }
  return { from: from.toNonAd(), senderLid: senderLid?.isLid() ? senderLid : undefined, tokens: out };
}

/** The events of the tc-token feature (tokens are plumbing: none). */
export type TcTokenEvents = Record<never, never>;

/** Trusted-contact tokens: storage, lookup, issuing and refreshing. */
export class TcTokens {
  readonly #ctx: FeatureContext<TcTokenEvents>;
  // When we last issued our token to a contact (by storage JID), for contacts with no stored entry too.
  readonly #issuedAt = new LruTtlCache<string, number>({
    maxEntries: 10_000,
    ttlMs: TC_TOKEN_BUCKETS * TC_TOKEN_BUCKET_SECONDS * 1000,
  });
  readonly #issuing = new Set<string>();
  #lastPrune = 0;

  /** Creates the feature and subscribes to `privacy_token` notifications. */
  constructor(ctx: FeatureContext<TcTokenEvents>) {
    this.#ctx = ctx;
    ctx.onStanza({ tag: "notification", type: "privacy_token" }, (node) => this.#onNotification(node));
  }

  /**
   * The JID a contact's token is stored under: its LID when known, else the JID itself (no device).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const key = await client.tcTokens.storageJid("15551234567@s.whatsapp.net"); // its LID once known
   *   console.log(key.toString());
   * }
   * ```
   */
  async storageJid(jid: Jid | string): Promise<Jid> {
    const user = toJid(jid, "jid").toNonAd();
    if (!user.isPn()) return user;
    const entry = await this.#ctx.store.getPnMapping(user.user);
    return entry ? Jid.lid(entry.lid) : user;
  }

  /**
   * The stored entry for a contact (by its PN or LID), expired or not.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   const entry = await client.tcTokens.get("100000000000001@lid");
   *   console.log(entry?.tokenTimestamp);
   * }
   * ```
   */
  async get(jid: Jid | string): Promise<TcTokenEntry | undefined> {
    return await this.#ctx.store.getTcToken((await this.storageJid(jid)).toString());
  }

  /**
   * The contact's token to attach to a request, when one is stored and still valid.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * export async function example(client: Client, contact: Jid) {
   *   const token = await client.tcTokens.tokenFor(contact);
   *   console.log(token ? "have a valid token" : "none, or expired");
   * }
   * ```
   */
  async tokenFor(jid: Jid): Promise<Uint8Array | undefined> {
    if (!exchangesTcTokens(jid.toNonAd())) return undefined;
    this.#maybePrune();
    const entry = await this.get(jid);
    return entry && entry.token.length > 0 && !isTcTokenExpired(entry.tokenTimestamp)
      ? entry.token
      : undefined;
  }

  /**
   * Issues our token to contacts (LIDs preferred; phone numbers are resolved to LIDs when known) and
   * records when, so the background refresh does not issue it again in the same bucket. Resolves with
   * what the server answered.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   for (const { jid, timestamp } of await client.tcTokens.issue(["100000000000001@lid"])) {
   *     console.log("issued to", jid.toString(), "at", new Date(timestamp * 1000));
   *   }
   * }
   * ```
   */
  async issue(
    jids: readonly (Jid | string)[],
    options: { signal?: AbortSignal } = {},
  ): Promise<IssuedTcToken[]> {
    if (!jids.length) return [];
    const targets = await Promise.all(jids.map((j) => this.storageJid(j)));
    const now = Math.floor(Date.now() / 1000);
    const issued = await this.#ctx.execute(issueTcTokensSpec(targets, now), options);
    for (const target of targets) await this.#recordIssued(target, now);
    return issued;
  }

  /**
   * Deletes every stored token that expired; resolves with how many.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   console.log("deleted", await client.tcTokens.pruneExpired(), "expired tokens");
   * }
   * ```
   */
  async pruneExpired(): Promise<number> {
    return await this.#ctx.store.deleteExpiredTcTokens(tcTokenCutoff());
  }

  /**
   * The JIDs (as strings) that have a stored token.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export async function example(client: Client) {
   *   for (const jid of await client.tcTokens.allJids()) console.log(jid, await client.tcTokens.get(jid));
   * }
   * ```
   */
  async allJids(): Promise<string[]> {
    return await this.#ctx.store.getAllTcTokenJids();
  }

  /**
   * Called after a 1:1 message to `to` was accepted: issues our token to it in the background unless
   * it was already issued in the current bucket.
   */
  afterDirectSend(to: Jid): void {
    const user = to.toNonAd();
    if (!exchangesTcTokens(user)) return;
    this.#ctx.spawn("issue our trusted-contact token", async () => {
      const target = await this.storageJid(user);
      const key = target.toString();
      if (this.#issuing.has(key)) return;
      const known = this.#issuedAt.get(key) ?? (await this.#ctx.store.getTcToken(key))?.senderTimestamp;
      if (!shouldIssueTcToken(known)) return;
      this.#issuing.add(key);
      try {
        const now = Math.floor(Date.now() / 1000);
        await this.#ctx.execute(issueTcTokensSpec([target], now));
        await this.#recordIssued(target, now);
      } finally {
        this.#issuing.delete(key);
      }
    });
  }

  async #recordIssued(target: Jid, now: number): Promise<void> {
    const key = target.toString();
    this.#issuedAt.set(key, now);
    const entry = await this.#ctx.store.getTcToken(key);
    if (entry) await this.#ctx.store.putTcToken(key, { ...entry, senderTimestamp: now });
  }

  #maybePrune(): void {
    const now = Date.now();
    if (now - this.#lastPrune < 24 * 3_600_000) return;
    this.#lastPrune = now;
    this.#ctx.spawn("prune expired trusted-contact tokens", async () => {
      const n = await this.pruneExpired();
      if (n) this.#ctx.log.debug(`deleted ${n} expired trusted-contact tokens`);
    });
  }

  async #onNotification(node: Node): Promise<void> {
    let parsed: PrivacyTokenNotification;
    try {
      parsed = parsePrivacyTokenNotification(node);
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed privacy_token notification", { error: e, attrs: node.attrs });
      return;
    }
    if (parsed.senderLid && parsed.from.isPn()) {
      await this.#ctx.learnLidMapping(parsed.senderLid, parsed.from, "device_notification");
    }
    const target = parsed.senderLid ?? await this.storageJid(parsed.from);
    const key = target.toString();
    for (const { token, timestamp } of parsed.tokens) {
      const existing = await this.#ctx.store.getTcToken(key);
      // An older token arriving late must not replace a newer one.
      if (existing && existing.tokenTimestamp > timestamp) continue;
      const entry: TcTokenEntry = { token, tokenTimestamp: timestamp };
      const sender = existing?.senderTimestamp ?? this.#issuedAt.get(key);
      if (sender !== undefined) entry.senderTimestamp = sender;
      await this.#ctx.store.putTcToken(key, entry);
    }
  }
}
