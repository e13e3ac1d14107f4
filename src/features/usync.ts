/**
 * usync: the one query behind device lists, "is on WhatsApp", user info, about texts and LID lookups.
 * A request names protocols in `<query>` and users in `<list>`; the answer has one `<user>` per user
 * with one child per protocol, or that child with an `error` child or `code` attribute when the
 * protocol failed for that user (hidden by privacy: 401).
 *
 * ```
 * <iq xmlns="usync" type="get"><usync sid mode context last="true" index="0">
 *   <query><contact/><lid/><status/>…</query>
 *   <list><user jid=…/>|<user><contact>+1555…</contact></user>…</list>
 * </usync></iq>
 * → <usync …><list><user jid [pn_jid]><contact type="in|out">…</contact><lid val/>…</user>…</list></usync>
 * ```
 *
 * Shapes from reference/protocol-facts-features.md 5.2 (whatsmeow user.go `usync`, `GetUserInfo`,
 * `IsOnWhatsApp`; Baileys WAUSync). The per-protocol readers here are pure and shared with the client's
 * device-list query.
 *
 * @module
 */

import {
  attrJid,
  contentString,
  getChild,
  getChildByPath,
  getChildren,
  Jid,
  type Node,
  type NodeInput,
} from "../binary/mod.ts";
import { type IqSpec, requireChild } from "./iq.ts";
import { lenientInt } from "./lenient_attrs.ts";
import { decodeVerifiedName } from "./verified_name.ts";

/** Most users one usync request may carry (the server's page size for contact queries is larger). */
export const MAX_USYNC_USERS = 10_000;

/** A usync request. */
export interface UsyncRequest {
  /** What the request does, for error messages (`is on WhatsApp`, `user info`). */
  operation: string;
  /** What it is about, for error messages. */
  about?: Jid | string;
  /** `query` (a lookup), `full` or `delta` (a sync). */
  mode: "query" | "full" | "delta";
  /** Why it is asked: `interactive` (the user is waiting), `background`, `message` (before a send). */
  context: "interactive" | "background" | "message" | "notification";
  /** The protocols, the children of `<query>`. */
  protocols: readonly NodeInput[];
  /** The `<user>` nodes of `<list>`. */
  users: readonly NodeInput[];
}

let sidCounter = 0;

/**
 * An IQ spec for a usync request; `parse` gets the answer's `<user>` nodes.
 *
 * @example
 * ```ts
 * import { usyncSpec } from "./usync.ts";
 * const spec = usyncSpec({
 *   operation: "about", mode: "query", context: "interactive",
 *   protocols: [{ tag: "status" }], users: [{ tag: "user", attrs: { jid: "15551234567@s.whatsapp.net" } }],
 * }, (users) => users.length);
 * spec.build().namespace; // "usync"
 * ```
 */
export function usyncSpec<T>(request: UsyncRequest, parse: (users: Node[]) => T): IqSpec<T> {
  if (request.users.length > MAX_USYNC_USERS) {
    throw new RangeError(
      `a usync request takes at most ${MAX_USYNC_USERS} users, got ${request.users.length}`,
    );
  }
  const spec: IqSpec<T> = {
    operation: request.operation,
    about: request.about,
    build: () => ({
      namespace: "usync",
      type: "get",
      content: [{
        tag: "usync",
        attrs: {
          sid: `${Date.now()}-${++sidCounter}`,
          mode: request.mode,
          last: "true",
          index: "0",
          context: request.context,
        },
        content: [
          { tag: "query", attrs: {}, content: request.protocols },
          { tag: "list", attrs: {}, content: request.users },
        ],
      }],
    }),
    parse: (res: Node) => {
      const usync = requireChild(spec, res, "usync");
      const list = requireChild(spec, usync, "list");
      return parse(getChildren(list, "user"));
    },
  };
  return spec;
}

/** A protocol's per-user failure: `<status code="401"/>`, or an `<error code text/>` child. */
export interface UsyncProtocolError {
  /** The numeric code (401 hidden by privacy, 404 unknown, ...). */
  code: number;
  /** The text, when given. */
  text: string;
}

/** The failure a protocol child reports for its user, if any. */
export function usyncProtocolError(child: Node): UsyncProtocolError | undefined {
  const error = getChild(child, "error");
  const source = error ?? (child.attrs.code !== undefined ? child : undefined);
  if (!source) return undefined;
  const code = Number(source.attrs.code);
  return { code: Number.isFinite(code) ? code : 0, text: source.attrs.text ?? "" };
}

