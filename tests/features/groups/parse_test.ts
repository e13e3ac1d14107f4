// Reading the <group> node. The node shapes are those whatsmeow group.go parseGroupNode / parseParticipant
// read (tulir/whatsmeow, group.go), as gathered in /work/shared/reference/protocol-facts-features.md §4.2.
import fc from "npm:fast-check@4.10.2";
import { assert, assertEquals } from "../../_assert.ts";
import { Jid, type Node } from "../../../src/binary/mod.ts";
import { parseGroupNode, parseParticipant } from "../../../src/features/groups/parse.ts";

const enc = new TextEncoder();

/** A pn-mode group with every child whatsmeow reads. */
function fullGroupNode(): Node {
  return {
    tag: "group",
    attrs: {
      id: "120363000000000001",
      subject: "Lunch",
      s_t: "1700000000",
      s_o: "15550000001@s.whatsapp.net",
      creation: "1690000000",
      creator: "15550000001@s.whatsapp.net",
      addressing_mode: "pn",
      size: "3",
    },
    content: [
      {
        tag: "participant",
        attrs: { jid: "15550000001@s.whatsapp.net", lid: "100000000000001@lid", type: "superadmin" },
      },
      {
        tag: "participant",
        attrs: { jid: "15550000002@s.whatsapp.net", lid: "100000000000002@lid", type: "admin" },
      },
      { tag: "participant", attrs: { jid: "15550000003@s.whatsapp.net" } },
      {
        tag: "description",
        attrs: { id: "DESC1", participant: "15550000002@s.whatsapp.net", t: "1700000100" },
        content: [{ tag: "body", attrs: {}, content: enc.encode("Fridays at noon") }],
      },
      { tag: "announcement", attrs: {} },
      { tag: "locked", attrs: {} },
      { tag: "ephemeral", attrs: { expiration: "604800", trigger: "1" } },
      { tag: "member_add_mode", attrs: {}, content: enc.encode("admin_add") },
      {
        tag: "membership_approval_mode",
        attrs: {},
        content: [{ tag: "group_join", attrs: { state: "on" } }],
      },
      { tag: "linked_parent", attrs: { jid: "120363000000000009@g.us" } },
      { tag: "default_sub_group", attrs: {} },
    ],
  };
}

Deno.test("parseGroupNode reads every attribute and child of a pn-mode group", () => {
  const info = parseGroupNode(fullGroupNode());
  assertEquals(info.jid.toString(), "120363000000000001@g.us");
  assertEquals([info.subject, info.subjectOwner?.user, info.subjectTime?.getTime()], [
    "Lunch",
    "15550000001",
    1_700_000_000_000,
  ]);
  assertEquals([info.creator?.user, info.created?.getTime(), info.size, info.addressingMode], [
    "15550000001",
    1_690_000_000_000,
    3,
    "pn",
  ]);
  assertEquals(
    info.participants.map((
      p,
    ) => [p.jid.toString(), p.lid?.toString(), p.phoneNumber?.toString(), p.isAdmin, p.isSuperAdmin]),
    [
      ["15550000001@s.whatsapp.net", "100000000000001@lid", "15550000001@s.whatsapp.net", true, true],
      ["15550000002@s.whatsapp.net", "100000000000002@lid", "15550000002@s.whatsapp.net", true, false],
      ["15550000003@s.whatsapp.net", undefined, "15550000003@s.whatsapp.net", false, false],
    ],
  );
  assertEquals([info.description?.text, info.description?.id, info.description?.setBy?.user], [
    "Fridays at noon",
    "DESC1",
    "15550000002",
  ]);
  assertEquals(info.description?.setAt?.getTime(), 1_700_000_100_000);
  assertEquals(
    [info.announce, info.locked, info.ephemeralExpiration, info.memberAddMode, info.membershipApproval],
    [true, true, 604_800, "admin_add", true],
  );
  assertEquals([info.linkedParent?.toString(), info.isDefaultSubGroup, info.isCommunity], [
    "120363000000000009@g.us",
    true,
    false,
  ]);
});

