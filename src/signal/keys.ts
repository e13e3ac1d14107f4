/**
 * Long-term and prekey material: identity key pairs, registration ids, one-time prekeys (24-bit ids),
 * signed prekeys, their libsignal storage records, and the prekey bundle a peer fetches to start a session.
 *
 * @module
 */

import {
  generateKeyPair,
  type KeyPair,
  prefixPublicKey,
  randomBytes,
  stripPublicKey,
  xeddsaSign,
} from "../crypto/mod.ts";
import { PreKeyRecordStructure, SignedPreKeyRecordStructure } from "../proto/mod.ts";
import { SignalError } from "./errors.ts";

/** Largest prekey id: WhatsApp sends prekey ids as 3 bytes. */
export const MAX_PREKEY_ID = 0xffffff;

/**
 * A peer's prekey bundle, as WhatsApp delivers it in a `<user>` key node (and as this device uploads its own).
 * Public keys are raw 32 bytes; 33-byte 0x05-prefixed keys are accepted too.
 */
export interface PreKeyBundle {
  /** The peer device's registration id. */
  readonly registrationId: number;
  /** The peer's device id (informational; WhatsApp addresses already carry it). */
  readonly deviceId: number;
  /** The peer's identity public key. */
  readonly identityKey: Uint8Array;
  /** The peer's current signed prekey. */
  readonly signedPreKey: {
    readonly keyId: number;
    readonly publicKey: Uint8Array;
    /** XEdDSA signature by the identity key over the 33-byte 0x05-prefixed public key. */
    readonly signature: Uint8Array;
  };
  /** One of the peer's one-time prekeys, when the server still had one. */
  readonly preKey?: { readonly keyId: number; readonly publicKey: Uint8Array };
}

function checkKeyId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new SignalError("invalid_argument", `${what} must be an unsigned 32-bit integer, got ${id}`);
  }
}

function keyPairFrom(
  publicKey: Uint8Array | undefined,
  privateKey: Uint8Array | undefined,
  what: string,
): KeyPair {
  if (privateKey === undefined || privateKey.length !== 32 || publicKey === undefined) {
    throw new SignalError("invalid_record", `${what} lacks a 32-byte private key or a public key`);
  }
  try {
    return { publicKey: stripPublicKey(publicKey), privateKey };
  } catch (cause) {
    throw new SignalError("invalid_record", `${what} public key is malformed: ${cause}`, { cause });
  }
}

/**
 * Generates an identity key pair (Curve25519; raw 32-byte keys).
 *
 * @example
 * ```ts
 * import { generateIdentityKeyPair, generateRegistrationId } from "./mod.ts";
 * const identity = { identityKeyPair: generateIdentityKeyPair(), registrationId: generateRegistrationId() };
 * ```
 */
export function generateIdentityKeyPair(): KeyPair {
  return generateKeyPair();
}

/**
 * Generates a registration id in libsignal's range, 1 to 16379 (generate_registration_id: `1..16380`).
 *
 * @example
 * ```ts
 * import { generateRegistrationId } from "./mod.ts";
 * const id = generateRegistrationId(); // e.g. 9784
 * ```
 */
export function generateRegistrationId(): number {
  // 16379 values; rejection sampling over 14 random bits keeps the distribution uniform.
  for (;;) {
    const b = randomBytes(2);
    const v = ((b[0] << 8) | b[1]) & 0x3fff;
    if (v >= 1 && v < 16380) return v;
  }
}

/**
 * The prekey id that follows `id` in the 24-bit id space (1..0xFFFFFF, wrapping to 1).
 *
 * @example
 * ```ts
 * import { nextPreKeyId } from "./mod.ts";
 * nextPreKeyId(5); // 6
 * nextPreKeyId(0xffffff); // 1
 * ```
 */
export function nextPreKeyId(id: number): number {
  return (id % MAX_PREKEY_ID) + 1;
}

