/**
 * Receiving `<message>` stanzas: decrypt every `<enc>` (`pkmsg`/`msg` with the sender's session, `skmsg`
 * with its sender key), remove the padding, decode the `Message`, handle sender-key distribution and
 * device-sent wrappers, and emit `message`. Then make the new Signal state durable, and only then ack and
 * send the delivery receipt, so a crash can never lose a message (the server redelivers anything unacked).
 *
 * A message that cannot be decrypted becomes an `undecryptableMessage` event and a retry receipt. A
 * message seen before is acknowledged again but not emitted twice. Messages of one chat are processed in
 * order; Signal operations on one address never interleave.
 *
 * @module
 */

import { Jid, type Node } from "../../binary/mod.ts";
import { Message } from "../../proto/mod.ts";
import {
  decryptMessage,
  groupDecrypt,
  type KeyedMutex,
  processSenderKeyDistributionMessage,
  senderKeyName,
  type SignalContext,
  SignalError,
  unpadMessage,
} from "../../signal/mod.ts";
import { LruTtlCache } from "../../store/mod.ts";
import { buildAck } from "../ack.ts";
import type { ClientCore } from "../core.ts";
import type { Devices } from "./devices.ts";
import { type MessageInfo, parseMessageInfo } from "./message_info.ts";
import type { ChatQueues } from "./queues.ts";

/** Payload of the `message` event. */
export interface MessageEvent {
  /** The decrypted message (device-sent wrappers already removed). */
  message: Message;
  /** Who sent it, where, when. */
  info: MessageInfo;
}

/** Payload of the `undecryptableMessage` event. */
export interface UndecryptableMessageEvent {
  /** What is known about the message. */
  info: MessageInfo;
  /** Why it could not be read. */
  error: Error;
  /** True when the server said the content is unavailable (nothing to decrypt). */
  isUnavailable: boolean;
  /** `hide` when the sender asked not to show a placeholder (edits, reactions), else `show`. */
  decryptFailMode: "show" | "hide";
  /** How many retry receipts this client has sent for the message, including this one (0 when none). */
  retryCount: number;
}

/** What the receive path needs from the messaging composition. */
export interface ReceiveContext {
  /** The client core. */
  core: ClientCore;
  /** Device lists and addresses. */
  devices: Devices;
  /** Per-address locks shared with the send path. */
  locks: KeyedMutex;
  /** Per-chat ordered queues. */
  queues: ChatQueues;
  /** Signal context for this device. */
  signal(): SignalContext;
  /** Emits `message`. */
  onMessage(event: MessageEvent): void;
  /** Emits `undecryptableMessage` and sends the retry receipt; returns the retry count used. */
  onUndecryptable(node: Node, info: MessageInfo, error: Error, isUnavailable: boolean): Promise<number>;
  /** Reports an identity change we accepted. */
  identityChanged(address: string): void;
  /** Called after each processed message that came from the offline queue. */
  onOfflineMessage(): void;
}

/** True when a message carries nothing but protocol plumbing (a sender key distribution). */
function isOnlySenderKey(m: Message): boolean {
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined || k === "$unknown") continue;
    if (
      k !== "senderKeyDistributionMessage" && k !== "messageContextInfo" &&
      k !== "fastRatchetKeySenderKeyDistributionMessage"
    ) {
      return false;
    }
  }
  return true;
}

/** Handles incoming `<message>` stanzas. */
export class Receiver {
  readonly #ctx: ReceiveContext;
  // Messages already handled (chat|sender|id): a redelivery is acknowledged but not emitted again.
  readonly #seen = new LruTtlCache<string, true>({ maxEntries: 20_000, ttlMs: 24 * 3_600_000 });

  /** Creates the receiver. */
  constructor(ctx: ReceiveContext) {
    this.#ctx = ctx;
  }

