// 1:1 sessions between two parties of this implementation: long randomized conversations with reordering,
// drops and duplicates, restarts from serialized records, the unacknowledged (pkmsg) phase, previous-state
// fallback, batch encryption, and libsignal's caps (MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS,
// ARCHIVED_STATES_MAX_LENGTH; values from signalapp/libsignal rust/protocol/src/consts.rs).
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  decryptMessage,
  encryptMessage,
  encryptMessages,
  hasSession,
  MemorySignalStore,
  PreKeyRecord,
  processPreKeyBundle,
  SenderKeyRecord,
  SessionRecord,
  SignalError,
  type SignalErrorCode,
  SignedPreKeyRecord,
} from "../../src/signal/mod.ts";
import { nextChainKey } from "../../src/signal/ratchet.ts";
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from "../../src/signal/session_cipher.ts";
import { type Device, device, prng, snapshot, str, text } from "./helpers.ts";

function isCode(code: SignalErrorCode) {
  return (e: unknown) => e instanceof SignalError && e.code === code;
}

/** A copy of a store made only of serialized bytes, as a restart from SQLite would see it. */
async function reloaded(store: MemorySignalStore): Promise<MemorySignalStore> {
  const fresh = new MemorySignalStore();
  for (const [k, v] of store.sessions) await fresh.storeSession(k, SessionRecord.deserialize(v.serialize()));
  for (const [k, v] of store.identities) await fresh.saveIdentity(k, v);
  await fresh.storePreKeys([...store.preKeys.values()].map((p) => PreKeyRecord.deserialize(p.serialize())));
  for (const s of store.signedPreKeys.values()) {
    await fresh.storeSignedPreKey(SignedPreKeyRecord.deserialize(s.serialize()));
  }
  for (const [k, v] of store.senderKeys) {
    await fresh.storeSenderKey(k, SenderKeyRecord.deserialize(v.serialize()));
  }
  return fresh;
}

interface InFlight {
  from: "alice" | "bob";
  body: string;
  type: "pkmsg" | "msg";
  ciphertext: Uint8Array;
  round: number;
  duplicate: boolean;
}

interface Options {
  messages: number;
  dropRate: number;
  duplicateRate: number;
  /** Restart a party from serialized records every this many rounds (0 = never). */
  restartEvery: number;
}

/**
 * Alice and Bob talk until `messages` were sent. Each round one of them sends a batch; messages stay in flight
 * for up to two rounds and arrive shuffled, interleaved with the other direction. Every delivered message
 * must decrypt exactly once, every redelivery must fail with `duplicate`, and nothing else may fail.
 */
async function conversation(seed: number, o: Options): Promise<{ delivered: number; duplicates: number }> {
  const random = prng(seed);
  const parties = { alice: await device(), bob: await device() };
  await processPreKeyBundle(parties.alice, "bob", parties.bob.bundle());
  const peer = { alice: "bob", bob: "alice" } as const;
  let flight: InFlight[] = [];
  let sent = 0, delivered = 0, duplicates = 0, round = 0;
  const deliver = async (m: InFlight) => {
    const to = m.from === "alice" ? parties.bob : parties.alice;
    if (m.duplicate) {
      await rejects(decryptMessage(to, m.from, m.type, m.ciphertext), isCode("duplicate"));
      duplicates++;
      return;
    }
    strictEqual(str(await decryptMessage(to, m.from, m.type, m.ciphertext)), m.body);
    delivered++;
    if (random() < o.duplicateRate) flight.push({ ...m, duplicate: true, round });
  };
  while (sent < o.messages) {
    round++;
    // Bob can only send once a prekey message reached him and gave him a session.
    const from = random() < 0.5 || !(await hasSession(parties.bob, "alice")) ? "alice" : "bob";
    const size = Math.min(o.messages - sent, 1 + Math.floor(random() * 30));
    for (let i = 0; i < size; i++) {
      const body = `${from}#${sent + i}`;
      const enc = await encryptMessage(parties[from], peer[from], text(body));
      if (random() >= o.dropRate) flight.push({ from, body, ...enc, round, duplicate: false });
    }
    sent += size;
    // Deliver everything two rounds old, and a random part of the rest, in random order.
    const due = flight.filter((m) => m.round <= round - 2 || random() < 0.5);
    flight = flight.filter((m) => !due.includes(m));
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [due[i], due[j]] = [due[j], due[i]];
    }
    for (const m of due) await deliver(m);
    if (o.restartEvery > 0 && round % o.restartEvery === 0) {
      const who = random() < 0.5 ? "alice" : "bob";
      const d = parties[who];
      parties[who] = { ...d, store: await reloaded(d.store) } as Device;
    }
  }
  while (flight.length > 0) await deliver(flight.shift()!);
  return { delivered, duplicates };
}

