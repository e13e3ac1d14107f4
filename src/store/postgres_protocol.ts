/**
 * The PostgreSQL statements behind `ProtocolStore` (protocol_core.ts holds the checks and caches; the
 * caches are safe because the account's lease guarantees no other process writes its rows). Every call
 * writes through (commits at once).
 *
 * @module
 */

import type { PostgresContext } from "./postgres_context.ts";
import { asRow } from "./postgres_signal.ts";
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
import { blobCol, encodeDeviceEntries, textCol } from "./sqlite_rows.ts";

/** The protocol tables of one account in a PostgreSQL database. */
export function postgresProtocolSql(c: PostgresContext): ProtocolSql {
  const { deviceId } = c;
  const nowSeconds = () => Math.floor(c.clock() / 1000);
  /** The blob in column `col` of the one row `sql` selects (`$1` is `device_id`), or `undefined`. */
  const blobOf = (sql: string, params: string[], col: string, table: string, key: string) =>
    c.read(
      async (q) => {
        const row = (await q.query(sql, [deviceId, ...params])).rows[0];
        return row === undefined ? undefined : blobCol(asRow(row), col, table, key);
      },
      table,
      key,
    );
  return {
    // --- SKDM recipients -----------------------------------------------------------------------------

    skdmRecipients: (groupJid) =>
      c.read(
        async (q) =>
          (await q.query(
            'SELECT device_jid FROM wadeno_skdm_recipients WHERE device_id = $1 AND group_jid = $2 ORDER BY device_jid COLLATE "C"',
            [deviceId, groupJid],
          )).rows.map((r) => textCol(asRow(r), "device_jid", SKDM, groupJid)),
        SKDM,
        groupJid,
      ),

    addSkdmRecipients: (groupJid, deviceJids) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_skdm_recipients (device_id, group_jid, device_jid, timestamp) " +
              "SELECT $1, $2, j, $3 FROM unnest($4::text[]) AS j ON CONFLICT DO NOTHING",
            [deviceId, groupJid, nowSeconds(), deviceJids],
          );
        },
        SKDM,
        groupJid,
      ),

    clearSkdmRecipients: (groupJid) =>
      c.write(
        async (q) => {
          await q.query("DELETE FROM wadeno_skdm_recipients WHERE device_id = $1 AND group_jid = $2", [
            deviceId,
            groupJid,
          ]);
        },
        SKDM,
        groupJid,
      ),

    // --- LID <-> PN ----------------------------------------------------------------------------------

    lidMapping: (lid) =>
      c.read(
        async (q) => {
          const row = (await q.query(
            `SELECT ${LID_COLS} FROM wadeno_lid_pn_mappings WHERE device_id = $1 AND lid = $2`,
            [
              deviceId,
              lid,
            ],
          )).rows[0];
          return row === undefined ? null : lidRow(asRow(row), lid);
        },
        LID,
        lid,
      ),

    pnMapping: (phoneNumber) =>
      c.read(
        async (q) => {
          // Newest createdAt wins; every write draws a new write_seq, so a tie goes to the last write.
          const row = (await q.query(
            `SELECT ${LID_COLS} FROM wadeno_lid_pn_mappings WHERE device_id = $1 AND phone_number = $2 ` +
              "ORDER BY created_at DESC, write_seq DESC LIMIT 1",
            [deviceId, phoneNumber],
          )).rows[0];
          return row === undefined ? null : lidRow(asRow(row), phoneNumber);
        },
        LID,
        phoneNumber,
      ),

    putLidMapping: (e) =>
      c.write(
        async (q) => {
          // The CTE reads the row as it was before the upsert (all parts of one statement share a snapshot).
          const row = (await q.query(
            "WITH old AS (SELECT phone_number FROM wadeno_lid_pn_mappings WHERE device_id = $1 AND lid = $2), " +
              `up AS (INSERT INTO wadeno_lid_pn_mappings (device_id, ${LID_COLS}) VALUES ($1, $2, $3, $4, $5, $6) ` +
              "ON CONFLICT (device_id, lid) DO UPDATE SET phone_number = excluded.phone_number, " +
              "created_at = excluded.created_at, updated_at = excluded.updated_at, " +
              "learning_source = excluded.learning_source, write_seq = nextval('wadeno_write_seq')) " +
              "SELECT phone_number FROM old",
            [deviceId, e.lid, e.phoneNumber, e.createdAt, e.updatedAt, e.learningSource],
          )).rows[0];
          return row?.phone_number;
        },
        LID,
        e.lid,
      ),

    allLidMappings: () =>
      c.read(
        async (q) =>
          (await q.query(
            `SELECT ${LID_COLS} FROM wadeno_lid_pn_mappings WHERE device_id = $1 ORDER BY lid COLLATE "C"`,
            [deviceId],
          )).rows.map((r) => lidRow(asRow(r), typeof r.lid === "string" ? r.lid : "?")),
        LID,
      ),

    // --- base keys -----------------------------------------------------------------------------------

    saveBaseKey: (address, messageId, baseKey) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_base_keys (device_id, address, message_id, base_key) VALUES ($1, $2, $3, $4) " +
              "ON CONFLICT (device_id, address, message_id) DO UPDATE SET base_key = excluded.base_key",
            [deviceId, address, messageId, baseKey],
          );
        },
        BASE,
        rowKey(address, messageId),
      ),

    baseKey: (address, messageId) =>
      blobOf(
        "SELECT base_key FROM wadeno_base_keys WHERE device_id = $1 AND address = $2 AND message_id = $3",
        [address, messageId],
        "base_key",
        BASE,
        rowKey(address, messageId),
      ),

    deleteBaseKey: (address, messageId) =>
      c.write(
        async (q) => {
          await q.query(
            "DELETE FROM wadeno_base_keys WHERE device_id = $1 AND address = $2 AND message_id = $3",
            [deviceId, address, messageId],
          );
        },
        BASE,
        rowKey(address, messageId),
      ),

    // --- device lists --------------------------------------------------------------------------------

    putDeviceList: (record) =>
      c.write(
        async (q) => {
          await q.query(
            'INSERT INTO wadeno_device_lists (device_id, "user", devices, timestamp, phash) VALUES ($1, $2, $3, $4, $5) ' +
              'ON CONFLICT (device_id, "user") DO UPDATE SET devices = excluded.devices, timestamp = excluded.timestamp, ' +
              "phash = excluded.phash",
            [
              deviceId,
              record.user,
              encodeDeviceEntries(record.devices),
              record.timestamp,
              record.phash ?? null,
            ],
          );
        },
        DEVICES,
        record.user,
      ),

    deviceList: (user) =>
      c.read(
        async (q) => {
          const row = (await q.query(
            'SELECT devices, timestamp, phash FROM wadeno_device_lists WHERE device_id = $1 AND "user" = $2',
            [deviceId, user],
          )).rows[0];
          return row === undefined ? null : deviceListRow(asRow(row), user);
        },
        DEVICES,
        user,
      ),

    deleteDeviceList: (user) =>
      c.write(
        async (q) => {
          await q.query('DELETE FROM wadeno_device_lists WHERE device_id = $1 AND "user" = $2', [
            deviceId,
            user,
          ]);
        },
        DEVICES,
        user,
      ),

    // --- sender-key forget marks ---------------------------------------------------------------------

    markForgetSenderKey: (groupJid, participant) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_sender_key_forget_marks (device_id, group_jid, participant) VALUES ($1, $2, $3) " +
              "ON CONFLICT DO NOTHING",
            [deviceId, groupJid, participant],
          );
        },
        FORGET,
        groupJid,
      ),

    // One DELETE … RETURNING: the read and the delete are a single atomic statement.
    takeForgetMarks: (groupJid) =>
      c.write(
        async (q) =>
          (await q.query(
            "DELETE FROM wadeno_sender_key_forget_marks WHERE device_id = $1 AND group_jid = $2 RETURNING participant",
            [deviceId, groupJid],
          )).rows.map((r) => textCol(asRow(r), "participant", FORGET, groupJid)),
        FORGET,
        groupJid,
      ),

    // --- trusted-contact tokens ----------------------------------------------------------------------

    tcToken: (jid) =>
      c.read(
        async (q) => {
          const row = (await q.query(
            "SELECT token, token_timestamp, sender_timestamp FROM wadeno_tc_tokens WHERE device_id = $1 AND jid = $2",
            [deviceId, jid],
          )).rows[0];
          return row === undefined ? undefined : tcTokenRow(asRow(row), jid);
        },
        TC,
        jid,
      ),

    putTcToken: (jid, entry) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_tc_tokens (device_id, jid, token, token_timestamp, sender_timestamp) VALUES ($1, $2, $3, $4, $5) " +
              "ON CONFLICT (device_id, jid) DO UPDATE SET token = excluded.token, token_timestamp = excluded.token_timestamp, " +
              "sender_timestamp = excluded.sender_timestamp",
            [deviceId, jid, entry.token, entry.tokenTimestamp, entry.senderTimestamp ?? null],
          );
        },
        TC,
        jid,
      ),

    deleteTcToken: (jid) =>
      c.write(
        async (q) => {
          await q.query("DELETE FROM wadeno_tc_tokens WHERE device_id = $1 AND jid = $2", [deviceId, jid]);
        },
        TC,
        jid,
      ),

    tcTokenJids: () =>
      c.read(
        async (q) =>
          (await q.query('SELECT jid FROM wadeno_tc_tokens WHERE device_id = $1 ORDER BY jid COLLATE "C"', [
            deviceId,
          ])).rows.map((r) => textCol(asRow(r), "jid", TC, "?")),
        TC,
      ),

    deleteTcTokensBefore: (cutoff) =>
      c.write(
        async (q) =>
          (await q.query("DELETE FROM wadeno_tc_tokens WHERE device_id = $1 AND token_timestamp < $2", [
            deviceId,
            cutoff,
          ])).rowCount ?? 0,
        TC,
      ),

    // --- sent messages -------------------------------------------------------------------------------

    storeSentMessage: (chatJid, messageId, payload) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_sent_messages (device_id, chat_jid, message_id, payload, created_at) VALUES ($1, $2, $3, $4, $5) " +
              "ON CONFLICT (device_id, chat_jid, message_id) DO UPDATE SET payload = excluded.payload, " +
              "created_at = excluded.created_at",
            [deviceId, chatJid, messageId, payload, nowSeconds()],
          );
        },
        SENT,
        rowKey(chatJid, messageId),
      ),

    takeSentMessage(chatJid, messageId) {
      const key = rowKey(chatJid, messageId);
      // A corrupt payload fails inside the statement's transaction, so the delete then rolls back.
      return c.write(
        async (q) => {
          const row = (await q.query(
            "DELETE FROM wadeno_sent_messages WHERE device_id = $1 AND chat_jid = $2 AND message_id = $3 RETURNING payload",
            [deviceId, chatJid, messageId],
          )).rows[0];
          return row === undefined ? undefined : blobCol(asRow(row), "payload", SENT, key);
        },
        SENT,
        key,
        true,
      );
    },

    sentMessage: (chatJid, messageId) =>
      blobOf(
        "SELECT payload FROM wadeno_sent_messages WHERE device_id = $1 AND chat_jid = $2 AND message_id = $3",
        [chatJid, messageId],
        "payload",
        SENT,
        rowKey(chatJid, messageId),
      ),

    deleteSentMessagesBefore: (cutoff) =>
      c.write(
        async (q) =>
          (await q.query("DELETE FROM wadeno_sent_messages WHERE device_id = $1 AND created_at < $2", [
            deviceId,
            cutoff,
          ])).rowCount ?? 0,
        SENT,
      ),

    // --- message secrets -----------------------------------------------------------------------------

    putMessageSecret: (chatJid, senderJid, messageId, secret) =>
      c.write(
        async (q) => {
          await q.query(
            "INSERT INTO wadeno_message_secrets (device_id, chat_jid, sender_jid, message_id, secret, created_at) " +
              "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, chat_jid, sender_jid, message_id) " +
              "DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
            [deviceId, chatJid, senderJid, messageId, secret, nowSeconds()],
          );
        },
        SECRETS,
        rowKey(chatJid, senderJid, messageId),
      ),

    messageSecret: (chatJid, senderJid, messageId) =>
      blobOf(
        "SELECT secret FROM wadeno_message_secrets WHERE device_id = $1 AND chat_jid = $2 AND sender_jid = $3 " +
          "AND message_id = $4",
        [chatJid, senderJid, messageId],
        "secret",
        SECRETS,
        rowKey(chatJid, senderJid, messageId),
      ),

    deleteMessageSecretsBefore: (cutoff) =>
      c.write(
        async (q) =>
          (await q.query("DELETE FROM wadeno_message_secrets WHERE device_id = $1 AND created_at < $2", [
            deviceId,
            cutoff,
          ])).rowCount ?? 0,
        SECRETS,
      ),
  };
}
