// Signal's published axolotl two-party test vectors, with every private key given, replayed byte for byte:
// signalapp/Signal-Desktop libtextsecure/test/testvectors.js at commit
// 899d75646954cac1f8039b6526c8d5df10648829 ("Standard Axolotl Test Vectors as Bob/Alice" and the shuffled
// variants built from them in the same file). Each "smsText" travels as the legacy TextSecure
// PushMessageContent { body = 1 } protobuf, padded with 0x80 and zeros to 159 bytes (the padding that
// file's harness applied), so the expected plaintext is built the same way here.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { type KeyPair, keyPairFromPrivateKey } from "../../src/crypto/mod.ts";
import {
  decryptMessage,
  encryptMessage,
  MemorySignalStore,
  PreKeyRecord,
  SessionRecord,
  type SignalContext,
  SignedPreKeyRecord,
} from "../../src/signal/mod.ts";
import { initializeAliceSession } from "../../src/signal/session_builder.ts";

const h = (s: string) => Uint8Array.fromHex(s);
const key = (s: string) => keyPairFromPrivateKey(h(s));

function textsecurePlaintext(sms: string): Uint8Array {
  const body = new TextEncoder().encode(sms);
  const content = new Uint8Array([0x0a, body.length, ...body]);
  const padded = new Uint8Array(Math.ceil((content.length + 1) / 160) * 160 - 1);
  padded.set(content);
  padded[content.length] = 0x80;
  return padded;
}

// Alice's two prekey messages ("A", "B"), Bob's replies ("C", "D") and Alice's answer ("E").
const MSG_A = h(
  "3308c08dab01122105d51a5f0d744180bf49d1b71b5d77a66db9664a4806d8470b99bed6311b7ed1681a210596857fd3566a584bb7ff0664df4d11cfdba8e1a445e0930a527b7b139c6a897322d301330a210577874cb60271862f343d52984224e2558f828f336d68bd14fa4aaf5a1692be7d1000180022a001fa2af5c8688440c0bc45121ae2f6b9c6d5b8cf00acfee0d1a45f9e7b245636e1fa63b3062e2a6a9cd8be9096c375b413f71c2bb18054738c8440d1aa52997899d8bcedee6a93f6a295bdaf488e81188a9c88c4e841eb772b3194576c52bd8ef8fcbc5c29545fa38d2213c84d088f9843307f45c3254927f97c6f0afca9737a00d09146284f8948bbe69c755e47e6e571887bf57959b228ba9c2418f7bfc780b7bf1adbffd96276f328b84c308f90af07",
);
const MSG_B = h(
  "3308c08dab01122105d51a5f0d744180bf49d1b71b5d77a66db9664a4806d8470b99bed6311b7ed1681a210596857fd3566a584bb7ff0664df4d11cfdba8e1a445e0930a527b7b139c6a897322d301330a210577874cb60271862f343d52984224e2558f828f336d68bd14fa4aaf5a1692be7d1001180022a00138b6a0e9b02bd7347e7428cc443df228b7a58a28456812d0f100985937ac08cf729f8be6a38596d3611c035352845f9732901a42e3dd4761be43d231edba5a56bcd60f3534e8872816a1c9eed4383ec0cb958ce2e66f00f8e5c90c13ebe44af5516df5cb41dfb74818795881633e19fefe562d3e89013aafba0aa672dab3e418b02f3a5c4c28d1be1a47bf3a79a95cccf071debe38a093dab22027296bfb0caa892317d15c715b8c28b84c308f90af07",
);
const MSG_C = h(
  "330a210519549798b47a051f48291f03140179329c03de0243459c5283d7b31d65b3ec661000180022a001dce182f136cc10858ecb48cd3299882de15006b179626f13d85f9353f64782df6afafefee527bab4ad7aedeb5863fdd0641d3db8bed305b4b64df6d1d39fa262058066430ea1fdd019b76cfcef4ae412214dd37f5a3e4270d48e278455fe94e2bd99940ec562703e45bbeab9a0a147e6e66af6b8188cb8bf7eaf18d601eb7637055e5528afce2e4a48ac49915a15aa23750f24644777a4c609f0f2fb4cbe93934dc8144f2ea3c888",
);
const MSG_D = h(
  "330a210519549798b47a051f48291f03140179329c03de0243459c5283d7b31d65b3ec661001180022a0014428b3743a7be1682237400d3997a6ccccc7aecbed3192d819e05b5dad8bd91d3ca1fcb39a6187a8c9fe1e0216f37aecb0178cf0f2998a1177e611f0f0ab18a1d528541eda02137a45b388377a13387e65c4bbdd468fa2da77e4de567828914225de8d27ed62e05d2da32b9ae19ac37cf903990973eef8616d58ab2b67848526244980f3827aee4e56d715500adac8f6d93fd8dd24d00a3a3e001a1f4b86049195f2d93815efd3f3",
);
const MSG_E = h(
  "330a21052f7f7ab6e0d172b8fcab6f7e4b7adef1dc25205d3642e665f11f5681798d99451000180122a001e492d8b25eaec22f39ff1c8cac2e8ac164d0ebb5894c20330e20ebce6dc58ea0469b3e0075657eebc6e04c1da3aed6d8ab7631412a017cc20bf18b433d2ead4fd40320e9093b8be5565d581fd679a3c296edeb463638353422ead082239f7047537c79a749d4949e3a21d98ec873506d27c5f1abea28d2faddd1f5d4e26c1633eaa213af5372daf8d76308097d54a97cee1164f2302784f21f6808d031a5650f8598069de06473b1",
);

