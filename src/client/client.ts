/**
 * The WhatsApp Web client: connects, pairs (QR or pair code), logs in, stays connected and reconnects,
 * and routes stanzas to the modules that handle them.
 *
 * @module
 */

import { Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { createLogger, type Logger } from "../logger.ts";
import { NoiseError } from "../noise/mod.ts";
import { type Backend, createDevice, type Device, isPaired } from "../store/mod.ts";
import { abortableSleep as sleep, jitteredBackoffMs } from "./backoff.ts";
import { Connection } from "./connection.ts";
import type { ClientCore, ClientTimings, ConnectionOutcome } from "./core.ts";
import { type EventOf, type Listener, TypedEmitter, type WaitForOptions } from "./emitter.ts";
import type { ClientEvents } from "./events.ts";
import { type InfoQuery, IqError, IqTracker } from "./iq.ts";
import { KeepAlive } from "./keepalive.ts";
import { afterLogin, ConnectionError, readSuccess } from "./login.ts";
import { type StanzaHandler, StanzaRouter } from "./router.ts";
import { type PairCodeOptions, Pairing } from "./pairing.ts";
import {
  buildClientPayload,
  buildDeviceProps,
  DEFAULT_WA_VERSION,
  type DevicePropsOptions,
  type WaVersion,
} from "./payload.ts";
import { ensureSignedPreKeyStored } from "./prekeys.ts";
import { type TransportFactory, webSocketTransport } from "./transport.ts";
import { Messaging } from "./messaging/messaging.ts";
import type { GroupInfo } from "./messaging/groups.ts";
import type { MarkReadOptions } from "./messaging/receipts.ts";
import type { SendOptions, SendResult } from "./messaging/send.ts";
import {
  disappearingTimerMessage,
  editMessage,
  reactionMessage,
  revokeMessage,
  textMessage,
  type TextOptions,
} from "./messaging/builders.ts";
import type { Message, MessageKey } from "../proto/mod.ts";

/** Options for {@linkcode Client.create}. */
export interface ClientOptions {
  /** Where the device and its keys live (`SqliteStore.open(path)` or `new MemoryStore()`). Required. */
  store: Backend;
  /** How to reach the server; defaults to a WebSocket to `url`. */
  transport?: TransportFactory;
  /** WebSocket URL; defaults to WhatsApp's (`wss://web.whatsapp.com/ws/chat`). Ignored with `transport`. */
  url?: string | URL;
  /**
   * The Noise certificate root the server's chain must chain to. Defaults to WhatsApp's published root;
   * pass `FakeWhatsApp.rootPublicKey` in tests. The chain is always verified.
   */
  trustedRoot?: Uint8Array;
  /** The WhatsApp Web version to announce. */
  version?: WaVersion;
  /** How this device appears in the phone's Linked devices list (used when pairing). */
  deviceProps?: DevicePropsOptions;
  /** The push name to announce. */
  pushName?: string;
  /** Logger; defaults to one filtered by the `WADENO_LOG` environment variable. */
  logger?: Logger;
  /** Reconnect on its own after a dropped connection. Default true. */
  autoReconnect?: boolean;
  /** Timing knobs (tests shrink them; the defaults follow WhatsApp Web). */
  timings?: Partial<ClientTimings>;
}

/** How long `disconnect()` waits for messages already received to finish processing. */
export const DISCONNECT_DRAIN_MS = 2_000;

/** The default timings. */
export const DEFAULT_TIMINGS: ClientTimings = {
  connectTimeoutMs: 20_000,
  handshakeTimeoutMs: 20_000,
  iqTimeoutMs: 60_000,
  keepAliveMinMs: 15_000,
  keepAliveMaxMs: 30_000,
  keepAliveResponseMs: 20_000,
  deadSocketMs: 20_000,
  qrFirstMs: 60_000,
  qrNextMs: 20_000,
  offlineSyncTimeoutMs: 60_000,
  sentMessageTtlMs: 300_000,
  maintenanceIntervalMs: 300_000,
  backoffMs: (attempt) => jitteredBackoffMs(attempt),
};

/**
 * A WhatsApp Web companion client.
 *
 * @example
 * ```ts ignore
 * import { Client, renderQr, SqliteStore } from "@wadeno/client";
 * const client = await Client.create({ store: await SqliteStore.open("bot.db") });
 * client.on("pairingQrCode", ({ code }) => console.log(renderQr(code)));
 * await client.connect(); // resolves once paired (if needed) and logged in
 * ```
 */
export class Client implements AsyncDisposable {
  readonly #store: Backend;
  readonly #log: Logger;
  readonly #events = new TypedEmitter<ClientEvents>();
  readonly #iq = new IqTracker();
  readonly #timings: ClientTimings;
  readonly #options: ClientOptions;
  readonly #transport: TransportFactory;
  readonly #version: WaVersion;
  readonly #pairing: Pairing;
  readonly #core: ClientCore;
  readonly #messaging: Messaging;
  readonly #router: StanzaRouter;
  #device: Device;
  #conn: Connection | undefined;
  #outcome: ConnectionOutcome | undefined;
  #loop: Promise<void> | undefined;
  #loopAbort: AbortController | undefined;
  #loggedIn = false;
  #reconnectErrors = 0;
  #autoReconnect: boolean;
  #lastError: Error | undefined;
  #serverTimeOffsetMs = 0;

  private constructor(options: ClientOptions, device: Device) {
    this.#options = options;
    this.#store = options.store;
    this.#device = device;
    this.#log = options.logger ?? createLogger();
    this.#timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.#transport = options.transport ?? webSocketTransport({ url: options.url });
    this.#version = options.version ?? DEFAULT_WA_VERSION;
    this.#autoReconnect = options.autoReconnect ?? true;
    this.#events.onListenerError = (error, event) =>
      this.#log.child("Client/Events").error(`a "${String(event)}" listener failed`, { error });
    const getDevice = () => this.#device;
    const getOffset = () => this.#serverTimeOffsetMs;
    const setOffset = (v: number) => void (this.#serverTimeOffsetMs = v);
    this.#core = {
      log: this.#log,
      store: this.#store,
      timings: this.#timings,
      version: this.#version,
      get device() {
        return getDevice();
      },
      updateDevice: (change) => this.#updateDevice(change),
      resetDevice: () => this.#resetDevice(),
      emit: (name, data) => this.#events.emit(name, data),
      sendNode: (node) => this.sendNode(node),
      query: (q) => this.query(q),
      endConnection: (outcome) => this.#endConnection(outcome),
      spawn: (what, work) => this.#spawn(what, work),
      get ownJid() {
        return getDevice().pn;
      },
      get serverTimeOffsetMs() {
        return getOffset();
      },
      set serverTimeOffsetMs(v: number) {
        setOffset(v);
      },
    };
    this.#pairing = new Pairing(this.#core);
    this.#router = new StanzaRouter(this.#core, this.#iq, this.#pairing, (node) => this.#onSuccess(node));
    this.#messaging = new Messaging(this.#core, (tag, handler) => this.#router.handlers.set(tag, handler));
  }

  /**
   * Opens a client on a store: loads the device, or creates a new unpaired one (fresh keys) and saves it.
   */
  static async create(options: ClientOptions): Promise<Client> {
    let device = await options.store.loadDevice();
    if (!device) {
      device = createDevice();
      device.deviceProps = buildDeviceProps(options.deviceProps);
      if (options.pushName) device.pushName = options.pushName;
      await options.store.saveDevice(device);
      await options.store.flush();
    } else if (options.pushName && options.pushName !== device.pushName) {
      device.pushName = options.pushName;
      await options.store.saveDevice(device);
    }
    const client = new Client(options, device);
    await ensureSignedPreKeyStored(client.#core);
    return client;
  }

  // ---- events ---------------------------------------------------------------------------------

  /** Registers a listener; returns a function that removes it. */
  on<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** Registers a listener for the next event of this name only. */
  once<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.#events.once(name, listener);
  }

  /** Resolves with the next event of this name (that passes `filter`); use a `signal` as a deadline. */
  waitFor<K extends keyof ClientEvents>(
    name: K,
    options?: WaitForOptions<ClientEvents[K]>,
  ): Promise<ClientEvents[K]> {
    return this.#events.waitFor(name, options);
  }

  /** An async iterator over every event from now on (`for await (const e of client.events())`). */
  events(options?: { signal?: AbortSignal }): AsyncIterableIterator<EventOf<ClientEvents>> {
    return this.#events.events(options);
  }

  // ---- state ----------------------------------------------------------------------------------

  /** The device (keys, JIDs, push name). Read-only: the client owns it. */
  get device(): Readonly<Device> {
    return this.#device;
  }

  /** Our phone-number JID with device id, once paired. */
  get jid(): Jid | undefined {
    return this.#device.pn;
  }

  /** Our LID with device id, once known. */
  get lid(): Jid | undefined {
    return this.#device.lid;
  }

  /** True once this device is linked to an account. */
  get isPaired(): boolean {
    return isPaired(this.#device);
  }

  /** True while an encrypted connection is open (logged in or pairing). */
  get isConnected(): boolean {
    return this.#conn !== undefined && !this.#conn.closed;
  }

  /** True after the server accepted our login on the current connection. */
  get isLoggedIn(): boolean {
    return this.#loggedIn && this.isConnected;
  }

  /** Milliseconds to add to `Date.now()` to get the server's clock. */
  get serverTimeOffsetMs(): number {
    return this.#serverTimeOffsetMs;
  }

  /** The store this client uses. */
  get store(): Backend {
    return this.#store;
  }

  /** The logger this client writes to. */
  get logger(): Logger {
    return this.#log;
  }

  /** Internal hook for messaging and feature modules: handle stanzas with this tag. */
  setStanzaHandler(tag: string, handler: StanzaHandler): void {
    this.#router.handlers.set(tag, handler);
  }

  /** Internal view for messaging and feature modules. */
  get core(): ClientCore {
    return this.#core;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Starts connecting (and reconnecting) in the background and resolves once logged in. For a device
   * that is not paired yet this waits until a QR code is scanned or a pair code entered (listen to
   * `pairingQrCode` / call `pairWithCode`). Rejects with a {@linkcode ConnectionError} when the client
   * stops for good first (logged out, replaced, pairing refused, QR codes expired, `disconnect()`), or
   * with the signal's reason.
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const cleanup = () => {
      offConnected();
      offStopped();
      signal?.removeEventListener("abort", onAbort);
    };
    const offConnected = this.#events.on("connected", () => {
      cleanup();
      resolve();
    });
    const offStopped = this.#stopListeners.add(() => {
      cleanup();
      reject(this.#lastError ?? new ConnectionError("disconnected", "the client stopped before logging in"));
    });
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (this.isLoggedIn) {
      cleanup();
      resolve();
    } else {
      this.start();
    }
    return promise;
  }

  /** Starts the background connection loop if it is not running (does not wait). */
  start(): void {
    if (this.#loop) return;
    this.#lastError = undefined;
    const abort = new AbortController();
    this.#loopAbort = abort;
    this.#loop = this.#run(abort.signal).then((reason) => {
      // Settle everything before announcing the stop, so a `disconnected` listener that calls
      // connect() starts a fresh loop instead of joining this finished one.
      this.#loop = undefined;
      this.#loopAbort = undefined;
      this.#pairing.stop(
        this.#lastError ?? new ConnectionError("disconnected", `the client stopped: ${reason}`),
      );
      for (const fn of [...this.#stopListeners.fns]) fn();
      this.#events.emit("disconnected", { reason, willReconnect: false });
    });
  }

  readonly #stopListeners = {
    fns: new Set<() => void>(),
    add(fn: () => void): () => void {
      this.fns.add(fn);
      return () => this.fns.delete(fn);
    },
  };

  /** Closes the connection and stops reconnecting. Resolves when everything has stopped. */
  async disconnect(): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    this.#lastError ??= new ConnectionError("disconnected", "disconnect() was called");
    // Let messages already received finish (decrypt, flush, ack) so the server need not redeliver them.
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#messaging.idle(),
      new Promise((resolve) => drainTimer = setTimeout(resolve, DISCONNECT_DRAIN_MS)),
    ]);
    clearTimeout(drainTimer);
    this.#loopAbort?.abort(this.#lastError);
    this.#endConnection({ action: "stop", reason: "disconnect() called" });
    await loop;
    await this.#store.flush();
  }

  /**
   * Unlinks this device from the account (tells the server when connected), forgets its keys and
   * sessions, and disconnects. The next `connect()` pairs a new device.
   */
  async logout(): Promise<void> {
    // The server closes the connection once it has removed the device: that close is the end, not a drop.
    this.#outcome ??= { action: "stop", reason: "logged out" };
    if (this.isLoggedIn && this.#device.pn) {
      try {
        await this.query({
          namespace: "md",
          type: "set",
          content: [{
            tag: "remove-companion-device",
            attrs: { jid: this.#device.pn, reason: "user_initiated" },
          }],
        });
      } catch (e) {
        // The server closing the socket right after it removed us is success; anything else is not.
        if (!(e instanceof IqError) || e.kind !== "disconnected") {
          this.#outcome = undefined;
          throw e;
        }
      }
    }
    this.#lastError = new ConnectionError("logged_out", "logout() was called", 401);
    this.#events.emit("loggedOut", { onConnect: false, reason: 401 });
    await this.disconnect();
    await this.#resetDevice();
  }

  /**
   * Links with a pair code instead of a QR code: returns the 8-character code to type on the phone
   * (WhatsApp > Linked devices > Link with phone number). Call it while `connect()` is waiting to pair;
   * it waits until the server is ready. Throws `PairCodeError` for a bad phone number or custom code.
   */
  pairWithCode(options: PairCodeOptions): Promise<string> {
    if (this.isPaired) {
      return Promise.reject(new ConnectionError("pair_error", "this device is already paired"));
    }
    this.start();
    return this.#pairing.pairWithCode(options);
  }

  /** Closes everything ({@linkcode Client.disconnect}) for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  // ---- sending --------------------------------------------------------------------------------

  /** Sends a stanza on the live connection. Throws when not connected. */
  async sendNode(node: NodeInput): Promise<void> {
    const conn = this.#conn;
    if (!conn || conn.closed) {
      throw new ConnectionError("not_connected", `cannot send <${node.tag}>: not connected`);
    }
    await conn.send(node);
  }

  /** Sends an IQ and resolves with the `result` response; rejects with `IqError`. */
  query(query: InfoQuery): Promise<Node> {
    return this.#iq.request(
      (node) => {
        const conn = this.#conn;
        if (!conn || conn.closed) throw new ConnectionError("not_connected", "not connected");
        conn.send(node).catch((e) => this.#log.child("Client/IQ").debug("IQ send failed", { error: e }));
      },
      { timeoutMs: this.#timings.iqTimeoutMs, ...query },
    );
  }

  // ---- messaging ------------------------------------------------------------------------------

  /**
   * Sends a message to a user (`15551234567@s.whatsapp.net`, or a LID) or a group (`...@g.us`):
   * encrypts it for every device that must get it (including our own other devices) and resolves with
   * the id and server timestamp from the server's ack. The message is kept for retries for 5 minutes.
   *
   * @example
   * ```ts ignore
   * const { id } = await client.sendMessage("15551234567@s.whatsapp.net", { conversation: "hello" });
   * ```
   */
  sendMessage(to: Jid | string, message: Message, options?: SendOptions): Promise<SendResult> {
    return this.#messaging.sendMessage(toJid(to), message, options);
  }

  /** Sends text; `options` add mentions, a quoted reply or an expiration (see `textMessage`). */
  sendText(to: Jid | string, text: string, options: TextOptions & SendOptions = {}): Promise<SendResult> {
    return this.sendMessage(to, textMessage(text, options), options);
  }

  /** Reacts to a message with an emoji (`""` removes our reaction). */
  sendReaction(
    chat: Jid | string,
    target: MessageKey,
    emoji: string,
    options?: SendOptions,
  ): Promise<SendResult> {
    return this.sendMessage(chat, reactionMessage(target, emoji), options);
  }

  /** Edits one of our own messages (text only; WhatsApp allows it for 15 minutes). */
  editMessage(
    chat: Jid | string,
    messageId: string,
    newContent: Message | string,
    options?: SendOptions,
  ): Promise<SendResult> {
    const content = typeof newContent === "string" ? { conversation: newContent } : newContent;
    return this.sendMessage(chat, editMessage(toJid(chat), messageId, content), options);
  }

  /** Deletes a message for everyone (`originalSender` for an admin deleting someone else's group message). */
  revokeMessage(
    chat: Jid | string,
    messageId: string,
    originalSender?: Jid,
    options?: SendOptions,
  ): Promise<SendResult> {
    return this.sendMessage(chat, revokeMessage(toJid(chat), messageId, originalSender), options);
  }

  /** Sets a 1:1 chat's disappearing-messages timer in seconds (0 turns it off). */
  setDisappearingTimer(chat: Jid | string, seconds: number, options?: SendOptions): Promise<SendResult> {
    return this.sendMessage(chat, disappearingTimerMessage(seconds), options);
  }

  /** Sends read receipts for messages (batched into one stanza); `sender` is required in groups. */
  markRead(chat: Jid | string, messageIds: readonly string[], options?: MarkReadOptions): Promise<void> {
    return this.#messaging.markRead(toJid(chat), messageIds, options);
  }

  /** A group's metadata (participants, subject, addressing mode), cached for an hour. */
  getGroupInfo(group: Jid | string): Promise<GroupInfo> {
    return this.#messaging.groups.get(toJid(group));
  }

  /** The devices of users, from the cache or the server. */
  getUserDevices(users: readonly (Jid | string)[]): Promise<Jid[]> {
    return this.#messaging.devices.getDevices(users.map(toJid));
  }

  /** Resolves once every message received so far has been processed (handy in tests and shutdown). */
  waitUntilIdle(): Promise<void> {
    return this.#messaging.idle();
  }

  // ---- the run loop ---------------------------------------------------------------------------

  /** The connection loop; resolves with the reason it stopped for good. */
  async #run(signal: AbortSignal): Promise<string> {
    const log = this.#log.child("Client/Conn");
    while (!signal.aborted) {
      let outcome: ConnectionOutcome;
      try {
        outcome = await this.#runConnection(signal);
      } catch (e) {
        outcome = this.#classifyOpenError(e, signal);
      }
      if (signal.aborted) outcome = { action: "stop", reason: outcome.reason };
      if (outcome.action === "stop") {
        if ("error" in outcome && outcome.error) this.#lastError = outcome.error;
        if (outcome.error instanceof ConnectionError && outcome.error.kind === "logged_out") {
          // The server forgot this device: start over with fresh keys so the next connect() pairs again.
          await this.#resetDevice().catch((error) =>
            log.error("could not reset the logged-out device", { error })
          );
        }
        log.info(`stopped: ${outcome.reason}`);
        return outcome.reason;
      }
      if (!this.#autoReconnect) {
        this.#lastError ??= new ConnectionError(
          "disconnected",
          `connection lost (${outcome.reason}); auto-reconnect is off`,
        );
        return outcome.reason;
      }
      if (outcome.action === "reconnect_now") {
        log.info(`reconnecting now: ${outcome.reason}`);
        this.#events.emit("disconnected", { reason: outcome.reason, willReconnect: true, reconnectInMs: 0 });
        continue;
      }
      this.#reconnectErrors += 1 + (outcome.extraSteps ?? 0);
      const delay = this.#timings.backoffMs(this.#reconnectErrors);
      log.info(`reconnecting in ${delay} ms: ${outcome.reason}`);
      this.#events.emit("disconnected", {
        reason: outcome.reason,
        willReconnect: true,
        reconnectInMs: delay,
      });
      await sleep(delay, signal);
    }
    return "disconnect() called";
  }

  #classifyOpenError(e: unknown, signal: AbortSignal): ConnectionOutcome {
    const reason = `connect failed: ${(e as Error)?.message ?? String(e)}`;
    this.#log.child("Client/Conn").warn(reason);
    if (signal.aborted) return { action: "stop", reason };
    // A certificate chain that does not verify is not retried: nothing about it gets better by waiting.
    if (e instanceof NoiseError && e.code.startsWith("cert_")) {
      return { action: "stop", reason, error: e };
    }
    return { action: "backoff", reason };
  }

  async #runConnection(signal: AbortSignal): Promise<ConnectionOutcome> {
    const device = this.#device;
    const payload = buildClientPayload(device, this.#version);
    this.#outcome = undefined;
    const closed = Promise.withResolvers<string>();
    const conn = await Connection.open({
      transport: this.#transport,
      noiseKey: device.noiseKey,
      payload,
      trustedRoot: this.#options.trustedRoot,
      routingInfo: device.edgeRoutingInfo,
      onNode: (node) => this.#router.route(node),
      onClose: (reason) => closed.resolve(reason),
      signal,
      connectTimeoutMs: this.#timings.connectTimeoutMs,
      handshakeTimeoutMs: this.#timings.handshakeTimeoutMs,
      log: this.#log.child("Client/Socket"),
    });
    this.#conn = conn;
    this.#log.child("Client/Conn").debug(`connected, ${isPaired(device) ? "logging in" : "waiting to pair"}`);
    const keepAlive = new KeepAlive(this.#core, conn);
    keepAlive.start();
    if (signal.aborted) conn.close("disconnect() called");
    const reason = await closed.promise;
    keepAlive.stop();
    if (this.#conn === conn) this.#conn = undefined;
    this.#loggedIn = false;
    this.#iq.failAll(reason);
    this.#pairing.reset();
    this.#messaging.connectionClosed(reason);
    return this.#outcome ?? { action: "backoff", reason };
  }

  #endConnection(outcome: ConnectionOutcome): void {
    this.#outcome ??= outcome;
    this.#conn?.close(outcome.reason);
  }

  #spawn(what: string, work: () => Promise<unknown>): void {
    work().catch((error) => this.#log.child("Client").error(`${what} failed`, { error }));
  }

  // ---- login -------------------------------------------------------------------------------

  async #onSuccess(node: Node): Promise<void> {
    const conn = this.#conn;
    if (!isPaired(this.#device)) {
      this.#log.child("Client/Login").warn("ignoring <success> on a connection that is not paired");
      return;
    }
    // Before any await: the server may send the offline backlog markers right behind <success>.
    this.#reconnectErrors = 0;
    this.#loggedIn = true;
    this.#messaging.loggedIn();
    const lid = readSuccess(this.#core, node);
    if (lid && !this.#device.lid?.equals(lid)) await this.#updateDevice((d) => void (d.lid = lid));
    this.#log.child("Client/Login").info(`logged in as ${this.#device.pn}`);
    await afterLogin(this.#core);
    if (this.#conn === conn && conn && !conn.closed) {
      this.#events.emit("connected", { jid: this.#device.pn!, lid: this.#device.lid });
    }
  }

  // ---- device ---------------------------------------------------------------------------------

  async #updateDevice(change: (device: Device) => void): Promise<void> {
    change(this.#device);
    await this.#store.saveDevice(this.#device);
    await this.#store.flush();
  }

  async #resetDevice(): Promise<void> {
    await this.#store.deleteDevice();
    const fresh = createDevice();
    fresh.deviceProps = buildDeviceProps(this.#options.deviceProps);
    fresh.pushName = this.#device.pushName;
    this.#device = fresh;
    await this.#store.saveDevice(fresh);
    await this.#store.flush();
    await ensureSignedPreKeyStored(this.#core);
  }
}

function toJid(jid: Jid | string): Jid {
  return typeof jid === "string" ? Jid.parse(jid) : jid;
}
