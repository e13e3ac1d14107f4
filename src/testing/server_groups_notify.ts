/**
 * How FakeWhatsApp tells a group's members about a change: one `<notification type="w:gp2" from=GROUP
 * participant=ACTOR [participant_pn] notify addressing_mode>` per device of every account concerned
 * (the actor's own devices included, as the real service does so they all show the change), live or into
 * the offline queues. Children per reference/protocol-facts-features.md 4.4.
 *
 * @module
 */

import { Jid, type NodeInput } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { groupNode, memberAddress, type ServerGroup } from "./groups.ts";

/** Every member account of a group. */
export function memberAccounts(group: ServerGroup): Account[] {
  return [...group.members.values()].map((m) => m.account);
}

/**
 * Sends a `w:gp2` notification with `children` to every device of `to` (default: every member). The
 * actor is omitted for changes the server makes itself (an automatic promotion).
 */
export function notifyGroup(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account | undefined,
  children: NodeInput[],
  to: Iterable<Account> = memberAccounts(group),
): void {
  const lid = group.addressingMode === "lid";
  const seen = new Set<string>();
  for (const account of to) {
    if (seen.has(account.phone)) continue;
    seen.add(account.phone);
    wa.notifyAccount(account, {
      attrs: {
        from: group.jid,
        type: "w:gp2",
        participant: actor ? memberAddress(group, actor) : undefined,
        participant_pn: actor && lid ? Jid.pn(actor.phone) : undefined,
        notify: actor?.pushName,
        addressing_mode: group.addressingMode,
      },
      content: children,
    });
  }
}

/** Tells `accounts` they are now in `group`: `<create [type="new"] [reason] [key]><group …/></create>`. */
export function notifyJoined(
  wa: FakeWhatsApp,
  group: ServerGroup,
  actor: Account | undefined,
  accounts: Iterable<Account>,
  attrs: { type?: string; reason?: string; key?: string } = {},
): void {
  notifyGroup(wa, group, actor, [{ tag: "create", attrs, content: [groupNode(group)] }], accounts);
}
