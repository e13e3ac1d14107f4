/**
 * The WhatsApp Web client: connects, pairs (QR or pair code), logs in, stays connected and reconnects,
 * sends and receives end-to-end encrypted messages, and hosts the features (`client.groups`,
 * `client.chats`, ...).
 *
 * @module
 */

import type { Jid, NodeInput } from "../binary/mod.ts";
import { Chats } from "../features/chats.ts";
import type { IqSpec } from "../features/iq.ts";
import { toJid } from "../features/jid_input.ts";
import { Groups } from "../features/groups/groups.ts";
import { History } from "../features/history_sync/history_sync.ts";
import { historyDeviceProps, type HistorySyncOptions } from "../features/history_sync/options.ts";
import type { MediaHttpClient } from "../features/media/http.ts";
import { Media, type SendMediaOptions, type UploadSource } from "../features/media/media.ts";
import { MediaHttp } from "../features/media/media_http.ts";
import type { MessageMediaKind } from "../features/media/messages.ts";
import {
  editMessage,
  reactionMessage,
  revokeMessage,
  textMessage,
  type TextOptions,
} from "../features/message_builders.ts";
import { Calls } from "../features/calls.ts";
import { Mex } from "../features/mex.ts";
import { Newsletters } from "../features/newsletters/newsletters.ts";
import { Polls } from "../features/polls/polls.ts";
import { People } from "../features/people.ts";
import type { Blocking } from "../features/blocking.ts";
import type { ChatStates } from "../features/chatstate.ts";
import type { Contacts } from "../features/contacts.ts";
import type { Presence } from "../features/presence.ts";
import type { Privacy } from "../features/privacy.ts";
import type { Profile } from "../features/profile.ts";
import type { Status } from "../features/status.ts";
import type { TcTokens } from "../features/tctoken.ts";
import { type MarkReadOptions, Receipts } from "../features/receipts.ts";
import type { SendOptions, SendResult } from "../features/send_options.ts";
import { createLogger, type Logger } from "../logger.ts";
import type { Message, MessageKey } from "../proto/mod.ts";
import { type Backend, createDevice, type Device, isPaired } from "../store/mod.ts";
import { jitteredBackoffMs } from "./backoff.ts";
import type { ClientTimings } from "./core.ts";
import type { EventOf, Listener, WaitForOptions } from "./emitter.ts";
import type { ClientEvents } from "./events.ts";
import type { PairCodeOptions } from "./pairing.ts";
import { buildDeviceProps, DEFAULT_WA_VERSION, type DevicePropsOptions, type WaVersion } from "./payload.ts";
import { ensureSignedPreKeyStored } from "./prekeys.ts";
import { DEFAULT_MAX_IN_FLIGHT } from "./router.ts";
import { httpClientOptions } from "./net/http_client.ts";
import { ClientRuntime } from "./runtime.ts";
import { tcpWebSocketTransport, type TransportFactory } from "./transport.ts";

