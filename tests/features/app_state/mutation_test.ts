// One mutation's byte layout, rebuilt here with node:crypto (HKDF, AES-256-CBC, HMAC) and Baileys' protobuf
// codec (baileys@7.0.0-rc14 WAProto) as independent references. The layout is that of
// tulir/whatsmeow appstate/encode.go + decode.go and Baileys lib/Utils/chat-utils.js generateMac /
// encodeSyncdPatch: blob = IV ‖ AES-CBC ‖ HMAC-SHA512(op ‖ keyId ‖ IV ‖ ct ‖ u64BE(1 + |keyId|))[:32],
// index MAC = HMAC-SHA256(index JSON).
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import { proto } from "npm:/baileys@7.0.0-rc14/WAProto/index.js";
import {
  AppStateError,
  type AppStateErrorCode,
  decodeMutation,
  encodeIndex,
  encodeMutation,
  expandAppStateKeys,
  type MutationInput,
} from "../../../src/features/app_state/mod.ts";
import { SyncActionData, type SyncdMutation } from "../../../src/proto/mod.ts";

const KEY_DATA = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const KEY_ID = new Uint8Array([0, 0, 0, 0, 0x2a, 0x11]);
const IV = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const KEYS = expandAppStateKeys(KEY_DATA);
const keysFor = () => KEYS;

const okm = new Uint8Array(hkdfSync("sha256", KEY_DATA, new Uint8Array(32), "WhatsApp Mutation Keys", 160));
const REF = {
  index: okm.subarray(0, 32),
  enc: okm.subarray(32, 64),
  valueMac: okm.subarray(64, 96),
};

const ARCHIVE: MutationInput = {
  index: ["archive", "1555@s.whatsapp.net"],
  value: { timestamp: 1_700_000_000_000n, archiveChatAction: { archived: true } },
  version: 3,
};

function refValueMac(op: number, keyId: Uint8Array, encrypted: Uint8Array): string {
  const trailer = new Uint8Array(8);
  trailer[7] = keyId.length + 1;
  return createHmac("sha512", REF.valueMac).update(new Uint8Array([op])).update(keyId).update(encrypted)
    .update(trailer)
    .digest().subarray(0, 32).toString("hex");
}

/** A record sealed by node:crypto around arbitrary plaintext, with correct MACs. */
function sealRaw(plaintext: Uint8Array, indexBytes: Uint8Array, op: 0 | 1 = 0): SyncdMutation {
  const c = createCipheriv("aes-256-cbc", REF.enc, IV);
  const ct = new Uint8Array([...c.update(plaintext), ...c.final()]);
  const encrypted = new Uint8Array([...IV, ...ct]);
  const mac = Uint8Array.fromHex(refValueMac(op + 1, KEY_ID, encrypted));
  const indexMac = new Uint8Array(createHmac("sha256", REF.index).update(indexBytes).digest());
  return {
    operation: op,
    record: {
      index: { blob: indexMac },
      value: { blob: new Uint8Array([...encrypted, ...mac]) },
      keyId: { id: KEY_ID },
    },
  };
}

