/**
 * Session setup (X3DH as libsignal runs it for message version 3): the initiator ("Alice") from a peer's
 * prekey bundle, the responder ("Bob") from the first PreKeySignalMessage.
 *
 * Agreement order and chain layout follow libsignal rust/protocol/src/ratchet.rs
 * (initialize_alice_session / initialize_bob_session):
 * - Alice: DH(identity_A, signedPreKey_B) ‖ DH(base_A, identity_B) ‖ DH(base_A, signedPreKey_B)
 *   [‖ DH(base_A, oneTimePreKey_B)]; the derived chain is her receiving chain for Bob's signed prekey, and
 *   one root step with a fresh ratchet key gives her sending chain.
 * - Bob: the same secrets from his side; the derived chain is his sending chain, with the signed prekey as
 *   its ratchet key.
 *
 * @module
 */

import {
  equalBytes,
  generateKeyPair,
  type KeyPair,
  prefixPublicKey,
  stripPublicKey,
  x25519,
  xeddsaVerify,
} from "../crypto/mod.ts";
import { SignalError } from "./errors.ts";
import type { PreKeyBundle } from "./keys.ts";
import { deriveInitialKeys, rootStep } from "./ratchet.ts";
import { SessionRecord } from "./session_record.ts";
import { SESSION_VERSION, SessionState } from "./session_state.ts";
import type { SignalContext } from "./store.ts";

/** What the initiator knows when it starts a session. */
export interface AliceParameters {
  /** Our identity key pair. */
  readonly identityKeyPair: KeyPair;
  /** Our fresh X3DH base key pair. */
  readonly baseKeyPair: KeyPair;
  /** Our first sending ratchet key pair. */
  readonly sendingRatchetKeyPair: KeyPair;
  /** The peer's raw 32-byte identity key. */
  readonly theirIdentityKey: Uint8Array;
  /** The peer's raw 32-byte signed prekey (also their first ratchet key). */
  readonly theirSignedPreKey: Uint8Array;
  /** The peer's raw 32-byte one-time prekey, if the bundle had one. */
  readonly theirOneTimePreKey?: Uint8Array;
}

/** What the responder knows when the first PreKeySignalMessage arrives. */
export interface BobParameters {
  /** Our identity key pair. */
  readonly identityKeyPair: KeyPair;
  /** Our signed prekey pair named by the message (also our first ratchet key). */
  readonly signedPreKeyPair: KeyPair;
  /** Our one-time prekey pair named by the message, if it named one. */
  readonly oneTimePreKeyPair?: KeyPair;
  /** The peer's raw 32-byte identity key. */
  readonly theirIdentityKey: Uint8Array;
  /** The peer's raw 32-byte base key. */
  readonly theirBaseKey: Uint8Array;
}

/** The initiator's session state (registration ids and the pending prekey are added by the caller). */
export function initializeAliceSession(p: AliceParameters): SessionState {
  const agreements = [
    x25519(p.identityKeyPair.privateKey, p.theirSignedPreKey),
    x25519(p.baseKeyPair.privateKey, p.theirIdentityKey),
    x25519(p.baseKeyPair.privateKey, p.theirSignedPreKey),
  ];
  if (p.theirOneTimePreKey !== undefined) {
    agreements.push(x25519(p.baseKeyPair.privateKey, p.theirOneTimePreKey));
  }
  const initial = deriveInitialKeys(agreements);
  const sending = rootStep(initial.rootKey, p.sendingRatchetKeyPair.privateKey, p.theirSignedPreKey);
  return new SessionState({
    version: SESSION_VERSION,
    localIdentityKey: prefixPublicKey(p.identityKeyPair.publicKey),
    remoteIdentityKey: prefixPublicKey(p.theirIdentityKey),
    rootKey: sending.rootKey,
    previousCounter: 0,
    senderChain: {
      ratchetKey: prefixPublicKey(p.sendingRatchetKeyPair.publicKey),
      ratchetPrivateKey: p.sendingRatchetKeyPair.privateKey,
      chainKey: { index: 0, key: sending.chainKey },
      messageKeys: [],
    },
    receiverChains: [{
      ratchetKey: prefixPublicKey(p.theirSignedPreKey),
      chainKey: { index: 0, key: initial.chainKey },
      messageKeys: [],
    }],
    pendingPreKey: undefined,
    remoteRegistrationId: 0,
    localRegistrationId: 0,
    aliceBaseKey: prefixPublicKey(p.baseKeyPair.publicKey),
    extras: {},
  });
}

