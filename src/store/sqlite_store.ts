/**
 * `SqliteStore`: the default {@linkcode Backend}, on `node:sqlite` (SQLite built into Deno).
 *
 * - Pragmas: WAL, `busy_timeout` (5 s by default), `synchronous = NORMAL` by default (as the reference
 *   library configures it), `foreign_keys = ON`. With WAL, `NORMAL` makes a flushed write survive a killed
 *   or crashed process (the guarantee the crash test checks); only `FULL` (an fsync of the WAL per commit)
 *   also survives power loss or an OS crash. Losing the last commits to a power cut costs at most some
 *   Signal state, which WhatsApp's retry receipts re-establish; pass `synchronous: "FULL"` when that is
 *   not acceptable. Write-behind batches hot writes into one commit per flush; in bench/store.bench.ts a
 *   burst of 1,000 session updates over 50 peers plus the flush takes about 0.7 ms with `NORMAL` and
 *   1.1 ms with `FULL` (one fsync is about 0.3-0.4 ms on the measuring machine).
 * - Write-behind: Signal records and the device are held in memory and committed together by
 *   {@linkcode SqliteStore.flush}, by a timer `flushDelayMs` after the first unflushed write, or by the
 *   next write-through call (every other method commits at once, together with whatever is pending, so
 *   writes reach the disk in the order they were made; if the pending writes cannot be written, e.g. on a
 *   full disk, the call commits alone and they stay pending for the next flush to retry and report).
 * - Several accounts may share one file (every row carries a `device_id`); open one store per account.
 *   Caches assume no other connection writes the same account's rows.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import type { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { AppSyncCore } from "./app_sync_core.ts";
import type { Backend } from "./backend.ts";
import type { Clock } from "./cache.ts";
import type { Device } from "./device.ts";
import { closedError, StoreError } from "./errors.ts";
import { ProtocolCore } from "./protocol_core.ts";
import { sqliteAppSyncSql } from "./sqlite_app_sync.ts";
import { SqliteDb, type SqliteSynchronous, toStoreError } from "./sqlite_db.ts";
import { SqliteJournal } from "./sqlite_journal.ts";
import { sqliteProtocolSql } from "./sqlite_protocol.ts";
import { SqliteSignalState } from "./sqlite_signal.ts";
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
import { checkInt, checkKey } from "./validate.ts";
import { checkWriteBehindOptions, WRITE_BEHIND_DEFAULTS } from "./write_behind.ts";
import { WriteBehindFacade } from "./write_behind_facade.ts";

/** Options for {@linkcode SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** The account to open (created if missing). Default 1. */
  deviceId?: number;
  /** Durability of a commit; see {@linkcode SqliteSynchronous}. Default `NORMAL`. */
  synchronous?: SqliteSynchronous;
  /** How long a call waits for another connection's lock before failing with `locked`. Default 5,000 ms. */
  busyTimeoutMs?: number;
  /**
   * The longest a write-behind write waits for an automatic flush, in milliseconds. Default 1,000.
   * `Infinity` turns the timer off: only `flush()`, `close()` and write-through calls commit.
   */
  flushDelayMs?: number;
  /** Clean records kept in memory per hot table (sessions, identities, sender keys). Default 4,096. */
  cacheSize?: number;
  /** Milliseconds clock for timestamps the store assigns and for cache expiry. Default `Date.now`. */
  clock?: Clock;
  /** Receives flush failures (error) and completed flushes (debug). */
  logger?: Logger;
  /**
   * Extra `PRAGMA name = value` settings applied after the defaults, e.g. `{ cache_size: -8000 }` or
   * `{ max_page_count: 262144 }` to cap the file size (a write past the cap fails with kind `full`).
   */
  pragmas?: Readonly<Record<string, number | string>>;
}

const DEFAULTS = { deviceId: 1, busyTimeoutMs: 5_000, ...WRITE_BEHIND_DEFAULTS };

/**
 * A {@linkcode Backend} on a SQLite file.
 *
 * @example
 * ```ts
 * import { createDevice, SqliteStore } from "@wadeno/client/store";
 * // A file path in real use ("wadeno.db"); ":memory:" keeps this example off the disk.
 * const store = await SqliteStore.open(":memory:");
 * if (!(await store.deviceExists())) await store.saveDevice(createDevice());
 * await store.flush(); // durable now
 * (await store.loadDevice())?.registrationId !== undefined; // true
 * await store.close();
 * ```
 */
export class SqliteStore implements Backend {
  /** The database file. */
  readonly path: string;
  /** The account this store reads and writes. */
  readonly deviceId: number;
  readonly #options: SqliteStoreOptions;
  readonly #db: SqliteDb;
  readonly #signal: SqliteSignalState;
  readonly #appSync: AppSyncCore;
  readonly #protocol: ProtocolCore;
  readonly #hot: WriteBehindFacade;
  readonly #journal: SqliteJournal;
  #closed = false;

