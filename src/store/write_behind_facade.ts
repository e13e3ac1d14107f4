/**
 * The write-behind methods of the two SQL stores, written once: the Signal records, the durable inbox and
 * the device save. Each checks its arguments, reads or writes the hot tables, hands out private copies of
 * key bytes, and arms the flush timer after a write.
 *
 * It works over {@linkcode WriteBehindState}, which SQLite's synchronous `HotTable`s and PostgreSQL's
 * `AsyncHotTable`s both satisfy. Reads chain with `andThen`, so on SQLite a method's whole body runs
 * before it returns; writes only touch the pending sets, which is synchronous on both. So
 * `commitIncoming` registers all of a message's writes in one synchronous step on either backend.
 *
 * @module
 */

import { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Clock } from "./cache.ts";
import { checkDevice, type Device } from "./device.ts";
import { IDENTITY_KEY_LENGTH, INCOMING, type IncomingRow } from "./signal_tables.ts";
import type { IncomingMessageRecord, SignalWriteBatch } from "./types.ts";
import { checkArray, checkBytes, checkId, checkIncoming, checkKey, checkRecord } from "./validate.ts";

/** One hot table as the facade uses it: reads may answer at once or later, writes are pending at once. */
export interface PendingTable<K, V> {
  /** The newest value of `key`. */
  get(key: K): Awaitable<V | undefined>;
  /** The newest values of `keys`; absent keys are absent from the map. */
  getMany(keys: readonly K[]): Awaitable<Map<K, V>>;
  /** Records a write (pending until the next flush). */
  set(key: K, value: V): void;
  /** Records a deletion (pending until the next flush). */
  delete(key: K): void;
}

/** The write-behind state of one account: what `SqliteSignalState` and `PostgresSignalState` offer. */
export interface WriteBehindState {
  /** Remote identity keys by address. */
  readonly identities: PendingTable<string, Uint8Array>;
  /** Session records by address. */
  readonly sessions: PendingTable<string, SessionRecord>;
  /** One-time prekeys by id. */
  readonly preKeys: PendingTable<number, PreKeyRecord>;
  /** Signed prekeys by id. */
  readonly signedPreKeys: PendingTable<number, SignedPreKeyRecord>;
  /** Sender-key records by name. */
  readonly senderKeys: PendingTable<string, SenderKeyRecord>;
  /** The durable inbox. */
  readonly incoming: PendingTable<string, IncomingRow>;
  /**
   * Makes {@linkcode WriteBehindState.nextIncomingSeq} answerable (reads the highest stored sequence
   * number once). A failed read is a `StoreError` naming the message `key`.
   */
  prepareIncomingSeq(key: string): Awaitable<void>;
  /** The next inbox sequence number; synchronous once prepared. */
  nextIncomingSeq(): number;
  /** Every inbox entry, stored or pending, oldest first. */
  allIncoming(): Awaitable<Array<[string, IncomingRow]>>;
  /** The newest device (a copy), or `undefined` when none was saved. Failed reads are `StoreError`s. */
  loadDevice(): Awaitable<Device | undefined>;
  /** True when a device was saved. Failed reads are `StoreError`s. */
  deviceExists(): Awaitable<boolean>;
  /** Records a device save (a copy), written at the next flush. */
  saveDevice(device: Device): void;
}

/** What the facade needs from its store. */
export interface FacadeHooks {
  /** Throws `StoreError` `closed` once the store is closed. */
  live(): void;
  /** A write became pending: arm the flush timer. */
  dirtied(): void;
  /** Milliseconds clock for `receivedAt`. */
  clock: Clock;
}

/** The Signal, inbox and device-save methods of a write-behind store; see the module doc. */
export class WriteBehindFacade {
  readonly #s: WriteBehindState;
  readonly #h: FacadeHooks;

  /** Binds to a store's state and hooks. */
  constructor(state: WriteBehindState, hooks: FacadeHooks) {
    this.#s = state;
    this.#h = hooks;
  }