/** The responder's session state (registration ids are added by the caller). */
export function initializeBobSession(p: BobParameters): SessionState {
  const agreements = [
    x25519(p.signedPreKeyPair.privateKey, p.theirIdentityKey),
    x25519(p.identityKeyPair.privateKey, p.theirBaseKey),
    x25519(p.signedPreKeyPair.privateKey, p.theirBaseKey),
  ];
  if (p.oneTimePreKeyPair !== undefined) {
    agreements.push(x25519(p.oneTimePreKeyPair.privateKey, p.theirBaseKey));
  }
  const initial = deriveInitialKeys(agreements);
  return new SessionState({
    version: SESSION_VERSION,
    localIdentityKey: prefixPublicKey(p.identityKeyPair.publicKey),
    remoteIdentityKey: prefixPublicKey(p.theirIdentityKey),
    rootKey: initial.rootKey,
    previousCounter: 0,
    senderChain: {
      ratchetKey: prefixPublicKey(p.signedPreKeyPair.publicKey),
      ratchetPrivateKey: p.signedPreKeyPair.privateKey,
      chainKey: { index: 0, key: initial.chainKey },
      messageKeys: [],
    },
    receiverChains: [],
    pendingPreKey: undefined,
    remoteRegistrationId: 0,
    localRegistrationId: 0,
    aliceBaseKey: prefixPublicKey(p.theirBaseKey),
    extras: {},
  });
}

/** A raw 32-byte public key from a bundle field that may be raw or 0x05-prefixed. */
export function bundleKey(key: Uint8Array, what: string, address: string): Uint8Array {
  try {
    return stripPublicKey(key);
  } catch (cause) {
    throw new SignalError(
      "invalid_key",
      `${what} must be 32 bytes or 33 bytes starting with 0x05: ${cause}`,
      {
        cause,
        address,
      },
    );
  }
}

/**
 * Throws `untrusted_identity` when a different identity key than `identityKey` (raw 32 bytes) is stored for
 * the address. Returns whether one is stored at all (first use stores it after success).
 */
export function checkTrust(
  address: string,
  identityKey: Uint8Array,
  stored: Uint8Array | undefined,
): boolean {
  if (stored === undefined) return false;
  if (!equalBytes(stored, identityKey)) {
    throw new SignalError("untrusted_identity", "identity key differs from the one stored for this address", {
      address,
      identityKey: identityKey.slice(),
    });
  }
  return true;
}

/**
 * Starts a session with `address` from its prekey bundle: checks the stored identity, verifies the signed
 * prekey's signature, runs X3DH and stores the new session as current (archiving an older one). Until the
 * peer replies, messages to it are PreKeySignalMessages ("pkmsg").
 *
 * @throws {SignalError} `untrusted_identity` when the bundle's identity key differs from the stored one
 * (nothing is changed; {@link SignalStore.saveIdentity} accepts the new key), `invalid_signature` when the
 * signed prekey's signature does not verify, `invalid_key` for malformed keys.
 * @example
 * ```ts
 * import { encryptMessage, processPreKeyBundle } from "./mod.ts";
 * import type { PreKeyBundle, SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext, bundle: PreKeyBundle) {
 *   await processPreKeyBundle(ctx, "15551234567:2@c.us.0", bundle);
 *   const { type, ciphertext } = await encryptMessage(ctx, "15551234567:2@c.us.0", new Uint8Array([1, 2, 3]));
 *   // type === "pkmsg" until the peer answers
 * }
 * ```
 */
export async function processPreKeyBundle(
  ctx: SignalContext,
  address: string,
  bundle: PreKeyBundle,
): Promise<void> {
  const identityKey = bundleKey(bundle.identityKey, "bundle identity key", address);
  const signedPreKey = bundleKey(bundle.signedPreKey.publicKey, "bundle signed prekey", address);
  const oneTime = bundle.preKey && bundleKey(bundle.preKey.publicKey, "bundle one-time prekey", address);
  const known = checkTrust(address, identityKey, await ctx.store.loadIdentity(address));
  if (!xeddsaVerify(identityKey, prefixPublicKey(signedPreKey), bundle.signedPreKey.signature)) {
    throw new SignalError(
      "invalid_signature",
      `signed prekey ${bundle.signedPreKey.keyId} signature does not verify under the bundle's identity key`,
      { address },
    );
  }
  const generate = ctx.generateKeyPair ?? generateKeyPair;
  const baseKeyPair = generate();
  const state = initializeAliceSession({
    identityKeyPair: ctx.identity.identityKeyPair,
    baseKeyPair,
    sendingRatchetKeyPair: generate(),
    theirIdentityKey: identityKey,
    theirSignedPreKey: signedPreKey,
    theirOneTimePreKey: oneTime,
  }).with({
    pendingPreKey: {
      preKeyId: bundle.preKey?.keyId,
      signedPreKeyId: bundle.signedPreKey.keyId,
      baseKey: prefixPublicKey(baseKeyPair.publicKey),
      timestamp: BigInt(Math.floor((ctx.now ?? Date.now)() / 1000)),
    },
    remoteRegistrationId: bundle.registrationId,
    localRegistrationId: ctx.identity.registrationId,
  });
  const record = (await ctx.store.loadSession(address)) ?? new SessionRecord();
  await ctx.store.storeSession(address, record.withPromotedState(state));
  if (!known) await ctx.store.saveIdentity(address, identityKey);
}
