/**
 * Importing an account from whatsmeow's SQL store (`go.mau.fi/whatsmeow/store/sqlstore`, on SQLite or
 * PostgreSQL) into any wadeno {@linkcode Backend}, so a whatsmeow bot moves to wadeno without linking its
 * phone again and with its contacts' Signal sessions intact.
 *
 * The tables read are whatsmeow's published layout (`store/sqlstore/upgrades/00-latest-schema.sql`):
 * - `whatsmeow_device`: one row per account, keyed by `jid`; the private keys are stored alone
 *   (`noise_key`, `identity_key`, `signed_pre_key`, 32 bytes each; public keys are derived), with
 *   `registration_id`, `signed_pre_key_id`/`_sig`, `adv_key` (the ADV secret), the signed identity
 *   (`adv_details`, `adv_account_sig`, `adv_account_sig_key`, `adv_device_sig`), `platform`,
 *   `business_name`, `push_name`, `lid`;
 * - `whatsmeow_sessions`, `whatsmeow_identity_keys`, `whatsmeow_sender_keys`: libsignal records in
 *   libsignal's storage protobufs (the same bytes wadeno's records read), keyed by the Signal address
 *   `user[_agent]:device` (agent 1 for `lid`, 128 `hosted`, 129 `hosted.lid`);
 * - `whatsmeow_pre_keys` (private keys), `whatsmeow_app_state_sync_keys`, `whatsmeow_app_state_version`,
 *   `whatsmeow_app_state_mutation_macs`, `whatsmeow_lid_map`, `whatsmeow_privacy_tokens`,
 *   `whatsmeow_message_secrets`.
 * Other tables (contacts, chat settings, the event buffer) have no wadeno counterpart and are left out.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { keyPairFromPrivateKey } from "../crypto/mod.ts";
import { PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord } from "../signal/mod.ts";
import type { Backend } from "./backend.ts";
import type { StoreLocation } from "./copy.ts";
import { createDevice, type Device } from "./device.ts";
import { StoreError } from "./errors.ts";
import { connectClient, toStoreError as pgError } from "./postgres_driver.ts";
import { toStoreError as sqliteError } from "./sqlite_db.ts";

/** Options for {@linkcode importWhatsmeowStore}. */
export interface WhatsmeowImportOptions {
  /** The account's JID (`whatsmeow_device.jid`); required when the database holds several. */
  jid?: string;
}

/** What {@linkcode importWhatsmeowStore} imported, by kind. */
export interface WhatsmeowImportReport {
  /** The account imported. */
  jid: string;
  /** Counts by kind: `sessions`, `identities`, `preKeys`, `senderKeys`, `syncKeys`, ... */
  imported: Record<string, number>;
}

type Cell = null | number | string | boolean | Uint8Array;
type Row = Record<string, Cell>;
type Query = (sql: string, params: readonly Cell[]) => Promise<Row[]>;

const AGENT_SERVERS: Readonly<Record<string, string>> = {
  "": "c.us",
  "1": "lid",
  "128": "hosted",
  "129": "hosted.lid",
};

/** whatsmeow's Signal address `user[_agent]:device` as wadeno's `user[:device]@server.0`. */
export function whatsmeowAddressToSignal(address: string): string | undefined {
  const m = /^([^_:@]+)(?:_(\d+))?:(\d+)$/.exec(address);
  if (!m) return undefined;
  const server = AGENT_SERVERS[m[2] ?? ""];
  if (server === undefined) return undefined;
  return m[3] === "0" ? `${m[1]}@${server}.0` : `${m[1]}:${m[3]}@${server}.0`;
}

function bad(table: string, key: string, message: string, cause?: unknown): StoreError {
  return new StoreError("corrupt", `whatsmeow ${table}: ${message}`, {
    table: `whatsmeow_${table}`,
    key,
    cause,
  });
}

function blob(row: Row, col: string, table: string, key: string, length?: number): Uint8Array {
  const v = row[col];
  if (!(v instanceof Uint8Array)) {
    throw bad(table, key, `${col}: expected bytes, got ${v === null ? "NULL" : typeof v}`);
  }
  if (length !== undefined && v.length !== length) {
    throw bad(table, key, `${col}: expected ${length} bytes, got ${v.length}`);
  }
  return v;
}

function num(row: Row, col: string, table: string, key: string): number {
  const v = typeof row[col] === "string" ? Number(row[col]) : row[col];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw bad(table, key, `${col}: expected an integer, got ${row[col]}`);
  }
  return v;
}

const text = (row: Row, col: string) => (typeof row[col] === "string" ? row[col] as string : "");

