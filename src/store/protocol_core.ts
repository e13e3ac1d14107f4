/**
 * `ProtocolStore` written once for both SQL stores: argument checks, the bounded caches in front of the
 * two lookups the send path makes per message (device lists with a time-to-live, LID↔PN mappings with a
 * time-to-idle, both directions), private copies of what is handed out, and the row readers. A backend
 * supplies only its statements, as a {@linkcode ProtocolSql}.
 *
 * Caches hold `null` for "known absent", are updated or invalidated by this store's own writes, and
 * assume no other connection writes this account's rows (SQLite: one store per account; PostgreSQL: the
 * account's lease).
 *
 * @module
 */

import { andThen, type Awaitable } from "./awaitable.ts";
import { type Clock, DEVICE_LIST_CACHE, LID_PN_CACHE, LruTtlCache } from "./cache.ts";
import type { SQLOutput } from "./sqlite_db.ts";
import { blobCol, decodeDeviceEntries, intCol, optIntCol, optTextCol, textCol } from "./sqlite_rows.ts";
import { copyDeviceList, type DeviceListRecord, type LidPnMappingEntry, type TcTokenEntry } from "./types.ts";
import {
  checkArray,
  checkBytes,
  checkCutoff,
  checkDeviceList,
  checkKey,
  checkLidMapping,
  checkTcToken,
} from "./validate.ts";

/** SKDM recipients (the table `StoreError`s name; SQLite's table name). */
export const SKDM = "skdm_recipients";
/** LID↔PN mappings. */
export const LID = "lid_pn_mappings";
/** Retry base keys. */
export const BASE = "base_keys";
/** Device lists. */
export const DEVICES = "device_lists";
/** Sender-key forget marks. */
export const FORGET = "sender_key_forget_marks";
/** Trusted-contact tokens. */
export const TC = "tc_tokens";
/** Sent messages kept for retries. */
export const SENT = "sent_messages";
/** Message secrets. */
export const SECRETS = "message_secrets";

/** The columns of a LID mapping row, in the order both schemas list them. */
export const LID_COLS = "lid, phone_number, created_at, updated_at, learning_source";

type Row = Record<string, SQLOutput>;

/** The key a `StoreError` names for a row with a composite key. */
export const rowKey = (...parts: string[]): string => parts.join("/");

/** A LID mapping row (columns {@linkcode LID_COLS}). */
export function lidRow(row: Row, key: string): LidPnMappingEntry {
  return {
    lid: textCol(row, "lid", LID, key),
    phoneNumber: textCol(row, "phone_number", LID, key),
    createdAt: intCol(row, "created_at", LID, key),
    updatedAt: intCol(row, "updated_at", LID, key),
    learningSource: textCol(row, "learning_source", LID, key),
  };
}

/** A device list row (columns `devices, timestamp, phash`). */
export function deviceListRow(row: Row, user: string): DeviceListRecord {
  const r: DeviceListRecord = {
    user,
    devices: decodeDeviceEntries(blobCol(row, "devices", DEVICES, user), DEVICES, user),
    timestamp: intCol(row, "timestamp", DEVICES, user),
  };
  const phash = optTextCol(row, "phash", DEVICES, user);
  if (phash !== undefined) r.phash = phash;
  return r;
}

/** A trusted-contact token row (columns `token, token_timestamp, sender_timestamp`). */
export function tcTokenRow(row: Row, jid: string): TcTokenEntry {
  const entry: TcTokenEntry = {
    token: blobCol(row, "token", TC, jid),
    tokenTimestamp: intCol(row, "token_timestamp", TC, jid),
  };
  const sender = optIntCol(row, "sender_timestamp", TC, jid);
  if (sender !== undefined) entry.senderTimestamp = sender;
  return entry;
}

/**
 * One backend's statements for the protocol tables of one account. Arguments are already checked;
 * failures are `StoreError`s naming the table and key. Writes commit together with the store's pending
 * write-behind journal (the backend's context does that).
 */
