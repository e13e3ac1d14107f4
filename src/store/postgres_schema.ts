/**
 * The PostgreSQL schema as an ordered list of migrations, like the SQLite one: migration N takes a
 * database from version N-1 to N, applied versions are rows of `wadeno_schema_version`, and a released
 * migration is never edited.
 *
 * Tables carry the `wadeno_` prefix so the store can share a database (and schema) with an application's
 * own tables. Every data table is keyed by `device_id` with a cascading foreign key to `wadeno_device`, so
 * many accounts share one database and deleting an account's row removes everything it owned. Where the
 * SQLite schema breaks ties by `rowid` ("the row stored last"), these tables keep `write_seq`, drawn from
 * one sequence on every insert and update.
 *
 * @module
 */

import type { Migration } from "./sqlite_schema.ts";

const FK = "device_id integer NOT NULL REFERENCES wadeno_device (device_id) ON DELETE CASCADE";

/** Version 1: every table of SQLite schema version 3, plus the lease epoch and the listing columns. */
export const PG_SCHEMA_V1 = `
CREATE TABLE wadeno_schema_version (
  version integer PRIMARY KEY,
  applied_at bigint NOT NULL
);
CREATE SEQUENCE wadeno_write_seq;
CREATE TABLE wadeno_device (
  device_id integer PRIMARY KEY CHECK (device_id > 0),
  data bytea,
  jid text,
  lid text,
  push_name text,
  lease_epoch bigint NOT NULL DEFAULT 0,
  updated_at bigint NOT NULL DEFAULT 0
);
CREATE TABLE wadeno_identities (
  ${FK},
  address text NOT NULL,
  key bytea NOT NULL,
  PRIMARY KEY (device_id, address)
);
CREATE TABLE wadeno_sessions (
  ${FK},
  address text NOT NULL,
  record bytea NOT NULL,
  PRIMARY KEY (device_id, address)
);
CREATE TABLE wadeno_prekeys (
  ${FK},
  prekey_id bigint NOT NULL,
  record bytea NOT NULL,
  uploaded boolean NOT NULL DEFAULT true,
  PRIMARY KEY (device_id, prekey_id)
);
CREATE TABLE wadeno_signed_prekeys (
  ${FK},
  signed_prekey_id bigint NOT NULL,
  record bytea NOT NULL,
  PRIMARY KEY (device_id, signed_prekey_id)
);
CREATE TABLE wadeno_sender_keys (
  ${FK},
  address text NOT NULL,
  record bytea NOT NULL,
  PRIMARY KEY (device_id, address)
);
CREATE TABLE wadeno_incoming_messages (
  ${FK},
  key text NOT NULL,
  seq bigint NOT NULL,
  chat text NOT NULL,
  payload bytea NOT NULL,
  received_at bigint NOT NULL,
  PRIMARY KEY (device_id, key)
);
CREATE INDEX wadeno_incoming_seq ON wadeno_incoming_messages (device_id, seq);
CREATE TABLE wadeno_app_state_sync_keys (
  ${FK},
  key_id bytea NOT NULL,
  key_data bytea NOT NULL,
  fingerprint bytea NOT NULL,
  timestamp bigint NOT NULL,
  write_seq bigint NOT NULL DEFAULT nextval('wadeno_write_seq'),
  PRIMARY KEY (device_id, key_id)
);
CREATE TABLE wadeno_app_state_versions (
  ${FK},
  name text NOT NULL,
  version bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (device_id, name)
);
CREATE TABLE wadeno_app_state_mutation_macs (
  ${FK},
  name text NOT NULL,
  version bigint NOT NULL,
  index_mac bytea NOT NULL,
  value_mac bytea NOT NULL,
  PRIMARY KEY (device_id, name, version, index_mac)
);
CREATE INDEX wadeno_mutation_macs_by_index ON wadeno_app_state_mutation_macs (device_id, name, index_mac, version);
CREATE TABLE wadeno_skdm_recipients (
  ${FK},
  group_jid text NOT NULL,
  device_jid text NOT NULL,
  timestamp bigint NOT NULL,
  PRIMARY KEY (device_id, group_jid, device_jid)
);
CREATE TABLE wadeno_lid_pn_mappings (
  ${FK},
  lid text NOT NULL,
  phone_number text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  learning_source text NOT NULL,
  write_seq bigint NOT NULL DEFAULT nextval('wadeno_write_seq'),
  PRIMARY KEY (device_id, lid)
);
CREATE INDEX wadeno_lid_pn_by_phone ON wadeno_lid_pn_mappings (device_id, phone_number, created_at);
CREATE TABLE wadeno_device_lists (
  ${FK},
  "user" text NOT NULL,
  devices bytea NOT NULL,
  timestamp bigint NOT NULL,
  phash text,
  PRIMARY KEY (device_id, "user")
);
CREATE TABLE wadeno_base_keys (
  ${FK},
  address text NOT NULL,
  message_id text NOT NULL,
  base_key bytea NOT NULL,
  PRIMARY KEY (device_id, address, message_id)
);
CREATE TABLE wadeno_sender_key_forget_marks (
  ${FK},
  group_jid text NOT NULL,
  participant text NOT NULL,
  PRIMARY KEY (device_id, group_jid, participant)
);
CREATE TABLE wadeno_tc_tokens (
  ${FK},
  jid text NOT NULL,
  token bytea NOT NULL,
  token_timestamp bigint NOT NULL,
  sender_timestamp bigint,
  PRIMARY KEY (device_id, jid)
);
CREATE INDEX wadeno_tc_tokens_timestamp ON wadeno_tc_tokens (device_id, token_timestamp);
CREATE TABLE wadeno_sent_messages (
  ${FK},
  chat_jid text NOT NULL,
  message_id text NOT NULL,
  payload bytea NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (device_id, chat_jid, message_id)
);
CREATE INDEX wadeno_sent_messages_created ON wadeno_sent_messages (device_id, created_at);
CREATE TABLE wadeno_message_secrets (
  ${FK},
  chat_jid text NOT NULL,
  sender_jid text NOT NULL,
  message_id text NOT NULL,
  secret bytea NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (device_id, chat_jid, sender_jid, message_id)
);
CREATE INDEX wadeno_message_secrets_created ON wadeno_message_secrets (device_id, created_at);
`;

/** All migrations, in order. Append new ones; never edit a released one. */
export const PG_MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, description: "every table, lease epoch, listing columns", sql: PG_SCHEMA_V1 },
]);

/** The schema version this code writes. */
export const PG_SCHEMA_VERSION: number = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;

/**
 * The first key of every advisory lock this store takes (the two-key form), so its locks do not collide
 * with an application's: "wade" in ASCII.
 */
export const LOCK_NAMESPACE = 0x77616465;
/** The second key of the lock that serializes migrations and device id allocation. */
export const SCHEMA_LOCK_KEY = 0;
