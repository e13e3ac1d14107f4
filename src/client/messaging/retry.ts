/**
 * Retry receipts, both ways (shapes from whatsmeow retry.go):
 *
 * - When a message cannot be decrypted the client answers with `<receipt type="retry">` carrying
 *   `<retry count id t v="1"/>` and its registration id; from the second retry on (or when it has no
 *   session at all) it also sends fresh keys (`<keys>` with a new one-time prekey, the signed prekey and
 *   its device identity) so the sender can start a new session. At most 5 retries per message.
 * - When another device asks for a retry, the client takes the message it stored when sending (kept for
 *   the sent-message TTL), re-encrypts it for that one device (a new session from the included keys, or
 *   from a fetched bundle after the first retry), adds a fresh sender-key distribution for groups, and
 *   sends it again with the retry count. At most 10 answers per device and message.
 *
 * Strangers cannot make the client spend without limit: retry receipts are budgeted per message (5), per
 * sending user (10 in 10 minutes) and in total (100 a minute, of which at most 20 carry fresh keys, each
 * costing a one-time prekey). A message past its budget still becomes an `undecryptableMessage` event.
 *
 * @module
 */

import { attrJid, getChild, type Jid, type Node, type NodeInput, uintBytes } from "../../binary/mod.ts";
import { DJB_KEY_TYPE } from "../../crypto/mod.ts";
import type { DecryptError } from "../../features/errors.ts";
import type { MessageInfo } from "../../features/message_info.ts";
import { Message } from "../../proto/mod.ts";
import {
  createSenderKeyDistributionMessage,
  processPreKeyBundle,
  senderKeyName,
  SignalError,
} from "../../signal/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import type { ClientCore } from "../core.ts";
import { preKeyNode, reservePreKeys } from "../prekeys.ts";
import { BundleError, fetchPreKeyBundles, parsePreKeyBundle } from "./bundles.ts";
import {
  deviceIdentityNode,
  encNode,
  encryptForDevices,
  messageStanzaType,
  type SendContext,
} from "./send.ts";

/** Retry receipts sent per message before giving up. */
export const MAX_RETRY_RECEIPTS = 5;
/** Retry requests answered per device and message. */
export const MAX_RETRY_ANSWERS = 10;
/** Retry receipts sent per sending user per {@linkcode RETRY_SENDER_WINDOW_MS}. */
export const MAX_RETRIES_PER_SENDER = 10;
/** The per-sender window. */
export const RETRY_SENDER_WINDOW_MS = 600_000;
/** Retry receipts sent in total per minute. */
export const MAX_RETRIES_PER_MINUTE = 100;
/** Retry receipts with fresh keys (a one-time prekey each) per minute. */
export const MAX_KEYED_RETRIES_PER_MINUTE = 20;

/** Counts events in a fixed window: `take()` is false once `limit` were taken in the current window. */
export class WindowBudget {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #start = -Infinity;
  #used = 0;

