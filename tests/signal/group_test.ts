// Sender-key groups between parties of this implementation: five senders with shuffled, duplicated delivery
// and restarts, key rotation, libsignal's caps (MAX_SENDER_KEY_STATES = 5, MAX_MESSAGE_KEYS = 2000,
// MAX_FORWARD_JUMPS = 25000; signalapp/libsignal rust/protocol/src/consts.rs) and the distribution message.
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  createSenderKeyDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  MemorySignalStore,
  processSenderKeyDistributionMessage,
  senderKeyName,
  SenderKeyRecord,
  SignalError,
  type SignalErrorCode,
} from "../../src/signal/mod.ts";
import { parseSenderKeyDistributionMessage } from "../../src/signal/messages.ts";
import { nextChainKey } from "../../src/signal/ratchet.ts";
import { device, prng, shuffle, snapshot, str, text } from "./helpers.ts";

const GROUP = "120363000000000002@g.us";
const isCode = (code: SignalErrorCode) => (e: unknown) => e instanceof SignalError && e.code === code;

Deno.test("group: five senders, shuffled delivery with duplicates and restarts", async () => {
  const random = prng(4242);
  const members = await Promise.all(Array.from({ length: 5 }, () => device(0)));
  const ids = members.map((_, i) => `member${i}`);
  for (let i = 0; i < 5; i++) {
    const skdm = await createSenderKeyDistributionMessage(members[i], senderKeyName(GROUP, ids[i]));
    for (let j = 0; j < 5; j++) {
      if (j !== i) {
        await processSenderKeyDistributionMessage(members[j], senderKeyName(GROUP, ids[i]), skdm);
      }
    }
  }
  let decrypted = 0, duplicates = 0;
  for (let round = 0; round < 20; round++) {
    const traffic: { from: number; body: string; ct: Uint8Array }[] = [];
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < 1 + Math.floor(random() * 15); k++) {
        const body = `${ids[i]} ${round}.${k}`;
        traffic.push({
          from: i,
          body,
          ct: await groupEncrypt(members[i], senderKeyName(GROUP, ids[i]), text(body)),
        });
      }
    }
    for (let j = 0; j < 5; j++) {
      const inbox = traffic.filter((t) => t.from !== j);
      // About one message in ten arrives twice; whichever copy comes first decrypts, the other is a duplicate.
      const deliveries = shuffle([...inbox, ...inbox.filter(() => random() < 0.1)], random);
      const seen = new Set<Uint8Array>();
      for (const t of deliveries) {
        const name = senderKeyName(GROUP, ids[t.from]);
        if (seen.has(t.ct)) {
          await rejects(groupDecrypt(members[j], name, t.ct), isCode("duplicate"));
          duplicates++;
          continue;
        }
        seen.add(t.ct);
        strictEqual(str(await groupDecrypt(members[j], name, t.ct)), t.body);
        decrypted++;
      }
    }
    // Restart someone from serialized sender-key records.
    const who = members[Math.floor(random() * 5)];
    const store = new MemorySignalStore();
    for (const [k, v] of who.store.senderKeys) {
      await store.storeSenderKey(k, SenderKeyRecord.deserialize(v.serialize()));
    }
    who.store.senderKeys.clear();
    for (const [k, v] of store.senderKeys) who.store.senderKeys.set(k, v);
  }
  strictEqual(decrypted > 1000, true);
  strictEqual(duplicates > 50, true);
});

