// Wire-format behaviour of the runtime and generated codecs: scalars, unknown fields, closed enums, bad input.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import * as proto from "../../src/proto/mod.ts";
import {
  ADVKeyIndexList,
  ADVSignedDeviceIdentityHMAC,
  type MessageCodec,
  ProtoDecodeError,
  Reader,
  SignalMessage,
  SignedPreKeyRecordStructure,
  Writer,
} from "../../src/proto/mod.ts";

const hex = (b: Uint8Array) => b.toHex();
const bytes = (h: string) => Uint8Array.fromHex(h.replace(/\s+/g, ""));

function written(f: (w: Writer) => void): string {
  const w = new Writer(1);
  f(w);
  return hex(w.finish());
}

function decodeError(f: () => unknown): ProtoDecodeError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtoDecodeError) return e;
    throw new Error(`expected ProtoDecodeError, got ${e}`);
  }
  throw new Error("expected ProtoDecodeError, decoding succeeded");
}

// Encodings from the protobuf encoding guide (protobuf.dev/programming-guides/encoding): 150 is 96 01,
// int32 -2 takes ten bytes, sint32 zigzag maps 0,-1,1,-2,2147483647,-2147483648 to 0,1,2,3,4294967294,4294967295.
Deno.test("varints match the protobuf encoding guide", () => {
  strictEqual(written((w) => w.uint32(150)), "9601");
  strictEqual(written((w) => w.int32(-2)), "feffffffffffffffff01");
  strictEqual(written((w) => w.int64(-2n)), "feffffffffffffffff01");
  strictEqual(written((w) => w.int64(150)), "9601");
  strictEqual(written((w) => w.int64(0xffffffffffffffffn)), "ffffffffffffffffff01");
  const zz: [number, number][] = [[0, 0], [-1, 1], [1, 2], [-2, 3], [2147483647, 4294967294], [
    -2147483648,
    4294967295,
  ]];
  for (const [v, z] of zz) {
    strictEqual(written((w) => w.sint32(v)), written((w) => w.uint32(z)));
    strictEqual(new Reader(bytes(written((w) => w.uint32(z)))).sint32(), v);
    strictEqual(written((w) => w.sint64(BigInt(v))), written((w) => w.int64(BigInt(z))));
  }
  strictEqual(new Reader(bytes("feffffffffffffffff01")).int32(), -2);
  strictEqual(new Reader(bytes("feffffffffffffffff01")).int64(), -2n);
  strictEqual(new Reader(bytes("feffffffffffffffff01")).uint64(), 0xfffffffffffffffen);
});

Deno.test("64-bit and fixed-width scalars round-trip at their limits", () => {
  fc.assert(
    fc.property(
      fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
      fc.bigInt(0n, 2n ** 64n - 1n),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.float({ noNaN: true }),
      (s64, u64, i32, d, f) => {
        const w = new Writer(1);
        w.int64(s64);
        w.int64(u64);
        w.sint64(s64);
        w.fixed64(u64);
        w.fixed64(s64);
        w.int32(i32);
        w.sint32(i32);
        w.fixed32(i32);
        w.double(d);
        w.float(f);
        const r = new Reader(w.finish());
        strictEqual(r.int64(), s64);
        strictEqual(r.uint64(), u64);
        strictEqual(r.sint64(), s64);
        strictEqual(r.fixed64(), u64);
        strictEqual(r.sfixed64(), s64);
        strictEqual(r.int32(), i32);
        strictEqual(r.sint32(), i32);
        strictEqual(r.sfixed32(), i32);
        strictEqual(Object.is(r.double(), d), true);
        strictEqual(Object.is(r.float(), f), true);
        strictEqual(r.pos, r.end);
      },
    ),
    { numRuns: 300, seed: 1 },
  );
});

