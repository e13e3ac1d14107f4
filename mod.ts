/**
 * wadeno: a Deno-native WhatsApp Web client library. A bot links to a phone as a companion device (QR
 * code or pair code) and speaks the real protocol end to end: binary stanzas, the Noise transport with
 * certificate-chain verification, and the Signal protocol, with a SQLite store by default.
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
 * The test server lives at `@wadeno/client/testing` ({@link https://jsr.io/@wadeno/client/doc/testing}).
 *
 * @module
 */

export * from "./src/binary/mod.ts";
export * from "./src/client/mod.ts";
export {
  type AppStateMutationMac,
  type AppStateSyncKey as StoredAppStateSyncKey,
  type AppSyncStore,
  type Backend,
  type Clock,
  createDevice,
  type Device,
  type DeviceAppVersion,
  type DeviceListEntry,
  type DeviceListRecord,
  type DeviceStore,
  type HashState,
  isPaired,
  type LidLearningSource,
  type LidPnMappingEntry,
  LruTtlCache,
  type LruTtlCacheOptions,
  MemoryStore,
  type MemoryStoreOptions,
  type ProtocolStore,
  type SignalStore,
  type SignedPreKey,
  SqliteStore,
  type SqliteStoreOptions,
  type SqliteSynchronous,
  StoreError,
  type StoreErrorKind,
  type StoreErrorOptions,
  type TcTokenEntry,
} from "./src/store/mod.ts";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  type LogSink,
  silentLogger,
} from "./src/logger.ts";
export {
  type Chain,
  type ChainKey,
  type MessageKeys,
  type PendingPreKey as SessionPendingPreKey,
  PreKeyRecord,
  type SenderKeyExtras,
  SenderKeyRecord,
  type SenderKeyState,
  type SenderKeyStateFields,
  type SenderMessageKeySeed,
  type SessionExtras,
  SessionRecord,
  type SessionState,
  type SessionStateFields,
  SignalError,
  type SignalErrorCode,
  SignedPreKeyRecord,
  type SkippedMessageKey,
} from "./src/signal/mod.ts";
export { NoiseError, type NoiseErrorCode } from "./src/noise/mod.ts";
export type { KeyPair } from "./src/crypto/mod.ts";
/** The WhatsApp protobuf schema: every message codec (`Message.encode(...)`) and its type. */
export * from "./src/proto/mod.ts";
