/**
 * Syncd patches and snapshots: decoding with full verification, and encoding outgoing patches.
 *
 * A collection's state is a version and an LT-hash of the value MACs of its live (SET) records. A patch moves
 * it from version N to N + 1: each SET adds its value MAC, and any mutation whose index already held a SET
 * (earlier in the same patch, or stored) subtracts that older value MAC; a REMOVE with nothing before it only
 * counts as a "missing remove" (whatsmeow `appstate/hash.go` `updateHash`, `decode.go` `DecodePatches`;
 * whatsapp-rust `wacore/appstate/src/hash.rs`). The sender proves the result with two MACs:
 * - snapshot MAC = HMAC-SHA256(snapshot MAC key, LT-hash ‖ u64BE(version) ‖ collection name);
 * - patch MAC = HMAC-SHA256(patch MAC key, snapshot MAC ‖ every value MAC in order ‖ u64BE(version) ‖ name).
 * A snapshot is the whole state at a version: its records are SETs on an empty hash, proven by `mac`, a
 * snapshot MAC.
 *
 * Verification order, so that an error names the most specific fault: record shapes, keys (`missing_key`),
 * each record's value MAC, decryption and index MAC, then the patch MAC, then the LT-hash against the
 * snapshot MAC. All of it happens before anything is returned: a failed call yields no state at all.
 *
 * The functions are async only because the caller's lookups (sync keys, stored value MACs) may be.
 *
 * @module
 */

import { equalBytes, hmacSha256, utf8 } from "../../crypto/mod.ts";
import {
  ProtoDecodeError,
  type SyncdMutation,
  SyncdMutations,
  SyncdPatch,
  SyncdSnapshot,
} from "../../proto/mod.ts";
import { AppStateError } from "./errors.ts";
import { expandAppStateKeys, type ExpandedAppStateKeys } from "./keys.ts";
import { LTHASH_LENGTH, ltHashMixInPlace } from "./lthash.ts";
import {
  type DecodedMutation,
  encodeMutation,
  type MutationInput,
  type MutationWhere,
  openRecord,
  parseRecord,
  type RecordParts,
  verifyValueMac,
} from "./mutation.ts";

/** A collection's state: its version and 128-byte LT-hash (the shape the store keeps). */
export interface HashState {
  /** The collection version; 0 before the first sync. */
  version: number;
  /** The LT-hash, {@linkcode LTHASH_LENGTH} bytes. */
  hash: Uint8Array;
}

/** One live record's MACs, as the store keeps them so that a later mutation can subtract the value MAC. */
export interface AppStateMutationMac {
  /** The index MAC (32 bytes). */
  indexMac: Uint8Array;
  /** The value MAC (32 bytes). */
  valueMac: Uint8Array;
}

/** Returns the sync key with id `keyId` (its `keyData`), or `undefined`; a store's `getSyncKey` fits. */
export type SyncKeyLookup = (
  keyId: Uint8Array,
) => { keyData: Uint8Array } | undefined | Promise<{ keyData: Uint8Array } | undefined>;