/** Options for {@linkcode Client.create}. */
export interface ClientOptions {
  /** Where the device and its keys live (`SqliteStore.open(path)` or `new MemoryStore()`). Required. */
  store: Backend;
  /** How to reach the server; defaults to a WebSocket to `url`. */
  transport?: TransportFactory;
  /** WebSocket URL; defaults to WhatsApp's (`wss://web.whatsapp.com/ws/chat`). Ignored with `transport`. */
  url?: string | URL;
  /**
   * A proxy for everything the client sends: the chat socket and every HTTPS request (media).
   * `http://user:pass@host:port` (HTTP CONNECT), `socks5://…` or `socks5h://…` (the proxy resolves names).
   * A proxy that refuses, asks for other credentials or cannot be reached fails with a typed error naming
   * it (never its credentials). Ignored for the socket when `transport` is given.
   */
  proxy?: string | URL;
  /** Extra CA certificates (PEM) to trust for TLS (FakeWhatsApp's media server in tests, a corporate CA). */
  caCerts?: string[];
  /**
   * The HTTP client for media transfers instead of the one built from `proxy` and `caCerts`: a
   * `MediaHttpClient` (one `request` method over web `Request`/`Response` shapes) or a `Deno.HttpClient`
   * from `Deno.createHttpClient`. The caller keeps ownership and closes it; wadeno closes only the client it
   * built itself, when the client disconnects.
   */
  httpClient?: MediaHttpClient | Deno.HttpClient;
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
  /**
   * Logger; defaults to one that writes warnings and errors to stderr, filtered by the `WADENO_LOG`
   * environment variable when the process may read it (`--allow-env=WADENO_LOG`).
   */
  logger?: Logger;
  /** Reconnect on its own after a dropped connection. Default true. */
  autoReconnect?: boolean;
  /** Timing knobs (tests shrink them; the defaults follow WhatsApp Web). */
  timings?: Partial<ClientTimings>;
  /**
   * What to keep of the chat history the phone sends after linking: everything by default; `{ skip:
   * true }` downloads nothing; `days`, `conversation` and `syncTypes` keep part of it.
   */
  history?: HistorySyncOptions;
}

/** The device props to register with: the caller's, over what the history options ask of the phone. */
function devicePropsOf(options: ClientOptions): DevicePropsOptions {
  const fromHistory = historyDeviceProps(options.history);
  const own = options.deviceProps ?? {};
  return {
    ...fromHistory,
    ...own,
    historySyncConfig: { ...fromHistory.historySyncConfig, ...own.historySyncConfig },
  };
}

const INTERNALS = new WeakMap<Client, ClientRuntime>();

/**
 * The machinery behind a client (router, store, messaging). Not part of the public API: FakeWhatsApp's
 * virtual devices and the tests use it to watch and drive the wire.
 */
export function clientInternals(client: Client): ClientRuntime {
  const rt = INTERNALS.get(client);
  if (!rt) throw new TypeError("not a Client");
  return rt;
}

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
  maxInFlightStanzas: DEFAULT_MAX_IN_FLIGHT,
  maxHandshakeFailures: 5,
};

/**
 * A WhatsApp Web companion client.
 *
 * Messages are delivered at least once and never lost: a message counts as handled when every
 * `message` listener's promise settled (and every `events()` consumer moved on); only then is it
 * acknowledged to the server. If the process dies before that, the message is handed to the listeners
 * again at the next start. A listener that never settles holds up its chat.
 *
 * @example
 * ```ts
 * import { Client, renderQr, SqliteStore } from "@wadeno/client";
 * // Type-checked, not run: it links to a real phone.
 * export async function example() {
 *   const client = await Client.create({ store: await SqliteStore.open("bot.db") });
 *   client.on("pairingQrCode", ({ code }) => console.log(renderQr(code)));
 *   client.on("message", async ({ info, message }) => {
 *     if (message.conversation === "ping") await client.sendText(info.source.chat, "pong");
 *   });
 *   await client.connect(); // resolves once paired (if needed) and logged in
 * }
 * ```
 */
export class Client implements AsyncDisposable {
  readonly #rt: ClientRuntime;
  readonly #receipts: Receipts;
  readonly #polls: Polls;
  readonly #newsletters: Newsletters;
  readonly #calls: Calls;
  #mex: Mex | undefined;
  readonly #media: Media;
  readonly #people: People;
  readonly #groups: Groups;
  readonly #history: History;
  readonly #chats: Chats;