Deno.test("session: 10,000 messages with reordering, drops, duplicates and restarts", async () => {
  const r = await conversation(20240501, {
    messages: 10_000,
    dropRate: 0.05,
    duplicateRate: 0.05,
    restartEvery: 25,
  });
  strictEqual(r.delivered > 9000, true);
  strictEqual(r.duplicates > 300, true);
});

Deno.test("session: property - any seed, drop and duplicate rate keeps exactly-once delivery", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer(),
      fc.double({ min: 0, max: 0.3, noNaN: true }),
      fc.double({ min: 0, max: 0.3, noNaN: true }),
      async (seed, dropRate, duplicateRate) => {
        await conversation(seed, { messages: 300, dropRate, duplicateRate, restartEvery: 7 });
      },
    ),
    { numRuns: 15 },
  );
});

Deno.test("session: unacknowledged sessions send pkmsg until the first reply decrypts", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  strictEqual(alice.store.sessions.get("bob")!.isUnacknowledged, true);
  const first = await encryptMessage(alice, "bob", text("1"));
  const second = await encryptMessage(alice, "bob", text("2"));
  strictEqual(first.type, "pkmsg");
  strictEqual(second.type, "pkmsg");
  strictEqual(str(await decryptMessage(bob, "alice", "pkmsg", second.ciphertext)), "2");
  const reply = await encryptMessage(bob, "alice", text("r"));
  strictEqual(reply.type, "msg", "the responder never sends prekey messages");
  // Still unacknowledged until the reply is decrypted.
  strictEqual((await encryptMessage(alice, "bob", text("3"))).type, "pkmsg");
  strictEqual(str(await decryptMessage(alice, "bob", "msg", reply.ciphertext)), "r");
  strictEqual(alice.store.sessions.get("bob")!.isUnacknowledged, false);
  strictEqual((await encryptMessage(alice, "bob", text("4"))).type, "msg");
  // The first prekey message still decrypts: the session is found by its base key, no prekey needed.
  strictEqual(str(await decryptMessage(bob, "alice", "pkmsg", first.ciphertext)), "1");
});

Deno.test("session: accessors the client needs for retries", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const record = alice.store.sessions.get("bob")!;
  strictEqual(record.remoteRegistrationId, bob.identity.registrationId);
  strictEqual(record.localRegistrationId, alice.identity.registrationId);
  deepStrictEqual(record.remoteIdentityKey, bob.identity.identityKeyPair.publicKey);
  strictEqual(record.baseKey?.length, 33);
  const sent = await encryptMessage(alice, "bob", text("x"));
  await decryptMessage(bob, "alice", sent.type, sent.ciphertext);
  // Both ends agree on the base key: it identifies the session on both sides.
  deepStrictEqual(bob.store.sessions.get("alice")!.baseKey, record.baseKey);
  strictEqual(bob.store.sessions.get("alice")!.remoteRegistrationId, alice.identity.registrationId);
});

