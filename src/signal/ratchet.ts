/**
 * The key schedule of the Double Ratchet as libsignal implements it for message version 3: root-key and
 * chain-key steps, message-key expansion, and the X3DH agreement that starts a session.
 *
 * Constants and layouts are libsignal's (rust/protocol/src/ratchet.rs and ratchet/keys.rs):
 * - chain step: message-key seed = HMAC-SHA256(chainKey, 0x01), next chain key = HMAC-SHA256(chainKey, 0x02);
 * - message keys = HKDF-SHA256(seed, salt none, info "WhisperMessageKeys", 80) = cipherKey[32] macKey[32] iv[16];
 * - root step = HKDF-SHA256(DH(ourRatchet, theirRatchet), salt rootKey, info "WhisperRatchet", 64)
 *   = rootKey[32] chainKey[32];
 * - X3DH secret = 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4], HKDF-SHA256(salt none, info "WhisperText", 64)
 *   = rootKey[32] chainKey[32].
 *
 * @module
 */

import { hkdf, hmacSha256, x25519 } from "../crypto/mod.ts";

/** Keys for one message: AES-256-CBC key and IV, and the HMAC-SHA256 key of the MAC. */
export interface MessageKeys {
  /** AES-256 key. */
  readonly cipherKey: Uint8Array;
  /** HMAC-SHA256 key of the 8-byte truncated MAC. */
  readonly macKey: Uint8Array;
  /** AES-CBC IV. */
  readonly iv: Uint8Array;
}

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);
const MESSAGE_KEYS_INFO = new TextEncoder().encode("WhisperMessageKeys");
const RATCHET_INFO = new TextEncoder().encode("WhisperRatchet");
const X3DH_INFO = new TextEncoder().encode("WhisperText");

/** The message-key seed of a chain key (HMAC with 0x01). */
export function messageKeySeed(chainKey: Uint8Array): Uint8Array {
  return hmacSha256(chainKey, MESSAGE_KEY_SEED);
}

/** The next chain key (HMAC with 0x02). */
export function nextChainKey(chainKey: Uint8Array): Uint8Array {
  return hmacSha256(chainKey, CHAIN_KEY_SEED);
}

/** Expands a message-key seed into the cipher key, MAC key and IV of one message. */
export function deriveMessageKeys(seed: Uint8Array): MessageKeys {
  const okm = hkdf(seed, 80, { info: MESSAGE_KEYS_INFO });
  return {
    cipherKey: okm.subarray(0, 32),
    macKey: okm.subarray(32, 64),
    iv: okm.subarray(64, 80),
  };
}

/** A root key and the chain key that the same step produced. */
export interface RootStep {
  /** The new root key. */
  readonly rootKey: Uint8Array;
  /** The chain key of the new (sending or receiving) chain, at index 0. */
  readonly chainKey: Uint8Array;
}

/**
 * One DH ratchet step: mixes DH(ourPrivate, theirPublic) into the root key.
 *
 * @param theirPublic the peer's raw 32-byte ratchet key
 */
export function rootStep(rootKey: Uint8Array, ourPrivate: Uint8Array, theirPublic: Uint8Array): RootStep {
  const okm = hkdf(x25519(ourPrivate, theirPublic), 64, { salt: rootKey, info: RATCHET_INFO });
  return { rootKey: okm.subarray(0, 32), chainKey: okm.subarray(32, 64) };
}

/** The root and first chain key derived from the X3DH agreements (each 32 bytes), in protocol order. */
export function deriveInitialKeys(agreements: readonly Uint8Array[]): RootStep {
  const secret = new Uint8Array(32 + 32 * agreements.length);
  secret.fill(0xff, 0, 32);
  for (let i = 0; i < agreements.length; i++) secret.set(agreements[i], 32 + 32 * i);
  const okm = hkdf(secret, 64, { info: X3DH_INFO });
  return { rootKey: okm.subarray(0, 32), chainKey: okm.subarray(32, 64) };
}
