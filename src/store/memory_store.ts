/**
 * `MemoryStore`: a {@linkcode Backend} in `Map`s, for tests and short-lived tools. It behaves like
 * `SqliteStore` in everything but durability (the shared contract suite in tests/store/ runs against
 * both): the same validation, ordering and tie-break rules, atomic take/consume, copies in and out.
 *
 * @module
 */

import {
  MemorySignalStore,
  PreKeyRecord,
  SenderKeyRecord,
  SessionRecord,
  SignedPreKeyRecord,
} from "../signal/mod.ts";
import type { Backend } from "./backend.ts";
import type { Clock } from "./cache.ts";
import { checkDevice, cloneDevice, type Device } from "./device.ts";
import { closedError } from "./errors.ts";
import {
  type AppStateMutationMac,
  type AppStateSyncKey,
  copyDeviceList,
  type DeviceListRecord,
  type HashState,
  type IncomingMessageRecord,
  type LidPnMappingEntry,
  LTHASH_LENGTH,
  MUTATION_MAC_LENGTH,
  type SignalWriteBatch,
  type TcTokenEntry,
} from "./types.ts";
import {
  checkArray,
  checkBytes,
  checkCutoff,
  checkDeviceList,
  checkHashState,
  checkId,
  checkIncoming,
  checkInt,
  checkKey,
  checkLidMapping,
  checkMutationMac,
  checkRecord,
  checkSyncKey,
  checkTcToken,
  checkTimestamp,
} from "./validate.ts";

/** Options for {@linkcode MemoryStore}. */
export interface MemoryStoreOptions {
  /** The account id. Default 1. */
  deviceId?: number;
  /** Milliseconds clock for the timestamps the store assigns. Default `Date.now`. */
  clock?: Clock;
}

interface Sequenced<T> {
  value: T;
  seq: number;
}

class Account {
  signal = new MemorySignalStore();
  device: Device | undefined;
  syncKeys = new Map<string, Sequenced<{ keyId: Uint8Array; key: AppStateSyncKey }>>();
  versions = new Map<string, HashState>();
  /** name -> index MAC hex -> version -> value MAC */
  macs = new Map<string, Map<string, Map<number, Uint8Array>>>();
  skdm = new Map<string, Set<string>>();
  lids = new Map<string, Sequenced<LidPnMappingEntry>>();
  deviceLists = new Map<string, DeviceListRecord>();
  baseKeys = new Map<string, Uint8Array>();
  forget = new Map<string, Set<string>>();
  tcTokens = new Map<string, TcTokenEntry>();
  sent = new Map<string, { payload: Uint8Array; createdAt: number }>();
  secrets = new Map<string, { secret: Uint8Array; createdAt: number }>();
  incoming = new Map<string, Sequenced<IncomingMessageRecord>>();
}

/** What several `MemoryStore`s opened with `openDevice` share: the "file". */
class MemoryDatabase {
  accounts = new Map<number, Account>();
  nextId = 1;
  seq = 0;

  account(id: number): Account {
    let a = this.accounts.get(id);
    if (a === undefined) {
      a = new Account();
      this.accounts.set(id, a);
      if (id >= this.nextId) this.nextId = id + 1;
    }
    return a;
  }
}

const pair = (a: string, b: string) => JSON.stringify([a, b]);
const sortedCopy = (set: Set<string> | undefined) => set === undefined ? [] : [...set].sort();

function copyTcToken(e: TcTokenEntry): TcTokenEntry {
  const copy: TcTokenEntry = { token: e.token.slice(), tokenTimestamp: e.tokenTimestamp };
  if (e.senderTimestamp !== undefined) copy.senderTimestamp = e.senderTimestamp;
  return copy;
}

const copyLid = (e: LidPnMappingEntry): LidPnMappingEntry => ({
  lid: e.lid,
  phoneNumber: e.phoneNumber,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  learningSource: e.learningSource,
});

/**
 * An in-memory {@linkcode Backend}. Nothing survives the process; `flush()` has nothing to do.
 *
 * @example
 * ```ts
 * import { createDevice, MemoryStore } from "@wadeno/client/store";
 * const store = new MemoryStore();
 * await store.saveDevice(createDevice());
 * console.log(await store.deviceExists()); // true
 * await store.close();
 * ```
 */
