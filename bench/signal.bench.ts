// The Signal layer against libsignal-node (npm:libsignal@6.0.0, what Baileys runs) and Baileys' group cipher
// (npm:baileys@7.0.0-rc14 lib/Signal/Group), each with an equivalent in-memory store that keeps record
// objects in a Map (no serialization on either side), so the numbers compare protocol work, not storage.
import { Buffer } from "node:buffer";
import libsignalTyped from "npm:libsignal@6.0.0";
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord as BaileysSenderKeyRecord,
} from "npm:/baileys@7.0.0-rc14/lib/Signal/Group/index.js";
import {
  createSenderKeyDistributionMessage,
  decryptMessage,
  encryptMessage,
  encryptMessages,
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  groupDecrypt,
  groupEncrypt,
  makePreKeyBundle,
  MemorySignalStore,
  type PreKeyBundle,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  senderKeyName,
  type SignalContext,
} from "../src/signal/mod.ts";

// ---- our side ----

async function ourDevice(
  preKeys = 2,
): Promise<SignalContext & { store: MemorySignalStore; bundle: PreKeyBundle }> {
  const identityKeyPair = generateIdentityKeyPair();
  const identity = { identityKeyPair, registrationId: generateRegistrationId() };
  const store = new MemorySignalStore();
  const signed = generateSignedPreKey(identityKeyPair, 1);
  const pre = generatePreKeys(1, preKeys);
  await store.storeSignedPreKey(signed);
  await store.storePreKeys(pre);
  return { store, identity, bundle: makePreKeyBundle(identity, signed, pre[0], 1) };
}

/** An acknowledged session (one round trip), the steady state of a conversation. */
async function ourPair() {
  const alice = await ourDevice(), bob = await ourDevice();
  await processPreKeyBundle(alice, "bob.1", bob.bundle);
  const m = await encryptMessage(alice, "bob.1", new Uint8Array(10));
  await decryptMessage(bob, "alice.1", m.type, m.ciphertext);
  const r = await encryptMessage(bob, "alice.1", new Uint8Array(10));
  await decryptMessage(alice, "bob.1", r.type, r.ciphertext);
  return { alice, bob };
}

// ---- libsignal-node side ----

type KeyPairBuf = { pubKey: Buffer; privKey: Buffer };
interface LibsignalNode {
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
    encrypt(data: Buffer): Promise<{ type: number; body: Buffer }>;
    decryptPreKeyWhisperMessage(data: Buffer): Promise<Buffer>;
    decryptWhisperMessage(data: Buffer): Promise<Buffer>;
  };
}
// libsignal-node's bundled typings lack ProtocolAddress.from and type its storage loosely; typed once here.
const libsignal = libsignalTyped as unknown as LibsignalNode;

class LsDevice {
  identity = libsignal.keyhelper.generateIdentityKeyPair();
  registrationId = libsignal.keyhelper.generateRegistrationId();
  signed = libsignal.keyhelper.generateSignedPreKey(this.identity, 1);
  pre = libsignal.keyhelper.generatePreKey(1);
  sessions = new Map<string, unknown>();
  storage = {
    getOurIdentity: () => this.identity,
    getOurRegistrationId: () => this.registrationId,
    isTrustedIdentity: () => true,
    loadSession: (id: string) => Promise.resolve(this.sessions.get(id)),
    storeSession: (id: string, r: unknown) => (this.sessions.set(id, r), Promise.resolve()),
    loadPreKey: () => Promise.resolve(this.pre.keyPair),
    removePreKey: () => Promise.resolve(),
    loadSignedPreKey: () => Promise.resolve(this.signed.keyPair),
  };
  bundle() {
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.pubKey,
      signedPreKey: { keyId: 1, publicKey: this.signed.keyPair.pubKey, signature: this.signed.signature },
      preKey: { keyId: 1, publicKey: this.pre.keyPair.pubKey },
    };
  }
  cipher(address: string) {
    return new libsignal.SessionCipher(this.storage, libsignal.ProtocolAddress.from(address));
  }
  builder(address: string) {
    return new libsignal.SessionBuilder(this.storage, libsignal.ProtocolAddress.from(address));
  }
}

async function lsPair() {
  const alice = new LsDevice(), bob = new LsDevice();
  await alice.builder("bob.1").initOutgoing(bob.bundle());
  const m = await alice.cipher("bob.1").encrypt(Buffer.alloc(10));
  await bob.cipher("alice.1").decryptPreKeyWhisperMessage(m.body);
  const r = await bob.cipher("alice.1").encrypt(Buffer.alloc(10));
  await alice.cipher("bob.1").decryptWhisperMessage(r.body);
  return { alice, bob };
}

// ---- Baileys group side ----

function baileysGroupStore() {
  const records = new Map<string, BaileysSenderKeyRecord>();
  return {
    loadSenderKey: (n: SenderKeyName) =>
      Promise.resolve(records.get(n.toString()) ?? new BaileysSenderKeyRecord()),
    storeSenderKey: (
      n: SenderKeyName,
      r: BaileysSenderKeyRecord,
    ) => (records.set(n.toString(), r), Promise.resolve()),
  };
}
const baileysName = (sender: string) =>
  new SenderKeyName("g@g.us", { id: sender, deviceId: 0, toString: () => `${sender}.0` });

// ---- fixtures ----

const plaintext = Uint8Array.from({ length: 200 }, (_, i) => i);
const plaintextBuf = Buffer.from(plaintext);
const { alice, bob } = await ourPair();
const ls = await lsPair();