/** Returns the stored value MAC of the live record with `indexMac`, or `undefined`. */
export type ValueMacLookup = (
  indexMac: Uint8Array,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** The result of applying a patch or snapshot: what to store and what to act on. */
export interface AppliedPatch {
  /** The collection's new state. */
  state: HashState;
  /** The decoded mutations, in order. Byte fields are views into the input. */
  mutations: DecodedMutation[];
  /** MACs of the records live after this patch (the last SET of each index it touched), to store at `state.version`. */
  addedMacs: AppStateMutationMac[];
  /** Index MACs whose last mutation in this patch is a REMOVE, to delete. Disjoint from `addedMacs`. */
  removedIndexMacs: Uint8Array[];
  /** How many REMOVEs had no earlier SET to subtract (harmless when the LT-hash still verifies). */
  missingRemoves: number;
}

/** Inputs of {@linkcode decodePatch}. */
export interface DecodePatchOptions {
  /** The collection name (`regular_high`, ...); it is inside both MACs. */
  collection: string;
  /** The collection's state before this patch. */
  state: HashState;
  /** Finds sync keys by id. */
  getKey: SyncKeyLookup;
  /** Finds the stored value MAC of an index MAC (the collection's live records). */
  getValueMac: ValueMacLookup;
  /**
   * The downloaded (and decrypted) blob a patch's `externalMutations` points to, as `SyncdMutations` or its
   * bytes; its mutations follow the patch's inline ones. Required when the patch has `externalMutations`.
   */
  externalMutations?: SyncdMutations | Uint8Array;
}

/** Inputs of {@linkcode decodeSnapshot}. */
export interface DecodeSnapshotOptions {
  /** The collection name; it is inside the snapshot MAC. */
  collection: string;
  /** Finds sync keys by id. */
  getKey: SyncKeyLookup;
}

/** Inputs of {@linkcode encodePatch}. */
export interface EncodePatchOptions {
  /** The collection the mutations belong to. */
  collection: string;
  /** The collection's current state; the patch moves it to `version + 1`. */
  state: HashState;
  /** The id of the sync key to use (our newest). */
  keyId: Uint8Array;
  /** That key's data. */
  keyData: Uint8Array;
  /** One or more mutations, in order. */
  mutations: readonly MutationInput[];
  /** Finds the stored value MAC of an index MAC, to subtract what a SET replaces. */
  getValueMac: ValueMacLookup;
  /** Source of 16-byte IVs; random unless given. */
  iv?: () => Uint8Array;
}

/** An outgoing patch and the state it leads to once the server accepts it. */
export interface EncodedPatch extends AppliedPatch {
  /** The patch, without `version` (as whatsmeow and Baileys send it); MACs are computed for `state.version`. */
  patch: SyncdPatch;
  /** `patch` encoded: the content of the `<patch>` node. */
  bytes: Uint8Array;
}

/** Inputs of {@linkcode encodeSnapshot}. */
export interface EncodeSnapshotOptions {
  /** The collection name. */
  collection: string;
  /** The snapshot's version. */
  version: number;
  /** The id of the sync key to use. */
  keyId: Uint8Array;
  /** That key's data. */
  keyData: Uint8Array;
  /** The live records, all SETs. */
  records: readonly MutationInput[];
  /** Source of 16-byte IVs; random unless given. */
  iv?: () => Uint8Array;
}

/** A snapshot built by {@linkcode encodeSnapshot}. */
export interface EncodedSnapshot extends AppliedPatch {
  /** The snapshot message. */
  snapshot: SyncdSnapshot;
  /** `snapshot` encoded (what an external blob holds). */
  bytes: Uint8Array;
}

/**
 * A collection's state before its first sync: version 0, all-zero LT-hash.
 *
 * @example
 * ```ts
 * import { emptyHashState } from "./patch.ts";
 * emptyHashState(); // { version: 0, hash: Uint8Array(128) }
 * ```
 */
export function emptyHashState(): HashState {
  return { version: 0, hash: new Uint8Array(LTHASH_LENGTH) };
}

/** The snapshot MAC of an LT-hash at `version` in `collection`. */
export function computeSnapshotMac(
  keys: ExpandedAppStateKeys,
  hash: Uint8Array,
  version: number,
  collection: string,
): Uint8Array {
  return hmacSha256(keys.snapshotMac, hash, u64be(version), utf8(collection));
}

/** The patch MAC over a snapshot MAC and the patch's value MACs (in mutation order). */
export function computePatchMac(
  keys: ExpandedAppStateKeys,
  snapshotMac: Uint8Array,
  valueMacs: readonly Uint8Array[],
  version: number,
  collection: string,
): Uint8Array {
  return hmacSha256(keys.patchMac, snapshotMac, ...valueMacs, u64be(version), utf8(collection));
}

/**
 * Decodes and verifies one patch against the collection's current state, returning the new state, the
 * decoded mutations and the MAC rows to store. The patch's version must be `state.version + 1`; a patch
 * without a version is taken to be exactly that (Baileys `extractSyncdPatches`).
 *
 * @throws {AppStateError} `malformed`, `missing_external`, `bad_version`, `missing_key`, `bad_ciphertext`,
 * `bad_value_mac`, `bad_index_mac`, `bad_patch_mac` or `lthash_mismatch`.
 * @example
 * ```ts
 * import { decodePatch, type HashState } from "./mod.ts";
 * import type { AppSyncStore } from "../../store/mod.ts";
 * async function apply(store: AppSyncStore, name: string, bytes: Uint8Array, state: HashState) {
 *   const applied = await decodePatch(bytes, {
 *     collection: name,
 *     state,
 *     getKey: (id) => store.getSyncKey(id),
 *     getValueMac: (indexMac) => store.getMutationMac(name, indexMac),
 *   });
 *   await store.deleteMutationMacs(name, applied.removedIndexMacs);
 *   await store.putMutationMacs(name, applied.state.version, applied.addedMacs);
 *   await store.setAppStateVersion(name, applied.state);
 *   return applied.mutations;
 * }
 * ```
 */
export async function decodePatch(
  patch: SyncdPatch | Uint8Array,
  options: DecodePatchOptions,
): Promise<AppliedPatch> {
  const { collection } = options;
  const state = checkState(options.state, collection);
  const p = patch instanceof Uint8Array
    ? decodeProto(SyncdPatch.decode, patch, "SyncdPatch", collection)
    : patch;
  const version = p.version?.version === undefined
    ? state.version + 1
    : toVersion(p.version.version, collection);
  if (version !== state.version + 1) {
    throw new AppStateError(
      "bad_version",
      `a patch after v${state.version} is v${state.version + 1}, got v${version}`,
      { collection, version },
    );
  }
  const where = { collection, version };
  const mutations = collectMutations(p, options.externalMutations, where);
  const keyId = p.keyId?.id;
  if (keyId === undefined || keyId.length === 0) {
    throw new AppStateError("malformed", "a patch has no key id", where);
  }
  const snapshotMac = requireMac(p.snapshotMac, "snapshot MAC", where);
  const patchMac = requireMac(p.patchMac, "patch MAC", where);

  const parts = mutations.map((m, i) => parseRecord(m, { ...where, mutationIndex: i }));
  const keys = await resolveKeys(options.getKey, [keyId, ...parts.map((x) => x.keyId)], where);
  const decoded = openAll(parts, keys, where);

  const patchKeys = keys.get(keyId.toHex())!;
  const expectedPatchMac = computePatchMac(
    patchKeys,
    snapshotMac,
    parts.map((x) => x.valueMac),
    version,
    collection,
  );
  if (!equalBytes(expectedPatchMac, patchMac)) {
    throw new AppStateError("bad_patch_mac", `patch MAC ${patchMac.toHex()} does not verify`, {
      ...where,
      keyId,
    });
  }

  const applied = await applyToHash(state.hash, decoded, options.getValueMac);
  const ours = computeSnapshotMac(patchKeys, applied.hash, version, collection);
  if (!equalBytes(ours, snapshotMac)) {
    throw new AppStateError(
      "lthash_mismatch",
      `the LT-hash after the patch does not match its snapshot MAC (${applied.missingRemoves} REMOVEs had nothing ` +
        "to remove); resync the collection from a snapshot",
      where,
    );
  }
  const { hash, ...macs } = applied;
  return { ...macs, state: { version, hash }, mutations: decoded };
}

/**
 * Decodes and verifies a snapshot: the collection's whole state at a version, replacing whatever was stored
 * (delete the collection's MACs, then store `addedMacs`). Records are SETs on an empty LT-hash; an index that
 * appears twice is added twice, as whatsmeow and whatsapp-rust do, and keeps its last value MAC.
 *
 * @throws {AppStateError} `malformed`, `bad_version`, `missing_key`, `bad_ciphertext`, `bad_value_mac`,
 * `bad_index_mac` or `bad_snapshot_mac`.
 */
export async function decodeSnapshot(
  snapshot: SyncdSnapshot | Uint8Array,
  options: DecodeSnapshotOptions,
): Promise<AppliedPatch> {
  const { collection } = options;
  const s = snapshot instanceof Uint8Array
    ? decodeProto(SyncdSnapshot.decode, snapshot, "SyncdSnapshot", collection)
    : snapshot;
  if (s.version?.version === undefined) {
    throw new AppStateError("malformed", "a snapshot has no version", { collection });
  }
  const version = toVersion(s.version.version, collection);
  const where = { collection, version };
  const keyId = s.keyId?.id;
  if (keyId === undefined || keyId.length === 0) {
    throw new AppStateError("malformed", "a snapshot has no key id", where);
  }
  const mac = requireMac(s.mac, "snapshot MAC", where);
  const records = s.records ?? [];

  const parts = records.map((record, i) => parseRecord({ record }, { ...where, mutationIndex: i }));
  const keys = await resolveKeys(options.getKey, [keyId, ...parts.map((x) => x.keyId)], where);
  const decoded = openAll(parts, keys, where);

  const applied = snapshotApplied(version, decoded);
  const expected = computeSnapshotMac(keys.get(keyId.toHex())!, applied.state.hash, version, collection);
  if (!equalBytes(expected, mac)) {
    throw new AppStateError("bad_snapshot_mac", `snapshot MAC ${mac.toHex()} does not verify`, {
      ...where,
      keyId,
    });
  }
  return applied;
}

/**
 * A snapshot's records as the state they make: every value MAC added to an empty LT-hash (an index that
 * appears twice counts twice), and each index's last value MAC as the MACs to store.
 */
function snapshotApplied(version: number, decoded: DecodedMutation[]): AppliedPatch {
  const hash = new Uint8Array(LTHASH_LENGTH);
  ltHashMixInPlace(hash, decoded.map((m) => m.valueMac), 1);
  const live = new Map<string, AppStateMutationMac>();
  for (const m of decoded) live.set(m.indexMac.toHex(), { indexMac: m.indexMac, valueMac: m.valueMac });
  return {
    state: { version, hash },
    mutations: decoded,
    addedMacs: [...live.values()],
    removedIndexMacs: [],
    missingRemoves: 0,
  };
}

/**
 * Builds an outgoing patch: encrypts and MACs each mutation with the given key, moves the LT-hash as the
 * server and other devices will, and MACs the result for `state.version + 1`. Send `bytes` in a `<patch>`
 * with the collection's current version; once the server accepts, store the returned state and MACs as
 * for {@linkcode decodePatch}.
 *
 * @throws {AppStateError} `invalid_action` for no mutations, a bad mutation or a bad IV source; `malformed`
 * for a bad state or key.
 * @example
 * ```ts
 * import { buildChatAction, emptyHashState, encodePatch } from "./mod.ts";
 * const action = buildChatAction({ kind: "pin", chat: "1555@s.whatsapp.net", pinned: true, timestampMs: 1 });
 * const { bytes, state } = await encodePatch({
 *   collection: action.collection,
 *   state: emptyHashState(),
 *   keyId: new Uint8Array([0, 0, 0, 0, 0, 1]),
 *   keyData: new Uint8Array(32).fill(9),
 *   mutations: [action],
 *   getValueMac: () => undefined,
 * });
 * state.version; // 1
 * ```
 */
export async function encodePatch(options: EncodePatchOptions): Promise<EncodedPatch> {
  const { collection } = options;
  const state = checkState(options.state, collection);
  if (options.mutations.length === 0) {
    throw new AppStateError("invalid_action", "a patch needs at least one mutation");
  }
  const keys = expandAppStateKeys(options.keyData);
  const version = state.version + 1;
  const encoded = options.mutations.map((m) => encodeMutation(m, options.keyId, keys, nextIv(options.iv)));
  const decoded = encoded.map((e) => e.decoded);
  const applied = await applyToHash(state.hash, decoded, options.getValueMac);
  const snapshotMac = computeSnapshotMac(keys, applied.hash, version, collection);
  const patchMac = computePatchMac(keys, snapshotMac, decoded.map((m) => m.valueMac), version, collection);
  const patch: SyncdPatch = {
    mutations: encoded.map((e) => e.mutation),
    snapshotMac,
    patchMac,
    keyId: { id: options.keyId.slice() },
  };
  const { hash, ...macs } = applied;
  return {
    ...macs,
    state: { version, hash },
    mutations: decoded,
    patch,
    bytes: SyncdPatch.encode(patch),
  };
}

/**
 * Builds a snapshot of live records at a version (what the server hands a device that syncs from scratch).
 * Used by test servers and benchmarks; clients never send snapshots.
 *
 * @throws {AppStateError} `invalid_action` for a REMOVE record or a bad mutation; `bad_version` for a version
 * that is not a non-negative safe integer.
 */
export function encodeSnapshot(options: EncodeSnapshotOptions): EncodedSnapshot {
  const { collection, version } = options;
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new AppStateError("bad_version", `a snapshot version is a non-negative integer, got ${version}`, {
      collection,
    });
  }
  const keys = expandAppStateKeys(options.keyData);
  const encoded = options.records.map((r, i) => {
    if ((r.operation ?? "set") !== "set") {
      throw new AppStateError("invalid_action", "snapshot records are SETs", {
        collection,
        mutationIndex: i,
      });
    }
    return encodeMutation(r, options.keyId, keys, nextIv(options.iv));
  });
  const applied = snapshotApplied(version, encoded.map((e) => e.decoded));
  const snapshot: SyncdSnapshot = {
    version: { version: BigInt(version) },
    records: encoded.map((e) => e.mutation.record!),
    mac: computeSnapshotMac(keys, applied.state.hash, version, collection),
    keyId: { id: options.keyId.slice() },
  };
  return { ...applied, snapshot, bytes: SyncdSnapshot.encode(snapshot) };
}

