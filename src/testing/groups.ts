/**
 * FakeWhatsApp's groups, minimal for messaging: a group has an id (`120363…@g.us`), a subject, a creator
 * (its superadmin), members with roles and an addressing mode (`pn` or `lid`), and answers the metadata
 * query `<iq xmlns="w:g2" type="get" to=GROUP><query request="interactive"/></iq>`.
 *
 * The `<group>` node follows whatsmeow's group.go (`parseGroupNode`, `parseParticipant`): `id` is the
 * group's user part; `subject`, `s_t`, `s_o`, `creation`, `creator` (plus `creator_pn` in lid mode),
 * `addressing_mode` and `size`; a participant is `jid=PN lid=LID` in pn mode and `jid=LID
 * phone_number=PN` in lid mode, with `type="admin"|"superadmin"` for admins. Errors: 404
 * `item-not-found` for an unknown group, 403 `forbidden` when the asking device's account is not a member.
 *
 * @module
 */

import { getChild, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { randomBytes } from "../crypto/mod.ts";
import type { Account, AccountRegistry } from "./accounts.ts";
import { type FakeWhatsApp, iqError } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import { unixNow } from "./stanza_util.ts";

/** How a group addresses its members on the wire: by phone number or by LID. */
export type GroupAddressingMode = "pn" | "lid";

/** A member's role. */
export type GroupRole = "member" | "admin" | "superadmin";

/** Options for `FakeWhatsApp.createGroup`. */
export interface CreateGroupOptions {
  /** The creator (PN or LID; any device of it): becomes the superadmin. Must be a known account for a LID. */
  creator: Jid;
  /** The other members (PN or LID users). PN accounts are created when missing; LIDs must be known. */
  participants: Jid[];
  /** The subject. Default `Group`. */
  subject?: string;
  /** The addressing mode. Default `pn`. */
  addressingMode?: GroupAddressingMode;
}

/** A member of a group, as `FakeWhatsApp.groupParticipants` lists it. */
export interface GroupParticipant {
  /** The member's phone-number user JID. */
  pn: Jid;
  /** The member's LID user JID. */
  lid: Jid;
  /** The member's role. */
  role: GroupRole;
}

/** A group as the server keeps it. */
export interface ServerGroup {
  /** The group JID (`120363…@g.us`). */
  jid: Jid;
  /** Subject. */
  subject: string;
  /** When the subject was set, in seconds. */
  subjectTime: number;
  /** The creator's account. */
  creator: Account;
  /** When the group was created, in seconds. */
  creation: number;
  /** Addressing mode. */
  addressingMode: GroupAddressingMode;
  /** Members by phone number, in the order they were added. */
  members: Map<string, { account: Account; role: GroupRole }>;
}

/** The error thrown for a group that cannot be created as asked. */
export class GroupError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "GroupError";
  }
}

/** All groups of one FakeWhatsApp. */
export class GroupRegistry {
  readonly #groups = new Map<string, ServerGroup>();
  readonly #accounts: AccountRegistry;

  /** Creates an empty registry over the server's accounts. */
  constructor(accounts: AccountRegistry) {
    this.#accounts = accounts;
  }

  #account(jid: Jid): Account {
    if (jid.isPn()) return this.#accounts.getOrCreate(jid.user);
    const account = this.#accounts.byJid(jid);
    if (!account) throw new GroupError(`no account has the LID ${jid}`);
    return account;
  }

  /** Creates a group and returns it. Throws {@linkcode GroupError} for an unknown LID member. */
  create(options: CreateGroupOptions): ServerGroup {
    const creator = this.#account(options.creator);
    let id: string;
    do {
      // 120363 followed by 12 digits, the shape of real group ids.
      id = "120363" + [...randomBytes(12)].map((b) => String(b % 10)).join("");
    } while (this.#groups.has(id));
    const now = unixNow();
    const group: ServerGroup = {
      jid: Jid.group(id),
      subject: options.subject ?? "Group",
      subjectTime: now,
      creator,
      creation: now,
      addressingMode: options.addressingMode ?? "pn",
      members: new Map([[creator.phone, { account: creator, role: "superadmin" }]]),
    };
    for (const jid of options.participants) {
      const account = this.#account(jid);
      if (!group.members.has(account.phone)) group.members.set(account.phone, { account, role: "member" });
    }
    this.#groups.set(id, group);
    return group;
  }

  /** The group a JID names, if any. */
  get(jid: Jid): ServerGroup | undefined {
    return jid.isGroup() ? this.#groups.get(jid.user) : undefined;
  }

  /** The members of a group (empty for an unknown group). */
  participants(jid: Jid): GroupParticipant[] {
    const group = this.get(jid);
    return group
      ? [...group.members.values()].map(({ account, role }) => ({
        pn: Jid.pn(account.phone),
        lid: Jid.lid(account.lid),
        role,
      }))
      : [];
  }
}

/** Whether an account is a member of a group. */
export function isMember(group: ServerGroup, account: Account): boolean {
  return group.members.has(account.phone);
}

/** The `<group>` metadata node, addressed as the group's mode says. */
export function groupNode(group: ServerGroup): NodeInput {
  const lid = group.addressingMode === "lid";
  const user = (a: Account) => lid ? Jid.lid(a.lid) : Jid.pn(a.phone);
  return {
    tag: "group",
    attrs: {
      id: group.jid.user,
      subject: group.subject,
      s_t: String(group.subjectTime),
      s_o: user(group.creator),
      creator: user(group.creator),
      creator_pn: lid ? Jid.pn(group.creator.phone) : undefined,
      creation: String(group.creation),
      addressing_mode: group.addressingMode,
      size: String(group.members.size),
    },
    content: [...group.members.values()].map(({ account, role }) => ({
      tag: "participant",
      attrs: {
        jid: user(account),
        lid: lid ? undefined : Jid.lid(account.lid),
        phone_number: lid ? Jid.pn(account.phone) : undefined,
        type: role === "member" ? undefined : role,
      },
    })),
  };
}

/** `iq xmlns="w:g2"`: group metadata (`<query request="interactive"/>`); anything else gets a 501. */
export function groupIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const asker = conn.device ? wa.accounts.byJid(conn.device) : undefined;
  if (!asker) return iqError(node, 401, "not-authorized");
  const to = node.attrs.to ? Jid.tryParse(node.attrs.to) : undefined;
  if (node.attrs.type !== "get" || !getChild(node, "query")) {
    return iqError(node, 501, "feature-not-implemented");
  }
  const group = to ? wa.groups.get(to) : undefined;
  if (!group) return { ...iqError(node, 404, "item-not-found"), attrs: errorAttrs(node, to) };
  if (!isMember(group, asker)) return { ...iqError(node, 403, "forbidden"), attrs: errorAttrs(node, to) };
  return {
    tag: "iq",
    attrs: { from: group.jid, type: "result", id: node.attrs.id },
    content: [groupNode(group)],
  };
}

function errorAttrs(node: Node, to: Jid | undefined): Record<string, string | Jid> {
  return { from: to ?? "s.whatsapp.net", type: "error", id: node.attrs.id };
}
