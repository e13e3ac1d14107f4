/**
 * The SQLite schema as an ordered list of migrations. Migration N takes a database from version N-1 to N;
 * a fresh database runs them all. Applied versions are recorded in `schema_version`, one row each.
 *
 * Migrations are append-only: a released migration's SQL is never edited (a database made by it must
 * still upgrade the same way), so version 1's DDL stays here for as long as version-1 files may exist.
 *
 * Every data table is keyed by `device_id`, so several accounts can share one file; the foreign key to
 * `device` cascades, so deleting an account's device row removes everything it owned.
 *
 * @module
 */

/** One schema step, of the SQLite list or the PostgreSQL one (postgres_schema.ts). */
export interface Migration {
  /** The version this migration produces. */
  version: number;
  /** What it adds, for the migration log and errors. */
  description: string;
  /** The DDL, run inside the migration transaction. */
  sql: string;
}

const DEVICE_FK = "device_id INTEGER NOT NULL REFERENCES device(device_id) ON DELETE CASCADE";

/** Version 1: the base tables of the reference store (device, Signal, app state, protocol bookkeeping). */
export const SCHEMA_V1 = `
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
);
CREATE TABLE device (
  device_id INTEGER PRIMARY KEY AUTOINCREMENT,
  data BLOB
);
CREATE TABLE identities (
  ${DEVICE_FK},
  address TEXT NOT NULL,
  key BLOB NOT NULL,
  PRIMARY KEY (device_id, address)
);
CREATE TABLE sessions (
  ${DEVICE_FK},
  address TEXT NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (device_id, address)
);
CREATE TABLE prekeys (
  ${DEVICE_FK},
  prekey_id INTEGER NOT NULL,
  record BLOB NOT NULL,
  uploaded INTEGER NOT NULL,
  PRIMARY KEY (device_id, prekey_id)
);
CREATE TABLE signed_prekeys (
  ${DEVICE_FK},
  signed_prekey_id INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (device_id, signed_prekey_id)
);
CREATE TABLE sender_keys (
  ${DEVICE_FK},
  address TEXT NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (device_id, address)
);
CREATE TABLE app_state_sync_keys (
  ${DEVICE_FK},
  key_id BLOB NOT NULL,
  key_data BLOB NOT NULL,
  fingerprint BLOB NOT NULL,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (device_id, key_id)
);
CREATE TABLE app_state_versions (
  ${DEVICE_FK},
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (device_id, name)
);
CREATE TABLE app_state_mutation_macs (
  ${DEVICE_FK},
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  index_mac BLOB NOT NULL,
  value_mac BLOB NOT NULL,
  PRIMARY KEY (device_id, name, version, index_mac)
);
CREATE TABLE skdm_recipients (
  ${DEVICE_FK},
  group_jid TEXT NOT NULL,
  device_jid TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (device_id, group_jid, device_jid)
);
CREATE TABLE lid_pn_mappings (
  ${DEVICE_FK},
  lid TEXT NOT NULL,
  phone_number TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  learning_source TEXT NOT NULL,
  PRIMARY KEY (device_id, lid)
);
CREATE TABLE device_lists (
  ${DEVICE_FK},
  user TEXT NOT NULL,
  devices BLOB NOT NULL,
  timestamp INTEGER NOT NULL,
  phash TEXT,
  PRIMARY KEY (device_id, user)
);
CREATE TABLE base_keys (
  ${DEVICE_FK},
  address TEXT NOT NULL,
  message_id TEXT NOT NULL,
  base_key BLOB NOT NULL,
  PRIMARY KEY (device_id, address, message_id)
);
CREATE TABLE sender_key_forget_marks (
  ${DEVICE_FK},
  group_jid TEXT NOT NULL,
  participant TEXT NOT NULL,
  PRIMARY KEY (device_id, group_jid, participant)
);
`;

/**
 * Version 2: trusted-contact tokens and the sent-message table for retries, plus the indexes that the
 * phone-number lookup, the mutation-MAC lookup by index and the expiry sweeps need.
 */
export const SCHEMA_V2 = `
CREATE TABLE tc_tokens (
  ${DEVICE_FK},
  jid TEXT NOT NULL,
  token BLOB NOT NULL,
  token_timestamp INTEGER NOT NULL,
  sender_timestamp INTEGER,
  PRIMARY KEY (device_id, jid)
);
CREATE INDEX idx_tc_tokens_timestamp ON tc_tokens (device_id, token_timestamp);
CREATE TABLE sent_messages (
  ${DEVICE_FK},
  chat_jid TEXT NOT NULL,
  message_id TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, chat_jid, message_id)
);
CREATE INDEX idx_sent_messages_created ON sent_messages (device_id, created_at);
CREATE INDEX idx_lid_pn_by_phone ON lid_pn_mappings (device_id, phone_number, created_at);
CREATE INDEX idx_mutation_macs_by_index ON app_state_mutation_macs (device_id, name, index_mac, version);
`;

/**
 * Version 3: the durable inbox (decrypted messages whose handlers have not finished, replayed after a
 * crash) and message secrets (polls and event responses are encrypted with keys derived from them).
 */
export const SCHEMA_V3 = `
CREATE TABLE incoming_messages (
  ${DEVICE_FK},
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  chat TEXT NOT NULL,
  payload BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, key)
);
CREATE INDEX idx_incoming_seq ON incoming_messages (device_id, seq);
CREATE TABLE message_secrets (
  ${DEVICE_FK},
  chat_jid TEXT NOT NULL,
  sender_jid TEXT NOT NULL,
  message_id TEXT NOT NULL,
  secret BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, chat_jid, sender_jid, message_id)
);
CREATE INDEX idx_message_secrets_created ON message_secrets (device_id, created_at);
`;

/** All migrations, in order. Append new ones; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, description: "base tables", sql: SCHEMA_V1 },
  { version: 2, description: "tc tokens, sent messages, lookup indexes", sql: SCHEMA_V2 },
  { version: 3, description: "durable inbox, message secrets", sql: SCHEMA_V3 },
]);

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;
