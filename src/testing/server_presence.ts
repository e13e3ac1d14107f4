/**
 * FakeWhatsApp's presence and chat states. Neither is queued for offline devices nor acknowledged:
 * they only matter while both sides are connected.
 *
 * - `<presence type="available|unavailable" name>` from a device sets the account online or offline
 *   (offline also when its last connected device goes away) and its push name (a new name is copied to
 *   its other devices as `<notification type="account_sync" pushname=NAME>`). Every subscriber gets the
 *   new presence.
 * - `<presence type="subscribe" to=USER>[<tctoken/>]` subscribes the device (for as long as its
 *   connection lasts) and sends it the current presence at once; `type="unsubscribe"` ends it.
 * - What a subscriber sees: `<presence from=USER/>` while online, else `<presence from=USER
 *   type="unavailable" last=T|"deny"/>`; privacy (`online`, `last`) decides with the subscriber's tc
 *   token, and a blocked subscriber gets nothing (server_people.ts).
 * - `<chatstate to=USER|GROUP>` goes to the connected devices of the user (unless it blocked the
 *   sender) as `<chatstate from=SENDER_DEVICE>`, or of every other group member as `<chatstate from=GROUP
 *   participant=SENDER_DEVICE>`.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { type Account, devicePn } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { isMember } from "./groups.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { accountDevices, accountOf, canSee, hasBlocked } from "./server_people.ts";
import { cloneNode, deviceAddress, parseJidAttr, unixNow } from "./stanza_util.ts";

/** What `viewer` is told about `owner`'s presence, or `undefined` when it is told nothing (blocked). */
export function presenceFor(
  owner: Account,
  viewer: Account,
  lid: boolean,
  token?: Uint8Array,
): NodeInput | undefined {
  if (hasBlocked(owner, viewer)) return undefined;
  const from = lid ? Jid.lid(owner.lid) : Jid.pn(owner.phone);
  if (owner.online && canSee(owner, viewer, "online", token)) return { tag: "presence", attrs: { from } };
  const last = canSee(owner, viewer, "last", token)
    ? (owner.lastSeen ? String(owner.lastSeen) : undefined)
    : "deny";
  return { tag: "presence", attrs: { from, type: "unavailable", last } };
}

/** Sends `account`'s current presence to each live subscriber. */
export function broadcastPresence(wa: FakeWhatsApp, account: Account): void {
  for (const [key, sub] of account.presenceSubscribers) {
    const device = Jid.parse(key);
    if (sub.conn.isClosed || wa.connectionOf(device) !== sub.conn) {
      account.presenceSubscribers.delete(key);
      continue;
    }
    const viewer = wa.accounts.byJid(device);
    const node = viewer && presenceFor(account, viewer, sub.lid, sub.token);
    if (node) void sub.conn.send(node);
  }
}

function setOnline(wa: FakeWhatsApp, account: Account, online: boolean): void {
  const changed = account.online !== online;
  account.online = online;
  if (!online) account.lastSeen = unixNow();
  if (changed || !online) broadcastPresence(wa, account);
}

function handlePresence(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const account = accountOf(wa, conn);
  if (!account || !conn.device) return;
  const type = node.attrs.type;
  if (type === "subscribe" || type === "unsubscribe") {
    const to = parseJidAttr(node.attrs.to)?.toNonAd();
    const target = to && (to.isPn() || to.isLid()) ? wa.accounts.byJid(to) : undefined;
    if (!to || !target) return;
    const key = conn.device.toString();
    if (type === "unsubscribe") {
      target.presenceSubscribers.delete(key);
      return;
    }
    const token = getChild(node, "tctoken")?.content;
    const sub = { conn, lid: to.isLid(), token: token instanceof Uint8Array ? token.slice() : undefined };
    target.presenceSubscribers.set(key, sub);
    const current = presenceFor(target, account, sub.lid, sub.token);
    if (current) void conn.send(current);
    return;
  }
  if (type !== "available" && type !== "unavailable" && type !== undefined) return;
  const name = node.attrs.name;
  if (name && name !== account.pushName) {
    account.pushName = name;
    wa.notifyAccount(account, { attrs: { type: "account_sync", pushname: name } }, conn.device);
  }
  setOnline(wa, account, type !== "unavailable");
}

function sendLive(wa: FakeWhatsApp, device: Jid, node: NodeInput): void {
  const conn = wa.connectionOf(device);
  if (conn) void conn.send(node);
}

function handleChatState(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const sender = accountOf(wa, conn);
  const to = parseJidAttr(node.attrs.to);
  const state = getChildren(node)[0];
  if (!sender || !conn.device || !to || !state) return;
  const deviceId = conn.device.device;
  const child = cloneNode(state);
  if (to.isGroup()) {
    const group = wa.groups.get(to);
    if (!group || !isMember(group, sender)) return;
    const lid = group.addressingMode === "lid";
    const attrs = { from: group.jid, participant: deviceAddress(sender, deviceId, lid) };
    for (const { account } of group.members.values()) {
      if (account === sender) continue;
      for (const device of accountDevices(account)) {
        sendLive(wa, device, { tag: "chatstate", attrs, content: [child] });
      }
    }
    return;
  }
  const target = to.isPn() || to.isLid() ? wa.accounts.byJid(to) : undefined;
  if (!target || target === sender || hasBlocked(target, sender)) return;
  const attrs = { from: deviceAddress(sender, deviceId, to.isLid()) };
  for (const device of accountDevices(target)) {
    sendLive(wa, device, { tag: "chatstate", attrs, content: [child] });
  }
}

/** The presence and chat-state server side. */
export const presenceFeature: ServerFeature = {
  name: "presence",
  stanzas: { presence: handlePresence, chatstate: handleChatState },
  onLogin(wa, conn, device) {
    const account = wa.accounts.byJid(device);
    if (!account) return;
    void conn.closed.then(() => {
      // Offline once no device of the account is connected any more.
      const connected = [...account.devices.keys()].some((id) => wa.connectionOf(devicePn(account, id)));
      if (!connected && account.online) setOnline(wa, account, false);
      const key = device.toString();
      for (const other of wa.accounts.all()) {
        if (other.presenceSubscribers.get(key)?.conn === conn) other.presenceSubscribers.delete(key);
      }
    });
  },
};
