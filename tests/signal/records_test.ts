// Storage records in libsignal's layout (signalapp/libsignal rust/protocol/src/proto/storage.proto, proto3):
// round trips are byte-stable, and records assembled here field by field with a tiny independent protobuf
// writer (not this project's codec) decode and keep working, including the fields only newer libsignal writes
// (message-key `seed` = 5, `is_alice` = 18) and the legacy ones only old libsignal writes.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { prefixPublicKey } from "../../src/crypto/mod.ts";
import {
  createSenderKeyDistributionMessage,
  decryptMessage,
  encryptMessage,
  groupDecrypt,
  groupEncrypt,
  PreKeyRecord,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  senderKeyName,
  SenderKeyRecord,
  SessionRecord,
  SignalError,
  SignedPreKeyRecord,
} from "../../src/signal/mod.ts";
import { messageKeySeed, nextChainKey } from "../../src/signal/ratchet.ts";
import { device, prng, str, text } from "./helpers.ts";

// ---- an independent protobuf writer (proto3 rules: zero scalars and empty bytes are omitted) ----
type Bytes = number[];
const varint = (n: number | bigint): Bytes => {
  let v = BigInt(n);
  const out: Bytes = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const u = (field: number, v: number | bigint | undefined): Bytes =>
  v === undefined || v === 0 || v === 0n ? [] : [...varint((field << 3) | 0), ...varint(v)];
const b = (field: number, v: Uint8Array | Bytes | undefined): Bytes =>
  v === undefined || v.length === 0 ? [] : [...varint((field << 3) | 2), ...varint(v.length), ...v];
const fixed64 = (field: number, v: bigint): Bytes => {
  const out = [...varint((field << 3) | 1)];
  for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
  return out;
};
const bytes = (x: Bytes) => new Uint8Array(x);

Deno.test("records: session, prekey and sender-key records re-encode byte for byte", async () => {
  const random = prng(77);
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const name = senderKeyName("g@g.us", "alice");
  await processSenderKeyDistributionMessage(bob, name, await createSenderKeyDistributionMessage(alice, name));
  for (let round = 0; round < 30; round++) {
    const [from, to, peer] = round % 2 === 0 ? [alice, bob, "alice"] : [bob, alice, "bob"];
    if (round === 1) continue; // let Alice send twice so Bob has a skipped chain
    const batch = [];
    for (let i = 0; i < 1 + Math.floor(random() * 6); i++) {
      batch.push(await encryptMessage(from, peer === "alice" ? "bob" : "alice", text("m")));
    }
    for (const m of batch) if (random() < 0.6) await decryptMessage(to, peer, m.type, m.ciphertext);
    const g = await groupEncrypt(alice, name, text("g"));
    if (random() < 0.5) await groupDecrypt(bob, name, g);
    for (const store of [alice.store, bob.store]) {
      for (const record of store.sessions.values()) {
        const once = record.serialize();
        deepStrictEqual(SessionRecord.deserialize(once).serialize(), once);
      }
      for (const record of store.senderKeys.values()) {
        const once = record.serialize();
        deepStrictEqual(SenderKeyRecord.deserialize(once).serialize(), once);
      }
    }
  }
  // Skipped keys and several chains were really exercised.
  const bobState = bob.store.sessions.get("alice")!.currentState!;
  strictEqual(bobState.receiverChains.some((c) => c.messageKeys.length > 0), true);
  strictEqual(bob.store.senderKeys.get(name)!.states[0].messageKeys.length > 0, true);
  for (const p of [...bob.store.preKeys.values(), ...alice.store.preKeys.values()]) {
    deepStrictEqual(PreKeyRecord.deserialize(p.serialize()).serialize(), p.serialize());
  }
  const sp = bob.signedPreKey;
  const back = SignedPreKeyRecord.deserialize(sp.serialize());
  deepStrictEqual(back.serialize(), sp.serialize());
  strictEqual(back.timestamp, sp.timestamp);
  deepStrictEqual(back.signature, sp.signature);
});

Deno.test("records: a session record built field by field per libsignal storage.proto decodes and works", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const m0 = await encryptMessage(alice, "bob", text("m0"));
  await decryptMessage(bob, "alice", m0.type, m0.ciphertext);
  const r0 = await encryptMessage(bob, "alice", text("r0"));
  await decryptMessage(alice, "bob", r0.type, r0.ciphertext);
  // Alice's new sending chain: remember its key to compute the seeds newer libsignal would store.
  const chain0 = alice.store.sessions.get("bob")!.currentState!.senderChain!.chainKey;
  const sent = [];
  for (let i = 0; i < 6; i++) sent.push(await encryptMessage(alice, "bob", text(`a${i}`)));
  strictEqual(str(await decryptMessage(bob, "alice", "msg", sent[5].ciphertext)), "a5"); // skips a0..a4

  // Bob's state, re-assembled by hand. Skipped keys are written in the newer `seed` form (field 5).
  const s = bob.store.sessions.get("alice")!.currentState!;
  const seeds: Uint8Array[] = [];
  let key = chain0.key!;
  for (let i = 0; i < 5; i++) {
    seeds.push(messageKeySeed(key));
    key = nextChainKey(key);
  }
  const chainBytes = (c: typeof s.receiverChains[number], skipped: Bytes[]) => [
    ...b(1, c.ratchetKey),
    ...b(2, c.ratchetPrivateKey),
    ...b(3, [...u(1, c.chainKey.index), ...b(2, c.chainKey.key)]),
    ...skipped.flatMap((k) => b(4, k)),
  ];
  const receivers = s.receiverChains.map((c) => {
    const skipped = c.messageKeys.map((k) => [...u(1, k.index), ...b(5, seeds[k.index])]);
    return b(7, chainBytes(c, skipped));
  });
  strictEqual(s.receiverChains.at(-1)!.messageKeys.length, 5);
  const session = [
    ...u(1, 3),
    ...b(2, s.localIdentityKey),
    ...b(3, s.remoteIdentityKey),
    ...b(4, s.rootKey),
    ...u(5, s.previousCounter),
    ...b(6, chainBytes(s.senderChain!, [])),
    ...receivers.flat(),
    ...u(10, s.remoteRegistrationId),
    ...u(11, s.localRegistrationId),
    ...b(13, s.aliceBaseKey),
    ...u(18, 0), // is_alice = false: omitted by proto3
  ];
  // A previous session in libsignal 0.x form, with the legacy needsRefresh (12) flag set.
  const legacy = [
    ...u(1, 3),
    ...b(2, s.localIdentityKey),
    ...b(3, s.remoteIdentityKey),
    ...u(12, 1),
    ...b(13, new Uint8Array(33).fill(5)),
  ];
  const record = bytes([...b(1, session), ...b(2, legacy)]);

  const decoded = SessionRecord.deserialize(record);
  deepStrictEqual(decoded.serialize(), record, "a libsignal-written record re-encodes to the same bytes");
  strictEqual(decoded.remoteRegistrationId, alice.identity.registrationId);
  strictEqual(decoded.previousStateCount, 1);
  deepStrictEqual(decoded.previousState(0).localIdentityKey, s.localIdentityKey);

  await bob.store.storeSession("alice", decoded);
  for (let i = 4; i >= 0; i--) {
    strictEqual(str(await decryptMessage(bob, "alice", "msg", sent[i].ciphertext)), `a${i}`);
  }
  const r1 = await encryptMessage(bob, "alice", text("r1"));
  strictEqual(str(await decryptMessage(alice, "bob", r1.type, r1.ciphertext)), "r1");
  // Unknown and legacy fields survive our own rewrites of the record.
  const rewritten = bob.store.sessions.get("alice")!;
  strictEqual(rewritten.previousState(0).extras.unknown?.length, 1);
});

