/**
 * The real Baileys 7 client (npm `baileys`, a test-only peer) pointed at FakeWhatsApp, for the
 * footprint, start-up and throughput comparisons. Nothing here touches `src/`.
 *
 * Baileys pins WhatsApp's Noise root in a mutable module constant (`WA_CERT_DETAILS.PUBLIC_KEY` in
 * lib/Defaults); {@linkcode trustRoot} points it at FakeWhatsApp's root for this process only.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import makeWASocket, { DisconnectReason, useMultiFileAuthState } from "npm:baileys@7.0.0-rc14";
import { WA_CERT_DETAILS } from "npm:/baileys@7.0.0-rc14/lib/Defaults/index.js";

/** A Baileys socket (the return type of `makeWASocket`). */
export type BaileysSocket = ReturnType<typeof makeWASocket>;

/** Makes this process's Baileys trust `root` (FakeWhatsApp's) instead of WhatsApp's Noise root. */
export function trustRoot(root: Uint8Array): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root);
}

// A structural stand-in for Baileys' pino logger (a third-party boundary): silent.
const silent = {
  level: "silent",
  child: () => silent,
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
};

/** libsignal (under Baileys) prints whole session records with console.info/log; keep stdout for results. */
export function muteConsole(): void {
  console.log = () => {};
  console.info = () => {};
  console.warn = () => {};
}

/** Options for {@linkcode connectBaileys}. */
export interface ConnectBaileysOptions {
  /** FakeWhatsApp's WebSocket URL. */
  url: string;
  /** A folder for Baileys' own multi-file auth state (created if missing). */
  authDir: string;
  /** Called with each QR code when the state is not paired yet. */
  onQr?: (qr: string) => void;
  /** Deadline. */
  signal?: AbortSignal;
}

/**
 * Starts Baileys the way its README does (`useMultiFileAuthState`, `makeWASocket`), recreating the socket
 * after the "restart required" that follows pairing, and resolves with the socket once it is open.
 */
export async function connectBaileys(options: ConnectBaileysOptions): Promise<BaileysSocket> {
  const { state, saveCreds } = await useMultiFileAuthState(options.authDir);
  const opened = Promise.withResolvers<BaileysSocket>();
  options.signal?.addEventListener("abort", () => opened.reject(options.signal!.reason), { once: true });
  const start = () => {
    const sock = makeWASocket({
      waWebSocketUrl: options.url,
      auth: state,
      // Third-party boundary: Baileys types its logger as pino's.
      logger: silent as unknown as Parameters<typeof makeWASocket>[0]["logger"],
      markOnlineOnConnect: false,
      syncFullHistory: false,
    });
    sock.ev.on("creds.update", saveCreds);
    sock.ev.on("connection.update", (update) => {
      if (update.qr) options.onQr?.(update.qr);
      if (update.connection === "open") opened.resolve(sock);
      if (update.connection === "close") {
        const error = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
        if (error?.output?.statusCode === DisconnectReason.restartRequired) start();
        else opened.reject(new Error(`Baileys closed: ${String(update.lastDisconnect?.error)}`));
      }
    });
  };
  start();
  return await opened.promise;
}