async function opener(location: StoreLocation): Promise<{ query: Query; close(): Promise<void> }> {
  if ("sqlite" in location) {
    // Not SqliteDb.open: that would create wadeno's schema in whatsmeow's file.
    const { DatabaseSync } = await import("node:sqlite");
    let db: InstanceType<typeof DatabaseSync>;
    try {
      db = new DatabaseSync(location.sqlite, { readOnly: true });
    } catch (e) {
      throw sqliteError(e, `opening ${location.sqlite}`);
    }
    return {
      query: (sql, params) => {
        try {
          const positional = sql.replace(/\$\d+/g, "?");
          return Promise.resolve(db.prepare(positional).all(...(params as never[])) as Row[]);
        } catch (e) {
          return Promise.reject(sqliteError(e, "reading the whatsmeow database"));
        }
      },
      close: () => Promise.resolve(db.close()),
    };
  }
  const client = await connectClient(location.postgres, 10_000);
  return {
    query: async (sql, params) => {
      try {
        return (await client.query({ text: sql, values: params as never })).rows as Row[];
      } catch (e) {
        throw pgError(e, "reading the whatsmeow database");
      }
    },
    close: () => client.end().catch(() => {}),
  };
}

function deviceFrom(row: Row): Device {
  const jid = text(row, "jid");
  const t = "device";
  const device = createDevice();
  try {
    device.pn = Jid.parse(jid);
    if (text(row, "lid")) device.lid = Jid.parse(text(row, "lid"));
  } catch (e) {
    throw bad(t, jid, `not a JID: ${e instanceof Error ? e.message : e}`, e);
  }
  device.registrationId = num(row, "registration_id", t, jid);
  device.noiseKey = keyPairFromPrivateKey(blob(row, "noise_key", t, jid, 32));
  device.identityKey = keyPairFromPrivateKey(blob(row, "identity_key", t, jid, 32));
  device.signedPreKey = {
    keyId: num(row, "signed_pre_key_id", t, jid),
    keyPair: keyPairFromPrivateKey(blob(row, "signed_pre_key", t, jid, 32)),
    signature: blob(row, "signed_pre_key_sig", t, jid, 64),
  };
  device.advSecretKey = blob(row, "adv_key", t, jid);
  device.account = {
    details: blob(row, "adv_details", t, jid),
    accountSignatureKey: blob(row, "adv_account_sig_key", t, jid, 32),
    accountSignature: blob(row, "adv_account_sig", t, jid, 64),
    deviceSignature: blob(row, "adv_device_sig", t, jid, 64),
  };
  device.platform = text(row, "platform");
  device.businessName = text(row, "business_name");
  device.pushName = text(row, "push_name");
  return device;
}

/**
 * Imports one whatsmeow account into `store` (the store's own account), then flushes it. whatsmeow's
 * database is only read.
 *
 * @throws {StoreError} `invalid_input` when the account is missing (or `jid` is needed to choose one),
 * `corrupt` naming the table and key of a row that does not decode.
 *
 * @example
 * ```ts
 * import { importWhatsmeowStore, SqliteStore } from "@wadeno/client";
 * export async function example() {
 *   await using store = await SqliteStore.open("bot.db");
 *   const report = await importWhatsmeowStore({ sqlite: "whatsmeow.db" }, store);
 *   console.log("imported", report.jid, report.imported);
 * }
 * ```
 */
