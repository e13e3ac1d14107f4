/**
 * The client's machinery behind its public face: the connection loop (connect, log in, reconnect with
 * backoff, stop for good), the stanza router and IQ tracker, login and pairing handlers, and the context
 * each internal module and feature works over. `Client` delegates to it; nothing here is public API.
 *
 * @module
 */

import type { Jid, Node, NodeInput } from "../binary/mod.ts";
import type { FeatureContext } from "../features/context.ts";
import { ConnectionError, IqError } from "../features/errors.ts";
import type { IqSpec } from "../features/iq.ts";
import type { Logger } from "../logger.ts";
import { type Backend, createDevice, type Device, isPaired } from "../store/mod.ts";
import { abortableSleep as sleep } from "./backoff.ts";
import { Connection } from "./connection.ts";
import type { ClientCore, ClientTimings, ConnectionOutcome } from "./core.ts";
import { TypedEmitter } from "./emitter.ts";
import type { ClientEvents } from "./events.ts";
import { type IqLabel, IqTracker } from "./iq.ts";
import { KeepAlive } from "./keepalive.ts";
import { afterLogin, handleConnectFailure, handleStreamError, readSuccess } from "./login.ts";
import { Messaging } from "./messaging/messaging.ts";
import type { DirectSendHooks } from "./messaging/send.ts";
import { isServerAddress, type PairCodeOptions, Pairing } from "./pairing.ts";
import { buildClientPayload, buildDeviceProps, type DevicePropsOptions, type WaVersion } from "./payload.ts";
import { ensureSignedPreKeyStored, MIN_PREKEY_COUNT, uploadPreKeys } from "./prekeys.ts";
import { OpenFailures } from "./open_failures.ts";
import { StanzaRouter } from "./router.ts";
import type { TransportFactory } from "./transport.ts";
import type { GroupInfo } from "../features/groups/parse.ts";

/** How long `disconnect()` waits for messages already received to finish processing. */
export const DISCONNECT_DRAIN_MS = 2_000;

/** What the runtime is built from. */
export interface RuntimeOptions {
  store: Backend;
  log: Logger;
  timings: ClientTimings;
  transport: TransportFactory;
  version: WaVersion;
  trustedRoot?: Uint8Array;
  deviceProps?: DevicePropsOptions;
  autoReconnect: boolean;
  /** Group metadata for the send pipeline (the groups feature's cache). */
  groupInfo(group: Jid): Promise<GroupInfo>;
  /** The tc-token feature's part in 1:1 sends. */
  sendHooks?: DirectSendHooks;
}

/** The client's internals. */
export class ClientRuntime {
  readonly store: Backend;
  readonly log: Logger;
  readonly timings: ClientTimings;
  readonly events: TypedEmitter<ClientEvents> = new TypedEmitter<ClientEvents>();
  readonly iq: IqTracker = new IqTracker();
  readonly router: StanzaRouter;
  readonly core: ClientCore;
  readonly pairing: Pairing;
  readonly messaging: Messaging;
  readonly #options: RuntimeOptions;
  readonly #loginHandlers = new Set<() => void | Promise<void>>();
  device: Device;
  #conn: Connection | undefined;
  #outcome: ConnectionOutcome | undefined;
  #loop: Promise<void> | undefined;
  #loopAbort: AbortController | undefined;
  #loggedIn = false;
  #reconnectErrors = 0;
  readonly #openFailures: OpenFailures;
  #lastError: Error | undefined;
  #serverTimeOffsetMs = 0;
  readonly #stopListeners = new Set<() => void>();
  #disconnecting: Promise<void> | undefined;

  constructor(options: RuntimeOptions, device: Device) {
    this.#options = options;
    this.store = options.store;
    this.log = options.log;
    this.timings = options.timings;
    this.device = device;
    this.events.onListenerError = (error, event) => this.#reportError(error, `a "${String(event)}" listener`);
    this.#openFailures = new OpenFailures(this.timings.maxHandshakeFailures);
    this.router = new StanzaRouter({
      log: this.log.child("Client/Recv"),
      iq: this.iq,
      ownJid: () => this.device.pn?.toString(),
      send: (node) => this.sendNode(node),
      handlerFailed: (error, node) => {
        const type = node.attrs.type ? ` type="${node.attrs.type}"` : "";
        this.#reportError(error, `handling <${node.tag}${type}>`);
      },
      endConnection: (outcome) => this.endConnection(outcome),
      maxInFlight: this.timings.maxInFlightStanzas,
    });
    this.core = this.#makeCore();
    this.pairing = new Pairing(this.core);
    this.messaging = new Messaging(this.core, (group) => options.groupInfo(group), options.sendHooks);
    this.#registerHandlers();
  }