function assertCode(fn: () => unknown, code: AppStateErrorCode): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof AppStateError, `expected AppStateError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

function flipped(m: SyncdMutation, where: "index" | "value", at: number): SyncdMutation {
  const r = m.record!;
  const blob = (where === "index" ? r.index!.blob! : r.value!.blob!).slice();
  blob[at < 0 ? blob.length + at : at] ^= 0x01;
  return {
    ...m,
    record: { ...r, [where]: { blob } },
  };
}

Deno.test("the index is compact JSON of the strings", () => {
  assert.equal(new TextDecoder().decode(encodeIndex(ARCHIVE.index)), '["archive","1555@s.whatsapp.net"]');
  assertCode(() => encodeIndex([]), "invalid_action");
});

Deno.test("an encoded SET has the byte layout whatsmeow and Baileys use", () => {
  const { mutation, decoded } = encodeMutation(ARCHIVE, KEY_ID, KEYS, IV);
  assert.equal(mutation.operation, 0);
  const r = mutation.record!;
  assert.deepEqual([...r.keyId!.id!], [...KEY_ID]);
  const indexMac = createHmac("sha256", REF.index).update('["archive","1555@s.whatsapp.net"]').digest("hex");
  assert.equal(r.index!.blob!.toHex(), indexMac);

  const blob = r.value!.blob!;
  assert.equal(blob.subarray(0, 16).toHex(), IV.toHex());
  const encrypted = blob.subarray(0, blob.length - 32);
  assert.equal(blob.subarray(blob.length - 32).toHex(), refValueMac(1, KEY_ID, encrypted));
  assert.equal(decoded.valueMac.toHex(), refValueMac(1, KEY_ID, encrypted));

  const d = createDecipheriv("aes-256-cbc", REF.enc, IV);
  const plain = new Uint8Array([...d.update(encrypted.subarray(16)), ...d.final()]);
  const data = proto.SyncActionData.decode(plain);
  assert.equal(new TextDecoder().decode(data.index!), '["archive","1555@s.whatsapp.net"]');
  assert.equal(data.version, 3);
  assert.equal(data.padding!.length, 0);
  assert.equal(data.value!.archiveChatAction!.archived, true);
  assert.equal(String(data.value!.timestamp), "1700000000000");
});

Deno.test("a REMOVE is MACed with operation byte 2", () => {
  const { mutation } = encodeMutation({ ...ARCHIVE, operation: "remove" }, KEY_ID, KEYS, IV);
  assert.equal(mutation.operation, 1);
  const blob = mutation.record!.value!.blob!;
  assert.equal(
    blob.subarray(blob.length - 32).toHex(),
    refValueMac(2, KEY_ID, blob.subarray(0, blob.length - 32)),
  );
  assert.equal(decodeMutation(mutation, keysFor).operation, "remove");
});

Deno.test("decoding a record sealed by node:crypto recovers index, value and version", () => {
  const indexBytes = new TextEncoder().encode('["pin_v1","1555@s.whatsapp.net"]');
  const plain = SyncActionData.encode({
    index: indexBytes,
    value: { pinAction: { pinned: true } },
    version: 5,
  });
  const m = decodeMutation(sealRaw(plain, indexBytes), keysFor);
  assert.deepEqual(m.index, ["pin_v1", "1555@s.whatsapp.net"]);
  assert.equal(m.value?.pinAction?.pinned, true);
  assert.equal(m.version, 5);
  assert.equal(m.operation, "set");
});

Deno.test("a random IV differs between encodings of the same mutation, and both decode", () => {
  const a = encodeMutation(ARCHIVE, KEY_ID, KEYS).mutation;
  const b = encodeMutation(ARCHIVE, KEY_ID, KEYS).mutation;
  assert.notEqual(a.record!.value!.blob!.toHex(), b.record!.value!.blob!.toHex());
  assert.equal(a.record!.index!.blob!.toHex(), b.record!.index!.blob!.toHex());
  assert.deepEqual(decodeMutation(a, keysFor).index, decodeMutation(b, keysFor).index);
});

Deno.test("tampering with a record gives the matching error", () => {
  const { mutation } = encodeMutation(ARCHIVE, KEY_ID, KEYS, IV);
  assertCode(() => decodeMutation(flipped(mutation, "index", 0), keysFor), "bad_index_mac");
  assertCode(() => decodeMutation(flipped(mutation, "value", -1), keysFor), "bad_value_mac");
  assertCode(() => decodeMutation(flipped(mutation, "value", 20), keysFor), "bad_value_mac"); // ciphertext
  assertCode(() => decodeMutation(flipped(mutation, "value", 3), keysFor), "bad_value_mac"); // IV
  assertCode(() => decodeMutation({ ...mutation, operation: 1 }, keysFor), "bad_value_mac");
  const otherId = { ...mutation, record: { ...mutation.record!, keyId: { id: new Uint8Array([9, 9]) } } };
  assertCode(() => decodeMutation(otherId, keysFor), "bad_value_mac");
  const otherKey = expandAppStateKeys(new Uint8Array(32).fill(0xee));
  assertCode(() => decodeMutation(mutation, () => otherKey), "bad_value_mac");
});

Deno.test("malformed records are refused before any key is used", () => {
  const { mutation } = encodeMutation(ARCHIVE, KEY_ID, KEYS, IV);
  const r = mutation.record!;
  const blob = r.value!.blob!;
  const noKeys = () => {
    throw new Error("no key should be asked for");
  };
  assertCode(() => decodeMutation({ operation: 0 }, noKeys), "malformed");
  assertCode(
    () => decodeMutation({ record: { ...r, index: { blob: new Uint8Array(31) } } }, noKeys),
    "malformed",
  );
  assertCode(() => decodeMutation({ record: { ...r, keyId: {} } }, noKeys), "malformed");
  assertCode(
    () => decodeMutation({ record: { ...r, keyId: { id: new Uint8Array(0) } } }, noKeys),
    "malformed",
  );
  assertCode(() => decodeMutation({ record: { ...r, value: {} } }, noKeys), "malformed");
  assertCode(
    () => decodeMutation({ record: { ...r, value: { blob: blob.subarray(0, 63) } } }, noKeys),
    "bad_ciphertext",
  );
  assertCode(
    () => decodeMutation({ record: { ...r, value: { blob: blob.subarray(1) } } }, noKeys),
    "bad_ciphertext",
  );
  // Operation 2 is neither SET nor REMOVE: the codec keeps it as an unknown field-1 varint.
  assertCode(
    () => decodeMutation({ record: r, $unknown: [new Uint8Array([0x08, 0x02])] }, noKeys),
    "malformed",
  );
});

Deno.test("authentic records with a bad plaintext give bad_ciphertext or malformed", () => {
  const indexBytes = new TextEncoder().encode('["x"]');
  // Valid MAC, but the plaintext is not a SyncActionData (a truncated varint field).
  assertCode(() => decodeMutation(sealRaw(new Uint8Array([0x08]), indexBytes), keysFor), "malformed");
  // A SyncActionData without index.
  assertCode(
    () => decodeMutation(sealRaw(SyncActionData.encode({ version: 1 }), indexBytes), keysFor),
    "malformed",
  );
  for (const bad of ["not json", '{"a":1}', "[]", "[1,2]", '["ok",3]']) {
    const b = new TextEncoder().encode(bad);
    assertCode(() => decodeMutation(sealRaw(SyncActionData.encode({ index: b }), b), keysFor), "malformed");
  }
  const invalidUtf8 = new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]);
  assertCode(
    () => decodeMutation(sealRaw(SyncActionData.encode({ index: invalidUtf8 }), invalidUtf8), keysFor),
    "malformed",
  );
  // Index MAC of a different index than the one inside.
  const inside = new TextEncoder().encode('["a"]');
  assertCode(
    () => decodeMutation(sealRaw(SyncActionData.encode({ index: inside }), indexBytes), keysFor),
    "bad_index_mac",
  );
  // MAC over a ciphertext whose padding is wrong: encrypt 16 bytes without padding, then MAC it.
  const c = createCipheriv("aes-256-cbc", REF.enc, IV).setAutoPadding(false);
  const ct = new Uint8Array([...c.update(new Uint8Array(16).fill(0x41)), ...c.final()]);
  const encrypted = new Uint8Array([...IV, ...ct]);
  const mac = Uint8Array.fromHex(refValueMac(1, KEY_ID, encrypted));
  const m: SyncdMutation = {
    operation: 0,
    record: {
      index: { blob: new Uint8Array(32) },
      value: { blob: new Uint8Array([...encrypted, ...mac]) },
      keyId: { id: KEY_ID },
    },
  };
  assertCode(() => decodeMutation(m, keysFor), "bad_ciphertext");
});

Deno.test("encodeMutation refuses a bad version or IV", () => {
  assertCode(() => encodeMutation({ ...ARCHIVE, version: 1.5 }, KEY_ID, KEYS), "invalid_action");
  assertCode(() => encodeMutation({ ...ARCHIVE, version: 2 ** 31 }, KEY_ID, KEYS), "invalid_action");
  assertCode(() => encodeMutation(ARCHIVE, KEY_ID, KEYS, new Uint8Array(12)), "invalid_action");
  assertCode(() => encodeMutation(ARCHIVE, new Uint8Array(0), KEYS), "invalid_action");
});
