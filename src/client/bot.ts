/**
 * A builder for bots in the spirit of the seed's `Bot::builder()`: collect the store, transport,
 * handlers and options, then `run()` until the client stops for good.
 *
 * @module
 */

import type { HistorySyncOptions } from "../features/history_sync/options.ts";
import type { Logger } from "../logger.ts";
import type { Backend } from "../store/mod.ts";
import { Client, type ClientOptions } from "./client.ts";
import type { ClientTimings } from "./core.ts";
import type { EventOf } from "./emitter.ts";
import type { ClientEvents } from "./events.ts";
import type { PairCodeOptions } from "./pairing.ts";
import type { DevicePropsOptions, WaVersion } from "./payload.ts";
import type { TransportFactory } from "./transport.ts";

/** A handler for one event, given the client so it can answer. */
export type BotHandler<T> = (data: T, client: Client) => void | Promise<unknown>;

/** A handler for every event. */
export type BotEventHandler = (event: EventOf<ClientEvents>, client: Client) => void | Promise<unknown>;

/**
 * A built bot: its client, and `run()` / `stop()`.
 *
 * @example
 * ```ts
 * import { Bot, SqliteStore } from "@wadeno/client";
 * export async function example() {
 *   await using bot = await Bot.builder().withStore(await SqliteStore.open("bot.db")).build();
 *   await bot.client.connect(); // or bot.run() to keep going until it stops for good
 *   await bot.client.sendText("15551234567@s.whatsapp.net", "the bot is up");
 * }
 * ```
 */
export class Bot implements AsyncDisposable {
  /** The client the bot drives. */
  readonly client: Client;
  readonly #pairCode: PairCodeOptions | undefined;
  readonly #stopped: AbortController;
  #stopping: Promise<void> | undefined;

  /** Use {@linkcode Bot.builder}. */
  constructor(client: Client, pairCode: PairCodeOptions | undefined, stopped: AbortController) {
    this.client = client;
    this.#pairCode = pairCode;
    this.#stopped = stopped;
  }

  /**
   * Starts a builder.
   *
   * @example
   * ```ts
   * import { Bot, MemoryStore } from "@wadeno/client";
   * const builder = Bot.builder().withStore(new MemoryStore()).withPushName("Support Bot");
   * ```
   */
  static builder(): BotBuilder {
    return new BotBuilder();
  }