Deno.test("session: a new session archives the old one, whose late messages still decrypt and win", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const a1 = await encryptMessage(alice, "bob", text("a1"));
  await decryptMessage(bob, "alice", a1.type, a1.ciphertext);
  const b1 = await encryptMessage(bob, "alice", text("b1"));
  await decryptMessage(alice, "bob", b1.type, b1.ciphertext);
  const late = await encryptMessage(alice, "bob", text("late"));
  // Bob loses his session and starts a new one towards Alice.
  await processPreKeyBundle(bob, "alice", alice.bundle());
  const fresh = await encryptMessage(bob, "alice", text("fresh"));
  strictEqual(str(await decryptMessage(alice, "bob", fresh.type, fresh.ciphertext)), "fresh");
  strictEqual(alice.store.sessions.get("bob")!.previousStateCount, 1);
  // Alice's late message of the first session: Bob's current state fails, his archived one decrypts it.
  strictEqual(bob.store.sessions.get("alice")!.previousStateCount, 1);
  strictEqual(str(await decryptMessage(bob, "alice", late.type, late.ciphertext)), "late");
  // ... and that state is now current again: Bob's next message uses it.
  const again = await encryptMessage(bob, "alice", text("again"));
  strictEqual(again.type, "msg");
  strictEqual(str(await decryptMessage(alice, "bob", again.type, again.ciphertext)), "again");
});

Deno.test("session: at most 40 previous states are kept", async () => {
  const alice = await device(), bob = await device(45);
  for (let i = 0; i < 43; i++) await processPreKeyBundle(alice, "bob", bob.bundle());
  const record = alice.store.sessions.get("bob")!;
  strictEqual(record.previousStateCount, 40);
  strictEqual(SessionRecord.deserialize(record.serialize()).previousStateCount, 40);
});

Deno.test("session: skipped keys up to MAX_FORWARD_JUMPS, capped at MAX_MESSAGE_KEYS, too_far_future beyond", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const hello = await encryptMessage(alice, "bob", text("hello"));
  await decryptMessage(bob, "alice", hello.type, hello.ciphertext);
  const early = await encryptMessage(alice, "bob", text("early")); // counter 1
  // Move Alice's sending chain forward by stepping its chain key (as sending that many messages would).
  const advance = async (n: number) => {
    const record = alice.store.sessions.get("bob")!;
    const state = record.currentState!;
    let key = state.senderChain!.chainKey.key!;
    for (let i = 0; i < n; i++) key = nextChainKey(key);
    const chainKey = { index: state.senderChain!.chainKey.index + n, key };
    await alice.store.storeSession(
      "bob",
      record.withCurrentState(state.with({ senderChain: { ...state.senderChain!, chainKey } })),
    );
  };
  // Bob's chain is at 1 (he received counter 0): the next counter becomes 1 + 25000, the farthest allowed.
  await advance(MAX_FORWARD_JUMPS - 1);
  const farthest = await encryptMessage(alice, "bob", text("farthest allowed"));
  const before = snapshot(bob.store);
  const tooFar = await encryptMessage(alice, "bob", text("too far")); // counter 25002: 25001 ahead
  await rejects(decryptMessage(bob, "alice", tooFar.type, tooFar.ciphertext), isCode("too_far_future"));
  strictEqual(snapshot(bob.store), before, "a rejected message changes nothing");
  strictEqual(
    str(await decryptMessage(bob, "alice", farthest.type, farthest.ciphertext)),
    "farthest allowed",
  );
  const chain = bob.store.sessions.get("alice")!.currentState!.receiverChains.at(-1)!;
  strictEqual(chain.messageKeys.length, MAX_MESSAGE_KEYS);
  // The oldest skipped key (counter 1) was evicted: that message is now indistinguishable from a replay.
  await rejects(decryptMessage(bob, "alice", early.type, early.ciphertext), isCode("duplicate"));
  strictEqual(str(await decryptMessage(bob, "alice", tooFar.type, tooFar.ciphertext)), "too far");
});

Deno.test("session: the peer's chains are capped at MAX_RECEIVER_CHAINS", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const stale = await encryptMessage(alice, "bob", text("stale"));
  const kept = await encryptMessage(alice, "bob", text("kept"));
  await decryptMessage(bob, "alice", kept.type, kept.ciphertext);
  for (let turn = 0; turn < MAX_RECEIVER_CHAINS + 1; turn++) {
    const b = await encryptMessage(bob, "alice", text(`b${turn}`));
    await decryptMessage(alice, "bob", b.type, b.ciphertext);
    const a = await encryptMessage(alice, "bob", text(`a${turn}`));
    await decryptMessage(bob, "alice", a.type, a.ciphertext);
  }
  strictEqual(bob.store.sessions.get("alice")!.currentState!.receiverChains.length, MAX_RECEIVER_CHAINS);
  // Alice's first chain is gone: its skipped message no longer decrypts, and nothing is stored.
  const before = snapshot(bob.store);
  await rejects(decryptMessage(bob, "alice", stale.type, stale.ciphertext), isCode("bad_mac"));
  strictEqual(snapshot(bob.store), before);
});

