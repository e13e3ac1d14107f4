/**
 * FakeWhatsApp's group membership rules: adding, removing, promoting and demoting members, leaving,
 * and join requests, with the per-participant codes of reference/protocol-facts-features.md 4.3:
 *
 * | code | add | remove / promote / demote | approve / reject |
 * | --- | --- | --- | --- |
 * | 404 | no such account | not a member | no request from them |
 * | 409 | already a member | | |
 * | 408 | left less than `rejoinCooldownMs` ago | | |
 * | 403 | they blocked the adder; or their `groupadd` privacy refuses it (then with `<add_request code expiration/>`, the code of a v4 invite) | only the superadmin may demote or remove the superadmin | |
 * | 500 | the group has 257 members | | |
 *
 * Operation-level refusals (the IQ fails): not a member 403; not an admin 401 (removing, promoting,
 * demoting, join requests; adding when the group's member add mode is `admin_add` or the group is
 * locked). When the last admin leaves or is removed and members remain, the server promotes the
 * longest-standing member (a `<promote>` without an author); a group whose last member left is deleted.
 *
 * @module
 */

import type { Jid, NodeInput } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { isAdmin, isMember, participantNode, type ServerGroup } from "./groups.ts";
import { memberAccounts, notifyGroup, notifyJoined } from "./server_groups_notify.ts";

/** The most members a group may have (the creator included). */
export const SERVER_GROUP_SIZE_LIMIT = 257;

/** An operation the server refuses as a whole: the IQ's error code and text. */
export interface GroupRefusal {
  /** The error code. */
  code: number;
  /** The error text. */
  text: string;
}

/** The refusal for someone who is not a member. */
export const NOT_MEMBER: GroupRefusal = { code: 403, text: "forbidden" };
/** The refusal for a member who is not an admin. */
export const NOT_ADMIN: GroupRefusal = { code: 401, text: "not-authorized" };

/** True when a value is a {@linkcode GroupRefusal}. */
export function isRefusal(value: unknown): value is GroupRefusal {
  return typeof value === "object" && value !== null && "code" in value && "text" in value;
}

/** A per-participant result node: the requested JID, `error` when it failed, and extra children. */
function resultNode(jid: Jid, error?: number, content?: NodeInput[]): NodeInput {
  return { tag: "participant", attrs: { jid, error: error ? String(error) : undefined }, content };
}

function blocked(target: Account, actor: Account): boolean {
  return target.blocklist.has(`${actor.phone}@s.whatsapp.net`) || target.blocklist.has(`${actor.lid}@lid`);
}

/** Whether `target`'s `groupadd` privacy setting lets `actor` add them. */
function privacyAllows(target: Account, actor: Account): boolean {
  const setting = target.privacy.get("groupadd") ?? "all";
  if (setting === "all") return true;
  if (setting === "none") return false;
  return target.contacts.has(actor.phone);
}

/** Makes accounts members and tells everyone: `<add>` to the members before, `<create>` to the new ones. */
export function admit(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account | undefined,
  accounts: Account[],
  reason?: string,
): void {
  if (accounts.length === 0) return;
  const before = memberAccounts(group);
  for (const account of accounts) {
    group.members.set(account.phone, { account, role: "member" });
    group.leftAt.delete(account.phone);
    group.requests.delete(account.phone);
  }
  notifyGroup(
    wa,
    group,
    actor,
    [{ tag: "add", attrs: { reason }, content: accounts.map((a) => participantNode(group, a)) }],
    before,
  );
  notifyJoined(wa, group, actor, accounts, { reason });
}

/** Can `actor` add people to `group`? */
export function mayAdd(group: ServerGroup, actor: Account): GroupRefusal | undefined {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if ((group.memberAddMode === "admin_add" || group.locked) && !isAdmin(group, actor)) return NOT_ADMIN;
  return undefined;
}

/**
 * Checks each person against the add rules (the table above) without adding anyone: the answer's
 * `<participant>` nodes and the accounts that may be added.
 */
export function screenAdds(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  jids: readonly Jid[],
): { results: NodeInput[]; admitted: Account[] } {
  const results: NodeInput[] = [];
  const admitted: Account[] = [];
  const now = Date.now();
  for (const jid of jids) {
    const account = wa.accounts.byJid(jid);
    if (!account) {
      results.push(resultNode(jid, 404));
      continue;
    }
    const left = group.leftAt.get(account.phone);
    if (isMember(group, account) || admitted.includes(account)) results.push(resultNode(jid, 409));
    else if (group.members.size + admitted.length >= SERVER_GROUP_SIZE_LIMIT) {
      results.push(resultNode(jid, 500));
    } else if (left !== undefined && now - left < wa.groups.rejoinCooldownMs) {
      results.push(resultNode(jid, 408));
    } else if (blocked(account, actor)) results.push(resultNode(jid, 403));
    else if (!privacyAllows(account, actor)) {
      const { code, expiration } = wa.groups.issueAddRequest(group, account, actor);
      results.push(
        resultNode(jid, 403, [{ tag: "add_request", attrs: { code, expiration: String(expiration) } }]),
      );
    } else {
      admitted.push(account);
      const node = participantNode(group, account);
      results.push({ ...node, attrs: { ...node.attrs, jid } });
    }
  }
  return { results, admitted };
}

/** Adds people (`<add>`); the answer's `<participant>` nodes, or a refusal. */
export function addMembers(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  jids: readonly Jid[],
): NodeInput[] | GroupRefusal {
  const refusal = mayAdd(group, actor);
  if (refusal) return refusal;
  const { results, admitted } = screenAdds(wa, group, actor, jids);
  admit(wa, group, actor, admitted);
  return results;
}

