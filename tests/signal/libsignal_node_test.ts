// Cross-implementation: sessions between this layer and libsignal-node (npm:libsignal@6.0.0, the libsignal
// fork Baileys and thus many WhatsApp clients run), in both directions. Each conversation has prekey
// messages, several ratchet turns, and every batch delivered in a seeded random order (gaps stay below
// libsignal-node's own 2,000-message limit).
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  decryptMessage,
  encryptMessage,
  processPreKeyBundle,
  SessionRecord,
  sessionRecordFromLibsignalNode,
  type SignalContext,
  SignalError,
} from "../../src/signal/mod.ts";
import {
  device,
  LibsignalDevice,
  type LibsignalSessionRecord,
  prng,
  quietly,
  shuffle,
  str,
  text,
} from "./helpers.ts";

interface Party {
  name: string;
  encrypt(plaintext: Uint8Array): Promise<{ type: "pkmsg" | "msg"; ciphertext: Uint8Array }>;
  decrypt(type: "pkmsg" | "msg", ciphertext: Uint8Array): Promise<Uint8Array>;
}

function ours(ctx: SignalContext, peer: string, name: string): Party {
  return {
    name,
    encrypt: (p) => encryptMessage(ctx, peer, p),
    decrypt: (t, c) => decryptMessage(ctx, peer, t, c),
  };
}

function theirs(dev: LibsignalDevice, peer: string, name: string): Party {
  return { name, encrypt: (p) => dev.encrypt(peer, p), decrypt: (t, c) => dev.decrypt(peer, t, c) };
}

/**
 * Alternating batches from `initiator` and `responder`; each batch is delivered shuffled, and `first`
 * messages of the initiator are all prekey messages (the session is unacknowledged until the reply).
 */
async function converse(
  initiator: Party,
  responder: Party,
  seed: number,
  rounds = 12,
  fresh = true,
): Promise<number> {
  const random = prng(seed);
  let delivered = 0;
  for (let round = 0; round < rounds; round++) {
    const [from, to] = round % 2 === 0 ? [initiator, responder] : [responder, initiator];
    const size = 1 + Math.floor(random() * 40);
    const batch = [];
    for (let i = 0; i < size; i++) {
      const body = `${from.name} r${round} m${i} ${"x".repeat(Math.floor(random() * 300))}`;
      batch.push({ body, ...(await from.encrypt(text(body))) });
    }
    if (fresh && round === 0) {
      for (const m of batch) strictEqual(m.type, "pkmsg", "unacknowledged session sends pkmsg");
    }
    if (!fresh || round >= 2) {
      for (const m of batch) strictEqual(m.type, "msg", "acknowledged session sends msg");
    }
    for (const m of shuffle(batch, random)) {
      strictEqual(str(await to.decrypt(m.type, m.ciphertext)), m.body);
      delivered++;
    }
  }
  return delivered;
}

Deno.test("libsignal-node: ours as initiator, libsignal-node as responder", async () => {
  await quietly(async () => {
    const alice = await device();
    const bob = new LibsignalDevice();
    await processPreKeyBundle(alice, "bob.1", bob.bundle());
    const n = await converse(ours(alice, "bob.1", "alice"), theirs(bob, "alice.1", "bob"), 1);
    strictEqual(n > 100, true);
    strictEqual(bob.preKeys.size, 0, "libsignal-node consumed the prekey our session used");
  });
});

Deno.test("libsignal-node: libsignal-node as initiator, ours as responder", async () => {
  await quietly(async () => {
    const alice = new LibsignalDevice();
    const bob = await device();
    await alice.processBundle("bob.1", bob.bundle());
    const before = bob.store.preKeys.size;
    await converse(theirs(alice, "bob.1", "alice"), ours(bob, "alice.1", "bob"), 2);
    strictEqual(bob.store.preKeys.size, before - 1, "our prekey removed once its message decrypted");
    deepStrictEqual(bob.store.identities.get("alice.1"), new Uint8Array(alice.identity.pubKey.subarray(1)));
  });
});

Deno.test("libsignal-node: bundle without one-time prekey, both directions", async () => {
  await quietly(async () => {
    const alice = await device();
    const bob = new LibsignalDevice();
    const { preKey: _, ...noPreKey } = bob.bundle();
    await processPreKeyBundle(alice, "bob.1", noPreKey);
    await converse(ours(alice, "bob.1", "alice"), theirs(bob, "alice.1", "bob"), 3, 4);

    const carol = new LibsignalDevice();
    const dave = await device();
    await carol.processBundle("dave.1", dave.bundle(false));
    await converse(theirs(carol, "dave.1", "carol"), ours(dave, "carol.1", "dave"), 4, 4);
  });
});

Deno.test("libsignal-node: a new session from libsignal-node replaces ours, old messages still decrypt", async () => {
  await quietly(async () => {
    const alice = new LibsignalDevice();
    const bob = await device();
    await alice.processBundle("bob.1", bob.bundle());
    const a = ours(bob, "alice.1", "bob"), l = theirs(alice, "bob.1", "alice");
    await converse(l, a, 5, 3);
    const late = await alice.encrypt("bob.1", text("sent on the old session"));
    // Alice starts over (e.g. reinstalled app state): a second prekey bundle, a second session.
    await alice.processBundle("bob.1", bob.bundle());
    const fresh = await alice.encrypt("bob.1", text("new session"));
    strictEqual(fresh.type, "pkmsg");
    strictEqual(str(await decryptMessage(bob, "alice.1", fresh.type, fresh.ciphertext)), "new session");
    strictEqual(bob.store.sessions.get("alice.1")!.previousStateCount, 1);
    // The late message of the archived session decrypts with the previous state, which becomes current.
    strictEqual(
      str(await decryptMessage(bob, "alice.1", late.type, late.ciphertext)),
      "sent on the old session",
    );
    await rejects(
      decryptMessage(bob, "alice.1", late.type, late.ciphertext),
      (e) => e instanceof SignalError && e.code === "duplicate",
    );
  });
});