  get #log() {
    return this.#ctx.core.log.child("Client/Recv");
  }

  /** Queues a `<message>` for ordered processing in its chat. */
  handle(node: Node): void {
    const from = node.attrs.from ?? "";
    this.#ctx.queues.enqueue(
      from.includes("@g.us") || from.includes("@broadcast") ? from : chatKey(from),
      () => this.#process(node),
    );
  }

  async #process(node: Node): Promise<void> {
    const core = this.#ctx.core;
    const ownPn = core.device.pn;
    if (!ownPn) {
      this.#log.warn("message received before pairing completed; acking it unread");
      return await this.#ack(node);
    }
    let info: MessageInfo;
    try {
      info = parseMessageInfo(node, { pn: ownPn, lid: core.device.lid });
    } catch (e) {
      this.#log.warn("dropping a malformed message stanza", { error: e, attrs: node.attrs });
      return await this.#ack(node);
    }
    try {
      await this.#learnMappings(info);
      const key = `${info.source.chat}|${info.source.sender}|${info.id}`;
      if (this.#seen.has(key)) {
        this.#log.debug(`duplicate message ${info.id} from ${info.source.sender}, acking again`);
        await this.#ack(node);
        await this.#sendDeliveryReceipt(node, info);
        return;
      }
      const encs = (Array.isArray(node.content) ? node.content : []).filter((c) => c.tag === "enc");
      if (!encs.length) {
        const unavailable = (Array.isArray(node.content) ? node.content : []).some((c) =>
          c.tag === "unavailable"
        );
        const error = new Error(
          unavailable ? "the server marked the message unavailable" : "message has no <enc> content",
        );
        await this.#ctx.onUndecryptable(node, info, error, true);
        return await this.#ack(node);
      }
      const failure = await this.#decryptAll(info, encs);
      if (failure) {
        this.#log.warn(`could not decrypt ${info.id} from ${info.source.sender}: ${failure.message}`);
        await this.#ctx.onUndecryptable(node, info, failure, false);
        return await this.#ack(node);
      }
      this.#seen.set(key, true);
      // The new Signal state must be durable before the server forgets the message.
      await core.store.flush();
      await this.#ack(node);
      await this.#sendDeliveryReceipt(node, info);
    } finally {
      if (info.offline) this.#ctx.onOfflineMessage();
    }
  }

  /** Decrypts the `<enc>` children in order; returns the first failure (nothing after it is processed). */
  async #decryptAll(info: MessageInfo, encs: Node[]): Promise<Error | undefined> {
    const ctx = this.#ctx;
    const signal = ctx.signal();
    const senderAddress = await this.#senderAddress(info);
    let emitted = false;
    for (const enc of encs) {
      const type = enc.attrs.type;
      const bytes = enc.content instanceof Uint8Array ? enc.content : undefined;
      if (!bytes) return new Error(`<enc type="${type}"> has no ciphertext`);
      let plaintext: Uint8Array;
      try {
        if (type === "pkmsg" || type === "msg") {
          plaintext = await ctx.locks.withLock(
            senderAddress,
            () => this.#decryptDirect(signal, senderAddress, type, bytes),
          );
        } else if (type === "skmsg" && info.source.isGroup) {
          const name = senderKeyName(info.source.chat.toString(), senderAddress);
          plaintext = await ctx.locks.withLock(`sender-key:${name}`, () => groupDecrypt(signal, name, bytes));
        } else {
          this.#log.warn(`ignoring <enc type="${type}"> in ${info.id}`);
          continue;
        }
      } catch (e) {
        if (e instanceof SignalError && e.code === "duplicate") {
          // Already decrypted once (a redelivery after a crash between flush and ack): nothing is lost.
          this.#log.debug(`${info.id}: ${type} already decrypted`, { error: e.message });
          continue;
        }
        return e instanceof Error ? e : new Error(String(e));
      }
      let message: Message;
      try {
        message = Message.decode(unpadMessage(plaintext));
      } catch (e) {
        return new Error(`decrypted content of ${info.id} is not a valid Message: ${(e as Error).message}`, {
          cause: e,
        });
      }
      const skdm = message.senderKeyDistributionMessage ?? message.fastRatchetKeySenderKeyDistributionMessage;
      if (skdm?.axolotlSenderKeyDistributionMessage && skdm.groupId) {
        const name = senderKeyName(skdm.groupId, senderAddress);
        try {
          await ctx.locks.withLock(
            `sender-key:${name}`,
            () =>
              processSenderKeyDistributionMessage(signal, name, skdm.axolotlSenderKeyDistributionMessage!),
          );
        } catch (e) {
          this.#log.warn(`bad sender key distribution in ${info.id}`, { error: e });
        }
      }
      if (isOnlySenderKey(message) || emitted) continue;
      const unwrapped = this.#unwrapDeviceSent(info, message);
      emitted = true;
      ctx.onMessage({ message: unwrapped.message, info: unwrapped.info });
    }
    return undefined;
  }

  async #decryptDirect(
    signal: SignalContext,
    address: string,
    type: "pkmsg" | "msg",
    bytes: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      return await decryptMessage(signal, address, type, bytes);
    } catch (e) {
      if (
        type !== "pkmsg" || !(e instanceof SignalError) || e.code !== "untrusted_identity" || !e.identityKey
      ) throw e;
      // The sender reinstalled or re-registered: accept the new identity (WhatsApp shows "security code
      // changed"), drop the old session, and decrypt again.
      this.#log.info(`identity of ${address} changed; trusting the new key`);
      await this.#ctx.core.store.saveIdentity(address, e.identityKey);
      await this.#ctx.core.store.deleteSession(address);
      this.#ctx.identityChanged(address);
      return await decryptMessage(signal, address, type, bytes);
    }
  }

  #unwrapDeviceSent(info: MessageInfo, message: Message): MessageEvent {
    const dsm = message.deviceSentMessage;
    if (!dsm?.message || !info.source.isFromMe) return { message, info };
    const inner: Message = { ...dsm.message };
    const outer = message.messageContextInfo;
    if (outer) inner.messageContextInfo = { ...outer, ...inner.messageContextInfo };
    const dest = dsm.destinationJid;
    const chat = dest ? Jid.tryParse(dest) : undefined;
    return { message: inner, info: chat ? { ...info, source: { ...info.source, chat } } : info };
  }

  async #senderAddress(info: MessageInfo): Promise<string> {
    const sender = info.source.sender;
    const alt = info.source.senderAlt;
    if (sender.isPn() && alt?.isLid()) return alt.withDevice(sender.device).toSignalAddress();
    return await this.#ctx.devices.sessionAddress(sender);
  }

  async #learnMappings(info: MessageInfo): Promise<void> {
    const { sender, senderAlt } = info.source;
    if (!senderAlt) return;
    if (sender.isPn() && senderAlt.isLid()) {
      await this.#ctx.devices.learnMapping(senderAlt, sender, "peer_pn_message");
    } else if (sender.isLid() && senderAlt.isPn()) {
      await this.#ctx.devices.learnMapping(sender, senderAlt, "peer_lid_message");
    }
  }

  async #ack(node: Node): Promise<void> {
    const ack = buildAck(node, this.#ctx.core.device.pn);
    if (!ack) return;
    await this.#ctx.core.sendNode(ack).catch((e) => this.#log.debug("could not ack a message", { error: e }));
  }

  /** The delivery receipt, by the seed's rules: none for our own messages or status; no `type` attribute. */
  async #sendDeliveryReceipt(node: Node, info: MessageInfo): Promise<void> {
    if (info.source.isFromMe || info.source.chat.isStatusBroadcast()) return;
    const attrs: Record<string, string> = { id: info.id, to: node.attrs.from };
    if (node.attrs.participant) attrs.participant = node.attrs.participant;
    if (node.attrs.recipient) attrs.recipient = node.attrs.recipient;
    if (info.category === "peer") attrs.type = "peer_msg";
    await this.#ctx.core.sendNode({ tag: "receipt", attrs }).catch((e) =>
      this.#log.debug("could not send a delivery receipt", { error: e })
    );
  }
}

function chatKey(from: string): string {
  const at = from.indexOf("@");
  const colon = from.indexOf(":");
  return colon >= 0 && colon < at ? from.slice(0, colon) + from.slice(at) : from;
}