/** When no admin is left but members are, the longest-standing member becomes one. */
export function ensureAdmin(wa: FakeWhatsApp, group: ServerGroup): void {
  const members = [...group.members.values()];
  if (members.length === 0) {
    wa.groups.delete(group);
    return;
  }
  if (members.some((m) => m.role !== "member")) return;
  members[0].role = "admin";
  notifyGroup(wa, group, undefined, [{
    tag: "promote",
    attrs: {},
    content: [participantNode(group, members[0].account, "admin")],
  }]);
}

/** Removes accounts from a group and tells them and everyone left (`<remove>`). */
function expel(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  accounts: Account[],
  reason?: string,
): void {
  if (accounts.length === 0) return;
  for (const a of accounts) group.members.delete(a.phone);
  notifyGroup(
    wa,
    group,
    actor,
    [{ tag: "remove", attrs: { reason }, content: accounts.map((a) => participantNode(group, a)) }],
    [...memberAccounts(group), ...accounts],
  );
  ensureAdmin(wa, group);
}

/** Removes members (`<remove>`, admins only); the answer's `<participant>` nodes, or a refusal. */
export function removeMembers(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  jids: readonly Jid[],
): NodeInput[] | GroupRefusal {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (!isAdmin(group, actor)) return NOT_ADMIN;
  const results: NodeInput[] = [];
  const removed: Account[] = [];
  const actorRole = group.members.get(actor.phone)!.role;
  for (const jid of jids) {
    const account = wa.accounts.byJid(jid);
    const member = account && group.members.get(account.phone);
    if (!account || !member || removed.includes(account)) results.push(resultNode(jid, 404));
    else if (member.role === "superadmin" && actorRole !== "superadmin") results.push(resultNode(jid, 403));
    else {
      removed.push(account);
      results.push(resultNode(jid));
    }
  }
  expel(wa, group, actor, removed);
  return results;
}

/** Promotes or demotes members (admins only); the answer's `<participant>` nodes, or a refusal. */
export function changeRoles(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  jids: readonly Jid[],
  promote: boolean,
): NodeInput[] | GroupRefusal {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (!isAdmin(group, actor)) return NOT_ADMIN;
  const results: NodeInput[] = [];
  const changed: Account[] = [];
  const actorRole = group.members.get(actor.phone)!.role;
  for (const jid of jids) {
    const account = wa.accounts.byJid(jid);
    const member = account && group.members.get(account.phone);
    if (!account || !member) {
      results.push(resultNode(jid, 404));
      continue;
    }
    if (!promote && member.role === "superadmin" && actorRole !== "superadmin") {
      results.push(resultNode(jid, 403));
      continue;
    }
    results.push(resultNode(jid));
    const next = promote ? (member.role === "member" ? "admin" : member.role) : "member";
    if (next !== member.role) {
      member.role = next;
      changed.push(account);
    }
  }
  if (changed.length) {
    notifyGroup(wa, group, actor, [{
      tag: promote ? "promote" : "demote",
      attrs: {},
      content: changed.map((a) => participantNode(group, a, promote ? "admin" : undefined)),
    }]);
  }
  if (!promote) ensureAdmin(wa, group);
  return results;
}

/** An account leaves a group by itself; `false` when it was not a member. */
export function leave(wa: FakeWhatsApp, group: ServerGroup, account: Account): boolean {
  if (!isMember(group, account)) return false;
  group.leftAt.set(account.phone, Date.now());
  expel(wa, group, account, [account]);
  return true;
}

/** Files a request to join (a link into a group with approval on) and tells the admins. */
export function fileJoinRequest(
  wa: FakeWhatsApp,
  group: ServerGroup,
  account: Account,
  method: string,
): void {
  group.requests.set(account.phone, { account, t: Math.floor(Date.now() / 1000), method });
  const admins = [...group.members.values()].filter((m) => m.role !== "member").map((m) => m.account);
  notifyGroup(wa, group, account, [{
    tag: "created_membership_requests",
    attrs: { request_method: method },
    content: [participantNode(group, account, undefined, "requested_user")],
  }], admins);
}

/** The pending requests (`<membership_approval_requests>`, admins only), or a refusal. */
export function listJoinRequests(group: ServerGroup, actor: Account): NodeInput[] | GroupRefusal {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (!isAdmin(group, actor)) return NOT_ADMIN;
  return [...group.requests.values()].map((r) => {
    const node = participantNode(group, r.account, undefined, "membership_approval_request");
    return { ...node, attrs: { ...node.attrs, request_time: String(r.t) } };
  });
}

/** Approves or rejects join requests (admins only); the answer's `<participant>` nodes, or a refusal. */
export function actOnJoinRequests(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  jids: readonly Jid[],
  approve: boolean,
): NodeInput[] | GroupRefusal {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (!isAdmin(group, actor)) return NOT_ADMIN;
  const results: NodeInput[] = [];
  const chosen: Account[] = [];
  for (const jid of jids) {
    const account = wa.accounts.byJid(jid);
    if (!account || !group.requests.has(account.phone)) {
      results.push(resultNode(jid, 404));
      continue;
    }
    group.requests.delete(account.phone);
    chosen.push(account);
    results.push(resultNode(jid));
  }
  if (approve) admit(wa, group, actor, chosen);
  else if (chosen.length) {
    const admins = [...group.members.values()].filter((m) => m.role !== "member").map((m) => m.account);
    notifyGroup(wa, group, actor, [{
      tag: "revoked_membership_requests",
      attrs: {},
      content: chosen.map((a) => participantNode(group, a)),
    }], [...admins, ...chosen]);
  }
  return results;
}
