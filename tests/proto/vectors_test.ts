// Known answers from public sources.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { PreKeySignalMessage, SignalMessage } from "../../src/proto/mod.ts";

// Signal's axolotl two-party test vectors: signalapp/Signal-Desktop libtextsecure/test/testvectors.js at
// commit 899d75646954cac1f8039b6526c8d5df10648829 (Alice's "A" prekey message and Bob's "C"/"D" and Alice's
// "E" whisper messages). Each is a version byte (0x33) followed by the protobuf; the inner whisper message
// additionally ends with an 8-byte MAC.
const PREKEY_A =
  "3308c08dab01122105d51a5f0d744180bf49d1b71b5d77a66db9664a4806d8470b99bed6311b7ed1681a2105968" +
  "57fd3566a584bb7ff0664df4d11cfdba8e1a445e0930a527b7b139c6a897322d301330a210577874cb60271862f343d52984224e2558f" +
  "828f336d68bd14fa4aaf5a1692be7d1000180022a001fa2af5c8688440c0bc45121ae2f6b9c6d5b8cf00acfee0d1a45f9e7b245636e1fa" +
  "63b3062e2a6a9cd8be9096c375b413f71c2bb18054738c8440d1aa52997899d8bcedee6a93f6a295bdaf488e81188a9c88c4e841eb772b" +
  "3194576c52bd8ef8fcbc5c29545fa38d2213c84d088f9843307f45c3254927f97c6f0afca9737a00d09146284f8948bbe69c755e47e6e5" +
  "71887bf57959b228ba9c2418f7bfc780b7bf1adbffd96276f328b84c308f90af07";
const WHISPER_D =
  "330a210519549798b47a051f48291f03140179329c03de0243459c5283d7b31d65b3ec661001180022a0014428b3743" +
  "a7be1682237400d3997a6ccccc7aecbed3192d819e05b5dad8bd91d3ca1fcb39a6187a8c9fe1e0216f37aecb0178cf0f2998a1177e611" +
  "f0f0ab18a1d528541eda02137a45b388377a13387e65c4bbdd468fa2da77e4de567828914225de8d27ed62e05d2da32b9ae19ac37cf9039" +
  "90973eef8616d58ab2b67848526244980f3827aee4e56d715500adac8f6d93fd8dd24d00a3a3e001a1f4b86049195f2d93815efd3f3";
const WHISPER_E =
  "330a21052f7f7ab6e0d172b8fcab6f7e4b7adef1dc25205d3642e665f11f5681798d99451000180122a001e492d8b25" +
  "eaec22f39ff1c8cac2e8ac164d0ebb5894c20330e20ebce6dc58ea0469b3e0075657eebc6e04c1da3aed6d8ab7631412a017cc20bf18b" +
  "433d2ead4fd40320e9093b8be5565d581fd679a3c296edeb463638353422ead082239f7047537c79a749d4949e3a21d98ec873506d27c5" +
  "f1abea28d2faddd1f5d4e26c1633eaa213af5372daf8d76308097d54a97cee1164f2302784f21f6808d031a5650f8598069de06473b1";

Deno.test("PreKeySignalMessage: Signal test vector decodes to the published ids and re-encodes identically", () => {
  const whole = Uint8Array.fromHex(PREKEY_A);
  strictEqual(whole[0], 0x33);
  const body = whole.subarray(1);
  const m = PreKeySignalMessage.decode(body);
  // preKeyId, signedPreKeyId and registrationId are given beside the vector in the source file.
  strictEqual(m.preKeyId, 2803392);
  strictEqual(m.signedPreKeyId, 15452175);
  strictEqual(m.registrationId, 9784);
  strictEqual(m.baseKey?.length, 33);
  strictEqual(m.baseKey?.[0], 0x05);
  strictEqual(m.identityKey?.length, 33);
  strictEqual(m.$unknown, undefined);
  deepStrictEqual(PreKeySignalMessage.encode(m), body);

  const inner = m.message!;
  strictEqual(inner[0], 0x33);
  const sm = SignalMessage.decode(inner.subarray(1, inner.length - 8));
  strictEqual(sm.counter, 0);
  strictEqual(sm.previousCounter, 0);
  strictEqual(sm.ratchetKey?.length, 33);
  strictEqual(sm.ciphertext?.length, 160);
  deepStrictEqual(SignalMessage.encode(sm), inner.subarray(1, inner.length - 8));
});

Deno.test("SignalMessage: Signal test vectors carry the expected counters", () => {
  for (const [hex, counter, previousCounter] of [[WHISPER_D, 1, 0], [WHISPER_E, 0, 1]] as const) {
    const whole = Uint8Array.fromHex(hex);
    const body = whole.subarray(1, whole.length - 8);
    const sm = SignalMessage.decode(body);
    strictEqual(sm.counter, counter);
    strictEqual(sm.previousCounter, previousCounter);
    strictEqual(sm.ratchetKey?.[0], 0x05);
    deepStrictEqual(SignalMessage.encode(sm), body);
  }
});
