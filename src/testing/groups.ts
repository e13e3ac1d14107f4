/**
 * FakeWhatsApp's groups: what the server keeps of each group (subject, description, settings, members
 * with roles, invite code, join requests, community links) and how it renders one as the `<group>`
 * node of `w:g2` answers and `<create>` notifications. The rules (who may do what, the error codes, the
 * notifications) live in `server_groups*.ts`.
 *
 * The `<group>` node follows whatsmeow's group.go (`parseGroupNode`, `parseParticipant`): `id` is the
 * group's user part; `subject`, `s_t`, `s_o` (+ `s_o_pn`), `creation`, `creator` (+ `creator_pn` in lid
 * mode), `addressing_mode` and `size`; a participant is `jid=PN lid=LID` in pn mode and `jid=LID
 * phone_number=PN` in lid mode, with `type="admin"|"superadmin"` for admins; then `<description>`,
 * `<announcement/>`, `<locked/>`, `<ephemeral expiration/>`, `<member_add_mode>`,
 * `<membership_approval_mode>`, and `<parent/>`, `<linked_parent jid/>`, `<default_sub_group/>` for
 * communities (reference/protocol-facts-features.md 4.2).
 *
 * @module
 */

import { Jid, type NodeInput } from "../binary/mod.ts";
import { randomBytes } from "../crypto/mod.ts";
import type { Account, AccountRegistry } from "./accounts.ts";
import { unixNow } from "./stanza_util.ts";

/** How a group addresses its members on the wire: by phone number or by LID. */
export type GroupAddressingMode = "pn" | "lid";

/** A member's role. */
export type GroupRole = "member" | "admin" | "superadmin";

/** Who may add members. */
export type ServerMemberAddMode = "admin_add" | "all_member_add";

/** Options for `FakeWhatsApp.createGroup` (and the create IQ). */
export interface CreateGroupOptions {
  /** The creator (PN or LID; any device of it): becomes the superadmin. Must be a known account for a LID. */
  creator: Jid;
  /** The other members (PN or LID users). PN accounts are created when missing; LIDs must be known. */
  participants: Jid[];
  /** The subject. Default `Group`. */
  subject?: string;
  /** The addressing mode. Default: the registry's `defaultAddressingMode` (`pn`). */
  addressingMode?: GroupAddressingMode;
  /** Only admins may send. */
  announce?: boolean;
  /** Only admins may change the group info (and add members). */
  locked?: boolean;
  /** Who may add members. Default `all_member_add`. */
  memberAddMode?: ServerMemberAddMode;
  /** Joining by link needs an admin's approval. */
  membershipApproval?: boolean;
  /** Disappearing-messages timer in seconds. */
  ephemeral?: number;
  /** A community (parent group) rather than a group. */
  community?: boolean;
  /** The community this group is created in. */
  parent?: Jid;
  /** The community's announcement subgroup (made by the server with a community). */
  defaultSubGroup?: boolean;
  /** The initial description. */
  description?: string;
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

/** A member as the server keeps it. */
export interface ServerMember {
  /** The account. */
  account: Account;
  /** Its role. */
  role: GroupRole;
}

/** A pending request to join. */
export interface ServerJoinRequest {
  /** Who asked. */
  account: Account;
  /** When, in seconds. */
  t: number;
  /** How (`invite_link`, ...). */
  method: string;
}

/** A group as the server keeps it. */
export interface ServerGroup {
  /** The group JID (`120363…@g.us`). */
  jid: Jid;
  /** Subject. */
  subject: string;
  /** When the subject was set, in seconds. */
  subjectTime: number;
  /** Who set the subject. */
  subjectOwner: Account;
  /** The creator's account. */
  creator: Account;
  /** When the group was created, in seconds. */
  creation: number;
  /** Addressing mode. */
  addressingMode: GroupAddressingMode;
  /** Members by phone number, in the order they were added. */
  members: Map<string, ServerMember>;
  /** The description, if set. */
  description?: { text: string; id: string; setBy: Account; t: number };
  /** Only admins may send. */
  announce: boolean;
  /** Only admins may edit the group info. */
  locked: boolean;
  /** Who may add members. */
  memberAddMode: ServerMemberAddMode;
  /** Joining by link needs approval. */
  membershipApproval: boolean;
  /** Disappearing-messages timer in seconds (0 = off). */
  ephemeral: number;
  /** The current invite code. */
  inviteCode: string;
  /** Pending join requests by phone number. */
  requests: Map<string, ServerJoinRequest>;
  /** When members left by themselves, in milliseconds, by phone number (for the 408 rule). */
  leftAt: Map<string, number>;
  /** A community (parent group). */
  isCommunity: boolean;
  /** The community this group belongs to. */
  parent?: Jid;
  /** The community's announcement subgroup. */
  isDefaultSubGroup: boolean;
}

/** An invite the server issued when privacy settings refused an add (a v4 invite's code). */
export interface ServerAddRequest {
  /** The group. */
  group: Jid;
  /** The invitee's phone number. */
  invitee: string;
  /** The inviting admin's phone number. */
  admin: string;
  /** When it expires, in seconds. */
  expiration: number;
}

/** The error thrown for a group that cannot be created as asked. */
export class GroupError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "GroupError";
  }
}

