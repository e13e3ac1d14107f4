/**
 * Wire forms of the four Signal messages WhatsApp exchanges, message version 3 (version byte 0x33: current
 * version in the high nibble, minimum in the low one):
 *
 * - SignalMessage: version ‖ protobuf ‖ MAC[8], MAC = HMAC-SHA256(macKey, senderIdentity[33] ‖
 *   receiverIdentity[33] ‖ version ‖ protobuf) truncated to 8 bytes;
 * - PreKeySignalMessage: version ‖ protobuf (whose `message` is a whole SignalMessage);
 * - SenderKeyMessage: version ‖ protobuf ‖ XEdDSA signature[64] over version ‖ protobuf;
 * - SenderKeyDistributionMessage: version ‖ protobuf (WhatsApp's older field layout).
 *
 * Parsing follows libsignal's checks (rust/protocol/src/protocol.rs): the version is read from the high
 * nibble only, and the fields libsignal requires must be present.
 *
 * @module
 */

import { equalBytes, hmacSha256, stripPublicKey, xeddsaSign, xeddsaVerify } from "../crypto/mod.ts";
import {
  PreKeySignalMessage,
  SenderKeyDistributionMessage,
  SenderKeyMessage,
  SignalMessage,
  Writer,
} from "../proto/mod.ts";
import { SignalError } from "./errors.ts";

/** The only message version WhatsApp speaks. */
export const MESSAGE_VERSION = 3;
/** Version byte of every message this layer writes: version 3 and minimum version 3. */
export const VERSION_BYTE = (MESSAGE_VERSION << 4) | MESSAGE_VERSION;
/** Length of the truncated SignalMessage MAC. */
export const MAC_LENGTH = 8;
/** Length of a SenderKeyMessage signature. */
export const SIGNATURE_LENGTH = 64;

function checkVersion(byte: number, what: string): void {
  const version = byte >> 4;
  if (version !== MESSAGE_VERSION) {
    throw new SignalError(
      "invalid_version",
      `${what} has version ${version} (byte 0x${
        byte.toString(16).padStart(2, "0")
      }), expected ${MESSAGE_VERSION} (0x33)`,
    );
  }
}

function decodeBody<T>(codec: { decode(b: Uint8Array): T }, body: Uint8Array, what: string): T {
  try {
    return codec.decode(body);
  } catch (cause) {
    throw new SignalError("invalid_message", `${what} body does not decode: ${cause}`, { cause });
  }
}

function required<T>(value: T | undefined, field: string, what: string): T {
  if (value === undefined) throw new SignalError("invalid_message", `${what} lacks its ${field} field`);
  return value;
}

/** A 33-byte 0x05-prefixed public key from the wire. */
function publicKey33(key: Uint8Array, what: string): Uint8Array {
  if (key.length !== 33 || key[0] !== 0x05) {
    throw new SignalError(
      "invalid_key",
      `${what} must be 33 bytes starting with 0x05, got ${key.length} bytes` +
        (key.length > 0 ? ` starting with 0x${key[0].toString(16).padStart(2, "0")}` : ""),
    );
  }
  return key;
}

/** A parsed SignalMessage. Byte fields are views into the input. */
export interface ParsedSignalMessage {
  /** The sender's ratchet key, 33 bytes. */
  readonly ratchetKey: Uint8Array;
  /** Index of the message in the sender's chain. */
  readonly counter: number;
  /** Length of the sender's previous chain. */
  readonly previousCounter: number;
  /** AES-256-CBC ciphertext. */
  readonly ciphertext: Uint8Array;
  /** The whole message (version ‖ body ‖ MAC), for MAC verification. */
  readonly serialized: Uint8Array;
}

/**
 * Parses a SignalMessage.
 *
 * @throws {SignalError} `invalid_message` (too short, bad protobuf, missing field), `invalid_version`,
 * `invalid_key`.
 */
export function parseSignalMessage(bytes: Uint8Array): ParsedSignalMessage {
  if (bytes.length < 1 + MAC_LENGTH) {
    throw new SignalError(
      "invalid_message",
      `SignalMessage is ${bytes.length} bytes, expected at least ${1 + MAC_LENGTH} (version byte and MAC)`,
    );
  }
  checkVersion(bytes[0], "SignalMessage");
  const what = "SignalMessage";
  const m = decodeBody(SignalMessage, bytes.subarray(1, bytes.length - MAC_LENGTH), what);
  return {
    ratchetKey: publicKey33(required(m.ratchetKey, "ratchetKey", what), "SignalMessage ratchet key"),
    counter: required(m.counter, "counter", what),
    previousCounter: m.previousCounter ?? 0,
    ciphertext: required(m.ciphertext, "ciphertext", what),
    serialized: bytes,
  };
}

