/**
 * Sender-key (group) state: per (group, sender) a record of up to five chains, newest first, stored as
 * libsignal's `SenderKeyRecordStructure` (rust/protocol/src/proto/storage.proto; WhatsApp and Baileys use the
 * same field numbers).
 *
 * @module
 */

import { DJB_KEY_TYPE, prefixPublicKey } from "../crypto/mod.ts";
import { SenderKeyRecordStructure, type SenderKeyStateStructure } from "../proto/mod.ts";
import { SignalError } from "./errors.ts";

/** libsignal's MAX_SENDER_KEY_STATES: chains kept per record. */
export const MAX_SENDER_KEY_STATES = 5;

/** One cached message key of a sender chain (for an iteration not yet received). */
export interface SenderMessageKeySeed {
  /** The iteration it belongs to. */
  readonly iteration: number;
  /** The 32-byte seed its AES key and IV expand from. */
  readonly seed: Uint8Array;
}

/** The fields of a {@link SenderKeyState}. */
export interface SenderKeyStateFields {
  /** The chain (key) id, a random 31-bit number chosen by the sender. */
  readonly keyId: number;
  /** Iteration of the next message key. */
  readonly iteration: number;
  /** The 32-byte chain key at `iteration`. */
  readonly chainKey: Uint8Array;
  /**
   * The sender's raw 32-byte signing public key. Kept as one array for the life of the chain, so the crypto
   * layer's per-key cache of the verifying key hits on every message.
   */
  readonly signingPublicKey: Uint8Array;
  /** The signing private key: present only in our own chains. */
  readonly signingPrivateKey: Uint8Array | undefined;
  /** Cached message keys of skipped iterations, oldest first. */
  readonly messageKeys: readonly SenderMessageKeySeed[];
  /** Stored fields this layer keeps but does not interpret, for a byte-exact re-encoding. */
  readonly extras: SenderKeyExtras;
}

/** Stored details of a sender-key state that are kept only to write the record back as it was. */
export interface SenderKeyExtras {
  /** Newer libsignal's message_version (field 5). */
  readonly messageVersion?: number;
  /** The signing public key was stored raw (32 bytes) rather than 0x05-prefixed. */
  readonly rawSigningKey?: boolean;
  /** Unknown fields, re-encoded verbatim. */
  readonly unknown?: Uint8Array[];
}

const EMPTY = new Uint8Array(0);

/** One sender chain. Immutable: changes build a new state sharing the unchanged parts. */
export class SenderKeyState implements SenderKeyStateFields {
  readonly keyId: number;
  readonly iteration: number;
  readonly chainKey: Uint8Array;
  readonly signingPublicKey: Uint8Array;
  readonly signingPrivateKey: Uint8Array | undefined;
  readonly messageKeys: readonly SenderMessageKeySeed[];
  readonly extras: SenderKeyStateFields["extras"];

  /** Builds a state from its fields (shared, not copied). */
  constructor(fields: SenderKeyStateFields) {
    this.keyId = fields.keyId;
    this.iteration = fields.iteration;
    this.chainKey = fields.chainKey;
    this.signingPublicKey = fields.signingPublicKey;
    this.signingPrivateKey = fields.signingPrivateKey;
    this.messageKeys = fields.messageKeys;
    this.extras = fields.extras;
  }

  /** A new state with `changes` applied. */
  with(changes: Partial<SenderKeyStateFields>): SenderKeyState {
    return new SenderKeyState({ ...this, ...changes });
  }
}

/** The libsignal storage form of a sender-key state (proto3 style: zero and empty values left out). */
export function senderKeyStateToProto(state: SenderKeyState): SenderKeyStateStructure {
  return {
    senderKeyId: state.keyId || undefined,
    senderChainKey: {
      iteration: state.iteration || undefined,
      seed: state.chainKey.length > 0 ? state.chainKey : undefined,
    },
    senderSigningKey: {
      public: state.signingPublicKey.length === 0
        ? undefined
        : state.extras.rawSigningKey || state.signingPublicKey.length !== 32
        ? state.signingPublicKey
        : prefixPublicKey(state.signingPublicKey),
      private: state.signingPrivateKey,
    },
    senderMessageKeys: state.messageKeys.length > 0
      ? state.messageKeys.map((k) => ({ iteration: k.iteration || undefined, seed: k.seed }))
      : undefined,
    messageVersion: state.extras.messageVersion,
    $unknown: state.extras.unknown,
  };
}

