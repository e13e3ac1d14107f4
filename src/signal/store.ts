/**
 * What the Signal layer needs from storage, and the context every operation takes.
 *
 * Design notes for implementers (the SQLite store keeps a write-behind cache in front of its tables):
 * - Records are objects ({@link SessionRecord}, {@link SenderKeyRecord}, ...), not bytes, so a cache can
 *   hold hot records and serialize only when it flushes. Records are immutable: the cipher never changes a
 *   record it loaded; every change produces a new record that it then stores. A store may therefore keep
 *   and hand out the very object it was given, and serialize it at any later time.
 * - Nothing is stored when an operation fails, and within one operation the writes come last, in the order
 *   session, identity, prekey removal. A store that batches writes may apply them together.
 * - The batch calls (`loadSessions`, `loadIdentities`, `storeSessions`, `storePreKeys`) exist for group
 *   sends to hundreds of devices and prekey uploads of 812 keys: implement them as one query or
 *   transaction each.
 * - Two operations on one address must not interleave (load, ratchet, store): the client serializes them
 *   with a {@link KeyedMutex} keyed by address. The store itself needs no locking for that.
 *
 * @module
 */

import type { KeyPair } from "../crypto/mod.ts";
import type { PreKeyRecord, SignedPreKeyRecord } from "./keys.ts";
import type { SenderKeyRecord } from "./sender_key_record.ts";
import type { SessionRecord } from "./session_record.ts";

/**
 * Persistent Signal state of one local device. Addresses are caller-chosen strings (the client uses
 * `Jid.toSignalAddress()`, e.g. `"15551234567:2@c.us.0"`); sender key names come from {@link senderKeyName}.
 */
export interface SignalStore {
  /** The stored identity key (32 bytes) of a remote address. */
  loadIdentity(address: string): Promise<Uint8Array | undefined>;
  /** Identity keys of many addresses at once; addresses without one are absent from the map. */
  loadIdentities(addresses: readonly string[]): Promise<Map<string, Uint8Array>>;
  /** Stores (or replaces) the identity key (32 bytes) of a remote address. */
  saveIdentity(address: string, identityKey: Uint8Array): Promise<void>;

  /** The session record of an address. */
  loadSession(address: string): Promise<SessionRecord | undefined>;
  /** Session records of many addresses at once; addresses without one are absent from the map. */
  loadSessions(addresses: readonly string[]): Promise<Map<string, SessionRecord>>;
  /** Stores (replaces) the session record of an address. */
  storeSession(address: string, record: SessionRecord): Promise<void>;
  /** Stores many session records at once (one transaction). */
  storeSessions(entries: Iterable<readonly [string, SessionRecord]>): Promise<void>;
  /** Removes the session record of an address (no error when there is none). */
  deleteSession(address: string): Promise<void>;

  /** A one-time prekey by id. */
  loadPreKey(id: number): Promise<PreKeyRecord | undefined>;
  /** Stores one-time prekeys (an upload batch is 812 keys). */
  storePreKeys(records: readonly PreKeyRecord[]): Promise<void>;
  /** Removes a one-time prekey (called once a PreKeySignalMessage that used it decrypted). */
  removePreKey(id: number): Promise<void>;

  /** A signed prekey by id. */
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined>;
  /** Stores (replaces) a signed prekey. */
  storeSignedPreKey(record: SignedPreKeyRecord): Promise<void>;

  /** The sender-key record of a (group, sender) pair, by {@link senderKeyName}. */
  loadSenderKey(name: string): Promise<SenderKeyRecord | undefined>;
  /** Stores (replaces) a sender-key record. */
  storeSenderKey(name: string, record: SenderKeyRecord): Promise<void>;
}

/** This device's long-term identity. */
export interface LocalIdentity {
  /** The identity key pair (raw 32-byte keys). Keep one object for the process: the crypto layer caches
   * derived forms per key array. */
  readonly identityKeyPair: KeyPair;
  /** This device's registration id. */
  readonly registrationId: number;
}

/** What every Signal operation takes: storage and the local identity. */
export interface SignalContext {
  /** The device's Signal storage. */
  readonly store: SignalStore;
  /** The device's identity. */
  readonly identity: LocalIdentity;
  /**
   * Source of fresh key pairs (X3DH base keys, ratchet keys, sender signing keys). Defaults to the crypto
   * layer's CSPRNG; only deterministic tests (published test vectors) replace it.
   */
  readonly generateKeyPair?: () => KeyPair;
  /** Clock in milliseconds, for record timestamps. Defaults to `Date.now`. */
  readonly now?: () => number;
}

/**
 * The sender-key record name of a sender in a group: `${groupId}::${senderAddress}`.
 *
 * @example
 * ```ts
 * import { senderKeyName } from "./mod.ts";
 * senderKeyName("120363000000000000@g.us", "15551234567:2@c.us.0");
 * // "120363000000000000@g.us::15551234567:2@c.us.0"
 * ```
 */
export function senderKeyName(groupId: string, senderAddress: string): string {
  return `${groupId}::${senderAddress}`;
}
