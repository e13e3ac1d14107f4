import { assert, assertEquals, assertNotEquals, assertThrows } from "../_assert.ts";
import { Jid } from "../../src/binary/mod.ts";
import { keyPairFromPrivateKey, prefixPublicKey, xeddsaVerify } from "../../src/crypto/mod.ts";
import {
  checkDevice,
  cloneDevice,
  createDevice,
  decodeDevice,
  encodeDevice,
  isPaired,
  MAX_REGISTRATION_ID,
  StoreError,
} from "../../src/store/mod.ts";
import { fill } from "./fixtures.ts";

Deno.test("createDevice makes fresh keys, a signed prekey 1, and libsignal-range ids", () => {
  const a = createDevice(), b = createDevice();
  for (const kp of [a.noiseKey, a.identityKey, a.signedPreKey.keyPair]) {
    assertEquals([kp.publicKey.length, kp.privateKey.length], [32, 32]);
    // The public key belongs to the private key.
    assertEquals(keyPairFromPrivateKey(kp.privateKey).publicKey, kp.publicKey);
  }
  assertEquals(a.signedPreKey.keyId, 1);
  assertEquals(a.signedPreKey.signature.length, 64);
  // The identity key signs the 0x05-prefixed signed prekey public key (libsignal's signed prekey rule).
  assert(
    xeddsaVerify(
      a.identityKey.publicKey,
      prefixPublicKey(a.signedPreKey.keyPair.publicKey),
      a.signedPreKey.signature,
    ),
  );
  assertEquals(a.advSecretKey.length, 32);
  assertNotEquals(a.advSecretKey, b.advSecretKey);
  assertNotEquals(a.identityKey.privateKey, b.identityKey.privateKey);
  assertEquals(a.nextPreKeyId, 1);
  assertEquals([a.pn, a.lid, a.account], [undefined, undefined, undefined]);
  assertEquals(isPaired(a), false);
  for (let i = 0; i < 300; i++) {
    const id = createDevice().registrationId;
    assert(Number.isInteger(id) && id >= 1 && id <= MAX_REGISTRATION_ID, `registration id ${id}`);
  }
});

Deno.test("device encoding round-trips every field, paired or not", () => {
  const fresh = createDevice();
  assertEquals(encodeDevice(decodeDevice(encodeDevice(fresh))), encodeDevice(fresh));
  const d = cloneDevice(fresh);
  d.pn = Jid.parse("15551234567:12@s.whatsapp.net");
  d.lid = Jid.parse("100000012345678:12@lid");
  d.account = {
    details: fill(30, 1),
    accountSignatureKey: fill(32, 2),
    accountSignature: fill(64, 3),
    deviceSignature: fill(64, 4),
  };
  d.edgeRoutingInfo = fill(9, 9);
  d.propsHash = "h";
  d.deviceProps = { os: "x", platformType: 1, requireFullSync: true };
  const back = decodeDevice(encodeDevice(d));
  assert(isPaired(back));
  assertEquals(back.pn?.toString(), "15551234567:12@s.whatsapp.net");
  assertEquals(back.account?.accountSignature, fill(64, 3));
  assertEquals(back.deviceProps.platformType, 1);
  assertEquals(back.edgeRoutingInfo, fill(9, 9));
  assertEquals(encodeDevice(back), encodeDevice(d));
});

Deno.test("decodeDevice: garbage and wrong fields are corrupt, never defaults", () => {
  const cases: Uint8Array[] = [
    new Uint8Array([0xff, 0xfe]),
    new TextEncoder().encode("[]"),
    new TextEncoder().encode('{"format":99}'),
  ];
  const json = JSON.parse(new TextDecoder().decode(encodeDevice(createDevice())));
  const mutate = (f: (j: Record<string, unknown>) => void) => {
    const j = structuredClone(json);
    f(j);
    return new TextEncoder().encode(JSON.stringify(j));
  };
  cases.push(mutate((j) => (j.registrationId = 0)));
  cases.push(mutate((j) => (j.advSecretKey = fill(31, 0).toBase64())));
  cases.push(mutate((j) => (j.pn = "not a jid@@")));
  cases.push(mutate((j) => delete j.pushName));
  cases.push(mutate((j) => (j.deviceProps = "!!!")));
  for (const bytes of cases) {
    const e = assertThrows(() => decodeDevice(bytes, "7"), StoreError);
    assertEquals([e.kind, e.table, e.key], ["corrupt", "device", "7"]);
  }
});

Deno.test("checkDevice rejects bad input as invalid_input", () => {
  const d = createDevice();
  d.signedPreKey = { ...d.signedPreKey, signature: new Uint8Array(63) };
  const e = assertThrows(() => checkDevice(d), StoreError, "signedPreKey.signature");
  assertEquals(e.kind, "invalid_input");
  assertEquals(assertThrows(() => checkDevice(null), StoreError).kind, "invalid_input");
  const big = createDevice();
  big.nextPreKeyId = 0;
  assertThrows(() => checkDevice(big), StoreError, "nextPreKeyId");
});
