/**
 * FakeWhatsApp's group invites (reference/protocol-facts-features.md 4.1):
 *
 * - `<invite/>` to a group: `get` reads the code, `set` resets it (the old one answers 410 from then on);
 *   members only (403), admins only (401). A reset tells the admins the new code (`<invite code/>`) and
 *   the other members that the link was revoked (`<revoke/>`).
 * - `<invite code/>` to `g.us`: `get` answers the `<group>` without joining; `set` joins, or files a join
 *   request when the group needs approval (`<membership_approval_request jid/>`). 406 unknown code, 410
 *   revoked.
 * - `<accept code expiration admin/>` to a group: joins with a v4 invite (an add request the server
 *   issued when the invitee's privacy settings refused an add); 406 for a code that is not theirs or not
 *   for this group, 410 once expired. `<query><add_request …/></query>` answers the group without joining.
 *
 * @module
 */

import { getChild, type Node, type NodeInput } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { groupNode, isAdmin, isMember, type ServerGroup } from "./groups.ts";
import {
  admit,
  fileJoinRequest,
  type GroupRefusal,
  isRefusal,
  NOT_ADMIN,
  NOT_MEMBER,
} from "./server_groups_members.ts";
import { memberAccounts, notifyGroup } from "./server_groups_notify.ts";
import { unixNow } from "./stanza_util.ts";

const INVALID: GroupRefusal = { code: 406, text: "not-acceptable" };
const REVOKED: GroupRefusal = { code: 410, text: "gone" };

/** `<invite/>` to a group: the `<invite code/>` answer, or a refusal. */
export function inviteCode(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  reset: boolean,
): NodeInput | GroupRefusal {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (!isAdmin(group, actor)) return NOT_ADMIN;
  if (reset) {
    const code = wa.groups.resetInviteCode(group);
    const members = memberAccounts(group);
    notifyGroup(
      wa,
      group,
      actor,
      [{ tag: "invite", attrs: { code } }],
      members.filter((a) => isAdmin(group, a)),
    );
    notifyGroup(wa, group, actor, [{ tag: "revoke", attrs: {} }], members.filter((a) => !isAdmin(group, a)));
  }
  return { tag: "invite", attrs: { code: group.inviteCode } };
}

function byCode(wa: FakeWhatsApp, code: string | undefined): ServerGroup | GroupRefusal {
  const found = code ? wa.groups.byInviteCode(code) : undefined;
  if (found === "revoked") return REVOKED;
  return found ?? INVALID;
}

/** `<invite code/>` to `g.us`: the group (get), or joins it (set). */
export function inviteByCode(
  wa: FakeWhatsApp,
  account: Account,
  node: Node,
  join: boolean,
): NodeInput | GroupRefusal {
  const group = byCode(wa, node.attrs.code);
  if (isRefusal(group)) return group;
  if (!join) return groupNode(group);
  if (isMember(group, account)) return { tag: "group", attrs: { jid: group.jid } };
  if (group.membershipApproval) {
    fileJoinRequest(wa, group, account, "invite_link");
    return { tag: "membership_approval_request", attrs: { jid: group.jid } };
  }
  admit(wa, group, account, [account], "invite");
  return { tag: "group", attrs: { jid: group.jid } };
}

function addRequestFor(
  wa: FakeWhatsApp,
  group: ServerGroup,
  account: Account,
  node: Node,
): { code: string } | GroupRefusal {
  const code = node.attrs.code ?? "";
  const request = wa.groups.addRequest(code);
  if (!request || !request.group.equals(group.jid) || request.invitee !== account.phone) return INVALID;
  if (request.expiration < unixNow()) return REVOKED;
  return { code };
}

/** `<accept code expiration admin/>` to a group: joins with a v4 invite; nothing, or a refusal. */
export function acceptInvite(
  wa: FakeWhatsApp,
  group: ServerGroup,
  account: Account,
  node: Node,
): GroupRefusal | undefined {
  const found = addRequestFor(wa, group, account, node);
  if (isRefusal(found)) return found;
  wa.groups.useAddRequest(found.code);
  if (!isMember(group, account)) admit(wa, group, account, [account], "invite");
  return undefined;
}

/** `<query><add_request code expiration admin/></query>`: the group an invite message opens. */
export function inviteMessageInfo(
  wa: FakeWhatsApp,
  group: ServerGroup,
  account: Account,
  query: Node,
): NodeInput | GroupRefusal {
  const request = getChild(query, "add_request");
  if (!request) return { code: 400, text: "bad-request" };
  const found = addRequestFor(wa, group, account, request);
  return isRefusal(found) ? found : groupNode(group);
}
