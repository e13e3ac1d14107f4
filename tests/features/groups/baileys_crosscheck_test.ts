// Cross-check: the <group> node FakeWhatsApp answers, marshalled to bytes, read by wadeno (unmarshal +
// parseGroupNode) and by Baileys (decodeDecompressedBinaryNode + extractGroupMetadata from
// baileys@7.0.0-rc14 lib/Socket/groups.js): both must see the same group.
import { Buffer } from "node:buffer";
import { assertEquals } from "../../_assert.ts";
import * as baileysBinary from "npm:/baileys@7.0.0-rc14/lib/WABinary/index.js";
import * as baileysConstants from "npm:/baileys@7.0.0-rc14/lib/WABinary/constants.js";
import { extractGroupMetadata } from "npm:/baileys@7.0.0-rc14/lib/Socket/groups.js";
import { getChild, Jid, marshal, unmarshal } from "../../../src/binary/mod.ts";
import { parseGroupNode } from "../../../src/features/groups/parse.ts";
import { AccountRegistry } from "../../../src/testing/accounts.ts";
import { groupNode, GroupRegistry } from "../../../src/testing/groups.ts";

type BaileysNode = { tag: string; attrs: Record<string, string>; content?: unknown };
const decode = baileysBinary.decodeDecompressedBinaryNode as unknown as (
  buffer: Uint8Array,
  opts: typeof baileysConstants,
) => BaileysNode;
const extract = extractGroupMetadata as unknown as (node: BaileysNode) => {
  id: string;
  subject: string;
  subjectOwner?: string;
  owner?: string;
  ownerPn?: string;
  desc?: string;
  descId?: string;
  restrict: boolean;
  announce: boolean;
  joinApprovalMode: boolean;
  memberAddMode: boolean;
  ephemeralDuration?: number;
  addressingMode: string;
  size: number;
  participants: { id: string; phoneNumber?: string; lid?: string; admin: string | null }[];
};

for (const mode of ["pn", "lid"] as const) {
  Deno.test(`a ${mode}-mode group reads the same in wadeno and Baileys`, () => {
    const accounts = new AccountRegistry();
    const groups = new GroupRegistry(accounts);
    const group = groups.create({
      creator: Jid.pn("15550000001"),
      participants: [Jid.pn("15550000002"), Jid.pn("15550000003")],
      subject: "Cross-check ✓",
      addressingMode: mode,
      locked: true,
      announce: true,
      membershipApproval: true,
      memberAddMode: "admin_add",
      ephemeral: 604_800,
      description: "Read me",
    });
    group.members.get("15550000002")!.role = "admin";
    const bytes = marshal({
      tag: "iq",
      attrs: { type: "result", from: group.jid },
      content: [groupNode(group)],
    });
    const ours = parseGroupNode(getChild(unmarshal(bytes), "group")!);
    const theirs = extract(decode(Buffer.from(bytes.subarray(1)), baileysConstants));
    assertEquals(ours.jid.toString(), theirs.id);
    assertEquals([ours.subject, ours.subjectOwner?.toString(), ours.creator?.toString()], [
      theirs.subject,
      theirs.subjectOwner,
      theirs.owner,
    ]);
    assertEquals(ours.creatorPn?.toString(), theirs.ownerPn);
    assertEquals([ours.description?.text, ours.description?.id], [theirs.desc, theirs.descId]);
    assertEquals(
      [ours.locked, ours.announce, ours.membershipApproval, ours.memberAddMode === "all_member_add"],
      [theirs.restrict, theirs.announce, theirs.joinApprovalMode, theirs.memberAddMode],
    );
    assertEquals([ours.ephemeralExpiration, ours.addressingMode, ours.size], [
      theirs.ephemeralDuration,
      theirs.addressingMode,
      theirs.size,
    ]);
    assertEquals(
      ours.participants.map((p) => [
        p.jid.toString(),
        mode === "lid" ? p.phoneNumber?.toString() : p.lid?.toString(),
        p.isSuperAdmin ? "superadmin" : p.isAdmin ? "admin" : null,
      ]),
      theirs.participants.map((p) => [p.id, mode === "lid" ? p.phoneNumber : p.lid, p.admin]),
    );
  });
}
