/**
 * `ProtocolStore` on PostgreSQL, written through, with the same bounded caches as the SQLite store in
 * front of the two lookups the send path makes per message: device lists (time-to-live) and LID↔PN
 * mappings (time-to-idle, both directions). The caches are safe because the account's lease guarantees
 * no other process writes its rows.
 *
 * @module
 */

import { DEVICE_LIST_CACHE, LID_PN_CACHE, LruTtlCache } from "./cache.ts";
import type { PostgresContext } from "./postgres_context.ts";
import type { PgRow } from "./postgres_driver.ts";
import { asRow } from "./postgres_signal.ts";
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

const LID_COLS = "lid, phone_number, created_at, updated_at, learning_source";

function lidEntry(row: PgRow, key: string): LidPnMappingEntry {
  const r = asRow(row);
  return {
    lid: textCol(r, "lid", LID, key),
    phoneNumber: textCol(r, "phone_number", LID, key),
    createdAt: intCol(r, "created_at", LID, key),
    updatedAt: intCol(r, "updated_at", LID, key),
    learningSource: textCol(r, "learning_source", LID, key),
  };
}

const copyEntry = (e: LidPnMappingEntry | null): LidPnMappingEntry | undefined =>
  e === null ? undefined : { ...e };
const copyList = (r: DeviceListRecord | null): DeviceListRecord | undefined =>
  r === null ? undefined : copyDeviceList(r);
const nowSeconds = (c: PostgresContext) => Math.floor(c.clock() / 1000);

/** The protocol tables of one account. */
export class PostgresProtocol {
  readonly #c: PostgresContext;
  readonly #deviceLists: LruTtlCache<string, DeviceListRecord | null>;
  readonly #byLid: LruTtlCache<string, LidPnMappingEntry | null>;
  readonly #byPn: LruTtlCache<string, LidPnMappingEntry | null>;

