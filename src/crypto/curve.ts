/**
 * Curve25519: X25519 key agreement (RFC 7748) and XEdDSA signatures (Signal's XEdDSA specification) with
 * raw 32-byte keys.
 *
 * Backends, from bench/crypto.bench.ts:
 * - X25519 and key generation: node:crypto. "X25519": 61 µs per agreement against WebCrypto's 145 µs
 *   (async) and @noble/curves' 400 µs; "X25519 public key": 27 µs against noble's 141 µs. Imported private
 *   KeyObjects are cached per key array, which pays a little: 61 vs 67 µs.
 * - XEdDSA: see ./ed25519.ts. The Edwards form of a private key (one base-point multiplication) is cached
 *   per key array, which about halves signing with an identity key (140 vs 260 µs); the Edwards KeyObjects
 *   of a public key likewise (verify 38 vs 68 µs).
 *
 * @module
 */

import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  type PrivateKeyInput,
} from "node:crypto";
import { equalBytes } from "./bytes.ts";
import { assertKey, describeSize } from "./checks.ts";
import {
  basePointMultiply,
  bytesToNumberLE,
  GROUP_ORDER,
  hashToScalar,
  importEdwardsPublicKey,
  montgomeryToEdwards,
  numberToBytesLE,
  signWithScalar,
  verifyWithKey,
} from "./ed25519.ts";
import { CryptoError } from "./errors.ts";
import { KeyCache } from "./key_cache.ts";
import { base64Url, plain } from "./node_bytes.ts";
import { randomBytes } from "./random.ts";

/** A Curve25519 key pair: raw 32-byte little-endian private scalar (clamped) and public u-coordinate. */
export interface KeyPair {
  /** The 32-byte Montgomery u-coordinate. */
  readonly publicKey: Uint8Array;
  /** The 32-byte private scalar, clamped per RFC 7748 §5. */
  readonly privateKey: Uint8Array;
}

const KEY_LENGTH = 32;
// RFC 8410 PKCS#8 wrapping of a raw X25519 private key: SEQUENCE { version 0, AlgorithmIdentifier
// { id-X25519 1.3.101.110 }, OCTET STRING { OCTET STRING (32 bytes) } }.
const PKCS8_X25519_PREFIX = Uint8Array.fromHex("302e020100300506032b656e04220420");
const ZERO_SECRET = new Uint8Array(KEY_LENGTH);

/** RFC 7748 §5 clamping, on a copy. */
function clamp(privateKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(privateKey);
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  return k;
}

const privateKeyObjects = new KeyCache<KeyObject>();

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  return privateKeyObjects.get(privateKey, (raw) => {
    const der = new Uint8Array(PKCS8_X25519_PREFIX.length + KEY_LENGTH);
    der.set(PKCS8_X25519_PREFIX);
    der.set(raw, PKCS8_X25519_PREFIX.length);
    // Deno's bundled node typings declare a DER key as `Buffer`; the runtime takes any Uint8Array, and
    // src/ does not use Buffer. The JWK form would need the public key, which is what we are deriving.
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" } as unknown as PrivateKeyInput);
  });
}

/**
 * Derives the key pair of a 32-byte private key: the private key is clamped (RFC 7748 §5) and returned as a
 * copy, with its public u-coordinate.
 *
 * @throws {CryptoError} `bad_key` unless `privateKey` is 32 bytes.
 * @example
 * ```ts
 * import { keyPairFromPrivateKey, randomBytes } from "./mod.ts";
 * const { publicKey, privateKey } = keyPairFromPrivateKey(randomBytes(32));
 * ```
 */
export function keyPairFromPrivateKey(privateKey: Uint8Array): KeyPair {
  assertKey(privateKey, KEY_LENGTH, "Curve25519 private key");
  const clamped = clamp(privateKey);
  const jwk = createPublicKey(privateKeyObject(clamped)).export({ format: "jwk" });
  const publicKey = Uint8Array.fromBase64(jwk.x ?? "", { alphabet: "base64url" });
  if (publicKey.length !== KEY_LENGTH) {
    // Only a broken backend gets here; an empty or short key must not travel on as if it were valid.
    throw new CryptoError("bad_key", `derived X25519 public key must be 32 bytes, got ${publicKey.length}`);
  }
  return { publicKey, privateKey: clamped };
}

/**
 * Generates a fresh Curve25519 key pair from the platform CSPRNG.
 *
 * @example
 * ```ts
 * import { generateKeyPair, x25519 } from "./mod.ts";
 * const alice = generateKeyPair(), bob = generateKeyPair();
 * x25519(alice.privateKey, bob.publicKey); // equals x25519(bob.privateKey, alice.publicKey)
 * ```
 */
export function generateKeyPair(): KeyPair {
  return keyPairFromPrivateKey(randomBytes(KEY_LENGTH));
}

/**
 * X25519 (RFC 7748 §5): the shared secret of `privateKey` and a peer's `publicKey`. The private key is
 * clamped and the public key's top bit masked as the RFC requires.
 *
 * @throws {CryptoError} `bad_key` unless both keys are 32 bytes; `low_order_point` when the peer key is a
 * low-order point, i.e. the shared secret would be all zero (RFC 7748 §6.1).
 */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertKey(privateKey, KEY_LENGTH, "X25519 private key");
  assertKey(publicKey, KEY_LENGTH, "X25519 public key");
  let u = publicKey;
  if (u[31] & 0x80) {
    u = new Uint8Array(publicKey);
    u[31] &= 0x7f;
  }
  let peer: KeyObject;
  try {
    peer = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: base64Url(u) }, format: "jwk" });
  } catch (cause) {
    throw new CryptoError("bad_key", "X25519 public key was refused by the backend", { cause });
  }
  let shared: Uint8Array;
  try {
    shared = plain(diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: peer }));
  } catch (cause) {
    // With two well-formed 32-byte keys the only way X25519 fails is the all-zero check of RFC 7748 §6.1.
    throw new CryptoError(
      "low_order_point",
      "X25519 peer public key is a low-order point (all-zero secret)",
      {
        cause,
      },
    );
  }
  if (equalBytes(shared, ZERO_SECRET)) {
    throw new CryptoError("low_order_point", "X25519 peer public key is a low-order point (all-zero secret)");
  }
  return shared;
}

