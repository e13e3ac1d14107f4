import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { generateKeyPair, hmacSha256, randomBytes, xeddsaSign } from "../../src/crypto/mod.ts";
import { ADVSignedDeviceIdentity, ADVSignedDeviceIdentityHMAC } from "../../src/proto/mod.ts";
import {
  buildCompanionKeyBundle,
  generatePairCode,
  makeQrData,
  normalizePairCode,
  normalizePhoneNumber,
  openCompanionKeyBundle,
  PAIR_CODE_ALPHABET,
  PairCodeError,
  PairError,
  parseQrData,
  signCompanion,
  unwrapWithPairCode,
  verifyAndSignPairing,
  verifyDeviceSignature,
  wrapWithPairCode,
} from "../../src/client/pair_crypto.ts";

Deno.test("QR data: current 5-field format with the deep-link prefix round-trips; 4-field bare form parses", () => {
  const data = {
    ref: "2@AbC/dEf+==",
    noisePublicKey: randomBytes(32),
    identityPublicKey: randomBytes(32),
    advSecret: randomBytes(32),
    clientType: "9",
  };
  const qr = makeQrData(data);
  assert(qr.startsWith("https://wa.me/settings/linked_devices#2@AbC/dEf+==,"));
  assertEquals(parseQrData(qr), data);
  const bare = qr.slice("https://wa.me/settings/linked_devices#".length).split(",").slice(0, 4).join(",");
  assertEquals(parseQrData(bare), { ...data, clientType: undefined });
  assertThrows(() => parseQrData("a,b,c"), PairError, "4 or 5");
  assertThrows(() => parseQrData(`r,${randomBytes(31).toBase64()},x,y`), PairError);
});

Deno.test("ADV: a phone-signed identity verifies, is countersigned, and the server accepts the device signature", () => {
  const phone = generateKeyPair();
  const companion = generateKeyPair();
  const advSecret = randomBytes(32);
  const container = signCompanion({
    primaryIdentity: phone,
    companionIdentityKey: companion.publicKey,
    advSecret,
    keyIndex: 3,
  });
  const verified = verifyAndSignPairing(container, advSecret, companion);
  assertEquals(verified.details.keyIndex, 3);
  assertEquals(verified.primaryIdentityKey, phone.publicKey);
  const sent = ADVSignedDeviceIdentity.decode(verified.selfSigned);
  assertEquals(sent.accountSignatureKey, undefined, "the key is cleared before sending back");
  const checked = verifyDeviceSignature(verified.selfSigned, companion.publicKey, phone.publicKey);
  assertEquals(checked.details, verified.account.details);
  // A different companion key does not verify the device signature.
  assertThrows(
    () => verifyDeviceSignature(verified.selfSigned, generateKeyPair().publicKey, phone.publicKey),
    PairError,
  );
});

Deno.test("ADV: wrong ADV secret -> 401 hmac-mismatch; forged account signature -> 401 signature-mismatch", () => {
  const phone = generateKeyPair();
  const companion = generateKeyPair();
  const advSecret = randomBytes(32);
  const container = signCompanion({
    primaryIdentity: phone,
    companionIdentityKey: companion.publicKey,
    advSecret,
    keyIndex: 1,
  });
  const e1 = assertThrows(() => verifyAndSignPairing(container, randomBytes(32), companion), PairError);
  assertEquals([e1.status, e1.text, e1.code], [401, "hmac-mismatch", "hmac_mismatch"]);

  // Forge: re-sign the details with a key that is not the one announced as account key.
  const decoded = ADVSignedDeviceIdentityHMAC.decode(container);
  const signed = ADVSignedDeviceIdentity.decode(decoded.details!);
  const forged = ADVSignedDeviceIdentity.encode({
    ...signed,
    accountSignature: xeddsaSign(
      generateKeyPair().privateKey,
      new Uint8Array([6, 0, ...signed.details!, ...companion.publicKey]),
    ),
  });
  const forgedContainer = ADVSignedDeviceIdentityHMAC.encode({
    details: forged,
    hmac: hmacSha256(advSecret, forged),
  });
  const e2 = assertThrows(() => verifyAndSignPairing(forgedContainer, advSecret, companion), PairError);
  assertEquals([e2.status, e2.text, e2.code], [401, "signature-mismatch", "signature_mismatch"]);
  // Signed over a different companion key also fails.
  const other = signCompanion({
    primaryIdentity: phone,
    companionIdentityKey: generateKeyPair().publicKey,
    advSecret,
    keyIndex: 1,
  });
  assertEquals(
    assertThrows(() => verifyAndSignPairing(other, advSecret, companion), PairError).text,
    "signature-mismatch",
  );
  // Garbage is an internal error, not a crash.
  assertEquals(
    assertThrows(() => verifyAndSignPairing(new Uint8Array([0xff, 0xff]), advSecret, companion), PairError)
      .status,
    500,
  );
});

Deno.test("pair code: 8 characters from the alphabet; validation of codes and phone numbers", () => {
  for (let i = 0; i < 50; i++) {
    const code = generatePairCode();
    assertEquals(code.length, 8);
    assert([...code].every((c) => PAIR_CODE_ALPHABET.includes(c)), code);
  }
  assertEquals(normalizePairCode("abcd-efgh"), "ABCDEFGH");
  assertEquals(assertThrows(() => normalizePairCode("ABCD0FGH"), PairCodeError).code, "invalid_custom_code");
  assertEquals(assertThrows(() => normalizePairCode("ABC"), PairCodeError).code, "invalid_custom_code");
  assertEquals(normalizePhoneNumber("+1 (555) 123-4567"), "15551234567");
  assertEquals(assertThrows(() => normalizePhoneNumber("+"), PairCodeError).code, "phone_number_required");
  assertEquals(
    assertThrows(() => normalizePhoneNumber("123456"), PairCodeError).code,
    "phone_number_too_short",
  );
  assertEquals(
    assertThrows(() => normalizePhoneNumber("0555123456"), PairCodeError).code,
    "phone_number_not_international",
  );
});

Deno.test("pair code: wrapping with the code round-trips and both sides derive the same ADV secret", async () => {
  const code = generatePairCode();
  const companionEph = generateKeyPair(), companionId = generateKeyPair();
  const primaryEph = generateKeyPair(), primaryId = generateKeyPair();
  const wrapped = await wrapWithPairCode(code, companionEph.publicKey);
  assertEquals(wrapped.length, 80);
  assertEquals(await unwrapWithPairCode(code, wrapped), companionEph.publicKey);
  const wrong = await unwrapWithPairCode(code === "11111111" ? "22222222" : "11111111", wrapped);
  assert(!wrong.every((b, i) => b === companionEph.publicKey[i]), "a wrong code must not recover the key");
  await assertRejects(() => unwrapWithPairCode(code, wrapped.subarray(0, 79)), PairCodeError);

  const bundle = buildCompanionKeyBundle(
    companionEph,
    companionId,
    primaryEph.publicKey,
    primaryId.publicKey,
  );
  const opened = openCompanionKeyBundle(primaryEph, primaryId, companionEph.publicKey, bundle.wrappedBundle);
  assertEquals(opened.companionIdentityPub, companionId.publicKey);
  assertEquals(opened.advSecret, bundle.advSecret);
  // A bundle made for another primary identity is refused.
  const stray = buildCompanionKeyBundle(
    companionEph,
    companionId,
    primaryEph.publicKey,
    generateKeyPair().publicKey,
  );
  assertThrows(
    () => openCompanionKeyBundle(primaryEph, primaryId, companionEph.publicKey, stray.wrappedBundle),
    PairCodeError,
  );
});
