/**
 * `PostgresStore`: a {@linkcode Backend} on PostgreSQL, for many accounts on many processes and hosts
 * sharing one database.
 *
 * - Durability as with SQLite: Signal records, the inbox and the device are write-behind and committed by
 *   {@linkcode PostgresStore.flush} in ONE transaction (or by a timer `flushDelayMs` after the first
 *   unflushed write, or together with the next write-through call); every other method commits at once.
 *   `flush()` resolves after `COMMIT` returned, and with `synchronous_commit = on` (the default) the
 *   server has then written the commit to its WAL on disk.
 * - One process per device: opening takes the device's lease (a session-level advisory lock); a second
 *   opener gets `StoreError` kind `leased`, and a crashed holder's lease is free as soon as PostgreSQL sees
 *   its connection close. See postgres_db.ts for why a lock and not a lease row.
 * - One connection per open device. Size `max_connections` (or a session-mode pooler) for the number of
 *   devices open at once, plus what else uses the server.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import type { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { AppSyncCore } from "./app_sync_core.ts";
import type { Backend } from "./backend.ts";
import type { Clock } from "./cache.ts";
import type { Device } from "./device.ts";
import { closedError } from "./errors.ts";
import { postgresAppSyncSql } from "./postgres_app_sync.ts";
import { PostgresDb, type PostgresSynchronousCommit, type Querier } from "./postgres_db.ts";
import { listPostgresDevices, type PostgresDeviceSummary } from "./postgres_devices.ts";
import { PostgresJournal } from "./postgres_journal.ts";
import { type PostgresConnection, toStoreError } from "./postgres_driver.ts";
import { postgresProtocolSql } from "./postgres_protocol.ts";
import { LOCK_NAMESPACE, SCHEMA_LOCK_KEY } from "./postgres_schema.ts";
import { PostgresSignalState } from "./postgres_signal.ts";
import { ProtocolCore } from "./protocol_core.ts";
import type {
  AppStateMutationMac,
  AppStateSyncKey,
  DeviceListRecord,
  HashState,
  IncomingMessageRecord,
  LidPnMappingEntry,
  SignalWriteBatch,
  TcTokenEntry,
} from "./types.ts";
import { checkInt } from "./validate.ts";
import { checkWriteBehindOptions, WRITE_BEHIND_DEFAULTS } from "./write_behind.ts";
import { WriteBehindFacade } from "./write_behind_facade.ts";

/** Options for {@linkcode PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** The account to open (created if missing), 1..2^31-1. Default 1. */
  deviceId?: number;
  /** The connection's `synchronous_commit`. Default `on`: a flush is on the server's disk when it resolves. */
  synchronousCommit?: PostgresSynchronousCommit;
  /** How long a statement waits for a lock before failing with `locked`. Default 5,000 ms. */
  lockTimeoutMs?: number;
  /**
   * How long `open` waits for a device leased by another process before failing with `leased`. Default 0
   * (fail at once). A few seconds lets a restarted process take over from its crashed predecessor whose
   * connection the server has not yet seen close.
   */
  leaseTimeoutMs?: number;
  /** How long to wait for the TCP connection. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** The longest a write-behind write waits for an automatic flush; `Infinity` turns the timer off. Default 1,000. */
  flushDelayMs?: number;
  /** Clean records kept in memory per hot table (sessions, identities, sender keys). Default 4,096. */
  cacheSize?: number;
  /** Milliseconds clock for timestamps the store assigns and for cache expiry. Default `Date.now`. */
  clock?: Clock;
  /** Receives flush failures (error) and completed flushes (debug). */
  logger?: Logger;
}

const DEFAULTS = {
  deviceId: 1,
  lockTimeoutMs: 5_000,
  leaseTimeoutMs: 0,
  connectTimeoutMs: 10_000,
  ...WRITE_BEHIND_DEFAULTS,
};
const MAX_DEVICE_ID = 0x7fff_ffff;

