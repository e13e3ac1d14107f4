/**
 * The client's typed events. Names follow the seed's Event list in camelCase (`PairingQrCode` is
 * `pairingQrCode`); payloads are plain objects.
 *
 * @module
 */

import type { Jid, Node } from "../binary/mod.ts";
import type { ChatEvents } from "../features/chats.ts";
import type { CallEvents } from "../features/calls.ts";
import type { NewsletterEvents } from "../features/newsletters/newsletters.ts";
import type { PollEvents } from "../features/polls/polls.ts";
import type { MediaEvents } from "../features/media/media.ts";
import type { GroupEvents } from "../features/groups/events.ts";
import type { MessageEvent } from "../features/message_info.ts";
import type { PeopleEvents } from "../features/people.ts";
import type { ReceiptEvents } from "../features/receipts.ts";
import type { IdentityChangeEvent } from "./messaging/messaging.ts";
import type { OfflineSyncCompletedEvent, OfflineSyncPreviewEvent } from "./messaging/offline.ts";
import type { UndecryptableMessageEvent } from "./messaging/receive.ts";

/** Reasons in a `<failure reason=...>` node sent instead of `<success>` at login. */
export const ConnectFailureReason = {
  /** Generic failure. */
  Generic: 400,
  /** The device was logged out (unlinked) and must pair again. */
  LoggedOut: 401,
  /** The account is temporarily banned (see the `temporaryBan` event). */
  TempBanned: 402,
  /** The primary device is gone; the companion must pair again. */
  MainDeviceGone: 403,
  /** The client version is too old (see the `clientOutdated` event). */
  ClientOutdated: 405,
  /** Logged out for an unknown reason. */
  UnknownLogout: 406,
  /** The user agent was rejected. */
  BadUserAgent: 409,
  /** Crypto auth token expired. */
  CatExpired: 413,
  /** Crypto auth token invalid. */
  CatInvalid: 414,
  /** Not found. */
  NotFound: 415,
  /** Unknown client. */
  ClientUnknown: 418,
  /** Server-side error; reconnecting is expected to help. */
  InternalServerError: 500,
  /** Experimental. */
  Experimental: 501,
  /** Service unavailable; reconnecting is expected to help. */
  ServiceUnavailable: 503,
} as const;

/** True for connect-failure reasons after which the companion must pair again (401, 403, 406). */
export function isLoggedOutReason(reason: number): boolean {
  return reason === ConnectFailureReason.LoggedOut || reason === ConnectFailureReason.MainDeviceGone ||
    reason === ConnectFailureReason.UnknownLogout;
}

/** Payload of `connected`: the device is logged in and ready. */
export interface ConnectedEvent {
  /** The device's own phone-number JID (with device). */
  jid: Jid;
  /** The device's own LID, when the server told it. */
  lid?: Jid;
}

/** Payload of `disconnected`: the socket closed. */
export interface DisconnectedEvent {
  /** Why, in a few words (`stream error 515`, `socket closed`, `keepalive timeout`, ...). */
  reason: string;
  /** Whether the client will reconnect on its own. */
  willReconnect: boolean;
  /** Milliseconds until the next attempt, when reconnecting. */
  reconnectInMs?: number;
}

/** Payload of `pairingQrCode`: show this QR to the phone (WhatsApp > Linked devices > Link a device). */
export interface PairingQrCodeEvent {
  /** The string to encode in the QR code. */
  code: string;
  /** How long this code is valid before the next one replaces it (60 s for the first, then 20 s). */
  timeoutMs: number;
}

/** Payload of `pairingCode`: type this code on the phone (Link with phone number instead). */
export interface PairingCodeEvent {
  /** Eight characters from the pair-code alphabet, e.g. `ABCD1234`. */
  code: string;
  /** How long the code stays valid (about 180 s). */
  timeoutMs: number;
}

/** Payload of `pairSuccess`. */
export interface PairSuccessEvent {
  /** The companion's new JID (phone number with device id). */
  jid: Jid;
  /** The companion's LID, when given. */
  lid?: Jid;
  /** The account's business name, when it is a business account. */
  businessName: string;
  /** The phone's platform name. */
  platform: string;
}