/** Reads a sender-key state from its storage form. */
export function senderKeyStateFromProto(s: SenderKeyStateStructure): SenderKeyState {
  const extras: { -readonly [K in keyof SenderKeyExtras]: SenderKeyExtras[K] } = {};
  if (s.messageVersion !== undefined) extras.messageVersion = s.messageVersion;
  if (s.$unknown !== undefined) extras.unknown = s.$unknown;
  const priv = s.senderSigningKey?.private;
  let signing = s.senderSigningKey?.public ?? EMPTY;
  if (signing.length === 33 && signing[0] === DJB_KEY_TYPE) signing = signing.subarray(1);
  else if (signing.length === 32) extras.rawSigningKey = true;
  return new SenderKeyState({
    keyId: s.senderKeyId ?? 0,
    iteration: s.senderChainKey?.iteration ?? 0,
    chainKey: s.senderChainKey?.seed ?? EMPTY,
    signingPublicKey: signing,
    signingPrivateKey: priv !== undefined && priv.length > 0 ? priv : undefined,
    messageKeys: (s.senderMessageKeys ?? []).map((k) => ({
      iteration: k.iteration ?? 0,
      seed: k.seed ?? EMPTY,
    })),
    extras,
  });
}

/**
 * The sender-key record of one (group, sender) pair. Immutable: operations return new records, so a record a
 * store hands out never changes under it.
 *
 * @example
 * ```ts
 * import { SenderKeyRecord } from "./mod.ts";
 * const empty = new SenderKeyRecord();
 * const copy = SenderKeyRecord.deserialize(empty.serialize());
 * copy.states.length; // 0
 * ```
 */
export class SenderKeyRecord {
  /** The chains, newest first (the first one is used to send). */
  readonly states: readonly SenderKeyState[];
  readonly #unknown: Uint8Array[] | undefined;

  /** Builds a record from states, newest first (at most five are kept). */
  constructor(states: readonly SenderKeyState[] = [], unknownFields?: Uint8Array[]) {
    this.states = states.slice(0, MAX_SENDER_KEY_STATES);
    this.#unknown = unknownFields;
  }

  /** The state with this key id, if any. */
  stateFor(keyId: number): SenderKeyState | undefined {
    return this.states.find((s) => s.keyId === keyId);
  }

  /** A record in which `state` replaces the state with its key id (same position). */
  withUpdatedState(state: SenderKeyState): SenderKeyRecord {
    return new SenderKeyRecord(this.states.map((s) => s.keyId === state.keyId ? state : s), this.#unknown);
  }

  /**
   * A record with `state` added as the newest, as libsignal's add_sender_key_state does: a state with the
   * same key id and signing key is kept as it is (so re-processing a distribution message cannot rewind the
   * chain and re-open used keys) and moved to the front; a state with the same key id but another signing
   * key is dropped; the oldest fall off past five.
   */
  withAddedState(state: SenderKeyState): SenderKeyRecord {
    const same = this.states.find((s) =>
      s.keyId === state.keyId && equalKey(s.signingPublicKey, state.signingPublicKey)
    );
    const rest = this.states.filter((s) => s.keyId !== state.keyId);
    return new SenderKeyRecord([same ?? state, ...rest], this.#unknown);
  }

  /** Encodes the record as libsignal's `SenderKeyRecordStructure`. */
  serialize(): Uint8Array {
    return SenderKeyRecordStructure.encode({
      senderKeyStates: this.states.length > 0 ? this.states.map(senderKeyStateToProto) : undefined,
      $unknown: this.#unknown,
    });
  }

  /**
   * Decodes a `SenderKeyRecordStructure`. The bytes are copied once, so the caller may reuse its buffer.
   *
   * @throws {SignalError} `invalid_record` when the bytes do not decode.
   */
  static deserialize(bytes: Uint8Array): SenderKeyRecord {
    let decoded: SenderKeyRecordStructure;
    try {
      decoded = SenderKeyRecordStructure.decode(bytes.slice());
    } catch (cause) {
      throw new SignalError(
        "invalid_record",
        `sender key record is not a valid SenderKeyRecordStructure: ${cause}`,
        {
          cause,
        },
      );
    }
    return new SenderKeyRecord(
      (decoded.senderKeyStates ?? []).map(senderKeyStateFromProto),
      decoded.$unknown,
    );
  }
}

function equalKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
