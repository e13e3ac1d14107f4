/**
 * One Double Ratchet session state, and its libsignal storage form (`SessionStructure`, field numbers from
 * signalapp/libsignal rust/protocol/src/proto/storage.proto).
 *
 * A state is immutable: every change builds a new state ({@link SessionState.with}) that shares the
 * unchanged parts (byte arrays, untouched chains) with the old one. That is what makes trial decryption
 * cheap and safe: the cipher works on derived states and only the one that succeeded is stored, while the
 * record a store handed out stays exactly as it was.
 *
 * Encoding follows libsignal's proto3 writer: zero numbers and empty byte strings are left out, so a record
 * written by libsignal decodes and re-encodes to the same bytes. Fields this layer does not model (the
 * legacy pendingKeyExchange and needsRefresh, newer libsignal's Kyber and PQ-ratchet fields) are kept and
 * written back verbatim.
 *
 * @module
 */

import { type SessionChain, type SessionMessageKey, SessionStructure } from "../proto/mod.ts";
import { SignalError } from "./errors.ts";
import { deriveMessageKeys, type MessageKeys } from "./ratchet.ts";

/** Message version of every session this layer creates; WhatsApp speaks version 3 only. */
export const SESSION_VERSION = 3;

/** A chain key and the index of the next message key it yields. */
export interface ChainKey {
  /** Index of the message key the next step produces. */
  readonly index: number;
  /** The 32-byte chain key; `undefined` for a closed chain (only its cached message keys remain usable). */
  readonly key: Uint8Array | undefined;
}

/** A message key kept for a message not yet received (out-of-order delivery). */
export interface SkippedMessageKey {
  /** The message counter it belongs to. */
  readonly index: number;
  /** Expanded keys, as libsignal's storage layout writes them. */
  readonly keys?: MessageKeys;
  /** The seed the keys expand from, as newer libsignal may write instead. */
  readonly seed?: Uint8Array;
  /** Stored fields this layer does not model. */
  readonly unknown?: Uint8Array[];
}

/** One chain of a session: our sending chain or one of the peer's. */
export interface Chain {
  /** The chain's ratchet public key, 33 bytes (0x05 ‖ key). */
  readonly ratchetKey: Uint8Array;
  /** For the sending chain: the 32-byte private ratchet key. */
  readonly ratchetPrivateKey?: Uint8Array;
  /** The chain key. */
  readonly chainKey: ChainKey;
  /** Skipped message keys, newest first (libsignal's order: the oldest are dropped from the end). */
  readonly messageKeys: readonly SkippedMessageKey[];
  /** Stored fields this layer does not model. */
  readonly unknown?: Uint8Array[];
}

/** What an unacknowledged session repeats in every PreKeySignalMessage until the peer replies. */
export interface PendingPreKey {
  /** The one-time prekey used, if the bundle had one. */
  readonly preKeyId: number | undefined;
  /** The signed prekey used. */
  readonly signedPreKeyId: number;
  /** Our X3DH base key, 33 bytes. */
  readonly baseKey: Uint8Array;
  /** Creation time, seconds since the epoch (libsignal's unit). */
  readonly timestamp: bigint;
  /** Stored fields this layer does not model. */
  readonly unknown?: Uint8Array[];
}

/** Stored fields of a state that this layer keeps but does not interpret. */
export interface SessionExtras {
  /**
   * Fields of the stored state this layer does not interpret, as raw tag+value bytes written back verbatim:
   * old libsignal's pendingKeyExchange (8) and needsRefresh (12), newer libsignal's Kyber and PQ-ratchet
   * fields (14 and up).
   */
  readonly unknown?: Uint8Array[];
}

/** The fields of a {@link SessionState}. */
export interface SessionStateFields {
  /** Message version of the session (3). */
  readonly version: number;
  /** Our identity public key, 33 bytes. */
  readonly localIdentityKey: Uint8Array;
  /** The peer's identity public key, 33 bytes. */
  readonly remoteIdentityKey: Uint8Array;
  /** The 32-byte root key. */
  readonly rootKey: Uint8Array;
  /** Length of our previous sending chain, sent in every message. */
  readonly previousCounter: number;
  /** Our sending chain. */
  readonly senderChain: Chain | undefined;
  /** The peer's chains, oldest first (libsignal appends and trims from the front). */
  readonly receiverChains: readonly Chain[];
  /** Set while the peer has not yet replied to a session we started. */
  readonly pendingPreKey: PendingPreKey | undefined;
  /** The peer's registration id. */
  readonly remoteRegistrationId: number;
  /** Our registration id. */
  readonly localRegistrationId: number;
  /** The initiator's X3DH base key, 33 bytes: the identity of the session. */
  readonly aliceBaseKey: Uint8Array;
  /** Fields kept but not interpreted. */
  readonly extras: SessionExtras;
}