export async function importWhatsmeowStore(
  from: StoreLocation,
  store: Backend,
  options: WhatsmeowImportOptions = {},
): Promise<WhatsmeowImportReport> {
  const db = await opener(from);
  try {
    const devices = await db.query(
      options.jid === undefined
        ? "SELECT * FROM whatsmeow_device"
        : "SELECT * FROM whatsmeow_device WHERE jid = $1",
      options.jid === undefined ? [] : [options.jid],
    );
    if (devices.length !== 1) {
      throw new StoreError(
        "invalid_input",
        devices.length === 0
          ? `no whatsmeow account ${options.jid ?? ""} in that database`.replace("  ", " ")
          : `the database holds ${devices.length} whatsmeow accounts (${
            devices.map((d) => d.jid).join(", ")
          }): pass jid`,
      );
    }
    const device = deviceFrom(devices[0]);
    const jid = text(devices[0], "jid");
    const imported: Record<string, number> = {};
    const add = (kind: string, n: number) => (imported[kind] = (imported[kind] ?? 0) + n);
    const rows = (sql: string) => db.query(sql, [jid]);
    const address = (table: string, id: string) => {
      const a = whatsmeowAddressToSignal(id);
      if (a === undefined) throw bad(table, id, `not a whatsmeow Signal address: ${id}`);
      return a;
    };
    const decode = <T>(table: string, key: string, bytes: Uint8Array, fn: (b: Uint8Array) => T): T => {
      try {
        return fn(bytes);
      } catch (e) {
        throw bad(table, key, `record does not decode: ${e instanceof Error ? e.message : e}`, e);
      }
    };

    await store.saveDevice(device);
    await store.storeSignedPreKey(
      new SignedPreKeyRecord(
        device.signedPreKey.keyId,
        device.signedPreKey.keyPair,
        device.signedPreKey.signature,
        0,
      ),
    );
    const sessions = await rows("SELECT their_id, session FROM whatsmeow_sessions WHERE our_jid = $1");
    const live = sessions.filter((r) => r.session instanceof Uint8Array && r.session.length > 0);
    await store.storeSessions(live.map((r) => {
      const id = text(r, "their_id");
      return [
        address("sessions", id),
        decode("sessions", id, r.session as Uint8Array, SessionRecord.deserialize),
      ] as const;
    }));
    add("sessions", live.length);
    for (const r of await rows("SELECT their_id, identity FROM whatsmeow_identity_keys WHERE our_jid = $1")) {
      const id = text(r, "their_id");
      await store.saveIdentity(address("identity_keys", id), blob(r, "identity", "identity_keys", id, 32));
      add("identities", 1);
    }
    const preKeys = await rows("SELECT key_id, key FROM whatsmeow_pre_keys WHERE jid = $1");
    await store.storePreKeys(preKeys.map((r) => {
      const id = String(r.key_id);
      return new PreKeyRecord(
        num(r, "key_id", "pre_keys", id),
        keyPairFromPrivateKey(blob(r, "key", "pre_keys", id, 32)),
      );
    }));
    add("preKeys", preKeys.length);
    for (
      const r of await rows(
        "SELECT chat_id, sender_id, sender_key FROM whatsmeow_sender_keys WHERE our_jid = $1",
      )
    ) {
      const key = `${text(r, "chat_id")}/${text(r, "sender_id")}`;
      const record = decode(
        "sender_keys",
        key,
        blob(r, "sender_key", "sender_keys", key),
        SenderKeyRecord.deserialize,
      );
      await store.storeSenderKey(
        `${text(r, "chat_id")}::${address("sender_keys", text(r, "sender_id"))}`,
        record,
      );
      add("senderKeys", 1);
    }
    for (
      const r of await rows(
        "SELECT key_id, key_data, timestamp, fingerprint FROM whatsmeow_app_state_sync_keys WHERE jid = $1",
      )
    ) {
      const keyId = blob(r, "key_id", "app_state_sync_keys", "?");
      const k = keyId.toHex();
      await store.setSyncKey(keyId, {
        keyData: blob(r, "key_data", "app_state_sync_keys", k),
        fingerprint: blob(r, "fingerprint", "app_state_sync_keys", k),
        timestamp: num(r, "timestamp", "app_state_sync_keys", k),
      });
      add("syncKeys", 1);
    }
    for (
      const r of await rows("SELECT name, version, hash FROM whatsmeow_app_state_version WHERE jid = $1")
    ) {
      const name = text(r, "name");
      await store.setAppStateVersion(name, {
        version: num(r, "version", "app_state_version", name),
        hash: blob(r, "hash", "app_state_version", name, 128),
      });
      add("appStateVersions", 1);
    }
    const macs = await rows(
      "SELECT name, version, index_mac, value_mac FROM whatsmeow_app_state_mutation_macs WHERE jid = $1",
    );
    for (const r of macs) {
      const name = text(r, "name");
      await store.putMutationMacs(name, num(r, "version", "app_state_mutation_macs", name), [{
        indexMac: blob(r, "index_mac", "app_state_mutation_macs", name, 32),
        valueMac: blob(r, "value_mac", "app_state_mutation_macs", name, 32),
      }]);
    }
    add("mutationMacs", macs.length);
    // The LID map is shared by every account of a whatsmeow database (no our_jid column).
    const user = (v: string) => v.split("@")[0].split(":")[0];
    const now = Math.floor(Date.now() / 1000);
    for (const r of await db.query("SELECT lid, pn FROM whatsmeow_lid_map", [])) {
      await store.putLidMapping({
        lid: user(text(r, "lid")),
        phoneNumber: user(text(r, "pn")),
        createdAt: 0,
        updatedAt: now,
        learningSource: "whatsmeow_import",
      });
      add("lidMappings", 1);
    }
    for (
      const r of await rows(
        "SELECT their_jid, token, timestamp FROM whatsmeow_privacy_tokens WHERE our_jid = $1",
      )
    ) {
      const their = text(r, "their_jid");
      await store.putTcToken(their, {
        token: blob(r, "token", "privacy_tokens", their),
        tokenTimestamp: num(r, "timestamp", "privacy_tokens", their),
      });
      add("tcTokens", 1);
    }
    for (
      const r of await rows(
        "SELECT chat_jid, sender_jid, message_id, key FROM whatsmeow_message_secrets WHERE our_jid = $1",
      )
    ) {
      const key = `${text(r, "chat_jid")}/${text(r, "message_id")}`;
      await store.putMessageSecret(
        text(r, "chat_jid"),
        text(r, "sender_jid"),
        text(r, "message_id"),
        blob(r, "key", "message_secrets", key, 32),
      );
      add("messageSecrets", 1);
    }
    await store.flush();
    return { jid, imported };
  } finally {
    await db.close();
  }
}