Deno.test("strings round-trip through both the ASCII fast path and the UTF-8 path", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary", maxLength: 200 })), (s) => {
      const w = new Writer(1);
      w.string(s);
      const out = w.finish();
      const utf8 = new TextEncoder().encode(s);
      const r = new Reader(out);
      strictEqual(r.length(), utf8.length);
      deepStrictEqual(out.subarray(r.pos), utf8);
      strictEqual(new Reader(out).string(), s);
    }),
    { numRuns: 300, seed: 2 },
  );
});

Deno.test("long length prefixes are written correctly when a sub-message passes 127 bytes", () => {
  for (const n of [0, 1, 127, 128, 300, 16383, 16384, 70000]) {
    const m = { ciphertext: new Uint8Array(n).fill(7), counter: 1 };
    const back = SignalMessage.decode(SignalMessage.encode(m));
    deepStrictEqual(back, m);
    const rec = proto.RecordStructure.encode({ currentSession: { rootKey: m.ciphertext } });
    deepStrictEqual(proto.RecordStructure.decode(rec).currentSession?.rootKey, m.ciphertext);
  }
});

Deno.test("explicitly set default values are encoded (proto2 presence)", () => {
  strictEqual(hex(SignalMessage.encode({ counter: 0, ratchetKey: new Uint8Array() })), "0a001000");
  deepStrictEqual(SignalMessage.decode(bytes("0a001000")), { ratchetKey: new Uint8Array(), counter: 0 });
  strictEqual(hex(SignalMessage.encode({})), "");
});

Deno.test("bytes fields decode as zero-copy views into the input", () => {
  const input = SignalMessage.encode({ ciphertext: new Uint8Array([1, 2, 3]) });
  const m = SignalMessage.decode(input);
  strictEqual(m.ciphertext!.buffer, input.buffer);
});

Deno.test("repeated scalars decode from both packed and unpacked encodings", () => {
  // validIndexes (field 4) is [packed=true]: the encoder packs, the decoder takes either form.
  strictEqual(hex(ADVKeyIndexList.encode({ validIndexes: [1, 150, 3] })), "2204019601" + "03");
  deepStrictEqual(ADVKeyIndexList.decode(bytes("2001 20960120 03")).validIndexes, [1, 150, 3]);
  deepStrictEqual(ADVKeyIndexList.decode(bytes("2203 01 9601 2001")), { validIndexes: [1, 150, 1] });
  deepStrictEqual(ADVKeyIndexList.decode(bytes("2200")), { validIndexes: [] });
});

// Unknown fields of every wire type, after a known field, in field-number order.
const UNKNOWN_ALL = "0a0201 02" + // field 1 (known): bytes 01 02
  "2896 01" + // field 5 varint 150
  "3101 02 03 04 05 06 07 08" + // field 6 fixed64
  "3a03 61 62 63" + // field 7 length-delimited "abc"
  "45 01 02 03 04" + // field 8 fixed32
  "4b 08 01 12 01 78 5b 10 02 5c 4c" + // field 9 group { 1: varint 1, 2: "x", 11: group { 2: 2 } }
  "f0 ff ff ff 0f 2a"; // field 536870910 (largest-but-one field number) varint 42

Deno.test("unknown fields of every wire type survive decode -> encode byte for byte", () => {
  const input = bytes(UNKNOWN_ALL);
  const m = SignalMessage.decode(input);
  deepStrictEqual(m.ratchetKey, bytes("0102"));
  strictEqual(m.$unknown?.length, 6);
  deepStrictEqual(m.$unknown!.map(hex), [
    "289601",
    "310102030405060708",
    "3a03616263",
    "4501020304",
    "4b0801120178" + "5b10025c" + "4c",
    "f0ffffff0f2a",
  ]);
  strictEqual(hex(SignalMessage.encode(m)), hex(input));
  // Nested: the unknowns of a sub-message survive inside the parent.
  const outer = proto.SessionStructure.encode({ pendingPreKey: { preKeyId: 9, $unknown: m.$unknown } });
  const back = proto.SessionStructure.decode(outer);
  deepStrictEqual(back.pendingPreKey?.$unknown?.map(hex), m.$unknown!.map(hex));
  deepStrictEqual(proto.SessionStructure.encode(back), outer);
});