const EMPTY = new Uint8Array(0);

function bytesOrEmpty(b: Uint8Array | undefined): Uint8Array {
  return b ?? EMPTY;
}

function nonEmpty(b: Uint8Array | undefined): Uint8Array | undefined {
  return b !== undefined && b.length > 0 ? b : undefined;
}

function nonZero(n: number | undefined): number | undefined {
  return n ? n : undefined;
}

/** Equality of two short byte strings (public keys; not secret, so an early exit is fine). */
export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A Double Ratchet session state. Immutable; see the module comment. */
export class SessionState implements SessionStateFields {
  readonly version: number;
  readonly localIdentityKey: Uint8Array;
  readonly remoteIdentityKey: Uint8Array;
  readonly rootKey: Uint8Array;
  readonly previousCounter: number;
  readonly senderChain: Chain | undefined;
  readonly receiverChains: readonly Chain[];
  readonly pendingPreKey: PendingPreKey | undefined;
  readonly remoteRegistrationId: number;
  readonly localRegistrationId: number;
  readonly aliceBaseKey: Uint8Array;
  readonly extras: SessionExtras;

  /** Builds a state from its fields (shared, not copied). */
  constructor(fields: SessionStateFields) {
    this.version = fields.version;
    this.localIdentityKey = fields.localIdentityKey;
    this.remoteIdentityKey = fields.remoteIdentityKey;
    this.rootKey = fields.rootKey;
    this.previousCounter = fields.previousCounter;
    this.senderChain = fields.senderChain;
    this.receiverChains = fields.receiverChains;
    this.pendingPreKey = fields.pendingPreKey;
    this.remoteRegistrationId = fields.remoteRegistrationId;
    this.localRegistrationId = fields.localRegistrationId;
    this.aliceBaseKey = fields.aliceBaseKey;
    this.extras = fields.extras;
  }

  /** A new state with `changes` applied; everything else is shared with this one. */
  with(changes: Partial<SessionStateFields>): SessionState {
    return new SessionState({ ...this, ...changes });
  }

  /** Index of the peer's chain with this 33-byte ratchet key, or -1. */
  receiverChainIndex(ratchetKey: Uint8Array): number {
    const chains = this.receiverChains;
    for (let i = 0; i < chains.length; i++) if (sameKey(chains[i].ratchetKey, ratchetKey)) return i;
    return -1;
  }

  /** Encodes the state as a libsignal `SessionStructure`. */
  encode(): Uint8Array {
    return SessionStructure.encode(sessionStateToProto(this));
  }

  /** Decodes a `SessionStructure`; byte fields are views into `bytes`, which must not change later. */
  static decode(bytes: Uint8Array): SessionState {
    let s: SessionStructure;
    try {
      s = SessionStructure.decode(bytes);
    } catch (cause) {
      throw new SignalError("invalid_record", `session state is not a valid SessionStructure: ${cause}`, {
        cause,
      });
    }
    return sessionStateFromProto(s);
  }
}

/** The libsignal storage form of a state. */
export function sessionStateToProto(state: SessionState): SessionStructure {
  return {
    sessionVersion: nonZero(state.version),
    localIdentityPublic: nonEmpty(state.localIdentityKey),
    remoteIdentityPublic: nonEmpty(state.remoteIdentityKey),
    rootKey: nonEmpty(state.rootKey),
    previousCounter: nonZero(state.previousCounter),
    senderChain: state.senderChain && chainToProto(state.senderChain),
    receiverChains: state.receiverChains.length > 0 ? state.receiverChains.map(chainToProto) : undefined,
    pendingPreKey: state.pendingPreKey && {
      preKeyId: state.pendingPreKey.preKeyId,
      baseKey: nonEmpty(state.pendingPreKey.baseKey),
      signedPreKeyId: nonZero(state.pendingPreKey.signedPreKeyId),
      timestamp: state.pendingPreKey.timestamp ? state.pendingPreKey.timestamp : undefined,
      $unknown: state.pendingPreKey.unknown,
    },
    remoteRegistrationId: nonZero(state.remoteRegistrationId),
    localRegistrationId: nonZero(state.localRegistrationId),
    aliceBaseKey: nonEmpty(state.aliceBaseKey),
    $unknown: state.extras.unknown,
  };
}

