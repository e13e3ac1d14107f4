/**
 * FakeWhatsApp: a local server that speaks WhatsApp Web's real protocol (Noise XX with its own
 * certificate root, binary nodes, ADV pairing, Signal keys) so wadeno can be run and tested end to end
 * on one machine without a phone. It keeps accounts and their devices, pairs companions by QR code or
 * pair code through virtual phones, checks logins, stores and hands out prekeys, lists devices (usync),
 * keeps groups, routes messages and receipts between devices (live, or through per-device offline
 * queues flushed at the next login), runs virtual devices as real clients, and injects faults.
 *
 * @example
 * ```ts
 * import { FakeWhatsApp } from "@wadeno/client/testing";
 * await using wa = await FakeWhatsApp.start();
 * const phone = wa.phone("15551234567");
 * // Clients connect with { url: wa.url, trustedRoot: wa.rootPublicKey }; the phone scans: phone.scanQr(code)
 * const primary = await phone.client(); // the phone's own device 0, a real logged-in Client
 * primary.jid?.toString(); // "15551234567@s.whatsapp.net"
 * ```
 *
 * @module
 */

import type { Jid, Node, NodeInput } from "../binary/mod.ts";
import { generateKeyPair, type KeyPair, randomBytes } from "../crypto/mod.ts";
import { issueCertChain } from "../noise/mod.ts";
import { createLogger, type Logger } from "../logger.ts";
import { type Account, AccountRegistry, deviceLid, devicePn, type ServerDevice } from "./accounts.ts";
import { DeliveryRouter } from "./delivery.ts";
import { type FakeWhatsAppFaults, ServerFaults } from "./faults.ts";
import { type CreateGroupOptions, type GroupParticipant, GroupRegistry } from "./groups.ts";
import { ServerConnection } from "./server_connection.ts";
import { handleServerIq } from "./server_iq.ts";
import { handleClientMessage } from "./server_messages.ts";
import { ServerPairing } from "./server_pairing.ts";
import { handleClientAck, handleClientReceipt } from "./server_receipts.ts";
import { MediaServer, type MediaServerOptions } from "./media_server.ts";
import { handleMediaRetryReceipt, trackMessageSenders } from "./server_media.ts";
import { announceDeviceChange } from "./server_devices.ts";
import { SERVER_FEATURES } from "./server_features.ts";
import { servePicture, type ServerPicture } from "./server_profile.ts";
import { VirtualPhone } from "./virtual_phone.ts";
import { virtualClientLogger } from "./virtual_device.ts";

export type { FakeWhatsAppFaults } from "./faults.ts";

/** Options for {@linkcode FakeWhatsApp.start}. */
export interface FakeWhatsAppOptions {
  /** Port to listen on; 0 (default) picks a free one. Always bound to 127.0.0.1. */
  port?: number;
  /** Logger for `FakeWA/*` targets; silent by default. */
  logger?: Logger;
  /**
   * Logger for the virtual devices' clients (`phone.client()`, `phone.addCompanion()`); by default
   * silent unless the `WADENO_LOG` environment variable is set.
   */
  clientLogger?: Logger;
  /** Options of the HTTPS media server started with this server (`wa.media`). */
  media?: MediaServerOptions;
}

/**
 * Observes stanzas clients send to the server (after the handshake): `device` is the sender's
 * phone-number device JID once it logged in.
 */
export type StanzaObserver = (node: Node, device: Jid | undefined) => void;

/** A pending server-to-client IQ awaiting its response. */
interface PendingServerIq {
  resolve(node: Node): void;
  reject(error: Error): void;
}

