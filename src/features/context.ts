/**
 * The seam between the client and its features. A feature (groups, presence, media, app state, ...) is a
 * file or folder in `src/features/` built on this narrow context, never on the `Client` itself: it runs IQ
 * specs, sends nodes and messages, subscribes to stanzas by tag and type and to protocol messages by kind,
 * emits its own typed events, and reads the store. The client builds the context once and hands each
 * feature a view typed by the feature's own event map.
 *
 * @module
 */

import type { Jid, Node, NodeInput } from "../binary/mod.ts";
import type { Logger } from "../logger.ts";
import type { Message, ProtocolMessage, ProtocolMessageType } from "../proto/mod.ts";
import type { Backend, Device, LidLearningSource } from "../store/mod.ts";
import type { IqSpec } from "./iq.ts";
import type { MessageEvent } from "./message_info.ts";
import type { SendOptions, SendResult } from "./send_options.ts";

/**
 * Which stanzas a handler wants. `tag` is required; every other field given must match. For `<iq>` from
 * the server, `xmlns` and `child` (the first child's tag) select; for `<ib>`, the handler receives each
 * child whose tag is `child`.
 */
export interface StanzaFilter {
  /** The stanza's tag (`notification`, `receipt`, `call`, `presence`, `chatstate`, `iq`, `ib`, ...). */
  tag: string;
  /** Its `type` attribute. */
  type?: string;
  /** Its `xmlns` attribute (server IQs). */
  xmlns?: string;
  /** The tag of its first child (server IQs), or of the `<ib>` child to receive. */
  child?: string;
}

/**
 * Handles one stanza. The client acknowledges a stanza that needs an ack (message, receipt,
 * notification, call) once every handler for it settled, whatever they did; a handler that throws is
 * logged and reported as an `error` event. A server IQ (`get`/`set`) must be answered by its handler.
 */
export type StanzaHandler = (node: Node) => void | Promise<void>;

/** A `ProtocolMessage.Type` name (`HISTORY_SYNC_NOTIFICATION`, `APP_STATE_SYNC_KEY_SHARE`, ...). */
export type ProtocolMessageKind = {
  [K in keyof typeof ProtocolMessageType]: K;
}[keyof typeof ProtocolMessageType];

/** Handles a decrypted protocol message of one kind; `event` is the whole message it came in. */
export type ProtocolMessageHandler = (
  protocolMessage: ProtocolMessage,
  event: MessageEvent,
) => void | Promise<void>;

/**
 * Observes a decrypted message meant for the user, before the `message` event fires. The receive path
 * awaits it; one that throws is logged and reported as an `error` event, and the message is delivered
 * anyway.
 */
export type MessageObserver = (event: MessageEvent) => void | Promise<void>;

/**
 * What a feature sees of the client. `E` is the feature's own event map: `emit` only accepts its events.
 *
 * @example
 * ```ts
 * import type { FeatureContext } from "./context.ts";
 * interface PingEvents { pong: { at: Date } }
 * export class Ping {
 *   constructor(private ctx: FeatureContext<PingEvents>) {}
 *   async ping(): Promise<void> {
 *     await this.ctx.execute({ operation: "ping", build: () => ({ namespace: "w:p", type: "get" }), parse: () => {} });
 *     await this.ctx.emit("pong", { at: new Date() });
 *   }
 * }
 * ```
 */
export interface FeatureContext<E = Record<never, never>> {
  /** The feature's logger (`Client/<Feature>` target). */
  readonly log: Logger;
  /** The store. */
  readonly store: Backend;
  /** The device (read-only; change it with {@linkcode FeatureContext.updateDevice}). */
  readonly device: Readonly<Device>;
  /** Our phone-number JID with device id, once paired. */
  readonly ownJid: Jid | undefined;
  /** Our LID with device id, once known. */
  readonly ownLid: Jid | undefined;
  /** True while logged in on a live connection. */
  readonly isLoggedIn: boolean;
  /** Runs an IQ spec; rejects with `IqError` (naming the spec's operation) or `ConnectionError`. */
  execute<T>(spec: IqSpec<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /** Sends a stanza on the live connection; rejects with `ConnectionError` `not_connected` when there is none. */
  sendNode(node: NodeInput): Promise<void>;
  /** Encrypts and sends a message (the client's send pipeline). */
  sendMessage(to: Jid, message: Message, options?: SendOptions): Promise<SendResult>;
  /**
   * Sends a protocol message to one device of our own account (`options.device`, default our phone) as
   * a `category="peer"` message: no fan-out, no `DeviceSentMessage` wrapping. Resolves on the server's ack.
   */
  sendPeerMessage(
    message: Message,
    options?: Pick<SendOptions, "id" | "timeoutMs" | "signal"> & { device?: Jid },
  ): Promise<SendResult>;
  /** Subscribes to stanzas; returns the unsubscribe function. Several handlers may share a filter. */
  onStanza(filter: StanzaFilter, handler: StanzaHandler): () => void;
  /**
   * Claims decrypted protocol messages of a kind; returns the unsubscribe function. Plumbing kinds
   * (history sync, app state keys, peer data operations, ...) are accepted only from our own devices
   * and never reach the user's `message` event.
   */
  onProtocolMessage(kind: ProtocolMessageKind, handler: ProtocolMessageHandler): () => void;
  /**
   * Observes every decrypted message meant for the user (not plumbing protocol messages), in chat order,
   * after the protocol dispatch and before the `message` event, which waits for it. Messages handed to
   * the handlers again after a restart are observed again. Returns the unsubscribe function.
   */
  onMessage(observer: MessageObserver): () => void;
  /** Called after every login (a fresh connection is ready); returns the unsubscribe function. */
  onLogin(handler: () => void | Promise<void>): () => void;
  /**
   * Emits one of the feature's events and resolves once every listener settled (and every `events()`
   * iterator took it), so callers that must not lose an event can wait for it to be handled.
   */
  emit<K extends keyof E>(name: K, data: E[K]): Promise<void>;
  /** Records that a LID and a phone number are the same account (from a verified source). */
  learnLidMapping(lid: Jid, phoneNumber: Jid, source: LidLearningSource): Promise<void>;
  /** Applies a change to the device and makes it durable. */
  updateDevice(change: (device: Device) => void): Promise<void>;
  /**
   * Forgets our sender key for a group and who received it, under the client's sender-key lock, so
   * the next send into the group creates a new key and distributes it to the members left: someone who
   * left or was removed cannot read later messages.
   */
  rotateGroupSenderKey(group: Jid): Promise<void>;
  /** Runs background work, logging (never dropping) its failure. */
  spawn(what: string, work: () => Promise<unknown>): void;
}