Deno.test("unknown fields before known ones are kept and re-emitted after them", () => {
  const m = SignalMessage.decode(bytes("2896 01 1005"));
  deepStrictEqual(m, { counter: 5, $unknown: [bytes("289601")] });
  strictEqual(hex(SignalMessage.encode(m)), "1005289601");
});

Deno.test("unknown values of a closed enum go to $unknown and round-trip", () => {
  // accountType (field 3) is ADVEncryptionType {E2EE = 0, HOSTED = 1}.
  const input = bytes("0a0101 1807");
  const m = ADVSignedDeviceIdentityHMAC.decode(input);
  strictEqual(m.accountType, undefined);
  deepStrictEqual(m.$unknown, [bytes("1807")]);
  deepStrictEqual(ADVSignedDeviceIdentityHMAC.encode(m), input);
  // A negative value takes ten bytes and still round-trips verbatim.
  const neg = bytes("18ffffffffffffffffff01");
  deepStrictEqual(ADVSignedDeviceIdentityHMAC.encode(ADVSignedDeviceIdentityHMAC.decode(neg)), neg);
  strictEqual(ADVSignedDeviceIdentityHMAC.decode(bytes("1801")).accountType, 1);
});

Deno.test("the encoder accepts number for 64-bit fields", () => {
  const a = SignedPreKeyRecordStructure.encode({ timestamp: 1700000000000n });
  const b = SignedPreKeyRecordStructure.encode({ timestamp: 1700000000000 as unknown as bigint });
  deepStrictEqual(a, b);
  strictEqual(SignedPreKeyRecordStructure.decode(a).timestamp, 1700000000000n);
});

Deno.test("bad input throws ProtoDecodeError with the offset", () => {
  const cases: [string, number, RegExp][] = [
    ["10", 1, /truncated varint/], // tag, then nothing
    ["1080", 1, /truncated varint/],
    ["10ffffffffffffffffffff01", 1, /longer than 10 bytes/],
    ["0aff", 1, /truncated varint/],
    ["0affffffff0f", 1, /length 4294967295 exceeds/],
    ["0affffffffffffffffff01", 1, /exceeds/], // 64-bit length
    ["0a05 0102", 1, /exceeds/],
    ["0d00000000", 0, /field 1 arrived with wire type 5/], // known bytes field as fixed32
    ["08 01", 0, /field 1 arrived with wire type 0/],
    ["4e", 0, /invalid wire type 6/],
    ["4f", 0, /invalid wire type 7/],
    ["4c", 0, /unexpected end-group/],
    ["4b 08 01", 0, /group 9 is not closed/],
    ["4b 54", 1, /closed by end-group tag for field 10/],
    ["00", 0, /field number 0/],
    ["31 0102", 1, /expected 8 bytes/],
    ["45 01", 1, /expected 4 bytes/],
  ];
  for (const [input, offset, what] of cases) {
    const e = decodeError(() => SignalMessage.decode(bytes(input)));
    strictEqual(e.offset, offset, `${input}: ${e.message}`);
    strictEqual(what.test(e.message), true, `${input}: ${e.message}`);
    strictEqual(e.name, "ProtoDecodeError");
    strictEqual(e.typeName, "wadeno.proto.SignalMessage");
  }
  // A sub-message's fields cannot run past its own length prefix even when the outer buffer goes on.
  const e = decodeError(() => proto.RecordStructure.decode(bytes("0a02 1205 0102030405")));
  strictEqual(e.offset, 3);
});

