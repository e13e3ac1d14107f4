/**
 * The Signal layer of wadeno: end-to-end encryption wire-compatible with libsignal as WhatsApp uses it
 * (message version 3). Keys and prekey bundles, X3DH session setup, the Double Ratchet for 1:1 messages,
 * sender keys for groups, WhatsApp's plaintext padding, and a per-key lock.
 *
 * Pure: no timers, no global state; storage only through the {@link SignalStore} passed in the context.
 * Records are immutable objects, so a store may cache what it is given; nothing is stored when an
 * operation fails. Operations on one address must not interleave: serialize them with {@link KeyedMutex}.
 *
 * @example
 * ```ts
 * import {
 *   decryptMessage, encryptMessage, generateIdentityKeyPair, generatePreKeys, generateRegistrationId,
 *   generateSignedPreKey, makePreKeyBundle, MemorySignalStore, padMessage, processPreKeyBundle, unpadMessage,
 * } from "./mod.ts";
 *
 * const device = () => ({
 *   store: new MemorySignalStore(),
 *   identity: { identityKeyPair: generateIdentityKeyPair(), registrationId: generateRegistrationId() },
 * });
 * const alice = device(), bob = device();
 * const signed = generateSignedPreKey(bob.identity.identityKeyPair, 1);
 * const [preKey] = generatePreKeys(1, 1);
 * await bob.store.storeSignedPreKey(signed);
 * await bob.store.storePreKeys([preKey]);
 *
 * await processPreKeyBundle(alice, "bob.0", makePreKeyBundle(bob.identity, signed, preKey));
 * const sent = await encryptMessage(alice, "bob.0", padMessage(new TextEncoder().encode("hello")));
 * const text = unpadMessage(await decryptMessage(bob, "alice.0", sent.type, sent.ciphertext));
 * ```
 *
 * @module
 */

export { SignalError, type SignalErrorCode, type SignalErrorOptions } from "./errors.ts";
export {
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  makePreKeyBundle,
  MAX_PREKEY_ID,
  nextPreKeyId,
  type PreKeyBundle,
  PreKeyRecord,
  SignedPreKeyRecord,
} from "./keys.ts";
export { type LocalIdentity, senderKeyName, type SignalContext, type SignalStore } from "./store.ts";
export { MemorySignalStore } from "./memory_store.ts";
export { KeyedMutex } from "./keyed_mutex.ts";
export { padMessage, unpadMessage } from "./padding.ts";
export { processPreKeyBundle } from "./session_builder.ts";
export {
  type BatchEncryptResult,
  decryptMessage,
  type EncryptedMessage,
  encryptMessage,
  encryptMessages,
  hasSession,
  type MessageType,
} from "./session_cipher.ts";
export { SessionRecord } from "./session_record.ts";
export {
  type Chain,
  type ChainKey,
  type PendingPreKey,
  type SessionExtras,
  SessionState,
  type SessionStateFields,
  type SkippedMessageKey,
} from "./session_state.ts";
export {
  type SenderKeyExtras,
  SenderKeyRecord,
  SenderKeyState,
  type SenderKeyStateFields,
  type SenderMessageKeySeed,
} from "./sender_key_record.ts";
export {
  createSenderKeyDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
} from "./group_cipher.ts";
export type { MessageKeys } from "./ratchet.ts";
export {
  type LibsignalNodeChain,
  type LibsignalNodeRecord,
  type LibsignalNodeSession,
  sessionRecordFromLibsignalNode,
} from "./libsignal_node.ts";
export type { KeyPair } from "../crypto/mod.ts";