// XEdDSA hash_1 prefix: the 32-byte little-endian encoding of 2^256 - 1 - 1 (XEdDSA spec §2.5).
const HASH1_PREFIX = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xfe : 0xff));

interface SigningKey {
  /** The Edwards secret scalar a, negated when needed so that A = aB has sign bit 0. */
  readonly a: bigint;
  /** a as 32 little-endian bytes, hashed into the nonce. */
  readonly aBytes: Uint8Array;
  /** The encoded Edwards public key A (sign bit 0). */
  readonly publicKey: Uint8Array;
}

const signingKeys = new KeyCache<SigningKey>();

// XEdDSA calculate_key_pair(k): E = kB; keep the scalar whose point has sign bit 0.
function deriveSigningKey(privateKey: Uint8Array): SigningKey {
  let a = bytesToNumberLE(clamp(privateKey)) % GROUP_ORDER;
  const publicKey = basePointMultiply(a);
  if (publicKey[31] & 0x80) {
    a = (GROUP_ORDER - a) % GROUP_ORDER;
    publicKey[31] &= 0x7f;
  }
  return { a, aBytes: numberToBytesLE(a), publicKey };
}

/**
 * XEdDSA signature (Signal's XEdDSA specification, "xeddsa_sign") of `message` with a Curve25519 private key,
 * the signatures libsignal and WhatsApp use for signed prekeys, certificates and device identities.
 * The private key is clamped first, so the signature verifies against `keyPairFromPrivateKey(k).publicKey`.
 *
 * @param random64 the 64 bytes Z of the specification; random when absent. Pass fixed bytes only in tests.
 * @returns the 64-byte signature R || s.
 * @throws {CryptoError} `bad_key` unless `privateKey` is 32 bytes; `bad_signature_input` when `message` is
 * not a Uint8Array or `random64` is not 64 bytes.
 * @example
 * ```ts
 * import { generateKeyPair, utf8, xeddsaSign, xeddsaVerify } from "./mod.ts";
 * const pair = generateKeyPair();
 * const signature = xeddsaSign(pair.privateKey, utf8("prekey"));
 * xeddsaVerify(pair.publicKey, utf8("prekey"), signature); // true
 * ```
 */
export function xeddsaSign(privateKey: Uint8Array, message: Uint8Array, random64?: Uint8Array): Uint8Array {
  assertKey(privateKey, KEY_LENGTH, "Curve25519 private key");
  if (!(message instanceof Uint8Array)) {
    throw new CryptoError(
      "bad_signature_input",
      `XEdDSA message must be a Uint8Array, got ${describeSize(message)}`,
    );
  }
  if (random64 !== undefined && !(random64 instanceof Uint8Array && random64.length === 64)) {
    throw new CryptoError(
      "bad_signature_input",
      `XEdDSA randomness must be 64 bytes, got ${describeSize(random64)}`,
    );
  }
  const key = signingKeys.get(privateKey, deriveSigningKey);
  const r = hashToScalar(HASH1_PREFIX, key.aBytes, message, random64 ?? randomBytes(64));
  return signWithScalar(key.a, key.publicKey, r, message);
}

/** The Edwards keys a Montgomery public key stands for, one per sign bit, imported on first use. */
class VerifyingKey {
  readonly #u: Uint8Array;
  readonly #keys: (KeyObject | null | undefined)[] = [undefined, undefined];

  constructor(u: Uint8Array) {
    this.#u = new Uint8Array(u);
  }

  forSignBit(bit: number): KeyObject | null {
    let key = this.#keys[bit];
    if (key === undefined) {
      const edwards = montgomeryToEdwards(this.#u, bit);
      key = (edwards && importEdwardsPublicKey(edwards)) ?? null;
      this.#keys[bit] = key;
    }
    return key;
  }
}

const verifyingKeys = new KeyCache<VerifyingKey>();

/**
 * Verifies an XEdDSA signature with a Curve25519 (Montgomery) public key.
 *
 * Accepts what libsignal's curve25519 signatures produce: XEdDSA puts the Edwards key's sign bit in the top
 * bit of s (always 0 for this library's signatures, which follow the spec's sign-bit-0 convention), so that
 * bit selects the sign of A and is cleared before the check. Then, like libsignal and the specification:
 * u must be below p, s below the group order q (stricter than the spec's 2^253 bound; no honest signer
 * emits s >= q), and R must equal sB - hA byte for byte (cofactorless). Low-order public keys are rejected.
 *
 * @returns `true` for a valid signature; `false` for an invalid one and for any malformed input. Never throws.
 */
export function xeddsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_LENGTH) return false;
  if (!(message instanceof Uint8Array)) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  const signBit = signature[63] >> 7;
  const key = verifyingKeys.get(publicKey, (u) => new VerifyingKey(u)).forSignBit(signBit);
  if (key === null) return false;
  const edSignature = new Uint8Array(signature);
  edSignature[63] &= 0x7f;
  return verifyWithKey(key, message, edSignature);
}
