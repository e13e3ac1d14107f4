// Every tampering case is rejected with its specific SignalError code and leaves every stored record, key
// and identity exactly as it was (compared as serialized bytes before and after), and the untampered message
// still decrypts afterwards.
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  createSenderKeyDistributionMessage,
  decryptMessage,
  encryptMessage,
  groupDecrypt,
  groupEncrypt,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  senderKeyName,
  SignalError,
  type SignalErrorCode,
} from "../../src/signal/mod.ts";
import { type Device, device, snapshot, str, text } from "./helpers.ts";

/** Asserts `attempt` fails with one of `codes` and changes nothing in `victim`'s store. */
async function rejectedUnchanged(
  victim: Device,
  attempt: () => Promise<unknown>,
  ...codes: SignalErrorCode[]
) {
  const before = snapshot(victim.store);
  await rejects(attempt, (e) => {
    if (!(e instanceof SignalError)) throw e;
    if (!codes.includes(e.code)) {
      throw new Error(`expected ${codes.join(" or ")}, got ${e.code}: ${e.message}`);
    }
    return true;
  });
  strictEqual(snapshot(victim.store), before, "a rejected message must not change stored state");
}

/** Alice and Bob with an acknowledged session and one message each way already exchanged. */
async function established() {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const hello = await encryptMessage(alice, "bob", text("hello"));
  await decryptMessage(bob, "alice", hello.type, hello.ciphertext);
  const reply = await encryptMessage(bob, "alice", text("reply"));
  await decryptMessage(alice, "bob", reply.type, reply.ciphertext);
  return { alice, bob };
}

const flip = (bytes: Uint8Array, index: number, mask = 1) => {
  const copy = bytes.slice();
  copy[index] ^= mask;
  return copy;
};

Deno.test("tamper: every single-bit flip of a SignalMessage is rejected without a state change", async () => {
  const { alice, bob } = await established();
  // A message that also ratchets (Bob's next chain is new to Alice), the most state a decrypt can touch.
  const m = await encryptMessage(alice, "bob", text("the message"));
  strictEqual(m.type, "msg");
  for (let i = 0; i < m.ciphertext.length; i++) {
    for (const mask of [0x01, 0x80]) {
      // Depending on the byte: the MAC, the protobuf framing, the key's type byte, or the version nibble.
      await rejectedUnchanged(
        bob,
        () => decryptMessage(bob, "alice", "msg", flip(m.ciphertext, i, mask)),
        "bad_mac",
        "invalid_message",
        "invalid_key",
        "invalid_version",
      );
    }
  }
  strictEqual(str(await decryptMessage(bob, "alice", "msg", m.ciphertext)), "the message");
});

Deno.test("tamper: body, MAC and version byte give bad_mac / invalid_version exactly", async () => {
  const { alice, bob } = await established();
  const m = (await encryptMessage(alice, "bob", text("payload"))).ciphertext;
  const n = m.length;
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "msg", flip(m, n - 20)), "bad_mac"); // ciphertext
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "msg", flip(m, n - 1)), "bad_mac"); // MAC
  await rejectedUnchanged(
    bob,
    () => decryptMessage(bob, "alice", "msg", flip(m, 0, 0x10)),
    "invalid_version",
  );
  // The low nibble is not checked (as in libsignal) but the MAC covers the version byte.
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "msg", flip(m, 0, 0x01)), "bad_mac");
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "msg", flip(m, 4)), "bad_mac"); // ratchet key
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "msg", flip(m, 3, 0x04)), "invalid_key"); // 0x05
  strictEqual(str(await decryptMessage(bob, "alice", "msg", m)), "payload");
});

Deno.test("tamper: truncated messages are rejected at every length", async () => {
  const { alice, bob } = await established();
  const m = (await encryptMessage(alice, "bob", text("truncate me"))).ciphertext;
  for (let len = 0; len < m.length; len++) {
    const codes: SignalErrorCode[] = len < 9
      ? ["invalid_message", "invalid_version"]
      : ["invalid_message", "bad_mac", "invalid_key"];
    await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "msg", m.subarray(0, len)), ...codes);
  }
  strictEqual(str(await decryptMessage(bob, "alice", "msg", m)), "truncate me");
  const first = await device(), target = await device();
  await processPreKeyBundle(first, "target", target.bundle());
  const pk = (await encryptMessage(first, "target", text("prekey"))).ciphertext;
  for (let len = 0; len < pk.length; len += 3) {
    await rejectedUnchanged(
      target,
      () => decryptMessage(target, "first", "pkmsg", pk.subarray(0, len)),
      "invalid_message",
      "invalid_version",
      "invalid_key",
      "bad_mac",
      "invalid_prekey_id",
      "invalid_signed_prekey_id",
    );
  }
  strictEqual(str(await decryptMessage(target, "first", "pkmsg", pk)), "prekey");
});