type HashUpdate = Pick<AppliedPatch, "addedMacs" | "removedIndexMacs" | "missingRemoves"> & {
  hash: Uint8Array;
};

// The update rule of the module comment. `live` tracks, per index MAC touched so far in this patch, the
// value MAC now live (undefined after a REMOVE), so the store is asked at most once per index.
async function applyToHash(
  base: Uint8Array,
  mutations: readonly DecodedMutation[],
  getValueMac: ValueMacLookup,
): Promise<HashUpdate> {
  const live = new Map<string, { indexMac: Uint8Array; valueMac: Uint8Array | undefined }>();
  const subtract: Uint8Array[] = [];
  const add: Uint8Array[] = [];
  let missingRemoves = 0;
  for (const m of mutations) {
    const hex = m.indexMac.toHex();
    const seen = live.get(hex);
    const previous = seen !== undefined ? seen.valueMac : await getValueMac(m.indexMac);
    if (previous !== undefined) subtract.push(previous);
    else if (m.operation === "remove") missingRemoves++;
    if (m.operation === "set") add.push(m.valueMac);
    live.set(hex, { indexMac: m.indexMac, valueMac: m.operation === "set" ? m.valueMac : undefined });
  }
  const hash = base.slice();
  ltHashMixInPlace(hash, subtract, -1);
  ltHashMixInPlace(hash, add, 1);
  const addedMacs: AppStateMutationMac[] = [];
  const removedIndexMacs: Uint8Array[] = [];
  for (const { indexMac, valueMac } of live.values()) {
    if (valueMac === undefined) removedIndexMacs.push(indexMac);
    else addedMacs.push({ indexMac, valueMac });
  }
  return { hash, addedMacs, removedIndexMacs, missingRemoves };
}