Deno.test("records: prekey and signed prekey records built field by field", () => {
  const pub = new Uint8Array(32).fill(7), priv = new Uint8Array(32).fill(9);
  const pre = bytes([...u(1, 0xabcdef), ...b(2, prefixPublicKey(pub)), ...b(3, priv)]);
  const p = PreKeyRecord.deserialize(pre);
  strictEqual(p.keyId, 0xabcdef);
  deepStrictEqual(p.keyPair.publicKey, pub);
  deepStrictEqual(p.keyPair.privateKey, priv);
  deepStrictEqual(p.serialize(), pre);
  const sig = new Uint8Array(64).fill(3);
  const signed = bytes([
    ...u(1, 5),
    ...b(2, prefixPublicKey(pub)),
    ...b(3, priv),
    ...b(4, sig),
    ...fixed64(5, 1714521600000n),
  ]);
  const sp = SignedPreKeyRecord.deserialize(signed);
  strictEqual(sp.keyId, 5);
  strictEqual(sp.timestamp, 1714521600000);
  deepStrictEqual(sp.signature, sig);
  deepStrictEqual(sp.serialize(), signed);
  throws(
    () => PreKeyRecord.deserialize(bytes([...u(1, 1), ...b(2, prefixPublicKey(pub))])),
    (e) => e instanceof SignalError && e.code === "invalid_record",
  );
  throws(
    () => SessionRecord.deserialize(bytes([0x0a, 0x05, 1])),
    (e) => e instanceof SignalError && e.code === "invalid_record",
  );
  throws(
    () => SenderKeyRecord.deserialize(bytes([0x0a, 0xff])),
    (e) => e instanceof SignalError && e.code === "invalid_record",
  );
});

Deno.test("records: a sender-key record built field by field decodes and decrypts", async () => {
  const alice = await device(), bob = await device();
  const name = senderKeyName("g@g.us", "alice");
  await processSenderKeyDistributionMessage(bob, name, await createSenderKeyDistributionMessage(alice, name));
  const own = alice.store.senderKeys.get(name)!.states[0];
  const first = await groupEncrypt(alice, name, text("first"));
  const second = await groupEncrypt(alice, name, text("second"));
  // Bob's state as libsignal writes it, with iteration 0's key cached (as if `second` had arrived first).
  const cached = [...u(1, 0), ...b(2, messageKeySeed(own.chainKey))];
  const state = [
    ...u(1, own.keyId),
    ...b(2, [...u(1, 1), ...b(2, nextChainKey(own.chainKey))]),
    ...b(3, [...b(1, prefixPublicKey(own.signingPublicKey))]),
    ...b(4, cached),
    ...u(5, 3), // message_version, newer libsignal
  ];
  const record = bytes(b(1, state));
  const decoded = SenderKeyRecord.deserialize(record);
  deepStrictEqual(decoded.serialize(), record);
  await bob.store.storeSenderKey(name, decoded);
  strictEqual(str(await groupDecrypt(bob, name, second)), "second");
  strictEqual(str(await groupDecrypt(bob, name, first)), "first");
});
