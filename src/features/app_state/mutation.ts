/**
 * One app state mutation (`SyncdMutation` with its `SyncdRecord`), encoded and decoded.
 *
 * Layout (whatsmeow `appstate/encode.go`, `decode.go` `decodeMutation`; Baileys `Utils/chat-utils.ts`
 * `encodeSyncdPatch`, `decodeSyncdMutations`; whatsapp-rust `wacore/appstate/src/hash.rs`):
 * - index: the compact JSON array of strings, e.g. `["mute","1555@s.whatsapp.net"]`;
 *   `record.index.blob` = HMAC-SHA256(index key, index bytes).
 * - value: `SyncActionData{index, value, padding (empty), version}` encrypted with AES-256-CBC under the value
 *   encryption key; `record.value.blob` = IV(16) ‖ ciphertext ‖ value MAC(32).
 * - value MAC = HMAC-SHA512(value MAC key, op ‖ keyId ‖ IV ‖ ciphertext ‖ u64BE(keyId length + 1)), cut to
 *   32 bytes, where op is 1 for SET and 2 for REMOVE (the trailing length is that of `op ‖ keyId`).
 *
 * Decoding checks the value MAC before decrypting, then the index MAC against the decrypted index.
 *
 * @module
 */

import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  equalBytes,
  hmacSha256,
  hmacSha512,
  randomBytes,
} from "../../crypto/mod.ts";
import {
  ProtoDecodeError,
  SyncActionData,
  type SyncActionValue,
  type SyncdMutation,
  SyncdMutationSyncdOperation,
  type SyncdRecord,
} from "../../proto/mod.ts";
import { AppStateError, type AppStateErrorOptions } from "./errors.ts";
import type { ExpandedAppStateKeys } from "./keys.ts";

/** What a mutation does to its index: store a value, or delete the stored one. */
export type MutationOperation = "set" | "remove";

/** The byte length of an index MAC and of a value MAC. */
export const MUTATION_MAC_LENGTH = 32;

const IV_LENGTH = 16;
const BLOCK = 16;
// IV + one cipher block + MAC: the shortest well-formed value blob.
const MIN_VALUE_BLOB = IV_LENGTH + BLOCK + MUTATION_MAC_LENGTH;
// Key ids are a few bytes (6 from current primaries); this bounds what a hostile record can make us hash.
const MAX_KEY_ID_LENGTH = 1024;

/** A mutation to encode: the plain index and value. */
export interface MutationInput {
  /** SET (the default) or REMOVE. */
  operation?: MutationOperation;
  /** The index, e.g. `["pin_v1", "1555@s.whatsapp.net"]`; at least one string. */
  index: readonly string[];
  /** The action value (`SyncActionValue.timestamp` is in milliseconds). */
  value: SyncActionValue;
  /** The action's version number (`SyncActionData.version`), fixed per action type. */
  version: number;
}

/** A mutation after decryption and verification. */
export interface DecodedMutation {
  /** SET or REMOVE. */
  operation: MutationOperation;
  /** The index, parsed from the JSON array inside the value. */
  index: string[];
  /** The action value; absent when the sender sent none. */
  value: SyncActionValue | undefined;
  /** `SyncActionData.version`, when present. */
  version: number | undefined;
  /** The index MAC, {@linkcode MUTATION_MAC_LENGTH} bytes: the mutation's identity in its collection. */
  indexMac: Uint8Array;
  /** The value MAC, {@linkcode MUTATION_MAC_LENGTH} bytes: what the LT-hash adds for a SET. */
  valueMac: Uint8Array;
  /** The id of the sync key the record was encrypted with. */
  keyId: Uint8Array;
}

/** The parts of an encrypted record, checked for shape but not yet authenticated. */
export interface RecordParts {
  /** SET or REMOVE. */
  operation: MutationOperation;
  /** `record.index.blob`. */
  indexMac: Uint8Array;
  /** `record.keyId.id`. */
  keyId: Uint8Array;
  /** IV ‖ ciphertext: the bytes the value MAC covers. */
  encrypted: Uint8Array;
  /** The last 32 bytes of `record.value.blob`. */
  valueMac: Uint8Array;
}

