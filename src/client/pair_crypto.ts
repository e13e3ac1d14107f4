/**
 * The cryptography of linking a companion device, both sides of it: the QR string, the ADV
 * (account/device identity) signatures and HMAC checked and made at pair-success, and the pair-code
 * key wrapping and key bundle. The phone-side functions are what FakeWhatsApp's virtual phones use.
 *
 * Facts from reference/protocol-facts.md ("pair-success / ADV", "Pair code"): account signature over
 * `[6,0] ‖ details ‖ companionIdentityPub`; device signature over
 * `[6,1] ‖ details ‖ companionIdentityPub ‖ accountSignatureKey`; hosted accounts use `[6,5]` for the
 * account signature and container HMAC prefix. Pair code: PBKDF2-SHA256 with 131,072 iterations,
 * AES-256-CTR, wrapped = salt(32) ‖ iv(16) ‖ ciphertext(32).
 *
 * @module
 */

import {
  aesCtr,
  aesGcmDecrypt,
  aesGcmEncrypt,
  concatBytes,
  equalBytes,
  hkdf,
  hmacSha256,
  type KeyPair,
  pbkdf2Sha256,
  randomBytes,
  x25519,
  xeddsaSign,
  xeddsaVerify,
} from "../crypto/mod.ts";
import {
  ADVDeviceIdentity,
  ADVEncryptionType,
  ADVSignedDeviceIdentity,
  ADVSignedDeviceIdentityHMAC,
} from "../proto/mod.ts";

/** Prefix of the account signature (phone signs the companion). */
export const ADV_ACCOUNT_SIGNATURE_PREFIX: Uint8Array = new Uint8Array([6, 0]);
/** Prefix of the device signature (companion countersigns). */
export const ADV_DEVICE_SIGNATURE_PREFIX: Uint8Array = new Uint8Array([6, 1]);
/** Prefix of the account signature and container HMAC for hosted accounts. */
export const ADV_HOSTED_ACCOUNT_SIGNATURE_PREFIX: Uint8Array = new Uint8Array([6, 5]);

/** The deep-link prefix of the current QR format. */
export const QR_LINK_PREFIX = "https://wa.me/settings/linked_devices#";

/** Alphabet of pair codes (Crockford-like base32 without 0, I, O, U). */
export const PAIR_CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";
/** PBKDF2 iterations for the pair-code key (whatsmeow writes `2<<16`). */
export const PAIR_CODE_PBKDF2_ITERATIONS = 131_072;
/** How long a pair code stays valid. */
export const PAIR_CODE_VALIDITY_MS = 180_000;

/**
 * Pairing failed a check. `status` and `text` are what the companion answers the server with; `code` is
 * the text as an identifier (`hmac_mismatch`, `signature_mismatch`, `bad_qr`, `internal_error`, ...).
 */
export class PairError extends Error {
  /** The text as an identifier: `-` becomes `_`. */
  readonly code: string;
  /** The IQ error code sent back to the server (401 for a bad HMAC or signature, 500 otherwise). */
  readonly status: number;
  /** The IQ error text (`hmac-mismatch`, `signature-mismatch`, `internal-error`). */
  readonly text: string;
  /** Creates the error. */
  constructor(status: number, text: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PairError";
    this.status = status;
    this.text = text;
    this.code = text.replaceAll("-", "_");
  }
}

/** The parts of a pairing QR string. */
export interface QrData {
  /** The server's ref for this QR. */
  ref: string;
  /** The companion's Noise static public key. */
  noisePublicKey: Uint8Array;
  /** The companion's Signal identity public key. */
  identityPublicKey: Uint8Array;
  /** The companion's ADV secret (the phone HMACs the signed identity with it). */
  advSecret: Uint8Array;
  /** The client type character (`1` Chrome ... `9` other web client), when present. */
  clientType?: string;
}

/**
 * Formats the QR string: `https://wa.me/settings/linked_devices#ref,noise,identity,adv,clientType`
 * (standard padded base64 for the keys).
 */
export function makeQrData(data: QrData): string {
  const fields = [
    data.ref,
    data.noisePublicKey.toBase64(),
    data.identityPublicKey.toBase64(),
    data.advSecret.toBase64(),
  ];
  if (data.clientType !== undefined) fields.push(data.clientType);
  return QR_LINK_PREFIX + fields.join(",");
}

