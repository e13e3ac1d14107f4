/**
 * Groups:
 *
 * - Metadata of a 1,024-member group (the largest WhatsApp group size): the `w:g2` answer from bytes to
 *   typed metadata, wadeno's `unmarshal` + `parseGroupNode` against Baileys' `decodeDecompressedBinaryNode`
 *   + `extractGroupMetadata` (baileys@7.0.0-rc14) on the same bytes; and the parse step alone on an
 *   already decoded node.
 * - A group send right after a membership change against the same send without one: after a member is
 *   removed (and added back), our sender key is rotated, so the next send distributes the new key to
 *   every member device (one pairwise `msg` each over existing sessions) besides the `skmsg`. Only the
 *   send is measured (`b.start()`/`b.end()`); the remove and add IQs and their notifications are not.
 *
 * Run: deno bench --allow-read --allow-write --allow-env --allow-net=127.0.0.1 --allow-sys bench/groups.bench.ts
 */

import { Buffer } from "node:buffer";
import * as baileysBinary from "npm:/baileys@7.0.0-rc14/lib/WABinary/index.js";
import * as baileysConstants from "npm:/baileys@7.0.0-rc14/lib/WABinary/constants.js";
import { extractGroupMetadata } from "npm:/baileys@7.0.0-rc14/lib/Socket/groups.js";
import { getChild, Jid, marshal, type Node, type NodeInput, unmarshal } from "../src/binary/mod.ts";
import { parseGroupNode } from "../src/features/groups/parse.ts";
import { FakeWhatsApp } from "../src/testing/mod.ts";
import { pairedClient } from "./_paired_client.ts";

type BaileysNode = { tag: string; attrs: Record<string, string>; content?: unknown };
const baileysDecode = baileysBinary.decodeDecompressedBinaryNode as unknown as (
  buffer: Uint8Array,
  opts: typeof baileysConstants,
) => BaileysNode;
const baileysExtract = extractGroupMetadata as unknown as (node: BaileysNode) => { participants: unknown[] };

// ---- metadata of a 1,024-member group -----------------------------------------------------------

const SIZE = 1024;
const participants: NodeInput[] = [];
for (let i = 0; i < SIZE; i++) {
  participants.push({
    tag: "participant",
    attrs: {
      jid: Jid.pn(String(15550000000 + i)),
      lid: Jid.lid(String(100000000000000 + i * 7919)),
      type: i === 0 ? "superadmin" : i % 50 === 0 ? "admin" : undefined,
    },
  });
}
const answer = marshal({
  tag: "iq",
  attrs: { from: Jid.group("120363000000000001"), type: "result", id: "1" },
  content: [{
    tag: "group",
    attrs: {
      id: "120363000000000001",
      subject: "A large group",
      s_t: "1700000000",
      s_o: Jid.pn("15550000000"),
      creation: "1690000000",
      creator: Jid.pn("15550000000"),
      addressing_mode: "pn",
      size: String(SIZE),
    },
    content: [
      ...participants,
      {
        tag: "description",
        attrs: { id: "D1", participant: Jid.pn("15550000000"), t: "1700000000" },
        content: [{ tag: "body", attrs: {}, content: "Everyone on the street" }],
      },
      { tag: "member_add_mode", attrs: {}, content: "admin_add" },
      { tag: "ephemeral", attrs: { expiration: "604800" } },
    ],
  }],
});
const answerBuffer = Buffer.from(answer.subarray(1));
const decodedOurs: Node = getChild(unmarshal(answer), "group")!;
const decodedTheirs = baileysDecode(answerBuffer, baileysConstants);
if (
  parseGroupNode(decodedOurs).participants.length !== SIZE ||
  baileysExtract(decodedTheirs).participants.length !== SIZE
) {
  throw new Error("the corpus does not parse to 1,024 members");
}

let sink = 0;
Deno.bench("Baileys: decode + extractGroupMetadata", {
  group: "1,024-member metadata from bytes",
  baseline: true,
}, () => {
  sink ^= baileysExtract(baileysDecode(answerBuffer, baileysConstants)).participants.length;
});
Deno.bench("wadeno: unmarshal + parseGroupNode", { group: "1,024-member metadata from bytes" }, () => {
  sink ^= parseGroupNode(getChild(unmarshal(answer), "group")!).participants.length;
});
Deno.bench(
  "Baileys: extractGroupMetadata",
  { group: "1,024-member metadata, parse only", baseline: true },
  () => {
    sink ^= baileysExtract(decodedTheirs).participants.length;
  },
);
Deno.bench("wadeno: parseGroupNode", { group: "1,024-member metadata, parse only" }, () => {
  sink ^= parseGroupNode(decodedOurs).participants.length;
});

// ---- a group send after a membership change -------------------------------------------------------

const MEMBERS = 64;
const wa = await FakeWhatsApp.start();
const bot = await pairedClient(wa, "15559980000");
// Each member's phone (device 0) has keys from the start, so no client needs to run for the bot to send to
// it (running 64 receiving clients in this process would measure their decryption instead).
const members = Array.from({ length: MEMBERS }, (_, i) => wa.phone(String(15559981000 + i)).jid.toNonAd());
const { group } = await bot.groups.create({ subject: "bench", participants: members });
await bot.sendText(group.jid, "setup: sessions with every member device");
const churned = members[MEMBERS - 1];

function ownUpdate(type: "participantsRemoved" | "participantsAdded"): Promise<unknown> {
  return bot.waitFor("groupUpdate", {
    filter: (e) => e.group.equals(group.jid) && e.change.type === type,
    signal: AbortSignal.timeout(10_000),
  });
}

Deno.bench(
  "sendText to 64 members, no membership change",
  { group: "group send", baseline: true },
  async () => {
    await bot.sendText(group.jid, "hello");
  },
);
Deno.bench(
  "sendText to 64 members right after a removal (new sender key to all)",
  { group: "group send" },
  async (b) => {
    const removed = ownUpdate("participantsRemoved");
    await bot.groups.removeParticipants(group.jid, [churned]);
    await removed;
    const added = ownUpdate("participantsAdded");
    await bot.groups.addParticipants(group.jid, [churned]);
    await added;
    b.start();
    await bot.sendText(group.jid, "hello");
    b.end();
  },
);

globalThis.addEventListener("unload", () => {
  void Promise.allSettled([bot.disconnect(), wa.stop()]);
  if (sink === 0.5) console.log(sink);
});
