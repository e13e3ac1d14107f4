/**
 * Binary codec benchmarks: wadeno's marshal/unmarshal against Baileys' WABinary codec (the baseline of
 * each group) on a corpus of realistic stanzas, plus the 64 KiB payload against a plain copy and the
 * inflate choice (node:zlib vs DecompressionStream).
 *
 * `deno task bench bench/binary.bench.ts` prints per-group ratios. For the geometric means over the
 * corpus (the codec's targets: marshal >= 8x and unmarshal >= 3x faster than Baileys, 64 KiB marshal
 * within 3x of a copy) run `deno run --allow-read --allow-env --allow-sys bench/binary.bench.ts`.
 *
 * @module
 */

import { deflateSync, inflateSync } from "node:zlib";
// Baileys has no "exports" map; its WABinary module is imported directly (plain JS, hence the casts).
import * as baileysBinary from "npm:/baileys@7.0.0-rc14/lib/WABinary/index.js";
import * as baileysConstants from "npm:/baileys@7.0.0-rc14/lib/WABinary/constants.js";
import { Jid, marshal, type Node, type NodeInput, unmarshal } from "../src/binary/mod.ts";

type BaileysNode = { tag: string; attrs: Record<string, string>; content?: unknown };
const baileysEncode = baileysBinary.encodeBinaryNode as (node: BaileysNode) => Uint8Array;
const baileysDecode = baileysBinary.decodeDecompressedBinaryNode as unknown as (
  buffer: Uint8Array,
  opts: typeof baileysConstants,
) => BaileysNode;

// Deterministic pseudo-random bytes so every run measures the same corpus.
let seed = 0x2545f491;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
}
function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (random() * 256) | 0;
  return out;
}
function digits(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(48 + ((random() * 10) | 0));
  return s;
}
function hexId(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789ABCDEF"[(random() * 16) | 0];
  return s;
}
const phone = () => "1555" + digits(7);
const lidUser = () => "1" + digits(14);
const msgId = () => "3EB0" + hexId(16);
const ts = () => String(1_700_000_000 + ((random() * 1e7) | 0));

function enc(type: string, size: number): Node {
  return { tag: "enc", attrs: { v: "2", type }, content: bytes(size) };
}