export class MemoryStore implements Backend {
  /** The account this store reads and writes. */
  readonly deviceId: number;
  #db: MemoryDatabase;
  readonly #clock: Clock;
  #closed = false;

  /** Creates an empty store (one account, `options.deviceId`). */
  constructor(options: MemoryStoreOptions = {}) {
    this.deviceId = checkInt("device", "deviceId", options.deviceId ?? 1, 1, Number.MAX_SAFE_INTEGER);
    this.#clock = options.clock ?? Date.now;
    this.#db = new MemoryDatabase();
    this.#db.account(this.deviceId);
  }

  static #sibling(db: MemoryDatabase, deviceId: number, clock: Clock): MemoryStore {
    const store = new MemoryStore({ deviceId, clock });
    store.#db = db;
    db.account(store.deviceId);
    return store;
  }

  get #a(): Account {
    if (this.#closed) throw closedError();
    return this.#db.account(this.deviceId);
  }

  #op<T>(fn: (a: Account) => T): Promise<T> {
    try {
      return Promise.resolve(fn(this.#a));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Opens another account sharing this store's data (as another id in the same SQLite file would). */
  openDevice(deviceId: number): Promise<MemoryStore> {
    return this.#op(() => MemoryStore.#sibling(this.#db, deviceId, this.#clock));
  }

  /** {@inheritDoc Backend.flush} */
  flush(): Promise<void> {
    return this.#op(() => {});
  }

  /** {@inheritDoc Backend.close} */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Closes the store. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- SignalStore ---------------------------------------------------------------------------------

  /** {@inheritDoc SignalStore.loadIdentity} */
  loadIdentity(address: string): Promise<Uint8Array | undefined> {
    return this.#op((a) => {
      checkKey("identities", "address", address);
      return a.signal.identities.get(address)?.slice();
    });
  }

  /** {@inheritDoc SignalStore.loadIdentities} */
  loadIdentities(addresses: readonly string[]): Promise<Map<string, Uint8Array>> {
    return this.#op((a) => {
      checkArray("identities", "addresses", addresses, (x) => checkKey("identities", "address", x));
      const out = new Map<string, Uint8Array>();
      for (const address of addresses) {
        const key = a.signal.identities.get(address);
        if (key !== undefined) out.set(address, key.slice());
      }
      return out;
    });
  }

  /** {@inheritDoc SignalStore.saveIdentity} */
  saveIdentity(address: string, identityKey: Uint8Array): Promise<void> {
    return this.#op((a) => {
      checkKey("identities", "address", address);
      checkBytes("identities", "identityKey", identityKey, 32);
      a.signal.identities.set(address, identityKey.slice());
    });
  }

  /** Deletes the identity key of a remote address. */
  deleteIdentity(address: string): Promise<void> {
    return this.#op((a) => {
      checkKey("identities", "address", address);
      a.signal.identities.delete(address);
    });
  }

  /** {@inheritDoc SignalStore.loadSession} */
  loadSession(address: string): Promise<SessionRecord | undefined> {
    return this.#op((a) => {
      checkKey("sessions", "address", address);
      return a.signal.sessions.get(address);
    });
  }

  /** {@inheritDoc SignalStore.loadSessions} */
  loadSessions(addresses: readonly string[]): Promise<Map<string, SessionRecord>> {
    return this.#op((a) => {
      checkArray("sessions", "addresses", addresses, (x) => checkKey("sessions", "address", x));
      const out = new Map<string, SessionRecord>();
      for (const address of addresses) {
        const r = a.signal.sessions.get(address);
        if (r !== undefined) out.set(address, r);
      }
      return out;
    });
  }

  /** {@inheritDoc SignalStore.storeSession} */
  storeSession(address: string, record: SessionRecord): Promise<void> {
    return this.#op((a) => {
      checkKey("sessions", "address", address);
      checkRecord("sessions", record, SessionRecord);
      a.signal.sessions.set(address, record);
    });
  }

  /** {@inheritDoc SignalStore.storeSessions} */
  storeSessions(entries: Iterable<readonly [string, SessionRecord]>): Promise<void> {
    return this.#op((a) => {
      const list = [...entries];
      for (const entry of list) {
        checkKey("sessions", "address", entry?.[0]);
        checkRecord("sessions", entry[1], SessionRecord);
      }
      for (const [address, record] of list) a.signal.sessions.set(address, record);
    });
  }

  /** {@inheritDoc SignalStore.deleteSession} */
  deleteSession(address: string): Promise<void> {
    return this.#op((a) => {
      checkKey("sessions", "address", address);
      a.signal.sessions.delete(address);
    });
  }

  /** {@inheritDoc SignalStore.loadPreKey} */
  loadPreKey(id: number): Promise<PreKeyRecord | undefined> {
    return this.#op((a) => a.signal.preKeys.get(checkId("prekeys", "id", id)));
  }

  /** {@inheritDoc SignalStore.storePreKeys} */
  storePreKeys(records: readonly PreKeyRecord[]): Promise<void> {
    return this.#op((a) => {
      checkArray("prekeys", "records", records, (r) => checkRecord("prekeys", r, PreKeyRecord));
      for (const r of records) a.signal.preKeys.set(r.keyId, r);
    });
  }

  /** {@inheritDoc SignalStore.removePreKey} */
  removePreKey(id: number): Promise<void> {
    return this.#op((a) => {
      a.signal.preKeys.delete(checkId("prekeys", "id", id));
    });
  }

  /** {@inheritDoc SignalStore.loadSignedPreKey} */
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.#op((a) => a.signal.signedPreKeys.get(checkId("signed_prekeys", "id", id)));
  }

  /** {@inheritDoc SignalStore.storeSignedPreKey} */
  storeSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    return this.#op((a) => {
      checkRecord("signed_prekeys", record, SignedPreKeyRecord);
      a.signal.signedPreKeys.set(record.keyId, record);
    });
  }

  /** {@inheritDoc SignalStore.loadSenderKey} */
  loadSenderKey(name: string): Promise<SenderKeyRecord | undefined> {
    return this.#op((a) => a.signal.senderKeys.get(checkKey("sender_keys", "name", name)));
  }

  /** {@inheritDoc SignalStore.storeSenderKey} */
  storeSenderKey(name: string, record: SenderKeyRecord): Promise<void> {
    return this.#op((a) => {
      checkKey("sender_keys", "name", name);
      checkRecord("sender_keys", record, SenderKeyRecord);
      a.signal.senderKeys.set(name, record);
    });
  }

  /** Deletes a sender-key record. */
  deleteSenderKey(name: string): Promise<void> {
    return this.#op((a) => {
      a.signal.senderKeys.delete(checkKey("sender_keys", "name", name));
    });
  }

  // --- DeviceStore ---------------------------------------------------------------------------------

  /** {@inheritDoc DeviceStore.loadDevice} */
  loadDevice(): Promise<Device | undefined> {
    return this.#op((a) => a.device === undefined ? undefined : cloneDevice(a.device));
  }

  /** {@inheritDoc DeviceStore.saveDevice} */
  saveDevice(device: Device): Promise<void> {
    return this.#op((a) => {
      a.device = cloneDevice(checkDevice(device));
    });
  }

  /** {@inheritDoc DeviceStore.deviceExists} */
  deviceExists(): Promise<boolean> {
    return this.#op((a) => a.device !== undefined);
  }

  /** {@inheritDoc DeviceStore.deleteDevice} */
  deleteDevice(): Promise<void> {
    return this.#op(() => {
      this.#db.accounts.set(this.deviceId, new Account());
    });
  }

  /** {@inheritDoc DeviceStore.listDeviceIds} */
  listDeviceIds(): Promise<number[]> {
    return this.#op(() => [...this.#db.accounts.keys()].sort((x, y) => x - y));
  }

  /** {@inheritDoc DeviceStore.createDeviceId} */
  createDeviceId(): Promise<number> {
    return this.#op(() => {
      const id = this.#db.nextId;
      this.#db.account(id);
      return id;
    });
  }

  // --- AppSyncStore --------------------------------------------------------------------------------

  /** {@inheritDoc AppSyncStore.getSyncKey} */
  getSyncKey(keyId: Uint8Array): Promise<AppStateSyncKey | undefined> {
    return this.#op((a) => {
      const e = a.syncKeys.get(checkBytes("app_state_sync_keys", "keyId", keyId).toHex())?.value.key;
      return e && { keyData: e.keyData.slice(), fingerprint: e.fingerprint.slice(), timestamp: e.timestamp };
    });
  }

  /** {@inheritDoc AppSyncStore.setSyncKey} */
  setSyncKey(keyId: Uint8Array, key: AppStateSyncKey): Promise<void> {
    return this.#op((a) => {
      checkBytes("app_state_sync_keys", "keyId", keyId);
      checkSyncKey(key);
      a.syncKeys.set(keyId.toHex(), {
        value: {
          keyId: keyId.slice(),
          key: {
            keyData: key.keyData.slice(),
            fingerprint: key.fingerprint.slice(),
            timestamp: key.timestamp,
          },
        },
        seq: ++this.#db.seq,
      });
    });
  }

  /** {@inheritDoc AppSyncStore.getLatestSyncKeyId} */
  getLatestSyncKeyId(): Promise<Uint8Array | undefined> {
    return this.#op((a) => {
      let best: Sequenced<{ keyId: Uint8Array; key: AppStateSyncKey }> | undefined;
      for (const e of a.syncKeys.values()) {
        const t = e.value.key.timestamp, bt = best?.value.key.timestamp ?? -Infinity;
        if (best === undefined || t > bt || (t === bt && e.seq > best.seq)) best = e;
      }
      return best?.value.keyId.slice();
    });
  }

  /** {@inheritDoc AppSyncStore.getAppStateVersion} */
  getAppStateVersion(name: string): Promise<HashState> {
    return this.#op((a) => {
      const s = a.versions.get(checkKey("app_state_versions", "name", name));
      return s === undefined
        ? { version: 0, hash: new Uint8Array(LTHASH_LENGTH) }
        : { version: s.version, hash: s.hash.slice() };
    });
  }

  /** {@inheritDoc AppSyncStore.setAppStateVersion} */
  setAppStateVersion(name: string, state: HashState): Promise<void> {
    return this.#op((a) => {
      checkKey("app_state_versions", "name", name);
      checkHashState(state);
      a.versions.set(name, { version: state.version, hash: state.hash.slice() });
    });
  }

  /** {@inheritDoc AppSyncStore.deleteAppStateVersion} */
  deleteAppStateVersion(name: string): Promise<void> {
    return this.#op((a) => {
      checkKey("app_state_versions", "name", name);
      a.versions.delete(name);
      a.macs.delete(name);
    });
  }

  /** {@inheritDoc AppSyncStore.putMutationMacs} */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): Promise<void> {
    return this.#op((a) => {
      const t = "app_state_mutation_macs";
      checkKey(t, "name", name);
      checkTimestamp(t, "version", version);
      checkArray(t, "macs", macs, checkMutationMac);
      if (macs.length === 0) return;
      let byIndex = a.macs.get(name);
      if (byIndex === undefined) a.macs.set(name, byIndex = new Map());
      for (const m of macs) {
        const hex = m.indexMac.toHex();
        let versions = byIndex.get(hex);
        if (versions === undefined) byIndex.set(hex, versions = new Map());
        versions.set(version, m.valueMac.slice());
      }
    });
  }

  /** {@inheritDoc AppSyncStore.getMutationMac} */
  getMutationMac(name: string, indexMac: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#op((a) => {
      const t = "app_state_mutation_macs";
      checkKey(t, "name", name);
      checkBytes(t, "indexMac", indexMac, MUTATION_MAC_LENGTH);
      const versions = a.macs.get(name)?.get(indexMac.toHex());
      if (versions === undefined || versions.size === 0) return undefined;
      return versions.get(Math.max(...versions.keys()))!.slice();
    });
  }

  /** {@inheritDoc AppSyncStore.deleteMutationMacs} */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): Promise<void> {
    return this.#op((a) => {
      const t = "app_state_mutation_macs";
      checkKey(t, "name", name);
      checkArray(t, "indexMacs", indexMacs, (m) => checkBytes(t, "indexMac", m, MUTATION_MAC_LENGTH));
      const byIndex = a.macs.get(name);
      for (const m of indexMacs) byIndex?.delete(m.toHex());
    });
  }

  // --- ProtocolStore -------------------------------------------------------------------------------

  /** {@inheritDoc ProtocolStore.getSkdmRecipients} */
  getSkdmRecipients(groupJid: string): Promise<string[]> {
    return this.#op((a) => sortedCopy(a.skdm.get(checkKey("skdm_recipients", "groupJid", groupJid))));
  }

  /** {@inheritDoc ProtocolStore.addSkdmRecipients} */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): Promise<void> {
    return this.#op((a) => {
      checkKey("skdm_recipients", "groupJid", groupJid);
      checkArray(
        "skdm_recipients",
        "deviceJids",
        deviceJids,
        (j) => checkKey("skdm_recipients", "deviceJid", j),
      );
      if (deviceJids.length === 0) return;
      let set = a.skdm.get(groupJid);
      if (set === undefined) a.skdm.set(groupJid, set = new Set());
      for (const j of deviceJids) set.add(j);
    });
  }

  /** {@inheritDoc ProtocolStore.clearSkdmRecipients} */
  clearSkdmRecipients(groupJid: string): Promise<void> {
    return this.#op((a) => {
      a.skdm.delete(checkKey("skdm_recipients", "groupJid", groupJid));
    });
  }

  /** {@inheritDoc ProtocolStore.getLidMapping} */
  getLidMapping(lid: string): Promise<LidPnMappingEntry | undefined> {
    return this.#op((a) => {
      const e = a.lids.get(checkKey("lid_pn_mappings", "lid", lid));
      return e && copyLid(e.value);
    });
  }

  /** {@inheritDoc ProtocolStore.getPnMapping} */
  getPnMapping(phoneNumber: string): Promise<LidPnMappingEntry | undefined> {
    return this.#op((a) => {
      checkKey("lid_pn_mappings", "phoneNumber", phoneNumber);
      let best: Sequenced<LidPnMappingEntry> | undefined;
      for (const e of a.lids.values()) {
        if (e.value.phoneNumber !== phoneNumber) continue;
        if (
          best === undefined || e.value.createdAt > best.value.createdAt ||
          (e.value.createdAt === best.value.createdAt && e.seq > best.seq)
        ) best = e;
      }
      return best && copyLid(best.value);
    });
  }

  /** {@inheritDoc ProtocolStore.putLidMapping} */
  putLidMapping(entry: LidPnMappingEntry): Promise<void> {
    return this.#op((a) => {
      checkLidMapping(entry);
      a.lids.set(entry.lid, { value: copyLid(entry), seq: ++this.#db.seq });
    });
  }

  /** {@inheritDoc ProtocolStore.getAllLidMappings} */
  getAllLidMappings(): Promise<LidPnMappingEntry[]> {
    return this.#op((a) =>
      [...a.lids.values()].map((e) => copyLid(e.value)).sort((x, y) =>
        x.lid < y.lid ? -1 : x.lid > y.lid ? 1 : 0
      )
    );
  }

  /** {@inheritDoc ProtocolStore.saveBaseKey} */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): Promise<void> {
    return this.#op((a) => {
      checkKey("base_keys", "address", address);
      checkKey("base_keys", "messageId", messageId);
      checkBytes("base_keys", "baseKey", baseKey);
      a.baseKeys.set(pair(address, messageId), baseKey.slice());
    });
  }

  /** {@inheritDoc ProtocolStore.hasSameBaseKey} */
  hasSameBaseKey(address: string, messageId: string, currentBaseKey: Uint8Array): Promise<boolean> {
    return this.#op((a) => {
      checkKey("base_keys", "address", address);
      checkKey("base_keys", "messageId", messageId);
      checkBytes("base_keys", "currentBaseKey", currentBaseKey);
      const stored = a.baseKeys.get(pair(address, messageId));
      return stored !== undefined && stored.length === currentBaseKey.length &&
        stored.every((b, i) => b === currentBaseKey[i]);
    });
  }

  /** {@inheritDoc ProtocolStore.deleteBaseKey} */
  deleteBaseKey(address: string, messageId: string): Promise<void> {
    return this.#op((a) => {
      checkKey("base_keys", "address", address);
      checkKey("base_keys", "messageId", messageId);
      a.baseKeys.delete(pair(address, messageId));
    });
  }

  /** {@inheritDoc ProtocolStore.updateDeviceList} */
  updateDeviceList(record: DeviceListRecord): Promise<void> {
    return this.#op((a) => {
      checkDeviceList(record);
      a.deviceLists.set(record.user, copyDeviceList(record));
    });
  }

  /** {@inheritDoc ProtocolStore.getDevices} */
  getDevices(user: string): Promise<DeviceListRecord | undefined> {
    return this.#op((a) => {
      const r = a.deviceLists.get(checkKey("device_lists", "user", user));
      return r && copyDeviceList(r);
    });
  }

  /** {@inheritDoc ProtocolStore.deleteDeviceList} */
  deleteDeviceList(user: string): Promise<void> {
    return this.#op((a) => {
      a.deviceLists.delete(checkKey("device_lists", "user", user));
    });
  }

  /** {@inheritDoc ProtocolStore.markForgetSenderKey} */
  markForgetSenderKey(groupJid: string, participant: string): Promise<void> {
    return this.#op((a) => {
      checkKey("sender_key_forget_marks", "groupJid", groupJid);
      checkKey("sender_key_forget_marks", "participant", participant);
      let set = a.forget.get(groupJid);
      if (set === undefined) a.forget.set(groupJid, set = new Set());
      set.add(participant);
    });
  }

  /** {@inheritDoc ProtocolStore.consumeForgetMarks} */
  consumeForgetMarks(groupJid: string): Promise<string[]> {
    return this.#op((a) => {
      checkKey("sender_key_forget_marks", "groupJid", groupJid);
      const marks = sortedCopy(a.forget.get(groupJid));
      a.forget.delete(groupJid);
      return marks;
    });
  }

  /** {@inheritDoc ProtocolStore.getTcToken} */
  getTcToken(jid: string): Promise<TcTokenEntry | undefined> {
    return this.#op((a) => {
      const e = a.tcTokens.get(checkKey("tc_tokens", "jid", jid));
      return e && copyTcToken(e);
    });
  }

  /** {@inheritDoc ProtocolStore.putTcToken} */
  putTcToken(jid: string, entry: TcTokenEntry): Promise<void> {
    return this.#op((a) => {
      checkKey("tc_tokens", "jid", jid);
      checkTcToken(entry);
      a.tcTokens.set(jid, copyTcToken(entry));
    });
  }

  /** {@inheritDoc ProtocolStore.deleteTcToken} */
  deleteTcToken(jid: string): Promise<void> {
    return this.#op((a) => {
      a.tcTokens.delete(checkKey("tc_tokens", "jid", jid));
    });
  }

  /** {@inheritDoc ProtocolStore.getAllTcTokenJids} */
  getAllTcTokenJids(): Promise<string[]> {
    return this.#op((a) => [...a.tcTokens.keys()].sort());
  }

  /** {@inheritDoc ProtocolStore.deleteExpiredTcTokens} */
  deleteExpiredTcTokens(cutoff: number): Promise<number> {
    return this.#op((a) => {
      checkCutoff("tc_tokens", cutoff);
      let n = 0;
      for (const [jid, e] of a.tcTokens) {
        if (e.tokenTimestamp < cutoff) {
          a.tcTokens.delete(jid);
          n++;
        }
      }
      return n;
    });
  }

  /** {@inheritDoc ProtocolStore.storeSentMessage} */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): Promise<void> {
    return this.#op((a) => {
      checkKey("sent_messages", "chatJid", chatJid);
      checkKey("sent_messages", "messageId", messageId);
      checkBytes("sent_messages", "payload", payload);
      a.sent.set(pair(chatJid, messageId), {
        payload: payload.slice(),
        createdAt: Math.floor(this.#clock() / 1000),
      });
    });
  }

  /** {@inheritDoc ProtocolStore.takeSentMessage} */
  takeSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined> {
    return this.#op((a) => {
      checkKey("sent_messages", "chatJid", chatJid);
      checkKey("sent_messages", "messageId", messageId);
      const key = pair(chatJid, messageId);
      const e = a.sent.get(key);
      a.sent.delete(key);
      return e?.payload;
    });
  }

  /** {@inheritDoc ProtocolStore.getSentMessage} */
  getSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined> {
    return this.#op((a) => {
      checkKey("sent_messages", "chatJid", chatJid);
      checkKey("sent_messages", "messageId", messageId);
      return a.sent.get(pair(chatJid, messageId))?.payload.slice();
    });
  }

  /** {@inheritDoc ProtocolStore.deleteExpiredSentMessages} */
  deleteExpiredSentMessages(cutoff: number): Promise<number> {
    return this.#op((a) => {
      checkCutoff("sent_messages", cutoff);
      let n = 0;
      for (const [key, e] of a.sent) {
        if (e.createdAt < cutoff) {
          a.sent.delete(key);
          n++;
        }
      }
      return n;
    });
  }

  /** {@inheritDoc ProtocolStore.putMessageSecret} */
  putMessageSecret(chatJid: string, senderJid: string, messageId: string, secret: Uint8Array): Promise<void> {
    return this.#op((a) => {
      checkKey("message_secrets", "chatJid", chatJid);
      checkKey("message_secrets", "senderJid", senderJid);
      checkKey("message_secrets", "messageId", messageId);
      checkBytes("message_secrets", "secret", secret, 32);
      a.secrets.set(JSON.stringify([chatJid, senderJid, messageId]), {
        secret: secret.slice(),
        createdAt: Math.floor(this.#clock() / 1000),
      });
    });
  }

  /** {@inheritDoc ProtocolStore.getMessageSecret} */
  getMessageSecret(chatJid: string, senderJid: string, messageId: string): Promise<Uint8Array | undefined> {
    return this.#op((a) => {
      checkKey("message_secrets", "chatJid", chatJid);
      checkKey("message_secrets", "senderJid", senderJid);
      checkKey("message_secrets", "messageId", messageId);
      return a.secrets.get(JSON.stringify([chatJid, senderJid, messageId]))?.secret.slice();
    });
  }

  /** {@inheritDoc ProtocolStore.deleteExpiredMessageSecrets} */
  deleteExpiredMessageSecrets(cutoff: number): Promise<number> {
    return this.#op((a) => {
      checkCutoff("message_secrets", cutoff);
      let n = 0;
      for (const [key, e] of a.secrets) {
        if (e.createdAt < cutoff) {
          a.secrets.delete(key);
          n++;
        }
      }
      return n;
    });
  }

  // --- InboxStore ------------------------------------------------------------------------------------

  /** {@inheritDoc InboxStore.commitIncoming} */
  commitIncoming(record: Omit<IncomingMessageRecord, "receivedAt">, writes: SignalWriteBatch): Promise<void> {
    return this.#op((a) => {
      const c = checkIncoming(record, writes);
      for (const [address, session] of c.sessions) {
        if (session === null) a.signal.sessions.delete(address);
        else a.signal.sessions.set(address, session);
      }
      for (const [address, key] of c.identities) a.signal.identities.set(address, key.slice());
      for (const id of c.removedPreKeys) a.signal.preKeys.delete(id);
      for (const [name, senderKey] of c.senderKeys) a.signal.senderKeys.set(name, senderKey);
      a.incoming.delete(c.key);
      a.incoming.set(c.key, {
        value: {
          key: c.key,
          chat: c.chat,
          payload: c.payload.slice(),
          receivedAt: Math.floor(this.#clock() / 1000),
        },
        seq: ++this.#db.seq,
      });
    });
  }

  /** {@inheritDoc InboxStore.completeIncoming} */
  completeIncoming(key: string): Promise<void> {
    return this.#op((a) => {
      a.incoming.delete(checkKey("incoming_messages", "key", key));
    });
  }

  /** {@inheritDoc InboxStore.pendingIncoming} */
  pendingIncoming(): Promise<IncomingMessageRecord[]> {
    return this.#op((a) =>
      [...a.incoming.values()].sort((x, y) => x.seq - y.seq).map(({ value }) => ({
        ...value,
        payload: value.payload.slice(),
      }))
    );
  }
}