export interface ProtocolSql {
  /** Device JIDs with our SKDM for `groupJid`, sorted. */
  skdmRecipients(groupJid: string): Awaitable<string[]>;
  /** Adds recipients (at least one), keeping existing ones. */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): Awaitable<void>;
  /** Deletes every recipient of `groupJid`. */
  clearSkdmRecipients(groupJid: string): Awaitable<void>;
  /** The mapping of LID `lid`, or `null`. */
  lidMapping(lid: string): Awaitable<LidPnMappingEntry | null>;
  /** The newest mapping to `phoneNumber` (greatest `createdAt`, then the last stored), or `null`. */
  pnMapping(phoneNumber: string): Awaitable<LidPnMappingEntry | null>;
  /** Upserts the mapping of `entry.lid`; returns the `phone_number` column of the row it replaced. */
  putLidMapping(entry: LidPnMappingEntry): Awaitable<unknown>;
  /** Every mapping, by LID. */
  allLidMappings(): Awaitable<LidPnMappingEntry[]>;
  /** Upserts a base key. */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): Awaitable<void>;
  /** The stored base key, or `undefined`. */
  baseKey(address: string, messageId: string): Awaitable<Uint8Array | undefined>;
  /** Deletes a base key. */
  deleteBaseKey(address: string, messageId: string): Awaitable<void>;
  /** Upserts `record.user`'s device list. */
  putDeviceList(record: DeviceListRecord): Awaitable<void>;
  /** `user`'s device list, or `null`. */
  deviceList(user: string): Awaitable<DeviceListRecord | null>;
  /** Deletes `user`'s device list. */
  deleteDeviceList(user: string): Awaitable<void>;
  /** Adds a forget mark, keeping an existing one. */
  markForgetSenderKey(groupJid: string, participant: string): Awaitable<void>;
  /** Deletes and returns, in one statement, the participants marked for `groupJid`. */
  takeForgetMarks(groupJid: string): Awaitable<string[]>;
  /** The token for `jid`, or `undefined`. */
  tcToken(jid: string): Awaitable<TcTokenEntry | undefined>;
  /** Upserts the token for `jid`. */
  putTcToken(jid: string, entry: TcTokenEntry): Awaitable<void>;
  /** Deletes the token for `jid`. */
  deleteTcToken(jid: string): Awaitable<void>;
  /** Every JID with a token, sorted. */
  tcTokenJids(): Awaitable<string[]>;
  /** Deletes tokens with `token_timestamp < cutoff`; returns how many. */
  deleteTcTokensBefore(cutoff: number): Awaitable<number>;
  /** Upserts a sent message, stamped with the clock. */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): Awaitable<void>;
  /** Deletes and returns, in one statement, a sent message's payload. */
  takeSentMessage(chatJid: string, messageId: string): Awaitable<Uint8Array | undefined>;
  /** A sent message's payload. */
  sentMessage(chatJid: string, messageId: string): Awaitable<Uint8Array | undefined>;
  /** Deletes sent messages with `created_at < cutoff`; returns how many. */
  deleteSentMessagesBefore(cutoff: number): Awaitable<number>;
  /** Upserts a message secret, stamped with the clock. */
  putMessageSecret(
    chatJid: string,
    senderJid: string,
    messageId: string,
    secret: Uint8Array,
  ): Awaitable<void>;
  /** A message secret. */
  messageSecret(chatJid: string, senderJid: string, messageId: string): Awaitable<Uint8Array | undefined>;
  /** Deletes message secrets with `created_at < cutoff`; returns how many. */
  deleteMessageSecretsBefore(cutoff: number): Awaitable<number>;
}

const copyEntry = (e: LidPnMappingEntry | null): LidPnMappingEntry | undefined =>
  e === null ? undefined : { ...e };
const copyList = (r: DeviceListRecord | null): DeviceListRecord | undefined =>
  r === null ? undefined : copyDeviceList(r);

/** The protocol tables of one account, over a backend's {@linkcode ProtocolSql}. */
export class ProtocolCore {
  readonly #sql: ProtocolSql;
  readonly #deviceLists: LruTtlCache<string, DeviceListRecord | null>;
  readonly #byLid: LruTtlCache<string, LidPnMappingEntry | null>;
  readonly #byPn: LruTtlCache<string, LidPnMappingEntry | null>;

  /** Binds to a backend's statements; caches use `clock`. */
  constructor(sql: ProtocolSql, clock: Clock) {
    this.#sql = sql;
    this.#deviceLists = new LruTtlCache({ ...DEVICE_LIST_CACHE, clock });
    this.#byLid = new LruTtlCache({ ...LID_PN_CACHE, clock });
    this.#byPn = new LruTtlCache({ ...LID_PN_CACHE, clock });
  }

  /** Forgets everything cached (the account's rows were deleted). */
  reset(): void {
    this.#deviceLists.clear();
    this.#byLid.clear();
    this.#byPn.clear();
  }

  // --- SKDM recipients -------------------------------------------------------------------------------

  /** See `ProtocolStore.getSkdmRecipients`. */
  getSkdmRecipients(groupJid: string): Awaitable<string[]> {
    checkKey(SKDM, "groupJid", groupJid);
    return this.#sql.skdmRecipients(groupJid);
  }