/** Where a mutation sits, for error messages. */
export type MutationWhere = Pick<AppStateErrorOptions, "collection" | "version" | "mutationIndex">;

const OP_SET = SyncdMutationSyncdOperation.SET;
const OP_REMOVE = SyncdMutationSyncdOperation.REMOVE;
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The index bytes: the compact JSON array, as WhatsApp clients write it.
 *
 * @throws {AppStateError} `invalid_action` for an empty index.
 * @example
 * ```ts
 * import { encodeIndex } from "./mutation.ts";
 * new TextDecoder().decode(encodeIndex(["archive", "1555@s.whatsapp.net"])); // '["archive","1555@s.whatsapp.net"]'
 * ```
 */
export function encodeIndex(index: readonly string[]): Uint8Array {
  if (index.length === 0) {
    throw new AppStateError("invalid_action", "a mutation index needs at least one string");
  }
  for (const part of index) {
    if (typeof part !== "string") {
      throw new AppStateError("invalid_action", `a mutation index holds strings, got ${typeof part}`);
    }
  }
  return encoder.encode(JSON.stringify(index));
}

/** The index MAC: HMAC-SHA256 of the index bytes under the index key. */
export function computeIndexMac(keys: ExpandedAppStateKeys, indexBytes: Uint8Array): Uint8Array {
  return hmacSha256(keys.index, indexBytes);
}

/**
 * The value MAC of IV ‖ ciphertext (`encrypted`) for `operation` and `keyId`.
 *
 * @example
 * ```ts
 * import { computeValueMac, expandAppStateKeys } from "./mod.ts";
 * const keys = expandAppStateKeys(new Uint8Array(32));
 * const mac = computeValueMac(keys, "set", new Uint8Array(6), new Uint8Array(32)); // 32 bytes
 * ```
 */
export function computeValueMac(
  keys: ExpandedAppStateKeys,
  operation: MutationOperation,
  keyId: Uint8Array,
  encrypted: Uint8Array,
): Uint8Array {
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setBigUint64(0, BigInt(keyId.length + 1));
  const op = new Uint8Array([operation === "set" ? 1 : 2]);
  return hmacSha512(keys.valueMac, op, keyId, encrypted, trailer).subarray(0, MUTATION_MAC_LENGTH);
}

/**
 * Encrypts and MACs one mutation under `keys` (expanded from the sync key with id `keyId`).
 *
 * @param iv the 16-byte IV; random unless given (tests pass one to get fixed bytes)
 * @throws {AppStateError} `invalid_action` for an empty index, a version that is not an int32, a bad IV or key id.
 * @example
 * ```ts
 * import { decodeMutation, encodeMutation, expandAppStateKeys } from "./mod.ts";
 * const keys = expandAppStateKeys(new Uint8Array(32).fill(1));
 * const keyId = new Uint8Array([0, 0, 0, 0, 0, 1]);
 * const { mutation } = encodeMutation({ index: ["setting_pushName"], value: { pushNameSetting: { name: "Ada" } }, version: 1 }, keyId, keys);
 * decodeMutation(mutation, () => keys).index; // ["setting_pushName"]
 * ```
 */