/** A context whose key generation replays the vector's "newEphemeralKey" values in order. */
function scripted(identity: KeyPair, registrationId: number, keys: KeyPair[]): SignalContext & {
  store: MemorySignalStore;
} {
  return {
    store: new MemorySignalStore(),
    identity: { identityKeyPair: identity, registrationId },
    generateKeyPair: () => {
      const next = keys.shift();
      if (next === undefined) throw new Error("test vector ran out of scripted key pairs");
      return next;
    },
  };
}

type Step = ["recv", Uint8Array, "pkmsg" | "msg", string] | ["send", string, Uint8Array];

async function runAsBob(steps: Step[], ratchetKeys: string[]): Promise<void> {
  const bob = scripted(
    key("b8ee332fd87c5544ccd52afa8ce55140b25fd4ca4441a232799fe474ff4cae79"),
    42,
    ratchetKeys.map(key),
  );
  await bob.store.storeSignedPreKey(
    new SignedPreKeyRecord(
      15452175,
      key("280d9e0067b68c877c48120d400f5a16c0b3e74374149751777d1f3c49b2b355"),
      new Uint8Array(64),
      0,
    ),
  );
  await bob.store.storePreKeys([
    new PreKeyRecord(2803392, key("40a5ce4c6e21c2e686bed765c854b010117ea26fb08438994d84ffa516c7d84e")),
  ]);
  for (const step of steps) {
    if (step[0] === "recv") {
      deepStrictEqual(await decryptMessage(bob, "alice", step[2], step[1]), textsecurePlaintext(step[3]));
    } else {
      const sent = await encryptMessage(bob, "alice", textsecurePlaintext(step[1]));
      strictEqual(sent.type, "msg");
      deepStrictEqual(sent.ciphertext, step[2]);
    }
  }
  // The one-time prekey is gone once the prekey messages decrypted.
  strictEqual(bob.store.preKeys.size, 0);
}

const BOB_NEW_KEY_1 = "400146d280077821aacaed96ad75b99ab665d2530ef5c061fad0e24bac285640";
const BOB_NEW_KEY_2 = "b89a87781558e4e9d19ebefa103c1ccdb20b573678f0753500376decfa975e71";

Deno.test("axolotl vectors as Bob: prekey messages decrypt, replies are byte-identical", async () => {
  await runAsBob([
    ["recv", MSG_A, "pkmsg", "A"],
    ["recv", MSG_B, "pkmsg", "B"],
    ["send", "C", MSG_C],
    ["send", "D", MSG_D],
    ["recv", MSG_E, "msg", "E"],
  ], [BOB_NEW_KEY_1, BOB_NEW_KEY_2]);
});

Deno.test("axolotl vectors as Bob, shuffled I: the second prekey message arrives first", async () => {
  await runAsBob([
    ["recv", MSG_B, "pkmsg", "B"],
    ["recv", MSG_A, "pkmsg", "A"],
    ["send", "C", MSG_C],
    ["send", "D", MSG_D],
    ["recv", MSG_E, "msg", "E"],
  ], [BOB_NEW_KEY_1, BOB_NEW_KEY_2]);
});

