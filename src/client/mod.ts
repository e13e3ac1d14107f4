/**
 * The client layer: {@linkcode Client}, its options and events, pairing helpers and transports.
 *
 * @module
 */

export { Bot, BotBuilder, type BotEventHandler, type BotHandler } from "./bot.ts";
export { Client, type ClientOptions, DEFAULT_TIMINGS } from "./client.ts";
export type { StanzaHandler } from "./router.ts";
export type { ClientCore, ClientTimings, ConnectionOutcome } from "./core.ts";
export * from "./events.ts";
export type { EventOf, Listener, WaitForOptions } from "./emitter.ts";
export { DEFAULT_IQ_TIMEOUT_MS, type InfoQuery, IqError, type IqErrorKind } from "./iq.ts";
export { ConnectionError } from "./login.ts";
export type { PairCodeOptions } from "./pairing.ts";
export {
  makeQrData,
  PAIR_CODE_ALPHABET,
  PairCodeError,
  type PairCodeErrorKind,
  PairError,
  parseQrData,
  type QrData,
} from "./pair_crypto.ts";
export { DEFAULT_WA_VERSION, type DevicePropsOptions, type WaVersion } from "./payload.ts";
export { renderQr, type RenderQrOptions } from "./qr_terminal.ts";
export {
  type MemoryTransportPair,
  memoryTransportPair,
  type Transport,
  type TransportCloseInfo,
  TransportError,
  type TransportFactory,
  type TransportHandlers,
  webSocketTransport,
  type WebSocketTransportOptions,
  WHATSAPP_WEB_ORIGIN,
  WHATSAPP_WEB_SOCKET_URL,
} from "./transport.ts";
export type { MessageEvent, UndecryptableMessageEvent } from "./messaging/receive.ts";
export { type MarkReadOptions, type ReceiptEvent, type ReceiptType } from "./messaging/receipts.ts";
export type { OfflineSyncCompletedEvent, OfflineSyncPreviewEvent } from "./messaging/offline.ts";
export { addressToJid, type IdentityChangeEvent } from "./messaging/messaging.ts";
export type { AddressingMode, MessageInfo, MessageSource } from "./messaging/message_info.ts";
export { type GroupInfo, type GroupMember } from "./messaging/groups.ts";
export { generateMessageId, SendError, type SendOptions, type SendResult } from "./messaging/send.ts";
export {
  contactMessage,
  disappearingTimerMessage,
  editMessage,
  getEdit,
  getReaction,
  getReplyTo,
  getRevoke,
  locationMessage,
  messageKey,
  messageText,
  quoteContext,
  type Quoted,
  reactionMessage,
  revokeMessage,
  textMessage,
  type TextOptions,
  unwrapMessage,
  vcard,
} from "./messaging/builders.ts";
