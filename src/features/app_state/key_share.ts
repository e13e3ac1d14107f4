/**
 * App state sync keys between our own devices: the primary shares them in an `appStateSyncKeyShare`
 * protocol message (type `APP_STATE_SYNC_KEY_SHARE`), a companion missing one asks for it with an
 * `appStateSyncKeyRequest` (type `APP_STATE_SYNC_KEY_REQUEST`), both sent as peer messages
 * (reference/protocol-facts-features.md 2.1; whatsmeow `appstate.go` `requestAppStateKeys`,
 * `message.go` `handleAppStateSyncKeyShare`).
 *
 * `AppStateSyncKey{keyId{keyId}, keyData{keyData, fingerprint{rawId, currentIndex, deviceIndexes}, timestamp}}`;
 * the fingerprint is kept as its encoded bytes, the timestamp is Unix milliseconds.
 *
 * @module
 */

import { randomBytes } from "../../crypto/mod.ts";
import {
  AppStateSyncKeyFingerprint,
  type AppStateSyncKeyRequest,
  type AppStateSyncKeyShare,
  type Message,
  ProtocolMessageType,
} from "../../proto/mod.ts";

/** Longest key id accepted from the network (real ones are 6 bytes). */
export const MAX_SYNC_KEY_ID_LENGTH = 64;

/** Most keys read from one share or asked for in one request. */
export const MAX_KEYS_PER_MESSAGE = 256;

/** The byte length of a sync key's data. */
export const SYNC_KEY_DATA_LENGTH = 32;

/** One sync key with its id, shaped as the store keeps it (`AppStateSyncKey` plus the id). */
export interface SharedSyncKey {
  /** The key id. */
  keyId: Uint8Array;
  /** The 32-byte key data. */
  keyData: Uint8Array;
  /** The encoded `AppStateSyncKeyFingerprint` (may be empty). */
  fingerprint: Uint8Array;
  /** When the primary made the key, Unix milliseconds (0 when not given). */
  timestamp: number;
}

/** What {@linkcode readKeyShare} found. */
export interface ReadKeyShare {
  /** The well-formed keys. */
  keys: SharedSyncKey[];
  /** How many entries were skipped (no id, id too long, data not 32 bytes, past the bound). */
  skipped: number;
}

/**
 * The protocol message that shares `keys` with another of our devices.
 *
 * @example
 * ```ts
 * import { generateSyncKey, keyShareMessage, readKeyShare } from "./key_share.ts";
 * const key = generateSyncKey({ nowMs: 1_700_000_000_000 });
 * const message = keyShareMessage([key]);
 * readKeyShare(message.protocolMessage?.appStateSyncKeyShare).keys.length; // 1
 * ```
 */
export function keyShareMessage(keys: readonly SharedSyncKey[]): Message {
  return {
    protocolMessage: {
      type: ProtocolMessageType.APP_STATE_SYNC_KEY_SHARE,
      appStateSyncKeyShare: {
        keys: keys.map((k) => ({
          keyId: { keyId: k.keyId.slice() },
          keyData: {
            keyData: k.keyData.slice(),
            fingerprint: decodeFingerprint(k.fingerprint),
            timestamp: BigInt(k.timestamp),
          },
        })),
      },
    },
  };
}

/**
 * The protocol message that asks the primary for the keys with these ids.
 *
 * @example
 * ```ts
 * import { keyRequestMessage, readKeyRequest } from "./key_share.ts";
 * const m = keyRequestMessage([new Uint8Array([0, 0, 0, 0, 0, 1])]);
 * readKeyRequest(m.protocolMessage?.appStateSyncKeyRequest).length; // 1
 * ```
 */
export function keyRequestMessage(keyIds: readonly Uint8Array[]): Message {
  return {
    protocolMessage: {
      type: ProtocolMessageType.APP_STATE_SYNC_KEY_REQUEST,
      appStateSyncKeyRequest: { keyIds: keyIds.map((keyId) => ({ keyId: keyId.slice() })) },
    },
  };
}

/** The well-formed keys of a share, at most {@linkcode MAX_KEYS_PER_MESSAGE}; the rest is counted as skipped. */
export function readKeyShare(share: AppStateSyncKeyShare | undefined): ReadKeyShare {
  const entries = share?.keys ?? [];
  const keys: SharedSyncKey[] = [];
  let skipped = 0;
  for (const entry of entries) {
    const keyId = entry.keyId?.keyId;
    const keyData = entry.keyData?.keyData;
    if (
      keys.length >= MAX_KEYS_PER_MESSAGE || keyId === undefined || !validKeyId(keyId) ||
      keyData?.length !== SYNC_KEY_DATA_LENGTH
    ) {
      skipped++;
      continue;
    }
    const fp = entry.keyData?.fingerprint;
    const ts = entry.keyData?.timestamp;
    keys.push({
      keyId: keyId.slice(),
      keyData: keyData.slice(),
      fingerprint: fp === undefined ? new Uint8Array(0) : AppStateSyncKeyFingerprint.encode(fp),
      // int64 on the wire; a hostile value past 2^53 only loses precision in a field nothing computes with.
      timestamp: ts === undefined || ts < 0n ? 0 : Number(ts),
    });
  }
  return { keys, skipped };
}

/** The well-formed key ids a request asks for, deduplicated, at most {@linkcode MAX_KEYS_PER_MESSAGE}. */
export function readKeyRequest(request: AppStateSyncKeyRequest | undefined): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const entry of request?.keyIds ?? []) {
    const id = entry.keyId;
    if (id === undefined || !validKeyId(id) || seen.has(id.toHex())) continue;
    seen.add(id.toHex());
    out.push(id.slice());
    if (out.length >= MAX_KEYS_PER_MESSAGE) break;
  }
  return out;
}

/** Options of {@linkcode generateSyncKey}. */
export interface GenerateSyncKeyOptions {
  /** The key's timestamp, Unix ms; now by default. */
  nowMs?: number;
  /** The device indexes the fingerprint lists (the primary's `0` by default). */
  deviceIndexes?: number[];
}

/**
 * A fresh sync key as a primary device makes one: a 6-byte id (two zero bytes, then four random ones),
 * 32 random bytes of key data, a fingerprint and a timestamp. Companions never make keys; FakeWhatsApp's
 * virtual phone does.
 *
 * @example
 * ```ts
 * import { generateSyncKey } from "./key_share.ts";
 * const key = generateSyncKey();
 * key.keyId.length; // 6
 * ```
 */
export function generateSyncKey(options: GenerateSyncKeyOptions = {}): SharedSyncKey {
  const keyId = new Uint8Array(6);
  keyId.set(randomBytes(4), 2);
  const rawId = new DataView(randomBytes(4).buffer).getUint32(0);
  return {
    keyId,
    keyData: randomBytes(SYNC_KEY_DATA_LENGTH),
    fingerprint: AppStateSyncKeyFingerprint.encode({
      rawId,
      currentIndex: 0,
      deviceIndexes: options.deviceIndexes ?? [0],
    }),
    timestamp: options.nowMs ?? Date.now(),
  };
}

// A stored fingerprint that does not decode is left out rather than failing the share: nothing checks it.
function decodeFingerprint(bytes: Uint8Array): AppStateSyncKeyFingerprint | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return AppStateSyncKeyFingerprint.decode(bytes);
  } catch {
    return undefined;
  }
}

function validKeyId(id: Uint8Array): boolean {
  return id.length > 0 && id.length <= MAX_SYNC_KEY_ID_LENGTH;
}