/** Parses a QR string in the current (5-field, prefixed) or older (4-field, bare) format. */
export function parseQrData(qr: string): QrData {
  const body = qr.startsWith(QR_LINK_PREFIX) ? qr.slice(QR_LINK_PREFIX.length) : qr;
  const parts = body.split(",");
  if (parts.length !== 4 && parts.length !== 5) {
    throw new PairError(
      400,
      "bad-qr",
      `QR data must have 4 or 5 comma-separated fields, got ${parts.length}`,
    );
  }
  const key = (s: string, name: string) => {
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(s);
    } catch (e) {
      throw new PairError(400, "bad-qr", `QR field ${name} is not base64`, { cause: e });
    }
    if (bytes.length !== 32) {
      throw new PairError(400, "bad-qr", `QR field ${name} must be 32 bytes, got ${bytes.length}`);
    }
    return bytes;
  };
  return {
    ref: parts[0],
    noisePublicKey: key(parts[1], "noise key"),
    identityPublicKey: key(parts[2], "identity key"),
    advSecret: key(parts[3], "adv secret"),
    clientType: parts[4],
  };
}

/** What pair-success verification yields. */
export interface VerifiedPairing {
  /** The signed identity with the device signature added (kept by the companion). */
  account: ADVSignedDeviceIdentity;
  /** The inner device identity (key index, timestamps). */
  details: ADVDeviceIdentity;
  /** The bytes to send in `<pair-device-sign><device-identity>`: the account with `accountSignatureKey` cleared. */
  selfSigned: Uint8Array;
  /** The primary device's identity key (the account signature key). */
  primaryIdentityKey: Uint8Array;
}

/**
 * The companion side of pair-success: checks the container HMAC with the ADV secret and the account
 * signature over our identity key, then countersigns. Throws {@linkcode PairError} with the code and
 * text to answer the server with.
 */
export function verifyAndSignPairing(
  deviceIdentityBytes: Uint8Array,
  advSecret: Uint8Array,
  identity: KeyPair,
): VerifiedPairing {
  let container: ADVSignedDeviceIdentityHMAC;
  let account: ADVSignedDeviceIdentity;
  let details: ADVDeviceIdentity;
  try {
    container = ADVSignedDeviceIdentityHMAC.decode(deviceIdentityBytes);
  } catch (e) {
    throw new PairError(500, "internal-error", "pair-success device identity container does not parse", {
      cause: e,
    });
  }
  const hosted = container.accountType === ADVEncryptionType.HOSTED;
  const containerDetails = container.details ?? new Uint8Array();
  const expectedHmac = hosted
    ? hmacSha256(advSecret, ADV_HOSTED_ACCOUNT_SIGNATURE_PREFIX, containerDetails)
    : hmacSha256(advSecret, containerDetails);
  if (!container.hmac || !equalBytes(expectedHmac, container.hmac)) {
    throw new PairError(401, "hmac-mismatch", "pair-success HMAC does not match our ADV secret");
  }
  try {
    account = ADVSignedDeviceIdentity.decode(containerDetails);
    details = ADVDeviceIdentity.decode(account.details ?? new Uint8Array());
  } catch (e) {
    throw new PairError(500, "internal-error", "pair-success signed device identity does not parse", {
      cause: e,
    });
  }
  const accountKey = account.accountSignatureKey;
  const accountSig = account.accountSignature;
  if (
    !accountKey || accountKey.length !== 32 || !accountSig || accountSig.length !== 64 || !account.details
  ) {
    throw new PairError(
      401,
      "signature-mismatch",
      "pair-success account signature or key is missing or malformed",
    );
  }
  const prefix = details.deviceType === ADVEncryptionType.HOSTED
    ? ADV_HOSTED_ACCOUNT_SIGNATURE_PREFIX
    : ADV_ACCOUNT_SIGNATURE_PREFIX;
  if (!xeddsaVerify(accountKey, concatBytes(prefix, account.details, identity.publicKey), accountSig)) {
    throw new PairError(
      401,
      "signature-mismatch",
      "pair-success account signature does not verify over our identity key",
    );
  }
  const deviceSignature = xeddsaSign(
    identity.privateKey,
    concatBytes(ADV_DEVICE_SIGNATURE_PREFIX, account.details, identity.publicKey, accountKey),
  );
  const signed: ADVSignedDeviceIdentity = { ...account, deviceSignature };
  const selfSigned = ADVSignedDeviceIdentity.encode({ ...signed, accountSignatureKey: undefined });
  return { account: signed, details, selfSigned, primaryIdentityKey: accountKey.slice() };
}