const corpus: Record<string, Node> = {
  "message 1:1 enc": {
    tag: "message",
    attrs: { to: phone() + "@s.whatsapp.net", type: "text", id: msgId() },
    content: [enc("msg", 180)],
  },
  "receipt read list": {
    tag: "receipt",
    attrs: { id: msgId(), to: phone() + "@s.whatsapp.net", type: "read", t: ts() },
    content: [{
      tag: "list",
      attrs: {},
      content: Array.from({ length: 10 }, () => ({ tag: "item", attrs: { id: msgId() } })),
    }],
  },
  "receipt delivery": {
    tag: "receipt",
    attrs: { id: msgId(), to: lidUser() + "@lid", participant: lidUser() + ":2@lid", t: ts() },
  },
  "group message 64 devices": {
    tag: "message",
    attrs: { to: "120363" + digits(12) + "@g.us", type: "text", id: msgId(), phash: "2:" + hexId(8) },
    content: [
      {
        tag: "participants",
        attrs: {},
        content: Array.from({ length: 64 }, (_, i) => ({
          tag: "to",
          attrs: { jid: `${phone()}:${i % 8}@s.whatsapp.net` },
          content: [enc(i % 5 === 0 ? "pkmsg" : "msg", 160)],
        })),
      },
      enc("skmsg", 120),
      { tag: "device-identity", attrs: {}, content: bytes(150) },
    ],
  },
  "usync 100 users": {
    tag: "iq",
    attrs: { from: "@s.whatsapp.net", id: msgId(), type: "result" },
    content: [{
      tag: "usync",
      attrs: { sid: "sync_sid_" + digits(10), index: "0", last: "true", mode: "query", context: "message" },
      content: [{
        tag: "result",
        attrs: {},
        content: [{
          tag: "list",
          attrs: {},
          content: Array.from({ length: 100 }, (): Node => ({
            tag: "user",
            attrs: { jid: phone() + "@s.whatsapp.net" },
            content: [{
              tag: "devices",
              attrs: {},
              content: [
                {
                  tag: "device-list",
                  attrs: {},
                  content: [0, 2, 5].map((id): Node => ({
                    tag: "device",
                    attrs: id === 0 ? { id: "0" } : { id: String(id), "key-index": String(id - 1) },
                  })),
                },
                { tag: "key-index-list", attrs: { ts: ts() }, content: bytes(40) },
              ],
            }],
          })),
        }],
      }],
    }],
  },
  "group metadata 257": {
    tag: "iq",
    attrs: { from: "g.us", id: msgId(), type: "result" },
    content: [{
      tag: "group",
      attrs: {
        id: "120363" + digits(12),
        creator: phone() + "@s.whatsapp.net",
        creation: ts(),
        subject: "Neighbourhood association 🏡",
        s_t: ts(),
        s_o: phone() + "@s.whatsapp.net",
        size: "257",
        addressing_mode: "lid",
      },
      content: [
        {
          tag: "description",
          attrs: { id: hexId(16) },
          content: [{ tag: "body", attrs: {}, content: "Rules: be kind. ".repeat(8) }],
        },
        { tag: "member_add_mode", attrs: {}, content: "admin_add" },
        ...Array.from({ length: 257 }, (_, i): Node => ({
          tag: "participant",
          attrs: i < 3
            ? { jid: lidUser() + "@lid", type: "admin", phone_number: phone() + "@s.whatsapp.net" }
            : { jid: lidUser() + "@lid", phone_number: phone() + "@s.whatsapp.net" },
        })),
      ],
    }],
  },
  "group notification": {
    tag: "notification",
    attrs: {
      from: "120363" + digits(12) + "@g.us",
      type: "w:gp2",
      id: digits(10),
      participant: lidUser() + "@lid",
      t: ts(),
      notify: "Alice",
    },
    content: [{
      tag: "add",
      attrs: { reason: "invite" },
      content: [{
        tag: "participant",
        attrs: { jid: lidUser() + "@lid", phone_number: phone() + "@s.whatsapp.net" },
      }],
    }],
  },
  "presence": {
    tag: "presence",
    attrs: { from: phone() + "@s.whatsapp.net", type: "unavailable", last: ts() },
  },
  "ack": {
    tag: "ack",
    attrs: {
      id: msgId(),
      class: "message",
      from: "120363" + digits(12) + "@g.us",
      participant: lidUser() + ":3@lid",
      t: ts(),
    },
  },
  "message lid": {
    tag: "message",
    attrs: {
      from: lidUser() + "@lid",
      id: msgId(),
      type: "text",
      t: ts(),
      notify: "Bob",
      addressing_mode: "lid",
      sender_pn: phone() + "@s.whatsapp.net",
    },
    content: [enc("pkmsg", 420)],
  },
  "media_conn result": {
    tag: "iq",
    attrs: { from: "s.whatsapp.net", id: msgId(), type: "result" },
    content: [{
      tag: "media_conn",
      attrs: {
        auth: "AW" + hexId(40).toLowerCase() + "xyz_",
        ttl: "300",
        auth_ttl: "21600",
        max_buckets: "12",
      },
      content: ["mmg.whatsapp.net", "media-lhr8-1.cdn.whatsapp.net", "media-lhr8-2.cdn.whatsapp.net"].map((
        hostname,
      ) => ({
        tag: "host",
        attrs: { hostname },
        content: [{
          tag: "download",
          attrs: {},
          content: [{ tag: "download_buckets", attrs: {}, content: [] }],
        }],
      })),
    }],
  },
  "64 KiB payload": { tag: "enc", attrs: { v: "2", type: "msg" }, content: bytes(65536) },
};
for (const n of [16, 64, 127]) {
  corpus[`nibble ${n}`] = { tag: "body", attrs: {}, content: digits(n) };
  corpus[`hex ${n}`] = { tag: "body", attrs: {}, content: hexId(n) };
}

// The same stanza with the recipient as a Jid and as its string: a Jid is written without being
// formatted and re-parsed.
const recipient = Jid.pn("15551234567", 3);
const jidMessage: NodeInput = {
  tag: "message",
  attrs: { to: recipient, type: "text", id: msgId() },
  content: [],
};
const stringMessage: NodeInput = { ...jidMessage, attrs: { ...jidMessage.attrs, to: recipient.toString() } };

interface Case {
  name: string;
  ours: Uint8Array;
  theirs: Uint8Array;
  theirsBuffer: Uint8Array;
  node: Node;
}
const cases: Case[] = Object.entries(corpus).map(([name, node]) => {
  const ours = marshal(node);
  const theirs = new Uint8Array(baileysEncode(node));
  return { name, node, ours, theirs, theirsBuffer: baileysEncode(node) };
});

