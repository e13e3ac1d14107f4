/**
 * Messaging wired into the client: the send and receive pipelines, retries, offline sync, device lists
 * and the protocol-message dispatch, sharing one set of per-address locks and per-chat queues. Every
 * stanza handler is registered on the client's router like any feature's.
 *
 * @module
 */

import { Jid, type Node } from "../../binary/mod.ts";
import type { MessageObserver } from "../../features/context.ts";
import type { DecryptError } from "../../features/errors.ts";
import { SendError } from "../../features/errors.ts";
import type { GroupInfo } from "../../features/groups/parse.ts";
import { type MessageEvent, type MessageInfo, parseMessageSource } from "../../features/message_info.ts";
import type { SendOptions, SendResult } from "../../features/send_options.ts";
import type { Message } from "../../proto/mod.ts";
import { KeyedMutex, senderKeyName, type SignalContext, type SignalStore } from "../../signal/mod.ts";
import type { ClientCore } from "../core.ts";
import { Devices } from "./devices.ts";
import { OfflineSync } from "./offline.ts";
import { ProtocolDispatch } from "./protocol.ts";
import { ChatQueues } from "./queues.ts";
import { Receiver } from "./receive.ts";
import { type PeerSendOptions, sendPeerMessage } from "./peer.ts";
import { Retries, retryRequester } from "./retry.ts";
import { type DirectSendHooks, type SendContext, sendMessage } from "./send.ts";

/** Payload of `identityChange`: a contact's security code changed (new identity key). */
export interface IdentityChangeEvent {
  /** The user (or device, when known) whose identity changed. */
  jid: Jid;
  /** True when the server announced it; false when a message or bundle revealed it. */
  announced: boolean;
}

/** The Signal protocol address `user[:device]@server.0` back as a JID. */
export function addressToJid(address: string): Jid | undefined {
  const base = address.endsWith(".0") ? address.slice(0, -2) : address;
  return Jid.tryParse(base.replace(/@c\.us$/, "@s.whatsapp.net"));
}

/** The messaging subsystem of one client. */
export class Messaging {
  readonly #core: ClientCore;
  /** Device lists and LID/PN mappings. */
  readonly devices: Devices;
  /** Protocol messages by kind, claimed by features. */
  readonly protocol: ProtocolDispatch;
  readonly #locks = new KeyedMutex();
  readonly #queues: ChatQueues;
  readonly #receiver: Receiver;
  readonly #retries: Retries;
  readonly #offline: OfflineSync;
  // Ack waiters by message id, oldest first: two sends with one id each get their own ack.
  readonly #acks = new Map<string, PromiseWithResolvers<Node>[]>();
  readonly #send: SendContext;
  readonly #observers = new Set<MessageObserver>();
  #started: Promise<number> | undefined;