Deno.test("tamper: every bit flip of a PreKeySignalMessage is rejected and consumes no prekey", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const m = (await encryptMessage(alice, "bob", text("first contact"))).ciphertext;
  // libsignal authenticates neither the outer version byte's low nibble nor the registrationId field (5): the
  // MAC covers only the inner SignalMessage and X3DH binds the keys. Those bits are skipped; every other bit is
  // bound by the MAC, the X3DH secret or a prekey lookup.
  const reg = alice.identity.registrationId;
  const regField = [0x28, ...(reg < 128 ? [reg] : [(reg & 0x7f) | 0x80, reg >> 7])];
  const regAt = m.findLastIndex((_, i) => regField.every((b, j) => m[i + j] === b));
  strictEqual(regAt > 0, true);
  const unauthenticated = new Set([0, ...regField.keys().map((j) => regAt + j)]);
  for (let i = 0; i < m.length; i++) {
    if (unauthenticated.has(i)) continue;
    await rejectedUnchanged(
      bob,
      () => decryptMessage(bob, "alice", "pkmsg", flip(m, i)),
      "bad_mac",
      "invalid_message",
      "invalid_key",
      "invalid_version",
      "invalid_prekey_id",
      "invalid_signed_prekey_id",
    );
  }
  strictEqual(str(await decryptMessage(bob, "alice", "pkmsg", m)), "first contact");
});

Deno.test("tamper: a message for someone else (wrong identity) fails with bad_mac", async () => {
  const { alice, bob } = await established();
  // Carol has a session with Alice under the same address name Bob uses; Bob's message is not hers.
  const carol = await device();
  await processPreKeyBundle(carol, "alice", alice.bundle());
  const toBob = await encryptMessage(alice, "bob", text("for bob"));
  await rejectedUnchanged(carol, () => decryptMessage(carol, "alice", "msg", toBob.ciphertext), "bad_mac");
  strictEqual(str(await decryptMessage(bob, "alice", "msg", toBob.ciphertext)), "for bob");
});

Deno.test("tamper: replayed prekey message after its prekey is consumed", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const m = await encryptMessage(alice, "bob", text("once"));
  await decryptMessage(bob, "alice", m.type, m.ciphertext);
  strictEqual(bob.store.preKeys.size, bob.preKeys.length - 1);
  // Session still there: the replay matches it by base key and is a duplicate.
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", m.type, m.ciphertext), "duplicate");
  // Session gone: the replay needs the consumed one-time prekey.
  await bob.store.deleteSession("alice");
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", m.type, m.ciphertext), "invalid_prekey_id");
  // A signed prekey the device never had.
  const other = await device();
  await processPreKeyBundle(other, "bob", {
    ...bob.bundle(),
    signedPreKey: { ...bob.bundle(false).signedPreKey, keyId: 99 },
  });
  const wrongSigned = await encryptMessage(other, "bob", text("x"));
  await rejectedUnchanged(
    bob,
    () => decryptMessage(bob, "other", "pkmsg", wrongSigned.ciphertext),
    "invalid_signed_prekey_id",
  );
});

Deno.test("tamper: a changed identity is untrusted on bundle and on prekey message, until saved", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const m = await encryptMessage(alice, "bob", text("hi"));
  await decryptMessage(bob, "alice", m.type, m.ciphertext);
  // Alice reinstalls: new identity, same address.
  const alice2 = await device();
  await processPreKeyBundle(alice2, "bob", bob.bundle());
  const m2 = await encryptMessage(alice2, "bob", text("new me"));
  const before = snapshot(bob.store);
  const err = await decryptMessage(bob, "alice", m2.type, m2.ciphertext).catch((e) => e);
  strictEqual(err instanceof SignalError && err.code, "untrusted_identity");
  strictEqual(err.address, "alice");
  deepStrictEqual(err.identityKey, alice2.identity.identityKeyPair.publicKey);
  strictEqual(snapshot(bob.store), before, "nothing stored, the prekey is not consumed");
  // The client accepts the new key explicitly, and the same message then decrypts.
  await bob.store.saveIdentity("alice", err.identityKey);
  strictEqual(str(await decryptMessage(bob, "alice", m2.type, m2.ciphertext)), "new me");

  // The bundle path: Bob still knows Alice's new key; a bundle with yet another key is refused.
  const alice3 = await device();
  const bundle = alice3.bundle();
  await rejectedUnchanged(bob, () => processPreKeyBundle(bob, "alice", bundle), "untrusted_identity");
  // And encrypting on a session whose identity no longer matches the stored one is refused too.
  await bob.store.saveIdentity("alice", alice3.identity.identityKeyPair.publicKey);
  await rejectedUnchanged(bob, () => encryptMessage(bob, "alice", text("x")), "untrusted_identity");
  await processPreKeyBundle(bob, "alice", bundle);
});