function openAll(
  parts: readonly RecordParts[],
  keys: ReadonlyMap<string, ExpandedAppStateKeys>,
  where: MutationWhere,
): DecodedMutation[] {
  const out: DecodedMutation[] = [];
  for (let i = 0; i < parts.length; i++) {
    const at = { ...where, mutationIndex: i };
    const k = keys.get(parts[i].keyId.toHex())!;
    verifyValueMac(parts[i], k, at);
    out.push(openRecord(parts[i], k, at));
  }
  return out;
}

// Looks each distinct key id up once; the map is bounded by the number of records in the input.
async function resolveKeys(
  getKey: SyncKeyLookup,
  keyIds: readonly Uint8Array[],
  where: MutationWhere,
): Promise<Map<string, ExpandedAppStateKeys>> {
  const keys = new Map<string, ExpandedAppStateKeys>();
  for (const id of keyIds) {
    const hex = id.toHex();
    if (keys.has(hex)) continue;
    const key = await getKey(id);
    if (key === undefined) {
      throw new AppStateError(
        "missing_key",
        "no app state sync key with this id; request it from the primary",
        {
          ...where,
          keyId: id,
        },
      );
    }
    keys.set(hex, expandAppStateKeys(key.keyData));
  }
  return keys;
}

function collectMutations(
  p: SyncdPatch,
  external: SyncdMutations | Uint8Array | undefined,
  where: MutationWhere,
): SyncdMutation[] {
  const inline = p.mutations ?? [];
  if (external === undefined) {
    if (p.externalMutations !== undefined) {
      throw new AppStateError(
        "missing_external",
        "the patch's mutations are in an external blob; download it and pass it as externalMutations",
        where,
      );
    }
    return inline;
  }
  const blob = external instanceof Uint8Array
    ? decodeProto(SyncdMutations.decode, external, "SyncdMutations", where.collection)
    : external;
  return [...inline, ...(blob.mutations ?? [])];
}