/** Input for the phone side of pair-success. */
export interface SignCompanionOptions {
  /** The phone's identity key pair (the account signature key). */
  primaryIdentity: KeyPair;
  /** The companion's identity public key (from the QR or the pair-code bundle). */
  companionIdentityKey: Uint8Array;
  /** The companion's ADV secret. */
  advSecret: Uint8Array;
  /** The key index of this companion in the account's key index list. */
  keyIndex: number;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Raw account id. */
  rawId?: number;
}

/**
 * The phone side of pair-success: builds the ADVSignedDeviceIdentityHMAC container for a companion
 * (what the server forwards in `<pair-success><device-identity>`).
 */
export function signCompanion(options: SignCompanionOptions): Uint8Array {
  const details = ADVDeviceIdentity.encode({
    rawId: options.rawId ?? 1,
    timestamp: BigInt(options.timestamp ?? Math.floor(Date.now() / 1000)),
    keyIndex: options.keyIndex,
    accountType: ADVEncryptionType.E2EE,
    deviceType: ADVEncryptionType.E2EE,
  });
  const accountSignature = xeddsaSign(
    options.primaryIdentity.privateKey,
    concatBytes(ADV_ACCOUNT_SIGNATURE_PREFIX, details, options.companionIdentityKey),
  );
  const signed = ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: options.primaryIdentity.publicKey,
    accountSignature,
  });
  return ADVSignedDeviceIdentityHMAC.encode({
    details: signed,
    hmac: hmacSha256(options.advSecret, signed),
    accountType: ADVEncryptionType.E2EE,
  });
}

/**
 * The server side of pair-device-sign: checks the companion's device signature over the identity it
 * returned, against the account key the server knows. Returns the decoded identity.
 */
export function verifyDeviceSignature(
  selfSigned: Uint8Array,
  companionIdentityKey: Uint8Array,
  accountSignatureKey: Uint8Array,
): ADVSignedDeviceIdentity {
  const identity = ADVSignedDeviceIdentity.decode(selfSigned);
  if (!identity.details || !identity.deviceSignature) {
    throw new PairError(400, "bad-request", "pair-device-sign lacks details or device signature");
  }
  const message = concatBytes(
    ADV_DEVICE_SIGNATURE_PREFIX,
    identity.details,
    companionIdentityKey,
    accountSignatureKey,
  );
  if (!xeddsaVerify(companionIdentityKey, message, identity.deviceSignature)) {
    throw new PairError(401, "signature-mismatch", "companion device signature does not verify");
  }
  return identity;
}

/** Makes a random 8-character pair code. */
export function generatePairCode(): string {
  // 5 random bytes = 40 bits = exactly 8 base32 characters.
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let code = "";
  for (let i = 7; i >= 0; i--) code += PAIR_CODE_ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return code;
}

/** Normalizes a user-supplied pair code (upper case, separators removed); throws when invalid. */
export function normalizePairCode(code: string): string {
  const clean = code.replace(/[\s-]/g, "").toUpperCase();
  if (clean.length !== 8 || [...clean].some((c) => !PAIR_CODE_ALPHABET.includes(c))) {
    throw new PairCodeError(
      "invalid_custom_code",
      `a pair code is 8 characters from ${PAIR_CODE_ALPHABET}, got ${JSON.stringify(code)}`,
    );
  }
  return clean;
}

/** Why a pair-code request was refused before anything was sent. */
export type PairCodeErrorCode =
  | "phone_number_required"
  | "phone_number_too_short"
  | "phone_number_not_international"
  | "invalid_custom_code"
  | "missing_pairing_ref"
  | "invalid_wrapped_data"
  | "not_waiting";

/** A pair-code request or notification failed validation. */
export class PairCodeError extends Error {
  /** What was wrong. */
  readonly code: PairCodeErrorCode;
  /** Creates the error. */
  constructor(code: PairCodeErrorCode, message: string) {
    super(message);
    this.name = "PairCodeError";
    this.code = code;
  }
}

/**
 * Validates a phone number for pair-code linking: digits only after stripping everything else, at
 * least 7 digits, international (not starting with 0). Returns the digits.
 */
export function normalizePhoneNumber(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  if (!digits) throw new PairCodeError("phone_number_required", "a phone number is required");
  if (digits.length < 7) {
    throw new PairCodeError(
      "phone_number_too_short",
      `phone number must have at least 7 digits, got ${digits.length}`,
    );
  }
  if (digits.startsWith("0")) {
    throw new PairCodeError(
      "phone_number_not_international",
      "phone number must be in international format (country code first, no leading 0)",
    );
  }
  return digits;
}

