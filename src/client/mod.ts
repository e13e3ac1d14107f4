/**
 * The client layer: {@linkcode Client}, its options and events, pairing helpers and transports.
 *
 * @module
 */

export { Bot, BotBuilder, type BotEventHandler, type BotHandler } from "./bot.ts";
export { Client, type ClientOptions, DEFAULT_TIMINGS } from "./client.ts";
export type { ClientTimings } from "./core.ts";
export * from "./events.ts";
export type { EventOf, Listener, WaitForOptions } from "./emitter.ts";
export { DEFAULT_IQ_TIMEOUT_MS } from "./iq.ts";
export type { PairCodeOptions } from "./pairing.ts";
export { PAIR_CODE_ALPHABET, PairCodeError, type PairCodeErrorCode, PairError } from "./pair_crypto.ts";
export { DEFAULT_WA_VERSION, type DevicePropsOptions, type WaVersion } from "./payload.ts";
export { renderQr, type RenderQrOptions } from "./qr_terminal.ts";
export {
  createHttpClient,
  httpClientOptions,
  type HttpNetOptions,
  parseProxyUrl,
  type ProxyConfig,
  type ProxyProtocol,
  tcpWebSocketTransport,
  type TcpWebSocketTransportOptions,
  type Transport,
  type TransportCloseInfo,
  TransportError,
  type TransportErrorCode,
  type TransportFactory,
  type TransportHandlers,
  webSocketTransport,
  type WebSocketTransportOptions,
  WHATSAPP_WEB_ORIGIN,
  WHATSAPP_WEB_SOCKET_URL,
} from "./transport.ts";
export type { UndecryptableMessageEvent } from "./messaging/receive.ts";
export type { OfflineSyncCompletedEvent, OfflineSyncPreviewEvent } from "./messaging/offline.ts";
export type { IdentityChangeEvent } from "./messaging/messaging.ts";
export { generateMessageId } from "./messaging/send.ts";
