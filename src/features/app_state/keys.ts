/**
 * Expansion of an app state sync key into the five keys a collection is encrypted and authenticated with.
 *
 * HKDF-SHA256 of the key data (no salt, info `WhatsApp Mutation Keys`) gives 160 bytes, cut into five
 * 32-byte keys in this order: index, value encryption, value MAC, snapshot MAC, patch MAC (whatsmeow
 * `appstate/keys.go` `expandAppStateKeys`; whatsapp-rust `wacore/appstate/src/keys.rs`).
 *
 * @module
 */

import { hkdf } from "../../crypto/mod.ts";
import { AppStateError } from "./errors.ts";

/** The HKDF info string of the key expansion. */
export const MUTATION_KEYS_INFO = "WhatsApp Mutation Keys";

/** The byte length of each expanded key. */
export const EXPANDED_KEY_LENGTH = 32;

/** The five keys expanded from one sync key; each is {@linkcode EXPANDED_KEY_LENGTH} bytes. */
export interface ExpandedAppStateKeys {
  /** HMAC-SHA256 key of the index MAC. */
  index: Uint8Array;
  /** AES-256-CBC key of the value. */
  valueEncryption: Uint8Array;
  /** HMAC-SHA512 key of the value MAC. */
  valueMac: Uint8Array;
  /** HMAC-SHA256 key of the snapshot MAC. */
  snapshotMac: Uint8Array;
  /** HMAC-SHA256 key of the patch MAC. */
  patchMac: Uint8Array;
}

/**
 * Expands a sync key's `keyData` (32 bytes as the primary device shares it).
 *
 * @throws {AppStateError} `malformed` for empty key data.
 * @example
 * ```ts
 * import { expandAppStateKeys } from "./keys.ts";
 * const keys = expandAppStateKeys(new Uint8Array(32));
 * keys.patchMac.length; // 32
 * ```
 */
export function expandAppStateKeys(keyData: Uint8Array): ExpandedAppStateKeys {
  if (keyData.length === 0) throw new AppStateError("malformed", "app state key data is empty");
  const okm = hkdf(keyData, 5 * EXPANDED_KEY_LENGTH, { info: MUTATION_KEYS_INFO });
  const part = (i: number) => okm.subarray(i * EXPANDED_KEY_LENGTH, (i + 1) * EXPANDED_KEY_LENGTH);
  return {
    index: part(0),
    valueEncryption: part(1),
    valueMac: part(2),
    snapshotMac: part(3),
    patchMac: part(4),
  };
}