  /** Creates the subsystem and registers its stanza handlers. */
  constructor(core: ClientCore, groupInfo: (group: Jid) => Promise<GroupInfo>, hooks?: DirectSendHooks) {
    this.#core = core;
    this.devices = new Devices(core);
    this.protocol = new ProtocolDispatch(core.log.child("Client/Protocol"));
    this.#queues = new ChatQueues((error, chat) => {
      core.log.child("Client/Recv").error(`processing a message in ${chat} failed`, { error });
      core.emit("error", { error, context: `processing a message in ${chat}` });
    });
    this.#offline = new OfflineSync(core, this.#queues, core.timings.offlineSyncTimeoutMs);
    const identityChanged = (address: string) => {
      const jid = addressToJid(address);
      if (jid) core.emit("identityChange", { jid, announced: false });
    };
    this.#send = {
      core,
      devices: this.devices,
      groupInfo,
      locks: this.#locks,
      signal: () => this.#signalContext(core.store),
      waitForAck: (id, timeoutMs, s) => this.#waitForAck(id, timeoutMs, s),
      identityChanged,
      hooks,
    };
    this.#retries = new Retries(this.#send);
    this.#receiver = new Receiver({
      core,
      devices: this.devices,
      locks: this.#locks,
      queues: this.#queues,
      protocol: this.protocol,
      signal: (store) => this.#signalContext(store),
      sendRetryReceipt: (node, info, error) => this.#sendRetryReceipt(node, info, error),
      identityChanged,
      onOfflineMessage: () => this.#offline.onMessage(),
      observe: (event) => this.#observe(event),
    });
    core.on({ tag: "message" }, (node) => this.#receiver.handle(node));
    core.on({ tag: "receipt", type: "retry" }, (node) => this.#onRetryReceipt(node));
    core.on({ tag: "receipt", type: "enc_rekey_retry" }, (node) => this.#onRetryReceipt(node));
    core.on({ tag: "ack" }, (node) => this.#onAck(node));
    core.on({ tag: "ib", child: "offline_preview" }, (node) => this.#offline.onPreview(node));
    core.on({ tag: "ib", child: "offline" }, (node) => this.#offline.onComplete(node));
    core.on({ tag: "notification", type: "encrypt" }, (node) => this.#onEncryptNotification(node));
    core.on({ tag: "notification", type: "devices" }, (node) => this.#onDevicesNotification(node));
  }

  #signalContext(store: SignalStore): SignalContext {
    const d = this.#core.device;
    return { store, identity: { identityKeyPair: d.identityKey, registrationId: d.registrationId } };
  }

  /**
   * Queues, once, the messages a previous run decrypted but whose handlers did not finish; resolves with
   * how many there were.
   */
  start(): Promise<number> {
    return this.#started ??= this.#receiver.replayInbox();
  }

  /** Registers a message observer (see `FeatureContext.onMessage`); returns the unsubscribe function. */
  observe(observer: MessageObserver): () => void {
    this.#observers.add(observer);
    return () => void this.#observers.delete(observer);
  }

  async #observe(event: MessageEvent): Promise<void> {
    for (const observer of [...this.#observers]) {
      try {
        await observer(event);
      } catch (error) {
        this.#core.log.child("Client/Recv").error(`a message observer failed for ${event.info.id}`, {
          error,
        });
        this.#core.emit("error", { error, context: `observing message ${event.info.id}` });
      }
    }
  }

  /** Sends a message (see `Client.sendMessage`). */
  sendMessage(to: Jid, message: Message, options?: SendOptions): Promise<SendResult> {
    return sendMessage(this.#send, to, message, options);
  }

  /** Sends a protocol message to one device of our own account (see peer.ts). */
  sendPeerMessage(message: Message, options?: PeerSendOptions): Promise<SendResult> {
    return sendPeerMessage(this.#send, message, options);
  }

  /**
   * Forgets our sender key for `group` and its SKDM recipients under the sender-key lock (named as
   * send.ts names it), so the next send creates a new key and distributes it again.
   */
  async rotateSenderKey(group: Jid): Promise<void> {
    const d = this.#core.device;
    if (!d.pn) return;
    const name = senderKeyName(group.toString(), (d.lid ?? d.pn).toSignalAddress());
    await this.#locks.withLock(`sender-key:${name}`, async () => {
      await this.#core.store.deleteSenderKey(name);
      await this.#core.store.clearSkdmRecipients(group.toString());
    });
  }

  /** True while the offline backlog is being processed. */
  get offlineSyncActive(): boolean {
    return this.#offline.active;
  }

  /** Resolves once every message received so far has been processed. */
  idle(): Promise<void> {
    return this.#queues.idle();
  }

  /** Login succeeded on a new connection. */
  loggedIn(): void {
    this.#offline.start();
    this.#sweepSentMessages();
    clearInterval(this.#maintenance);
    this.#maintenance = setInterval(
      () => this.#sweepSentMessages(),
      this.#core.timings.maintenanceIntervalMs,
    );
  }

  #maintenance: ReturnType<typeof setInterval> | undefined;

  /** Deletes sent messages older than the retry TTL (they can no longer be asked for). */
  #sweepSentMessages(): void {
    const cutoff = Math.floor((Date.now() - this.#core.timings.sentMessageTtlMs) / 1000);
    this.#core.spawn("sent message sweep", async () => {
      const n = await this.#core.store.deleteExpiredSentMessages(cutoff);
      if (n) this.#core.log.child("Client/Maintenance").debug(`deleted ${n} expired sent messages`);
    });
  }

  /** The connection closed: pending sends fail fast instead of waiting for their timeout. */
  connectionClosed(reason: string): void {
    this.#offline.stop();
    clearInterval(this.#maintenance);
    this.#maintenance = undefined;
    for (const [id, waiters] of this.#acks) {
      for (const pending of waiters) {
        pending.reject(
          new SendError(
            "disconnected",
            `the connection closed before the server acknowledged ${id}: ${reason}`,
          ),
        );
      }
    }
    this.#acks.clear();
  }

  #waitForAck(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Node> {
    const pending = Promise.withResolvers<Node>();
    let waiters = this.#acks.get(id);
    if (!waiters) this.#acks.set(id, waiters = []);
    waiters.push(pending);
    // A timer cleared once the ack came, not AbortSignal.timeout: that signal and its timer would live for
    // the whole timeout after the ack, so a busy sender held one per message of the last minute.
    let timedOut = false;
    const onAbort = () => {
      if (!this.#forget(id, pending)) return;
      pending.reject(
        timedOut
          ? new SendError(
            "ack_timeout",
            `the server did not acknowledge message ${id} within ${timeoutMs} ms`,
          )
          : new SendError("aborted", `waiting for the ack of ${id} was cancelled`, 0, {
            cause: signal?.reason,
          }),
      );
    };
    const timer = setTimeout(() => {
      timedOut = true;
      onAbort();
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    return pending.promise.finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  }

  /** Removes one waiter; false when it was already settled. */
  #forget(id: string, pending: PromiseWithResolvers<Node>): boolean {
    const waiters = this.#acks.get(id);
    const i = waiters?.indexOf(pending) ?? -1;
    if (!waiters || i < 0) return false;
    waiters.splice(i, 1);
    if (waiters.length === 0) this.#acks.delete(id);
    return true;
  }

  #onAck(node: Node): void {
    if (node.attrs.class !== "message") return;
    const id = node.attrs.id ?? "";
    const waiters = this.#acks.get(id);
    const pending = waiters?.shift();
    if (!pending) return;
    if (waiters!.length === 0) this.#acks.delete(id);
    pending.resolve(node);
  }

  async #sendRetryReceipt(node: Node, info: MessageInfo, error: DecryptError): Promise<number> {
    return await this.#retries.sendRetryReceipt(node, info, error);
  }

  /** `<receipt type="retry">`: resend the message to the device that asked (the router acks it). */
  async #onRetryReceipt(node: Node): Promise<void> {
    const core = this.#core;
    const pn = core.device.pn;
    if (!pn) return;
    let requester: Jid;
    let chat: Jid;
    let isGroup: boolean;
    let isFromMe: boolean;
    try {
      const source = parseMessageSource(node, { pn, lid: core.device.lid }, false);
      requester = retryRequester(node);
      isGroup = source.isGroup;
      isFromMe = source.isFromMe;
      chat = source.isGroup
        ? source.chat
        : source.isFromMe && node.attrs.recipient
        ? Jid.parse(node.attrs.recipient)
        : requester.toNonAd();
    } catch (e) {
      core.log.child("Client/Retry").warn("ignoring a malformed retry receipt", {
        error: e,
        attrs: node.attrs,
      });
      return;
    }
    await this.#retries.handleRetryReceipt(node, requester, chat, isGroup, isFromMe);
  }

  async #onEncryptNotification(node: Node): Promise<void> {
    if (!Array.isArray(node.content) || !node.content.some((c) => c.tag === "identity")) return;
    const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
    if (!from || from.user === "") return;
    const user = from.toNonAd();
    const store = this.#core.store;
    // Forget every session and identity of the user's devices: the next message starts a fresh session.
    const record = await store.getDevices(user.toString());
    const ids = new Set([0, from.device, ...(record?.devices.map((d) => d.deviceId) ?? [])]);
    const lid = user.isPn() ? await this.devices.lidFor(user.user) : undefined;
    const pn = user.isLid() ? await this.devices.pnFor(user.user) : undefined;
    for (const id of ids) {
      const addresses = [user.withDevice(id).toSignalAddress()];
      if (lid) addresses.push(Jid.lid(lid, id).toSignalAddress());
      if (pn) addresses.push(Jid.pn(pn, id).toSignalAddress());
      for (const address of addresses) {
        await this.#locks.withLock(address, async () => {
          await store.deleteSession(address);
          await store.deleteIdentity(address);
        });
      }
    }
    this.devices.invalidate(user);
    await store.flush();
    this.#core.log.child("Client/Identity").info(`identity of ${user} changed; its sessions were cleared`);
    await this.#core.emitAndWait("identityChange", { jid: user, announced: true });
  }

  /** `<notification type="devices">`: a user's device list changed; the next send fetches it again. */
  async #onDevicesNotification(node: Node): Promise<void> {
    const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
    if (!from) return;
    this.devices.invalidate(from);
    await this.#core.store.deleteDeviceList(from.toNonAd().toString());
  }
}
