/**
 * The store interfaces, grouped by domain as in the reference client: `SignalStore` (from the signal
 * layer), {@linkcode AppSyncStore}, {@linkcode ProtocolStore} and {@linkcode DeviceStore}, plus the
 * durable {@linkcode InboxStore}. A {@linkcode Backend} is all five plus `flush` and `close`; `MemoryStore` and `SqliteStore` implement it,
 * and so can a custom backend.
 *
 * Conventions for every method:
 * - Strings that name JIDs are canonical JID strings (`Jid.toString()`); Signal addresses are the signal
 *   layer's address strings. Keys are non-empty, at most 1,024 characters.
 * - Timestamps are Unix seconds unless the name says `Ms`.
 * - Bad arguments reject with `StoreError` kind `invalid_input` and change nothing.
 * - Returned bytes and records belong to the caller: changing them does not change the store (Signal
 *   records excepted; see the signal layer's contract).
 * - A stored value that does not decode rejects with `StoreError` kind `corrupt` naming the table and key.
 *
 * @module
 */

import type { SignalStore } from "../signal/mod.ts";
import type { Device } from "./device.ts";
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

export type { SignalStore };

/** App state sync: sync keys, collection versions with their LTHash, and mutation MACs. */
export interface AppSyncStore {
  /** The sync key with id `keyId`, or `undefined`. */
  getSyncKey(keyId: Uint8Array): Promise<AppStateSyncKey | undefined>;
  /** Stores (or replaces) the sync key with id `keyId`. */
  setSyncKey(keyId: Uint8Array, key: AppStateSyncKey): Promise<void>;
  /** The id of the key with the greatest `timestamp` (the last stored wins a tie), or `undefined`. */
  getLatestSyncKeyId(): Promise<Uint8Array | undefined>;
  /** A collection's state; `{ version: 0, hash: 128 zero bytes }` before its first sync. */
  getAppStateVersion(name: string): Promise<HashState>;
  /** Stores a collection's state. */
  setAppStateVersion(name: string, state: HashState): Promise<void>;
  /** Forgets a collection's state and all of its mutation MACs (before a full resync). */
  deleteAppStateVersion(name: string): Promise<void>;
  /** Stores the MACs of the mutations applied at `version`, all or none. */
  putMutationMacs(name: string, version: number, macs: readonly AppStateMutationMac[]): Promise<void>;
  /** The value MAC stored for `indexMac` in collection `name` (the highest version's), or `undefined`. */
  getMutationMac(name: string, indexMac: Uint8Array): Promise<Uint8Array | undefined>;
  /** Deletes the MACs (every version) of the given index MACs, all or none. */
  deleteMutationMacs(name: string, indexMacs: readonly Uint8Array[]): Promise<void>;
}

/** WhatsApp protocol bookkeeping: SKDM recipients, LID↔PN, device lists, retries, tokens, sent messages. */
export interface ProtocolStore {
  /** Device JIDs that already received our sender key distribution message for `groupJid`. */
  getSkdmRecipients(groupJid: string): Promise<string[]>;
  /** Records devices as having our SKDM for `groupJid`; already recorded ones are left as they are. */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): Promise<void>;
  /** Forgets every SKDM recipient of `groupJid` (call when our sender key rotates). */
  clearSkdmRecipients(groupJid: string): Promise<void>;

  /** The mapping for LID user `lid`, or `undefined`. */
  getLidMapping(lid: string): Promise<LidPnMappingEntry | undefined>;
  /**
   * The mapping for phone-number user `phoneNumber`: of all LIDs mapped to it, the one with the greatest
   * `createdAt`; among equal `createdAt` the one stored last. So an update for a phone number takes effect
   * only when its `createdAt` is >= the current one's.
   */
  getPnMapping(phoneNumber: string): Promise<LidPnMappingEntry | undefined>;
  /** Stores (or replaces) the mapping for `entry.lid`. */
  putLidMapping(entry: LidPnMappingEntry): Promise<void>;
  /** Every mapping (to warm a cache at start-up). */
  getAllLidMappings(): Promise<LidPnMappingEntry[]>;

  /** Remembers the session base key seen when a retry for (`address`, `messageId`) was sent. */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): Promise<void>;
  /** True when a base key was saved for (`address`, `messageId`) and equals `currentBaseKey`. */
  hasSameBaseKey(address: string, messageId: string, currentBaseKey: Uint8Array): Promise<boolean>;
  /** Forgets the base key for (`address`, `messageId`). */
  deleteBaseKey(address: string, messageId: string): Promise<void>;

  /** Stores (or replaces) `record.user`'s device list. */
  updateDeviceList(record: DeviceListRecord): Promise<void>;
  /** `user`'s device list, or `undefined` when unknown. */
  getDevices(user: string): Promise<DeviceListRecord | undefined>;
  /** Forgets `user`'s device list (a hash-only device notification makes it stale). */
  deleteDeviceList(user: string): Promise<void>;

  /** Marks `participant`'s sender key in `groupJid` as to be forgotten (it needs a fresh SKDM). */
  markForgetSenderKey(groupJid: string, participant: string): Promise<void>;
  /** Returns and deletes, atomically, the participants marked for `groupJid` (sorted). */
  consumeForgetMarks(groupJid: string): Promise<string[]>;

  /** The trusted-contact token stored for `jid`, or `undefined`. */
  getTcToken(jid: string): Promise<TcTokenEntry | undefined>;
  /** Stores (or replaces) the trusted-contact token for `jid`. */
  putTcToken(jid: string, entry: TcTokenEntry): Promise<void>;
  /** Deletes the token for `jid`. */
  deleteTcToken(jid: string): Promise<void>;
  /** Every JID with a stored token (sorted). */
  getAllTcTokenJids(): Promise<string[]>;
  /** Deletes the tokens whose `tokenTimestamp` is below `cutoff`; returns how many. */
  deleteExpiredTcTokens(cutoff: number): Promise<number>;

  /**
   * Keeps a sent message's encoded payload for answering retry receipts, stamped with the store clock's
   * current time. Replaces an earlier payload with the same ids.
   */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): Promise<void>;
  /** Returns and deletes, atomically, the payload for (`chatJid`, `messageId`); `undefined` if none. */
  takeSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined>;
  /**
   * The payload for (`chatJid`, `messageId`) without removing it (several devices may ask for a retry of
   * the same message); `undefined` if none.
   */
  getSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined>;
  /** Deletes sent messages stored before `cutoff` (Unix seconds); returns how many. */
  deleteExpiredSentMessages(cutoff: number): Promise<number>;

  /**
   * Keeps a message's secret (`messageContextInfo.messageSecret`, 32 bytes) for the message sent by
   * `senderJid` (a user JID, no device) in `chatJid`: poll votes and event responses to it are encrypted
   * with keys derived from it. Stamped with the store clock; replaces an earlier secret for the same ids.
   */
  putMessageSecret(chatJid: string, senderJid: string, messageId: string, secret: Uint8Array): Promise<void>;
  /** The secret stored for (`chatJid`, `senderJid`, `messageId`), or `undefined`. */
  getMessageSecret(chatJid: string, senderJid: string, messageId: string): Promise<Uint8Array | undefined>;
  /** Deletes message secrets stored before `cutoff` (Unix seconds); returns how many. */
  deleteExpiredMessageSecrets(cutoff: number): Promise<number>;
}