Deno.test("axolotl vectors as Bob, shuffled II and III: a prekey message after Bob replied", async () => {
  await runAsBob([
    ["recv", MSG_A, "pkmsg", "A"],
    ["send", "C", MSG_C],
    ["recv", MSG_B, "pkmsg", "B"],
    ["send", "D", MSG_D],
    ["recv", MSG_E, "msg", "E"],
  ], [BOB_NEW_KEY_1, BOB_NEW_KEY_2]);
  await runAsBob([
    ["recv", MSG_A, "pkmsg", "A"],
    ["send", "C", MSG_C],
    ["send", "D", MSG_D],
    ["recv", MSG_E, "msg", "E"],
    ["recv", MSG_B, "pkmsg", "B"],
  ], [BOB_NEW_KEY_1, BOB_NEW_KEY_2]);
});

async function aliceWithSession(): Promise<ReturnType<typeof scripted>> {
  const identity = key("a0f1dcf3d76ce4b538684b3360039bfde3ce59bca74449a01276e3ec395f4060");
  const alice = scripted(identity, 9784, [
    key("d872c0de95e128656ddb3a2ac422ab9c5273415f6e55996a5dd395f915472052"),
  ]);
  const baseKeyPair = key("08474c43256fb3bde899d899c3e997b24b94839c9f55a1f55ea671e7cdc55f5c");
  // The vector's bundle has no signed prekey signature, so the session is set up below processPreKeyBundle.
  const state = initializeAliceSession({
    identityKeyPair: identity,
    baseKeyPair,
    sendingRatchetKeyPair: key("e0a18f35a04b7cfd246f72f3c7fe0fc3b000f5d11fe548e818775b7e9d93a94c"),
    theirIdentityKey: h("c7214f5c39c83ddf81c4d56e88a33285c95db5eb87eac67536003530f5d62628"),
    theirSignedPreKey: h("e59ff855c698d58a3ff0dd04a925ebe1deffe276df623ddd873fb934b7314413"),
    theirOneTimePreKey: h("a189dc5be02a35e32fafa5e8e4296ef74132e29d0033de26685f471301c80738"),
  }).with({
    pendingPreKey: {
      preKeyId: 2803392,
      signedPreKeyId: 15452175,
      baseKey: new Uint8Array([5, ...baseKeyPair.publicKey]),
      timestamp: 0n,
    },
    remoteRegistrationId: 42,
    localRegistrationId: 9784,
  });
  await alice.store.storeSession("bob", new SessionRecord(state));
  return alice;
}

Deno.test("axolotl vectors as Alice: prekey messages and the answer are byte-identical", async () => {
  const alice = await aliceWithSession();
  for (const [sms, expected] of [["A", MSG_A], ["B", MSG_B]] as const) {
    const sent = await encryptMessage(alice, "bob", textsecurePlaintext(sms));
    strictEqual(sent.type, "pkmsg");
    deepStrictEqual(sent.ciphertext, expected);
  }
  deepStrictEqual(await decryptMessage(alice, "bob", "msg", MSG_C), textsecurePlaintext("C"));
  deepStrictEqual(await decryptMessage(alice, "bob", "msg", MSG_D), textsecurePlaintext("D"));
  const e = await encryptMessage(alice, "bob", textsecurePlaintext("E"));
  strictEqual(e.type, "msg"); // Bob's reply acknowledged the session
  deepStrictEqual(e.ciphertext, MSG_E);
});

Deno.test("axolotl vectors as Alice, shuffled: Bob's replies arrive in reverse order", async () => {
  const alice = await aliceWithSession();
  await encryptMessage(alice, "bob", textsecurePlaintext("A"));
  await encryptMessage(alice, "bob", textsecurePlaintext("B"));
  deepStrictEqual(await decryptMessage(alice, "bob", "msg", MSG_D), textsecurePlaintext("D"));
  deepStrictEqual(await decryptMessage(alice, "bob", "msg", MSG_C), textsecurePlaintext("C"));
  deepStrictEqual((await encryptMessage(alice, "bob", textsecurePlaintext("E"))).ciphertext, MSG_E);
});
