/**
 * The SQLite statements behind `ProtocolStore` (protocol_core.ts holds the checks and caches).
 * Synchronous; the `SqliteStore` wraps each call in a promise.
 *
 * @module
 */

import {
  BASE,
  deviceListRow,
  DEVICES,
  FORGET,
  LID,
  LID_COLS,
  lidRow,
  type ProtocolSql,
  rowKey,
  SECRETS,
  SENT,
  SKDM,
  TC,
  tcTokenRow,
} from "./protocol_core.ts";
import { nowSeconds, type SqliteContext } from "./sqlite_context.ts";
import { blobCol, encodeDeviceEntries, textCol } from "./sqlite_rows.ts";

/** The protocol tables of one account in a SQLite file. */
export function sqliteProtocolSql(c: SqliteContext): ProtocolSql {
  const { db, deviceId, clock } = c;
  /** The blob in column `col` of the one row `sql` selects (after `device_id`), or `undefined`. */
  const blobOf = (sql: string, params: string[], col: string, table: string, key: string) =>
    c.read(
      () => {
        const row = db.get(sql, deviceId, ...params);
        return row === undefined ? undefined : blobCol(row, col, table, key);
      },
      table,
      key,
    );
  return {
    // --- SKDM recipients -----------------------------------------------------------------------------

    skdmRecipients: (groupJid) =>
      c.read(
        () =>
          db.all(
            `SELECT device_jid FROM ${SKDM} WHERE device_id = ? AND group_jid = ? ORDER BY device_jid`,
            deviceId,
            groupJid,
          ).map((r) => textCol(r, "device_jid", SKDM, groupJid)),
        SKDM,
        groupJid,
      ),

    addSkdmRecipients(groupJid, deviceJids) {
      const now = nowSeconds(clock);
      c.write(
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
    },

    clearSkdmRecipients(groupJid) {
      c.write(
        () => db.run(`DELETE FROM ${SKDM} WHERE device_id = ? AND group_jid = ?`, deviceId, groupJid),
        SKDM,
        groupJid,
      );
    },

    // --- LID <-> PN ----------------------------------------------------------------------------------

    lidMapping: (lid) =>
      c.read(
        () => {
          const row = db.get(`SELECT ${LID_COLS} FROM ${LID} WHERE device_id = ? AND lid = ?`, deviceId, lid);
          return row === undefined ? null : lidRow(row, lid);
        },
        LID,
        lid,
      ),

    pnMapping: (phoneNumber) =>
      c.read(
        () => {
          // Newest createdAt wins; REPLACE gives every write a new highest rowid, so a tie goes to the last write.
          const row = db.get(
            `SELECT ${LID_COLS} FROM ${LID} WHERE device_id = ? AND phone_number = ? ` +
              "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            deviceId,
            phoneNumber,
          );
          return row === undefined ? null : lidRow(row, phoneNumber);
        },
        LID,
        phoneNumber,
      ),

    putLidMapping: (e) =>
      c.write(
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
      ),

    allLidMappings: () =>
      c.read(
        () =>
          db.all(`SELECT ${LID_COLS} FROM ${LID} WHERE device_id = ? ORDER BY lid`, deviceId).map((r) =>
            lidRow(r, typeof r.lid === "string" ? r.lid : "?")
          ),
        LID,
      ),

    // --- base keys -----------------------------------------------------------------------------------

    saveBaseKey(address, messageId, baseKey) {
      c.write(
        () =>
          db.run(
            `INSERT OR REPLACE INTO ${BASE} (device_id, address, message_id, base_key) VALUES (?, ?, ?, ?)`,
            deviceId,
            address,
            messageId,
            baseKey,
          ),
        BASE,
        rowKey(address, messageId),
      );
    },

    baseKey: (address, messageId) =>
      blobOf(
        `SELECT base_key FROM ${BASE} WHERE device_id = ? AND address = ? AND message_id = ?`,
        [address, messageId],
        "base_key",
        BASE,
        rowKey(address, messageId),
      ),

    deleteBaseKey(address, messageId) {
      c.write(
        () =>
          db.run(
            `DELETE FROM ${BASE} WHERE device_id = ? AND address = ? AND message_id = ?`,
            deviceId,
            address,
            messageId,
          ),
        BASE,
        rowKey(address, messageId),
      );
    },

    // --- device lists --------------------------------------------------------------------------------

    putDeviceList(record) {
      c.write(
        () =>
          db.run(
            `INSERT INTO ${DEVICES} (device_id, user, devices, timestamp, phash) VALUES (?, ?, ?, ?, ?) ` +
              "ON CONFLICT (device_id, user) DO UPDATE SET devices = excluded.devices, " +
              "timestamp = excluded.timestamp, phash = excluded.phash",
            deviceId,
            record.user,
            encodeDeviceEntries(record.devices),
            record.timestamp,
            record.phash ?? null,
          ),
        DEVICES,
        record.user,
      );
    },

    deviceList: (user) =>
      c.read(
        () => {
          const row = db.get(
            `SELECT devices, timestamp, phash FROM ${DEVICES} WHERE device_id = ? AND user = ?`,
            deviceId,
            user,
          );
          return row === undefined ? null : deviceListRow(row, user);
        },
        DEVICES,
        user,
      ),

    deleteDeviceList(user) {
      c.write(
        () => db.run(`DELETE FROM ${DEVICES} WHERE device_id = ? AND user = ?`, deviceId, user),
        DEVICES,
        user,
      );
    },

    // --- sender-key forget marks ---------------------------------------------------------------------

    markForgetSenderKey(groupJid, participant) {
      c.write(
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
    },

    // One DELETE … RETURNING: the read and the delete are a single atomic statement.
    // A bad row fails inside the transaction, so nothing is deleted then.
    takeForgetMarks: (groupJid) =>
      c.write(
        () =>
          db.all(
            `DELETE FROM ${FORGET} WHERE device_id = ? AND group_jid = ? RETURNING participant`,
            deviceId,
            groupJid,
          )
            .map((r) => textCol(r, "participant", FORGET, groupJid)),
        FORGET,
        groupJid,
      ),

    // --- trusted-contact tokens ----------------------------------------------------------------------

    tcToken: (jid) =>
      c.read(
        () => {
          const row = db.get(
            `SELECT token, token_timestamp, sender_timestamp FROM ${TC} WHERE device_id = ? AND jid = ?`,
            deviceId,
            jid,
          );
          return row === undefined ? undefined : tcTokenRow(row, jid);
        },
        TC,
        jid,
      ),

    putTcToken(jid, entry) {
      c.write(
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
    },

    deleteTcToken(jid) {
      c.write(() => db.run(`DELETE FROM ${TC} WHERE device_id = ? AND jid = ?`, deviceId, jid), TC, jid);
    },

    tcTokenJids: () =>
      c.read(
        () =>
          db.all(`SELECT jid FROM ${TC} WHERE device_id = ? ORDER BY jid`, deviceId).map((r) =>
            textCol(r, "jid", TC, "?")
          ),
        TC,
      ),

    deleteTcTokensBefore: (cutoff) =>
      c.write(
        () => db.run(`DELETE FROM ${TC} WHERE device_id = ? AND token_timestamp < ?`, deviceId, cutoff),
        TC,
      ),

    // --- sent messages -------------------------------------------------------------------------------

    storeSentMessage(chatJid, messageId, payload) {
      c.write(
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
        rowKey(chatJid, messageId),
      );
    },

    takeSentMessage(chatJid, messageId) {
      const key = rowKey(chatJid, messageId);
      return c.write(
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
    },

    sentMessage: (chatJid, messageId) =>
      blobOf(
        `SELECT payload FROM ${SENT} WHERE device_id = ? AND chat_jid = ? AND message_id = ?`,
        [chatJid, messageId],
        "payload",
        SENT,
        rowKey(chatJid, messageId),
      ),

    deleteSentMessagesBefore: (cutoff) =>
      c.write(
        () => db.run(`DELETE FROM ${SENT} WHERE device_id = ? AND created_at < ?`, deviceId, cutoff),
        SENT,
      ),

    // --- message secrets -----------------------------------------------------------------------------

    putMessageSecret(chatJid, senderJid, messageId, secret) {
      c.write(
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
        rowKey(chatJid, senderJid, messageId),
      );
    },

    messageSecret: (chatJid, senderJid, messageId) =>
      blobOf(
        `SELECT secret FROM ${SECRETS} WHERE device_id = ? AND chat_jid = ? AND sender_jid = ? AND message_id = ?`,
        [chatJid, senderJid, messageId],
        "secret",
        SECRETS,
        rowKey(chatJid, senderJid, messageId),
      ),

    deleteMessageSecretsBefore: (cutoff) =>
      c.write(
        () => db.run(`DELETE FROM ${SECRETS} WHERE device_id = ? AND created_at < ?`, deviceId, cutoff),
        SECRETS,
      ),
  };
}