/** Payload of `pairError`: pairing was attempted and refused (for example a forged signature). */
export interface PairErrorEvent extends PairSuccessEvent {
  /** What failed. */
  error: Error;
}

/** Payload of `loggedOut`: the device was unlinked; pair again to continue. Auto-reconnect stops. */
export interface LoggedOutEvent {
  /** True when it happened as a connect failure (at login), false for a stream error or `logout()`. */
  onConnect: boolean;
  /** The failure reason code (401, 403, 406, or 516 for a removed device). */
  reason: number;
}

/** Payload of `streamError`: a stream error the client does not know how to handle. */
export interface StreamErrorEvent {
  /** The `code` attribute, possibly empty. */
  code: string;
  /** The raw `<stream:error>` node. */
  raw: Node;
}

/** Payload of `connectFailure`: a login `<failure>` not covered by a more specific event. */
export interface ConnectFailureEvent {
  /** The reason code (see {@linkcode ConnectFailureReason}). */
  reason: number;
  /** The server's message attribute, if any. */
  message: string;
  /** The raw `<failure>` node. */
  raw: Node;
  /** Whether the client will reconnect. */
  willReconnect: boolean;
}

/** Payload of `temporaryBan`. */
export interface TemporaryBanEvent {
  /** Ban reason code (101 sent to too many people, 102 blocked by users, ...). */
  code: number;
  /** Seconds until the ban expires. */
  expireSeconds: number;
}

/** Payload of `keepAliveTimeout` / `keepAliveRestored`. */
export interface KeepAliveEvent {
  /** Consecutive failures so far (0 when restored). */
  errorCount: number;
}

/** Payload of `error`: something failed in the background (a handler threw, a background task failed). */
export interface ErrorEvent {
  /** What failed (an `Error`, with its stack). */
  error: unknown;
  /** Where: `handling <notification type="w:gp2">`, `a "message" listener`, ... */
  context: string;
}

/**
 * Every event the client emits, by name: the client's own (connection, pairing, messages) and each
 * feature's (`receipt`, group and presence events, ...).
 */
export interface ClientEvents
  extends
    ReceiptEvents,
    GroupEvents,
    ChatEvents,
    PollEvents,
    NewsletterEvents,
    CallEvents,
    MediaEvents,
    PeopleEvents {
  /** A handler or background task failed; the client carries on. */
  error: ErrorEvent;
  /** Logged in and ready. */
  connected: ConnectedEvent;
  /** The connection closed. */
  disconnected: DisconnectedEvent;
  /** A QR code to show (one per server ref). */
  pairingQrCode: PairingQrCodeEvent;
  /** A pair code to type on the phone. */
  pairingCode: PairingCodeEvent;
  /** Pairing finished; the client reconnects and logs in next. */
  pairSuccess: PairSuccessEvent;
  /** Pairing was refused. */
  pairError: PairErrorEvent;
  /** All QR codes expired without a scan. */
  pairingQrExpired: Record<string, never>;
  /** The device was unlinked. */
  loggedOut: LoggedOutEvent;
  /** Another client connected with the same credentials (409 / conflict replaced). */
  streamReplaced: Record<string, never>;
  /** An unknown stream error (the client reconnects with backoff). */
  streamError: StreamErrorEvent;
  /** An unhandled login failure. */
  connectFailure: ConnectFailureEvent;
  /** The account is temporarily banned. */
  temporaryBan: TemporaryBanEvent;
  /** WhatsApp refused this client version (405). */
  clientOutdated: Record<string, never>;
  /** A keepalive ping went unanswered. */
  keepAliveTimeout: KeepAliveEvent;
  /** Keepalive pings are answered again. */
  keepAliveRestored: KeepAliveEvent;
  /** A message arrived and was decrypted. */
  message: MessageEvent;
  /** A message arrived that could not be decrypted (a retry receipt was sent). */
  undecryptableMessage: UndecryptableMessageEvent;
  /** The server is about to replay what arrived while this device was offline. */
  offlineSyncPreview: OfflineSyncPreviewEvent;
  /** The offline backlog has been processed (or the 60 s fallback fired). */
  offlineSyncCompleted: OfflineSyncCompletedEvent;
  /** A contact's identity key (security code) changed. */
  identityChange: IdentityChangeEvent;
}
