/**
 * An in-memory {@link SignalStore}, for tests, benchmarks and short-lived tools.
 *
 * @module
 */

import type { PreKeyRecord, SignedPreKeyRecord } from "./keys.ts";
import type { SenderKeyRecord } from "./sender_key_record.ts";
import type { SessionRecord } from "./session_record.ts";
import type { SignalStore } from "./store.ts";

/**
 * A {@link SignalStore} backed by `Map`s. Records are kept as the objects given (they are immutable), and
 * identity keys are copied on the way in.
 *
 * @example
 * ```ts
 * import { generateIdentityKeyPair, generateRegistrationId, MemorySignalStore } from "./mod.ts";
 * const ctx = {
 *   store: new MemorySignalStore(),
 *   identity: { identityKeyPair: generateIdentityKeyPair(), registrationId: generateRegistrationId() },
 * };
 * ```
 */
export class MemorySignalStore implements SignalStore {
  /** Remote identity keys by address. */
  readonly identities: Map<string, Uint8Array> = new Map();
  /** Session records by address. */
  readonly sessions: Map<string, SessionRecord> = new Map();
  /** One-time prekeys by id. */
  readonly preKeys: Map<number, PreKeyRecord> = new Map();
  /** Signed prekeys by id. */
  readonly signedPreKeys: Map<number, SignedPreKeyRecord> = new Map();
  /** Sender-key records by name. */
  readonly senderKeys: Map<string, SenderKeyRecord> = new Map();

  /** {@inheritDoc SignalStore.loadIdentity} */
  loadIdentity(address: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.identities.get(address));
  }

  /** {@inheritDoc SignalStore.loadIdentities} */
  loadIdentities(addresses: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (const a of addresses) {
      const key = this.identities.get(a);
      if (key !== undefined) out.set(a, key);
    }
    return Promise.resolve(out);
  }

  /** {@inheritDoc SignalStore.saveIdentity} */
  saveIdentity(address: string, identityKey: Uint8Array): Promise<void> {
    this.identities.set(address, identityKey.slice());
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.loadSession} */
  loadSession(address: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.sessions.get(address));
  }

  /** {@inheritDoc SignalStore.loadSessions} */
  loadSessions(addresses: readonly string[]): Promise<Map<string, SessionRecord>> {
    const out = new Map<string, SessionRecord>();
    for (const a of addresses) {
      const record = this.sessions.get(a);
      if (record !== undefined) out.set(a, record);
    }
    return Promise.resolve(out);
  }

  /** {@inheritDoc SignalStore.storeSession} */
  storeSession(address: string, record: SessionRecord): Promise<void> {
    this.sessions.set(address, record);
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.storeSessions} */
  storeSessions(entries: Iterable<readonly [string, SessionRecord]>): Promise<void> {
    for (const [address, record] of entries) this.sessions.set(address, record);
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.deleteSession} */
  deleteSession(address: string): Promise<void> {
    this.sessions.delete(address);
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.loadPreKey} */
  loadPreKey(id: number): Promise<PreKeyRecord | undefined> {
    return Promise.resolve(this.preKeys.get(id));
  }

  /** {@inheritDoc SignalStore.storePreKeys} */
  storePreKeys(records: readonly PreKeyRecord[]): Promise<void> {
    for (const r of records) this.preKeys.set(r.keyId, r);
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.removePreKey} */
  removePreKey(id: number): Promise<void> {
    this.preKeys.delete(id);
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.loadSignedPreKey} */
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return Promise.resolve(this.signedPreKeys.get(id));
  }

  /** {@inheritDoc SignalStore.storeSignedPreKey} */
  storeSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    this.signedPreKeys.set(record.keyId, record);
    return Promise.resolve();
  }

  /** {@inheritDoc SignalStore.loadSenderKey} */
  loadSenderKey(name: string): Promise<SenderKeyRecord | undefined> {
    return Promise.resolve(this.senderKeys.get(name));
  }

  /** {@inheritDoc SignalStore.storeSenderKey} */
  storeSenderKey(name: string, record: SenderKeyRecord): Promise<void> {
    this.senderKeys.set(name, record);
    return Promise.resolve();
  }
}