/** Whether the MAC of a parsed SignalMessage verifies (constant-time comparison). */
export function verifySignalMessageMac(
  message: ParsedSignalMessage,
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
): boolean {
  const s = message.serialized;
  const split = s.length - MAC_LENGTH;
  const mac = hmacSha256(macKey, senderIdentity, receiverIdentity, s.subarray(0, split));
  return equalBytes(mac.subarray(0, MAC_LENGTH), s.subarray(split));
}

/**
 * Builds a SignalMessage: version ‖ protobuf ‖ MAC.
 *
 * @param ratchetKey the sender's ratchet key, 33 bytes
 * @param senderIdentity the sender's identity key, 33 bytes
 * @param receiverIdentity the receiver's identity key, 33 bytes
 */
export function encodeSignalMessage(
  macKey: Uint8Array,
  ratchetKey: Uint8Array,
  counter: number,
  previousCounter: number,
  ciphertext: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
): Uint8Array {
  const w = new Writer(ciphertext.length + 64);
  w.byte(VERSION_BYTE);
  // counter and previousCounter are written even when 0, as libsignal (proto2 wire.proto) does.
  SignalMessage.write({ ratchetKey, counter, previousCounter, ciphertext }, w, 0);
  const mac = hmacSha256(macKey, senderIdentity, receiverIdentity, w.buf.subarray(0, w.pos));
  w.raw(mac.subarray(0, MAC_LENGTH));
  return w.buf.subarray(0, w.pos);
}

/** A parsed PreKeySignalMessage. Byte fields are views into the input. */
export interface ParsedPreKeySignalMessage {
  /** The sender's registration id. */
  readonly registrationId: number;
  /** The one-time prekey the sender used, if any. */
  readonly preKeyId: number | undefined;
  /** The signed prekey the sender used. */
  readonly signedPreKeyId: number;
  /** The sender's X3DH base key, 33 bytes. */
  readonly baseKey: Uint8Array;
  /** The sender's identity key, 33 bytes. */
  readonly identityKey: Uint8Array;
  /** The embedded SignalMessage. */
  readonly message: ParsedSignalMessage;
}

/**
 * Parses a PreKeySignalMessage and the SignalMessage inside it.
 *
 * @throws {SignalError} `invalid_message`, `invalid_version`, `invalid_key`.
 */
export function parsePreKeySignalMessage(bytes: Uint8Array): ParsedPreKeySignalMessage {
  const what = "PreKeySignalMessage";
  if (bytes.length < 1) throw new SignalError("invalid_message", `${what} is empty`);
  checkVersion(bytes[0], what);
  const m = decodeBody(PreKeySignalMessage, bytes.subarray(1), what);
  return {
    registrationId: m.registrationId ?? 0,
    preKeyId: m.preKeyId,
    signedPreKeyId: required(m.signedPreKeyId, "signedPreKeyId", what),
    baseKey: publicKey33(required(m.baseKey, "baseKey", what), `${what} base key`),
    identityKey: publicKey33(required(m.identityKey, "identityKey", what), `${what} identity key`),
    message: parseSignalMessage(required(m.message, "message", what)),
  };
}

/** Builds a PreKeySignalMessage around a serialized SignalMessage. Keys are 33 bytes. */
export function encodePreKeySignalMessage(
  registrationId: number,
  preKeyId: number | undefined,
  signedPreKeyId: number,
  baseKey: Uint8Array,
  identityKey: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const w = new Writer(message.length + 128);
  w.byte(VERSION_BYTE);
  PreKeySignalMessage.write(
    { preKeyId, baseKey, identityKey, message, registrationId, signedPreKeyId },
    w,
    0,
  );
  return w.buf.subarray(0, w.pos);
}

/** A parsed SenderKeyMessage. Byte fields are views into the input. */
export interface ParsedSenderKeyMessage {
  /** The sender's chain (key) id. */
  readonly keyId: number;
  /** The message's iteration in the chain. */
  readonly iteration: number;
  /** AES-256-CBC ciphertext. */
  readonly ciphertext: Uint8Array;
  /** Version ‖ protobuf: what the signature covers. */
  readonly signed: Uint8Array;
  /** The 64-byte XEdDSA signature. */
  readonly signature: Uint8Array;
}

