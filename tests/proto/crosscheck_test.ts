// Cross-check against an independent implementation: protobufjs reflection on the same .proto files.
// For every message type: random values (fast-check, bounded) encoded by our codec must be byte-identical to
// protobufjs' encoding, and each side must decode the other's bytes to the same values.
import { deepStrictEqual } from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import protobuf from "npm:protobufjs@7.6.6";
import * as proto from "../../src/proto/mod.ts";
import type { MessageCodec } from "../../src/proto/mod.ts";

const dir = new URL("../../src/proto/", import.meta.url);
const root = new protobuf.Root();
for await (const e of Deno.readDir(dir)) {
  if (e.isFile && e.name.endsWith(".proto")) {
    protobuf.parse(await Deno.readTextFile(new URL(e.name, dir)), root, { alternateCommentMode: true });
  }
}
root.resolveAll();

const codecs = (Object.values(proto) as unknown[]).filter((v): v is MessageCodec<unknown> =>
  typeof v === "object" && v !== null && "typeName" in v && "decode" in v
);

const INT64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
const UINT64 = fc.bigInt(0n, 2n ** 64n - 1n);
const SCALARS: Record<string, fc.Arbitrary<unknown>> = {
  double: fc.double({ noNaN: true }),
  float: fc.float({ noNaN: true }),
  int32: fc.integer(),
  sint32: fc.integer(),
  sfixed32: fc.integer(),
  uint32: fc.integer({ min: 0, max: 0xffffffff }),
  fixed32: fc.integer({ min: 0, max: 0xffffffff }),
  int64: INT64,
  sint64: INT64,
  sfixed64: INT64,
  uint64: UINT64,
  fixed64: UINT64,
  bool: fc.boolean(),
  string: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 60 })),
  bytes: fc.uint8Array({ maxLength: 40 }),
};

const MAX_NEST = 2;
const memo = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
function arbitrary(type: protobuf.Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const key = `${type.fullName}@${depth}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of type.fieldsArray) {
    let a: fc.Arbitrary<unknown>;
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type) {
      if (depth >= MAX_NEST) continue;
      a = arbitrary(rt, depth + 1);
    } else if (rt instanceof protobuf.Enum) {
      a = fc.constantFrom(...Object.values(rt.values));
    } else {
      a = SCALARS[f.type];
    }
    // Empty repeated fields encode to nothing, so they cannot round-trip as []; start at one element.
    fields[f.name] = f.repeated ? fc.array(a, { minLength: 1, maxLength: 3 }) : a;
  }
  const arb = fc.record(fields, { requiredKeys: [] });
  memo.set(key, arb);
  return arb;
}

/** Our value in protobufjs' toObject shape: bigint -> decimal string, bytes -> number[]. */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalize(x);
    return out;
  }
  return v;
}

/** Our value as protobufjs fromObject input: bigint -> decimal string. */
function toPbjs(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toPbjs);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPbjs(x)]));
  }
  return v;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: Array, enums: Number };

Deno.test("every message type agrees with protobufjs reflection in both directions", async (t) => {
  const names = new Set<string>();
  for (const c of codecs) {
    names.add(c.typeName);
    const type = root.lookupType(c.typeName);
    await t.step(c.typeName.replace(/^wadeno\.proto\./, ""), () => {
      fc.assert(
        fc.property(arbitrary(type, 0), (value) => {
          const ours = c.encode(value);
          const theirs = type.encode(type.fromObject(toPbjs(value) as Record<string, unknown>)).finish();
          deepStrictEqual(ours.toHex(), theirs.toHex());
          deepStrictEqual(type.toObject(type.decode(ours), TO_OBJECT), normalize(value));
          deepStrictEqual(normalize(c.decode(theirs)), normalize(value));
        }),
        { numRuns: 15, seed: 4 },
      );
    });
  }
  // Every type in the schema has a codec (nested types included, under their flattened names).
  const all: string[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) all.push(n.fullName.slice(1));
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) walk(n);
    }
  };
  walk(root);
  deepStrictEqual(all.filter((n) => !names.has(n)), []);
});