/** A WhatsApp-compatible test server on 127.0.0.1. */
export class FakeWhatsApp implements AsyncDisposable {
  /** The accounts and their devices. */
  readonly accounts: AccountRegistry = new AccountRegistry();
  /** Offline queues and live delivery of routed stanzas. */
  readonly delivery: DeliveryRouter = new DeliveryRouter(this);
  /** Fault switches. */
  readonly faults: FakeWhatsAppFaults = new ServerFaults(this.delivery, async (device, stanza) => {
    const conn = this.connectionOf(device);
    return conn ? await conn.send(stanza) : false;
  });
  /** The groups. */
  readonly groups: GroupRegistry = new GroupRegistry(this.accounts);
  /** Logger. */
  readonly log: Logger;
  /** Logger of the virtual devices' clients. */
  readonly clientLogger: Logger;
  /** The pairing flows (QR and pair code). */
  readonly pairing: ServerPairing;
  /** Profile pictures of users (by PN user JID) and groups (by group JID). */
  readonly pictures: Map<string, ServerPicture> = new Map();
  readonly #root: KeyPair;
  readonly #static: KeyPair;
  readonly #certChain: Uint8Array;
  readonly #abort = new AbortController();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #media: MediaServer | undefined;
  #nextConnId = 1;
  readonly #connections = new Set<ServerConnection>();
  readonly #byDevice = new Map<string, ServerConnection>();
  readonly #pendingIqs = new Map<string, PendingServerIq>();
  readonly #phones = new Map<string, VirtualPhone>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #observers = new Set<StanzaObserver>();

  private constructor(log: Logger, clientLogger: Logger) {
    this.log = log;
    this.clientLogger = clientLogger;
    this.#root = generateKeyPair();
    this.#static = generateKeyPair();
    this.#certChain = issueCertChain({ root: this.#root, serverStatic: this.#static.publicKey }).certChain;
    this.pairing = new ServerPairing(this);
  }

  /** Starts a server on 127.0.0.1 (a free port unless one is given), with its HTTPS media server. */
  static async start(options: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> {
    const wa = new FakeWhatsApp(
      options.logger ?? createLogger({ filter: "off", sink: () => {} }),
      options.clientLogger ?? virtualClientLogger(),
    );
    wa.#media = await MediaServer.start(options.media);
    trackMessageSenders(wa);
    const { promise, resolve } = Promise.withResolvers<void>();
    wa.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      signal: wa.#abort.signal,
      onListen: () => resolve(),
    }, (req) => wa.#accept(req));
    await promise;
    return wa;
  }

  /** The HTTPS media server (the CDN uploads go to and downloads come from), on 127.0.0.1. */
  get media(): MediaServer {
    return this.#media!;
  }

  /**
   * The media server's CA certificate (PEM): clients trust it through their HTTP client, never by turning
   * verification off (`Client.create({ ..., caCerts: [wa.mediaCaCert] })`).
   */
  get mediaCaCert(): string {
    return this.media.caCert;
  }

  /** The WebSocket URL clients connect to (`ws://127.0.0.1:<port>/ws/chat`). */
  get url(): string {
    return `ws://127.0.0.1:${this.#server!.addr.port}/ws/chat`;
  }

