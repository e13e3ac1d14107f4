/**
 * FakeWhatsApp's group info and settings changes (reference/protocol-facts-features.md 4.1, 4.4):
 *
 * - subject (`<subject>text</subject>`: 1 to 100 characters, else 406), description (`<description id
 *   [prev] [delete]><body/></description>`: at most 2048 characters, else 406; a `prev` that is not the
 *   current id is 409 `conflict`), disappearing timer (`<ephemeral expiration/>` / `<not_ephemeral/>`:
 *   86400, 604800 or 7776000, else 400): any member, admins only when the group is locked;
 * - `<announcement/>` / `<not_announcement/>`, `<locked/>` / `<unlocked/>`, `<member_add_mode>`,
 *   `<membership_approval_mode><group_join state/>`: admins only.
 *
 * Not a member: 403; not an admin where one is needed: 401. Every change that changes something is
 * announced to every member's devices with the matching `w:gp2` child.
 *
 * @module
 */

import { getChild, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { nodeText } from "../features/groups/parse.ts";
import type { Account } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { isAdmin, isMember, memberAddress, type ServerGroup } from "./groups.ts";
import { type GroupRefusal, NOT_ADMIN, NOT_MEMBER } from "./server_groups_members.ts";
import { notifyGroup } from "./server_groups_notify.ts";
import { unixNow } from "./stanza_util.ts";

/** The timers the server accepts, in seconds. */
export const SERVER_EPHEMERAL_TIMERS: readonly number[] = [86_400, 604_800, 7_776_000];

function mayEditInfo(group: ServerGroup, actor: Account): GroupRefusal | undefined {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (group.locked && !isAdmin(group, actor)) return NOT_ADMIN;
  return undefined;
}

function mayChangeSettings(group: ServerGroup, actor: Account): GroupRefusal | undefined {
  if (!isMember(group, actor)) return NOT_MEMBER;
  if (!isAdmin(group, actor)) return NOT_ADMIN;
  return undefined;
}

/** Applies one info or settings child (`subject`, `description`, `announcement`, ...); a refusal or nothing. */
export function changeGroupSetting(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account,
  child: Node,
): GroupRefusal | undefined {
  const notify = (node: NodeInput) => notifyGroup(wa, group, actor, [node]);
  switch (child.tag) {
    case "subject": {
      const refusal = mayEditInfo(group, actor);
      if (refusal) return refusal;
      const subject = nodeText(child);
      if (subject.trim().length === 0 || subject.length > 100) return { code: 406, text: "not-acceptable" };
      group.subject = subject;
      group.subjectTime = unixNow();
      group.subjectOwner = actor;
      notify({
        tag: "subject",
        attrs: {
          subject,
          s_t: String(group.subjectTime),
          s_o: memberAddress(group, actor),
          s_o_pn: group.addressingMode === "lid" ? Jid.pn(actor.phone) : undefined,
        },
      });
      return undefined;
    }
    case "description": {
      const refusal = mayEditInfo(group, actor);
      if (refusal) return refusal;
      const prev = child.attrs.prev;
      if (prev !== undefined && prev !== (group.description?.id ?? "")) {
        return { code: 409, text: "conflict" };
      }
      const id = child.attrs.id;
      if (!id) return { code: 400, text: "bad-request" };
      if (child.attrs.delete === "true") {
        group.description = undefined;
        notify({ tag: "description", attrs: { id }, content: [{ tag: "delete", attrs: {} }] });
        return undefined;
      }
      const body = nodeText(getChild(child, "body"));
      if (body.length > 2048) return { code: 406, text: "not-acceptable" };
      group.description = { text: body, id, setBy: actor, t: unixNow() };
      notify({ tag: "description", attrs: { id }, content: [{ tag: "body", attrs: {}, content: body }] });
      return undefined;
    }
    case "ephemeral":
    case "not_ephemeral": {
      const refusal = mayEditInfo(group, actor);
      if (refusal) return refusal;
      const seconds = child.tag === "ephemeral" ? Number(child.attrs.expiration) : 0;
      if (child.tag === "ephemeral" && !SERVER_EPHEMERAL_TIMERS.includes(seconds)) {
        return { code: 400, text: "bad-request" };
      }
      if (group.ephemeral === seconds) return undefined;
      group.ephemeral = seconds;
      notify(
        seconds
          ? { tag: "ephemeral", attrs: { expiration: String(seconds) } }
          : { tag: "not_ephemeral", attrs: {} },
      );
      return undefined;
    }
    case "announcement":
    case "not_announcement":
    case "locked":
    case "unlocked": {
      const refusal = mayChangeSettings(group, actor);
      if (refusal) return refusal;
      const on = child.tag === "announcement" || child.tag === "locked";
      const key = child.tag.endsWith("announcement") ? "announce" : "locked";
      if (group[key] === on) return undefined;
      group[key] = on;
      notify({ tag: child.tag, attrs: {} });
      return undefined;
    }
    case "member_add_mode": {
      const refusal = mayChangeSettings(group, actor);
      if (refusal) return refusal;
      const mode = nodeText(child);
      if (mode !== "admin_add" && mode !== "all_member_add") return { code: 400, text: "bad-request" };
      if (group.memberAddMode === mode) return undefined;
      group.memberAddMode = mode;
      notify({ tag: "member_add_mode", attrs: {}, content: mode });
      return undefined;
    }
    case "membership_approval_mode": {
      const refusal = mayChangeSettings(group, actor);
      if (refusal) return refusal;
      const state = getChild(child, "group_join")?.attrs.state;
      if (state !== "on" && state !== "off") return { code: 400, text: "bad-request" };
      if (group.membershipApproval === (state === "on")) return undefined;
      group.membershipApproval = state === "on";
      notify({
        tag: "membership_approval_mode",
        attrs: {},
        content: [{ tag: "group_join", attrs: { state } }],
      });
      return undefined;
    }
  }
  return { code: 501, text: "feature-not-implemented" };
}