Deno.test("nesting deeper than 100 levels is refused, not a stack overflow", () => {
  // 101 nested unknown groups (field 9).
  const deep = new Uint8Array(202);
  deep.fill(0x4b, 0, 101);
  deep.fill(0x4c, 101);
  const e = decodeError(() => SignalMessage.decode(deep));
  strictEqual(/nesting deeper than 100/.test(e.message), true);
  // 100 levels decode.
  const ok = new Uint8Array(200);
  ok.fill(0x4b, 0, 100);
  ok.fill(0x4c, 100);
  deepStrictEqual(SignalMessage.encode(SignalMessage.decode(ok)), ok);
});

const codecs = (Object.values(proto) as unknown[]).filter((v): v is MessageCodec<unknown> =>
  typeof v === "object" && v !== null && "typeName" in v && "decode" in v
);

Deno.test("random and mutated input never throws anything but ProtoDecodeError", () => {
  const samples = codecs.map((c) => {
    try {
      return c.encode(c.decode(bytes(UNKNOWN_ALL.replace(/^0a020102/, ""))));
    } catch {
      return new Uint8Array([0x08, 0x96, 0x01]);
    }
  });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: codecs.length - 1 }),
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.tuple(fc.integer({ min: 0, max: codecs.length - 1 }), fc.nat(), fc.nat(255)).map(([i, at, b]) => {
          const s = samples[i].slice();
          if (s.length) s[at % s.length] = b;
          return s.subarray(0, (at >> 8) % (s.length + 1));
        }),
      ),
      (i, input) => {
        try {
          codecs[i].decode(input);
        } catch (e) {
          if (!(e instanceof ProtoDecodeError)) throw e;
          strictEqual(e.offset >= 0 && e.offset <= input.length, true);
        }
      },
    ),
    { numRuns: 2000, seed: 3 },
  );
});

Deno.test("decodeDelimited reads one length-prefixed message and reports its size", () => {
  const one = SignalMessage.encodeDelimited({ counter: 7 });
  strictEqual(hex(one), "021007");
  const both = new Uint8Array([...one, ...SignalMessage.encodeDelimited({ counter: 8 })]);
  const first = SignalMessage.decodeDelimited(both);
  deepStrictEqual(first, { message: { counter: 7 }, length: 3 });
  deepStrictEqual(SignalMessage.decodeDelimited(both.subarray(first.length)).message, { counter: 8 });
  throws(() => SignalMessage.decodeDelimited(bytes("05 1007")), ProtoDecodeError);
});

Deno.test("deeply nested quoted messages: decoder and encoder stop at the depth limit", () => {
  // Message -> extendedTextMessage (6) -> contextInfo (17) -> quotedMessage (3) -> Message ...: three levels
  // per quote, so 40 quotes pass the limit of 100.
  const nest = (levels: number): proto.Message => {
    let m: proto.Message = { conversation: "bottom" };
    for (let i = 0; i < levels; i++) {
      m = { extendedTextMessage: { text: `${i}`, contextInfo: { quotedMessage: m } } };
    }
    return m;
  };
  const ok = nest(30);
  deepStrictEqual(proto.Message.decode(proto.Message.encode(ok)), ok);
  throws(() => proto.Message.encode(nest(40)), proto.ProtoEncodeError);
  const cyclic: proto.Message = { extendedTextMessage: { contextInfo: {} } };
  cyclic.extendedTextMessage!.contextInfo!.quotedMessage = cyclic;
  throws(() => proto.Message.encode(cyclic), proto.ProtoEncodeError);
  // Build 40 levels by hand (the encoder refuses) and check the decoder refuses them too.
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 40; i++) {
    const w = new Writer();
    const wrap = (tag: number, body: Uint8Array) => {
      const x = new Writer();
      x.uint32(tag);
      x.bytes(body);
      return x.finish();
    };
    w.raw(wrap(0x32, wrap(138, wrap(0x1a, inner))));
    inner = w.finish();
  }
  const e = decodeError(() => proto.Message.decode(inner));
  strictEqual(/nesting deeper than 100/.test(e.message), true);
});