export function encodeMutation(
  input: MutationInput,
  keyId: Uint8Array,
  keys: ExpandedAppStateKeys,
  iv: Uint8Array = randomBytes(IV_LENGTH),
): { mutation: SyncdMutation; decoded: DecodedMutation } {
  const operation = input.operation ?? "set";
  if (!Number.isInteger(input.version) || input.version < -(2 ** 31) || input.version >= 2 ** 31) {
    throw new AppStateError("invalid_action", `a mutation version is an int32, got ${input.version}`);
  }
  if (iv.length !== IV_LENGTH) {
    throw new AppStateError("invalid_action", `the IV is 16 bytes, got ${iv.length}`);
  }
  if (keyId.length === 0 || keyId.length > MAX_KEY_ID_LENGTH) {
    throw new AppStateError(
      "invalid_action",
      `a key id is 1 to ${MAX_KEY_ID_LENGTH} bytes, got ${keyId.length}`,
    );
  }
  const indexBytes = encodeIndex(input.index);
  const plaintext = SyncActionData.encode({
    index: indexBytes,
    value: input.value,
    padding: new Uint8Array(0),
    version: input.version,
  });
  const ciphertext = aesCbcEncrypt(keys.valueEncryption, iv, plaintext);
  const blob = new Uint8Array(IV_LENGTH + ciphertext.length + MUTATION_MAC_LENGTH);
  blob.set(iv, 0);
  blob.set(ciphertext, IV_LENGTH);
  const encrypted = blob.subarray(0, IV_LENGTH + ciphertext.length);
  const valueMac = computeValueMac(keys, operation, keyId, encrypted);
  blob.set(valueMac, encrypted.length);
  const indexMac = computeIndexMac(keys, indexBytes);
  const id = keyId.slice();
  const mutation: SyncdMutation = {
    operation: operation === "set" ? OP_SET : OP_REMOVE,
    record: { index: { blob: indexMac }, value: { blob }, keyId: { id } },
  };
  const decoded: DecodedMutation = {
    operation,
    index: [...input.index],
    value: input.value,
    version: input.version,
    indexMac,
    valueMac: blob.subarray(encrypted.length),
    keyId: id,
  };
  return { mutation, decoded };
}

/**
 * Splits a mutation's record into its parts and checks their shape (lengths, block alignment, operation),
 * without any key. A snapshot's records are SETs: pass them with `operation` absent.
 *
 * @throws {AppStateError} `malformed` for a missing field, an unknown operation or a bad MAC length;
 * `bad_ciphertext` for a value blob that cannot hold IV, whole blocks and a MAC.
 */
export function parseRecord(mutation: SyncdMutation, where: MutationWhere = {}): RecordParts {
  const operation = parseOperation(mutation, where);
  const record: SyncdRecord | undefined = mutation.record;
  const indexMac = record?.index?.blob;
  if (indexMac === undefined || indexMac.length !== MUTATION_MAC_LENGTH) {
    throw new AppStateError(
      "malformed",
      `a record's index MAC is ${MUTATION_MAC_LENGTH} bytes, got ${
        indexMac === undefined ? "none" : indexMac.length
      }`,
      where,
    );
  }
  const keyId = record?.keyId?.id;
  if (keyId === undefined) throw new AppStateError("malformed", "a record has no key id", where);
  checkKeyId(keyId, where);
  const blob = record?.value?.blob;
  if (blob === undefined) throw new AppStateError("malformed", "a record has no value blob", where);
  const cipherLength = blob.length - IV_LENGTH - MUTATION_MAC_LENGTH;
  if (blob.length < MIN_VALUE_BLOB || cipherLength % BLOCK !== 0) {
    throw new AppStateError(
      "bad_ciphertext",
      `a value blob is IV(16) + whole 16-byte blocks + MAC(32), at least ${MIN_VALUE_BLOB} bytes, got ${blob.length}`,
      where,
    );
  }
  const macStart = blob.length - MUTATION_MAC_LENGTH;
  return {
    operation,
    indexMac,
    keyId,
    encrypted: blob.subarray(0, macStart),
    valueMac: blob.subarray(macStart),
  };
}

/**
 * Verifies the value MAC of parsed record parts under `keys`.
 *
 * @throws {AppStateError} `bad_value_mac` when it does not verify.
 */
export function verifyValueMac(
  parts: RecordParts,
  keys: ExpandedAppStateKeys,
  where: MutationWhere = {},
): void {
  const expected = computeValueMac(keys, parts.operation, parts.keyId, parts.encrypted);
  if (!equalBytes(expected, parts.valueMac)) {
    throw new AppStateError(
      "bad_value_mac",
      `value MAC ${parts.valueMac.toHex()} does not verify under key ${parts.keyId.toHex()}`,
      { ...where, keyId: parts.keyId },
    );
  }
}