  /**
   * Connects (pairing first when needed, by QR and, with `withPairCode`, by pair code) and runs until
   * the client stops for good (`stop()`, an aborted `signal`, logout, a fatal stream error). Resolves once
   * stopped, also when stopped on purpose while still pairing; rejects when the client stops for another
   * reason before it logged in (a refused pairing, a certificate error, a missing permission).
   *
   * @example
   * ```ts
   * import { Bot, MemoryStore } from "@wadeno/client";
   * import { FakeWhatsApp } from "@wadeno/client/testing";
   *
   * await using wa = await FakeWhatsApp.start(); // a local WhatsApp and a virtual phone to scan the QR code
   * const phone = wa.phone("15551234567");
   * const stop = new AbortController(); // in a real bot: Deno.addSignalListener("SIGINT", () => stop.abort())
   * const bot = await Bot.builder()
   *   .withStore(new MemoryStore())
   *   .withUrl(wa.url)
   *   .withTrustedRoot(wa.rootPublicKey)
   *   .on("pairingQrCode", ({ code }) => phone.scanQr(code))
   *   .on("connected", () => stop.abort())
   *   .build();
   * await bot.run({ signal: stop.signal }); // disconnects, no reconnect, then resolves
   * bot.client.isPaired; // true
   * ```
   */
  async run(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return;
    const onAbort = () => void this.stop().catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const stopped = this.client.waitFor("disconnected", { filter: (e) => !e.willReconnect });
      const connecting = this.client.connect();
      if (this.#pairCode && !this.client.isPaired) {
        this.client.pairWithCode({ ...this.#pairCode, signal: this.#pairCode.signal ?? this.#stopped.signal })
          .catch((error) => {
            if (!this.#stopped.signal.aborted) {
              this.client.logger.child("Bot/PairCode").error("pair code request failed", { error });
            }
          });
      }
      try {
        await connecting;
      } catch (e) {
        // Stopped on purpose while still pairing: that is a clean end, not a failure.
        if (!this.#stopped.signal.aborted) throw e;
      }
      await stopped;
      if (this.#stopping) await this.#stopping;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Disconnects and stops reconnecting; `run()` then resolves. Calling it again waits for the same stop.
   *
   * @example
   * ```ts
   * import type { Bot } from "@wadeno/client";
   * export async function example(bot: Bot) {
   *   const running = bot.run();
   *   await bot.stop();
   *   await running; // resolved: stopped on purpose
   * }
   * ```
   */
  stop(): Promise<void> {
    return this.#stopping ??= (async () => {
      this.#stopped.abort();
      await this.client.disconnect();
    })();
  }

  /** {@linkcode Bot.stop} for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Collects a bot's configuration.
 *
 * @example
 * ```ts
 * import { Bot, renderQr, SqliteStore } from "@wadeno/client";
 * export async function example() {
 *   const bot = await Bot.builder()
 *     .withStore(await SqliteStore.open("bot.db"))
 *     .withPushName("Support Bot")
 *     .on("pairingQrCode", ({ code }) => console.log(renderQr(code)))
 *     .on("connected", ({ jid }) => console.log("online as", jid.toString()))
 *     .on("message", async ({ info, message }, client) => {
 *       if (message.conversation === "ping") await client.sendText(info.source.chat, "pong");
 *     })
 *     .build();
 *   await bot.run();
 * }
 * ```
 */
export class BotBuilder {
  #options: Partial<ClientOptions> = {};
  #handlers: Array<(client: Client, stopped: AbortSignal) => void> = [];
  #pairCode: PairCodeOptions | undefined;

  /** The store (required): `await SqliteStore.open(path)` or `new MemoryStore()`. */
  withStore(store: Backend): this {
    this.#options.store = store;
    return this;
  }

  /** A custom transport (default: WebSocket to WhatsApp). */
  withTransport(transport: TransportFactory): this {
    this.#options.transport = transport;
    return this;
  }

  /** The WebSocket URL (default WhatsApp's). */
  withUrl(url: string | URL): this {
    this.#options.url = url;
    return this;
  }

  /** The trusted Noise certificate root (default WhatsApp's; FakeWhatsApp's in tests). */
  withTrustedRoot(root: Uint8Array): this {
    this.#options.trustedRoot = root;
    return this;
  }

  /** Extra CA certificates (PEM) to trust for HTTPS media (FakeWhatsApp's `wa.mediaCaCert`, a corporate CA). */
  withCaCerts(caCerts: string[]): this {
    this.#options.caCerts = [...caCerts];
    return this;
  }

  /** Pins the announced WhatsApp Web version. */
  withVersion(version: WaVersion): this {
    this.#options.version = version;
    return this;
  }

  /** How the device shows up in the phone's Linked devices list. */
  withDeviceProps(props: DevicePropsOptions): this {
    this.#options.deviceProps = props;
    return this;
  }

  /** The push name to announce. */
  withPushName(name: string): this {
    this.#options.pushName = name;
    return this;
  }

  /**
   * Also offer pair-code linking when not paired (alongside QR; the first to complete wins).
   *
   * @example
   * ```ts
   * import { Bot, SqliteStore } from "@wadeno/client";
   * export async function example() {
   *   const bot = await Bot.builder()
   *     .withStore(await SqliteStore.open("bot.db"))
   *     .withPairCode({ phoneNumber: "+1 555 123 4567" })
   *     // On the phone: Linked devices > Link a device > Link with phone number instead.
   *     .on("pairingCode", ({ code }) => console.log("enter", code))
   *     .build();
   *   await bot.run();
   * }
   * ```
   */
  withPairCode(options: PairCodeOptions): this {
    this.#pairCode = options;
    return this;
  }

  /** The logger. */
  withLogger(logger: Logger): this {
    this.#options.logger = logger;
    return this;
  }

  /** Timing knobs (tests). */
  withTimings(timings: Partial<ClientTimings>): this {
    this.#options.timings = timings;
    return this;
  }

  /**
   * What to keep of the history the phone sends after linking (see `HistorySyncOptions`).
   *
   * @example
   * ```ts
   * import { Bot, type Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a live client.
   * export async function example(bot: Client) {
   *   Bot.builder().withHistory({ skip: true }); // a bot that only answers new messages
   *   Bot.builder().withHistory({ days: 7, conversation: (id) => id.endsWith("@g.us") });
   * }
   * ```
   */
  withHistory(options: HistorySyncOptions): this {
    this.#options.history = { ...options };
    return this;
  }

  /** Skips history sync entirely (nothing is downloaded); the seed's `skip_history_sync()`. */
  skipHistorySync(): this {
    return this.withHistory({ skip: true });
  }

  /** Turns auto-reconnect on or off (default on). */
  withAutoReconnect(on: boolean): this {
    this.#options.autoReconnect = on;
    return this;
  }

  /**
   * Handles one event.
   *
   * @example
   * ```ts
   * import { Bot, MemoryStore, messageText } from "@wadeno/client";
   * const builder = Bot.builder()
   *   .withStore(new MemoryStore())
   *   .on("message", async ({ info, message }, client) => {
   *     if (messageText(message) === "ping") await client.sendText(info.source.chat, "pong");
   *   });
   * ```
   */
  on<K extends keyof ClientEvents>(name: K, handler: BotHandler<ClientEvents[K]>): this {
    this.#handlers.push((client) => client.on(name, (data) => handler(data, client)));
    return this;
  }

  /**
   * Handles every event.
   *
   * @example
   * ```ts
   * import { Bot, MemoryStore } from "@wadeno/client";
   * const builder = Bot.builder()
   *   .withStore(new MemoryStore())
   *   .onEvent((event) => console.log(event.type)); // every event, in order
   * ```
   */
  onEvent(handler: BotEventHandler): this {
    this.#handlers.push((client, stopped) => {
      (async () => {
        for await (const event of client.events({ signal: stopped })) {
          try {
            await handler(event, client);
          } catch (error) {
            client.logger.child("Bot/Events").error(`handler failed for "${String(event.type)}"`, { error });
          }
        }
      })();
    });
    return this;
  }

  /** Creates the client and wires the handlers. Throws when no store was given. */
  async build(): Promise<Bot> {
    if (!this.#options.store) throw new TypeError("Bot.builder(): withStore(store) is required");
    const client = await Client.create(this.#options as ClientOptions);
    const stopped = new AbortController();
    for (const wire of this.#handlers) wire(client, stopped.signal);
    return new Bot(client, this.#pairCode, stopped);
  }
}