  /** The public key of this server's Noise certificate root (pass it as the client's `trustedRoot`). */
  get rootPublicKey(): Uint8Array {
    return this.#root.publicKey.slice();
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The virtual phone (primary device) of an account, creating the account when needed. */
  phone(phoneNumber: string): VirtualPhone {
    const digits = phoneNumber.replace(/\D/g, "");
    let phone = this.#phones.get(digits);
    if (!phone) {
      phone = new VirtualPhone(this, this.accounts.getOrCreate(digits));
      this.#phones.set(digits, phone);
    }
    return phone;
  }

  /** The live connection of a device (PN or LID device JID), if it is logged in. */
  connectionOf(device: Jid): ServerConnection | undefined {
    const pn = this.accounts.pnDevice(device);
    const conn = pn && this.#byDevice.get(pn.toString());
    return conn && !conn.isClosed ? conn : undefined;
  }

  /**
   * Resolves once the server has no live connection for `device` (at once when it has none). Use it
   * after `client.disconnect()` before routing stanzas that must land in the offline queue.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * export async function example(wa: FakeWhatsApp, client: Client) {
   *   const device = client.jid!;
   *   await client.disconnect();
   *   await wa.waitForOffline(device, { signal: AbortSignal.timeout(5_000) });
   *   // stanzas routed to `device` now wait in its offline queue
   * }
   * ```
   */
  async waitForOffline(device: Jid, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    for (let conn = this.connectionOf(device); conn; conn = this.connectionOf(device)) {
      signal?.throwIfAborted();
      const aborted = Promise.withResolvers<never>();
      const onAbort = () => aborted.reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await Promise.race([conn.closed, aborted.promise]);
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    }
  }

  // ---- groups ---------------------------------------------------------------------------------

  /**
   * Creates a group (id `120363…@g.us`) with the creator as superadmin and returns its JID. Members
   * given by phone number get accounts when they have none; LID members must be known.
   *
   * @example
   * ```ts
   * import { FakeWhatsApp } from "@wadeno/client/testing";
   * await using wa = await FakeWhatsApp.start();
   * const alice = wa.phone("15551234567"), bob = wa.phone("15557654321");
   * const group = wa.createGroup({ creator: alice.jid, participants: [bob.jid], subject: "Lunch" });
   * wa.groupParticipants(group).map((p) => p.role); // ["superadmin", "member"]
   * ```
   */
  createGroup(options: CreateGroupOptions): Jid {
    return this.groups.create(options).jid;
  }

  /** The members of a group with their PN, LID and role (empty for an unknown group). */
  groupParticipants(group: Jid): GroupParticipant[] {
    return this.groups.participants(group);
  }

  // ---- observing ------------------------------------------------------------------------------

  /**
   * Calls `observer` for every stanza a client sends; returns a function that stops it.
   *
   * @example
   * ```ts
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * export function example(wa: FakeWhatsApp) {
   *   const stop = wa.onStanza((node, device) => console.log(device?.toString(), node.tag, node.attrs));
   *   return stop; // call it to stop observing
   * }
   * ```
   */
  onStanza(observer: StanzaObserver): () => void {
    this.#observers.add(observer);
    return () => void this.#observers.delete(observer);
  }

  /**
   * Resolves with the next stanza a client sends that `filter` accepts (for example the client's `<ack>`
   * of a delivered message); rejects with the signal's reason.
   *
   * @example
   * ```ts
   * import type { Client, Jid } from "@wadeno/client";
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * export async function example(wa: FakeWhatsApp, receiver: Client, sender: Client, to: Jid) {
   *   const acked = wa.waitForStanza((node) => node.tag === "ack" && node.attrs.class === "message", {
   *     signal: AbortSignal.timeout(5_000),
   *   });
   *   await sender.sendText(to, "hi");
   *   await acked; // the receiver's client acknowledged the delivery
   * }
   * ```
   */
  waitForStanza(
    filter: (node: Node, device: Jid | undefined) => boolean,
    options: { signal?: AbortSignal } = {},
  ): Promise<Node> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<Node>();
    const onAbort = () => {
      off();
      reject(signal!.reason);
    };
    const off = this.onStanza((node, device) => {
      if (!filter(node, device)) return;
      off();
      signal?.removeEventListener("abort", onAbort);
      resolve(node);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    return promise;
  }

  // ---- faults ---------------------------------------------------------------------------------

  /**
   * Abruptly closes every connection (or only the given device's). Returns how many closed.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * export async function example(wa: FakeWhatsApp, client: Client) {
   *   const back = client.waitFor("connected", { signal: AbortSignal.timeout(10_000) });
   *   wa.dropConnections(client.jid); // as if the network went away
   *   await back; // the client reconnected by itself
   * }
   * ```
   */
  dropConnections(device?: Jid): number {
    let n = 0;
    for (const conn of [...this.#connections]) {
      if (
        device &&
        (!conn.device || !conn.device.toNonAd().equals(device.toNonAd()) ||
          conn.device.device !== device.device)
      ) continue;
      conn.close();
      n++;
    }
    return n;
  }

  /**
   * Sends `<stream:error code=...>` (with an optional `<conflict type>`) to a device and closes it.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * import type { FakeWhatsApp } from "@wadeno/client/testing";
   * export async function example(wa: FakeWhatsApp, client: Client) {
   *   const out = client.waitFor("loggedOut", { signal: AbortSignal.timeout(5_000) });
   *   await wa.sendStreamError(client.jid!, "401"); // the phone removed this device
   *   await out;
   * }
   * ```
   */
  async sendStreamError(device: Jid, code: string, conflictType?: string): Promise<boolean> {
    const conn = this.connectionOf(device);
    if (!conn) return false;
    const content: NodeInput[] = conflictType ? [{ tag: "conflict", attrs: { type: conflictType } }] : [];
    await conn.send({ tag: "stream:error", attrs: code ? { code } : {}, content });
    conn.close();
    return true;
  }

  // ---- connections ----------------------------------------------------------------------------

  #accept(req: Request): Response {
    if (this.faults.refuseConnections) return new Response("refused by fault injection", { status: 503 });
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname.startsWith("/pp/")) return servePicture(this, url);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("FakeWhatsApp speaks WebSocket at /ws/chat", { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    const conn = new ServerConnection(this.#nextConnId++, socket, this.log.child("FakeWA/Conn"));
    this.#connections.add(conn);
    conn.closed.then(() => this.#forget(conn));
    this.track(
      conn.start(this.#static, this.#certChain, (node) => this.#onNode(conn, node), this.#abort.signal)
        .then((info) => this.#afterHandshake(conn, info.payload.username, info.payload.device))
        .catch((e) => this.log.child("FakeWA/Conn").debug("connection failed", { error: e })),
    );
    return response;
  }

  #forget(conn: ServerConnection): void {
    this.#connections.delete(conn);
    this.delivery.connectionClosed(conn);
    if (conn.device) {
      const key = conn.device.toString();
      if (this.#byDevice.get(key) === conn) this.#byDevice.delete(key);
    }
    for (const [id, pending] of this.#pendingIqs) {
      if (id.startsWith(`${conn.id}:`)) {
        this.#pendingIqs.delete(id);
        pending.reject(new Error("connection closed before answering"));
      }
    }
    this.pairing.forget(conn);
  }

  async #afterHandshake(
    conn: ServerConnection,
    username: bigint | undefined,
    deviceId: number | undefined,
  ): Promise<void> {
    const info = conn.info!;
    if (username === undefined) {
      if (!info.payload.devicePairingData) {
        await conn.send({ tag: "failure", attrs: { reason: "400" } });
        conn.close();
        return;
      }
      await this.pairing.startRegistration(conn);
      return;
    }
    const account = this.accounts.byPhone(username.toString());
    const device = account?.devices.get(deviceId ?? 0);
    if (!account || !device || !device.noiseKey || !equal(device.noiseKey, info.clientStatic)) {
      this.log.child("FakeWA/Login").info(`refusing login of ${username}:${deviceId}`);
      await conn.send({ tag: "failure", attrs: { reason: "401", location: "fake" } });
      conn.close();
      return;
    }
    const refusal = this.faults.loginFailure;
    if (refusal && (refusal.count === undefined || refusal.count > 0)) {
      if (refusal.count !== undefined && --refusal.count === 0) this.faults.loginFailure = undefined;
      await conn.send({ tag: "failure", attrs: { location: "fake", ...refusal.attrs } });
      conn.close();
      return;
    }
    const pn = devicePn(account, device.id);
    const previous = this.#byDevice.get(pn.toString());
    if (previous && previous !== conn && !previous.isClosed) {
      await previous.send({
        tag: "stream:error",
        attrs: {},
        content: [{ tag: "conflict", attrs: { type: "replaced" } }],
      });
      previous.close();
    }
    conn.device = pn;
    this.#byDevice.set(pn.toString(), conn);
    if (info.payload.pushName) account.pushName = info.payload.pushName;
    const sent = await conn.send({
      tag: "success",
      attrs: {
        t: String(Math.floor(Date.now() / 1000)),
        lid: deviceLid(account, device.id),
        location: "fake",
        props: "1",
      },
    });
    if (sent) await this.delivery.flushOffline(conn, pn);
    for (const feature of SERVER_FEATURES) {
      if (!feature.onLogin) continue;
      await Promise.resolve(feature.onLogin(this, conn, pn)).catch((e) =>
        this.log.child("FakeWA/Login").warn(`${feature.name}: login hook failed`, { error: e })
      );
    }
  }

  #onNode(conn: ServerConnection, node: Node): void {
    for (const observer of [...this.#observers]) {
      try {
        observer(node, conn.device);
      } catch (e) {
        this.log.child("FakeWA/Recv").warn("a stanza observer failed", { error: e });
      }
    }
    switch (node.tag) {
      case "message":
        return handleClientMessage(this, conn, node);
      case "receipt":
        if (handleMediaRetryReceipt(this, conn, node)) return;
        return handleClientReceipt(this, conn, node);
      case "ack":
        return handleClientAck(this, conn, node);
    }
    for (const feature of SERVER_FEATURES) {
      const handler = feature.stanzas?.[node.tag];
      if (!handler) continue;
      this.track(
        Promise.resolve(handler(this, conn, node)).catch((e) =>
          this.log.child("FakeWA/Recv").warn(`${feature.name}: <${node.tag}> handler failed`, { error: e })
        ),
      );
      return;
    }
    if (node.tag === "iq" && (node.attrs.type === "result" || node.attrs.type === "error")) {
      const key = `${conn.id}:${node.attrs.id}`;
      const pending = this.#pendingIqs.get(key);
      if (pending) {
        this.#pendingIqs.delete(key);
        pending.resolve(node);
      }
      return;
    }
    if (node.tag === "iq") {
      this.track(
        handleServerIq(this, conn, node).catch((e) =>
          this.log.child("FakeWA/IQ").warn("IQ handler failed", { error: e })
        ),
      );
      return;
    }
    this.log.child("FakeWA/Recv").debug(`<${node.tag}> from connection ${conn.id}`, { attrs: node.attrs });
  }

  /** Sends an IQ to a client and resolves with its response (`result` or `error` node). */
  requestFromClient(conn: ServerConnection, node: NodeInput & { attrs: { id: string } }): Promise<Node> {
    const { promise, resolve, reject } = Promise.withResolvers<Node>();
    this.#pendingIqs.set(`${conn.id}:${node.attrs.id}`, { resolve, reject });
    conn.send(node).then((sent) => {
      if (!sent) {
        this.#pendingIqs.delete(`${conn.id}:${node.attrs.id}`);
        reject(new Error("connection closed"));
      }
    });
    return promise;
  }

  /**
   * Routes a `<notification>` to every device of an account (except `exceptDevice`), live or into the
   * offline queues, each copy with its own id: how the real server tells all of a user's devices about a
   * change (groups, devices, privacy, ...). `attrs` gets `id`, `t` and `from` (default `s.whatsapp.net`)
   * unless given.
   */
  notifyAccount(
    account: Account,
    stanza: { attrs: Record<string, string | Jid | undefined>; content?: NodeInput[] },
    exceptDevice?: Jid,
  ): void {
    for (const device of account.devices.values()) {
      const target = devicePn(account, device.id);
      if (exceptDevice && this.accounts.pnDevice(exceptDevice)?.equals(target)) continue;
      const attrs: Record<string, string | Jid> = {
        from: "s.whatsapp.net",
        t: String(Math.floor(Date.now() / 1000)),
        id: this.newId(),
      };
      for (const [k, v] of Object.entries(stanza.attrs)) if (v !== undefined) attrs[k] = v;
      this.delivery.deliver(target, { tag: "notification", attrs, content: stanza.content });
    }
  }

  /** A random stanza id. */
  newId(): string {
    return randomBytes(8).toHex().toUpperCase();
  }

  /** Registers a completed companion device and returns its id. */
  registerDevice(account: Account, device: Omit<ServerDevice, "id">): ServerDevice {
    const record: ServerDevice = { ...device, id: account.nextDeviceId++ };
    account.devices.set(record.id, record);
    account.deviceListTs = Math.floor(Date.now() / 1000);
    announceDeviceChange(this, account, "add", record.id, record.keyIndex);
    return record;
  }

  /** Keeps a background promise alive until `stop()` (so stopping waits for in-flight work). */
  track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }

  /** Disconnects the virtual devices' clients, closes every connection and stops listening. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.#phones.values()].map((phone) => phone.stop()));
    for (const conn of [...this.#connections]) conn.close();
    this.pairing.stop();
    this.delivery.stop();
    this.#abort.abort();
    await this.#server?.finished;
    await Promise.allSettled([...this.#pending]);
    await this.#media?.stop();
  }

  /** {@linkcode FakeWhatsApp.stop} for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Byte equality (not secret data: no constant-time needed). */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A result IQ for a client's request. */
export function iqResult(request: Node, content?: NodeInput[]): NodeInput {
  return { tag: "iq", attrs: { from: "s.whatsapp.net", type: "result", id: request.attrs.id }, content };
}

/** An error IQ for a client's request. */
export function iqError(request: Node, code: number, text: string): NodeInput {
  return {
    tag: "iq",
    attrs: { from: "s.whatsapp.net", type: "error", id: request.attrs.id },
    content: [{ tag: "error", attrs: { code: String(code), text } }],
  };
}