  /**
   * Runs a call of the store (any of its methods, not only these) on the open store: what `fn` throws,
   * `closed` included, becomes a rejection; what it returns, a promise.
   */
  op<T>(fn: () => Awaitable<T>): Promise<T> {
    try {
      this.#h.live();
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Runs a write: `fn` records it, then the flush timer is armed. */
  #write(fn: () => void): Promise<void> {
    return this.op(() => {
      fn();
      this.#h.dirtied();
    });
  }

  /** See `SignalStore.loadIdentity`; a copy of the key. */
  loadIdentity(address: string): Promise<Uint8Array | undefined> {
    return this.op(() => {
      checkKey("identities", "address", address);
      return andThen(this.#s.identities.get(address), (key) => key?.slice());
    });
  }

  /** See `SignalStore.loadIdentities`; copies of the keys. */
  loadIdentities(addresses: readonly string[]): Promise<Map<string, Uint8Array>> {
    return this.op(() => {
      checkArray("identities", "addresses", addresses, (a) => checkKey("identities", "address", a));
      return andThen(this.#s.identities.getMany(addresses), (found) => {
        for (const [k, v] of found) found.set(k, v.slice());
        return found;
      });
    });
  }

  /** See `SignalStore.saveIdentity`; keeps a copy of the key. */
  saveIdentity(address: string, identityKey: Uint8Array): Promise<void> {
    return this.#write(() => {
      checkKey("identities", "address", address);
      checkBytes("identities", "identityKey", identityKey, IDENTITY_KEY_LENGTH);
      this.#s.identities.set(address, identityKey.slice());
    });
  }

  /** See `Backend.deleteIdentity`. */
  deleteIdentity(address: string): Promise<void> {
    return this.#write(() => {
      checkKey("identities", "address", address);
      this.#s.identities.delete(address);
    });
  }

  /** See `SignalStore.loadSession`. */
  loadSession(address: string): Promise<SessionRecord | undefined> {
    return this.op(() => {
      checkKey("sessions", "address", address);
      return this.#s.sessions.get(address);
    });
  }

  /** See `SignalStore.loadSessions`. */
  loadSessions(addresses: readonly string[]): Promise<Map<string, SessionRecord>> {
    return this.op(() => {
      checkArray("sessions", "addresses", addresses, (a) => checkKey("sessions", "address", a));
      return this.#s.sessions.getMany(addresses);
    });
  }

  /** See `SignalStore.storeSession`. */
  storeSession(address: string, record: SessionRecord): Promise<void> {
    return this.#write(() => {
      checkKey("sessions", "address", address);
      checkRecord("sessions", record, SessionRecord);
      this.#s.sessions.set(address, record);
    });
  }

  /** See `SignalStore.storeSessions`; all or none are checked before any is stored. */
  storeSessions(entries: Iterable<readonly [string, SessionRecord]>): Promise<void> {
    return this.op(() => {
      const list = [...entries];
      for (const entry of list) {
        checkKey("sessions", "address", entry?.[0]);
        checkRecord("sessions", entry[1], SessionRecord);
      }
      for (const [address, record] of list) this.#s.sessions.set(address, record);
      if (list.length > 0) this.#h.dirtied();
    });
  }

  /** See `SignalStore.deleteSession`. */
  deleteSession(address: string): Promise<void> {
    return this.#write(() => {
      checkKey("sessions", "address", address);
      this.#s.sessions.delete(address);
    });
  }

  /** See `SignalStore.loadPreKey`. */
  loadPreKey(id: number): Promise<PreKeyRecord | undefined> {
    return this.op(() => {
      checkId("prekeys", "id", id);
      return this.#s.preKeys.get(id);
    });
  }

  /** See `SignalStore.storePreKeys`. */
  storePreKeys(records: readonly PreKeyRecord[]): Promise<void> {
    return this.op(() => {
      checkArray("prekeys", "records", records, (r) => checkRecord("prekeys", r, PreKeyRecord));
      for (const r of records) this.#s.preKeys.set(r.keyId, r);
      if (records.length > 0) this.#h.dirtied();
    });
  }

  /** See `SignalStore.removePreKey`. */
  removePreKey(id: number): Promise<void> {
    return this.#write(() => {
      checkId("prekeys", "id", id);
      this.#s.preKeys.delete(id);
    });
  }

  /** See `SignalStore.loadSignedPreKey`. */
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.op(() => {
      checkId("signed_prekeys", "id", id);
      return this.#s.signedPreKeys.get(id);
    });
  }

  /** See `SignalStore.storeSignedPreKey`. */
  storeSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    return this.#write(() => {
      checkRecord("signed_prekeys", record, SignedPreKeyRecord);
      this.#s.signedPreKeys.set(record.keyId, record);
    });
  }

  /** See `SignalStore.loadSenderKey`. */
  loadSenderKey(name: string): Promise<SenderKeyRecord | undefined> {
    return this.op(() => {
      checkKey("sender_keys", "name", name);
      return this.#s.senderKeys.get(name);
    });
  }

  /** See `SignalStore.storeSenderKey`. */
  storeSenderKey(name: string, record: SenderKeyRecord): Promise<void> {
    return this.#write(() => {
      checkKey("sender_keys", "name", name);
      checkRecord("sender_keys", record, SenderKeyRecord);
      this.#s.senderKeys.set(name, record);
    });
  }

  /** See `Backend.deleteSenderKey`. */
  deleteSenderKey(name: string): Promise<void> {
    return this.#write(() => {
      checkKey("sender_keys", "name", name);
      this.#s.senderKeys.delete(name);
    });
  }

  /** See `DeviceStore.loadDevice`. */
  loadDevice(): Promise<Device | undefined> {
    return this.op(() => this.#s.loadDevice());
  }

  /** See `DeviceStore.deviceExists`. */
  deviceExists(): Promise<boolean> {
    return this.op(() => this.#s.deviceExists());
  }

  /** See `DeviceStore.saveDevice`. */
  saveDevice(device: Device): Promise<void> {
    return this.#write(() => {
      checkDevice(device);
      this.#s.saveDevice(device);
    });
  }

  /**
   * See `InboxStore.commitIncoming`. The writes and the entry go into the write-behind journal in one
   * synchronous step (after the sequence number is ready), and a flush commits or snapshots the whole
   * journal at once, so no commit holds one without the other.
   */
  commitIncoming(record: Omit<IncomingMessageRecord, "receivedAt">, writes: SignalWriteBatch): Promise<void> {
    return this.op(() => {
      const c = checkIncoming(record, writes);
      const s = this.#s;
      return andThen(s.prepareIncomingSeq(c.key), () => {
        // The store may have closed while the sequence number was read (PostgreSQL).
        this.#h.live();
        // From here to the end: synchronous, so a flush sees all of it or none.
        const seq = s.nextIncomingSeq();
        for (const [address, session] of c.sessions) {
          if (session === null) s.sessions.delete(address);
          else s.sessions.set(address, session);
        }
        for (const [address, key] of c.identities) s.identities.set(address, key.slice());
        for (const id of c.removedPreKeys) s.preKeys.delete(id);
        for (const [name, senderKey] of c.senderKeys) s.senderKeys.set(name, senderKey);
        s.incoming.set(c.key, {
          seq,
          chat: c.chat,
          payload: c.payload.slice(),
          receivedAt: Math.floor(this.#h.clock() / 1000),
        });
        this.#h.dirtied();
      });
    });
  }

  /** See `InboxStore.completeIncoming`. */
  completeIncoming(key: string): Promise<void> {
    return this.#write(() => {
      checkKey(INCOMING, "key", key);
      this.#s.incoming.delete(key);
    });
  }

  /** See `InboxStore.pendingIncoming`; copies of the payloads. */
  pendingIncoming(): Promise<IncomingMessageRecord[]> {
    return this.op(() =>
      andThen(this.#s.allIncoming(), (all) =>
        all.map(([key, v]) => ({
          key,
          chat: v.chat,
          payload: v.payload.slice(),
          receivedAt: v.receivedAt,
        })))
    );
  }
}
