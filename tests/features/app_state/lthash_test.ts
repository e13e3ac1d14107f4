// LT-hash ("WhatsApp Patch Integrity") and sync key expansion.
// Vectors: jlucaso1/whatsapp-rust wacore/appstate/src/lthash.rs tests (commit 2ea149a6d7101a4b32ef0e645ee8a81b3e094bdd)
// for the lane arithmetic; the expansion and lane sums are also recomputed here with node:crypto's HKDF and a
// DataView (an independent reference), and compared with Baileys' LT-hash (baileys@7.0.0-rc14
// lib/Utils/lt-hash.js, the whatsapp-rust-bridge WebAssembly build of whatsapp-rust's LTHash).
import assert from "node:assert/strict";
import { hkdfSync } from "node:crypto";
import fc from "npm:fast-check@4.10.2";
import { LT_HASH_ANTI_TAMPERING } from "npm:/baileys@7.0.0-rc14/lib/Utils/lt-hash.js";
import {
  addLanes,
  AppStateError,
  expandAppStateKeys,
  LTHASH_LENGTH,
  ltHashExpand,
  ltHashSubtractThenAdd,
} from "../../../src/features/app_state/mod.ts";

const ZERO = new Uint8Array(LTHASH_LENGTH);

// Baileys' build is typed for Buffers; one cast at this boundary.
const baileysLtHash = LT_HASH_ANTI_TAMPERING as unknown as {
  subtractThenAdd(base: Uint8Array, subtract: Uint8Array[], add: Uint8Array[]): Uint8Array;
};

function referenceTerm(mac: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", mac, new Uint8Array(32), "WhatsApp Patch Integrity", 128));
}

// 64 little-endian u16 lanes, written with DataView so the byte order is explicit and independent of ours.
function referenceMix(base: Uint8Array, terms: Uint8Array[], sign: 1 | -1): Uint8Array {
  const out = base.slice();
  const o = new DataView(out.buffer);
  for (const t of terms) {
    const d = new DataView(t.buffer, t.byteOffset, t.byteLength);
    for (let i = 0; i < out.length; i += 2) {
      o.setUint16(i, (o.getUint16(i, true) + sign * d.getUint16(i, true)) & 0xffff, true);
    }
  }
  return out;
}

Deno.test("lanes wrap around as little-endian u16 (whatsapp-rust lthash.rs test_overflow_underflow)", () => {
  const base = new Uint8Array([255, 255, 0, 0]);
  addLanes(base, new Uint8Array([1, 0, 1, 0]), 1);
  assert.deepEqual([...base], [0, 0, 1, 0]);
  addLanes(base, new Uint8Array([1, 0, 1, 0]), -1);
  assert.deepEqual([...base], [255, 255, 0, 0]);
});

Deno.test("a single lane adds and subtracts back to zero (whatsapp-rust lthash.rs test_single_byte_operations)", () => {
  const base = new Uint8Array(2);
  addLanes(base, new Uint8Array([255, 254]), 1);
  assert.deepEqual([...base], [255, 254]);
  addLanes(base, new Uint8Array([255, 254]), -1);
  assert.deepEqual([...base], [0, 0]);
});

Deno.test("the low byte carries into the high byte, not the next lane (little-endian, not big-endian)", () => {
  const base = new Uint8Array([0xff, 0x00, 0x00, 0x00]);
  addLanes(base, new Uint8Array([0x01, 0x00, 0x00, 0x00]), 1);
  assert.deepEqual([...base], [0x00, 0x01, 0x00, 0x00]);
});

Deno.test("addLanes refuses buffers of different or odd length", () => {
  assert.throws(() => addLanes(new Uint8Array(4), new Uint8Array(2), 1), AppStateError);
  assert.throws(() => addLanes(new Uint8Array(3), new Uint8Array(3), 1), AppStateError);
  assert.throws(() => ltHashSubtractThenAdd(new Uint8Array(64), [], []), AppStateError);
});

Deno.test("a value MAC expands with HKDF-SHA256, zero salt, info 'WhatsApp Patch Integrity', to 128 bytes", () => {
  const mac = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(ltHashExpand(mac).toHex(), referenceTerm(mac).toHex());
  assert.equal(ltHashSubtractThenAdd(ZERO, [], [mac]).toHex(), referenceTerm(mac).toHex());
});

Deno.test("subtract-then-add matches an independent DataView reference and Baileys' LT-hash", () => {
  const mac = fc.uint8Array({ minLength: 1, maxLength: 48 });
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 128, maxLength: 128 }),
      fc.array(mac, { maxLength: 4 }),
      fc.array(mac, { maxLength: 4 }),
      (base, sub, add) => {
        const ours = ltHashSubtractThenAdd(base, sub, add);
        const ref = referenceMix(referenceMix(base, sub.map(referenceTerm), -1), add.map(referenceTerm), 1);
        assert.equal(ours.toHex(), ref.toHex());
        const theirs = baileysLtHash.subtractThenAdd(base, sub, add);
        assert.equal(ours.toHex(), new Uint8Array(theirs).toHex());
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("adding then subtracting the same MACs is the identity, in any order", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 128, maxLength: 128 }),
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 6 }),
      fc.func(fc.integer()),
      (base, macs, order) => {
        const added = ltHashSubtractThenAdd(base, [], macs);
        const shuffled = [...macs].sort((a, b) => order(a.toHex()) - order(b.toHex()));
        assert.equal(ltHashSubtractThenAdd(added, shuffled, []).toHex(), base.toHex());
        assert.equal(ltHashSubtractThenAdd(base, [], shuffled).toHex(), added.toHex());
        // One at a time, in the shuffled order, lands on the same state as all at once.
        let step: Uint8Array = base;
        for (const m of shuffled) step = ltHashSubtractThenAdd(step, [], [m]);
        assert.equal(step.toHex(), added.toHex());
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("ltHashSubtractThenAdd does not change its input", () => {
  const base = new Uint8Array(128).fill(9);
  ltHashSubtractThenAdd(base, [new Uint8Array(32)], [new Uint8Array(32).fill(1)]);
  assert.ok(base.every((b) => b === 9));
});

Deno.test("sync keys expand with HKDF-SHA256, info 'WhatsApp Mutation Keys', into five 32-byte keys in order", () => {
  const keyData = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  const okm = new Uint8Array(hkdfSync("sha256", keyData, new Uint8Array(32), "WhatsApp Mutation Keys", 160));
  const k = expandAppStateKeys(keyData);
  const parts = [k.index, k.valueEncryption, k.valueMac, k.snapshotMac, k.patchMac].map((p) => p.toHex());
  assert.deepEqual(parts, [0, 1, 2, 3, 4].map((i) => okm.subarray(i * 32, i * 32 + 32).toHex()));
  assert.throws(
    () => expandAppStateKeys(new Uint8Array(0)),
    (e) => e instanceof AppStateError && e.code === "malformed",
  );
});
