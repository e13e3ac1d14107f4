/**
 * The sync-key side of app state on a running client: storing the keys our primary shares, asking it for
 * keys a patch names and we lack (at most once a day per key, as whatsmeow does), and, on a primary
 * device (device 0, which is what FakeWhatsApp's virtual phone runs), answering such requests from our
 * companions. Key messages go to our own devices as peer messages.
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import type { ProtocolMessage } from "../../proto/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import type { FeatureContext } from "../context.ts";
import type { MessageEvent } from "../message_info.ts";
import {
  keyRequestMessage,
  keyShareMessage,
  readKeyRequest,
  readKeyShare,
  type SharedSyncKey,
} from "./key_share.ts";

/** How long before the same key is asked for again (whatsmeow: 24 h). */
export const KEY_REQUEST_INTERVAL_MS = 24 * 3_600_000;

/** Key ids remembered as asked for (a bound on the memory a stream of unknown ids can take). */
const MAX_REMEMBERED_REQUESTS = 1_024;

/** What key exchange needs of the feature context (it emits nothing). */
export type KeyExchangeContext = Pick<
  FeatureContext<unknown>,
  "log" | "store" | "ownJid" | "sendMessage" | "onProtocolMessage"
>;

/** Keys, shares and requests of one client. */
export class KeyExchange {
  readonly #ctx: KeyExchangeContext;
  readonly #requested: LruTtlCache<string, true>;
  readonly #onKeys: (keys: SharedSyncKey[]) => void;

  /**
   * Creates it and claims the key share and key request protocol messages. `onKeys` runs after new keys
   * were stored (the engine resyncs then).
   */
  constructor(ctx: KeyExchangeContext, onKeys: (keys: SharedSyncKey[]) => void, now?: () => number) {
    this.#ctx = ctx;
    this.#onKeys = onKeys;
    this.#requested = new LruTtlCache({
      maxEntries: MAX_REMEMBERED_REQUESTS,
      ttlMs: KEY_REQUEST_INTERVAL_MS,
      clock: now,
    });
    ctx.onProtocolMessage("APP_STATE_SYNC_KEY_SHARE", (pm) => this.#onShare(pm));
    ctx.onProtocolMessage("APP_STATE_SYNC_KEY_REQUEST", (pm, event) => this.#onRequest(pm, event));
  }

  /** True on a primary device (device 0): it owns the keys and never asks for them. */
  get isPrimary(): boolean {
    return this.#ctx.ownJid?.device === 0;
  }

  /** Our newest key (by timestamp), or `undefined` before the primary shared any. */
  async latest(): Promise<SharedSyncKey | undefined> {
    const keyId = await this.#ctx.store.getLatestSyncKeyId();
    if (keyId === undefined) return undefined;
    const key = await this.#ctx.store.getSyncKey(keyId);
    return key === undefined ? undefined : { keyId, ...key };
  }

  /**
   * Asks the primary for keys we lack, skipping ids asked for in the last 24 hours. Does nothing on a
   * primary or before pairing. Resolves with how many ids were asked for.
   */
  async request(keyIds: readonly Uint8Array[]): Promise<number> {
    const own = this.#ctx.ownJid;
    if (own === undefined || this.isPrimary) return 0;
    const fresh = keyIds.filter((id) => this.#requested.get(id.toHex()) === undefined);
    if (fresh.length === 0) return 0;
    for (const id of fresh) this.#requested.set(id.toHex(), true);
    this.#ctx.log.info(`asking the primary for app state keys ${fresh.map((k) => k.toHex()).join(", ")}`);
    await this.#ctx.sendMessage(Jid.pn(own.user), keyRequestMessage(fresh));
    return fresh.length;
  }

  /**
   * Sends keys we hold to another of our devices (all of them, or those with the given ids). Resolves with
   * how many were sent; sends nothing when we hold none of them.
   */
  async share(device: Jid, keyIds?: readonly Uint8Array[]): Promise<number> {
    const keys: SharedSyncKey[] = [];
    const ids = keyIds ?? [];
    if (keyIds === undefined) {
      const latest = await this.latest();
      if (latest) keys.push(latest);
    }
    for (const keyId of ids) {
      const key = await this.#ctx.store.getSyncKey(keyId);
      if (key) keys.push({ keyId, ...key });
    }
    if (keys.length === 0) return 0;
    await this.#ctx.sendMessage(device, keyShareMessage(keys));
    return keys.length;
  }

  async #onShare(pm: ProtocolMessage): Promise<void> {
    const { keys, skipped } = readKeyShare(pm.appStateSyncKeyShare);
    if (skipped > 0) this.#ctx.log.warn(`skipped ${skipped} malformed app state keys in a key share`);
    if (keys.length === 0) return;
    for (const k of keys) {
      await this.#ctx.store.setSyncKey(k.keyId, {
        keyData: k.keyData,
        fingerprint: k.fingerprint,
        timestamp: k.timestamp,
      });
      this.#requested.delete(k.keyId.toHex());
    }
    await this.#ctx.store.flush();
    this.#ctx.log.info(`stored ${keys.length} app state keys from our primary`);
    this.#onKeys(keys);
  }

  async #onRequest(pm: ProtocolMessage, event: MessageEvent): Promise<void> {
    const from = event.info.source.sender;
    if (!this.isPrimary) {
      this.#ctx.log.debug(`ignoring an app state key request from ${from}: only the primary answers them`);
      return;
    }
    const ids = readKeyRequest(pm.appStateSyncKeyRequest);
    const sent = ids.length === 0 ? 0 : await this.share(from, ids);
    this.#ctx.log.info(`answered a key request from ${from} with ${sent} of ${ids.length} keys`);
  }
}
