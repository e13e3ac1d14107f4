/**
 * Plain data records the store keeps for app state sync and protocol bookkeeping. Timestamps are Unix
 * seconds unless a field's name says otherwise; JIDs are their canonical strings (`Jid.toString()`).
 *
 * @module
 */

import type { SenderKeyRecord, SessionRecord } from "../signal/mod.ts";

/** An app state sync key, shared by the primary device (`AppStateSyncKeyShare`). */
export interface AppStateSyncKey {
  /** The 32-byte key material the collection keys are expanded from. */
  keyData: Uint8Array;
  /** The serialized `AppStateSyncKeyFingerprint`, kept as received. */
  fingerprint: Uint8Array;
  /** When the key was created, Unix milliseconds as the primary sends it. */
  timestamp: number;
}

/** The byte length of an LTHash state (`HashState.hash`). */
export const LTHASH_LENGTH = 128;

/** A collection's app state: its version and 128-byte LTHash. */
export interface HashState {
  /** The collection version; 0 before the first sync. */
  version: number;
  /** The LTHash, {@linkcode LTHASH_LENGTH} bytes. */
  hash: Uint8Array;
}

/** The byte length of a mutation's index MAC and value MAC (HMAC-SHA256 outputs). */
export const MUTATION_MAC_LENGTH = 32;

/** One app state mutation's MACs, stored so a later REMOVE can subtract the value MAC from the LTHash. */
export interface AppStateMutationMac {
  /** The index MAC, {@linkcode MUTATION_MAC_LENGTH} bytes: the mutation's identity within its collection. */
  indexMac: Uint8Array;
  /** The value MAC, {@linkcode MUTATION_MAC_LENGTH} bytes. */
  valueMac: Uint8Array;
}

/** How a LID↔PN mapping was learned (the reference client's values; other strings are kept as they are). */
export type LidLearningSource =
  | "usync"
  | "peer_pn_message"
  | "peer_lid_message"
  | "pairing"
  | "device_notification"
  | "blocklist_active"
  | "blocklist_inactive"
  | "history_sync";

/** A mapping between a LID user and a phone-number user. */
export interface LidPnMappingEntry {
  /** The LID user part (no server, no device), e.g. `100000012345678`. */
  lid: string;
  /** The phone-number user part, e.g. `15551234567`. */
  phoneNumber: string;
  /** When the mapping came into existence, Unix seconds; decides which LID a phone number maps to. */
  createdAt: number;
  /** When this entry was last confirmed, Unix seconds. */
  updatedAt: number;
  /** Where it was learned; see {@linkcode LidLearningSource}. */
  learningSource: LidLearningSource | (string & Record<never, never>);
}

/** One device of a user in a device list. */
export interface DeviceListEntry {
  /** The device id; 0 is the primary (phone). */
  deviceId: number;
  /** The ADV key index that signed this device, when the server sent one. */
  keyIndex?: number;
}

/** A user's device list as last learned from usync or a device notification. */
export interface DeviceListRecord {
  /** The user JID without device, e.g. `15551234567@s.whatsapp.net` or `100000012345678@lid`. */
  user: string;
  /** The devices, in the order received. */
  devices: DeviceListEntry[];
  /** When the list was fetched, Unix seconds. */
  timestamp: number;
  /** The participant hash the server sent with the list, if any. */
  phash?: string;
}

/** A trusted-contact privacy token received from a contact. */
export interface TcTokenEntry {
  /** The opaque token bytes. */
  token: Uint8Array;
  /** When the token was issued, Unix seconds; tokens expire by this. */
  tokenTimestamp: number;
  /** When we last sent our token to this contact, Unix seconds, if ever. */
  senderTimestamp?: number;
}

/** A deep copy of a device list (stores hand out copies so callers cannot change what they hold). */
export function copyDeviceList(r: DeviceListRecord): DeviceListRecord {
  const copy: DeviceListRecord = {
    user: r.user,
    devices: r.devices.map((d) => ({ ...d })),
    timestamp: r.timestamp,
  };
  if (r.phash !== undefined) copy.phash = r.phash;
  return copy;
}

/**
 * A decrypted message whose event handlers have not finished yet: the durable inbox entry that lets a
 * client replay it to its handlers after a crash (the server will not redeliver it: its Signal state has
 * moved on).
 */
export interface IncomingMessageRecord {
  /** Unique per message (`chat|sender|id`); a second commit with the same key replaces the first. */
  key: string;
  /** The chat it belongs to (its ordering queue). */
  chat: string;
  /** The client's encoding of the message and its metadata; opaque to the store. */
  payload: Uint8Array;
  /** When it was committed, Unix seconds (stamped by the store's clock). */
  receivedAt: number;
}

/**
 * The Signal writes that decrypting one message made, applied together with its inbox entry by
 * `InboxStore.commitIncoming`. A `null` session deletes the address's session.
 */
export interface SignalWriteBatch {
  /** Sessions to store (or delete, with `null`), by address. */
  sessions?: ReadonlyArray<readonly [address: string, record: SessionRecord | null]>;
  /** Identity keys (32 bytes) to store, by address. */
  identities?: ReadonlyArray<readonly [address: string, identityKey: Uint8Array]>;
  /** One-time prekeys the message consumed. */
  removedPreKeys?: readonly number[];
  /** Sender-key records to store, by name. */
  senderKeys?: ReadonlyArray<readonly [name: string, record: SenderKeyRecord]>;
}