Deno.test("libsignal-node: a libsignal-node session record converts and the conversation continues", async () => {
  await quietly(async () => {
    const alice = new LibsignalDevice(), bob = new LibsignalDevice();
    await alice.processBundle("bob.1", {
      ...bob.bundle(),
      identityKey: bob.identity.pubKey.subarray(1),
      signedPreKey: {
        keyId: 7,
        publicKey: bob.signed.keyPair.pubKey.subarray(1),
        signature: bob.signed.signature,
      },
      preKey: undefined,
    });
    // Both sides libsignal-node first, with skipped keys left behind on each side.
    const l2l = await converse(theirs(alice, "bob.1", "alice"), theirs(bob, "alice.1", "bob"), 6, 5);
    strictEqual(l2l > 0, true);
    const skipped = await alice.encrypt("bob.1", text("skipped, delivered after the import"));

    // Bob moves to this library: his libsignal-node record becomes ours (through JSON, as Baileys stores it).
    const json = JSON.parse(
      JSON.stringify((bob.sessions.get("alice.1") as LibsignalSessionRecord).serialize()),
    );
    const converted = sessionRecordFromLibsignalNode(json, {
      identityPublicKey: bob.identity.pubKey.subarray(1),
      registrationId: bob.registrationId,
    });
    strictEqual(converted.remoteRegistrationId, alice.registrationId);
    const ourBob = await device(0);
    const bobCtx = {
      store: ourBob.store,
      identity: {
        identityKeyPair: {
          publicKey: new Uint8Array(bob.identity.pubKey.subarray(1)),
          privateKey: new Uint8Array(bob.identity.privKey),
        },
        registrationId: bob.registrationId,
      },
    };
    // The converted record also survives our own serialization.
    await ourBob.store.storeSession("alice.1", SessionRecord.deserialize(converted.serialize()));
    await converse(theirs(alice, "bob.1", "alice"), ours(bobCtx, "alice.1", "bob"), 7, 6, false);
    strictEqual(
      str(await decryptMessage(bobCtx, "alice.1", skipped.type, skipped.ciphertext)),
      "skipped, delivered after the import",
    );
  });
});

Deno.test("libsignal-node: the initiator's libsignal-node record converts and keeps talking to libsignal-node", async () => {
  await quietly(async () => {
    const alice = new LibsignalDevice(), bob = new LibsignalDevice();
    const { preKey: _, ...bundle } = bob.bundle();
    await alice.processBundle("bob.1", {
      ...bundle,
      identityKey: bob.identity.pubKey.subarray(1),
      signedPreKey: {
        keyId: 7,
        publicKey: bob.signed.keyPair.pubKey.subarray(1),
        signature: bob.signed.signature,
      },
    });
    await converse(theirs(alice, "bob.1", "alice"), theirs(bob, "alice.1", "bob"), 9, 4);
    const pending = await bob.encrypt("alice.1", text("in flight during the move"));
    const json = JSON.parse(
      JSON.stringify((alice.sessions.get("bob.1") as LibsignalSessionRecord).serialize()),
    );
    const aliceCtx = {
      store: (await device(0)).store,
      identity: {
        identityKeyPair: {
          publicKey: new Uint8Array(alice.identity.pubKey.subarray(1)),
          privateKey: new Uint8Array(alice.identity.privKey),
        },
        registrationId: alice.registrationId,
      },
    };
    await aliceCtx.store.storeSession(
      "bob.1",
      sessionRecordFromLibsignalNode(json, {
        identityPublicKey: aliceCtx.identity.identityKeyPair.publicKey,
        registrationId: alice.registrationId,
      }),
    );
    strictEqual(
      str(await decryptMessage(aliceCtx, "bob.1", pending.type, pending.ciphertext)),
      "in flight during the move",
    );
    await converse(ours(aliceCtx, "bob.1", "alice"), theirs(bob, "alice.1", "bob"), 10, 6, false);
  });
});

Deno.test("libsignal-node: an unacknowledged libsignal-node session converts with its pending prekey", async () => {
  await quietly(async () => {
    const alice = new LibsignalDevice();
    const bob = await device();
    await alice.processBundle("bob.1", bob.bundle());
    const first = await alice.encrypt("bob.1", text("first"));
    const json = JSON.parse(
      JSON.stringify((alice.sessions.get("bob.1") as LibsignalSessionRecord).serialize()),
    );
    const converted = sessionRecordFromLibsignalNode(json, {
      identityPublicKey: alice.identity.pubKey.subarray(1),
      registrationId: alice.registrationId,
    });
    strictEqual(converted.isUnacknowledged, true);
    const aliceCtx = {
      store: (await device(0)).store,
      identity: {
        identityKeyPair: {
          publicKey: new Uint8Array(alice.identity.pubKey.subarray(1)),
          privateKey: new Uint8Array(alice.identity.privKey),
        },
        registrationId: alice.registrationId,
      },
    };
    await aliceCtx.store.storeSession("bob.1", converted);
    const second = await encryptMessage(aliceCtx, "bob.1", text("second"));
    strictEqual(second.type, "pkmsg");
    strictEqual(str(await decryptMessage(bob, "alice.1", "pkmsg", second.ciphertext)), "second");
    strictEqual(str(await decryptMessage(bob, "alice.1", "pkmsg", first.ciphertext)), "first");
  });
});