/**
 * Decrypts already MAC-verified record parts and checks the index MAC against the decrypted index.
 *
 * @throws {AppStateError} `bad_ciphertext` for bad padding, `malformed` for a value or index that does not
 * decode, `bad_index_mac` when the index MAC is not that of the index.
 */
export function openRecord(
  parts: RecordParts,
  keys: ExpandedAppStateKeys,
  where: MutationWhere = {},
): DecodedMutation {
  let plaintext: Uint8Array;
  try {
    plaintext = aesCbcDecrypt(
      keys.valueEncryption,
      parts.encrypted.subarray(0, IV_LENGTH),
      parts.encrypted.subarray(IV_LENGTH),
    );
  } catch (cause) {
    throw new AppStateError("bad_ciphertext", "a value does not decrypt to valid AES-CBC padding", {
      ...where,
      cause,
    });
  }
  let data: SyncActionData;
  try {
    data = SyncActionData.decode(plaintext);
  } catch (cause) {
    if (!(cause instanceof ProtoDecodeError)) throw cause;
    throw new AppStateError("malformed", `a decrypted value is not a SyncActionData: ${cause.message}`, {
      ...where,
      cause,
    });
  }
  const indexBytes = data.index;
  if (indexBytes === undefined) throw new AppStateError("malformed", "a decrypted value has no index", where);
  if (!equalBytes(computeIndexMac(keys, indexBytes), parts.indexMac)) {
    throw new AppStateError(
      "bad_index_mac",
      `index MAC ${parts.indexMac.toHex()} is not that of its index`,
      where,
    );
  }
  return {
    operation: parts.operation,
    index: parseIndex(indexBytes, where),
    value: data.value,
    version: data.version,
    indexMac: parts.indexMac,
    valueMac: parts.valueMac,
    keyId: parts.keyId,
  };
}

/**
 * Decodes one mutation: shape checks, value MAC, decryption, index MAC. `keysFor` returns the expanded keys
 * of a key id (the patch functions resolve them before calling this).
 *
 * @throws {AppStateError} as {@linkcode parseRecord}, {@linkcode verifyValueMac} and {@linkcode openRecord}.
 */
export function decodeMutation(
  mutation: SyncdMutation,
  keysFor: (keyId: Uint8Array) => ExpandedAppStateKeys,
  where: MutationWhere = {},
): DecodedMutation {
  const parts = parseRecord(mutation, where);
  const keys = keysFor(parts.keyId);
  verifyValueMac(parts, keys, where);
  return openRecord(parts, keys, where);
}

function parseOperation(mutation: SyncdMutation, where: MutationWhere): MutationOperation {
  const op = mutation.operation;
  if (op === OP_REMOVE) return "remove";
  if (op === OP_SET) return "set";
  // An out-of-range enum value lands in $unknown as a field-1 varint (tag byte 0x08); absent means SET.
  if (mutation.$unknown?.some((chunk) => chunk[0] === 0x08)) {
    throw new AppStateError("malformed", "a mutation's operation is neither SET(0) nor REMOVE(1)", where);
  }
  return "set";
}

function checkKeyId(keyId: Uint8Array, where: MutationWhere): void {
  if (keyId.length === 0 || keyId.length > MAX_KEY_ID_LENGTH) {
    throw new AppStateError(
      "malformed",
      `a key id is 1 to ${MAX_KEY_ID_LENGTH} bytes, got ${keyId.length}`,
      where,
    );
  }
}

function parseIndex(bytes: Uint8Array, where: MutationWhere): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch (cause) {
    throw new AppStateError("malformed", "a mutation index is not UTF-8 JSON", { ...where, cause });
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === "string")) {
    throw new AppStateError("malformed", "a mutation index is a non-empty JSON array of strings", where);
  }
  return parsed;
}