  /** Creates a budget of `limit` per `windowMs`. */
  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Spends one unit; false when the window's budget is used up. */
  take(): boolean {
    const now = this.#now();
    if (now - this.#start >= this.#windowMs) {
      this.#start = now;
      this.#used = 0;
    }
    if (this.#used >= this.#limit) return false;
    this.#used++;
    return true;
  }
}

/** Sends and answers retry receipts. */
export class Retries {
  readonly #ctx: SendContext;
  // message_retry_counts in the seed's cache config: 5 min, 1,000 entries.
  readonly #sent = new LruTtlCache<string, number>({ maxEntries: 1_000, ttlMs: 300_000 });
  readonly #answered = new LruTtlCache<string, number>({ maxEntries: 2_000, ttlMs: 300_000 });
  readonly #perSender = new LruTtlCache<string, WindowBudget>({
    maxEntries: 2_000,
    ttlMs: RETRY_SENDER_WINDOW_MS,
  });
  readonly #total = new WindowBudget(MAX_RETRIES_PER_MINUTE, 60_000);
  readonly #keyed = new WindowBudget(MAX_KEYED_RETRIES_PER_MINUTE, 60_000);

  /** Creates the handler. */
  constructor(ctx: SendContext) {
    this.#ctx = ctx;
  }

  get #core(): ClientCore {
    return this.#ctx.core;
  }

  /**
   * Sends a retry receipt for a message we could not decrypt. Returns the retry count used, or 0 when
   * the retry budget is spent (nothing sent).
   */
  async sendRetryReceipt(node: Node, info: MessageInfo, error: DecryptError): Promise<number> {
    const log = this.#core.log.child("Client/Retry");
    const enc = Array.isArray(node.content) ? node.content.find((c) => c.tag === "enc") : undefined;
    const fromMessage = Number(enc?.attrs.count ?? 0) || 0;
    const messageKey = `${info.source.sender}|${info.id}`;
    const previous = this.#sent.get(messageKey) ?? 0;
    const count = previous === 0 && fromMessage > 0 ? fromMessage + 1 : previous + 1;
    this.#sent.set(messageKey, count);
    if (count >= MAX_RETRY_RECEIPTS) {
      log.warn(`giving up on ${info.id} after ${count - 1} retry receipts`);
      return 0;
    }
    const user = info.source.sender.toNonAd().toString();
    let senderBudget = this.#perSender.get(user);
    if (!senderBudget) {
      senderBudget = new WindowBudget(MAX_RETRIES_PER_SENDER, RETRY_SENDER_WINDOW_MS);
      this.#perSender.set(user, senderBudget);
    }
    if (!senderBudget.take() || !this.#total.take()) {
      log.warn(`not asking ${user} to resend ${info.id}: the retry budget is spent`);
      return 0;
    }
    const attrs: Record<string, string> = { id: info.id, to: node.attrs.from, type: "retry" };
    if (node.attrs.participant) attrs.participant = node.attrs.participant;
    if (node.attrs.recipient) attrs.recipient = node.attrs.recipient;
    if (info.category === "peer") attrs.category = "peer";
    const content: NodeInput[] = [
      {
        tag: "retry",
        attrs: {
          count: String(count),
          id: info.id,
          t: node.attrs.t ?? String(Math.floor(Date.now() / 1000)),
          v: "1",
        },
      },
      { tag: "registration", attrs: {}, content: uintBytes(this.#core.device.registrationId, 4) },
    ];
    const noSession = error.code === "no_session" || error.code === "invalid_prekey_id";
    if ((count > 1 || noSession) && this.#keyed.take()) content.push(await this.#keysNode());
    await this.#core.sendNode({ tag: "receipt", attrs, content });
    return count;
  }

  /** `<keys>` with a fresh one-time prekey (stored first), the signed prekey and our device identity. */
  async #keysNode(): Promise<NodeInput> {
    const core = this.#core;
    const [preKey] = await reservePreKeys(core, 1);
    const spk = core.device.signedPreKey;
    const content: NodeInput[] = [
      { tag: "type", attrs: {}, content: new Uint8Array([DJB_KEY_TYPE]) },
      { tag: "identity", attrs: {}, content: core.device.identityKey.publicKey },
      preKeyNode(preKey.keyId, preKey.publicKey),
      preKeyNode(spk.keyId, spk.keyPair.publicKey, spk.signature),
    ];
    const identity = deviceIdentityNode(core);
    if (identity) content.push(identity);
    return { tag: "keys", attrs: {}, content };
  }

  /** Answers another device's `<receipt type="retry">` by resending the message to it. */
  async handleRetryReceipt(
    node: Node,
    requester: Jid,
    chat: Jid,
    isGroup: boolean,
    isFromMe: boolean,
  ): Promise<void> {
    const core = this.#core;
    const log = core.log.child("Client/Retry");
    const retry = getChild(node, "retry");
    const messageId = retry?.attrs.id ?? node.attrs.id;
    const count = Number(retry?.attrs.count ?? 1) || 1;
    if (!messageId) {
      log.warn(`retry receipt from ${requester} names no message; ignoring it`);
      return;
    }
    const answerKey = `${requester}|${messageId}`;
    const answered = (this.#answered.get(answerKey) ?? 0) + 1;
    this.#answered.set(answerKey, answered);
    if (answered > MAX_RETRY_ANSWERS) {
      log.warn(
        `ignoring retry ${count} from ${requester} for ${messageId}: answered ${MAX_RETRY_ANSWERS} times`,
      );
      return;
    }
    const chatKey = chat.toNonAd().toString();
    // Read, not taken: other devices may ask for the same message; the TTL sweep removes it.
    const stored = await core.store.getSentMessage(chatKey, messageId);
    if (!stored) {
      log.warn(`retry from ${requester} for ${messageId}, but the message is no longer stored`);
      return;
    }
    let message = Message.decode(stored);
    const address = await this.#ctx.devices.sessionAddress(requester);
    const signal = this.#ctx.signal();
    if (isGroup) {
      const own = core.device.lid ?? core.device.pn!;
      const name = senderKeyName(chat.toString(), own.toSignalAddress());
      const skdm = await this.#ctx.locks.withLock(
        `sender-key:${name}`,
        () => createSenderKeyDistributionMessage(signal, name),
      );
      message = {
        ...message,
        senderKeyDistributionMessage: { groupId: chat.toString(), axolotlSenderKeyDistributionMessage: skdm },
      };
    } else if (isFromMe) {
      message = { deviceSentMessage: { destinationJid: chat.toNonAd().toString(), message } };
    }
    // A new session: from the keys the requester sent, or a fresh bundle once a plain retry did not help.
    let bundle = getChild(node, "keys") ? parsePreKeyBundle(node, requester.device) : undefined;
    if (!bundle && count >= 2) {
      const fetched = (await fetchPreKeyBundles(core, [requester])).get(requester.toString());
      if (fetched && !(fetched instanceof BundleError)) bundle = fetched;
    }
    if (bundle) {
      const b = bundle;
      await this.#ctx.locks.withLock(address, async () => {
        await core.store.deleteSession(address);
        try {
          await processPreKeyBundle(signal, address, b);
        } catch (e) {
          if (!(e instanceof SignalError) || e.code !== "untrusted_identity") throw e;
          await core.store.saveIdentity(address, b.identityKey);
          this.#ctx.identityChanged(address);
          await processPreKeyBundle(signal, address, b);
        }
      });
    }
    const plaintext = Message.encode(message);
    const [encrypted] = await encryptForDevices(this.#ctx, [requester], () => plaintext);
    if (!encrypted) {
      log.warn(`could not encrypt ${messageId} again for ${requester}`);
      return;
    }
    const attrs: Record<string, string | Jid> = {
      to: node.attrs.from,
      type: messageStanzaType(message),
      id: messageId,
      t: retry?.attrs.t ?? String(Math.floor(Date.now() / 1000)),
    };
    if (!isGroup) attrs.device_fanout = "false";
    if (node.attrs.participant) attrs.participant = node.attrs.participant;
    if (node.attrs.recipient) attrs.recipient = node.attrs.recipient;
    const content: NodeInput[] = [encNode(encrypted.type, encrypted.ciphertext, { count: String(count) })];
    if (encrypted.type === "pkmsg") {
      const identity = deviceIdentityNode(core);
      if (identity) content.push(identity);
    }
    await core.sendNode({ tag: "message", attrs, content });
    log.info(`resent ${messageId} to ${requester} (retry ${count})`);
  }
}

/** The device asking for a retry: `participant` in groups, else `from`. Throws when it is not a JID. */
export function retryRequester(node: Node): Jid {
  return node.attrs.participant ? attrJid(node, "participant") : attrJid(node, "from");
}
