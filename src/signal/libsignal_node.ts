/**
 * Import of libsignal-node session records (the JSON form that Baileys and other libsignal-node users store)
 * into this layer's libsignal records, so an existing session continues without a new prekey exchange.
 *
 * libsignal-node (npm `libsignal`, src/session_record.js) keeps one entry per base key with a
 * `currentRatchet`, an `indexInfo` and a map of chains by ratchet key, each with a `counter` (the index of the
 * last key taken, -1 for none) and skipped message-key seeds by counter. The mapping:
 * - the open entry (closed = -1) becomes the current state, closed ones the previous states, latest closed first;
 * - the chain of our current ratchet key is the sending chain, the others (newest last) the peer's chains,
 *   with index = counter + 1; a closed chain (no key) keeps only its skipped keys;
 * - skipped keys are kept as seeds (libsignal's storage `seed` field), expanded when used.
 *
 * @module
 */

import { prefixPublicKey } from "../crypto/mod.ts";
import { SignalError } from "./errors.ts";
import { SessionRecord } from "./session_record.ts";
import { type Chain, SESSION_VERSION, SessionState, type SkippedMessageKey } from "./session_state.ts";
import { MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from "./session_cipher.ts";

/** One chain of a libsignal-node session entry (base64 strings as its serialize() writes them). */
export interface LibsignalNodeChain {
  /** Index of the last key taken from the chain (-1 before the first) and the base64 chain key. */
  chainKey: { counter: number; key?: string | null };
  /** 1 = sending, 2 = receiving. */
  chainType: number;
  /** Skipped message-key seeds (base64) by counter. */
  messageKeys: Record<string, string>;
}

/** One session entry of a libsignal-node record, as its serialize() writes it. */
export interface LibsignalNodeSession {
  /** The peer's registration id. */
  registrationId?: number;
  /** Root key, our current ratchet key pair, the peer's last ratchet key, previous counter. */
  currentRatchet: {
    ephemeralKeyPair: { pubKey: string; privKey: string };
    lastRemoteEphemeralKey: string;
    previousCounter: number;
    rootKey: string;
  };
  /** Base key, whose it is, closing time (-1 while open), the peer's identity key. */
  indexInfo: {
    baseKey: string;
    baseKeyType: number;
    closed: number;
    used?: number;
    created?: number;
    remoteIdentityKey: string;
  };
  /** Chains keyed by base64 ratchet public key. */
  _chains: Record<string, LibsignalNodeChain>;
  /** Set while our outgoing session is unacknowledged. */
  pendingPreKey?: { signedKeyId: number; baseKey: string; preKeyId?: number };
}

/** A libsignal-node session record: `SessionRecord.serialize()` output (or its JSON text, parsed). */
export interface LibsignalNodeRecord {
  /** Session entries keyed by base64 base key. */
  _sessions: Record<string, LibsignalNodeSession>;
  /** Record format version ("v1"). */
  version?: string;
}

const b64 = (s: string): Uint8Array => Uint8Array.fromBase64(s);
const SENDING = 1;

function convertChain(ratchetKey: Uint8Array, c: LibsignalNodeChain, privateKey?: Uint8Array): Chain {
  const messageKeys: SkippedMessageKey[] = Object.entries(c.messageKeys ?? {})
    .map(([index, seed]) => ({ index: Number(index), seed: b64(seed) }))
    .sort((a, b) => b.index - a.index) // newest first
    .slice(0, MAX_MESSAGE_KEYS);
  const chain: Chain = {
    ratchetKey,
    chainKey: { index: c.chainKey.counter + 1, key: c.chainKey.key ? b64(c.chainKey.key) : undefined },
    messageKeys,
  };
  return privateKey === undefined ? chain : { ...chain, ratchetPrivateKey: privateKey };
}

function convertSession(s: LibsignalNodeSession, localIdentityKey: Uint8Array, localRegistrationId: number) {
  const ratchet = s.currentRatchet;
  const ourRatchet = ratchet.ephemeralKeyPair.pubKey;
  let senderChain: Chain | undefined;
  const receiverChains: Chain[] = [];
  for (const [key, chain] of Object.entries(s._chains ?? {})) {
    if (chain.chainType === SENDING) {
      if (key === ourRatchet) {
        senderChain = convertChain(b64(key), chain, b64(ratchet.ephemeralKeyPair.privKey));
      }
    } else {
      receiverChains.push(convertChain(b64(key), chain));
    }
  }
  const pending = s.pendingPreKey;
  return new SessionState({
    version: SESSION_VERSION,
    localIdentityKey,
    remoteIdentityKey: b64(s.indexInfo.remoteIdentityKey),
    rootKey: b64(ratchet.rootKey),
    previousCounter: ratchet.previousCounter ?? 0,
    senderChain,
    receiverChains: receiverChains.slice(-MAX_RECEIVER_CHAINS),
    pendingPreKey: pending && {
      preKeyId: pending.preKeyId ?? undefined,
      signedPreKeyId: pending.signedKeyId,
      baseKey: b64(pending.baseKey),
      timestamp: BigInt(Math.floor((s.indexInfo.created ?? 0) / 1000)),
    },
    remoteRegistrationId: s.registrationId ?? 0,
    localRegistrationId,
    aliceBaseKey: b64(s.indexInfo.baseKey),
    extras: {},
  });
}

/**
 * Converts a libsignal-node session record into a {@link SessionRecord}.
 *
 * @param record the object libsignal-node's `SessionRecord.serialize()` returns (as Baileys stores it)
 * @param local this device's raw 32-byte identity public key and registration id (libsignal-node keeps
 *   neither in the record)
 * @throws {SignalError} `invalid_record` when the data does not have libsignal-node's shape.
 * @example
 * ```ts
 * import { sessionRecordFromLibsignalNode } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(stored: string, identityPublicKey: Uint8Array) {
 *   const record = sessionRecordFromLibsignalNode(JSON.parse(stored), { identityPublicKey, registrationId: 1234 });
 * }
 * ```
 */
export function sessionRecordFromLibsignalNode(
  record: LibsignalNodeRecord,
  local: { readonly identityPublicKey: Uint8Array; readonly registrationId: number },
): SessionRecord {
  try {
    const localIdentity = prefixPublicKey(local.identityPublicKey);
    const entries = Object.values(record._sessions ?? {});
    const open = entries.find((s) => s.indexInfo.closed === -1);
    const closed = entries.filter((s) => s !== open).sort((a, b) => b.indexInfo.closed - a.indexInfo.closed);
    return new SessionRecord(
      open && convertSession(open, localIdentity, local.registrationId),
      closed.map((s) => convertSession(s, localIdentity, local.registrationId)),
    );
  } catch (cause) {
    if (cause instanceof SignalError) throw cause;
    throw new SignalError("invalid_record", `not a libsignal-node session record: ${cause}`, { cause });
  }
}
