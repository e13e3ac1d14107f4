/**
 * `ProtocolStore` on SQLite, with bounded caches in front of the two lookups the send path makes per
 * message: device lists (time-to-live) and LID↔PN mappings (time-to-idle, both directions). Caches hold
 * `null` for "known absent", are updated or invalidated by this store's own writes, and assume no other
 * connection writes this account's rows (open one store per account).
 *
 * @module
 */

import { DEVICE_LIST_CACHE, LID_PN_CACHE, LruTtlCache } from "./cache.ts";
import { nowSeconds, type SqliteContext } from "./sqlite_context.ts";
import type { SQLOutput } from "./sqlite_db.ts";
import {
  blobCol,
  decodeDeviceEntries,
  encodeDeviceEntries,
  intCol,
  optIntCol,
  optTextCol,
  textCol,
} from "./sqlite_rows.ts";
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

const SKDM = "skdm_recipients";
const LID = "lid_pn_mappings";
const BASE = "base_keys";
const DEVICES = "device_lists";
const FORGET = "sender_key_forget_marks";
const TC = "tc_tokens";
const SENT = "sent_messages";
const SECRETS = "message_secrets";

type Row = Record<string, SQLOutput>;

const LID_COLS = "lid, phone_number, created_at, updated_at, learning_source";

function lidEntry(row: Row, key: string): LidPnMappingEntry {
  return {
    lid: textCol(row, "lid", LID, key),
    phoneNumber: textCol(row, "phone_number", LID, key),
    createdAt: intCol(row, "created_at", LID, key),
    updatedAt: intCol(row, "updated_at", LID, key),
    learningSource: textCol(row, "learning_source", LID, key),
  };
}

const copyEntry = (e: LidPnMappingEntry | null): LidPnMappingEntry | undefined =>
  e === null ? undefined : { ...e };

function copyOrUndefined(r: DeviceListRecord | null): DeviceListRecord | undefined {
  return r === null ? undefined : copyDeviceList(r);
}

/** The protocol tables of one account. */
export class SqliteProtocol {
  readonly #c: SqliteContext;
  readonly #deviceLists: LruTtlCache<string, DeviceListRecord | null>;
  readonly #byLid: LruTtlCache<string, LidPnMappingEntry | null>;
  readonly #byPn: LruTtlCache<string, LidPnMappingEntry | null>;

  /** Binds to a store's context; caches use its clock. */
  constructor(context: SqliteContext) {
    this.#c = context;
    this.#deviceLists = new LruTtlCache({ ...DEVICE_LIST_CACHE, clock: context.clock });
    this.#byLid = new LruTtlCache({ ...LID_PN_CACHE, clock: context.clock });
    this.#byPn = new LruTtlCache({ ...LID_PN_CACHE, clock: context.clock });
  }

  /** Forgets everything cached (the account's rows were deleted). */
  reset(): void {
    this.#deviceLists.clear();
    this.#byLid.clear();
    this.#byPn.clear();
  }

  // --- SKDM recipients -------------------------------------------------------------------------------