/**
 * A {@linkcode Backend} on a PostgreSQL database.
 *
 * @example
 * ```ts
 * import { createDevice, PostgresStore } from "@wadeno/client/store";
 * export async function example() {
 *   const store = await PostgresStore.open("postgres://bot@db.internal/wadeno", { deviceId: 7 });
 *   if (!(await store.deviceExists())) await store.saveDevice(createDevice());
 *   await store.flush(); // committed on the server
 *   await store.close(); // releases the device's lease
 * }
 * ```
 */
export class PostgresStore implements Backend {
  /** The account this store reads and writes. */
  readonly deviceId: number;
  readonly #connection: PostgresConnection;
  readonly #options: PostgresStoreOptions;
  readonly #db: PostgresDb;
  readonly #signal: PostgresSignalState;
  readonly #appSync: AppSyncCore;
  readonly #protocol: ProtocolCore;
  readonly #hot: WriteBehindFacade;
  readonly #journal: PostgresJournal;
  #closed = false;

  private constructor(
    connection: PostgresConnection,
    db: PostgresDb,
    options: PostgresStoreOptions,
    deviceId: number,
  ) {
    this.deviceId = deviceId;
    this.#connection = connection;
    this.#options = options;
    this.#db = db;
    const run = <T>(fn: (q: Querier) => Promise<T>) => db.run(fn);
    this.#signal = new PostgresSignalState(deviceId, run, options.cacheSize ?? DEFAULTS.cacheSize);
    this.#journal = new PostgresJournal(db, this.#signal, {
      flushDelayMs: options.flushDelayMs ?? DEFAULTS.flushDelayMs,
      logger: options.logger,
    });
    const context = this.#journal.context(deviceId, options.clock ?? Date.now);
    this.#appSync = new AppSyncCore(postgresAppSyncSql(context));
    this.#protocol = new ProtocolCore(postgresProtocolSql(context), context.clock);
    this.#hot = new WriteBehindFacade(this.#signal, {
      live: () => {
        if (this.#closed) throw closedError();
      },
      dirtied: () => this.#journal.scheduler.schedule(),
      clock: context.clock,
    });
  }

  /**
   * Connects, migrates the schema if needed, and opens one account (created if missing), taking its lease.
   *
   * @throws {StoreError} `leased` (another process has the device), `schema_too_new`, `migration_failed`,
   * `io` (server unreachable, authentication failed), or `invalid_input` for bad options.
   *
   * @example
   * ```ts
   * import { Client, PostgresStore } from "@wadeno/client";
   * export async function example(deviceId: number) {
   *   const store = await PostgresStore.open("postgres://bot@db.internal/wadeno", { deviceId });
   *   const client = await Client.create({ store }); // one process per account: the store holds its lease
   *   await client.connect();
   * }
   * ```
   */
  static async open(
    connection: PostgresConnection,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresStore> {
    const deviceId = checkInt("device", "deviceId", options.deviceId ?? DEFAULTS.deviceId, 1, MAX_DEVICE_ID);
    checkWriteBehindOptions(options);
    for (const name of ["lockTimeoutMs", "leaseTimeoutMs", "connectTimeoutMs"] as const) {
      checkInt("device", name, options[name] ?? DEFAULTS[name], 0, 2_147_483_647);
    }
    const db = await PostgresDb.open(connection, deviceId, {
      synchronousCommit: options.synchronousCommit ?? "on",
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
      leaseTimeoutMs: options.leaseTimeoutMs ?? DEFAULTS.leaseTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    });
    return new PostgresStore(connection, db, options, deviceId);
  }

  /**
   * Every account in the database with what an operator needs to tell them apart, without leasing any:
   * see {@linkcode PostgresDeviceSummary}.
   *
   * @example
   * ```ts
   * import { PostgresStore } from "@wadeno/client";
   * export async function example() {
   *   const idle = (await PostgresStore.listDevices("postgres://bot@db.internal/wadeno")).filter((d) => !d.leased);
   *   console.log(idle.map((d) => d.deviceId));
   * }
   * ```
   */
  static listDevices(connection: PostgresConnection): Promise<PostgresDeviceSummary[]> {
    return listPostgresDevices(connection);
  }

  /**
   * Opens another account in the same database with the same options.
   *
   * @example
   * ```ts
   * import { PostgresStore } from "@wadeno/client";
   * export async function example() {
   *   await using first = await PostgresStore.open("postgres://bot@db.internal/wadeno", { deviceId: 1 });
   *   await using second = await first.openDevice(2); // its own lease
   *   console.log(first.deviceId, second.deviceId); // 1 2
   * }
   * ```
   */
  openDevice(deviceId: number): Promise<PostgresStore> {
    return PostgresStore.open(this.#connection, { ...this.#options, deviceId });
  }

  /** The number of write-behind writes not yet committed. */
  get pendingWrites(): number {
    return this.#signal.dirtyCount;
  }

  // --- plumbing --------------------------------------------------------------------------------------

  /** {@inheritDoc Backend.flush} */
  flush(): Promise<void> {
    return this.#hot.op(() => this.#journal.scheduler.flushNow());
  }

  /**
   * {@inheritDoc Backend.close}
   *
   * The connection (and with it the lease) is released even when the final flush fails; the promise then
   * rejects with that failure, and the writes it names are lost.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const failure = await this.#journal.scheduler.finalFlush((e) => toStoreError(e, "final flush"));
    this.#journal.scheduler.cancel();
    await this.#db.close();
    if (failure) throw failure;
  }

  /** Closes the store (`await using store = await PostgresStore.open(...)`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- SignalStore (write-behind) --------------------------------------------------------------------

  /** {@inheritDoc SignalStore.loadIdentity} */
  loadIdentity(address: string): Promise<Uint8Array | undefined> {
    return this.#hot.loadIdentity(address);
  }

  /** {@inheritDoc SignalStore.loadIdentities} */
  loadIdentities(addresses: readonly string[]): Promise<Map<string, Uint8Array>> {
    return this.#hot.loadIdentities(addresses);
  }

  /** {@inheritDoc SignalStore.saveIdentity} */
  saveIdentity(address: string, identityKey: Uint8Array): Promise<void> {
    return this.#hot.saveIdentity(address, identityKey);
  }

  /** Deletes the identity key of a remote address (write-behind). */
  deleteIdentity(address: string): Promise<void> {
    return this.#hot.deleteIdentity(address);
  }

  /** {@inheritDoc SignalStore.loadSession} */
  loadSession(address: string): Promise<SessionRecord | undefined> {
    return this.#hot.loadSession(address);
  }

  /** {@inheritDoc SignalStore.loadSessions} */
  loadSessions(addresses: readonly string[]): Promise<Map<string, SessionRecord>> {
    return this.#hot.loadSessions(addresses);
  }

  /** {@inheritDoc SignalStore.storeSession} */
  storeSession(address: string, record: SessionRecord): Promise<void> {
    return this.#hot.storeSession(address, record);
  }

  /** {@inheritDoc SignalStore.storeSessions} */
  storeSessions(entries: Iterable<readonly [string, SessionRecord]>): Promise<void> {
    return this.#hot.storeSessions(entries);
  }

  /** {@inheritDoc SignalStore.deleteSession} */
  deleteSession(address: string): Promise<void> {
    return this.#hot.deleteSession(address);
  }

  /** {@inheritDoc SignalStore.loadPreKey} */
  loadPreKey(id: number): Promise<PreKeyRecord | undefined> {
    return this.#hot.loadPreKey(id);
  }

  /** {@inheritDoc SignalStore.storePreKeys} */
  storePreKeys(records: readonly PreKeyRecord[]): Promise<void> {
    return this.#hot.storePreKeys(records);
  }

  /** {@inheritDoc SignalStore.removePreKey} */
  removePreKey(id: number): Promise<void> {
    return this.#hot.removePreKey(id);
  }

  /** {@inheritDoc SignalStore.loadSignedPreKey} */
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.#hot.loadSignedPreKey(id);
  }

  /** {@inheritDoc SignalStore.storeSignedPreKey} */
  storeSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    return this.#hot.storeSignedPreKey(record);
  }

  /** {@inheritDoc SignalStore.loadSenderKey} */
  loadSenderKey(name: string): Promise<SenderKeyRecord | undefined> {
    return this.#hot.loadSenderKey(name);
  }

  /** {@inheritDoc SignalStore.storeSenderKey} */
  storeSenderKey(name: string, record: SenderKeyRecord): Promise<void> {
    return this.#hot.storeSenderKey(name, record);
  }

  /** Deletes a sender-key record (write-behind). */
  deleteSenderKey(name: string): Promise<void> {
    return this.#hot.deleteSenderKey(name);
  }

  // --- DeviceStore ---------------------------------------------------------------------------------

  /** {@inheritDoc DeviceStore.loadDevice} */
  loadDevice(): Promise<Device | undefined> {
    return this.#hot.loadDevice();
  }

  /** {@inheritDoc DeviceStore.saveDevice} */
  saveDevice(device: Device): Promise<void> {
    return this.#hot.saveDevice(device);
  }

  /** {@inheritDoc DeviceStore.deviceExists} */
  deviceExists(): Promise<boolean> {
    return this.#hot.deviceExists();
  }

  /** {@inheritDoc DeviceStore.deleteDevice} */
  deleteDevice(): Promise<void> {
    return this.#hot.op(() =>
      this.#db.transaction(async (q) => {
        try {
          // The cascade removes every row of the account; the empty row keeps the id and the lease epoch.
          await q.query("DELETE FROM wadeno_device WHERE device_id = $1", [this.deviceId]);
          await q.query("INSERT INTO wadeno_device (device_id, lease_epoch) VALUES ($1, $2)", [
            this.deviceId,
            this.#db.epoch,
          ]);
        } catch (e) {
          throw toStoreError(e, "deleting the account", "device", String(this.deviceId));
        }
      }).then(() => {
        this.#journal.scheduler.cancel();
        this.#signal.reset();
        this.#protocol.reset();
      })
    );
  }

  /** {@inheritDoc DeviceStore.listDeviceIds} */
  listDeviceIds(): Promise<number[]> {
    return this.#hot.op(() =>
      this.#journal.read(
        async (q) =>
          (await q.query("SELECT device_id FROM wadeno_device ORDER BY device_id")).rows.map((r) =>
            Number(r.device_id)
          ),
        "device",
      )
    );
  }

  /** Every account in this store's database, as {@linkcode PostgresStore.listDevices} lists them. */
  listDevices(): Promise<PostgresDeviceSummary[]> {
    return this.#hot.op(() => listPostgresDevices(this.#connection));
  }

  /** {@inheritDoc DeviceStore.createDeviceId} */
  createDeviceId(): Promise<number> {
    return this.#hot.op(() =>
      this.#journal.write(
        async (q) => {
          // Ids are max + 1 under the schema lock, so explicit ids (open({ deviceId })) never collide.
          await q.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, SCHEMA_LOCK_KEY]);
          const r = await q.query(
            "INSERT INTO wadeno_device (device_id) SELECT COALESCE(max(device_id), 0) + 1 FROM wadeno_device " +
              "RETURNING device_id",
          );
          return Number(r.rows[0].device_id);
        },
        "device",
        undefined,
        true,
      )
    );
  }

  // --- AppSyncStore --------------------------------------------------------------------------------

  /** {@inheritDoc AppSyncStore.getSyncKey} */
  getSyncKey(keyId: Uint8Array): Promise<AppStateSyncKey | undefined> {
    return this.#hot.op(() => this.#appSync.getSyncKey(keyId));
  }

  /** {@inheritDoc AppSyncStore.setSyncKey} */
  setSyncKey(keyId: Uint8Array, key: AppStateSyncKey): Promise<void> {
    return this.#hot.op(() => this.#appSync.setSyncKey(keyId, key));
  }

  /** {@inheritDoc AppSyncStore.getLatestSyncKeyId} */
  getLatestSyncKeyId(): Promise<Uint8Array | undefined> {
    return this.#hot.op(() => this.#appSync.getLatestSyncKeyId());
  }

  /** {@inheritDoc AppSyncStore.getAppStateVersion} */
  getAppStateVersion(name: string): Promise<HashState> {
    return this.#hot.op(() => this.#appSync.getAppStateVersion(name));
  }

  /** {@inheritDoc AppSyncStore.setAppStateVersion} */
  setAppStateVersion(name: string, state: HashState): Promise<void> {
    return this.#hot.op(() => this.#appSync.setAppStateVersion(name, state));
  }

  /** {@inheritDoc AppSyncStore.deleteAppStateVersion} */
  deleteAppStateVersion(name: string): Promise<void> {
    return this.#hot.op(() => this.#appSync.deleteAppStateVersion(name));
  }

  /** {@inheritDoc AppSyncStore.putMutationMacs} */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): Promise<void> {
    return this.#hot.op(() => this.#appSync.putMutationMacs(name, version, macs));
  }

  /** {@inheritDoc AppSyncStore.getMutationMac} */
  getMutationMac(name: string, indexMac: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#hot.op(() => this.#appSync.getMutationMac(name, indexMac));
  }

  /** {@inheritDoc AppSyncStore.deleteMutationMacs} */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): Promise<void> {
    return this.#hot.op(() => this.#appSync.deleteMutationMacs(name, indexMacs));
  }

  // --- ProtocolStore -------------------------------------------------------------------------------

  /** {@inheritDoc ProtocolStore.getSkdmRecipients} */
  getSkdmRecipients(groupJid: string): Promise<string[]> {
    return this.#hot.op(() => this.#protocol.getSkdmRecipients(groupJid));
  }

  /** {@inheritDoc ProtocolStore.addSkdmRecipients} */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): Promise<void> {
    return this.#hot.op(() => this.#protocol.addSkdmRecipients(groupJid, deviceJids));
  }

  /** {@inheritDoc ProtocolStore.clearSkdmRecipients} */
  clearSkdmRecipients(groupJid: string): Promise<void> {
    return this.#hot.op(() => this.#protocol.clearSkdmRecipients(groupJid));
  }

  /** {@inheritDoc ProtocolStore.getLidMapping} */
  getLidMapping(lid: string): Promise<LidPnMappingEntry | undefined> {
    return this.#hot.op(() => this.#protocol.getLidMapping(lid));
  }

  /** {@inheritDoc ProtocolStore.getPnMapping} */
  getPnMapping(phoneNumber: string): Promise<LidPnMappingEntry | undefined> {
    return this.#hot.op(() => this.#protocol.getPnMapping(phoneNumber));
  }

  /** {@inheritDoc ProtocolStore.putLidMapping} */
  putLidMapping(entry: LidPnMappingEntry): Promise<void> {
    return this.#hot.op(() => this.#protocol.putLidMapping(entry));
  }

  /** {@inheritDoc ProtocolStore.getAllLidMappings} */
  getAllLidMappings(): Promise<LidPnMappingEntry[]> {
    return this.#hot.op(() => this.#protocol.getAllLidMappings());
  }

  /** {@inheritDoc ProtocolStore.saveBaseKey} */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): Promise<void> {
    return this.#hot.op(() => this.#protocol.saveBaseKey(address, messageId, baseKey));
  }

  /** {@inheritDoc ProtocolStore.hasSameBaseKey} */
  hasSameBaseKey(address: string, messageId: string, currentBaseKey: Uint8Array): Promise<boolean> {
    return this.#hot.op(() => this.#protocol.hasSameBaseKey(address, messageId, currentBaseKey));
  }

  /** {@inheritDoc ProtocolStore.deleteBaseKey} */
  deleteBaseKey(address: string, messageId: string): Promise<void> {
    return this.#hot.op(() => this.#protocol.deleteBaseKey(address, messageId));
  }

  /** {@inheritDoc ProtocolStore.updateDeviceList} */
  updateDeviceList(record: DeviceListRecord): Promise<void> {
    return this.#hot.op(() => this.#protocol.updateDeviceList(record));
  }

  /** {@inheritDoc ProtocolStore.getDevices} */
  getDevices(user: string): Promise<DeviceListRecord | undefined> {
    return this.#hot.op(() => this.#protocol.getDevices(user));
  }

  /** {@inheritDoc ProtocolStore.deleteDeviceList} */
  deleteDeviceList(user: string): Promise<void> {
    return this.#hot.op(() => this.#protocol.deleteDeviceList(user));
  }

  /** {@inheritDoc ProtocolStore.markForgetSenderKey} */
  markForgetSenderKey(groupJid: string, participant: string): Promise<void> {
    return this.#hot.op(() => this.#protocol.markForgetSenderKey(groupJid, participant));
  }

  /** {@inheritDoc ProtocolStore.consumeForgetMarks} */
  consumeForgetMarks(groupJid: string): Promise<string[]> {
    return this.#hot.op(() => this.#protocol.consumeForgetMarks(groupJid));
  }

  /** {@inheritDoc ProtocolStore.getTcToken} */
  getTcToken(jid: string): Promise<TcTokenEntry | undefined> {
    return this.#hot.op(() => this.#protocol.getTcToken(jid));
  }

  /** {@inheritDoc ProtocolStore.putTcToken} */
  putTcToken(jid: string, entry: TcTokenEntry): Promise<void> {
    return this.#hot.op(() => this.#protocol.putTcToken(jid, entry));
  }

  /** {@inheritDoc ProtocolStore.deleteTcToken} */
  deleteTcToken(jid: string): Promise<void> {
    return this.#hot.op(() => this.#protocol.deleteTcToken(jid));
  }

  /** {@inheritDoc ProtocolStore.getAllTcTokenJids} */
  getAllTcTokenJids(): Promise<string[]> {
    return this.#hot.op(() => this.#protocol.getAllTcTokenJids());
  }

  /** {@inheritDoc ProtocolStore.deleteExpiredTcTokens} */
  deleteExpiredTcTokens(cutoff: number): Promise<number> {
    return this.#hot.op(() => this.#protocol.deleteExpiredTcTokens(cutoff));
  }

  /** {@inheritDoc ProtocolStore.storeSentMessage} */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): Promise<void> {
    return this.#hot.op(() => this.#protocol.storeSentMessage(chatJid, messageId, payload));
  }

  /** {@inheritDoc ProtocolStore.takeSentMessage} */
  takeSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined> {
    return this.#hot.op(() => this.#protocol.takeSentMessage(chatJid, messageId));
  }

  /** {@inheritDoc ProtocolStore.getSentMessage} */
  getSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined> {
    return this.#hot.op(() => this.#protocol.getSentMessage(chatJid, messageId));
  }

  /** {@inheritDoc ProtocolStore.deleteExpiredSentMessages} */
  deleteExpiredSentMessages(cutoff: number): Promise<number> {
    return this.#hot.op(() => this.#protocol.deleteExpiredSentMessages(cutoff));
  }

  /** {@inheritDoc ProtocolStore.putMessageSecret} */
  putMessageSecret(chatJid: string, senderJid: string, messageId: string, secret: Uint8Array): Promise<void> {
    return this.#hot.op(() => this.#protocol.putMessageSecret(chatJid, senderJid, messageId, secret));
  }

  /** {@inheritDoc ProtocolStore.getMessageSecret} */
  getMessageSecret(chatJid: string, senderJid: string, messageId: string): Promise<Uint8Array | undefined> {
    return this.#hot.op(() => this.#protocol.getMessageSecret(chatJid, senderJid, messageId));
  }

  /** {@inheritDoc ProtocolStore.deleteExpiredMessageSecrets} */
  deleteExpiredMessageSecrets(cutoff: number): Promise<number> {
    return this.#hot.op(() => this.#protocol.deleteExpiredMessageSecrets(cutoff));
  }

  // --- InboxStore ------------------------------------------------------------------------------------

  /**
   * {@inheritDoc InboxStore.commitIncoming}
   *
   * The writes and the entry go into the write-behind journal in one synchronous step, and a flush
   * snapshots the whole journal in one synchronous step and commits it in one transaction, so no commit
   * holds one without the other.
   */
  commitIncoming(record: Omit<IncomingMessageRecord, "receivedAt">, writes: SignalWriteBatch): Promise<void> {
    return this.#hot.commitIncoming(record, writes);
  }

  /** {@inheritDoc InboxStore.completeIncoming} */
  completeIncoming(key: string): Promise<void> {
    return this.#hot.completeIncoming(key);
  }

  /** {@inheritDoc InboxStore.pendingIncoming} */
  pendingIncoming(): Promise<IncomingMessageRecord[]> {
    return this.#hot.pendingIncoming();
  }
}