  /** Binds to a store's context; caches use its clock. */
  constructor(context: PostgresContext) {
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
  getSkdmRecipients(groupJid: string): Promise<string[]> {
    checkKey(SKDM, "groupJid", groupJid);
    return this.#c.read(
      async (q) =>
        (await q.query(
          'SELECT device_jid FROM wadeno_skdm_recipients WHERE device_id = $1 AND group_jid = $2 ORDER BY device_jid COLLATE "C"',
          [this.#c.deviceId, groupJid],
        )).rows.map((r) => textCol(asRow(r), "device_jid", SKDM, groupJid)),
      SKDM,
      groupJid,
    );
  }

  /** See `ProtocolStore.addSkdmRecipients`. */
  addSkdmRecipients(groupJid: string, deviceJids: readonly string[]): Promise<void> {
    checkKey(SKDM, "groupJid", groupJid);
    checkArray(SKDM, "deviceJids", deviceJids, (j) => checkKey(SKDM, "deviceJid", j));
    if (deviceJids.length === 0) return Promise.resolve();
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_skdm_recipients (device_id, group_jid, device_jid, timestamp) " +
            "SELECT $1, $2, j, $3 FROM unnest($4::text[]) AS j ON CONFLICT DO NOTHING",
          [this.#c.deviceId, groupJid, nowSeconds(this.#c), deviceJids],
        );
      },
      SKDM,
      groupJid,
    );
  }

  /** See `ProtocolStore.clearSkdmRecipients`. */
  clearSkdmRecipients(groupJid: string): Promise<void> {
    checkKey(SKDM, "groupJid", groupJid);
    return this.#c.write(
      async (q) => {
        await q.query("DELETE FROM wadeno_skdm_recipients WHERE device_id = $1 AND group_jid = $2", [
          this.#c.deviceId,
          groupJid,
        ]);
      },
      SKDM,
      groupJid,
    );
  }

  // --- LID <-> PN ------------------------------------------------------------------------------------

  /** See `ProtocolStore.getLidMapping`. */
  async getLidMapping(lid: string): Promise<LidPnMappingEntry | undefined> {
    checkKey(LID, "lid", lid);
    const cached = this.#byLid.get(lid);
    if (cached !== undefined) return copyEntry(cached);
    const entry = await this.#c.read(
      async (q) => {
        const row =
          (await q.query(`SELECT ${LID_COLS} FROM wadeno_lid_pn_mappings WHERE device_id = $1 AND lid = $2`, [
            this.#c.deviceId,
            lid,
          ])).rows[0];
        return row === undefined ? null : lidEntry(row, lid);
      },
      LID,
      lid,
    );
    this.#byLid.set(lid, entry);
    return copyEntry(entry);
  }

  /** See `ProtocolStore.getPnMapping`. */
  async getPnMapping(phoneNumber: string): Promise<LidPnMappingEntry | undefined> {
    checkKey(LID, "phoneNumber", phoneNumber);
    const cached = this.#byPn.get(phoneNumber);
    if (cached !== undefined) return copyEntry(cached);
    const entry = await this.#c.read(
      async (q) => {
        // Newest createdAt wins; every write draws a new write_seq, so a tie goes to the last write.
        const row = (await q.query(
          `SELECT ${LID_COLS} FROM wadeno_lid_pn_mappings WHERE device_id = $1 AND phone_number = $2 ` +
            "ORDER BY created_at DESC, write_seq DESC LIMIT 1",
          [this.#c.deviceId, phoneNumber],
        )).rows[0];
        return row === undefined ? null : lidEntry(row, phoneNumber);
      },
      LID,
      phoneNumber,
    );
    this.#byPn.set(phoneNumber, entry);
    return copyEntry(entry);
  }

  /** See `ProtocolStore.putLidMapping`. */
  async putLidMapping(entry: LidPnMappingEntry): Promise<void> {
    checkLidMapping(entry);
    const e: LidPnMappingEntry = {
      lid: entry.lid,
      phoneNumber: entry.phoneNumber,
      createdAt: entry.createdAt,
      updatedAt: entry.updatedAt,
      learningSource: entry.learningSource,
    };
    const previousPn = await this.#c.write(
      async (q) => {
        // The CTE reads the row as it was before the upsert (all parts of one statement share a snapshot).
        const row = (await q.query(
          "WITH old AS (SELECT phone_number FROM wadeno_lid_pn_mappings WHERE device_id = $1 AND lid = $2), " +
            `up AS (INSERT INTO wadeno_lid_pn_mappings (device_id, ${LID_COLS}) VALUES ($1, $2, $3, $4, $5, $6) ` +
            "ON CONFLICT (device_id, lid) DO UPDATE SET phone_number = excluded.phone_number, " +
            "created_at = excluded.created_at, updated_at = excluded.updated_at, " +
            "learning_source = excluded.learning_source, write_seq = nextval('wadeno_write_seq')) " +
            "SELECT phone_number FROM old",
          [this.#c.deviceId, e.lid, e.phoneNumber, e.createdAt, e.updatedAt, e.learningSource],
        )).rows[0];
        return row?.phone_number;
      },
      LID,
      e.lid,
    );
    this.#byLid.set(e.lid, e);
    this.#byPn.delete(e.phoneNumber);
    if (typeof previousPn === "string") this.#byPn.delete(previousPn);
  }

  /** See `ProtocolStore.getAllLidMappings`. */
  getAllLidMappings(): Promise<LidPnMappingEntry[]> {
    return this.#c.read(
      async (q) =>
        (await q.query(
          `SELECT ${LID_COLS} FROM wadeno_lid_pn_mappings WHERE device_id = $1 ORDER BY lid COLLATE "C"`,
          [
            this.#c.deviceId,
          ],
        )).rows.map((r) => lidEntry(r, typeof r.lid === "string" ? r.lid : "?")),
      LID,
    );
  }

  // --- base keys -------------------------------------------------------------------------------------

  /** See `ProtocolStore.saveBaseKey`. */
  saveBaseKey(address: string, messageId: string, baseKey: Uint8Array): Promise<void> {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    checkBytes(BASE, "baseKey", baseKey);
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_base_keys (device_id, address, message_id, base_key) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (device_id, address, message_id) DO UPDATE SET base_key = excluded.base_key",
          [this.#c.deviceId, address, messageId, baseKey],
        );
      },
      BASE,
      `${address}/${messageId}`,
    );
  }

  /** See `ProtocolStore.hasSameBaseKey`. */
  hasSameBaseKey(address: string, messageId: string, currentBaseKey: Uint8Array): Promise<boolean> {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    checkBytes(BASE, "currentBaseKey", currentBaseKey);
    const key = `${address}/${messageId}`;
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT base_key FROM wadeno_base_keys WHERE device_id = $1 AND address = $2 AND message_id = $3",
          [this.#c.deviceId, address, messageId],
        )).rows[0];
        if (row === undefined) return false;
        const stored = blobCol(asRow(row), "base_key", BASE, key);
        return stored.length === currentBaseKey.length && stored.every((b, i) => b === currentBaseKey[i]);
      },
      BASE,
      key,
    );
  }

  /** See `ProtocolStore.deleteBaseKey`. */
  deleteBaseKey(address: string, messageId: string): Promise<void> {
    checkKey(BASE, "address", address);
    checkKey(BASE, "messageId", messageId);
    return this.#c.write(
      async (q) => {
        await q.query(
          "DELETE FROM wadeno_base_keys WHERE device_id = $1 AND address = $2 AND message_id = $3",
          [
            this.#c.deviceId,
            address,
            messageId,
          ],
        );
      },
      BASE,
      `${address}/${messageId}`,
    );
  }

  // --- device lists ----------------------------------------------------------------------------------

  /** See `ProtocolStore.updateDeviceList`. */
  async updateDeviceList(record: DeviceListRecord): Promise<void> {
    checkDeviceList(record);
    const copy = copyDeviceList(record);
    await this.#c.write(
      async (q) => {
        await q.query(
          'INSERT INTO wadeno_device_lists (device_id, "user", devices, timestamp, phash) VALUES ($1, $2, $3, $4, $5) ' +
            'ON CONFLICT (device_id, "user") DO UPDATE SET devices = excluded.devices, timestamp = excluded.timestamp, ' +
            "phash = excluded.phash",
          [
            this.#c.deviceId,
            copy.user,
            encodeDeviceEntries(copy.devices),
            copy.timestamp,
            copy.phash ?? null,
          ],
        );
      },
      DEVICES,
      copy.user,
    );
    this.#deviceLists.set(copy.user, copy);
  }

  /** See `ProtocolStore.getDevices`. */
  async getDevices(user: string): Promise<DeviceListRecord | undefined> {
    checkKey(DEVICES, "user", user);
    const cached = this.#deviceLists.get(user);
    if (cached !== undefined) return copyList(cached);
    const record = await this.#c.read(
      async (q) => {
        const row = (await q.query(
          'SELECT devices, timestamp, phash FROM wadeno_device_lists WHERE device_id = $1 AND "user" = $2',
          [this.#c.deviceId, user],
        )).rows[0];
        if (row === undefined) return null;
        const r = asRow(row);
        const out: DeviceListRecord = {
          user,
          devices: decodeDeviceEntries(blobCol(r, "devices", DEVICES, user), DEVICES, user),
          timestamp: intCol(r, "timestamp", DEVICES, user),
        };
        const phash = optTextCol(r, "phash", DEVICES, user);
        if (phash !== undefined) out.phash = phash;
        return out;
      },
      DEVICES,
      user,
    );
    this.#deviceLists.set(user, record);
    return copyList(record);
  }

  /** See `ProtocolStore.deleteDeviceList`. */
  async deleteDeviceList(user: string): Promise<void> {
    checkKey(DEVICES, "user", user);
    await this.#c.write(
      async (q) => {
        await q.query('DELETE FROM wadeno_device_lists WHERE device_id = $1 AND "user" = $2', [
          this.#c.deviceId,
          user,
        ]);
      },
      DEVICES,
      user,
    );
    this.#deviceLists.set(user, null);
  }

  // --- sender-key forget marks -----------------------------------------------------------------------

  /** See `ProtocolStore.markForgetSenderKey`. */
  markForgetSenderKey(groupJid: string, participant: string): Promise<void> {
    checkKey(FORGET, "groupJid", groupJid);
    checkKey(FORGET, "participant", participant);
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_sender_key_forget_marks (device_id, group_jid, participant) VALUES ($1, $2, $3) " +
            "ON CONFLICT DO NOTHING",
          [this.#c.deviceId, groupJid, participant],
        );
      },
      FORGET,
      groupJid,
    );
  }

  /** See `ProtocolStore.consumeForgetMarks`. */
  async consumeForgetMarks(groupJid: string): Promise<string[]> {
    checkKey(FORGET, "groupJid", groupJid);
    // One DELETE … RETURNING: the read and the delete are a single atomic statement.
    const marks = await this.#c.write(
      async (q) =>
        (await q.query(
          "DELETE FROM wadeno_sender_key_forget_marks WHERE device_id = $1 AND group_jid = $2 RETURNING participant",
          [this.#c.deviceId, groupJid],
        )).rows.map((r) => textCol(asRow(r), "participant", FORGET, groupJid)),
      FORGET,
      groupJid,
    );
    return marks.sort();
  }

  // --- trusted-contact tokens ------------------------------------------------------------------------

  /** See `ProtocolStore.getTcToken`. */
  getTcToken(jid: string): Promise<TcTokenEntry | undefined> {
    checkKey(TC, "jid", jid);
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT token, token_timestamp, sender_timestamp FROM wadeno_tc_tokens WHERE device_id = $1 AND jid = $2",
          [this.#c.deviceId, jid],
        )).rows[0];
        if (row === undefined) return undefined;
        const r = asRow(row);
        const entry: TcTokenEntry = {
          token: blobCol(r, "token", TC, jid),
          tokenTimestamp: intCol(r, "token_timestamp", TC, jid),
        };
        const sender = optIntCol(r, "sender_timestamp", TC, jid);
        if (sender !== undefined) entry.senderTimestamp = sender;
        return entry;
      },
      TC,
      jid,
    );
  }

  /** See `ProtocolStore.putTcToken`. */
  putTcToken(jid: string, entry: TcTokenEntry): Promise<void> {
    checkKey(TC, "jid", jid);
    checkTcToken(entry);
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_tc_tokens (device_id, jid, token, token_timestamp, sender_timestamp) VALUES ($1, $2, $3, $4, $5) " +
            "ON CONFLICT (device_id, jid) DO UPDATE SET token = excluded.token, token_timestamp = excluded.token_timestamp, " +
            "sender_timestamp = excluded.sender_timestamp",
          [this.#c.deviceId, jid, entry.token, entry.tokenTimestamp, entry.senderTimestamp ?? null],
        );
      },
      TC,
      jid,
    );
  }

  /** See `ProtocolStore.deleteTcToken`. */
  deleteTcToken(jid: string): Promise<void> {
    checkKey(TC, "jid", jid);
    return this.#c.write(
      async (q) => {
        await q.query("DELETE FROM wadeno_tc_tokens WHERE device_id = $1 AND jid = $2", [
          this.#c.deviceId,
          jid,
        ]);
      },
      TC,
      jid,
    );
  }

  /** See `ProtocolStore.getAllTcTokenJids`. */
  getAllTcTokenJids(): Promise<string[]> {
    return this.#c.read(
      async (q) =>
        (await q.query('SELECT jid FROM wadeno_tc_tokens WHERE device_id = $1 ORDER BY jid COLLATE "C"', [
          this.#c.deviceId,
        ])).rows.map((r) => textCol(asRow(r), "jid", TC, "?")),
      TC,
    );
  }

  /** See `ProtocolStore.deleteExpiredTcTokens`. */
  deleteExpiredTcTokens(cutoff: number): Promise<number> {
    checkCutoff(TC, cutoff);
    return this.#c.write(
      async (q) =>
        (await q.query("DELETE FROM wadeno_tc_tokens WHERE device_id = $1 AND token_timestamp < $2", [
          this.#c.deviceId,
          cutoff,
        ])).rowCount ?? 0,
      TC,
    );
  }

  // --- sent messages ---------------------------------------------------------------------------------

  /** See `ProtocolStore.storeSentMessage`. */
  storeSentMessage(chatJid: string, messageId: string, payload: Uint8Array): Promise<void> {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    checkBytes(SENT, "payload", payload);
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_sent_messages (device_id, chat_jid, message_id, payload, created_at) VALUES ($1, $2, $3, $4, $5) " +
            "ON CONFLICT (device_id, chat_jid, message_id) DO UPDATE SET payload = excluded.payload, " +
            "created_at = excluded.created_at",
          [this.#c.deviceId, chatJid, messageId, payload, nowSeconds(this.#c)],
        );
      },
      SENT,
      `${chatJid}/${messageId}`,
    );
  }

  /** See `ProtocolStore.takeSentMessage`. */
  takeSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined> {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    const key = `${chatJid}/${messageId}`;
    // A corrupt payload fails inside the statement's transaction, so the delete then rolls back.
    return this.#c.write(
      async (q) => {
        const row = (await q.query(
          "DELETE FROM wadeno_sent_messages WHERE device_id = $1 AND chat_jid = $2 AND message_id = $3 RETURNING payload",
          [this.#c.deviceId, chatJid, messageId],
        )).rows[0];
        return row === undefined ? undefined : blobCol(asRow(row), "payload", SENT, key);
      },
      SENT,
      key,
      true,
    );
  }

  /** See `ProtocolStore.getSentMessage`. */
  getSentMessage(chatJid: string, messageId: string): Promise<Uint8Array | undefined> {
    checkKey(SENT, "chatJid", chatJid);
    checkKey(SENT, "messageId", messageId);
    const key = `${chatJid}/${messageId}`;
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT payload FROM wadeno_sent_messages WHERE device_id = $1 AND chat_jid = $2 AND message_id = $3",
          [this.#c.deviceId, chatJid, messageId],
        )).rows[0];
        return row === undefined ? undefined : blobCol(asRow(row), "payload", SENT, key);
      },
      SENT,
      key,
    );
  }

  /** See `ProtocolStore.deleteExpiredSentMessages`. */
  deleteExpiredSentMessages(cutoff: number): Promise<number> {
    checkCutoff(SENT, cutoff);
    return this.#c.write(
      async (q) =>
        (await q.query("DELETE FROM wadeno_sent_messages WHERE device_id = $1 AND created_at < $2", [
          this.#c.deviceId,
          cutoff,
        ])).rowCount ?? 0,
      SENT,
    );
  }

  // --- message secrets -------------------------------------------------------------------------------

  /** See `ProtocolStore.putMessageSecret`. */
  putMessageSecret(chatJid: string, senderJid: string, messageId: string, secret: Uint8Array): Promise<void> {
    checkKey(SECRETS, "chatJid", chatJid);
    checkKey(SECRETS, "senderJid", senderJid);
    checkKey(SECRETS, "messageId", messageId);
    checkBytes(SECRETS, "secret", secret, 32);
    return this.#c.write(
      async (q) => {
        await q.query(
          "INSERT INTO wadeno_message_secrets (device_id, chat_jid, sender_jid, message_id, secret, created_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, chat_jid, sender_jid, message_id) " +
            "DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
          [this.#c.deviceId, chatJid, senderJid, messageId, secret, nowSeconds(this.#c)],
        );
      },
      SECRETS,
      `${chatJid}/${senderJid}/${messageId}`,
    );
  }

  /** See `ProtocolStore.getMessageSecret`. */
  getMessageSecret(chatJid: string, senderJid: string, messageId: string): Promise<Uint8Array | undefined> {
    checkKey(SECRETS, "chatJid", chatJid);
    checkKey(SECRETS, "senderJid", senderJid);
    checkKey(SECRETS, "messageId", messageId);
    const key = `${chatJid}/${senderJid}/${messageId}`;
    return this.#c.read(
      async (q) => {
        const row = (await q.query(
          "SELECT secret FROM wadeno_message_secrets WHERE device_id = $1 AND chat_jid = $2 AND sender_jid = $3 " +
            "AND message_id = $4",
          [this.#c.deviceId, chatJid, senderJid, messageId],
        )).rows[0];
        return row === undefined ? undefined : blobCol(asRow(row), "secret", SECRETS, key);
      },
      SECRETS,
      key,
    );
  }

  /** See `ProtocolStore.deleteExpiredMessageSecrets`. */
  deleteExpiredMessageSecrets(cutoff: number): Promise<number> {
    checkCutoff(SECRETS, cutoff);
    return this.#c.write(
      async (q) =>
        (await q.query("DELETE FROM wadeno_message_secrets WHERE device_id = $1 AND created_at < $2", [
          this.#c.deviceId,
          cutoff,
        ])).rowCount ?? 0,
      SECRETS,
    );
  }
}
