/**
 * The real Baileys 7 client (npm `baileys@7.0.0-rc14`, a test- and bench-only peer, imported by its exact
 * specifier so it stays out of the import map) pointed at FakeWhatsApp. Tests use it to build fixtures that a
 * Baileys client wrote while it actually paired and chatted; the footprint and throughput benches use it
 * as their baseline. Nothing in `src/` imports this.
 *
 * Baileys pins WhatsApp's Noise root in a mutable module constant (`WA_CERT_DETAILS.PUBLIC_KEY` in
 * lib/Defaults); {@linkcode trustRoot} points it at FakeWhatsApp's root for this process only.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import makeWASocket, {
  type BaileysEventMap,
  DisconnectReason,
  type SignalDataSet,
  type SignalKeyStore,
  useMultiFileAuthState,
  type WAMessage,
} from "npm:baileys@7.0.0-rc14";
import { WA_CERT_DETAILS } from "npm:/baileys@7.0.0-rc14/lib/Defaults/index.js";

/** A Baileys socket (the return type of `makeWASocket`). */
export type BaileysSocket = ReturnType<typeof makeWASocket>;

/**
 * Makes this process's Baileys trust `root` (FakeWhatsApp's) instead of WhatsApp's Noise root; returns a
 * function that puts the previous root back.
 */
export function trustRoot(root: Uint8Array): () => void {
  const previous = WA_CERT_DETAILS.PUBLIC_KEY;
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root);
  return () => void (WA_CERT_DETAILS.PUBLIC_KEY = previous);
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

/**
 * libsignal (under Baileys) prints whole session records with console.info/log; keep stdout for results.
 * Returns a function that restores the console.
 */
export function muteConsole(): () => void {
  const { log, info, warn } = console;
  console.log = () => {};
  console.info = () => {};
  console.warn = () => {};
  return () => Object.assign(console, { log, info, warn });
}

/** Options for {@linkcode connectBaileys}. */
export interface ConnectBaileysOptions {
  /** FakeWhatsApp's WebSocket URL. */
  url: string;
  /** A folder for Baileys' own multi-file auth state (created if missing). */
  authDir: string;
  /** Called with each QR code when the state is not paired yet. */
  onQr?: (qr: string) => void;
  /** Baileys' logger (pino's interface); silent by default. */
  logger?: BaileysLogger;
  /** Deadline for the socket to open; on abort the socket is ended. */
  signal?: AbortSignal;
}

/** The logger Baileys takes (pino's interface). */
export type BaileysLogger = NonNullable<Parameters<typeof makeWASocket>[0]["logger"]>;

/** A Baileys connection whose writes to its auth state folder can be awaited. */
export interface BaileysPeer {
  /** The open socket. */
  sock: BaileysSocket;
  /**
   * Waits until every write Baileys started to its auth folder (keys and `creds.json`) has finished,
   * including writes started while waiting. Baileys saves creds from an event handler without awaiting,
   * so a reader of the folder calls this first.
   */
  flush(): Promise<void>;
  /** Closes the socket (no reconnect), then flushes; resolves once the WebSocket is closed. */
  close(): Promise<void>;
}

/**
 * Starts Baileys the way its README does (`useMultiFileAuthState`, `makeWASocket`), recreating the socket
 * after the "restart required" that follows pairing, and resolves once a socket is open.
 */
export async function connectBaileys(options: ConnectBaileysOptions): Promise<BaileysSocket> {
  return (await startBaileys(options)).sock;
}

/** Like {@linkcode connectBaileys}, with a handle that can await the auth folder's writes and close. */
export async function startBaileys(options: ConnectBaileysOptions): Promise<BaileysPeer> {
  const { state, saveCreds } = await useMultiFileAuthState(options.authDir);
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };
  const keys: SignalKeyStore = {
    get: (type, ids) => state.keys.get(type, ids),
    set: (data: SignalDataSet) => track(Promise.resolve(state.keys.set(data))),
    clear: state.keys.clear && (() => track(Promise.resolve(state.keys.clear!()))),
  };
  const flush = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  const opened = Promise.withResolvers<BaileysSocket>();
  let ended = false;
  let current: BaileysSocket | undefined;
  const abort = () => {
    ended = true;
    void current?.end(undefined);
    opened.reject(options.signal!.reason);
  };
  options.signal?.addEventListener("abort", abort, { once: true });
  const start = () => {
    const sock = makeWASocket({
      waWebSocketUrl: options.url,
      auth: { creds: state.creds, keys },
      // Third-party boundary: Baileys types its logger as pino's.
      logger: options.logger ?? silent as unknown as BaileysLogger,
      markOnlineOnConnect: false,
      syncFullHistory: false,
    });
    current = sock;
    sock.ev.on("creds.update", () => void track(saveCreds()));
    sock.ev.on("connection.update", (update) => {
      if (update.qr) options.onQr?.(update.qr);
      if (update.connection === "open") opened.resolve(sock);
      if (update.connection === "close" && !ended) {
        const error = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
        if (error?.output?.statusCode === DisconnectReason.restartRequired) start();
        else {
          ended = true;
          opened.reject(new Error(`Baileys closed: ${String(update.lastDisconnect?.error)}`));
        }
      }
    });
  };
  start();
  let sock: BaileysSocket;
  try {
    sock = await opened.promise;
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
  return {
    sock,
    flush,
    close: async () => {
      ended = true;
      await current?.end(undefined);
      await flush();
    },
  };
}

/**
 * The next `event` of `sock` that `filter` accepts; rejects with the signal's reason. The listener is
 * removed either way.
 */
export function nextBaileysEvent<E extends keyof BaileysEventMap>(
  sock: BaileysSocket,
  event: E,
  filter: (data: BaileysEventMap[E]) => boolean,
  signal: AbortSignal,
): Promise<BaileysEventMap[E]> {
  const { promise, resolve, reject } = Promise.withResolvers<BaileysEventMap[E]>();
  const listener = (data: BaileysEventMap[E]) => {
    if (filter(data)) resolve(data);
  };
  const abort = () => reject(signal.reason);
  sock.ev.on(event, listener);
  signal.addEventListener("abort", abort, { once: true });
  return promise.finally(() => {
    sock.ev.off(event, listener);
    signal.removeEventListener("abort", abort);
  });
}

/** The text of a Baileys message (plain or extended), if it has one. */
export function baileysText(message: WAMessage): string | undefined {
  return message.message?.conversation ?? message.message?.extendedTextMessage?.text ?? undefined;
}

/** Resolves with the first message `sock` receives (in `messages.upsert`) whose text is `text`. */
export async function baileysReceived(
  sock: BaileysSocket,
  text: string,
  signal: AbortSignal,
): Promise<WAMessage> {
  const batch = await nextBaileysEvent(
    sock,
    "messages.upsert",
    ({ messages }) => messages.some((m) => baileysText(m) === text),
    signal,
  );
  return batch.messages.find((m) => baileysText(m) === text)!;
}
