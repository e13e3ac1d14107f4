/**
 * Receiving `<message>` stanzas, with nothing lost and nothing changed by what does not verify.
 *
 * 1. Every `<enc>` is decrypted over a {@linkcode StagedSignalStore}: `pkmsg`/`msg` with the sender's
 *    session, `skmsg` with its sender key (groups and broadcasts only). The writes the decryption makes
 *    stay staged. If anything fails (a bad MAC, a forged identity key, an `<enc>` type that cannot be read
 *    here, content that is not a `Message`) the staged writes are dropped, the message becomes an
 *    `undecryptableMessage` event and a retry receipt, and no session, identity or mapping changes.
 * 2. A message that decrypted is committed to the store's durable inbox together with its staged Signal
 *    writes, as one unit: no flush can make the new session state durable without the message. Only now
 *    are identity changes reported and the sender's LID↔PN mapping learned.
 * 3. Protocol messages go to the features that claim them; everything else is emitted as `message`, and
 *    the pipeline waits until the listeners (and `events()` consumers) are done with it.
 * 4. The inbox entry is completed, the store flushed, and only then does the router ack the stanza and is
 *    the delivery receipt sent. A crash anywhere before that leaves either nothing durable (the server
 *    redelivers and the message decrypts again) or the inbox entry, which is handed to the handlers again
 *    at the next start while the redelivery is recognised as a duplicate.
 *
 * Messages of one chat are processed in order; Signal operations on one address never interleave.
 *
 * @module
 */

import { Jid, type Node } from "../../binary/mod.ts";
import { DecryptError } from "../../features/errors.ts";
import { type MessageEvent, type MessageInfo, parseMessageInfo } from "../../features/message_info.ts";
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
import { LruTtlCache, type SignalWriteBatch } from "../../store/mod.ts";
import type { ClientCore } from "../core.ts";
import type { Devices } from "./devices.ts";
import { decodeIncoming, encodeIncoming, incomingKey } from "./inbox.ts";
import type { ProtocolDispatch } from "./protocol.ts";
import type { ChatQueues } from "./queues.ts";
import { StagedSignalStore } from "./staged_store.ts";

/** Payload of the `undecryptableMessage` event. */
export interface UndecryptableMessageEvent {
  /** What is known about the message. */
  info: MessageInfo;
  /** Why it could not be read. */
  error: DecryptError;
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
  /** Protocol message dispatch. */
  protocol: ProtocolDispatch;
  /** Signal context for this device over a given store. */
  signal(store: StagedSignalStore): SignalContext;
  /** Sends the retry receipt (bounded); returns the retry count used, 0 when none was sent. */
  sendRetryReceipt(node: Node, info: MessageInfo, error: DecryptError): Promise<number>;
  /** Reports an identity change we accepted. */
  identityChanged(address: string): void;
  /** Called after each processed message that came from the offline queue. */
  onOfflineMessage(): void;
  /** Runs the features' message observers (never throws). */
  observe(event: MessageEvent): Promise<void>;
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

/** The outcome of decrypting a stanza's `<enc>` children. */
interface Decrypted {
  /** The message to hand to the handlers, if the stanza carried one. */
  event?: MessageEvent;
  /** Every `<enc>` was a duplicate (already decrypted before). */
  duplicate: boolean;
}

/** Holds the locks a decryption takes as it goes and releases them together. */
class LockSet {
  readonly #locks: KeyedMutex;
  readonly #held = new Map<string, () => void>();
  constructor(locks: KeyedMutex) {
    this.#locks = locks;
  }
  async take(key: string): Promise<void> {
    if (!this.#held.has(key)) this.#held.set(key, await this.#locks.acquire(key));
  }
  releaseAll(): void {
    for (const release of this.#held.values()) release();
    this.#held.clear();
  }
}

/** Handles incoming `<message>` stanzas. */
export class Receiver {
  readonly #ctx: ReceiveContext;
  // Messages already handled (chat|sender|id): a redelivery is acknowledged but not emitted again.
  readonly #seen = new LruTtlCache<string, true>({ maxEntries: 20_000, ttlMs: 24 * 3_600_000 });
  // Inbox entries committed and not yet completed (in this process or replayed from the last one).
  readonly #pending = new Set<string>();

  /** Creates the receiver. */
  constructor(ctx: ReceiveContext) {
    this.#ctx = ctx;
  }

  get #log() {
    return this.#ctx.core.log.child("Client/Recv");
  }

  /**
   * Queues the inbox entries a previous run committed but did not complete, so that their handlers run
   * again before anything newer from the same chat.
   */
  async replayInbox(): Promise<number> {
    const entries = await this.#ctx.core.store.pendingIncoming();
    for (const entry of entries) {
      this.#pending.add(entry.key);
      this.#ctx.queues.enqueue(entry.chat, async () => {
        let event: MessageEvent;
        try {
          event = decodeIncoming(entry.payload);
        } catch (e) {
          this.#log.error(`inbox entry ${entry.key} does not decode; dropping it`, { error: e });
          await this.#complete(entry.key);
          return;
        }
        this.#log.info(`handing ${event.info.id} from ${event.info.source.sender} to the handlers again`);
        await this.#deliver(event);
        await this.#complete(entry.key);
        await this.#ctx.core.store.flush();
      });
    }
    return entries.length;
  }

