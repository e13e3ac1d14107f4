/**
 * wadeno: a Deno-native WhatsApp Web client library. A bot links to a phone as a companion device (QR
 * code or pair code) and speaks the real protocol end to end: binary stanzas, the Noise transport with
 * certificate-chain verification, and the Signal protocol, with a SQLite store by default.
 *
 * This entry point holds what a bot needs. The layers underneath have their own:
 * `@wadeno/client/binary` (stanzas and JIDs), `@wadeno/client/proto` (every protobuf codec),
 * `@wadeno/client/signal` (the Signal protocol) and `@wadeno/client/testing` (FakeWhatsApp).
 *
 * @example
 * ```ts ignore
 * import { Client, renderQr, SqliteStore } from "@wadeno/client";
 * const client = await Client.create({ store: await SqliteStore.open("bot.db") });
 * client.on("pairingQrCode", ({ code }) => console.log(renderQr(code)));
 * client.on("connected", ({ jid }) => console.log("logged in as", jid.toString()));
 * await client.connect();
 * ```
 *
 * @module
 */

// The client and its lifecycle.
export {
  Bot,
  BotBuilder,
  type BotEventHandler,
  type BotHandler,
  Client,
  type ClientOptions,
  type ClientTimings,
  DEFAULT_TIMINGS,
  DEFAULT_WA_VERSION,
  type DevicePropsOptions,
  type EventOf,
  type Listener,
  PairCodeError,
  type PairCodeErrorCode,
  type PairCodeOptions,
  PairError,
  renderQr,
  type RenderQrOptions,
  type Transport,
  type TransportCloseInfo,
  TransportError,
  type TransportFactory,
  type TransportHandlers,
  type WaitForOptions,
  type WaVersion,
  webSocketTransport,
  type WebSocketTransportOptions,
} from "./src/client/mod.ts";

// Events.
export {
  type ClientEvents,
  type ConnectedEvent,
  type ConnectFailureEvent,
  ConnectFailureReason,
  type DisconnectedEvent,
  type ErrorEvent,
  type IdentityChangeEvent,
  type KeepAliveEvent,
  type LoggedOutEvent,
  type OfflineSyncCompletedEvent,
  type OfflineSyncPreviewEvent,
  type PairErrorEvent,
  type PairingCodeEvent,
  type PairingQrCodeEvent,
  type PairSuccessEvent,
  type StreamErrorEvent,
  type TemporaryBanEvent,
  type UndecryptableMessageEvent,
} from "./src/client/mod.ts";

// Errors.
export {
  ConnectionError,
  type ConnectionErrorCode,
  DecryptError,
  type DecryptErrorCode,
  InputError,
  type InputErrorCode,
  IqError,
  type IqErrorCode,
  SendError,
  type SendErrorCode,
} from "./src/features/errors.ts";

// Messages: what arrives and how to build what goes out.
export type {
  AddressingMode,
  EditKind,
  MessageEvent,
  MessageInfo,
  MessageSource,
} from "./src/features/message_info.ts";
export type { SendOptions, SendResult } from "./src/features/send_options.ts";
export {
  contactMessage,
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
} from "./src/features/message_builders.ts";
export type { MarkReadOptions, ReceiptEvent, ReceiptEvents, ReceiptKind } from "./src/features/receipts.ts";
export { DISAPPEARING_TIMERS, disappearingTimerMessage } from "./src/features/disappearing.ts";
export { toJid } from "./src/features/jid_input.ts";
export { generateMessageId } from "./src/client/mod.ts";

// Features.
export type { GroupDescription, GroupInfo, GroupMember, MemberAddMode } from "./src/features/groups/parse.ts";
export type { GroupCallOptions, Groups, Participants } from "./src/features/groups/groups.ts";
export type {
  GroupChange,
  GroupEvents,
  GroupUpdateEvent,
  JoinedGroupEvent,
} from "./src/features/groups/events.ts";
export type {
  GroupCreateResult,
  JoinRequest,
  ParticipantOutcome,
  ParticipantResult,
} from "./src/features/groups/specs.ts";
export {
  type CreateGroupOptions,
  GROUP_DESCRIPTION_MAX,
  GROUP_SIZE_LIMIT,
  GROUP_SUBJECT_MAX,
  type ParticipantInput,
} from "./src/features/groups/options.ts";
export {
  type GroupInvite,
  INVITE_LINK_PREFIX,
  inviteCodeOf,
  type JoinResult,
  parseGroupInvite,
} from "./src/features/groups/invites.ts";
export type { SubGroup } from "./src/features/groups/communities.ts";
export type { ChatEvents, Chats } from "./src/features/chats.ts";
export type { InfoQuery, IqSpec } from "./src/features/iq.ts";

// Stores.
export {
  type Backend,
  type Device,
  MemoryStore,
  type MemoryStoreOptions,
  SqliteStore,
  type SqliteStoreOptions,
  type SqliteSynchronous,
  StoreError,
  type StoreErrorKind,
} from "./src/store/mod.ts";

// Logging.
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  type LogSink,
  silentLogger,
} from "./src/logger.ts";

// What the signatures above mention.
export { Jid, JidParseError, type Node, type NodeInput } from "./src/binary/mod.ts";
export type { ContextInfo, Message, MessageKey } from "./src/proto/mod.ts";