Deno.test("session: encryptMessages batches loads and stores and reports per-address errors", async () => {
  const alice = await device();
  const peers = await Promise.all(Array.from({ length: 6 }, () => device()));
  for (let i = 0; i < 5; i++) await processPreKeyBundle(alice, `peer${i}`, peers[i].bundle());
  await alice.store.saveIdentity("peer4", new Uint8Array(32).fill(9)); // peer4's identity "changed"
  let batchLoads = 0, batchStores = 0;
  const store = alice.store;
  const counting = Object.create(store) as MemorySignalStore;
  counting.loadSessions = (a) => (batchLoads++, store.loadSessions(a));
  counting.storeSessions = (e) => (batchStores++, store.storeSessions(e));
  counting.loadSession = () => Promise.reject(new Error("batch path must not load one by one"));
  const ctx = { ...alice, store: counting };
  const before4 = store.sessions.get("peer4")!.serialize();
  const r = await encryptMessages(ctx, [0, 1, 2, 3, 4, 5].map((i) => [`peer${i}`, text(`to ${i}`)] as const));
  strictEqual(batchLoads, 1);
  strictEqual(batchStores, 1);
  deepStrictEqual([...r.messages.keys()].sort(), ["peer0", "peer1", "peer2", "peer3"]);
  strictEqual(r.errors.get("peer4")?.code, "untrusted_identity");
  strictEqual(r.errors.get("peer5")?.code, "no_session");
  deepStrictEqual(store.sessions.get("peer4")!.serialize(), before4);
  for (let i = 0; i < 4; i++) {
    const m = r.messages.get(`peer${i}`)!;
    strictEqual(m.type, "pkmsg");
    strictEqual(str(await decryptMessage(peers[i], "alice", m.type, m.ciphertext)), `to ${i}`);
  }
  // The batch advanced the chains exactly as single encryptions would.
  const next = await encryptMessage(alice, "peer0", text("next"));
  strictEqual(str(await decryptMessage(peers[0], "alice", next.type, next.ciphertext)), "next");
});

Deno.test("session: hasSession, no_session", async () => {
  const alice = await device(), bob = await device();
  strictEqual(await hasSession(alice, "bob"), false);
  await rejects(encryptMessage(alice, "bob", text("x")), isCode("no_session"));
  await processPreKeyBundle(alice, "bob", bob.bundle());
  strictEqual(await hasSession(alice, "bob"), true);
  const m = await encryptMessage(alice, "bob", text("x"));
  await decryptMessage(bob, "alice", m.type, m.ciphertext);
  const reply = await encryptMessage(bob, "alice", text("y"));
  await alice.store.deleteSession("bob");
  await rejects(decryptMessage(alice, "bob", reply.type, reply.ciphertext), isCode("no_session"));
  // An archived-only record cannot encrypt, but its state still decrypts (and becomes current again).
  const carol = await device(), dave = await device();
  await processPreKeyBundle(carol, "dave", dave.bundle());
  const c1 = await encryptMessage(carol, "dave", text("c1"));
  await decryptMessage(dave, "carol", c1.type, c1.ciphertext);
  const d1 = await encryptMessage(dave, "carol", text("d1"));
  await carol.store.storeSession("dave", carol.store.sessions.get("dave")!.archiveCurrentState());
  strictEqual(await hasSession(carol, "dave"), false);
  await rejects(encryptMessage(carol, "dave", text("x")), isCode("no_session"));
  strictEqual(str(await decryptMessage(carol, "dave", d1.type, d1.ciphertext)), "d1");
  strictEqual(await hasSession(carol, "dave"), true);
});