  private constructor(options: ClientOptions, device: Device) {
    const log = options.logger ?? createLogger();
    this.#rt = new ClientRuntime({
      store: options.store,
      log,
      timings: { ...DEFAULT_TIMINGS, ...options.timings },
      transport: options.transport ??
        tcpWebSocketTransport({ url: options.url, proxy: options.proxy, caCerts: options.caCerts }),
      version: options.version ?? DEFAULT_WA_VERSION,
      trustedRoot: options.trustedRoot,
      deviceProps: devicePropsOf(options),
      autoReconnect: options.autoReconnect ?? true,
      groupInfo: (group) => this.groups.metadata(group),
      sendHooks: {
        tcTokenFor: (to) => this.#people.tcTokens.tokenFor(to),
        sentDirect: (to) => this.#people.tcTokens.afterDirectSend(to),
      },
    }, device);
    this.#receipts = new Receipts(this.#rt.featureContext("Receipt"));
    // Built now: every message with a secret must be seen, whether or not the user ever touches polls.
    this.#polls = new Polls(this.#rt.featureContext("Polls"));
    // Built now too: their notifications (newsletter, mex, call) must be read from the first login on.
    this.#newsletters = new Newsletters(this.#rt.featureContext("Newsletters"));
    this.#calls = new Calls(this.#rt.featureContext("Calls"));
    // Built at once: a phone must see media retry requests before anyone touches `client.media`.
    this.#media = new Media(
      this.#rt.featureContext("Media"),
      new MediaHttp({
        httpClient: options.httpClient,
        create: () => httpClientOptions({ proxy: options.proxy, caCerts: options.caCerts }),
      }),
    );
    // Built now: presence, chat states and the profile, contact and privacy notifications may come
    // before anyone touches these namespaces.
    this.#people = new People((name) => this.#rt.featureContext(name));
    this.#rt.events.on("message", (event) => this.#people.onMessage(event));
    // Built at once: group notifications must update its cache (and rotate sender keys) from the start.
    this.#groups = new Groups(this.#rt.featureContext("Groups"));
    // Built at once: the phone sends history right after linking, before anyone touches `history`.
    this.#history = new History(
      this.#rt.featureContext("History"),
      (ref, o) =>
        this.#media.download(ref, { to: "stream", retry: false, maxBytes: o.maxBytes, signal: o.signal }),
      options.history,
    );
    // Built at once: app state notifications and key shares must be handled from the first login.
    this.#chats = new Chats(this.#rt.featureContext("Chats"), {
      download: (ref, o) => this.#media.download(ref, { ...o, retry: false }),
      onPushNameSet: (writer) => this.#people.profile.onPushNameSet(writer),
    });
    INTERNALS.set(this, this.#rt);
  }

  /**
   * Opens a client on a store: loads the device, or creates a new unpaired one (fresh keys) and saves it.
   *
   * @example
   * ```ts
   * import { Client, MemoryStore } from "@wadeno/client";
   * const client = await Client.create({ store: new MemoryStore() });
   * console.log(client.isPaired); // false: connect() will show a QR code
   * ```
   */
  static async create(options: ClientOptions): Promise<Client> {
    let device = await options.store.loadDevice();
    if (!device) {
      device = createDevice();
      device.deviceProps = buildDeviceProps(devicePropsOf(options));
      if (options.pushName) device.pushName = options.pushName;
      await options.store.saveDevice(device);
      await options.store.flush();
    } else if (options.pushName && options.pushName !== device.pushName) {
      device.pushName = options.pushName;
      await options.store.saveDevice(device);
    }
    const client = new Client(options, device);
    await ensureSignedPreKeyStored(client.#rt.core);
    return client;
  }

  // ---- features -------------------------------------------------------------------------------

  /** Groups: metadata (cached) and administration. */
  get groups(): Groups {
    return this.#groups;
  }

  /**
   * History sync: the chat history the phone sends after linking arrives as `historySync` events (one
   * per conversation, decoded on request), with `historySyncProgress`; `fetchMessages` asks the phone for
   * older messages of one chat.
   */
  get history(): History {
    return this.#history;
  }

  /** Polls and event invitations: create, vote, respond; votes arrive as `pollVote` events. */
  get polls(): Polls {
    return this.#polls;
  }

  /** Newsletters (channels): create, follow, post, react, read; posts arrive as `message` events. */
  get newsletters(): Newsletters {
    return this.#newsletters;
  }

  /** Calls: incoming offers as `call` events, `reject`. */
  get calls(): Calls {
    return this.#calls;
  }

  /** MEX: WhatsApp's GraphQL requests (`execute(queryId, variables)`). */
  get mex(): Mex {
    return this.#mex ??= new Mex(this.#rt.featureContext("Mex"));
  }

  /** Media: upload, download (with media retry), and sending images, videos, voice notes, documents... */
  get media(): Media {
    return this.#media;
  }

  /** Presence: our online state (announced after login) and subscriptions to contacts' presence. */
  get presence(): Presence {
    return this.#people.presence;
  }

  /** Chat states: typing and recording indicators. */
  get chatstate(): ChatStates {
    return this.#people.chatstate;
  }

  /** Contacts: is-on-WhatsApp, user info, LID lookups. */
  get contacts(): Contacts {
    return this.#people.contacts;
  }

  /** Profile: push name, about text, profile pictures, business profiles. */
  get profile(): Profile {
    return this.#people.profile;
  }

  /** Blocking: block, unblock, the blocklist. */
  get blocking(): Blocking {
    return this.#people.blocking;
  }

  /** Privacy settings and the default disappearing-messages timer. */
  get privacy(): Privacy {
    return this.#people.privacy;
  }

  /** Status posts. */
  get status(): Status {
    return this.#people.status;
  }

  /** Trusted-contact tokens. */
  get tcTokens(): TcTokens {
    return this.#people.tcTokens;
  }

  /** Chats: archive, pin, mute, star, read state, contacts and labels (app state), disappearing timers. */
  get chats(): Chats {
    return this.#chats;
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * Registers a listener; returns a function that removes it. A listener may return a promise: for
   * `message` (and the other network events) the client waits for it before acknowledging.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   const off = client.on("message", async ({ message, info }) => console.log(info.id, message));
   *   off();
   * }
   * ```
   */
  on<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.#rt.events.on(name, listener);
  }

  /** Registers a listener for the next event of this name only; returns a function that removes it. */
  once<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.#rt.events.once(name, listener);
  }

  /**
   * Resolves with the next event of this name (that passes `filter`); use a `signal` as a deadline.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   const { message } = await client.waitFor("message", { signal: AbortSignal.timeout(10_000) });
   * }
   * ```
   */
  waitFor<K extends keyof ClientEvents>(
    name: K,
    options?: WaitForOptions<ClientEvents[K]>,
  ): Promise<ClientEvents[K]> {
    return this.#rt.events.waitFor(name, options);
  }

  /**
   * An async iterator over every event from now on. A `message` event counts as handled when the loop
   * asks for the next event, so the loop body finishes with a message before it is acknowledged; a loop
   * that stops reading holds up the messages behind it (it never loses them).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client, signal: AbortSignal) {
   *   for await (const { type, data } of client.events({ signal })) {
   *     if (type === "message") console.log(data.info.id);
   *   }
   * }
   * ```
   */
  events(options?: { signal?: AbortSignal }): AsyncIterableIterator<EventOf<ClientEvents>> {
    return this.#rt.events.events(options);
  }

  // ---- state ----------------------------------------------------------------------------------

  /** The device (keys, JIDs, push name). Read-only: the client owns it. */
  get device(): Readonly<Device> {
    return this.#rt.device;
  }

  /** Our phone-number JID with device id, once paired. */
  get jid(): Jid | undefined {
    return this.#rt.device.pn;
  }

  /** Our LID with device id, once known. */
  get lid(): Jid | undefined {
    return this.#rt.device.lid;
  }

  /** True once this device is linked to an account. */
  get isPaired(): boolean {
    return isPaired(this.#rt.device);
  }

  /** True while an encrypted connection is open (logged in or pairing). */
  get isConnected(): boolean {
    return this.#rt.isConnected;
  }

  /** True after the server accepted our login on the current connection. */
  get isLoggedIn(): boolean {
    return this.#rt.isLoggedIn;
  }

  /** Milliseconds to add to `Date.now()` to get the server's clock. */
  get serverTimeOffsetMs(): number {
    return this.#rt.serverTimeOffsetMs;
  }

  /** The store this client uses. */
  get store(): Backend {
    return this.#rt.store;
  }

  /** The logger this client writes to. */
  get logger(): Logger {
    return this.#rt.log;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Starts connecting (and reconnecting) in the background and resolves once logged in. For a device
   * that is not paired yet this waits until a QR code is scanned or a pair code entered (listen to
   * `pairingQrCode` / call `pairWithCode`). Rejects with a `ConnectionError` when the client stops for
   * good first (logged out, replaced, pairing refused, QR codes expired, a certificate that does not
   * verify, a missing permission, `disconnect()`). Aborting `signal` stops the client and rejects with the
   * signal's reason.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   await client.connect({ signal: AbortSignal.timeout(120_000) });
   * }
   * ```
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#rt.connect(options.signal);
  }

  /** Starts the background connection loop if it is not running (does not wait). */
  start(): void {
    this.#rt.start();
  }

  /**
   * Closes the connection and stops reconnecting. Messages already received get up to 2 s to finish
   * (handlers, store, ack). Resolves when everything has stopped.
   */
  async disconnect(): Promise<void> {
    try {
      await this.#rt.disconnect();
    } finally {
      this.#media.close();
    }
  }

  /**
   * Unlinks this device from the account (tells the server when connected), forgets its keys and
   * sessions, and disconnects. The next `connect()` pairs a new device.
   */
  async logout(): Promise<void> {
    try {
      await this.#rt.logout();
    } finally {
      this.#media.close();
    }
  }

  /**
   * Links with a pair code instead of a QR code: returns the 8-character code to type on the phone
   * (WhatsApp > Linked devices > Link with phone number). Call it while `connect()` is waiting to pair;
   * it waits until the server is ready. Throws `PairCodeError` for a bad phone number or custom code.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   const connected = client.connect();
   *   console.log("enter", await client.pairWithCode({ phoneNumber: "+1 555 123 4567" }));
   *   await connected;
   * }
   * ```
   */
  pairWithCode(options: PairCodeOptions): Promise<string> {
    return this.#rt.pairWithCode(options);
  }

  /** Closes everything ({@linkcode Client.disconnect}) for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  // ---- low level ------------------------------------------------------------------------------

  /**
   * Sends a raw stanza on the live connection. Rejects with `ConnectionError` `not_connected` when there
   * is none. For protocol work the library does not cover; prefer the typed methods.
   */
  sendNode(node: NodeInput): Promise<void> {
    return this.#rt.sendNode(node);
  }

  /**
   * Runs an IQ spec (`{ operation, build(), parse(node) }`) and resolves with what `parse` returns.
   * Rejects with `IqError` naming the operation, or `ConnectionError` when not connected.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   await client.execute({
   *     operation: "ping",
   *     build: () => ({ namespace: "w:p", type: "get", content: [{ tag: "ping", attrs: {} }] }),
   *     parse: () => true,
   *   });
   * }
   * ```
   */
  execute<T>(spec: IqSpec<T>, options?: { signal?: AbortSignal }): Promise<T> {
    return this.#rt.execute(spec, options);
  }

  // ---- messaging ------------------------------------------------------------------------------

  /**
   * Sends a message to a user (`15551234567@s.whatsapp.net`, or a LID) or a group (`...@g.us`):
   * encrypts it for every device that must get it (including our own other devices) and resolves with
   * its id, the server timestamp and its key (for reacting to, editing or revoking it later). The message
   * is kept for retries for 5 minutes. Rejects with `SendError` (`code` says why) or `ConnectionError`.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   const sent = await client.sendMessage("15551234567@s.whatsapp.net", { conversation: "hello" });
   *   await client.sendReaction(sent.chat, sent.key, "👋");
   * }
   * ```
   */
  async sendMessage(to: Jid | string, message: Message, options?: SendOptions): Promise<SendResult> {
    return await this.#rt.messaging.sendMessage(toJid(to, "to"), message, options);
  }

  /**
   * Sends text; `options` add mentions, a quoted reply or an expiration (see `textMessage`).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   client.on("message", ({ info, message }) =>
   *     client.sendText(info.source.chat, "got it", { replyTo: { info, message } }));
   * }
   * ```
   */
  async sendText(
    to: Jid | string,
    text: string,
    options: TextOptions & SendOptions = {},
  ): Promise<SendResult> {
    return await this.sendMessage(to, textMessage(text, options), options);
  }

  /**
   * Uploads media and sends it: `kind` is `image`, `video`, `gif`, `ptv`, `audio`, `ptt` (voice note),
   * `document` or `sticker`; `source` is bytes, `{ path }`, a stream, or a function returning a fresh
   * source. The same as `client.media.send`, which has one method per kind (`sendImage`, ...).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client, chat: string) {
   *   await client.sendMedia(chat, "image", await Deno.readFile("cat.jpg"), { caption: "a cat" });
   * }
   * ```
   */
  sendMedia(
    to: Jid | string,
    kind: MessageMediaKind,
    source: UploadSource,
    options?: SendMediaOptions,
  ): Promise<SendResult> {
    return this.#media.send(to, kind, source, options);
  }

  /**
   * Reacts to a message with an emoji (`""` removes our reaction). `target` is the message's key:
   * `messageKey(info)` for a received message, `sent.key` for one we sent.
   *
   * @example
   * ```ts
   * import { type Client, messageKey } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   client.on("message", ({ info }) => client.sendReaction(info.source.chat, messageKey(info), "❤️"));
   * }
   * ```
   */
  async sendReaction(
    chat: Jid | string,
    target: MessageKey,
    emoji: string,
    options?: SendOptions,
  ): Promise<SendResult> {
    return await this.sendMessage(chat, reactionMessage(target, emoji), options);
  }

  /**
   * Edits one of our own messages (WhatsApp allows it for 15 minutes).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client, chat: string) {
   *   const sent = await client.sendText(chat, "helo");
   *   await client.editMessage(chat, sent.id, "hello");
   * }
   * ```
   */
  async editMessage(
    chat: Jid | string,
    messageId: string,
    newContent: Message | string,
    options?: SendOptions,
  ): Promise<SendResult> {
    const jid = toJid(chat, "chat");
    const content = typeof newContent === "string" ? { conversation: newContent } : newContent;
    return await this.sendMessage(jid, editMessage(jid, messageId, content), options);
  }

  /**
   * Deletes a message for everyone (`originalSender` for an admin deleting someone else's group message).
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client, chat: string) {
   *   const sent = await client.sendText(chat, "oops");
   *   await client.revokeMessage(chat, sent.id);
   * }
   * ```
   */
  async revokeMessage(
    chat: Jid | string,
    messageId: string,
    originalSender?: Jid,
    options?: SendOptions,
  ): Promise<SendResult> {
    const jid = toJid(chat, "chat");
    return await this.sendMessage(jid, revokeMessage(jid, messageId, originalSender), options);
  }

  /**
   * Sends read receipts for messages (batched into one stanza); `sender` is required in groups.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * // Type-checked, not run: it needs a logged-in client.
   * export async function example(client: Client) {
   *   client.on("message", ({ info }) =>
   *     client.markRead(info.source.chat, [info.id], { sender: info.source.isGroup ? info.source.sender : undefined }));
   * }
   * ```
   */
  async markRead(
    chat: Jid | string,
    messageIds: readonly string[],
    options?: MarkReadOptions,
  ): Promise<void> {
    return await this.#receipts.markRead(toJid(chat, "chat"), messageIds, options);
  }

  /**
   * Resolves once every stanza received so far has been handled and acknowledged (handy in tests and at
   * shutdown).
   */
  async waitUntilIdle(): Promise<void> {
    await this.#rt.messaging.idle();
    await this.#rt.router.idle();
  }
}