Deno.test("tamper: bundle signature tampering is invalid_signature", async () => {
  const alice = await device(), bob = await device();
  const bundle = bob.bundle();
  const signature = flip(bundle.signedPreKey.signature, 10);
  await rejectedUnchanged(
    alice,
    () =>
      processPreKeyBundle(alice, "bob", { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature } }),
    "invalid_signature",
  );
  const otherKey = (await device()).signedPreKey.publicKey;
  await rejectedUnchanged(
    alice,
    () =>
      processPreKeyBundle(alice, "bob", {
        ...bundle,
        signedPreKey: { ...bundle.signedPreKey, publicKey: otherKey },
      }),
    "invalid_signature",
  );
  await rejectedUnchanged(
    alice,
    () => processPreKeyBundle(alice, "bob", { ...bundle, identityKey: new Uint8Array(31) }),
    "invalid_key",
  );
  await processPreKeyBundle(alice, "bob", bundle);
});

Deno.test("tamper: sender-key messages (signature, body, version, truncation, unknown key id)", async () => {
  const alice = await device(), bob = await device();
  const name = senderKeyName("g@g.us", "alice");
  await processSenderKeyDistributionMessage(bob, name, await createSenderKeyDistributionMessage(alice, name));
  const m = await groupEncrypt(alice, name, text("group secret"));
  const n = m.length;
  await rejectedUnchanged(bob, () => groupDecrypt(bob, name, flip(m, n - 1)), "invalid_signature");
  await rejectedUnchanged(bob, () => groupDecrypt(bob, name, flip(m, n - 70)), "invalid_signature"); // body
  await rejectedUnchanged(bob, () => groupDecrypt(bob, name, flip(m, 0, 0x10)), "invalid_version");
  for (let len = 0; len < n; len += 5) {
    await rejectedUnchanged(
      bob,
      () => groupDecrypt(bob, name, m.subarray(0, len)),
      "invalid_message",
      "invalid_version",
      "invalid_signature",
      "no_sender_key",
    );
  }
  for (let i = 0; i < n; i++) {
    await rejectedUnchanged(
      bob,
      () => groupDecrypt(bob, name, flip(m, i)),
      "invalid_signature",
      "invalid_message",
      "invalid_version",
      "no_sender_key",
    );
  }
  await rejectedUnchanged(
    bob,
    () => groupDecrypt(bob, senderKeyName("g@g.us", "mallory"), m),
    "no_sender_key",
  );
  strictEqual(str(await groupDecrypt(bob, name, m)), "group secret");
  await rejectedUnchanged(bob, () => groupDecrypt(bob, name, m), "duplicate");
});

Deno.test("tamper: a repeated prekey message must carry the identity of the session it names", async () => {
  const alice = await device(), bob = await device();
  await processPreKeyBundle(alice, "bob", bob.bundle());
  const first = await encryptMessage(alice, "bob", text("1"));
  const second = await encryptMessage(alice, "bob", text("2"));
  await decryptMessage(bob, "alice", first.type, first.ciphertext);
  // The identity key field (3) holds 33 bytes after its tag and length: 0x1a 0x21 0x05 ...
  const at = second.ciphertext.findIndex((b, i) => b === 0x1a && second.ciphertext[i + 1] === 0x21) + 3;
  const forged = flip(second.ciphertext, at + 5);
  // With the real identity stored, the forged one is simply untrusted...
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "pkmsg", forged), "untrusted_identity");
  // ...and without a stored identity it still cannot slip in beside the session it names.
  bob.store.identities.delete("alice");
  await rejectedUnchanged(bob, () => decryptMessage(bob, "alice", "pkmsg", forged), "invalid_message");
  strictEqual(str(await decryptMessage(bob, "alice", "pkmsg", second.ciphertext)), "2");
});
