/**
 * Messaging wired into the client: the send and receive pipelines, receipts, retries, offline sync,
 * device lists and group metadata, sharing one set of per-address locks and per-chat queues.
 *
 * @module
 */

import { Jid, type Node } from "../../binary/mod.ts";
import type { Message } from "../../proto/mod.ts";
import { KeyedMutex, type SignalContext } from "../../signal/mod.ts";
import { buildAck } from "../ack.ts";
import type { ClientCore } from "../core.ts";
import { Devices } from "./devices.ts";
import { Groups } from "./groups.ts";
import type { MessageInfo } from "./message_info.ts";
import { OfflineSync } from "./offline.ts";
import { ChatQueues } from "./queues.ts";
import { markRead, type MarkReadOptions, parseReceipt } from "./receipts.ts";
import { Receiver } from "./receive.ts";
import { Retries, retryRequester } from "./retry.ts";
import { type SendContext, SendError, sendMessage, type SendOptions, type SendResult } from "./send.ts";

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
  /** Group metadata. */
  readonly groups: Groups;
  readonly #locks = new KeyedMutex();
  readonly #queues: ChatQueues;
  readonly #receiver: Receiver;
  readonly #retries: Retries;
  readonly #offline: OfflineSync;
  readonly #acks = new Map<string, PromiseWithResolvers<Node>>();
  readonly #send: SendContext;

  /** Creates the subsystem and registers its stanza handlers with `register`. */
  constructor(core: ClientCore, register: (tag: string, handler: (node: Node) => void) => void) {
    this.#core = core;
    this.devices = new Devices(core);
    this.groups = new Groups(core, this.devices);
    this.#queues = new ChatQueues((error, chat) =>
      core.log.child("Client/Recv").error(`processing a message in ${chat} failed`, { error })
    );
    this.#offline = new OfflineSync(core, this.#queues, core.timings.offlineSyncTimeoutMs);
    const signal = () => this.#signalContext();
    const identityChanged = (address: string) => {
      const jid = addressToJid(address);
      if (jid) core.emit("identityChange", { jid, announced: false });
    };
    this.#send = {
      core,
      devices: this.devices,
      groups: this.groups,
      locks: this.#locks,
      signal,
      waitForAck: (id, timeoutMs, s) => this.#waitForAck(id, timeoutMs, s),
      identityChanged,
    };
    this.#retries = new Retries(this.#send);
    this.#receiver = new Receiver({
      core,
      devices: this.devices,
      locks: this.#locks,
      queues: this.#queues,
      signal,
      onMessage: (event) => core.emit("message", event),
      onUndecryptable: (node, info, error, isUnavailable) =>
        this.#undecryptable(node, info, error, isUnavailable),
      identityChanged,
      onOfflineMessage: () => this.#offline.onMessage(),
    });
    register("message", (node) => this.#receiver.handle(node));
    register("receipt", (node) => this.#onReceipt(node));
    register("ack", (node) => this.#onAck(node));
    register("ib:offline_preview", (node) => this.#offline.onPreview(node));
    register("ib:offline", (node) => this.#offline.onComplete(node));
    register(
      "notification:encrypt",
      (node) => core.spawn("identity notification", () => this.#onEncryptNotification(node)),
    );
    register("notification:devices", (node) => this.#onDevicesNotification(node));
  }

  #signalContext(): SignalContext {
    const d = this.#core.device;
    return {
      store: this.#core.store,
      identity: { identityKeyPair: d.identityKey, registrationId: d.registrationId },
    };
  }

  /** Sends a message (see `Client.sendMessage`). */
  sendMessage(to: Jid, message: Message, options?: SendOptions): Promise<SendResult> {
    return sendMessage(this.#send, to, message, options);
  }

  /** Sends read (or played) receipts. */
  markRead(chat: Jid, ids: readonly string[], options?: MarkReadOptions): Promise<void> {
    return markRead(this.#core, chat, ids, options);
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
    for (const [id, pending] of this.#acks) {
      pending.reject(new SendError(`connection closed before the server acknowledged ${id}: ${reason}`));
    }
    this.#acks.clear();
  }

  #waitForAck(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Node> {
    const pending = Promise.withResolvers<Node>();
    this.#acks.set(id, pending);
    const timeout = AbortSignal.timeout(timeoutMs);
    const all = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const onAbort = () => {
      if (this.#acks.get(id) !== pending) return;
      this.#acks.delete(id);
      pending.reject(
        timeout.aborted
          ? new SendError(`the server did not acknowledge message ${id} within ${timeoutMs} ms`)
          : new SendError(`waiting for the ack of ${id} was cancelled`, 0, { cause: signal?.reason }),
      );
    };
    all.addEventListener("abort", onAbort, { once: true });
    return pending.promise.finally(() => all.removeEventListener("abort", onAbort));
  }

  #onAck(node: Node): void {
    if (node.attrs.class !== "message") return;
    const pending = this.#acks.get(node.attrs.id ?? "");
    if (!pending) return;
    this.#acks.delete(node.attrs.id);
    pending.resolve(node);
  }

  async #undecryptable(node: Node, info: MessageInfo, error: Error, isUnavailable: boolean): Promise<number> {
    let retryCount = 0;
    try {
      retryCount = await this.#retries.sendRetryReceipt(node, info, error);
    } catch (e) {
      this.#core.log.child("Client/Retry").warn(`could not send a retry receipt for ${info.id}`, {
        error: e,
      });
    }
    const enc = Array.isArray(node.content) ? node.content.find((c) => c.tag === "enc") : undefined;
    this.#core.emit("undecryptableMessage", {
      info,
      error,
      isUnavailable,
      decryptFailMode: enc?.attrs["decrypt-fail"] === "hide" ? "hide" : "show",
      retryCount,
    });
    return retryCount;
  }

  #onReceipt(node: Node): void {
    const core = this.#core;
    const log = core.log.child("Client/Receipt");
    const ack = async () => {
      const a = buildAck(node, core.device.pn);
      if (a) await core.sendNode(a).catch((e) => log.debug("could not ack a receipt", { error: e }));
    };
    const pn = core.device.pn;
    if (!pn) return void core.spawn("receipt ack", ack);
    let event;
    try {
      event = parseReceipt(node, { pn, lid: core.device.lid });
    } catch (e) {
      log.warn("dropping a malformed receipt", { error: e, attrs: node.attrs });
      return void core.spawn("receipt ack", ack);
    }
    if (event.type === "retry") {
      const requester = retryRequester(node);
      const chat = event.source.isGroup
        ? event.source.chat
        : event.source.isFromMe && node.attrs.recipient
        ? Jid.parse(node.attrs.recipient)
        : requester.toNonAd();
      core.spawn("retry receipt", async () => {
        try {
          await this.#retries.handleRetryReceipt(
            node,
            requester,
            chat,
            event.source.isGroup,
            event.source.isFromMe,
          );
        } finally {
          await ack();
        }
      });
    } else {
      core.spawn("receipt ack", ack);
    }
    core.emit("receipt", event);
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
    this.#core.emit("identityChange", { jid: user, announced: true });
  }

  #onDevicesNotification(node: Node): void {
    const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
    if (from) this.devices.invalidate(from);
  }
}