/** Reads a state from its storage form (byte fields are shared with `s`, not copied). */
export function sessionStateFromProto(s: SessionStructure): SessionState {
  const pending = s.pendingPreKey;
  const unknown: Uint8Array[] = [];
  if (s.pendingKeyExchange !== undefined || s.needsRefresh !== undefined) {
    // Kept as raw field bytes (written after the known fields, which changes nothing for a reader).
    unknown.push(
      SessionStructure.encode({ pendingKeyExchange: s.pendingKeyExchange, needsRefresh: s.needsRefresh }),
    );
  }
  if (s.$unknown !== undefined) unknown.push(...s.$unknown);
  return new SessionState({
    // libsignal reads an absent version as 2; such sessions then fail the version check, as there.
    version: s.sessionVersion || 2,
    localIdentityKey: bytesOrEmpty(s.localIdentityPublic),
    remoteIdentityKey: bytesOrEmpty(s.remoteIdentityPublic),
    rootKey: bytesOrEmpty(s.rootKey),
    previousCounter: s.previousCounter ?? 0,
    senderChain: s.senderChain && chainFromProto(s.senderChain),
    receiverChains: (s.receiverChains ?? []).map(chainFromProto),
    pendingPreKey: pending && {
      preKeyId: pending.preKeyId,
      signedPreKeyId: pending.signedPreKeyId ?? 0,
      baseKey: bytesOrEmpty(pending.baseKey),
      timestamp: pending.timestamp ?? 0n,
      unknown: pending.$unknown,
    },
    remoteRegistrationId: s.remoteRegistrationId ?? 0,
    localRegistrationId: s.localRegistrationId ?? 0,
    aliceBaseKey: bytesOrEmpty(s.aliceBaseKey),
    extras: unknown.length > 0 ? { unknown } : {},
  });
}

function chainToProto(c: Chain): SessionChain {
  return {
    senderRatchetKey: nonEmpty(c.ratchetKey),
    senderRatchetKeyPrivate: nonEmpty(c.ratchetPrivateKey),
    chainKey: { index: nonZero(c.chainKey.index), key: nonEmpty(c.chainKey.key) },
    messageKeys: c.messageKeys.length > 0 ? c.messageKeys.map(messageKeyToProto) : undefined,
    $unknown: c.unknown,
  };
}

function chainFromProto(c: SessionChain): Chain {
  const chain: { -readonly [K in keyof Chain]: Chain[K] } = {
    ratchetKey: bytesOrEmpty(c.senderRatchetKey),
    chainKey: { index: c.chainKey?.index ?? 0, key: nonEmpty(c.chainKey?.key) },
    messageKeys: (c.messageKeys ?? []).map(messageKeyFromProto),
  };
  const priv = nonEmpty(c.senderRatchetKeyPrivate);
  if (priv !== undefined) chain.ratchetPrivateKey = priv;
  if (c.$unknown !== undefined) chain.unknown = c.$unknown;
  return chain;
}

function messageKeyToProto(k: SkippedMessageKey): SessionMessageKey {
  return {
    index: nonZero(k.index),
    cipherKey: nonEmpty(k.keys?.cipherKey),
    macKey: nonEmpty(k.keys?.macKey),
    iv: nonEmpty(k.keys?.iv),
    seed: nonEmpty(k.seed),
    $unknown: k.unknown,
  };
}

function messageKeyFromProto(m: SessionMessageKey): SkippedMessageKey {
  const seed = nonEmpty(m.seed);
  const cipherKey = nonEmpty(m.cipherKey), macKey = nonEmpty(m.macKey), iv = nonEmpty(m.iv);
  const keys = cipherKey && macKey && iv ? { cipherKey, macKey, iv } : undefined;
  return { index: m.index ?? 0, keys, seed, unknown: m.$unknown };
}

/** The keys of a stored skipped message key, expanding its seed when only the seed was stored. */
export function skippedKeys(k: SkippedMessageKey): MessageKeys | undefined {
  if (k.keys !== undefined) return k.keys;
  if (k.seed !== undefined && k.seed.length === 32) return deriveMessageKeys(k.seed);
  return undefined;
}
