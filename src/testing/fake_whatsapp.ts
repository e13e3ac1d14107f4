/**
 * FakeWhatsApp: a local server that speaks WhatsApp Web's real protocol (Noise XX with its own
 * certificate root, binary nodes, ADV pairing, Signal keys) so wadeno can be run and tested end to end
 * on one machine without a phone. It keeps accounts and their devices, pairs companions by QR code or
 * pair code through virtual phones, checks logins, stores prekeys, answers pings, and injects faults.
 *
 * @example
 * ```ts ignore
 * import { FakeWhatsApp } from "@wadeno/client/testing";
 * await using wa = await FakeWhatsApp.start();
 * const phone = wa.phone("15551234567");
 * // new Client({ url: wa.url, trustedRoot: wa.rootPublicKey, ... }); phone.scanQr(code)
 * ```
 *
 * @module
 */

import type { Jid, Node, NodeInput } from "../binary/mod.ts";
import { generateKeyPair, type KeyPair, randomBytes } from "../crypto/mod.ts";
import { issueCertChain } from "../noise/mod.ts";
import { createLogger, type Logger } from "../logger.ts";
import { type Account, AccountRegistry, deviceLid, devicePn, type ServerDevice } from "./accounts.ts";
import { ServerConnection } from "./server_connection.ts";
import { handleServerIq } from "./server_iq.ts";
import { ServerPairing } from "./server_pairing.ts";
import { VirtualPhone } from "./virtual_phone.ts";

/** Options for {@linkcode FakeWhatsApp.start}. */
export interface FakeWhatsAppOptions {
  /** Port to listen on; 0 (default) picks a free one. Always bound to 127.0.0.1. */
  port?: number;
  /** Logger for `FakeWA/*` targets; silent by default. */
  logger?: Logger;
}

/** Server-wide fault switches for tests. */
export interface FakeWhatsAppFaults {
  /** Answer no keepalive pings (`w:p`), so clients detect a dead socket. */
  ignorePings: boolean;
  /** Refuse new WebSocket connections (HTTP 503). */
  refuseConnections: boolean;
}

/** A pending server-to-client IQ awaiting its response. */
interface PendingServerIq {
  resolve(node: Node): void;
  reject(error: Error): void;
}

/** A WhatsApp-compatible test server on 127.0.0.1. */
export class FakeWhatsApp implements AsyncDisposable {
  /** The accounts and their devices. */
  readonly accounts: AccountRegistry = new AccountRegistry();
  /** Fault switches. */
  readonly faults: FakeWhatsAppFaults = { ignorePings: false, refuseConnections: false };
  /** Logger. */
  readonly log: Logger;
  /** The pairing flows (QR and pair code). */
  readonly pairing: ServerPairing;
  readonly #root: KeyPair;
  readonly #static: KeyPair;
  readonly #certChain: Uint8Array;
  readonly #abort = new AbortController();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #nextConnId = 1;
  readonly #connections = new Set<ServerConnection>();
  readonly #byDevice = new Map<string, ServerConnection>();
  readonly #pendingIqs = new Map<string, PendingServerIq>();
  readonly #phones = new Map<string, VirtualPhone>();
  readonly #pending = new Set<Promise<unknown>>();

  private constructor(log: Logger) {
    this.log = log;
    this.#root = generateKeyPair();
    this.#static = generateKeyPair();
    this.#certChain = issueCertChain({ root: this.#root, serverStatic: this.#static.publicKey }).certChain;
    this.pairing = new ServerPairing(this);
  }

  /** Starts a server on 127.0.0.1 (a free port unless one is given). */
  static start(options: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> {
    const wa = new FakeWhatsApp(options.logger ?? createLogger({ filter: "off", sink: () => {} }));
    const { promise, resolve } = Promise.withResolvers<void>();
    wa.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      signal: wa.#abort.signal,
      onListen: () => resolve(),
    }, (req) => wa.#accept(req));
    return promise.then(() => wa);
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

  /** The live connection of a device, if it is logged in. */
  connectionOf(device: Jid): ServerConnection | undefined {
    const conn = this.#byDevice.get(devicePn(this.accounts.byJid(device)!, device.device).toString());
    return conn && !conn.isClosed ? conn : undefined;
  }

  // ---- faults ---------------------------------------------------------------------------------

  /** Abruptly closes every connection (or only the given device's). Returns how many closed. */
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

  /** Sends `<stream:error code=...>` (with an optional `<conflict type>`) to a device and closes it. */
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
    await conn.send({
      tag: "success",
      attrs: {
        t: String(Math.floor(Date.now() / 1000)),
        lid: deviceLid(account, device.id),
        location: "fake",
        props: "1",
      },
    });
  }

  #onNode(conn: ServerConnection, node: Node): void {
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

  /** A random stanza id. */
  newId(): string {
    return randomBytes(8).toHex().toUpperCase();
  }

  /** Registers a completed companion device and returns its id. */
  registerDevice(account: Account, device: Omit<ServerDevice, "id">): ServerDevice {
    const record: ServerDevice = { ...device, id: account.nextDeviceId++ };
    account.devices.set(record.id, record);
    return record;
  }

  /** Keeps a background promise alive until `stop()` (so stopping waits for in-flight work). */
  track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }

  /** Closes every connection and stops listening. */
  async stop(): Promise<void> {
    for (const conn of [...this.#connections]) conn.close();
    this.pairing.stop();
    this.#abort.abort();
    await this.#server?.finished;
    await Promise.allSettled([...this.#pending]);
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