/** A one-time prekey: its id and key pair. Stored as libsignal's `PreKeyRecordStructure`. */
export class PreKeyRecord {
  /** The prekey id (24-bit in WhatsApp). */
  readonly keyId: number;
  /** The key pair (raw 32-byte keys). */
  readonly keyPair: KeyPair;

  /** Wraps an id and key pair. */
  constructor(keyId: number, keyPair: KeyPair) {
    checkKeyId(keyId, "prekey id");
    this.keyId = keyId;
    this.keyPair = keyPair;
  }

  /** The public half as a bundle carries it. */
  get publicKey(): Uint8Array {
    return this.keyPair.publicKey;
  }

  /** Encodes as `PreKeyRecordStructure` (public key 0x05-prefixed, as libsignal stores it). */
  serialize(): Uint8Array {
    return PreKeyRecordStructure.encode({
      id: this.keyId || undefined,
      publicKey: prefixPublicKey(this.keyPair.publicKey),
      privateKey: this.keyPair.privateKey,
    });
  }

  /**
   * Decodes a `PreKeyRecordStructure` (copying the bytes).
   *
   * @throws {SignalError} `invalid_record` when the bytes do not decode or a key is missing.
   */
  static deserialize(bytes: Uint8Array): PreKeyRecord {
    let s: PreKeyRecordStructure;
    try {
      s = PreKeyRecordStructure.decode(bytes.slice());
    } catch (cause) {
      throw new SignalError("invalid_record", `prekey record does not decode: ${cause}`, { cause });
    }
    return new PreKeyRecord(s.id ?? 0, keyPairFrom(s.publicKey, s.privateKey, "prekey record"));
  }
}

/** A signed prekey: id, key pair, the identity key's signature, and its creation time. */
export class SignedPreKeyRecord {
  /** The signed prekey id (24-bit in WhatsApp). */
  readonly keyId: number;
  /** The key pair (raw 32-byte keys). */
  readonly keyPair: KeyPair;
  /** XEdDSA signature by the identity key over `prefixPublicKey(keyPair.publicKey)`, 64 bytes. */
  readonly signature: Uint8Array;
  /** Creation time, milliseconds since the epoch. */
  readonly timestamp: number;

  /** Wraps the parts of a signed prekey. */
  constructor(keyId: number, keyPair: KeyPair, signature: Uint8Array, timestamp: number) {
    checkKeyId(keyId, "signed prekey id");
    this.keyId = keyId;
    this.keyPair = keyPair;
    this.signature = signature;
    this.timestamp = timestamp;
  }

  /** The public half as a bundle carries it. */
  get publicKey(): Uint8Array {
    return this.keyPair.publicKey;
  }

  /** Encodes as `SignedPreKeyRecordStructure`. */
  serialize(): Uint8Array {
    return SignedPreKeyRecordStructure.encode({
      id: this.keyId || undefined,
      publicKey: prefixPublicKey(this.keyPair.publicKey),
      privateKey: this.keyPair.privateKey,
      signature: this.signature,
      timestamp: this.timestamp ? BigInt(this.timestamp) : undefined,
    });
  }

  /**
   * Decodes a `SignedPreKeyRecordStructure` (copying the bytes).
   *
   * @throws {SignalError} `invalid_record` when the bytes do not decode or a key is missing.
   */
  static deserialize(bytes: Uint8Array): SignedPreKeyRecord {
    let s: SignedPreKeyRecordStructure;
    try {
      s = SignedPreKeyRecordStructure.decode(bytes.slice());
    } catch (cause) {
      throw new SignalError("invalid_record", `signed prekey record does not decode: ${cause}`, { cause });
    }
    if (s.signature === undefined || s.signature.length !== 64) {
      throw new SignalError(
        "invalid_record",
        `signed prekey record needs a 64-byte signature, got ${s.signature?.length ?? 0}`,
      );
    }
    return new SignedPreKeyRecord(
      s.id ?? 0,
      keyPairFrom(s.publicKey, s.privateKey, "signed prekey record"),
      s.signature,
      Number(s.timestamp ?? 0n),
    );
  }
}