  /** See `ProtocolStore.addSkdmRecipients`. */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): Awaitable<void> {
    checkKey(SKDM, "groupJid", groupJid);
    checkArray(SKDM, "deviceJids", deviceJids, (j) => checkKey(SKDM, "deviceJid", j));
    if (deviceJids.length === 0) return;
    return this.#sql.addSkdmRecipients(groupJid, deviceJids);
  }

  /** See `ProtocolStore.clearSkdmRecipients`. */
  clearSkdmRecipients(groupJid: string): Awaitable<void> {
    checkKey(SKDM, "groupJid", groupJid);
    return this.#sql.clearSkdmRecipients(groupJid);
  }

  // --- LID <-> PN ------------------------------------------------------------------------------------

  /** See `ProtocolStore.getLidMapping`. */
  getLidMapping(lid: string): Awaitable<LidPnMappingEntry | undefined> {
    checkKey(LID, "lid", lid);
    const cached = this.#byLid.get(lid);
    if (cached !== undefined) return copyEntry(cached);
    return andThen(this.#sql.lidMapping(lid), (entry) => {
      this.#byLid.set(lid, entry);
      return copyEntry(entry);
    });
  }

  /** See `ProtocolStore.getPnMapping`. */
  getPnMapping(phoneNumber: string): Awaitable<LidPnMappingEntry | undefined> {
    checkKey(LID, "phoneNumber", phoneNumber);
    const cached = this.#byPn.get(phoneNumber);
    if (cached !== undefined) return copyEntry(cached);
    return andThen(this.#sql.pnMapping(phoneNumber), (entry) => {
      this.#byPn.set(phoneNumber, entry);
      return copyEntry(entry);
    });
  }

  /** See `ProtocolStore.putLidMapping`. */
  putLidMapping(entry: LidPnMappingEntry): Awaitable<void> {
    checkLidMapping(entry);
    const e: LidPnMappingEntry = {
      lid: entry.lid,
      phoneNumber: entry.phoneNumber,
      createdAt: entry.createdAt,
      updatedAt: entry.updatedAt,
      learningSource: entry.learningSource,
    };
    return andThen(this.#sql.putLidMapping(e), (previousPn) => {
      this.#byLid.set(e.lid, e);
      // Which LID a phone number maps to may have changed for the new and the previous number: re-read later.
      this.#byPn.delete(e.phoneNumber);
      if (typeof previousPn === "string") this.#byPn.delete(previousPn);
    });
  }

  /** See `ProtocolStore.getAllLidMappings`. */
  getAllLidMappings(): Awaitable<LidPnMappingEntry[]> {
    return this.#sql.allLidMappings();
  }

  // --- base keys -------------------------------------------------------------------------------------

  /** See `ProtocolStore.saveBaseKey`. */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): Awaitable<void> {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    checkBytes(BASE, "baseKey", baseKey);
    return this.#sql.saveBaseKey(address, messageId, baseKey);
  }

  /** See `ProtocolStore.hasSameBaseKey`. */
  hasSameBaseKey(address: string, messageId: string, currentBaseKey: Uint8Array): Awaitable<boolean> {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    checkBytes(BASE, "currentBaseKey", currentBaseKey);
    return andThen(
      this.#sql.baseKey(address, messageId),
      (stored) =>
        stored !== undefined && stored.length === currentBaseKey.length &&
        stored.every((b, i) => b === currentBaseKey[i]),
    );
  }

  /** See `ProtocolStore.deleteBaseKey`. */
  deleteBaseKey(address: string, messageId: string): Awaitable<void> {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    return this.#sql.deleteBaseKey(address, messageId);
  }

  // --- device lists ----------------------------------------------------------------------------------

  /** See `ProtocolStore.updateDeviceList`. */
  updateDeviceList(record: DeviceListRecord): Awaitable<void> {
    checkDeviceList(record);
    const copy = copyDeviceList(record);
    return andThen(this.#sql.putDeviceList(copy), () => {
      this.#deviceLists.set(copy.user, copy);
    });
  }

  /** See `ProtocolStore.getDevices`. */
  getDevices(user: string): Awaitable<DeviceListRecord | undefined> {
    checkKey(DEVICES, "user", user);
    const cached = this.#deviceLists.get(user);
    if (cached !== undefined) return copyList(cached);
    return andThen(this.#sql.deviceList(user), (record) => {
      this.#deviceLists.set(user, record);
      return copyList(record);
    });
  }

  /** See `ProtocolStore.deleteDeviceList`. */
  deleteDeviceList(user: string): Awaitable<void> {
    checkKey(DEVICES, "user", user);
    return andThen(this.#sql.deleteDeviceList(user), () => {
      this.#deviceLists.set(user, null);
    });
  }

  // --- sender-key forget marks -----------------------------------------------------------------------

  /** See `ProtocolStore.markForgetSenderKey`. */
  markForgetSenderKey(groupJid: string, participant: string): Awaitable<void> {
    checkKey(FORGET, "groupJid", groupJid);
    checkKey(FORGET, "participant", participant);
    return this.#sql.markForgetSenderKey(groupJid, participant);
  }

  /** See `ProtocolStore.consumeForgetMarks`. */
  consumeForgetMarks(groupJid: string): Awaitable<string[]> {
    checkKey(FORGET, "groupJid", groupJid);
    return andThen(this.#sql.takeForgetMarks(groupJid), (marks) => marks.sort());
  }

  // --- trusted-contact tokens ------------------------------------------------------------------------

  /** See `ProtocolStore.getTcToken`. */
  getTcToken(jid: string): Awaitable<TcTokenEntry | undefined> {
    checkKey(TC, "jid", jid);
    return this.#sql.tcToken(jid);
  }

  /** See `ProtocolStore.putTcToken`. */
  putTcToken(jid: string, entry: TcTokenEntry): Awaitable<void> {
    checkKey(TC, "jid", jid);
    checkTcToken(entry);
    return this.#sql.putTcToken(jid, entry);
  }

  /** See `ProtocolStore.deleteTcToken`. */
  deleteTcToken(jid: string): Awaitable<void> {
    checkKey(TC, "jid", jid);
    return this.#sql.deleteTcToken(jid);
  }

  /** See `ProtocolStore.getAllTcTokenJids`. */
  getAllTcTokenJids(): Awaitable<string[]> {
    return this.#sql.tcTokenJids();
  }

  /** See `ProtocolStore.deleteExpiredTcTokens`. */
  deleteExpiredTcTokens(cutoff: number): Awaitable<number> {
    checkCutoff(TC, cutoff);
    return this.#sql.deleteTcTokensBefore(cutoff);
  }

  // --- sent messages ---------------------------------------------------------------------------------

  /** See `ProtocolStore.storeSentMessage`. */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): Awaitable<void> {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    checkBytes(SENT, "payload", payload);
    return this.#sql.storeSentMessage(chatJid, messageId, payload);
  }

  /** See `ProtocolStore.takeSentMessage`. */
  takeSentMessage(chatJid: string, messageId: string): Awaitable<Uint8Array | undefined> {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    return this.#sql.takeSentMessage(chatJid, messageId);
  }

  /** See `ProtocolStore.getSentMessage`. */
  getSentMessage(chatJid: string, messageId: string): Awaitable<Uint8Array | undefined> {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    return this.#sql.sentMessage(chatJid, messageId);
  }

  /** See `ProtocolStore.deleteExpiredSentMessages`. */
  deleteExpiredSentMessages(cutoff: number): Awaitable<number> {
    checkCutoff(SENT, cutoff);
    return this.#sql.deleteSentMessagesBefore(cutoff);
  }

  // --- message secrets -------------------------------------------------------------------------------

  /** See `ProtocolStore.putMessageSecret`. */
  putMessageSecret(
    chatJid: string,
    senderJid: string,
    messageId: string,
    secret: Uint8Array,
  ): Awaitable<void> {
    checkKey(SECRETS, "chatJid", chatJid);
    checkKey(SECRETS, "senderJid", senderJid);
    checkKey(SECRETS, "messageId", messageId);
    checkBytes(SECRETS, "secret", secret, 32);
    return this.#sql.putMessageSecret(chatJid, senderJid, messageId, secret);
  }

  /** See `ProtocolStore.getMessageSecret`. */
  getMessageSecret(chatJid: string, senderJid: string, messageId: string): Awaitable<Uint8Array | undefined> {
    checkKey(SECRETS, "chatJid", chatJid);
    checkKey(SECRETS, "senderJid", senderJid);
    checkKey(SECRETS, "messageId", messageId);
    return this.#sql.messageSecret(chatJid, senderJid, messageId);
  }

  /** See `ProtocolStore.deleteExpiredMessageSecrets`. */
  deleteExpiredMessageSecrets(cutoff: number): Awaitable<number> {
    checkCutoff(SECRETS, cutoff);
    return this.#sql.deleteMessageSecretsBefore(cutoff);
  }
}
