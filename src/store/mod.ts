/**
 * The store layer of wadeno: everything a linked device must remember, kept safely.
 *
 * - {@linkcode Device} and {@linkcode createDevice}: this device's keys, ids and server-given state.
 * - {@linkcode Backend}: the `SignalStore` of the signal layer plus {@linkcode AppSyncStore},
 *   {@linkcode ProtocolStore} and {@linkcode DeviceStore}, with `flush()` and `close()`.
 * - {@linkcode SqliteStore}: the default backend on `node:sqlite`, with versioned migrations and
 *   write-behind for hot state; {@linkcode MemoryStore}: the same behaviour in memory, for tests.
 * - {@linkcode PostgresStore}: the same on PostgreSQL, for many accounts across processes and hosts
 *   sharing one database, one process per account at a time (a lease); {@linkcode listPostgresDevices}
 *   lists the accounts; {@linkcode copyStore} copies every account between SQLite and PostgreSQL, verified.
 * - {@linkcode importBaileysAuthState} and {@linkcode importWhatsmeowStore}: an account linked with Baileys or
 *   whatsmeow, into any backend, without linking the phone again.
 * - {@linkcode LruTtlCache}: the bounded cache used for device lists and LID↔PN mappings.
 * - {@linkcode StoreError}: every failure, with a `kind` (`corrupt`, `full`, `locked`, ...) and the table
 *   and key involved.
 *
 * @example
 * ```ts
 * import { createDevice, MemoryStore } from "@wadeno/client/store";
 * const store = new MemoryStore();
 * if (!(await store.deviceExists())) await store.saveDevice(createDevice());
 * const device = await store.loadDevice();
 * console.log(device?.registrationId !== undefined); // true
 * await store.close();
 * ```
 *
 * @module
 */

export type {
  AppSyncStore,
  Backend,
  DeviceStore,
  InboxStore,
  ProtocolStore,
  SignalStore,
} from "./backend.ts";
export {
  ADV_SECRET_KEY_LENGTH,
  checkDevice,
  cloneDevice,
  createDevice,
  decodeDevice,
  type Device,
  type DeviceAppVersion,
  encodeDevice,
  isPaired,
  MAX_REGISTRATION_ID,
  type SignedPreKey,
} from "./device.ts";
export { StoreError, type StoreErrorKind, type StoreErrorOptions } from "./errors.ts";
export {
  type AppStateMutationMac,
  type AppStateSyncKey,
  type DeviceListEntry,
  type DeviceListRecord,
  type HashState,
  type IncomingMessageRecord,
  type LidLearningSource,
  type LidPnMappingEntry,
  LTHASH_LENGTH,
  MUTATION_MAC_LENGTH,
  type SignalWriteBatch,
  type TcTokenEntry,
} from "./types.ts";
export {
  type Clock,
  DEVICE_LIST_CACHE,
  LID_PN_CACHE,
  LruTtlCache,
  type LruTtlCacheOptions,
} from "./cache.ts";
export { MemoryStore, type MemoryStoreOptions } from "./memory_store.ts";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite_store.ts";
export type { SqliteSynchronous } from "./sqlite_db.ts";
export { SCHEMA_VERSION } from "./sqlite_schema.ts";
export { PostgresStore, type PostgresStoreOptions } from "./postgres_store.ts";
export type { PostgresSynchronousCommit } from "./postgres_db.ts";
export type { PostgresConnection } from "./postgres_driver.ts";
export { listPostgresDevices, type PostgresDeviceSummary } from "./postgres_devices.ts";
export { PG_SCHEMA_VERSION } from "./postgres_schema.ts";
export {
  baileysAddressToSignal,
  type BaileysImportReport,
  importBaileysAuthState,
} from "./import_baileys.ts";
export {
  importWhatsmeowStore,
  whatsmeowAddressToSignal,
  type WhatsmeowImportOptions,
  type WhatsmeowImportReport,
} from "./import_whatsmeow.ts";
export { type CopyOptions, type CopyReport, copyStore, type StoreLocation } from "./copy.ts";

// Types from other layers that this layer's signatures mention, re-exported so the documentation is whole.
export type { Jid } from "../binary/mod.ts";
export type { KeyPair } from "../crypto/mod.ts";
export type {
  ADVSignedDeviceIdentity,
  AppVersion,
  DeviceProps,
  DevicePropsPlatformType,
  HistorySyncConfig,
  MessageCodec,
  ProtoDecodeError,
  Reader,
  Writer,
} from "../proto/mod.ts";
export type {
  Chain,
  ChainKey,
  MessageKeys,
  PendingPreKey,
  PreKeyRecord,
  SenderKeyExtras,
  SenderKeyRecord,
  SenderKeyState,
  SenderKeyStateFields,
  SenderMessageKeySeed,
  SessionExtras,
  SessionRecord,
  SessionState,
  SessionStateFields,
  SignedPreKeyRecord,
  SkippedMessageKey,
} from "../signal/mod.ts";
export type { Logger, LogLevel } from "../logger.ts";