/**
 * Generates `count` one-time prekeys with consecutive ids from `startId`, wrapping within 1..0xFFFFFF.
 * `startId` comes from a counter that only grows (the device's next prekey id), so ids are not reused while
 * older keys may still be on the server.
 *
 * @throws {SignalError} `invalid_argument` unless `startId` is 1..0xFFFFFF and `count` 0..0xFFFFFF.
 * @example
 * ```ts
 * import { generatePreKeys } from "./mod.ts";
 * const keys = generatePreKeys(0xfffffe, 3); // ids 0xfffffe, 0xffffff, 1
 * ```
 */
export function generatePreKeys(startId: number, count: number): PreKeyRecord[] {
  if (!Number.isInteger(startId) || startId < 1 || startId > MAX_PREKEY_ID) {
    throw new SignalError("invalid_argument", `prekey start id must be 1..${MAX_PREKEY_ID}, got ${startId}`);
  }
  if (!Number.isInteger(count) || count < 0 || count > MAX_PREKEY_ID) {
    throw new SignalError("invalid_argument", `prekey count must be 0..${MAX_PREKEY_ID}, got ${count}`);
  }
  const out: PreKeyRecord[] = new Array(count);
  let id = startId;
  for (let i = 0; i < count; i++) {
    out[i] = new PreKeyRecord(id, generateKeyPair());
    id = nextPreKeyId(id);
  }
  return out;
}

/**
 * Generates a signed prekey: a fresh key pair and the identity key's XEdDSA signature over its 33-byte
 * 0x05-prefixed public key.
 *
 * @param timestamp creation time in milliseconds; defaults to now.
 * @throws {SignalError} `invalid_argument` unless `keyId` is 0..0xFFFFFF.
 * @example
 * ```ts
 * import { generateIdentityKeyPair, generateSignedPreKey } from "./mod.ts";
 * const signed = generateSignedPreKey(generateIdentityKeyPair(), 1);
 * ```
 */
export function generateSignedPreKey(
  identity: KeyPair,
  keyId: number,
  timestamp?: number,
): SignedPreKeyRecord {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > MAX_PREKEY_ID) {
    throw new SignalError("invalid_argument", `signed prekey id must be 0..${MAX_PREKEY_ID}, got ${keyId}`);
  }
  const keyPair = generateKeyPair();
  const signature = xeddsaSign(identity.privateKey, prefixPublicKey(keyPair.publicKey));
  return new SignedPreKeyRecord(keyId, keyPair, signature, timestamp ?? Date.now());
}

/**
 * Assembles this device's prekey bundle, as a peer (or a test server) hands it to {@link processPreKeyBundle}.
 *
 * @example
 * ```ts
 * import { generateIdentityKeyPair, generatePreKeys, generateSignedPreKey, makePreKeyBundle } from "./mod.ts";
 * const identityKeyPair = generateIdentityKeyPair();
 * const bundle = makePreKeyBundle(
 *   { identityKeyPair, registrationId: 42 },
 *   generateSignedPreKey(identityKeyPair, 1),
 *   generatePreKeys(1, 1)[0],
 * );
 * ```
 */
export function makePreKeyBundle(
  identity: { readonly identityKeyPair: KeyPair; readonly registrationId: number },
  signedPreKey: SignedPreKeyRecord,
  preKey?: PreKeyRecord,
  deviceId = 0,
): PreKeyBundle {
  return {
    registrationId: identity.registrationId,
    deviceId,
    identityKey: identity.identityKeyPair.publicKey,
    signedPreKey: {
      keyId: signedPreKey.keyId,
      publicKey: signedPreKey.publicKey,
      signature: signedPreKey.signature,
    },
    preKey: preKey && { keyId: preKey.keyId, publicKey: preKey.publicKey },
  };
}
