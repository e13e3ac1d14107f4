// Shared fixtures for the Signal tests: our devices on MemorySignalStore, a seeded PRNG, libsignal-node
// devices with an in-memory store of the shape libsignal-node 6.0.0 calls (src/session_builder.js,
// src/session_cipher.js), and record snapshots for "nothing changed" checks.
import { Buffer } from "node:buffer";
import libsignalTyped from "npm:libsignal@6.0.0";
import {
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  makePreKeyBundle,
  MemorySignalStore,
  type PreKeyBundle,
  type PreKeyRecord,
  type SignalContext,
  type SignedPreKeyRecord,
} from "../../src/signal/mod.ts";

/** Our device: context, store and the prekeys it published. */
export interface Device extends SignalContext {
  readonly store: MemorySignalStore;
  readonly signedPreKey: SignedPreKeyRecord;
  readonly preKeys: PreKeyRecord[];
  /** A bundle with the next unused one-time prekey (or none when `withPreKey` is false). */
  bundle(withPreKey?: boolean): PreKeyBundle;
}

export async function device(preKeyCount = 4): Promise<Device> {
  const identityKeyPair = generateIdentityKeyPair();
  const identity = { identityKeyPair, registrationId: generateRegistrationId() };
  const store = new MemorySignalStore();
  const signedPreKey = generateSignedPreKey(identityKeyPair, 1);
  const preKeys = generatePreKeys(1, preKeyCount);
  await store.storeSignedPreKey(signedPreKey);
  await store.storePreKeys(preKeys);
  let next = 0;
  return {
    store,
    identity,
    signedPreKey,
    preKeys,
    bundle(withPreKey = true) {
      const pre = withPreKey ? preKeys[next++] : undefined;
      return makePreKeyBundle(identity, signedPreKey, pre, 1);
    },
  };
}

/** Deterministic PRNG (mulberry32) so every randomized test replays the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle with the given PRNG (in place; returns the array). */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Every record and key in a store, serialized: equal snapshots mean nothing was stored. */
export function snapshot(store: MemorySignalStore): string {
  const hex = (b: Uint8Array) => b.toHex();
  const parts: string[] = [];
  for (const [k, v] of [...store.sessions].sort()) parts.push(`s:${k}:${hex(v.serialize())}`);
  for (const [k, v] of [...store.identities].sort()) parts.push(`i:${k}:${hex(v)}`);
  for (const [k, v] of [...store.preKeys].sort()) parts.push(`p:${k}:${hex(v.serialize())}`);
  for (const [k, v] of [...store.signedPreKeys].sort()) parts.push(`sp:${k}:${hex(v.serialize())}`);
  for (const [k, v] of [...store.senderKeys].sort()) parts.push(`g:${k}:${hex(v.serialize())}`);
  return parts.join("\n");
}

// ---- libsignal-node (npm:libsignal@6.0.0) ----

type KeyPairBuf = { pubKey: Buffer; privKey: Buffer };

/** The parts of libsignal-node these tests use, as its JavaScript source defines them. */
export interface LibsignalNode {
  keyhelper: {
    generateIdentityKeyPair(): KeyPairBuf;
    generateRegistrationId(): number;
    generateSignedPreKey(
      identity: KeyPairBuf,
      keyId: number,
    ): { keyId: number; keyPair: KeyPairBuf; signature: Buffer };
    generatePreKey(keyId: number): { keyId: number; keyPair: KeyPairBuf };
  };
  ProtocolAddress: { from(encoded: string): unknown };
  SessionBuilder: new (
    storage: unknown,
    address: unknown,
  ) => { initOutgoing(device: unknown): Promise<void> };
  SessionCipher: new (storage: unknown, address: unknown) => {
    encrypt(data: Buffer): Promise<{ type: number; body: Buffer; registrationId: number }>;
    decryptPreKeyWhisperMessage(data: Buffer): Promise<Buffer>;
    decryptWhisperMessage(data: Buffer): Promise<Buffer>;
  };
  SessionRecord: {
    new (): LibsignalSessionRecord;
    deserialize(data: unknown): LibsignalSessionRecord;
  };
}

/** libsignal-node's SessionRecord (its serialize() is a JSON-ready object). */
export interface LibsignalSessionRecord {
  serialize(): unknown;
}

// libsignal-node's bundled index.d.ts is incomplete (no ProtocolAddress.from, loose storage types); the
// JavaScript API is what these tests drive, so the module is typed once here.
export const libsignal = libsignalTyped as unknown as LibsignalNode;

