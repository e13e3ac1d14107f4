// Cross-implementation for sender keys: this layer against Baileys' group cipher (npm:baileys@7.0.0-rc14,
// lib/Signal/Group/*, the code WhatsApp Web clones run), in both directions and in a mixed group.
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord as BaileysSenderKeyRecord,
} from "npm:/baileys@7.0.0-rc14/lib/Signal/Group/index.js";
import {
  createSenderKeyDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
  senderKeyName,
  SignalError,
} from "../../src/signal/mod.ts";
import { device, prng, shuffle, str, text } from "./helpers.ts";

const GROUP = "120363000000000001@g.us";

interface Member {
  readonly id: string;
  /** Our own distribution message for the group. */
  distribution(): Promise<Uint8Array>;
  /** Accepts another member's distribution message. */
  accept(from: string, skdm: Uint8Array): Promise<void>;
  encrypt(plaintext: Uint8Array): Promise<Uint8Array>;
  decrypt(from: string, ciphertext: Uint8Array): Promise<Uint8Array>;
}

async function ourMember(id: string): Promise<Member> {
  const ctx = await device(0);
  return {
    id,
    distribution: () => createSenderKeyDistributionMessage(ctx, senderKeyName(GROUP, id)),
    accept: (from, skdm) => processSenderKeyDistributionMessage(ctx, senderKeyName(GROUP, from), skdm),
    encrypt: (p) => groupEncrypt(ctx, senderKeyName(GROUP, id), p),
    decrypt: (from, c) => groupDecrypt(ctx, senderKeyName(GROUP, from), c),
  };
}

function baileysMember(id: string): Member {
  // Baileys' store interface: loadSenderKey returns a record (empty when none), storeSenderKey keeps it.
  const records = new Map<string, BaileysSenderKeyRecord>();
  const store = {
    loadSenderKey: (name: SenderKeyName) =>
      Promise.resolve(records.get(name.toString()) ?? new BaileysSenderKeyRecord()),
    storeSenderKey: (name: SenderKeyName, record: BaileysSenderKeyRecord) => {
      records.set(name.toString(), record);
      return Promise.resolve();
    },
  };
  const nameOf = (sender: string) =>
    new SenderKeyName(GROUP, { id: sender, deviceId: 0, toString: () => `${sender}.0` });
  return {
    id,
    distribution: async () =>
      new Uint8Array((await new GroupSessionBuilder(store).create(nameOf(id))).serialize()),
    accept: async (from, skdm) => {
      const message = new SenderKeyDistributionMessage(null, null, null, null, Buffer.from(skdm));
      await new GroupSessionBuilder(store).process(nameOf(from), message);
    },
    encrypt: async (p) => new Uint8Array(await new GroupCipher(store, nameOf(id)).encrypt(Buffer.from(p))),
    decrypt: async (from, c) =>
      new Uint8Array(await new GroupCipher(store, nameOf(from)).decrypt(Buffer.from(c))),
  };
}

/** Everyone distributes to everyone, then each member sends batches the others decrypt shuffled. */
async function runGroup(members: Member[], seed: number, rounds = 3): Promise<number> {
  const random = prng(seed);
  for (const m of members) {
    const skdm = await m.distribution();
    for (const other of members) if (other !== m) await other.accept(m.id, skdm);
  }
  let decrypted = 0;
  for (let round = 0; round < rounds; round++) {
    for (const sender of members) {
      const batch: { body: string; ct: Uint8Array }[] = [];
      const size = 1 + Math.floor(random() * 10);
      for (let i = 0; i < size; i++) {
        const body = `${sender.id} r${round} m${i} ${"y".repeat(Math.floor(random() * 200))}`;
        batch.push({ body, ct: await sender.encrypt(text(body)) });
      }
      for (const receiver of members) {
        if (receiver === sender) continue;
        for (const m of shuffle(batch.slice(), random)) {
          strictEqual(str(await receiver.decrypt(sender.id, m.ct)), m.body);
          decrypted++;
        }
      }
    }
  }
  return decrypted;
}

Deno.test("Baileys group cipher: our sender, Baileys receivers", async () => {
  const n = await runGroup([await ourMember("alice"), baileysMember("bob"), baileysMember("carol")], 11);
  strictEqual(n > 0, true);
});

Deno.test("Baileys group cipher: Baileys sender, our receivers", async () => {
  await runGroup([baileysMember("alice"), await ourMember("bob"), await ourMember("carol")], 12);
});

Deno.test("Baileys group cipher: mixed group of five, everyone sends, shuffled delivery", async () => {
  const members = [
    await ourMember("m1"),
    baileysMember("m2"),
    await ourMember("m3"),
    baileysMember("m4"),
    await ourMember("m5"),
  ];
  await runGroup(members, 13, 2);
});

Deno.test("Baileys group cipher: Baileys rejects our message with a tampered signature, as we reject its", async () => {
  const ours = await ourMember("alice"), theirs = baileysMember("bob");
  await theirs.accept("alice", await ours.distribution());
  await ours.accept("bob", await theirs.distribution());
  const mine = await ours.encrypt(text("signed"));
  mine[mine.length - 1] ^= 1;
  await rejects(theirs.decrypt("alice", mine), /Invalid signature/);
  const other = await theirs.encrypt(text("signed"));
  other[other.length - 1] ^= 1;
  await rejects(
    ours.decrypt("bob", other),
    (e) => e instanceof SignalError && e.code === "invalid_signature",
  );
  // Untampered copies still decrypt (nothing was stored by the failures).
  other[other.length - 1] ^= 1;
  deepStrictEqual(str(await ours.decrypt("bob", other)), "signed");
});
