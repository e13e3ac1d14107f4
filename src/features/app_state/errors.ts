/**
 * The one error class of the app state (syncd) layer.
 *
 * @module
 */

/**
 * Why an app state patch, snapshot or mutation was refused.
 *
 * - `missing_key`: a record or patch names a sync key the caller does not have ({@link AppStateError.keyId}).
 *   Not fatal: ask the primary device for the key, then sync again.
 * - `bad_value_mac`: a record's value MAC does not verify (tampered value or ciphertext, wrong key or key id,
 *   wrong operation).
 * - `bad_index_mac`: a record's index MAC is not the HMAC of the index inside its decrypted value.
 * - `bad_patch_mac`: a patch's MAC over its snapshot MAC, value MACs, version and collection does not verify.
 * - `bad_snapshot_mac`: a snapshot's MAC over its LT-hash, version and collection does not verify.
 * - `lthash_mismatch`: after applying a patch, our LT-hash differs from the sender's (the patch's snapshot
 *   MAC): our stored value MACs are stale or a REMOVE had nothing to remove. A full snapshot resync fixes it.
 * - `bad_version`: a patch's version is not the collection's version + 1, or a version is out of range.
 * - `bad_ciphertext`: a value blob is too short, not whole AES blocks, or does not decrypt to valid padding.
 * - `malformed`: bytes that do not decode (protobuf, index JSON), or a required field is missing.
 * - `missing_external`: a patch's mutations live in an external blob the caller did not supply.
 * - `invalid_action`: an outgoing action or mutation is not one the protocol allows (bad timestamp, missing
 *   group participant, empty index, a key that is not 32 bytes...).
 */
export type AppStateErrorCode =
  | "missing_key"
  | "bad_value_mac"
  | "bad_index_mac"
  | "bad_patch_mac"
  | "bad_snapshot_mac"
  | "lthash_mismatch"
  | "bad_version"
  | "bad_ciphertext"
  | "malformed"
  | "missing_external"
  | "invalid_action";

/** Extra data carried by an {@link AppStateError}. */
export interface AppStateErrorOptions extends ErrorOptions {
  /** The collection being decoded or encoded. */
  collection?: string;
  /** The patch or snapshot version concerned. */
  version?: number;
  /** The position of the offending mutation or record in its patch or snapshot. */
  mutationIndex?: number;
  /** For `missing_key` (and key-related failures): the key id asked for. */
  keyId?: Uint8Array;
}

/**
 * Thrown by every function of the app state layer that refuses its input. Branch on
 * {@link AppStateError.code}; nothing is returned on failure, so no partial state can leak.
 *
 * @example
 * ```ts
 * import { AppStateError, decodePatch, type DecodePatchOptions } from "./mod.ts";
 * import type { SyncdPatch } from "../../proto/mod.ts";
 * async function apply(patch: SyncdPatch, options: DecodePatchOptions) {
 *   try {
 *     return await decodePatch(patch, options);
 *   } catch (e) {
 *     if (e instanceof AppStateError && e.code === "missing_key") return undefined; // wait for the key share
 *     throw e;
 *   }
 * }
 * ```
 */
export class AppStateError extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: AppStateErrorCode;
  /** The collection concerned, when known. */
  readonly collection: string | undefined;
  /** The patch or snapshot version concerned, when known. */
  readonly version: number | undefined;
  /** The position of the offending mutation or record, when one is at fault. */
  readonly mutationIndex: number | undefined;
  /** The key id concerned, when a key is at fault. */
  readonly keyId: Uint8Array | undefined;

  /**
   * Creates the error; `name` is always "AppStateError".
   *
   * @param code machine-readable reason
   * @param message what was expected and what came
   * @param options where it happened, and a `cause`
   */
  constructor(code: AppStateErrorCode, message: string, options?: AppStateErrorOptions) {
    super(message + describeWhere(options), options);
    this.name = "AppStateError";
    this.code = code;
    this.collection = options?.collection;
    this.version = options?.version;
    this.mutationIndex = options?.mutationIndex;
    this.keyId = options?.keyId;
  }
}

function describeWhere(o: AppStateErrorOptions | undefined): string {
  if (o === undefined) return "";
  const parts: string[] = [];
  if (o.collection !== undefined) parts.push(o.collection);
  if (o.version !== undefined) parts.push(`v${o.version}`);
  if (o.mutationIndex !== undefined) parts.push(`mutation #${o.mutationIndex}`);
  if (o.keyId !== undefined) parts.push(`key ${o.keyId.toHex()}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}