/** How many revoked invite codes and issued add requests the registry remembers (oldest forgotten). */
export const GROUP_CODE_MEMORY = 1024;
/** How long an add request (v4 invite) stays valid: 3 days, as WhatsApp's invite messages. */
export const ADD_REQUEST_TTL_S = 3 * 24 * 3600;

const CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random invite code: 22 letters and digits, the length of real ones. */
export function newInviteCode(): string {
  return [...randomBytes(22)].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > GROUP_CODE_MEMORY) map.delete(map.keys().next().value!);
}

/** All groups of one FakeWhatsApp. */
export class GroupRegistry {
  readonly #groups = new Map<string, ServerGroup>();
  readonly #byCode = new Map<string, string>();
  readonly #revoked = new Map<string, string>();
  readonly #addRequests = new Map<string, ServerAddRequest>();
  readonly #accounts: AccountRegistry;
  /** The addressing mode of groups created without one (create IQs, `createGroup`). */
  defaultAddressingMode: GroupAddressingMode = "pn";
  /**
   * How long after leaving a member cannot be added back by someone else (408), in milliseconds.
   * The real service's figure is not published; 60 s keeps tests quick to reason about.
   */
  rejoinCooldownMs = 60_000;

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
      subjectOwner: creator,
      creator,
      creation: now,
      addressingMode: options.addressingMode ?? this.defaultAddressingMode,
      members: new Map([[creator.phone, { account: creator, role: "superadmin" }]]),
      announce: options.announce ?? false,
      locked: options.locked ?? false,
      memberAddMode: options.memberAddMode ?? "all_member_add",
      membershipApproval: options.membershipApproval ?? false,
      ephemeral: options.ephemeral ?? 0,
      inviteCode: newInviteCode(),
      requests: new Map(),
      leftAt: new Map(),
      isCommunity: options.community ?? false,
      parent: options.parent,
      isDefaultSubGroup: options.defaultSubGroup ?? false,
    };
    if (options.description) {
      group.description = {
        text: options.description,
        id: newInviteCode().slice(0, 16),
        setBy: creator,
        t: now,
      };
    }
    for (const jid of options.participants) {
      const account = this.#account(jid);
      if (!group.members.has(account.phone)) group.members.set(account.phone, { account, role: "member" });
    }
    this.#groups.set(id, group);
    this.#byCode.set(group.inviteCode, id);
    return group;
  }

  /** The group a JID names, if any. */
  get(jid: Jid): ServerGroup | undefined {
    return jid.isGroup() ? this.#groups.get(jid.user) : undefined;
  }

  /** Every group. */
  all(): IterableIterator<ServerGroup> {
    return this.#groups.values();
  }

  /** Forgets a group (its last member left). */
  delete(group: ServerGroup): void {
    this.#groups.delete(group.jid.user);
    this.#byCode.delete(group.inviteCode);
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

  /** The group an invite code opens, `"revoked"` for a code that was reset, or `undefined`. */
  byInviteCode(code: string): ServerGroup | "revoked" | undefined {
    const id = this.#byCode.get(code);
    if (id) return this.#groups.get(id);
    return this.#revoked.has(code) ? "revoked" : undefined;
  }

  /** Replaces a group's invite code (the old one is revoked) and returns the new one. */
  resetInviteCode(group: ServerGroup): string {
    this.#byCode.delete(group.inviteCode);
    remember(this.#revoked, group.inviteCode, group.jid.user);
    group.inviteCode = newInviteCode();
    this.#byCode.set(group.inviteCode, group.jid.user);
    return group.inviteCode;
  }

  /** Issues the code of a v4 invite for someone whose privacy settings refused an add. */
  issueAddRequest(
    group: ServerGroup,
    invitee: Account,
    admin: Account,
  ): { code: string; expiration: number } {
    const code = newInviteCode();
    const expiration = unixNow() + ADD_REQUEST_TTL_S;
    remember(this.#addRequests, code, {
      group: group.jid,
      invitee: invitee.phone,
      admin: admin.phone,
      expiration,
    });
    return { code, expiration };
  }

  /** The add request a code names, if it was issued and not used yet. */
  addRequest(code: string): ServerAddRequest | undefined {
    return this.#addRequests.get(code);
  }

  /** Marks an add request used. */
  useAddRequest(code: string): void {
    this.#addRequests.delete(code);
  }

  /** A community's subgroups, in creation order. */
  subGroups(community: Jid): ServerGroup[] {
    return [...this.#groups.values()].filter((g) => g.parent?.equals(community));
  }
}

/** Whether an account is a member of a group. */
export function isMember(group: ServerGroup, account: Account): boolean {
  return group.members.has(account.phone);
}

/** Whether an account is an admin (or the superadmin) of a group. */
export function isAdmin(group: ServerGroup, account: Account): boolean {
  const role = group.members.get(account.phone)?.role;
  return role === "admin" || role === "superadmin";
}

/** How a group addresses an account: its LID in lid mode, its phone number in pn mode. */
export function memberAddress(group: ServerGroup, account: Account): Jid {
  return group.addressingMode === "lid" ? Jid.lid(account.lid) : Jid.pn(account.phone);
}

/** A `<participant>` (or `tag`) node for an account, addressed as the group's mode says. */
export function participantNode(
  group: ServerGroup,
  account: Account,
  role?: GroupRole,
  tag = "participant",
): NodeInput {
  const lid = group.addressingMode === "lid";
  return {
    tag,
    attrs: {
      jid: memberAddress(group, account),
      lid: lid ? undefined : Jid.lid(account.lid),
      phone_number: lid ? Jid.pn(account.phone) : undefined,
      type: role === undefined || role === "member" ? undefined : role,
    },
  };
}

/** The `<group>` metadata node, addressed as the group's mode says. */
export function groupNode(group: ServerGroup): NodeInput {
  const lid = group.addressingMode === "lid";
  const content: NodeInput[] = [...group.members.values()].map(({ account, role }) =>
    participantNode(group, account, role)
  );
  if (group.description) {
    const d = group.description;
    content.push({
      tag: "description",
      attrs: {
        id: d.id,
        participant: memberAddress(group, d.setBy),
        participant_pn: lid ? Jid.pn(d.setBy.phone) : undefined,
        t: String(d.t),
      },
      content: [{ tag: "body", attrs: {}, content: d.text }],
    });
  }
  if (group.announce) content.push({ tag: "announcement", attrs: {} });
  if (group.locked) content.push({ tag: "locked", attrs: {} });
  if (group.ephemeral) content.push({ tag: "ephemeral", attrs: { expiration: String(group.ephemeral) } });
  content.push({ tag: "member_add_mode", attrs: {}, content: group.memberAddMode });
  if (group.membershipApproval) {
    content.push({
      tag: "membership_approval_mode",
      attrs: {},
      content: [{ tag: "group_join", attrs: { state: "on" } }],
    });
  }
  if (group.isCommunity) {
    content.push({ tag: "parent", attrs: { default_membership_approval_mode: "request_required" } });
  }
  if (group.parent) content.push({ tag: "linked_parent", attrs: { jid: group.parent } });
  if (group.isDefaultSubGroup) content.push({ tag: "default_sub_group", attrs: {} });
  return {
    tag: "group",
    attrs: {
      id: group.jid.user,
      subject: group.subject,
      s_t: String(group.subjectTime),
      s_o: memberAddress(group, group.subjectOwner),
      s_o_pn: lid ? Jid.pn(group.subjectOwner.phone) : undefined,
      creator: memberAddress(group, group.creator),
      creator_pn: lid ? Jid.pn(group.creator.phone) : undefined,
      creation: String(group.creation),
      addressing_mode: group.addressingMode,
      size: String(group.members.size),
    },
    content,
  };
}