/** A libsignal-node device: its storage object and prekeys. Keys are libsignal-node's 33-byte public keys. */
export class LibsignalDevice {
  readonly identity: KeyPairBuf = libsignal.keyhelper.generateIdentityKeyPair();
  readonly registrationId: number = libsignal.keyhelper.generateRegistrationId();
  readonly sessions = new Map<string, unknown>();
  readonly preKeys = new Map<number, KeyPairBuf>();
  readonly signedPreKeys = new Map<number, KeyPairBuf>();
  readonly signed: { keyId: number; keyPair: KeyPairBuf; signature: Buffer };
  #nextPreKey = 100;

  constructor() {
    this.signed = libsignal.keyhelper.generateSignedPreKey(this.identity, 7);
    this.signedPreKeys.set(7, this.signed.keyPair);
  }

  /** The object libsignal-node's SessionBuilder/SessionCipher call. */
  readonly storage = {
    getOurIdentity: () => this.identity,
    getOurRegistrationId: () => this.registrationId,
    isTrustedIdentity: () => true,
    loadSession: (id: string) => Promise.resolve(this.sessions.get(id)),
    storeSession: (id: string, record: unknown) => {
      this.sessions.set(id, record);
      return Promise.resolve();
    },
    loadPreKey: (id: number) => Promise.resolve(this.preKeys.get(Number(id))),
    removePreKey: (id: number) => {
      this.preKeys.delete(Number(id));
      return Promise.resolve();
    },
    loadSignedPreKey: (id: number) => Promise.resolve(this.signedPreKeys.get(Number(id))),
  };

  /** A fresh bundle in our PreKeyBundle shape (33-byte keys, which processPreKeyBundle accepts). */
  bundle(): PreKeyBundle {
    const id = this.#nextPreKey++;
    const pre = libsignal.keyhelper.generatePreKey(id);
    this.preKeys.set(id, pre.keyPair);
    return {
      registrationId: this.registrationId,
      deviceId: 1,
      identityKey: this.identity.pubKey,
      signedPreKey: { keyId: 7, publicKey: this.signed.keyPair.pubKey, signature: this.signed.signature },
      preKey: { keyId: id, publicKey: pre.keyPair.pubKey },
    };
  }

  cipher(address: string): LibsignalCipher {
    return new libsignal.SessionCipher(this.storage, libsignal.ProtocolAddress.from(address));
  }

  /** Starts a session from one of our bundles (libsignal-node wants 33-byte Buffer keys). */
  async processBundle(address: string, bundle: PreKeyBundle): Promise<void> {
    const prefixed = (k: Uint8Array) => Buffer.concat([Buffer.from([5]), Buffer.from(k)]);
    const builder = new libsignal.SessionBuilder(this.storage, libsignal.ProtocolAddress.from(address));
    await builder.initOutgoing({
      registrationId: bundle.registrationId,
      identityKey: prefixed(bundle.identityKey),
      signedPreKey: {
        keyId: bundle.signedPreKey.keyId,
        publicKey: prefixed(bundle.signedPreKey.publicKey),
        signature: Buffer.from(bundle.signedPreKey.signature),
      },
      preKey: bundle.preKey && { keyId: bundle.preKey.keyId, publicKey: prefixed(bundle.preKey.publicKey) },
    });
  }

  async encrypt(
    address: string,
    plaintext: Uint8Array,
  ): Promise<{ type: "pkmsg" | "msg"; ciphertext: Uint8Array }> {
    const r = await this.cipher(address).encrypt(Buffer.from(plaintext));
    return { type: r.type === 3 ? "pkmsg" : "msg", ciphertext: new Uint8Array(r.body) };
  }

  async decrypt(address: string, type: "pkmsg" | "msg", ciphertext: Uint8Array): Promise<Uint8Array> {
    const c = this.cipher(address);
    const buf = Buffer.from(ciphertext);
    const out = type === "pkmsg"
      ? await c.decryptPreKeyWhisperMessage(buf)
      : await c.decryptWhisperMessage(buf);
    return new Uint8Array(out);
  }
}

type LibsignalCipher = InstanceType<LibsignalNode["SessionCipher"]>;

/** Runs `fn` with libsignal-node's console chatter (session open/close notices) silenced. */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { info: console.info, warn: console.warn, error: console.error, log: console.log };
  console.info =
    console.warn =
    console.error =
    console.log =
      () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}
