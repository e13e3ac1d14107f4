/**
 * FakeWhatsApp's profile pictures (`w:profile:picture`) and about texts (`status`).
 *
 * - Get `iq(get, target=JID) <picture type="preview|image" query="url" [id]>[<tctoken/>]</picture>` →
 *   `<picture id url direct_path type hash/>`; 404 when there is none, 401 when the owner's `profile`
 *   privacy hides it from the asker (or the asker is blocked, or not in the group), `<picture
 *   status="304"/>` when `id` is the current one. The picture itself is served over FakeWhatsApp's HTTP
 *   listener at `/pp/<id>` (the media HTTPS server takes over once it exists).
 * - Set `iq(set[, target=GROUP]) <picture type="image">jpeg</picture>` → `<picture id/>` (a group's only
 *   by its admins: 403); remove: the same IQ without `<picture>`. Contacts who may see it get
 *   `<notification type="picture" from=USER><set jid id/>` (`<delete jid/>` on removal), the account's
 *   other devices `<notification type="account_sync"><picture/>`, group members `<set jid=GROUP id
 *   author/>`.
 * - About: `iq(status,set) <status>text</status>`; contacts who may see it get `<notification
 *   type="status" from=USER t><set>text</set></notification>`. `iq(status,get) <privacy/>` answers the
 *   status privacy lists (`<privacy><list type="contacts" default="true"/></privacy>`, whatsmeow
 *   broadcast.go `GetStatusPrivacy`).
 *
 * @module
 */