let sink = 0;
for (const c of cases) {
  Deno.bench(`wadeno marshal`, { group: `marshal ${c.name}` }, () => {
    sink ^= marshal(c.node).length;
  });
  Deno.bench(`baileys encodeBinaryNode`, { group: `marshal ${c.name}`, baseline: true }, () => {
    sink ^= baileysEncode(c.node).length;
  });
  Deno.bench(`wadeno unmarshal`, { group: `unmarshal ${c.name}` }, () => {
    sink ^= unmarshal(c.ours).tag.length;
  });
  Deno.bench(`baileys decodeDecompressedBinaryNode`, { group: `unmarshal ${c.name}`, baseline: true }, () => {
    sink ^= baileysDecode(c.theirsBuffer.subarray(1), baileysConstants).tag.length;
  });
}

const payload = corpus["64 KiB payload"].content as Uint8Array;
Deno.bench("wadeno marshal 64 KiB", { group: "64 KiB vs copy" }, () => {
  sink ^= marshal(corpus["64 KiB payload"]).length;
});
Deno.bench("Uint8Array.set copy 64 KiB", { group: "64 KiB vs copy", baseline: true }, () => {
  const out = new Uint8Array(payload.length + 16);
  out.set(payload, 16);
  sink ^= out.length;
});

Deno.bench("wadeno marshal, Jid attrs", { group: "jid attrs" }, () => {
  sink ^= marshal(jidMessage).length;
});
Deno.bench("wadeno marshal, string attrs", { group: "jid attrs", baseline: true }, () => {
  sink ^= marshal(stringMessage).length;
});

// The inflate decision recorded in src/binary/frame.ts.
for (const size of [200, 4096, 65536]) {
  const plain = new Uint8Array(size);
  for (let i = 0; i < size; i++) plain[i] = (i * 7 + (i >> 5)) & 0x3f;
  const compressed = new Uint8Array(deflateSync(plain));
  Deno.bench(`node:zlib inflateSync ${size} B`, { group: `inflate ${size} B` }, () => {
    sink ^= inflateSync(compressed, { maxOutputLength: 1 << 25 }).length;
  });
  Deno.bench(`DecompressionStream ${size} B`, { group: `inflate ${size} B`, baseline: true }, async () => {
    const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("deflate"));
    sink ^= (await new Response(stream).arrayBuffer()).byteLength;
  });
}

/** Mean time per call of `fn` in nanoseconds, measured in batches after a warm-up. */
function time(fn: () => void, minMs = 150): number {
  for (let i = 0; i < 200; i++) fn();
  let runs = 0;
  let batch = 16;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) fn();
    runs += batch;
    batch = Math.min(batch * 2, 4096);
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / runs;
}

function geomean(values: number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

if (import.meta.main) {
  const marshalRatios: number[] = [];
  const unmarshalRatios: number[] = [];
  const fmt = (ns: number) => ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(1)} µs`;
  console.log("case                       | marshal ours / baileys        | unmarshal ours / baileys");
  for (const c of cases) {
    const mo = time(() => sink ^= marshal(c.node).length);
    const mb = time(() => sink ^= baileysEncode(c.node).length);
    const uo = time(() => sink ^= unmarshal(c.ours).tag.length);
    const ub = time(() => sink ^= baileysDecode(c.theirsBuffer.subarray(1), baileysConstants).tag.length);
    marshalRatios.push(mb / mo);
    unmarshalRatios.push(ub / uo);
    console.log(
      `${c.name.padEnd(26)} | ${fmt(mo).padStart(9)} / ${fmt(mb).padStart(9)} = ${
        (mb / mo).toFixed(1).padStart(5)
      }x | ` +
        `${fmt(uo).padStart(9)} / ${fmt(ub).padStart(9)} = ${(ub / uo).toFixed(1).padStart(5)}x`,
    );
  }
  const copy = time(() => {
    const out = new Uint8Array(payload.length + 16);
    out.set(payload, 16);
    sink ^= out.length;
  });
  const big = time(() => sink ^= marshal(corpus["64 KiB payload"]).length);
  console.log(
    `geometric mean speed-up: marshal ${geomean(marshalRatios).toFixed(2)}x (target >= 8x), ` +
      `unmarshal ${geomean(unmarshalRatios).toFixed(2)}x (target >= 3x)`,
  );
  console.log(`64 KiB marshal / copy: ${(big / copy).toFixed(2)}x (target <= 3x); sink ${sink & 1}`);
  const small = cases.filter((c) => c.ours.length < 300).map((c) => c.name);
  console.log(`stanzas under 300 bytes: ${small.join(", ")}`);
}