  /** See `ProtocolStore.getSkdmRecipients`. */
  getSkdmRecipients(groupJid: string): string[] {
    checkKey(SKDM, "groupJid", groupJid);
    const { db, deviceId } = this.#c;
    return this.#c.read(
      () =>
        db.all(
          `SELECT device_jid FROM ${SKDM} WHERE device_id = ? AND group_jid = ? ORDER BY device_jid`,
          deviceId,
          groupJid,
        ).map((r) => textCol(r, "device_jid", SKDM, groupJid)),
      SKDM,
      groupJid,
    );
  }

  /** See `ProtocolStore.addSkdmRecipients`. */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): void {
    checkKey(SKDM, "groupJid", groupJid);
    checkArray(SKDM, "deviceJids", deviceJids, (j) => checkKey(SKDM, "deviceJid", j));
    if (deviceJids.length === 0) return;
    const { db, deviceId, clock } = this.#c;
    const now = nowSeconds(clock);
    this.#c.write(
      () => {
        for (const jid of deviceJids) {
          db.run(
            `INSERT OR IGNORE INTO ${SKDM} (device_id, group_jid, device_jid, timestamp) VALUES (?, ?, ?, ?)`,
            deviceId,
            groupJid,
            jid,
            now,
          );
        }
      },
      SKDM,
      groupJid,
    );
  }

  /** See `ProtocolStore.clearSkdmRecipients`. */
  clearSkdmRecipients(groupJid: string): void {
    checkKey(SKDM, "groupJid", groupJid);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () => db.run(`DELETE FROM ${SKDM} WHERE device_id = ? AND group_jid = ?`, deviceId, groupJid),
      SKDM,
      groupJid,
    );
  }

  // --- LID <-> PN ------------------------------------------------------------------------------------

  /** See `ProtocolStore.getLidMapping`. */
  getLidMapping(lid: string): LidPnMappingEntry | undefined {
    checkKey(LID, "lid", lid);
    const cached = this.#byLid.get(lid);
    if (cached !== undefined) return copyEntry(cached);
    const { db, deviceId } = this.#c;
    const entry = this.#c.read(
      () => {
        const row = db.get(`SELECT ${LID_COLS} FROM ${LID} WHERE device_id = ? AND lid = ?`, deviceId, lid);
        return row === undefined ? null : lidEntry(row, lid);
      },
      LID,
      lid,
    );
    this.#byLid.set(lid, entry);
    return copyEntry(entry);
  }

  /** See `ProtocolStore.getPnMapping`. */
  getPnMapping(phoneNumber: string): LidPnMappingEntry | undefined {
    checkKey(LID, "phoneNumber", phoneNumber);
    const cached = this.#byPn.get(phoneNumber);
    if (cached !== undefined) return copyEntry(cached);
    const { db, deviceId } = this.#c;
    const entry = this.#c.read(
      () => {
        // Newest createdAt wins; REPLACE gives every write a new highest rowid, so a tie goes to the last write.
        const row = db.get(
          `SELECT ${LID_COLS} FROM ${LID} WHERE device_id = ? AND phone_number = ? ` +
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
          deviceId,
          phoneNumber,
        );
        return row === undefined ? null : lidEntry(row, phoneNumber);
      },
      LID,
      phoneNumber,
    );
    this.#byPn.set(phoneNumber, entry);
    return copyEntry(entry);
  }

  /** See `ProtocolStore.putLidMapping`. */
  putLidMapping(entry: LidPnMappingEntry): void {
    checkLidMapping(entry);
    const { db, deviceId } = this.#c;
    const e: LidPnMappingEntry = {
      lid: entry.lid,
      phoneNumber: entry.phoneNumber,
      createdAt: entry.createdAt,
      updatedAt: entry.updatedAt,
      learningSource: entry.learningSource,
    };
    const previousPn = this.#c.write(
      () => {
        const old = db.get(
          `SELECT phone_number FROM ${LID} WHERE device_id = ? AND lid = ?`,
          deviceId,
          e.lid,
        );
        db.run(
          `INSERT OR REPLACE INTO ${LID} (device_id, ${LID_COLS}) VALUES (?, ?, ?, ?, ?, ?)`,
          deviceId,
          e.lid,
          e.phoneNumber,
          e.createdAt,
          e.updatedAt,
          e.learningSource,
        );
        return old === undefined ? undefined : old.phone_number;
      },
      LID,
      e.lid,
    );
    this.#byLid.set(e.lid, e);
    // Which LID a phone number maps to may have changed for the new and the previous number: re-read later.
    this.#byPn.delete(e.phoneNumber);
    if (typeof previousPn === "string") this.#byPn.delete(previousPn);
  }

  /** See `ProtocolStore.getAllLidMappings`. */
  getAllLidMappings(): LidPnMappingEntry[] {
    const { db, deviceId } = this.#c;
    return this.#c.read(
      () =>
        db.all(`SELECT ${LID_COLS} FROM ${LID} WHERE device_id = ? ORDER BY lid`, deviceId).map((r) =>
          lidEntry(r, typeof r.lid === "string" ? r.lid : "?")
        ),
      LID,
    );
  }

  // --- base keys -------------------------------------------------------------------------------------

  /** See `ProtocolStore.saveBaseKey`. */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): void {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    checkBytes(BASE, "baseKey", baseKey);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `INSERT OR REPLACE INTO ${BASE} (device_id, address, message_id, base_key) VALUES (?, ?, ?, ?)`,
          deviceId,
          address,
          messageId,
          baseKey,
        ),
      BASE,
      `${address}/${messageId}`,
    );
  }

  /** See `ProtocolStore.hasSameBaseKey`. */
  hasSameBaseKey(address: string, messageId: string, currentBaseKey: Uint8Array): boolean {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    checkBytes(BASE, "currentBaseKey", currentBaseKey);
    const { db, deviceId } = this.#c;
    const key = `${address}/${messageId}`;
    return this.#c.read(
      () => {
        const row = db.get(
          `SELECT base_key FROM ${BASE} WHERE device_id = ? AND address = ? AND message_id = ?`,
          deviceId,
          address,
          messageId,
        );
        if (row === undefined) return false;
        const stored = blobCol(row, "base_key", BASE, key);
        return stored.length === currentBaseKey.length && stored.every((b, i) => b === currentBaseKey[i]);
      },
      BASE,
      key,
    );
  }

  /** See `ProtocolStore.deleteBaseKey`. */
  deleteBaseKey(address: string, messageId: string): void {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `DELETE FROM ${BASE} WHERE device_id = ? AND address = ? AND message_id = ?`,
          deviceId,
          address,
          messageId,
        ),
      BASE,
      `${address}/${messageId}`,
    );
  }

  // --- device lists ----------------------------------------------------------------------------------

  /** See `ProtocolStore.updateDeviceList`. */
  updateDeviceList(record: DeviceListRecord): void {
    checkDeviceList(record);
    const copy = copyDeviceList(record);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `INSERT INTO ${DEVICES} (device_id, user, devices, timestamp, phash) VALUES (?, ?, ?, ?, ?) ` +
            "ON CONFLICT (device_id, user) DO UPDATE SET devices = excluded.devices, " +
            "timestamp = excluded.timestamp, phash = excluded.phash",
          deviceId,
          copy.user,
          encodeDeviceEntries(copy.devices),
          copy.timestamp,
          copy.phash ?? null,
        ),
      DEVICES,
      copy.user,
    );
    this.#deviceLists.set(copy.user, copy);
  }

  /** See `ProtocolStore.getDevices`. */
  getDevices(user: string): DeviceListRecord | undefined {
    checkKey(DEVICES, "user", user);
    const cached = this.#deviceLists.get(user);
    if (cached !== undefined) return copyOrUndefined(cached);
    const { db, deviceId } = this.#c;
    const record = this.#c.read(
      () => {
        const row = db.get(
          `SELECT devices, timestamp, phash FROM ${DEVICES} WHERE device_id = ? AND user = ?`,
          deviceId,
          user,
        );
        if (row === undefined) return null;
        const r: DeviceListRecord = {
          user,
          devices: decodeDeviceEntries(blobCol(row, "devices", DEVICES, user), DEVICES, user),
          timestamp: intCol(row, "timestamp", DEVICES, user),
        };
        const phash = optTextCol(row, "phash", DEVICES, user);
        if (phash !== undefined) r.phash = phash;
        return r;
      },
      DEVICES,
      user,
    );
    this.#deviceLists.set(user, record);
    return copyOrUndefined(record);
  }

  /** See `ProtocolStore.deleteDeviceList`. */
  deleteDeviceList(user: string): void {
    checkKey(DEVICES, "user", user);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () => db.run(`DELETE FROM ${DEVICES} WHERE device_id = ? AND user = ?`, deviceId, user),
      DEVICES,
      user,
    );
    this.#deviceLists.set(user, null);
  }

  // --- sender-key forget marks -----------------------------------------------------------------------

  /** See `ProtocolStore.markForgetSenderKey`. */
  markForgetSenderKey(groupJid: string, participant: string): void {
    checkKey(FORGET, "groupJid", groupJid);
    checkKey(FORGET, "participant", participant);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `INSERT OR IGNORE INTO ${FORGET} (device_id, group_jid, participant) VALUES (?, ?, ?)`,
          deviceId,
          groupJid,
          participant,
        ),
      FORGET,
      groupJid,
    );
  }

  /** See `ProtocolStore.consumeForgetMarks`. */
  consumeForgetMarks(groupJid: string): string[] {
    checkKey(FORGET, "groupJid", groupJid);
    const { db, deviceId } = this.#c;
    // One DELETE … RETURNING: the read and the delete are a single atomic statement.
    // A bad row fails inside the transaction, so nothing is deleted then.
    return this.#c.write(
      () =>
        db.all(
          `DELETE FROM ${FORGET} WHERE device_id = ? AND group_jid = ? RETURNING participant`,
          deviceId,
          groupJid,
        )
          .map((r) => textCol(r, "participant", FORGET, groupJid)),
      FORGET,
      groupJid,
    ).sort();
  }

  // --- trusted-contact tokens ------------------------------------------------------------------------

  /** See `ProtocolStore.getTcToken`. */
  getTcToken(jid: string): TcTokenEntry | undefined {
    checkKey(TC, "jid", jid);
    const { db, deviceId } = this.#c;
    return this.#c.read(
      () => {
        const row = db.get(
          `SELECT token, token_timestamp, sender_timestamp FROM ${TC} WHERE device_id = ? AND jid = ?`,
          deviceId,
          jid,
        );
        if (row === undefined) return undefined;
        const entry: TcTokenEntry = {
          token: blobCol(row, "token", TC, jid),
          tokenTimestamp: intCol(row, "token_timestamp", TC, jid),
        };
        const sender = optIntCol(row, "sender_timestamp", TC, jid);
        if (sender !== undefined) entry.senderTimestamp = sender;
        return entry;
      },
      TC,
      jid,
    );
  }

  /** See `ProtocolStore.putTcToken`. */
  putTcToken(jid: string, entry: TcTokenEntry): void {
    checkKey(TC, "jid", jid);
    checkTcToken(entry);
    const { db, deviceId } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `INSERT OR REPLACE INTO ${TC} (device_id, jid, token, token_timestamp, sender_timestamp) VALUES (?, ?, ?, ?, ?)`,
          deviceId,
          jid,
          entry.token,
          entry.tokenTimestamp,
          entry.senderTimestamp ?? null,
        ),
      TC,
      jid,
    );
  }

  /** See `ProtocolStore.deleteTcToken`. */
  deleteTcToken(jid: string): void {
    checkKey(TC, "jid", jid);
    const { db, deviceId } = this.#c;
    this.#c.write(() => db.run(`DELETE FROM ${TC} WHERE device_id = ? AND jid = ?`, deviceId, jid), TC, jid);
  }

  /** See `ProtocolStore.getAllTcTokenJids`. */
  getAllTcTokenJids(): string[] {
    const { db, deviceId } = this.#c;
    return this.#c.read(
      () =>
        db.all(`SELECT jid FROM ${TC} WHERE device_id = ? ORDER BY jid`, deviceId).map((r) =>
          textCol(r, "jid", TC, "?")
        ),
      TC,
    );
  }

  /** See `ProtocolStore.deleteExpiredTcTokens`. */
  deleteExpiredTcTokens(cutoff: number): number {
    checkCutoff(TC, cutoff);
    const { db, deviceId } = this.#c;
    return this.#c.write(
      () => db.run(`DELETE FROM ${TC} WHERE device_id = ? AND token_timestamp < ?`, deviceId, cutoff),
      TC,
    );
  }

  // --- sent messages ---------------------------------------------------------------------------------

  /** See `ProtocolStore.storeSentMessage`. */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): void {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    checkBytes(SENT, "payload", payload);
    const { db, deviceId, clock } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `INSERT OR REPLACE INTO ${SENT} (device_id, chat_jid, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
          deviceId,
          chatJid,
          messageId,
          payload,
          nowSeconds(clock),
        ),
      SENT,
      `${chatJid}/${messageId}`,
    );
  }

  /** See `ProtocolStore.takeSentMessage`. */
  takeSentMessage(chatJid: string, messageId: string): Uint8Array | undefined {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    const { db, deviceId } = this.#c;
    const key = `${chatJid}/${messageId}`;
    return this.#c.write(
      () => {
        const row = db.get(
          `DELETE FROM ${SENT} WHERE device_id = ? AND chat_jid = ? AND message_id = ? RETURNING payload`,
          deviceId,
          chatJid,
          messageId,
        );
        // Checked inside the transaction: a corrupt payload rolls the delete back.
        return row === undefined ? undefined : blobCol(row, "payload", SENT, key);
      },
      SENT,
      key,
    );
  }

  /** See `ProtocolStore.deleteExpiredSentMessages`. */
  deleteExpiredSentMessages(cutoff: number): number {
    checkCutoff(SENT, cutoff);
    const { db, deviceId } = this.#c;
    return this.#c.write(
      () => db.run(`DELETE FROM ${SENT} WHERE device_id = ? AND created_at < ?`, deviceId, cutoff),
      SENT,
    );
  }

  /** See `ProtocolStore.getSentMessage`. */
  getSentMessage(chatJid: string, messageId: string): Uint8Array | undefined {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    const { db, deviceId } = this.#c;
    const key = `${chatJid}/${messageId}`;
    return this.#c.read(
      () => {
        const row = db.get(
          `SELECT payload FROM ${SENT} WHERE device_id = ? AND chat_jid = ? AND message_id = ?`,
          deviceId,
          chatJid,
          messageId,
        );
        return row === undefined ? undefined : blobCol(row, "payload", SENT, key);
      },
      SENT,
      key,
    );
  }

  // --- message secrets -------------------------------------------------------------------------------

  /** See `ProtocolStore.putMessageSecret`. */
  putMessageSecret(chatJid: string, senderJid: string, messageId: string, secret: Uint8Array): void {
    checkKey(SECRETS, "chatJid", chatJid);
    checkKey(SECRETS, "senderJid", senderJid);
    checkKey(SECRETS, "messageId", messageId);
    checkBytes(SECRETS, "secret", secret, 32);
    const { db, deviceId, clock } = this.#c;
    this.#c.write(
      () =>
        db.run(
          `INSERT OR REPLACE INTO ${SECRETS} (device_id, chat_jid, sender_jid, message_id, secret, created_at) ` +
            "VALUES (?, ?, ?, ?, ?, ?)",
          deviceId,
          chatJid,
          senderJid,
          messageId,
          secret,
          nowSeconds(clock),
        ),
      SECRETS,
      `${chatJid}/${senderJid}/${messageId}`,
    );
  }

  /** See `ProtocolStore.getMessageSecret`. */
  getMessageSecret(chatJid: string, senderJid: string, messageId: string): Uint8Array | undefined {
    checkKey(SECRETS, "chatJid", chatJid);
    checkKey(SECRETS, "senderJid", senderJid);
    checkKey(SECRETS, "messageId", messageId);
    const { db, deviceId } = this.#c;
    const key = `${chatJid}/${senderJid}/${messageId}`;
    return this.#c.read(
      () => {
        const row = db.get(
          `SELECT secret FROM ${SECRETS} WHERE device_id = ? AND chat_jid = ? AND sender_jid = ? AND message_id = ?`,
          deviceId,
          chatJid,
          senderJid,
          messageId,
        );
        return row === undefined ? undefined : blobCol(row, "secret", SECRETS, key);
      },
      SECRETS,
      key,
    );
  }

  /** See `ProtocolStore.deleteExpiredMessageSecrets`. */
  deleteExpiredMessageSecrets(cutoff: number): number {
    checkCutoff(SECRETS, cutoff);
    const { db, deviceId } = this.#c;
    return this.#c.write(
      () => db.run(`DELETE FROM ${SECRETS} WHERE device_id = ? AND created_at < ?`, deviceId, cutoff),
      SECRETS,
    );
  }
}