import { contentBytes, contentString, getChild, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { randomBytes, sha256 } from "../crypto/mod.ts";
import type { Account } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import { isMember } from "./groups.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { accountOf, canSee, notifyContacts } from "./server_people.ts";
import { parseJidAttr, unixNow } from "./stanza_util.ts";

/** A stored profile picture. */
export interface ServerPicture {
  /** Its id (a new one with every change). */
  id: string;
  /** The JPEG. */
  jpeg: Uint8Array;
  /** When it was set (seconds). */
  t: number;
}

/** Largest picture accepted (bytes). */
export const MAX_PICTURE_BYTES = 2 * 1024 * 1024;
/** Most characters of an about text. */
export const MAX_ABOUT_LENGTH = 139;

function pictureKey(jid: Jid): string {
  return jid.toNonAd().toString();
}

/** The HTTP URL a picture is served at. */
export function pictureUrl(wa: FakeWhatsApp, picture: ServerPicture, type: string): string {
  const base = wa.url.replace(/^ws/, "http").replace(/\/ws\/chat$/, "");
  return `${base}/pp/${picture.id}?type=${type}`;
}

/** Answers `GET /pp/<id>` with the picture's bytes, or 404. */
export function servePicture(wa: FakeWhatsApp, url: URL): Response {
  const id = url.pathname.slice("/pp/".length);
  for (const picture of wa.pictures.values()) {
    if (picture.id === id) {
      return new Response(picture.jpeg.slice(), { headers: { "content-type": "image/jpeg" } });
    }
  }
  return new Response("no such picture", { status: 404 });
}

function getPicture(wa: FakeWhatsApp, viewer: Account, node: Node, target: Jid, request: Node): NodeInput {
  const type = request.attrs.type === "preview" ? "preview" : "image";
  const token = getChild(request, "tctoken")?.content;
  if (target.isGroup()) {
    const group = wa.groups.get(target);
    if (!group) return iqError(node, 404, "item-not-found");
    if (!isMember(group, viewer)) return iqError(node, 401, "not-authorized");
  } else {
    const owner = wa.accounts.byJid(target);
    if (!owner) return iqError(node, 404, "item-not-found");
    if (!canSee(owner, viewer, "profile", token instanceof Uint8Array ? token : undefined)) {
      return iqError(node, 401, "not-authorized");
    }
  }
  const key = target.isGroup() ? pictureKey(target) : pictureKey(Jid.pn(wa.accounts.byJid(target)!.phone));
  const picture = wa.pictures.get(key);
  if (!picture) return iqError(node, 404, "item-not-found");
  if (request.attrs.id && request.attrs.id === picture.id) {
    return iqResult(node, [{ tag: "picture", attrs: { status: "304" } }]);
  }
  return iqResult(node, [{
    tag: "picture",
    attrs: {
      id: picture.id,
      url: pictureUrl(wa, picture, type),
      direct_path: `/pp/${picture.id}`,
      type,
      hash: sha256(picture.jpeg).toBase64(),
    },
  }]);
}

function setPicture(
  wa: FakeWhatsApp,
  conn: ServerConnection,
  account: Account,
  node: Node,
  target: Jid | undefined,
) {
  const request = getChild(node, "picture");
  const jpeg = request ? contentBytes(request) : undefined;
  if (
    request &&
    (!jpeg || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg.length > MAX_PICTURE_BYTES)
  ) {
    return iqError(node, 400, "bad-request");
  }
  const author = Jid.pn(account.phone);
  let owner: Jid;
  if (target?.isGroup()) {
    const group = wa.groups.get(target);
    if (!group) return iqError(node, 404, "item-not-found");
    const role = group.members.get(account.phone)?.role;
    if (!role) return iqError(node, 401, "not-authorized");
    if (role === "member") return iqError(node, 403, "forbidden");
    owner = group.jid;
  } else if (!target || wa.accounts.byJid(target) === account) {
    owner = author;
  } else return iqError(node, 403, "forbidden");
  const key = pictureKey(owner);
  // Ids are decimal, as WhatsApp's are: the time plus random digits so that quick changes differ.
  const serial = String(randomBytes(2).reduce((a, b) => a * 256 + b, 0) % 1000).padStart(3, "0");
  const picture = jpeg ? { id: `${unixNow()}${serial}`, jpeg: jpeg.slice(), t: unixNow() } : undefined;
  if (picture) wa.pictures.set(key, picture);
  else wa.pictures.delete(key);
  const child: NodeInput = picture
    ? { tag: "set", attrs: { jid: owner, id: picture.id, author: owner.isGroup() ? author : undefined } }
    : { tag: "delete", attrs: { jid: owner, author: owner.isGroup() ? author : undefined } };
  const stanza = { attrs: { type: "picture", from: owner }, content: [child] };
  if (owner.isGroup()) {
    for (const { account: member } of wa.groups.get(owner)!.members.values()) {
      wa.notifyAccount(member, stanza, member === account ? conn.device : undefined);
    }
  } else {
    wa.notifyAccount(
      account,
      { attrs: { type: "account_sync" }, content: [{ tag: "picture", attrs: {} }] },
      conn.device,
    );
    notifyContacts(wa, account, stanza, (contact) => canSee(account, contact, "profile"));
  }
  return iqResult(node, picture ? [{ tag: "picture", attrs: { id: picture.id } }] : undefined);
}

function pictureIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = accountOf(wa, conn);
  if (!account) return iqError(node, 401, "not-authorized");
  const target = node.attrs.target ? parseJidAttr(node.attrs.target)?.toNonAd() : undefined;
  if (node.attrs.target && !target) return iqError(node, 400, "bad-request");
  if (node.attrs.type === "set") return setPicture(wa, conn, account, node, target);
  const request = getChild(node, "picture");
  if (node.attrs.type !== "get" || !request || !target) return iqError(node, 400, "bad-request");
  return getPicture(wa, account, node, target, request);
}

function statusIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  const account = accountOf(wa, conn);
  if (!account) return iqError(node, 401, "not-authorized");
  if (node.attrs.type === "get" && getChild(node, "privacy")) {
    return iqResult(node, [{
      tag: "privacy",
      attrs: {},
      content: [{ tag: "list", attrs: { type: "contacts", default: "true" } }],
    }]);
  }
  const status = getChild(node, "status");
  if (node.attrs.type !== "set" || !status) return iqError(node, 400, "bad-request");
  let text: string;
  try {
    text = contentString(status) ?? "";
  } catch {
    return iqError(node, 400, "bad-request");
  }
  if ([...text].length > MAX_ABOUT_LENGTH) return iqError(node, 406, "not-acceptable");
  const t = unixNow();
  account.about = { text, t };
  notifyContacts(
    wa,
    account,
    {
      attrs: { type: "status", from: Jid.pn(account.phone), t: String(t) },
      content: [{ tag: "set", attrs: {}, content: text }],
    },
    (contact) => canSee(account, contact, "status"),
  );
  return iqResult(node);
}

/** The profile server side. */
export const profileFeature: ServerFeature = {
  name: "profile",
  iq: { "w:profile:picture": pictureIq, status: statusIq },
};