/**
 * Parses a SenderKeyMessage (the signature is not checked here; see {@link verifySenderKeyMessage}).
 *
 * @throws {SignalError} `invalid_message`, `invalid_version`.
 */
export function parseSenderKeyMessage(bytes: Uint8Array): ParsedSenderKeyMessage {
  const what = "SenderKeyMessage";
  if (bytes.length < 1 + SIGNATURE_LENGTH) {
    throw new SignalError(
      "invalid_message",
      `${what} is ${bytes.length} bytes, expected at least ${
        1 + SIGNATURE_LENGTH
      } (version byte and signature)`,
    );
  }
  checkVersion(bytes[0], what);
  const split = bytes.length - SIGNATURE_LENGTH;
  const m = decodeBody(SenderKeyMessage, bytes.subarray(1, split), what);
  return {
    keyId: required(m.id, "id", what),
    iteration: required(m.iteration, "iteration", what),
    ciphertext: required(m.ciphertext, "ciphertext", what),
    signed: bytes.subarray(0, split),
    signature: bytes.subarray(split),
  };
}

/** Whether a SenderKeyMessage's signature verifies under the sender's raw 32-byte signing key. */
export function verifySenderKeyMessage(
  message: ParsedSenderKeyMessage,
  signingPublicKey: Uint8Array,
): boolean {
  return xeddsaVerify(signingPublicKey, message.signed, message.signature);
}

/** Builds and signs a SenderKeyMessage. */
export function encodeSenderKeyMessage(
  keyId: number,
  iteration: number,
  ciphertext: Uint8Array,
  signingPrivateKey: Uint8Array,
): Uint8Array {
  const w = new Writer(ciphertext.length + 96);
  w.byte(VERSION_BYTE);
  SenderKeyMessage.write({ id: keyId, iteration, ciphertext }, w, 0);
  const signature = xeddsaSign(signingPrivateKey, w.buf.subarray(0, w.pos));
  w.raw(signature);
  return w.buf.subarray(0, w.pos);
}

/** A parsed SenderKeyDistributionMessage. */
export interface ParsedSenderKeyDistributionMessage {
  /** The chain (key) id. */
  readonly keyId: number;
  /** Iteration of `chainKey`. */
  readonly iteration: number;
  /** The 32-byte chain key at `iteration`. */
  readonly chainKey: Uint8Array;
  /** The sender's raw 32-byte signing public key. */
  readonly signingKey: Uint8Array;
}

/**
 * Parses a SenderKeyDistributionMessage. The signing key may come 33-byte prefixed (as WhatsApp sends it)
 * or raw.
 *
 * @throws {SignalError} `invalid_message`, `invalid_version`, `invalid_key`.
 */
export function parseSenderKeyDistributionMessage(bytes: Uint8Array): ParsedSenderKeyDistributionMessage {
  const what = "SenderKeyDistributionMessage";
  if (bytes.length < 1) throw new SignalError("invalid_message", `${what} is empty`);
  checkVersion(bytes[0], what);
  const m = decodeBody(SenderKeyDistributionMessage, bytes.subarray(1), what);
  const chainKey = required(m.chainKey, "chainKey", what);
  if (chainKey.length !== 32) {
    throw new SignalError("invalid_message", `${what} chain key is ${chainKey.length} bytes, expected 32`);
  }
  const rawSigningKey = required(m.signingKey, "signingKey", what);
  let signingKey: Uint8Array;
  try {
    signingKey = stripPublicKey(rawSigningKey).slice();
  } catch (cause) {
    throw new SignalError("invalid_key", `${what} signing key is malformed: ${cause}`, { cause });
  }
  return {
    keyId: required(m.id, "id", what),
    iteration: required(m.iteration, "iteration", what),
    chainKey: chainKey.slice(),
    signingKey,
  };
}

/** Builds a SenderKeyDistributionMessage; `signingKey` is the 33-byte prefixed public key. */
export function encodeSenderKeyDistributionMessage(
  keyId: number,
  iteration: number,
  chainKey: Uint8Array,
  signingKey: Uint8Array,
): Uint8Array {
  const w = new Writer(128);
  w.byte(VERSION_BYTE);
  SenderKeyDistributionMessage.write({ id: keyId, iteration, chainKey, signingKey }, w, 0);
  return w.finish();
}
