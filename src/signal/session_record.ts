/**
 * All sessions with one remote device: the current state and up to 40 older ones that are still tried
 * when a message does not decrypt under the current one. Stored as libsignal's `RecordStructure`
 * (current_session = 1, previous_sessions = 2, newest first).
 *
 * @module
 */

import { stripPublicKey } from "../crypto/mod.ts";
import { Reader, Writer } from "../proto/mod.ts";
import { SignalError } from "./errors.ts";
import { sameKey, SessionState } from "./session_state.ts";

/** libsignal's ARCHIVED_STATES_MAX_LENGTH: previous states kept per record. */
export const ARCHIVED_STATES_MAX = 40;

/** A previous state, still in its stored bytes until something needs it (as libsignal keeps them). */
type Archived = SessionState | Uint8Array;

/**
 * The session record of one address. Immutable: the operations that change a record return a new one, so a
 * record a store hands out (and may keep in its cache) never changes under it.
 *
 * @example
 * ```ts
 * import { SessionRecord } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(record: SessionRecord) {
 *   const bytes = record.serialize();            // libsignal RecordStructure
 *   const again = SessionRecord.deserialize(bytes);
 *   again.remoteRegistrationId;                   // for retry receipts
 *   again.isUnacknowledged;                       // still sending PreKeySignalMessages?
 * }
 * ```
 */
export class SessionRecord {
  readonly #current: SessionState | undefined;
  readonly #previous: Archived[];
  readonly #unknown: readonly Uint8Array[];

  /**
   * Builds a record from a current state and previous states (newest first). Most callers get records from
   * the cipher functions or {@link SessionRecord.deserialize}; this is for tools that assemble one.
   * `unknownFields` are raw record fields this layer does not know, written back verbatim.
   */
  constructor(
    current?: SessionState,
    previous: readonly (SessionState | Uint8Array)[] = [],
    unknownFields: readonly Uint8Array[] = [],
  ) {
    this.#current = current;
    this.#previous = previous.slice(0, ARCHIVED_STATES_MAX);
    this.#unknown = unknownFields;
  }

  /** The current session state, if any. */
  get currentState(): SessionState | undefined {
    return this.#current;
  }

  /** Whether the record has a current session to encrypt with. */
  get hasCurrentState(): boolean {
    return this.#current?.senderChain !== undefined;
  }

  /** Number of previous (archived) states. */
  get previousStateCount(): number {
    return this.#previous.length;
  }

  /** The previous state at `index` (0 = most recently archived), decoding it on first use. */
  previousState(index: number): SessionState {
    const entry = this.#previous[index];
    if (entry === undefined) throw new RangeError(`no previous session state at ${index}`);
    if (entry instanceof SessionState) return entry;
    const state = SessionState.decode(entry);
    // Memoizing the decoded form does not change what the record means, so sharing stays safe.
    this.#previous[index] = state;
    return state;
  }

  /**
   * The current session's base key: our X3DH base key if we started the session, the peer's otherwise
   * (33 bytes, 0x05-prefixed). WhatsApp retry handling compares it to tell whether a session was rebuilt.
   */
  get baseKey(): Uint8Array | undefined {
    return this.#current?.aliceBaseKey;
  }

  /** The peer's registration id in the current session (the value WhatsApp retry receipts carry). */
  get remoteRegistrationId(): number | undefined {
    return this.#current?.remoteRegistrationId;
  }

  /** Our registration id as recorded in the current session. */
  get localRegistrationId(): number | undefined {
    return this.#current?.localRegistrationId;
  }

  /** The peer's 32-byte identity key in the current session. */
  get remoteIdentityKey(): Uint8Array | undefined {
    const key = this.#current?.remoteIdentityKey;
    return key === undefined || key.length === 0 ? undefined : stripPublicKey(key);
  }

  /**
   * True while we started the current session and the peer has not replied yet: every message we send is
   * then a PreKeySignalMessage ("pkmsg").
   */
  get isUnacknowledged(): boolean {
    return this.#current?.pendingPreKey !== undefined;
  }

  /** A record whose current state is `state` and whose previous states are this record's. */
  withCurrentState(state: SessionState): SessionRecord {
    return new SessionRecord(state, this.#previous, this.#unknown);
  }

  /**
   * A record with `state` as current and this record's current state archived first (dropping the oldest
   * past 40). With `fromPrevious`, the previous state at that index is removed (it is being promoted).
   */
  withPromotedState(state: SessionState, fromPrevious?: number): SessionRecord {
    const previous = this.#previous.slice();
    if (fromPrevious !== undefined) previous.splice(fromPrevious, 1);
    if (this.#current !== undefined) previous.unshift(this.#current);
    return new SessionRecord(state, previous, this.#unknown);
  }

  /**
   * A record with the current state moved to the previous states, so the next message needs a new session
   * (a fresh prekey bundle, or the peer's next PreKeySignalMessage). Messages of the archived session still
   * decrypt.
   */
  archiveCurrentState(): SessionRecord {
    if (this.#current === undefined) return this;
    return new SessionRecord(undefined, [this.#current, ...this.#previous], this.#unknown);
  }

  /**
   * Index of the state whose session has this base key (33 bytes) and version: -1 for the current state,
   * 0.. for previous states, `undefined` when none.
   */
  findState(version: number, aliceBaseKey: Uint8Array): number | undefined {
    const cur = this.#current;
    if (cur !== undefined && cur.version === version && sameKey(cur.aliceBaseKey, aliceBaseKey)) return -1;
    for (let i = 0; i < this.#previous.length; i++) {
      const s = this.previousState(i);
      if (s.version === version && sameKey(s.aliceBaseKey, aliceBaseKey)) return i;
    }
    return undefined;
  }

  /** Encodes the record as libsignal's `RecordStructure`. */
  serialize(): Uint8Array {
    const w = new Writer(1024);
    if (this.#current !== undefined) {
      w.byte(0x0a);
      w.bytes(this.#current.encode());
    }
    for (const p of this.#previous) {
      w.byte(0x12);
      w.bytes(p instanceof SessionState ? p.encode() : p);
    }
    for (const u of this.#unknown) w.raw(u);
    return w.finish();
  }

  /**
   * Decodes a libsignal `RecordStructure`. The bytes are copied once, so the caller may reuse its buffer.
   *
   * @throws {SignalError} `invalid_record` when the bytes are not a RecordStructure.
   */
  static deserialize(bytes: Uint8Array): SessionRecord {
    const own = bytes.slice();
    const r = new Reader(own, "RecordStructure");
    let current: SessionState | undefined;
    const previous: Uint8Array[] = [];
    const unknown: Uint8Array[] = [];
    try {
      while (r.pos < r.end) {
        const start = r.pos;
        const tag = r.uint32();
        if (tag === 0x0a) current = SessionState.decode(r.bytes());
        // Previous states stay in their bytes (libsignal declares them `bytes` too) until a decrypt needs one.
        else if (tag === 0x12) previous.push(r.bytes());
        else unknown.push(r.unknown(tag, start, 0));
      }
    } catch (cause) {
      if (cause instanceof SignalError) throw cause;
      throw new SignalError("invalid_record", `session record is not a valid RecordStructure: ${cause}`, {
        cause,
      });
    }
    return new SessionRecord(current, previous, unknown);
  }
}