Deno.test("group: distribution message carries the current iteration; no_sender_key without one", async () => {
  const alice = await device(0), bob = await device(0);
  const name = senderKeyName(GROUP, "alice");
  await rejects(groupEncrypt(alice, name, text("x")), isCode("no_sender_key"));
  const skdm = await createSenderKeyDistributionMessage(alice, name);
  deepStrictEqual(await createSenderKeyDistributionMessage(alice, name), skdm, "the key is created once");
  const parsed = parseSenderKeyDistributionMessage(skdm);
  strictEqual(skdm[0], 0x33);
  strictEqual(parsed.iteration, 0);
  strictEqual(parsed.keyId < 2 ** 31, true);
  const early = await groupEncrypt(alice, name, text("before bob joined"));
  await rejects(groupDecrypt(bob, name, early), isCode("no_sender_key"));
  // A member joining later gets the distribution message at the current iteration.
  const later = await createSenderKeyDistributionMessage(alice, name);
  strictEqual(parseSenderKeyDistributionMessage(later).iteration, 1);
  await processSenderKeyDistributionMessage(bob, name, later);
  await rejects(groupDecrypt(bob, name, early), isCode("duplicate")); // before his starting point
  strictEqual(str(await groupDecrypt(bob, name, await groupEncrypt(alice, name, text("now")))), "now");
});

Deno.test("group: re-processing a known distribution message does not rewind the chain", async () => {
  const alice = await device(0), bob = await device(0);
  const name = senderKeyName(GROUP, "alice");
  const skdm = await createSenderKeyDistributionMessage(alice, name);
  await processSenderKeyDistributionMessage(bob, name, skdm);
  const m = await groupEncrypt(alice, name, text("once"));
  await groupDecrypt(bob, name, m);
  await processSenderKeyDistributionMessage(bob, name, skdm);
  await rejects(groupDecrypt(bob, name, m), isCode("duplicate"));
});

Deno.test("group: rotated keys keep old states (up to five) so late messages still decrypt", async () => {
  const alice = await device(0), bob = await device(0);
  const name = senderKeyName(GROUP, "alice");
  const late: Uint8Array[] = [];
  for (let gen = 0; gen < 7; gen++) {
    alice.store.senderKeys.delete(name); // rotation: the sender forgets its key and makes a new one
    await processSenderKeyDistributionMessage(
      bob,
      name,
      await createSenderKeyDistributionMessage(alice, name),
    );
    late.push(await groupEncrypt(alice, name, text(`gen ${gen}`)));
  }
  strictEqual(bob.store.senderKeys.get(name)!.states.length, 5);
  for (let gen = 6; gen >= 2; gen--) strictEqual(str(await groupDecrypt(bob, name, late[gen])), `gen ${gen}`);
  for (const gen of [0, 1]) await rejects(groupDecrypt(bob, name, late[gen]), isCode("no_sender_key"));
});

Deno.test("group: forward jumps up to 25,000, 2,000 cached keys, too_far_future beyond", async () => {
  const alice = await device(0), bob = await device(0);
  const name = senderKeyName(GROUP, "alice");
  await processSenderKeyDistributionMessage(bob, name, await createSenderKeyDistributionMessage(alice, name));
  const first = await groupEncrypt(alice, name, text("first")); // iteration 0, held back
  // Advance Alice's chain as if she had sent 24,999 more messages (iteration 25,000 next).
  const record = alice.store.senderKeys.get(name)!;
  const state = record.states[0];
  let key = state.chainKey;
  for (let i = 0; i < 24_999; i++) key = nextChainKey(key);
  await alice.store.storeSenderKey(
    name,
    record.withUpdatedState(state.with({ iteration: 25_000, chainKey: key })),
  );
  const farthest = await groupEncrypt(alice, name, text("farthest")); // 25,000 ahead of Bob's 0
  const tooFar = await groupEncrypt(alice, name, text("too far")); // 25,001 ahead
  const before = snapshot(bob.store);
  await rejects(groupDecrypt(bob, name, tooFar), isCode("too_far_future"));
  strictEqual(snapshot(bob.store), before);
  strictEqual(str(await groupDecrypt(bob, name, farthest)), "farthest");
  strictEqual(bob.store.senderKeys.get(name)!.states[0].messageKeys.length, 2000);
  await rejects(groupDecrypt(bob, name, first), isCode("duplicate")); // its key fell out of the cache
  strictEqual(str(await groupDecrypt(bob, name, tooFar)), "too far");
});
