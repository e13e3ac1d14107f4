/**
 * is-on-WhatsApp for 1,000 numbers in one usync query: building and encoding the request, and decoding
 * and parsing the answer (100 registered numbers answered LID-addressed with `pn_jid`, 900 not on
 * WhatsApp), against Baileys' USyncQuery with its contact and LID protocols over its WABinary codec (the
 * baseline of each group).
 *
 * `deno task bench bench/contacts.bench.ts`
 *
 * @module
 */

// Baileys has no "exports" map; its modules are imported directly (plain JS, hence the casts).
import * as baileysBinary from "npm:/baileys@7.0.0-rc14/lib/WABinary/index.js";
import * as baileysConstants from "npm:/baileys@7.0.0-rc14/lib/WABinary/constants.js";
import { USyncQuery, USyncUser } from "npm:/baileys@7.0.0-rc14/lib/WAUSync/index.js";
import { marshal, type NodeInput, unmarshal } from "../src/binary/mod.ts";
import { isOnWhatsAppSpec } from "../src/features/contacts.ts";

type BaileysNode = { tag: string; attrs: Record<string, string | undefined>; content?: unknown };
const baileysEncode = baileysBinary.encodeBinaryNode as (node: BaileysNode) => Uint8Array;
const baileysDecode = baileysBinary.decodeDecompressedBinaryNode as unknown as (
  buffer: Uint8Array,
  opts: typeof baileysConstants,
) => BaileysNode;

const NUMBERS = Array.from({ length: 1000 }, (_, i) => `1555${String(3_000_000 + i * 7).padStart(7, "0")}`);

// The request as the client sends it (the IQ envelope the client's IQ tracker adds, with a fixed id).
function ourRequest(): Uint8Array {
  const q = isOnWhatsAppSpec(NUMBERS).build();
  return marshal({
    tag: "iq",
    attrs: { id: "1.1-1", xmlns: q.namespace, type: q.type, to: "s.whatsapp.net" },
    content: q.content,
  });
}

// Baileys' request: its USyncQuery with the same protocols, turned into the IQ as its executeUSyncQuery does.
function baileysRequest(): Uint8Array {
  const query = new USyncQuery().withContactProtocol().withLIDProtocol();
  for (const n of NUMBERS) query.withUser(new USyncUser().withPhone(`+${n}`));
  const users = query.users.map((user) => ({
    tag: "user",
    attrs: {},
    content: query.protocols.map((p) => p.getUserElement(user)).filter((e) => e !== null),
  }));
  return baileysEncode({
    tag: "iq",
    attrs: { id: "1.1-1", to: "s.whatsapp.net", type: "get", xmlns: "usync" },
    content: [{
      tag: "usync",
      attrs: { context: query.context, mode: query.mode, sid: "1", last: "true", index: "0" },
      content: [
        { tag: "query", attrs: {}, content: query.protocols.map((p) => p.getQueryElement()) },
        { tag: "list", attrs: {}, content: users },
      ],
    }],
  });
}

// The answer a server sends for those numbers, encoded once.
const answerNode: NodeInput = {
  tag: "iq",
  attrs: { from: "s.whatsapp.net", type: "result", id: "1.1-1" },
  content: [{
    tag: "usync",
    attrs: { sid: "1", mode: "query", context: "interactive", index: "0", last: "true" },
    content: [{
      tag: "list",
      attrs: {},
      content: NUMBERS.map((n, i) =>
        i % 10 === 0
          ? {
            tag: "user",
            attrs: { jid: `${100_000_000_000_000 + i}@lid`, pn_jid: `${n}@s.whatsapp.net` },
            content: [
              { tag: "contact", attrs: { type: "in" }, content: `+${n}` },
              { tag: "lid", attrs: { val: `${100_000_000_000_000 + i}@lid` } },
            ],
          }
          : {
            tag: "user",
            attrs: { jid: `${n}@s.whatsapp.net` },
            content: [{ tag: "contact", attrs: { type: "out" }, content: `+${n}` }],
          }
      ),
    }],
  }],
};
const answer = marshal(answerNode);
const spec = isOnWhatsAppSpec(NUMBERS);
const baileysQuery = new USyncQuery().withContactProtocol().withLIDProtocol();

// Both sides must agree before their speed means anything.
const ours = spec.parse(unmarshal(answer));
const theirs = baileysQuery.parseUSyncQueryResult(
  baileysDecode(answer.subarray(1), baileysConstants) as never,
)!;
if (
  ours.filter((r) => r.isRegistered).length !== 100 || theirs.list.filter((u) => u.contact).length !== 100
) {
  throw new Error("the two parsers disagree on the answer");
}

let sink = 0;

Deno.bench("wadeno isOnWhatsAppSpec + marshal", { group: "build 1,000-number query" }, () => {
  sink ^= ourRequest().length;
});
Deno.bench(
  "baileys USyncQuery + encodeBinaryNode",
  { group: "build 1,000-number query", baseline: true },
  () => {
    sink ^= baileysRequest().length;
  },
);
Deno.bench("wadeno unmarshal + parse", { group: "parse 1,000-number answer" }, () => {
  sink ^= spec.parse(unmarshal(answer)).length;
});
Deno.bench(
  "baileys decode + parseUSyncQueryResult",
  { group: "parse 1,000-number answer", baseline: true },
  () => {
    sink ^=
      baileysQuery.parseUSyncQueryResult(baileysDecode(answer.subarray(1), baileysConstants) as never)!.list
        .length;
  },
);

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