async function codeKey(code: string, salt: Uint8Array): Promise<Uint8Array> {
  return await pbkdf2Sha256(code, salt, PAIR_CODE_PBKDF2_ITERATIONS, 32);
}

/** Wraps an ephemeral public key with the pair code: salt(32) ‖ iv(16) ‖ AES-CTR(key, pub). */
export async function wrapWithPairCode(code: string, publicKey: Uint8Array): Promise<Uint8Array> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await codeKey(code, salt);
  return concatBytes(salt, iv, aesCtr(key, iv, publicKey));
}

/** Unwraps a key wrapped by {@linkcode wrapWithPairCode}. */
export async function unwrapWithPairCode(code: string, wrapped: Uint8Array): Promise<Uint8Array> {
  if (wrapped.length < 80) {
    throw new PairCodeError(
      "invalid_wrapped_data",
      `wrapped ephemeral key must be 80 bytes, got ${wrapped.length}`,
    );
  }
  const key = await codeKey(code, wrapped.subarray(0, 32));
  return aesCtr(key, wrapped.subarray(32, 48), wrapped.subarray(48, 80));
}

const KEY_BUNDLE_INFO = "link_code_pairing_key_bundle_encryption_key";

/** The companion's key bundle for `companion_finish`, and the ADV secret it implies. */
export interface CompanionKeyBundle {
  /** salt(32) ‖ nonce(12) ‖ AES-GCM(companionIdentityPub ‖ primaryIdentityPub ‖ advRandom). */
  wrappedBundle: Uint8Array;
  /** The new ADV secret (replaces the QR one). */
  advSecret: Uint8Array;
}

/** Companion side of pair-code stage 2. */
export function buildCompanionKeyBundle(
  companionEphemeral: KeyPair,
  companionIdentity: KeyPair,
  primaryEphemeralPub: Uint8Array,
  primaryIdentityPub: Uint8Array,
): CompanionKeyBundle {
  const shared = x25519(companionEphemeral.privateKey, primaryEphemeralPub);
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const advRandom = randomBytes(32);
  const bundleKey = hkdf(shared, 32, { salt, info: KEY_BUNDLE_INFO });
  const sealed = aesGcmEncrypt(
    bundleKey,
    nonce,
    concatBytes(companionIdentity.publicKey, primaryIdentityPub, advRandom),
  );
  const identityShared = x25519(companionIdentity.privateKey, primaryIdentityPub);
  return {
    wrappedBundle: concatBytes(salt, nonce, sealed),
    advSecret: hkdf(concatBytes(shared, identityShared, advRandom), 32, { info: "adv_secret" }),
  };
}

/** What the phone learns from the companion's key bundle. */
export interface OpenedKeyBundle {
  /** The companion's identity public key. */
  companionIdentityPub: Uint8Array;
  /** The ADV secret to HMAC the signed identity with. */
  advSecret: Uint8Array;
}

/** Phone side of pair-code stage 2: opens the companion's bundle and derives the same ADV secret. */
export function openCompanionKeyBundle(
  primaryEphemeral: KeyPair,
  primaryIdentity: KeyPair,
  companionEphemeralPub: Uint8Array,
  wrappedBundle: Uint8Array,
): OpenedKeyBundle {
  if (wrappedBundle.length < 32 + 12 + 96 + 16) {
    throw new PairCodeError("invalid_wrapped_data", `key bundle too short: ${wrappedBundle.length} bytes`);
  }
  const shared = x25519(primaryEphemeral.privateKey, companionEphemeralPub);
  const bundleKey = hkdf(shared, 32, { salt: wrappedBundle.subarray(0, 32), info: KEY_BUNDLE_INFO });
  const plain = aesGcmDecrypt(bundleKey, wrappedBundle.subarray(32, 44), wrappedBundle.subarray(44));
  const companionIdentityPub = plain.slice(0, 32);
  if (!equalBytes(plain.subarray(32, 64), primaryIdentity.publicKey)) {
    throw new PairCodeError("invalid_wrapped_data", "key bundle names a different primary identity");
  }
  const advRandom = plain.subarray(64, 96);
  const identityShared = x25519(primaryIdentity.privateKey, companionIdentityPub);
  return {
    companionIdentityPub,
    advSecret: hkdf(concatBytes(shared, identityShared, advRandom), 32, { info: "adv_secret" }),
  };
}