  private constructor(path: string, db: SqliteDb, options: SqliteStoreOptions, deviceId: number) {
    this.path = path;
    this.deviceId = deviceId;
    this.#options = options;
    this.#db = db;
    this.#signal = new SqliteSignalState(db, deviceId, options.cacheSize ?? DEFAULTS.cacheSize);
    this.#journal = new SqliteJournal(db, this.#signal, {
      flushDelayMs: options.flushDelayMs ?? DEFAULTS.flushDelayMs,
      logger: options.logger,
    });
    const context = this.#journal.context(deviceId, options.clock ?? Date.now);
    this.#appSync = new AppSyncCore(sqliteAppSyncSql(context));
    this.#protocol = new ProtocolCore(sqliteProtocolSql(context), context.clock);
    this.#hot = new WriteBehindFacade(this.#signal, {
      live: () => {
        if (this.#closed) throw closedError();
      },
      dirtied: () => this.#journal.scheduler.schedule(),
      clock: context.clock,
    });
  }

  /**
   * Opens (creating if needed) the database at `path` for one account, migrating an older schema.
   *
   * @throws {StoreError} `schema_too_new`, `migration_failed`, `corrupt` (not a SQLite file or not this
   * store's), `locked`, `io`, or `invalid_input` for bad options.
   *
   * @example
   * ```ts
   * import { Client, SqliteStore } from "@wadeno/client";
   * export async function example() {
   *   const client = await Client.create({ store: await SqliteStore.open("bot.db") });
   *   await client.connect();
   * }
   * ```
   */
  static open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    try {
      checkKey("device", "path", path);
      const deviceId = checkInt(
        "device",
        "deviceId",
        options.deviceId ?? DEFAULTS.deviceId,
        1,
        Number.MAX_SAFE_INTEGER,
      );
      checkWriteBehindOptions(options);
      const synchronous = options.synchronous ?? "NORMAL";
      if (synchronous !== "FULL" && synchronous !== "NORMAL") {
        throw new StoreError(
          "invalid_input",
          `synchronous: expected FULL or NORMAL, got ${String(synchronous)}`,
        );
      }
      const db = SqliteDb.open(path, {
        busyTimeoutMs: options.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs,
        synchronous,
        pragmas: options.pragmas,
      });
      try {
        db.transaction(() =>
          db.run("INSERT OR IGNORE INTO device (device_id, data) VALUES (?, NULL)", deviceId)
        );
      } catch (e) {
        db.close();
        throw toStoreError(e, "creating the device row", "device", String(deviceId));
      }
      return Promise.resolve(new SqliteStore(path, db, options, deviceId));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Opens another account in the same file with the same options.
   *
   * @example
   * ```ts
   * import { SqliteStore } from "@wadeno/client";
   * export async function example() {
   *   await using first = await SqliteStore.open("bots.db"); // account 1
   *   await using second = await first.openDevice(2); // another account, same file
   *   console.log(first.deviceId, second.deviceId); // 1 2
   * }
   * ```
   */
  openDevice(deviceId: number): Promise<SqliteStore> {
    return SqliteStore.open(this.path, { ...this.#options, deviceId });
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
   * The connection is released even when the final flush fails; the promise then rejects with that
   * failure, and the writes it names are lost.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const failure = this.#journal.scheduler.finalFlush((e) => toStoreError(e, "final flush"));
    this.#closed = true;
    this.#db.close();
    return Promise.resolve(failure).then((error) => {
      if (error) throw error;
    });
  }

  /** Closes the store (`await using store = await SqliteStore.open(...)`). */
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
    return this.#hot.op(() => {
      const db = this.#db;
      try {
        // The cascade removes every row of the account; the empty device row keeps the id reserved.
        db.transaction(() => {
          db.run("DELETE FROM device WHERE device_id = ?", this.deviceId);
          db.run("INSERT INTO device (device_id, data) VALUES (?, NULL)", this.deviceId);
        });
      } catch (e) {
        throw toStoreError(e, "deleting the account", "device", String(this.deviceId));
      }
      this.#journal.scheduler.cancel();
      this.#signal.reset();
      this.#protocol.reset();
    });
  }

  /** {@inheritDoc DeviceStore.listDeviceIds} */
  listDeviceIds(): Promise<number[]> {
    return this.#hot.op(() => {
      return this.#journal.read(
        () => this.#db.all("SELECT device_id FROM device ORDER BY device_id").map((r) => Number(r.device_id)),
        "device",
      );
    });
  }

  /** {@inheritDoc DeviceStore.createDeviceId} */
  createDeviceId(): Promise<number> {
    return this.#hot.op(() => {
      return this.#journal.write(
        () => Number(this.#db.prepare("INSERT INTO device (data) VALUES (NULL)").run().lastInsertRowid),
        "device",
      );
    });
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
   * commits the whole journal in one transaction, so no commit holds one without the other.
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
