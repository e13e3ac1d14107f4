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
 * ```ts
 * import { Client, renderQr, SqliteStore } from "@wadeno/client";
 * // Type-checked, not run: it links to a real phone.
 * export async function example() {
 *   const client = await Client.create({ store: await SqliteStore.open("bot.db") });
 *   client.on("pairingQrCode", ({ code }) => console.log(renderQr(code)));
 *   client.on("connected", ({ jid }) => console.log("logged in as", jid.toString()));
 *   await client.connect();
 * }
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
  type ProxyConfig,
  type ProxyProtocol,
  renderQr,
  type RenderQrOptions,
  tcpWebSocketTransport,
  type TcpWebSocketTransportOptions,
  type Transport,
  type TransportCloseInfo,
  TransportError,
  type TransportErrorCode,
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
export {
  contextInfoOf,
  type EventInfo,
  forwardMessage,
  FREQUENTLY_FORWARDED_SCORE,
  getContacts,
  getEvent,
  getForwarded,
  getKeepInChat,
  getLinkPreview,
  getLocation,
  getPin,
  keepInChatMessage,
  type LinkPreview,
  linkPreviewMessage,
  type LiveLocationInput,
  liveLocationMessage,
  type LocationInfo,
  PIN_DURATIONS,
  type PinInfo,
  pinMessage,
  withContextInfo,
} from "./src/features/message_kinds.ts";
export {
  type ButtonReply,
  type ButtonReplyInput,
  type ButtonReplyKind,
  buttonReplyMessage,
  getButtonReply,
} from "./src/features/message_kinds_replies.ts";
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
export type {
  ChatActionOptions,
  ChatEvents,
  Chats,
  ChatsOptions,
  ContactDetails,
  DeleteForMeOptions,
  LabelDetails,
  MessageActionOptions,
  MessageRangeOptions,
  MuteOptions,
} from "./src/features/chats.ts";
export type {
  AppStateActionEvent,
  AppStateEvents,
  AppStateSyncCompleteEvent,
  AppStateSyncErrorEvent,
  ArchiveUpdateEvent,
  ChatSettingEvent,
  ClearChatUpdateEvent,
  ContactUpdateEvent,
  DeleteChatUpdateEvent,
  DeleteMessageForMeUpdateEvent,
  LabelAssociationEvent,
  LabelEditEvent,
  MarkChatAsReadUpdateEvent,
  MessageSettingEvent,
  MuteUpdateEvent,
  PinUpdateEvent,
  PushNameSettingEvent,
  StarUpdateEvent,
} from "./src/features/app_state/events.ts";
export type {
  AppStateBlobDownloader,
  AppStateSyncRequest,
  CollectionSyncResult,
} from "./src/features/app_state/sync.ts";
export {
  type ActionBase,
  APP_STATE_COLLECTIONS,
  type AppStateCollection,
  AppStateError,
  type AppStateErrorCode,
  type AppStateErrorOptions,
  type ArchiveChatAction,
  type ChatAction,
  type ClearChatAction,
  type ContactAction,
  type DeleteChatAction,
  type DeleteMessageForMeAction,
  type KnownChatAction,
  type LabelChatAction,
  type LabelEditAction,
  type LabelMessageAction,
  type MarkChatReadAction,
  type MessageRange,
  type MutationOperation,
  type MuteChatAction,
  type PinChatAction,
  type PushNameAction,
  type RemoveContactAction,
  type StarMessageAction,
  type UnknownAction,
} from "./src/features/app_state/mod.ts";
export type {
  DownloadTo,
  Media,
  MediaDownloadOptions,
  MediaEvents,
  MediaUploadOptions,
  SendMediaOptions,
  UploadSource,
} from "./src/features/media/media.ts";
export {
  type Downloadable,
  hasMedia,
  type KeyedMessage,
  mediaKindOf,
  mediaMessage,
  type MediaMessageOptions,
  MESSAGE_MEDIA_KINDS,
  type MessageMediaKind,
  quotedMessageOf,
  type UploadedMedia,
} from "./src/features/media/messages.ts";
export { MediaError, type MediaErrorCode, type MediaErrorOptions } from "./src/features/media/errors.ts";
export type { MediaKind } from "./src/features/media/media_type.ts";
export type { MediaRef } from "./src/features/media/media_ref.ts";
export type { MediaConn, MediaHost } from "./src/features/media/media_conn.ts";
export type { MediaHttpClient, MediaHttpRequest } from "./src/features/media/http.ts";
export type { MediaFile, MediaSource } from "./src/features/media/media_stream.ts";
export {
  decryptMediaRetryNotification,
  type MediaRetryCiphertext,
  type MediaRetryErrorCode,
  type MediaRetryNotice,
  type MediaRetryResult,
} from "./src/features/media/retry_crypto.ts";
export type {
  FetchHistoryOptions,
  History,
  HistoryDownloader,
} from "./src/features/history_sync/history_sync.ts";
export type { HistorySyncOptions } from "./src/features/history_sync/options.ts";
export type {
  HistoryChunk,
  HistoryChunkSummary,
  HistoryLidMapping,
  HistoryPushName,
  HistorySyncDataEvent,
  HistorySyncErrorEvent,
  HistorySyncEvent,
  HistorySyncEvents,
  HistorySyncKind,
  HistorySyncProgressEvent,
} from "./src/features/history_sync/events.ts";
export type { HistoryAnchor, OnDemandHistory } from "./src/features/history_sync/on_demand.ts";
export {
  HistorySyncError,
  type HistorySyncErrorCode,
  type HistorySyncErrorOptions,
  type HistorySyncFields,
  LazyConversation,
  type LazyConversationOptions,
} from "./src/features/history_sync/mod.ts";
export type { InfoQuery, IqSpec } from "./src/features/iq.ts";
export type {
  EventResponseEvent,
  PollEvents,
  Polls,
  PollVoteEvent,
  SentPoll,
} from "./src/features/polls/polls.ts";
export {
  type EventInput,
  type PollInput,
  readPollCreation,
  readPollResultSnapshot,
} from "./src/features/polls/messages.ts";
export type { PollDefinition, PollOptionResult, PollResults } from "./src/features/polls/tally.ts";
export { type EventResponseKind, pollOptionHash } from "./src/features/polls/crypto.ts";
export type {
  NewsletterCreateInput,
  NewsletterEvents,
  NewsletterJoinEvent,
  NewsletterLeaveEvent,
  NewsletterLiveUpdateEvent,
  NewsletterMuteChangeEvent,
  Newsletters,
} from "./src/features/newsletters/newsletters.ts";
export type {
  NewsletterMessage,
  NewsletterMetadata,
  NewsletterRole,
} from "./src/features/newsletters/parse.ts";
export {
  DEFAULT_NEWSLETTER_QUERY_IDS,
  type NewsletterOperation,
  type NewsletterQueryIds,
} from "./src/features/newsletters/query_ids.ts";
export type { CallEvent, CallEvents, CallInfo, CallKind, Calls } from "./src/features/calls.ts";
export {
  type Mex,
  MexError,
  type MexErrorExtensions,
  type MexEvents,
  type MexExecuteOptions,
  type MexGraphQLError,
  type MexResponse,
  mexSpec,
} from "./src/features/mex.ts";
export type { PeopleEvents } from "./src/features/people.ts";
export type { Presence, PresenceEvent, PresenceEvents, PresenceState } from "./src/features/presence.ts";
export type {
  ChatPresenceEvent,
  ChatStateEvents,
  ChatStateKind,
  ChatStates,
} from "./src/features/chatstate.ts";
export type {
  BusinessStatusUpdateEvent,
  BusinessUpdateKind,
  ContactEvents,
  ContactNumberChangedEvent,
  Contacts,
  ContactSyncRequestedEvent,
  ContactUpdatedEvent,
  OnWhatsAppResult,
  UserInfo,
} from "./src/features/contacts.ts";
export type { UsyncAbout } from "./src/features/usync.ts";
export type {
  Profile,
  ProfileEvents,
  PushNameUpdateEvent,
  PushNameWriter,
  SelfPushNameUpdatedEvent,
} from "./src/features/profile.ts";
export type {
  BusinessHours,
  BusinessProfile,
  PictureUpdateEvent,
  ProfilePicture,
  UserAboutUpdateEvent,
} from "./src/features/profile_specs.ts";
export type {
  Blocking,
  BlockingEvents,
  Blocklist,
  BlocklistEntry,
  BlocklistUpdateEvent,
} from "./src/features/blocking.ts";
export type {
  DisappearingModeChangedEvent,
  Privacy,
  PrivacyEvents,
  PrivacySettingName,
  PrivacySettings,
  PrivacySettingsUpdateEvent,
  PrivacyValues,
} from "./src/features/privacy.ts";
export type {
  Status,
  StatusEvent,
  StatusEvents,
  StatusPrivacySetting,
  StatusSendOptions,
  StatusTextOptions,
} from "./src/features/status.ts";
export {
  type IssuedTcToken,
  isTcTokenExpired,
  type TcTokenEvents,
  type TcTokens,
} from "./src/features/tctoken.ts";

// Stores.
export {
  type Backend,
  type BaileysImportReport,
  type CopyOptions,
  type CopyReport,
  copyStore,
  type Device,
  importBaileysAuthState,
  importWhatsmeowStore,
  listPostgresDevices,
  MemoryStore,
  type MemoryStoreOptions,
  type PostgresConnection,
  type PostgresDeviceSummary,
  PostgresStore,
  type PostgresStoreOptions,
  type PostgresSynchronousCommit,
  SqliteStore,
  type SqliteStoreOptions,
  type SqliteSynchronous,
  StoreError,
  type StoreErrorKind,
  type StoreLocation,
  type WhatsmeowImportOptions,
  type WhatsmeowImportReport,
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