Deno.test("parseGroupNode: a lid-mode member carries its phone number; defaults when children are absent", () => {
  const info = parseGroupNode({
    tag: "group",
    attrs: {
      id: "120363000000000002",
      subject: "",
      addressing_mode: "lid",
      creator_pn: "15550000001@s.whatsapp.net",
    },
    content: [
      {
        tag: "participant",
        attrs: { jid: "100000000000001@lid", phone_number: "15550000001@s.whatsapp.net" },
      },
      { tag: "parent", attrs: { default_membership_approval_mode: "request_required" } },
    ],
  });
  assertEquals(info.participants[0].lid?.toString(), "100000000000001@lid");
  assertEquals(info.participants[0].phoneNumber?.toString(), "15550000001@s.whatsapp.net");
  assertEquals(info.creatorPn?.user, "15550000001");
  assertEquals([
    info.isCommunity,
    info.announce,
    info.locked,
    info.membershipApproval,
    info.ephemeralExpiration,
  ], [
    true,
    false,
    false,
    false,
    0,
  ]);
  assertEquals(info.memberAddMode, undefined);
  assertEquals(info.description, undefined);
});

Deno.test("parseGroupNode drops malformed and refused participants and decodes bad UTF-8 leniently", () => {
  const info = parseGroupNode({
    tag: "group",
    attrs: { id: "120363000000000003", size: "-4", creation: "soon" },
    content: [
      { tag: "participant", attrs: { jid: "not a jid" } },
      { tag: "participant", attrs: {} },
      { tag: "participant", attrs: { jid: "120363000000000004@g.us" } },
      { tag: "participant", attrs: { jid: "15550000009@s.whatsapp.net", error: "403" } },
      { tag: "participant", attrs: { jid: "15550000005@s.whatsapp.net" } },
      {
        tag: "description",
        attrs: { id: "D" },
        content: [{ tag: "body", attrs: {}, content: new Uint8Array([0x61, 0xff, 0x62]) }],
      },
      {
        tag: "membership_approval_mode",
        attrs: {},
        content: [{ tag: "group_join", attrs: { state: "off" } }],
      },
    ],
  });
  assertEquals(info.participants.map((p) => p.jid.user), ["15550000005"]);
  assertEquals([info.size, info.created], [undefined, undefined]);
  assertEquals(info.description?.text, "a\ufffdb");
  assertEquals(info.membershipApproval, false);
});

Deno.test("parseParticipant ignores a phone_number that is not a phone number", () => {
  const member = parseParticipant({ tag: "participant", attrs: { jid: "1@lid", phone_number: "2@lid" } });
  assertEquals(member?.phoneNumber, undefined);
  assertEquals(member?.jid.equals(Jid.lid("1")), true);
});

Deno.test("parseGroupNode never throws on arbitrary attributes and children (bounded property run)", () => {
  const attrs = fc.dictionary(
    fc.constantFrom(
      "id",
      "jid",
      "type",
      "subject",
      "s_t",
      "size",
      "expiration",
      "phone_number",
      "lid",
      "error",
      "state",
    ),
    fc.string({ maxLength: 30 }),
  );
  const leaf = fc.record({
    tag: fc.constantFrom(
      "participant",
      "description",
      "ephemeral",
      "member_add_mode",
      "membership_approval_mode",
      "body",
      "group_join",
      "x",
    ),
    attrs,
  });
  const child = fc.record({
    tag: fc.constantFrom(
      "participant",
      "description",
      "ephemeral",
      "member_add_mode",
      "membership_approval_mode",
      "linked_parent",
    ),
    attrs,
    content: fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 16 }),
      fc.array(leaf, { maxLength: 3 }),
    ),
  });
  fc.assert(
    fc.property(attrs, fc.array(child, { maxLength: 8 }), (a, children) => {
      const info = parseGroupNode({ tag: "group", attrs: a, content: children as Node[] });
      assert(info.participants.length <= children.length);
    }),
    { numRuns: 300, seed: 13 },
  );
});