  #makeCore(): ClientCore {
    // deno-lint-ignore no-this-alias
    const rt = this;
    return {
      log: this.log,
      store: this.store,
      timings: this.timings,
      version: this.#options.version,
      get device() {
        return rt.device;
      },
      updateDevice: (change) => this.updateDevice(change),
      resetDevice: () => this.resetDevice(),
      emit: (name, data) => this.events.emit(name, data),
      emitAndWait: (name, data) => this.events.emitAndWait(name, data),
      sendNode: (node) => this.sendNode(node),
      query: (q, label) => this.query(q, label),
      execute: (spec, options) => this.execute(spec, options),
      on: (filter, handler) => this.router.on(filter, handler),
      endConnection: (outcome) => this.endConnection(outcome),
      spawn: (what, work) => this.spawn(what, work),
      get ownJid() {
        return rt.device.pn;
      },
      get isLoggedIn() {
        return rt.isLoggedIn;
      },
      get serverTimeOffsetMs() {
        return rt.#serverTimeOffsetMs;
      },
      set serverTimeOffsetMs(v: number) {
        rt.#serverTimeOffsetMs = v;
      },
    };
  }

  /** The context a feature works over, typed by its own events. */
  featureContext<E>(name: string): FeatureContext<E> {
    // deno-lint-ignore no-this-alias
    const rt = this;
    const emit = this.events.emitAndWait.bind(this.events) as unknown as FeatureContext<E>["emit"];
    return {
      log: this.log.child(`Client/${name}`),
      store: this.store,
      get device() {
        return rt.device;
      },
      get ownJid() {
        return rt.device.pn;
      },
      get ownLid() {
        return rt.device.lid;
      },
      get isLoggedIn() {
        return rt.isLoggedIn;
      },
      execute: (spec, options) => this.execute(spec, options),
      sendNode: (node) => this.sendNode(node),
      sendMessage: (to, message, options) => this.messaging.sendMessage(to, message, options),
      sendPeerMessage: (message, options) => this.messaging.sendPeerMessage(message, options),
      onStanza: (filter, handler) => this.router.on(filter, handler),
      onProtocolMessage: (kind, handler) => this.messaging.protocol.on(kind, handler),
      onMessage: (observer) => this.messaging.observe(observer),
      onLogin: (handler) => {
        this.#loginHandlers.add(handler);
        return () => void this.#loginHandlers.delete(handler);
      },
      emit,
      learnLidMapping: (lid, pn, source) => this.messaging.devices.learnMapping(lid, pn, source),
      updateDevice: (change) => this.updateDevice(change),
      rotateGroupSenderKey: (group) => this.messaging.rotateSenderKey(group),
      spawn: (what, work) => this.spawn(what, work),
    };
  }

  // ---- handlers ------------------------------------------------------------------------------------

  #registerHandlers(): void {
    const r = this.router;
    r.on({ tag: "success" }, (node) => this.#onSuccess(node));
    r.on({ tag: "failure" }, (node) => {
      if (this.#loggedIn) {
        this.log.child("Client/Login").warn("ignoring a <failure> on a logged-in connection", {
          attrs: node.attrs,
        });
        return;
      }
      this.endConnection(handleConnectFailure(this.core, node));
    });
    r.on({ tag: "stream:error" }, (node) => this.endConnection(handleStreamError(this.core, node)));
    r.on(
      { tag: "xmlstreamend" },
      () => this.endConnection({ action: "backoff", reason: "server ended the stream" }),
    );
    r.on({ tag: "ib", child: "edge_routing" }, (child) => {
      const info = Array.isArray(child.content)
        ? child.content.find((c) => c.tag === "routing_info")
        : undefined;
      if (info?.content instanceof Uint8Array) {
        const bytes = info.content.slice();
        return this.updateDevice((d) => void (d.edgeRoutingInfo = bytes));
      }
    });
    // Pairing stanzas mean something only while registering: on a paired device they are refused.
    r.on({ tag: "iq", child: "pair-device" }, (node) => {
      if (!this.#registering(node)) return;
      return this.pairing.handlePairDevice(node);
    });
    r.on({ tag: "iq", child: "pair-success" }, (node) => {
      if (!this.#registering(node)) return;
      return this.pairing.handlePairSuccess(node);
    });
    r.on({ tag: "notification", type: "link_code_companion_reg" }, (node) => {
      if (isPaired(this.device)) {
        this.log.child("Client/Pair").warn("ignoring a pair-code notification on a paired device");
        return;
      }
      return this.pairing.handleLinkCodeNotification(node);
    });
    const pong = (node: Node) =>
      this.sendNode({
        tag: "iq",
        attrs: { to: node.attrs.from ?? "s.whatsapp.net", id: node.attrs.id ?? "", type: "result" },
      });
    r.on({ tag: "iq", xmlns: "urn:xmpp:ping" }, pong);
    r.on({ tag: "iq", child: "ping" }, (node) => {
      if (node.attrs.xmlns !== "urn:xmpp:ping") return pong(node);
    });
    r.on({ tag: "notification", type: "encrypt" }, async (node) => {
      const count = Array.isArray(node.content) ? node.content.find((c) => c.tag === "count") : undefined;
      if (count && Number(count.attrs.value) < MIN_PREKEY_COUNT) await uploadPreKeys(this.core);
    });
  }

  /** True when a pairing IQ may be acted on; otherwise it is refused (answered with an error) and logged. */
  #registering(node: Node): boolean {
    const ok = !isPaired(this.device) && !this.#loggedIn && isServerAddress(node.attrs.from);
    if (!ok) {
      const child = Array.isArray(node.content) ? node.content[0]?.tag : "?";
      this.log.child("Client/Pair").warn(
        `refusing <${child}>: pairing stanzas are valid only while registering`,
      );
      this.spawn("refuse a pairing IQ", () =>
        this.sendNode({
          tag: "iq",
          attrs: { to: node.attrs.from ?? "s.whatsapp.net", id: node.attrs.id ?? "", type: "error" },
          content: [{ tag: "error", attrs: { code: "400", text: "bad-request" } }],
        }));
    }
    return ok;
  }

  #reportError(error: unknown, context: string): void {
    this.log.child("Client").error(`${context} failed`, { error });
    // An `error` listener that throws must not loop back here.
    if (context.startsWith('a "error" listener')) return;
    try {
      this.events.emit("error", { error, context });
    } catch {
      // reported above
    }
  }

  // ---- state ---------------------------------------------------------------------------------------

  get isConnected(): boolean {
    return this.#conn !== undefined && !this.#conn.closed;
  }

  get isLoggedIn(): boolean {
    return this.#loggedIn && this.isConnected;
  }

  get serverTimeOffsetMs(): number {
    return this.#serverTimeOffsetMs;
  }

  // ---- io ------------------------------------------------------------------------------------------

  async sendNode(node: NodeInput): Promise<void> {
    const conn = this.#conn;
    if (!conn || conn.closed) {
      throw new ConnectionError("not_connected", `cannot send <${node.tag}>: the client is not connected`);
    }
    await conn.send(node);
  }

  query(query: import("../features/iq.ts").InfoQuery, label?: IqLabel): Promise<Node> {
    return this.iq.request(
      (node) => {
        const conn = this.#conn;
        if (!conn || conn.closed) {
          throw new ConnectionError(
            "not_connected",
            `cannot send ${
              label?.operation ?? `${query.namespace} ${query.type}`
            }: the client is not connected`,
          );
        }
        conn.send(node).catch((e) => this.log.child("Client/IQ").debug("IQ send failed", { error: e }));
      },
      { timeoutMs: this.timings.iqTimeoutMs, ...query },
      label,
    );
  }

  async execute<T>(spec: IqSpec<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const about = spec.about?.toString();
    const built = spec.build();
    const res = await this.query({ ...built, signal: options.signal ?? built.signal }, {
      operation: spec.operation,
      about,
    });
    try {
      return spec.parse(res);
    } catch (e) {
      if (e instanceof IqError) throw e;
      throw new IqError(
        "bad_response",
        { operation: spec.operation, about, text: (e as Error)?.message, node: res },
        undefined,
        {
          cause: e,
        },
      );
    }
  }

  spawn(what: string, work: () => Promise<unknown>): void {
    work().catch((error) => this.#reportError(error, what));
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  connect(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const cleanup = () => {
      offConnected();
      this.#stopListeners.delete(onStopped);
      signal?.removeEventListener("abort", onAbort);
    };
    const offConnected = this.events.on("connected", () => {
      cleanup();
      resolve();
    });
    const onStopped = () => {
      cleanup();
      reject(this.#lastError ?? new ConnectionError("disconnected", "the client stopped before logging in"));
    };
    this.#stopListeners.add(onStopped);
    // Aborting connect() stops the client: no background loop keeps running behind a cancelled call.
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
      this.#lastError ??= new ConnectionError("aborted", "connect() was aborted", undefined, {
        cause: signal!.reason,
      });
      this.disconnect().catch((error) => this.#reportError(error, "stopping after an aborted connect()"));
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
      this.pairing.stop(
        this.#lastError ?? new ConnectionError("disconnected", `the client stopped: ${reason}`),
      );
      for (const fn of [...this.#stopListeners]) fn();
      this.events.emit("disconnected", { reason, willReconnect: false });
    });
  }

  disconnect(): Promise<void> {
    // One disconnect at a time: a second caller waits for the first instead of racing it to the store.
    return this.#disconnecting ??= this.#disconnect().finally(() => this.#disconnecting = undefined);
  }

  async #disconnect(): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    this.#lastError ??= new ConnectionError("disconnected", "disconnect() was called");
    // Let messages already received finish (decrypt, handlers, flush, ack) so the server need not redeliver.
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.router.idle(),
      new Promise((resolve) => drainTimer = setTimeout(resolve, DISCONNECT_DRAIN_MS)),
    ]);
    clearTimeout(drainTimer);
    this.#loopAbort?.abort(this.#lastError);
    this.endConnection({ action: "stop", reason: "disconnect() called" });
    await loop;
    await this.store.flush();
  }

  async logout(): Promise<void> {
    // The server closes the connection once it has removed the device: that close is the end, not a drop.
    this.#outcome ??= { action: "stop", reason: "logged out" };
    if (this.isLoggedIn && this.device.pn) {
      try {
        await this.query({
          namespace: "md",
          type: "set",
          content: [{
            tag: "remove-companion-device",
            attrs: { jid: this.device.pn, reason: "user_initiated" },
          }],
        }, { operation: "logout" });
      } catch (e) {
        // The server closing the socket right after it removed us is success; anything else is not.
        if (!(e instanceof IqError) || e.code !== "disconnected") {
          this.#outcome = undefined;
          throw e;
        }
      }
    }
    this.#lastError = new ConnectionError("logged_out", "logout() was called", 401);
    this.events.emit("loggedOut", { onConnect: false, reason: 401 });
    await this.disconnect();
    await this.resetDevice();
  }

  pairWithCode(options: PairCodeOptions): Promise<string> {
    if (isPaired(this.device)) {
      return Promise.reject(new ConnectionError("pair_error", "this device is already paired"));
    }
    this.start();
    return this.pairing.pairWithCode(options);
  }

  endConnection(outcome: ConnectionOutcome): void {
    this.#outcome ??= outcome;
    this.#conn?.close(outcome.reason);
  }

  // ---- the run loop --------------------------------------------------------------------------------

  /** The connection loop; resolves with the reason it stopped for good. */
  async #run(signal: AbortSignal): Promise<string> {
    const log = this.log.child("Client/Conn");
    const replayed = await this.messaging.start().catch((error) => {
      this.#reportError(error, "reading the inbox of the last run");
      return 0;
    });
    if (replayed) log.info(`handing ${replayed} messages from the last run to the handlers again`);
    while (!signal.aborted) {
      let outcome: ConnectionOutcome;
      try {
        outcome = await this.#runConnection(signal);
        this.#openFailures.reset();
      } catch (e) {
        outcome = this.#classifyOpenError(e, signal);
      }
      if (signal.aborted) outcome = { action: "stop", reason: outcome.reason };
      if (outcome.action === "stop") {
        if ("error" in outcome && outcome.error) this.#lastError = outcome.error;
        if (outcome.error instanceof ConnectionError && outcome.error.code === "logged_out") {
          // The server forgot this device: start over with fresh keys so the next connect() pairs again.
          await this.resetDevice().catch((error) =>
            log.error("could not reset the logged-out device", { error })
          );
        }
        log.info(`stopped: ${outcome.reason}`);
        return outcome.reason;
      }
      if (!this.#options.autoReconnect) {
        this.#lastError ??= new ConnectionError(
          "disconnected",
          `connection lost (${outcome.reason}); auto-reconnect is off`,
        );
        return outcome.reason;
      }
      if (outcome.action === "reconnect_now") {
        log.info(`reconnecting now: ${outcome.reason}`);
        this.events.emit("disconnected", { reason: outcome.reason, willReconnect: true, reconnectInMs: 0 });
        continue;
      }
      this.#reconnectErrors += 1 + (outcome.extraSteps ?? 0);
      const delay = this.timings.backoffMs(this.#reconnectErrors);
      log.info(`reconnecting in ${delay} ms: ${outcome.reason}`);
      this.events.emit("disconnected", { reason: outcome.reason, willReconnect: true, reconnectInMs: delay });
      await sleep(delay, signal);
    }
    return "disconnect() called";
  }

  #classifyOpenError(e: unknown, signal: AbortSignal): ConnectionOutcome {
    const outcome = this.#openFailures.classify(e, signal.aborted);
    this.log.child("Client/Conn").warn(outcome.reason);
    return outcome;
  }

  async #runConnection(signal: AbortSignal): Promise<ConnectionOutcome> {
    const device = this.device;
    const payload = buildClientPayload(device, this.#options.version);
    this.#outcome = undefined;
    const closed = Promise.withResolvers<string>();
    const conn = await Connection.open({
      transport: this.#options.transport,
      noiseKey: device.noiseKey,
      payload,
      trustedRoot: this.#options.trustedRoot,
      routingInfo: device.edgeRoutingInfo,
      onNode: (node) => this.router.route(node),
      onClose: (reason) => closed.resolve(reason),
      signal,
      connectTimeoutMs: this.timings.connectTimeoutMs,
      handshakeTimeoutMs: this.timings.handshakeTimeoutMs,
      log: this.log.child("Client/Socket"),
    });
    this.#conn = conn;
    this.router.connectionOpened();
    this.log.child("Client/Conn").debug(`connected, ${isPaired(device) ? "logging in" : "waiting to pair"}`);
    const keepAlive = new KeepAlive(this.core, conn);
    keepAlive.start();
    if (signal.aborted) conn.close("disconnect() called");
    const reason = await closed.promise;
    keepAlive.stop();
    if (this.#conn === conn) this.#conn = undefined;
    this.#loggedIn = false;
    this.iq.failAll(reason);
    this.pairing.reset();
    this.messaging.connectionClosed(reason);
    return this.#outcome ?? { action: "backoff", reason };
  }

  // ---- login ---------------------------------------------------------------------------------------

  async #onSuccess(node: Node): Promise<void> {
    const conn = this.#conn;
    if (!isPaired(this.device)) {
      this.log.child("Client/Login").warn("ignoring <success> on a connection that is not paired");
      return;
    }
    // Before any await: the server may send the offline backlog markers right behind <success>.
    this.#reconnectErrors = 0;
    this.#loggedIn = true;
    this.messaging.loggedIn();
    const lid = readSuccess(this.core, node);
    if (lid && !this.device.lid?.equals(lid)) await this.updateDevice((d) => void (d.lid = lid));
    this.log.child("Client/Login").info(`logged in as ${this.device.pn}`);
    await afterLogin(this.core);
    for (const handler of [...this.#loginHandlers]) {
      this.spawn("a login handler", async () => await handler());
    }
    if (this.#conn === conn && conn && !conn.closed) {
      this.events.emit("connected", { jid: this.device.pn!, lid: this.device.lid });
    }
  }

  // ---- device --------------------------------------------------------------------------------------

  async updateDevice(change: (device: Device) => void): Promise<void> {
    change(this.device);
    await this.store.saveDevice(this.device);
    await this.store.flush();
  }

  async resetDevice(): Promise<void> {
    await this.store.deleteDevice();
    const fresh = createDevice();
    fresh.deviceProps = buildDeviceProps(this.#options.deviceProps);
    fresh.pushName = this.device.pushName;
    this.device = fresh;
    await this.store.saveDevice(fresh);
    await this.store.flush();
    await ensureSignedPreKeyStored(this.core);
  }
}
