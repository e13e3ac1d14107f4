/**
 * FakeWhatsApp: a local server that speaks WhatsApp Web's real protocol, with virtual phones, for
 * tests, demos and bot development without a phone.
 *
 * @example
 * ```ts
 * import { Client, MemoryStore, messageText } from "@wadeno/client";
 * import { FakeWhatsApp } from "@wadeno/client/testing";
 *
 * await using wa = await FakeWhatsApp.start(); // on 127.0.0.1, a free port
 * const phone = wa.phone("15551234567"); // a virtual phone: scans QR codes, sends and receives
 * await using client = await Client.create({ store: new MemoryStore(), url: wa.url, trustedRoot: wa.rootPublicKey });
 * client.on("pairingQrCode", ({ code }) => phone.scanQr(code));
 * await client.connect({ signal: AbortSignal.timeout(10_000) }); // paired and logged in
 *
 * const handset = await phone.client(); // the phone's own device, a real Client too
 * const received = handset.waitFor("message", { signal: AbortSignal.timeout(10_000) });
 * await client.sendText(phone.jid, "hello from the bot"); // Signal-encrypted end to end
 * messageText((await received).message); // "hello from the bot"
 * ```
 *
 * @module
 */

export { FakeWhatsApp, type FakeWhatsAppOptions, type StanzaObserver } from "./fake_whatsapp.ts";
export { type FakeWhatsAppFaults, ServerFaults } from "./faults.ts";
export {
  type Delivery,
  type DeliveryDrop,
  type DeliveryFilter,
  type DeliveryHold,
  DeliveryRouter,
  type ReleaseOptions,
  type RoutedStanza,
} from "./delivery.ts";
export {
  type CreateGroupOptions,
  type GroupAddressingMode,
  GroupError,
  type GroupParticipant,
  GroupRegistry,
  type GroupRole,
  type ServerAddRequest,
  type ServerGroup,
  type ServerJoinRequest,
  type ServerMember,
  type ServerMemberAddMode,
} from "./groups.ts";
export {
  buildMediaConnNode,
  type MediaBlobInfo,
  type MediaConnHostInfo,
  type MediaConnInfo,
  MediaServer,
  type MediaServerOptions,
  type MediaServerStats,
} from "./media_server.ts";
export type { TlsCertificate } from "./tls_cert.ts";
export { sampleMedia, samplePng } from "./media_samples.ts";
export { ACK_LOG_SIZE } from "./server_receipts.ts";
export { LOW_PREKEY_COUNT } from "./server_prekeys.ts";
export { VirtualPhone } from "./virtual_phone.ts";
export { type CallOutcome, placeCall, type PlaceCallOptions, type PlacedCall } from "./server_calls.ts";
export {
  NewsletterRegistry,
  newsletterRegistry,
  type ServerNewsletter,
  type ServerPost,
} from "./server_newsletters.ts";
export type { PairedDevice, PhonePairOptions } from "./server_pairing.ts";
export {
  type Account,
  AccountRegistry,
  type PresenceSubscription,
  type ServerBusinessProfile,
  type ServerDevice,
  type ServerSignedPreKey,
} from "./accounts.ts";
export type { PrimaryKeys } from "./primary_device.ts";
export type { ServerPicture } from "./server_profile.ts";
export {
  announceContactUpdate,
  announceNumberChange,
  type NumberChange,
  requestContactSync,
  setBusinessProfile,
} from "./server_contacts.ts";
export { PRIMARY_PREKEY_COUNT } from "./primary_device.ts";
export type { ServerFeature, ServerIqHandler, ServerStanzaHandler } from "./server_feature.ts";
export {
  AppStateServer,
  appStateServer,
  MAX_KEPT_PATCHES,
  type NextPatchFault,
  PATCH_PAGE_SIZE,
  type ServerCollection,
} from "./server_app_state.ts";
export { type ConnectionInfo, ServerConnection } from "./server_connection.ts";
export { QR_REF_COUNT, ServerPairing } from "./server_pairing.ts";
export type { KeyPair } from "../crypto/mod.ts";
export type { Client } from "../client/client.ts";
export type { ClientPayload } from "../proto/mod.ts";
export {
  type CompanionHistoryWishes,
  type HistoryChunkFault,
  type PhoneHistoryOptions,
  type PhoneHistoryReport,
  type PhoneHistorySpec,
  type PlannedChunk,
  type RawHistoryChunk,
} from "./phone_history.ts";
export { onDemandAnswer, planHistory } from "./phone_history_plan.ts";
export {
  buildHistorySync,
  compressHistorySync,
  encodeHistorySync,
  type HistoryChunkSpec,
  type HistoryConversationSpec,
  historyMessageId,
  type HistoryMessageSpec,
  type HistorySyncTypeName,
  syntheticHistory,
  type SyntheticHistoryContents,
  type SyntheticHistoryOptions,
} from "./history_builder.ts";
