/**
 * App state sync ("syncd"), the pure part: the LT-hash, sync key expansion, mutation encryption, patch and
 * snapshot verification, outgoing patches, and typed chat actions. No I/O: the caller fetches patches and
 * external blobs, looks up keys and stored value MACs (passed in as functions), and stores the results.
 *
 * Incoming: {@linkcode decodeSnapshot} / {@linkcode decodePatch} return the new `HashState`, the decoded
 * mutations and the MAC rows to store; {@linkcode readChatAction} types each mutation. Outgoing:
 * {@linkcode buildChatAction} gives a mutation and its collection, {@linkcode encodePatch} the patch bytes and
 * the state to store once the server accepts them. Failures are {@linkcode AppStateError}s with a `code`.
 *
 * @example
 * ```ts
 * import { buildChatAction, decodePatch, emptyHashState, encodePatch, readChatAction } from "./mod.ts";
 *
 * const key = { keyId: new Uint8Array([0, 0, 0, 0, 0, 7]), keyData: new Uint8Array(32).fill(3) };
 * const mutation = buildChatAction({ kind: "mute", chat: "1555@s.whatsapp.net", muted: true, muteEndTimestampMs: -1 });
 * const out = await encodePatch({
 *   collection: mutation.collection,
 *   state: emptyHashState(),
 *   ...key,
 *   mutations: [mutation],
 *   getValueMac: () => undefined,
 * });
 * // Another device, with the same key and state, reads it back:
 * const applied = await decodePatch(out.bytes, {
 *   collection: mutation.collection,
 *   state: emptyHashState(),
 *   getKey: () => ({ keyData: key.keyData }),
 *   getValueMac: () => undefined,
 * });
 * readChatAction(applied.mutations[0]).kind; // "mute"
 * ```
 *
 * @module
 */

export { AppStateError, type AppStateErrorCode, type AppStateErrorOptions } from "./errors.ts";
export { addLanes, LTHASH_INFO, LTHASH_LENGTH, ltHashExpand, ltHashSubtractThenAdd } from "./lthash.ts";
export {
  expandAppStateKeys,
  EXPANDED_KEY_LENGTH,
  type ExpandedAppStateKeys,
  MUTATION_KEYS_INFO,
} from "./keys.ts";
export {
  computeIndexMac,
  computeValueMac,
  type DecodedMutation,
  decodeMutation,
  encodeIndex,
  encodeMutation,
  MUTATION_MAC_LENGTH,
  type MutationInput,
  type MutationOperation,
  type MutationWhere,
} from "./mutation.ts";
export {
  type AppliedPatch,
  type AppStateMutationMac,
  computePatchMac,
  computeSnapshotMac,
  decodePatch,
  type DecodePatchOptions,
  decodeSnapshot,
  type DecodeSnapshotOptions,
  emptyHashState,
  type EncodedPatch,
  type EncodedSnapshot,
  encodePatch,
  type EncodePatchOptions,
  encodeSnapshot,
  type EncodeSnapshotOptions,
  type HashState,
  type SyncKeyLookup,
  type ValueMacLookup,
} from "./patch.ts";
export {
  type ActionBase,
  APP_STATE_COLLECTIONS,
  type AppStateCollection,
  type ArchiveChatAction,
  CHAT_ACTION_SPECS,
  type ChatAction,
  type ChatActionSpec,
  type ChatMutation,
  type ClearChatAction,
  type ContactAction,
  type DeleteChatAction,
  type DeleteMessageForMeAction,
  type KnownChatAction,
  type LabelChatAction,
  type LabelEditAction,
  type LabelMessageAction,
  type MarkChatReadAction,
  type MessageRange,
  type MuteChatAction,
  type PinChatAction,
  type PushNameAction,
  type RemoveContactAction,
  type StarMessageAction,
  type UnknownAction,
} from "./action_types.ts";
export { buildChatAction, type BuildChatActionOptions, readChatAction } from "./actions.ts";