const setupAlice = await ourDevice();
const setupBob = await ourDevice();
const lsSetupAlice = new LsDevice(), lsSetupBob = new LsDevice();
const lsSetupBundle = lsSetupBob.bundle();

const groupName = senderKeyName("g@g.us", "alice.0");
const groupAlice = await ourDevice(), groupBob = await ourDevice();
await processSenderKeyDistributionMessage(
  groupBob,
  groupName,
  await createSenderKeyDistributionMessage(groupAlice, groupName),
);
const bGroupAlice = baileysGroupStore(), bGroupBob = baileysGroupStore();
{
  const skdm = await new GroupSessionBuilder(bGroupAlice).create(baileysName("alice"));
  await new GroupSessionBuilder(bGroupBob).process(
    baileysName("alice"),
    new SenderKeyDistributionMessage(null, null, null, null, skdm.serialize()),
  );
}

// 256 devices with acknowledged sessions, both implementations.
const DEVICES = 256;
const fanAlice = await ourDevice();
const fanAddresses: string[] = [];
const lsFanAlice = new LsDevice();
for (let i = 0; i < DEVICES; i++) {
  const address = `peer${i}.1`;
  fanAddresses.push(address);
  const peer = await ourDevice(1);
  await processPreKeyBundle(fanAlice, address, peer.bundle);
  const m = await encryptMessage(fanAlice, address, new Uint8Array(10));
  await decryptMessage(peer, "alice.1", m.type, m.ciphertext);
  const r = await encryptMessage(peer, "alice.1", new Uint8Array(10));
  await decryptMessage(fanAlice, address, r.type, r.ciphertext);

  const lsPeer = new LsDevice();
  await lsFanAlice.builder(address).initOutgoing(lsPeer.bundle());
  const lm = await lsFanAlice.cipher(address).encrypt(Buffer.alloc(10));
  await lsPeer.cipher("alice.1").decryptPreKeyWhisperMessage(lm.body);
  const lr = await lsPeer.cipher("alice.1").encrypt(Buffer.alloc(10));
  await lsFanAlice.cipher(address).decryptWhisperMessage(lr.body);
}
const fanGroup = senderKeyName("g@g.us", "alice.1");
const bFanStore = baileysGroupStore();

// ---- benches ----

Deno.bench("1:1 encrypt + decrypt 200 B: ours", { group: "1:1 message" }, async () => {
  const m = await encryptMessage(alice, "bob.1", plaintext);
  await decryptMessage(bob, "alice.1", m.type, m.ciphertext);
});
Deno.bench(
  "1:1 encrypt + decrypt 200 B: libsignal-node",
  { group: "1:1 message", baseline: true },
  async () => {
    const m = await ls.alice.cipher("bob.1").encrypt(plaintextBuf);
    await ls.bob.cipher("alice.1").decryptWhisperMessage(m.body);
  },
);

// A fresh peer bundle per iteration (prepared outside the timed part), as when starting sessions with the
// devices of a new contact: no per-key cache can help either side.
Deno.bench("session setup from a prekey bundle: ours", { group: "session setup" }, async (b) => {
  const bundle = { ...setupBob.bundle, identityKey: setupBob.bundle.identityKey.slice() };
  setupAlice.store.sessions.delete("bob.1");
  b.start();
  await processPreKeyBundle(setupAlice, "bob.1", bundle);
  b.end();
});
Deno.bench(
  "session setup from a prekey bundle: libsignal-node",
  { group: "session setup", baseline: true },
  async (b) => {
    const bundle = { ...lsSetupBundle, identityKey: Buffer.from(lsSetupBundle.identityKey) };
    lsSetupAlice.sessions.delete("bob.1");
    b.start();
    await lsSetupAlice.builder("bob.1").initOutgoing(bundle);
    b.end();
  },
);

Deno.bench("group encrypt + decrypt 200 B: ours", { group: "group message" }, async () => {
  const m = await groupEncrypt(groupAlice, groupName, plaintext);
  await groupDecrypt(groupBob, groupName, m);
});
Deno.bench(
  "group encrypt + decrypt 200 B: Baileys group cipher",
  { group: "group message", baseline: true },
  async () => {
    const m = await new GroupCipher(bGroupAlice, baileysName("alice")).encrypt(plaintextBuf);
    await new GroupCipher(bGroupBob, baileysName("alice")).decrypt(m);
  },
);

Deno.bench("group send to 256 devices: ours", { group: "group send" }, async () => {
  const skdm = await createSenderKeyDistributionMessage(fanAlice, fanGroup);
  await groupEncrypt(fanAlice, fanGroup, plaintext);
  const r = await encryptMessages(fanAlice, fanAddresses.map((a) => [a, skdm] as const));
  if (r.messages.size !== DEVICES) throw new Error("group send lost devices");
});
Deno.bench(
  "group send to 256 devices: libsignal-node + Baileys",
  { group: "group send", baseline: true },
  async () => {
    const skdm = Buffer.from(
      (await new GroupSessionBuilder(bFanStore).create(baileysName("alice"))).serialize(),
    );
    await new GroupCipher(bFanStore, baileysName("alice")).encrypt(plaintextBuf);
    // Baileys encrypts for all devices concurrently (Promise.all); libsignal-node queues per address.
    await Promise.all(fanAddresses.map((a) => lsFanAlice.cipher(a).encrypt(skdm)));
  },
);
