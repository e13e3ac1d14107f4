/**
 * What callers pass to the group calls, checked before anything goes on the wire: the subject and
 * description limits and the group size limit of WhatsApp Web's A/B properties (the seed's group guide:
 * subject 100 characters, description 2048, 257 members counting the creator), participant lists, and
 * the options of a new group or community.
 *
 * @module
 */

import { Jid } from "../../binary/mod.ts";
import { InputError } from "../errors.ts";
import { toJid } from "../jid_input.ts";
import type { MemberAddMode } from "./parse.ts";

/** The longest subject, in characters (UTF-16 code units, as WhatsApp Web counts). */
export const GROUP_SUBJECT_MAX = 100;
/** The longest description, in characters. */
export const GROUP_DESCRIPTION_MAX = 2048;
/** The most members a group may have, the creator included. */
export const GROUP_SIZE_LIMIT = 257;

/** A participant to add: a user JID, optionally with the phone number behind a LID. */
export interface ParticipantInput {
  /** The user (PN or LID). */
  jid: Jid;
  /** Its phone number, when `jid` is a LID and the number is known (sent as `phone_number`). */
  phoneNumber?: Jid;
}

/** Options of a new group. */
export interface CreateGroupOptions {
  /** The subject (1 to 100 characters). */
  subject: string;
  /** The members besides us (user JIDs or JID strings); the server adds the creator itself. */
  participants: readonly (Jid | string | ParticipantInput)[];
  /** Only admins may send (announcement group). */
  announce?: boolean;
  /** Only admins may change the group's info. */
  locked?: boolean;
  /** Who may add members. Default `all_member_add`. */
  memberAddMode?: MemberAddMode;
  /** Joining by link needs an admin's approval. */
  membershipApproval?: boolean;
  /** Disappearing-messages timer in seconds (0, 86400, 604800 or 7776000). */
  ephemeral?: number;
  /** Create a community (a parent group for linked subgroups) instead of a group. */
  community?: boolean;
  /** Create the group inside this community (a linked subgroup). */
  parent?: Jid | string;
  /** A description to set at creation (communities). */
  description?: string;
  /** The key echoed in the `joinedGroup` event for this creation; random when absent. */
  createKey?: string;
}

/** Throws {@linkcode InputError} unless `subject` is 1 to 100 characters; returns it. */
export function checkSubject(subject: string): string {
  if (typeof subject !== "string" || subject.trim().length === 0) {
    throw new InputError("invalid_argument", "subject", "expected a non-empty string");
  }
  if (subject.length > GROUP_SUBJECT_MAX) {
    throw new InputError(
      "invalid_argument",
      "subject",
      `at most ${GROUP_SUBJECT_MAX} characters, got ${subject.length}`,
    );
  }
  return subject;
}

/** Throws {@linkcode InputError} unless `text` is at most 2048 characters; returns it. */
export function checkDescription(text: string): string {
  if (typeof text !== "string") {
    throw new InputError("invalid_argument", "description", `expected a string, got ${typeof text}`);
  }
  if (text.length > GROUP_DESCRIPTION_MAX) {
    throw new InputError(
      "invalid_argument",
      "description",
      `at most ${GROUP_DESCRIPTION_MAX} characters, got ${text.length}`,
    );
  }
  return text;
}

/** Throws {@linkcode InputError} unless `jid` is a group JID (`…@g.us`); returns it. */
export function checkGroupJid(input: Jid | string, argument = "group"): Jid {
  const jid = toJid(input, argument);
  if (!jid.isGroup()) {
    throw new InputError("invalid_jid", argument, `expected a group JID (…@g.us), got ${jid}`);
  }
  return jid;
}

/**
 * The participants of a request as user JIDs (devices dropped), refusing non-users, an empty list and
 * more than {@linkcode GROUP_SIZE_LIMIT} entries.
 */
export function checkParticipants(
  list: readonly (Jid | string | ParticipantInput)[],
  argument = "participants",
  allowEmpty = false,
): ParticipantInput[] {
  if (!Array.isArray(list)) throw new InputError("invalid_argument", argument, "expected an array of JIDs");
  if (!allowEmpty && list.length === 0) {
    throw new InputError("invalid_argument", argument, "expected at least one participant");
  }
  if (list.length > GROUP_SIZE_LIMIT) {
    throw new InputError(
      "invalid_argument",
      argument,
      `at most ${GROUP_SIZE_LIMIT} participants, got ${list.length}`,
    );
  }
  const out: ParticipantInput[] = [];
  const seen = new Set<string>();
  for (const entry of list) {
    const given: ParticipantInput | { jid: Jid | string; phoneNumber?: Jid } =
      typeof entry === "string" || entry instanceof Jid ? { jid: entry } : entry;
    const jid = toJid(given.jid, argument).toNonAd();
    if (!jid.isPn() && !jid.isLid()) {
      throw new InputError(
        "invalid_jid",
        argument,
        `expected user JIDs (@s.whatsapp.net or @lid), got ${jid}`,
      );
    }
    if (seen.has(jid.toString())) continue;
    seen.add(jid.toString());
    out.push(
      given.phoneNumber ? { jid, phoneNumber: toJid(given.phoneNumber, argument).toNonAd() } : { jid },
    );
  }
  return out;
}