function checkState(state: HashState, collection: string): HashState {
  if (!Number.isSafeInteger(state.version) || state.version < 0) {
    throw new AppStateError(
      "malformed",
      `a collection version is a non-negative integer, got ${state.version}`,
      {
        collection,
      },
    );
  }
  if (state.hash.length !== LTHASH_LENGTH) {
    throw new AppStateError("malformed", `an LT-hash is ${LTHASH_LENGTH} bytes, got ${state.hash.length}`, {
      collection,
    });
  }
  return state;
}

function toVersion(v: bigint, collection: string): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AppStateError("bad_version", `a version is a non-negative safe integer, got ${v}`, {
      collection,
    });
  }
  return Number(v);
}

function requireMac(mac: Uint8Array | undefined, what: string, where: MutationWhere): Uint8Array {
  if (mac === undefined || mac.length !== 32) {
    throw new AppStateError(
      "malformed",
      `a ${what} is 32 bytes, got ${mac === undefined ? "none" : mac.length}`,
      where,
    );
  }
  return mac;
}

function decodeProto<T>(
  decode: (b: Uint8Array) => T,
  bytes: Uint8Array,
  what: string,
  collection?: string,
): T {
  try {
    return decode(bytes);
  } catch (cause) {
    if (!(cause instanceof ProtoDecodeError)) throw cause;
    throw new AppStateError("malformed", `bytes are not a ${what}: ${cause.message}`, { collection, cause });
  }
}

function nextIv(source: (() => Uint8Array) | undefined): Uint8Array | undefined {
  return source === undefined ? undefined : source();
}

function u64be(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}
