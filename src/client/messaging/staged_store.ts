/**
 * A staging layer over the store for one decryption. Every Signal write the decryption makes (sessions,
 * identities, consumed prekeys, sender keys) is held here and read back by later steps of the same
 * decryption, while the store itself is untouched. Only when the message decrypted and decoded are the
 * writes handed to the store, together with the decrypted message (`InboxStore.commitIncoming`); when
 * anything fails they are simply dropped, so a forged or corrupt message changes no stored state.
 *
 * @module
 */

import type {
  PreKeyRecord,
  SenderKeyRecord,
  SessionRecord,
  SignalStore,
  SignedPreKeyRecord,
} from "../../signal/mod.ts";
import type { SignalWriteBatch } from "../../store/mod.ts";

/** A {@linkcode SignalStore} that stages writes in memory over a base store. */
export class StagedSignalStore implements SignalStore {
  readonly #base: SignalStore;
  readonly #sessions = new Map<string, SessionRecord | null>();
  readonly #identities = new Map<string, Uint8Array>();
  readonly #removedPreKeys = new Set<number>();
  readonly #senderKeys = new Map<string, SenderKeyRecord>();

  /** Stages over `base`. */
  constructor(base: SignalStore) {
    this.#base = base;
  }

  /** True when nothing was written. */
  get isEmpty(): boolean {
    return this.#sessions.size + this.#identities.size + this.#removedPreKeys.size + this.#senderKeys.size ===
      0;
  }

  /** The staged writes, for `commitIncoming`. */
  writes(): SignalWriteBatch {
    return {
      sessions: [...this.#sessions],
      identities: [...this.#identities],
      removedPreKeys: [...this.#removedPreKeys],
      senderKeys: [...this.#senderKeys],
    };
  }

  /** The addresses whose identity key was replaced. */
  changedIdentities(): string[] {
    return [...this.#identities.keys()];
  }

  loadIdentity(address: string): Promise<Uint8Array | undefined> {
    const staged = this.#identities.get(address);
    return staged ? Promise.resolve(staged.slice()) : this.#base.loadIdentity(address);
  }

  async loadIdentities(addresses: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = await this.#base.loadIdentities(addresses.filter((a) => !this.#identities.has(a)));
    for (const a of addresses) {
      const staged = this.#identities.get(a);
      if (staged) out.set(a, staged.slice());
    }
    return out;
  }

  saveIdentity(address: string, identityKey: Uint8Array): Promise<void> {
    this.#identities.set(address, identityKey.slice());
    return Promise.resolve();
  }

  loadSession(address: string): Promise<SessionRecord | undefined> {
    if (this.#sessions.has(address)) return Promise.resolve(this.#sessions.get(address) ?? undefined);
    return this.#base.loadSession(address);
  }

  async loadSessions(addresses: readonly string[]): Promise<Map<string, SessionRecord>> {
    const out = await this.#base.loadSessions(addresses.filter((a) => !this.#sessions.has(a)));
    for (const a of addresses) {
      const staged = this.#sessions.get(a);
      if (staged) out.set(a, staged);
    }
    return out;
  }

  storeSession(address: string, record: SessionRecord): Promise<void> {
    this.#sessions.set(address, record);
    return Promise.resolve();
  }

  storeSessions(entries: Iterable<readonly [string, SessionRecord]>): Promise<void> {
    for (const [address, record] of entries) this.#sessions.set(address, record);
    return Promise.resolve();
  }

  deleteSession(address: string): Promise<void> {
    this.#sessions.set(address, null);
    return Promise.resolve();
  }

  loadPreKey(id: number): Promise<PreKeyRecord | undefined> {
    return this.#removedPreKeys.has(id) ? Promise.resolve(undefined) : this.#base.loadPreKey(id);
  }

  storePreKeys(): Promise<void> {
    return Promise.reject(new Error("a decryption does not store prekeys"));
  }

  removePreKey(id: number): Promise<void> {
    this.#removedPreKeys.add(id);
    return Promise.resolve();
  }

  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.#base.loadSignedPreKey(id);
  }

  storeSignedPreKey(): Promise<void> {
    return Promise.reject(new Error("a decryption does not store signed prekeys"));
  }

  loadSenderKey(name: string): Promise<SenderKeyRecord | undefined> {
    const staged = this.#senderKeys.get(name);
    return staged ? Promise.resolve(staged) : this.#base.loadSenderKey(name);
  }

  storeSenderKey(name: string, record: SenderKeyRecord): Promise<void> {
    this.#senderKeys.set(name, record);
    return Promise.resolve();
  }
}