/**
 * The durable inbox: decrypted messages whose event handlers have not finished. Decrypting a message
 * advances Signal state that cannot be rolled back, and once that state is durable the server's
 * redelivery of the message can no longer be decrypted. So the client stages a message's Signal writes,
 * then commits them together with the decrypted message in one call; nothing that makes one durable
 * (an explicit or automatic flush, another write) can make the other durable without it. After the
 * handlers finished the entry is completed; entries still pending after a restart are replayed.
 */
export interface InboxStore {
  /**
   * Applies `writes` and stores `record` (stamping `receivedAt`) as one unit with respect to durability.
   * Becomes durable at the next flush like any write-behind write. Validation failures change nothing.
   */
  commitIncoming(record: Omit<IncomingMessageRecord, "receivedAt">, writes: SignalWriteBatch): Promise<void>;
  /** The message's handlers finished: forgets the entry (durable at the next flush). Unknown keys are fine. */
  completeIncoming(key: string): Promise<void>;
  /** Every entry committed and not completed, oldest commit first. */
  pendingIncoming(): Promise<IncomingMessageRecord[]>;
}

/**
 * This account's {@linkcode Device}, and the account (device id) management of a store that can hold
 * several accounts. Every other row a backend keeps belongs to its `deviceId`.
 */
export interface DeviceStore {
  /** The account this store reads and writes. */
  readonly deviceId: number;
  /** The saved device, or `undefined` before the first {@linkcode DeviceStore.saveDevice}. */
  loadDevice(): Promise<Device | undefined>;
  /** Saves the device (a copy of it is kept; later changes to `device` need another save). */
  saveDevice(device: Device): Promise<void>;
  /** True when a device has been saved for this account. */
  deviceExists(): Promise<boolean>;
  /**
   * Deletes the device and every row of this account (after logout). The store stays usable as an empty
   * account with the same id.
   */
  deleteDevice(): Promise<void>;
  /** The ids of every account in this store's database, ascending. */
  listDeviceIds(): Promise<number[]>;
  /** Reserves a new account id in this store's database and returns it (open another store on it). */
  createDeviceId(): Promise<number>;
}

/**
 * Everything the client stores: the four domain stores, plus durability control.
 *
 * Writes may be held in memory and written later (write-behind); reads always see the newest value.
 */
export interface Backend extends SignalStore, AppSyncStore, ProtocolStore, DeviceStore, InboxStore {
  /** Deletes a remote address's identity key (the client resets a contact's identity). */
  deleteIdentity(address: string): Promise<void>;
  /** Deletes a sender-key record by name (a participant's key is forgotten or ours rotates). */
  deleteSenderKey(name: string): Promise<void>;
  /**
   * Makes every write made so far durable; resolves once it is committed. Call it where losing a write
   * would break a session: after decrypting a message and before acking it, and after pairing. On failure
   * the pending writes stay pending (the next flush retries them) and the error is rethrown.
   */
  flush(): Promise<void>;
  /** Flushes, then releases the store. Later calls reject with `StoreError` kind `closed`. Idempotent. */
  close(): Promise<void>;
}