/** The user JID of a usync `<user>`, or `undefined` when it has none or a malformed one. */
export function usyncUserJid(user: Node, attr = "jid"): Jid | undefined {
  const text = user.attrs[attr];
  return text ? Jid.tryParse(text)?.toNonAd() : undefined;
}

/** A device list as usync returned it. */
export interface UserDevices {
  /** The user (no device). */
  user: Jid;
  /** Device JIDs, device 0 first. */
  devices: Jid[];
}

/** Reads one `<user jid><devices><device-list><device id key-index?/>...` entry of a usync result. */
export function parseUsyncUser(userNode: Node): UserDevices | undefined {
  let user: Jid;
  try {
    user = attrJid(userNode, "jid").toNonAd();
  } catch {
    return undefined;
  }
  const list = getChild(getChild(userNode, "devices") ?? userNode, "device-list");
  const devices: Jid[] = [];
  for (const d of list ? getChildren(list, "device") : []) {
    const id = Number(d.attrs.id);
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) continue;
    devices.push(user.withDevice(id));
  }
  devices.sort((a, b) => a.device - b.device);
  return { user, devices };
}

/** `<contact type="in|out">query</contact>`: whether the number is on WhatsApp, and the query echoed. */
export function parseUsyncContact(user: Node): { registered: boolean; query: string } | undefined {
  const contact = getChild(user, "contact");
  if (!contact) return undefined;
  let query = "";
  try {
    query = contentString(contact) ?? "";
  } catch {
    query = "";
  }
  return { registered: contact.attrs.type === "in", query };
}

/** `<lid val=LID/>`: the user's LID. */
export function parseUsyncLid(user: Node): Jid | undefined {
  const val = getChild(user, "lid")?.attrs.val;
  const lid = val ? Jid.tryParse(val)?.toNonAd() : undefined;
  return lid?.isLid() ? lid : undefined;
}

/** What `<status t>text</status>` (the about text) says. */
export interface UsyncAbout {
  /** The text; `undefined` when hidden or never set. */
  text?: string;
  /** When it was set. */
  setAt?: Date;
  /** True when the user's privacy settings hide it from us (code 401). */
  hidden: boolean;
}

/** `<status t>text</status>`: the about text, or its absence. */
export function parseUsyncStatus(user: Node): UsyncAbout | undefined {
  const status = getChild(user, "status");
  if (!status) return undefined;
  const error = usyncProtocolError(status);
  if (error) return { hidden: error.code === 401 };
  let text: string | undefined;
  try {
    text = contentString(status);
  } catch {
    text = undefined;
  }
  const t = lenientInt(status, "t");
  return { text: text || undefined, setAt: t ? new Date(t * 1000) : undefined, hidden: false };
}

/** `<picture id/>`: the current profile picture id, when there is one and we may see it. */
export function parseUsyncPicture(user: Node): string | undefined {
  const picture = getChild(user, "picture");
  if (!picture || usyncProtocolError(picture)) return undefined;
  return picture.attrs.id || undefined;
}

/** `<business>[<verified_name>cert</verified_name>]</business>`: a business account and its name. */
export function parseUsyncBusiness(user: Node): { isBusiness: boolean; verifiedName?: string } {
  const business = getChild(user, "business");
  if (!business || usyncProtocolError(business)) return { isBusiness: false };
  const cert = getChildByPath(business, "verified_name")?.content;
  let verifiedName: string | undefined;
  if (cert instanceof Uint8Array && cert.length) {
    try {
      verifiedName = decodeVerifiedName(cert)?.name;
    } catch {
      verifiedName = undefined;
    }
  }
  return { isBusiness: true, verifiedName };
}

/** `<disappearing_mode duration t/>`: a user's default disappearing-messages timer. */
export function parseUsyncDisappearing(user: Node): { duration: number; setAt?: Date } | undefined {
  const mode = getChild(user, "disappearing_mode");
  if (!mode || usyncProtocolError(mode)) return undefined;
  const duration = Number(mode.attrs.duration ?? 0);
  const t = Number(mode.attrs.t ?? 0);
  return {
    duration: Number.isSafeInteger(duration) && duration >= 0 ? duration : 0,
    setAt: Number.isSafeInteger(t) && t > 0 ? new Date(t * 1000) : undefined,
  };
}