  /** Queues a `<message>` for ordered processing in its chat; resolves once it was processed. */
  handle(node: Node): Promise<void> {
    const from = node.attrs.from ?? "";
    return this.#ctx.queues.enqueue(
      from.includes("@g.us") || from.includes("@broadcast") ? from : chatKey(from),
      () => this.#process(node),
    );
  }

  async #process(node: Node): Promise<void> {
    const core = this.#ctx.core;
    const ownPn = core.device.pn;
    if (!ownPn) {
      this.#log.warn("message received before pairing completed; acking it unread");
      return;
    }
    let info: MessageInfo;
    try {
      info = parseMessageInfo(node, { pn: ownPn, lid: core.device.lid });
    } catch (e) {
      this.#log.warn("dropping a malformed message stanza", { error: e, attrs: node.attrs });
      return;
    }
    try {
      const key = incomingKey(info);
      if (this.#seen.has(key) || this.#pending.has(key)) {
        this.#log.debug(`duplicate message ${info.id} from ${info.source.sender}, acking again`);
        await this.#sendDeliveryReceipt(node, info);
        return;
      }
      const children = Array.isArray(node.content) ? node.content : [];
      if (info.source.chat.isNewsletter()) return await this.#processPlaintext(children, info, key);
      const encs = children.filter((c) => c.tag === "enc");
      if (!encs.length) {
        const unavailable = children.some((c) => c.tag === "unavailable");
        const error = unavailable
          ? new DecryptError("unavailable", `the server marked ${info.id} unavailable`)
          : new DecryptError("no_content", `message ${info.id} has no <enc> content`);
        await this.#undecryptable(node, info, error, true);
        return;
      }
      const staged = new StagedSignalStore(core.store);
      const locks = new LockSet(this.#ctx.locks);
      let decrypted: Decrypted;
      try {
        try {
          decrypted = await this.#decryptAll(info, encs, staged, locks);
        } catch (e) {
          const error = DecryptError.from(e, `could not decrypt ${info.id} from ${info.source.sender}`);
          this.#log.warn(error.message);
          locks.releaseAll();
          await this.#undecryptable(node, info, error, false);
          return;
        }
        // The staged writes become the store's only together with the message they decrypted.
        if (decrypted.event) {
          await core.store.commitIncoming(
            { key, chat: info.source.chat.toString(), payload: encodeIncoming(decrypted.event) },
            staged.writes(),
          );
          this.#pending.add(key);
        } else if (!staged.isEmpty) {
          await applyWrites(core.store, staged.writes());
        }
      } finally {
        locks.releaseAll();
      }
      for (const address of staged.changedIdentities()) this.#ctx.identityChanged(address);
      await this.#learnMappings(info);
      if (decrypted.event) {
        await this.#deliver(decrypted.event);
        await this.#complete(key);
      }
      this.#seen.set(key, true);
      // Everything above must be durable before the router acks and the server forgets the message.
      await core.store.flush();
      await this.#sendDeliveryReceipt(node, info);
    } finally {
      if (info.offline) this.#ctx.onOfflineMessage();
    }
  }

  /**
   * A newsletter post: not end-to-end encrypted, its `<plaintext>` is the encoded `Message` itself (no
   * padding). It goes through the durable inbox like any message; no delivery receipt is sent (the ack
   * is enough) and nothing is asked again when it does not decode.
   */
  async #processPlaintext(children: Node[], info: MessageInfo, key: string): Promise<void> {
    const core = this.#ctx.core;
    const plaintext = children.find((c) => c.tag === "plaintext")?.content;
    let message: Message | undefined;
    let error: DecryptError | undefined;
    if (!(plaintext instanceof Uint8Array)) {
      error = new DecryptError("no_content", `newsletter message ${info.id} has no <plaintext>`);
    } else {
      try {
        message = Message.decode(plaintext);
      } catch (e) {
        error = new DecryptError("bad_plaintext", `newsletter message ${info.id} is not a valid Message`, {
          cause: e,
        });
      }
    }
    if (!message) {
      this.#log.warn(error!.message);
      await core.emitAndWait("undecryptableMessage", {
        info,
        error: error!,
        isUnavailable: false,
        decryptFailMode: "show",
        retryCount: 0,
      });
      return;
    }
    const event: MessageEvent = { message, info };
    await core.store.commitIncoming({
      key,
      chat: info.source.chat.toString(),
      payload: encodeIncoming(event),
    }, {});
    this.#pending.add(key);
    await this.#deliver(event);
    await this.#complete(key);
    this.#seen.set(key, true);
    await core.store.flush();
  }

  /** Hands a message to the protocol dispatch and, unless it was plumbing, to the `message` listeners. */
  async #deliver(event: MessageEvent): Promise<void> {
    let forUser = true;
    try {
      forUser = await this.#ctx.protocol.dispatch(event);
    } catch (e) {
      this.#log.error(`a protocol message handler failed for ${event.info.id}`, { error: e });
      this.#ctx.core.emit("error", { error: e, context: `protocol message ${event.info.id}` });
    }
    if (!forUser) return;
    await this.#ctx.observe(event);
    await this.#ctx.core.emitAndWait("message", event);
  }

  async #complete(key: string): Promise<void> {
    this.#pending.delete(key);
    await this.#ctx.core.store.completeIncoming(key);
  }

  async #undecryptable(
    node: Node,
    info: MessageInfo,
    error: DecryptError,
    isUnavailable: boolean,
  ): Promise<void> {
    let retryCount = 0;
    try {
      retryCount = await this.#ctx.sendRetryReceipt(node, info, error);
    } catch (e) {
      this.#log.warn(`could not send a retry receipt for ${info.id}`, { error: e });
    }
    const enc = Array.isArray(node.content) ? node.content.find((c) => c.tag === "enc") : undefined;
    await this.#ctx.core.emitAndWait("undecryptableMessage", {
      info,
      error,
      isUnavailable,
      decryptFailMode: enc?.attrs["decrypt-fail"] === "hide" ? "hide" : "show",
      retryCount,
    });
  }

  /** Decrypts the `<enc>` children in order over `staged`; throws on the first failure. */
  async #decryptAll(
    info: MessageInfo,
    encs: Node[],
    staged: StagedSignalStore,
    locks: LockSet,
  ): Promise<Decrypted> {
    const signal = this.#ctx.signal(staged);
    const senderAddress = await this.#senderAddress(info);
    let event: MessageEvent | undefined;
    let decryptedAny = false;
    let unsupported: string | undefined;
    for (const enc of encs) {
      const type = enc.attrs.type;
      const bytes = enc.content instanceof Uint8Array ? enc.content : undefined;
      if (!bytes) throw new DecryptError("invalid_message", `<enc type="${type}"> has no ciphertext`);
      let plaintext: Uint8Array;
      try {
        if (type === "pkmsg" || type === "msg") {
          await locks.take(senderAddress);
          plaintext = await this.#decryptDirect(signal, staged, senderAddress, type, bytes);
        } else if (type === "skmsg" && info.source.isGroup) {
          const name = senderKeyName(info.source.chat.toString(), senderAddress);
          await locks.take(`sender-key:${name}`);
          plaintext = await groupDecrypt(signal, name, bytes);
        } else {
          unsupported ??= type === "skmsg"
            ? "a sender-key message (skmsg) outside a group"
            : `<enc type="${type}">`;
          continue;
        }
      } catch (e) {
        if (e instanceof SignalError && e.code === "duplicate") {
          // Decrypted once before (redelivered after a crash between commit and ack): already handled.
          this.#log.debug(`${info.id}: ${type} already decrypted`, { error: e.message });
          decryptedAny = true;
          continue;
        }
        throw e;
      }
      decryptedAny = true;
      let message: Message;
      try {
        message = Message.decode(unpadMessage(plaintext));
      } catch (e) {
        throw new DecryptError("bad_plaintext", `decrypted content of ${info.id} is not a valid Message`, {
          cause: e,
        });
      }
      const skdm = message.senderKeyDistributionMessage ?? message.fastRatchetKeySenderKeyDistributionMessage;
      if (skdm?.axolotlSenderKeyDistributionMessage && skdm.groupId) {
        const name = senderKeyName(skdm.groupId, senderAddress);
        await locks.take(`sender-key:${name}`);
        try {
          await processSenderKeyDistributionMessage(signal, name, skdm.axolotlSenderKeyDistributionMessage);
        } catch (e) {
          this.#log.warn(`bad sender key distribution in ${info.id}`, { error: e });
        }
      }
      if (isOnlySenderKey(message) || event) continue;
      event = this.#unwrapDeviceSent(info, message);
    }
    if (!decryptedAny) {
      throw new DecryptError(
        "unsupported_type",
        `message ${info.id} carries only ${unsupported ?? "nothing readable"}`,
      );
    }
    return { event, duplicate: !event };
  }

  async #decryptDirect(
    signal: SignalContext,
    staged: StagedSignalStore,
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
      // The sender may have reinstalled: try the new identity, staged. It is only accepted (and reported)
      // if the message then decrypts and verifies; a forged key with a bad MAC changes nothing.
      await staged.saveIdentity(address, e.identityKey);
      await staged.deleteSession(address);
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

  /**
   * The session address of the sender. A phone-number sender with a `sender_lid` uses the LID session,
   * unless a mapping we learned from a verified source names another LID for that number.
   */
  async #senderAddress(info: MessageInfo): Promise<string> {
    const sender = info.source.sender;
    const alt = info.source.senderAlt;
    if (sender.isPn() && alt?.isLid()) {
      const known = await this.#ctx.devices.lidFor(sender.user);
      if (known && known !== alt.user) {
        this.#log.warn(`${info.id}: stanza says ${sender.user} is ${alt.user}, but it is known as ${known}`);
        return Jid.lid(known, sender.device).toSignalAddress();
      }
      return alt.withDevice(sender.device).toSignalAddress();
    }
    return await this.#ctx.devices.sessionAddress(sender);
  }

  /** Learns the sender's LID↔PN pair from a message that decrypted (so it is not forged). */
  async #learnMappings(info: MessageInfo): Promise<void> {
    const { sender, senderAlt } = info.source;
    if (!senderAlt) return;
    if (sender.isPn() && senderAlt.isLid()) {
      await this.#ctx.devices.learnMapping(senderAlt, sender, "peer_pn_message");
    } else if (sender.isLid() && senderAlt.isPn()) {
      await this.#ctx.devices.learnMapping(sender, senderAlt, "peer_lid_message");
    }
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

/** Applies staged writes that carry no message (a sender key distribution alone). */
async function applyWrites(
  store: ClientCore["store"],
  writes: SignalWriteBatch,
): Promise<void> {
  for (const [address, record] of writes.sessions ?? []) {
    if (record === null) await store.deleteSession(address);
    else await store.storeSession(address, record);
  }
  for (const [address, key] of writes.identities ?? []) await store.saveIdentity(address, key);
  for (const id of writes.removedPreKeys ?? []) await store.removePreKey(id);
  for (const [name, record] of writes.senderKeys ?? []) await store.storeSenderKey(name, record);
}

function chatKey(from: string): string {
  const at = from.indexOf("@");
  const colon = from.indexOf(":");
  return colon >= 0 && colon < at ? from.slice(0, colon) + from.slice(at) : from;
}
