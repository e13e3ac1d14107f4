/**
 * FakeWhatsApp's routing of `<message>` stanzas from logged-in devices to the devices they are for.
 *
 * The sender gets `<ack class="message" id from=TO t/>` once the stanza was handed on (delivered,
 * queued or held), or `<ack class="message" id from=TO error=CODE/>` when it was refused:
 *
 * | code | when |
 * | --- | --- |
 * | 400 | no `id` or `to`, or `to` is not a JID |
 * | 401 | the connection is not logged in as a device |
 * | 403 | a group message from an account that is not a member, or from a non-admin in an announcement group |
 * | 404 | unknown user, device (retry resends) or group |
 * | any | `faults.messageAckError` is set |
 *
 * Routing:
 * - `to` = a user (PN or LID, no device): each `<participants><to jid=DEV>` gets its own `<enc>`. `DEV`
 *   must be a registered device of the recipient or of the sender's own account (else it is ignored and
 *   logged), and never the sending device.
 * - `to` = a device with `device_fanout="false"` (a retry resend), or `<participants>` missing with a
 *   top-level pkmsg/msg `<enc>`: only that device, with the top-level `<enc>`.
 * - `to` = a group: every registered device of every member except the sender, with the `skmsg`
 *   `<enc>` and, first, that device's own pkmsg/msg `<enc>` when `<participants>` lists it (its
 *   sender-key distribution message, which must be processed before the skmsg). Listed devices that are
 *   not member devices are ignored and counted in a debug log. With `participant=DEV` (a retry resend)
 *   only that member device gets it.
 *
 * Delivered stanzas carry `from`, `id`, `t` (server time), `type`, `edit`, `notify` (the sender's push
 * name), the sender's other address (`sender_lid`/`sender_pn` 1:1, `participant_lid`/`participant_pn`
 * in groups, both with the device id), `recipient` (the chat) on the sender's own devices, then the enc
 * nodes, `<device-identity>` when present, and every other child of the original (meta, ...) unchanged.
 * The sender is addressed (`from` or `participant`) the way the chat is: by LID when the message was
 * sent to a LID or into a lid-mode group, by phone number otherwise.
 *
 * Blocking: a 1:1 message to an account that blocked the sender is acknowledged as usual (the sender
 * sees it sent, never delivered, as on WhatsApp) and reaches only the sender's own other devices. Status
 * posts (`to="status@broadcast"`) are routed by server_status.ts.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import type { Account, ServerDevice } from "./accounts.ts";
import type { RoutedStanza } from "./delivery.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import { isAdmin, isMember, type ServerGroup } from "./groups.ts";
import type { ServerConnection } from "./server_connection.ts";
import { handleNewsletterMessage } from "./server_newsletters.ts";
import { cloneNode, deviceAddress, parseJidAttr, unixNow } from "./stanza_util.ts";
import { withoutBlocked } from "./server_people.ts";
import { routeStatus } from "./server_status.ts";

/** Attributes of the original that are copied to every delivered copy. */
const COPIED_ATTRS = ["type", "edit", "category", "verified_name", "push_priority"] as const;

/** One device a message is routed to. */
export interface Target {
  account: Account;
  device: ServerDevice;
  /** The pkmsg/msg enc nodes for this device (from `<participants>` or top level). */
  encs: Node[];
}

/** The sending device. */
export interface Sender {
  account: Account;
  deviceId: number;
}

/** A routed message for one target device (`group` is any chat with members: a group or status). */
export function buildDelivery(
  node: Node,
  sender: Sender,
  target: Target,
  extra: {
    t: number;
    lid: boolean;
    group?: Pick<ServerGroup, "jid" | "addressingMode">;
    skmsg?: Node;
    chat: Jid;
  },
): RoutedStanza {
  const { account, deviceId } = sender;
  const attrs: RoutedStanza["attrs"] = {};
  const own = target.account === account;
  if (extra.group) {
    attrs.from = extra.group.jid;
    attrs.participant = deviceAddress(account, deviceId, extra.lid);
    attrs.addressing_mode = extra.group.addressingMode;
    if (extra.lid) attrs.participant_pn = deviceAddress(account, deviceId, false);
    else attrs.participant_lid = deviceAddress(account, deviceId, true);
  } else {
    attrs.from = deviceAddress(account, deviceId, extra.lid);
    if (extra.lid) attrs.sender_pn = deviceAddress(account, deviceId, false);
    else attrs.sender_lid = deviceAddress(account, deviceId, true);
    if (own) attrs.recipient = extra.chat;
  }
  attrs.id = node.attrs.id;
  attrs.t = String(extra.t);
  for (const name of COPIED_ATTRS) if (node.attrs[name] !== undefined) attrs[name] = node.attrs[name];
  attrs.notify = account.pushName;
  const content: NodeInput[] = target.encs.map(cloneNode);
  if (extra.skmsg) content.push(cloneNode(extra.skmsg));
  for (const child of getChildren(node)) {
    if (child.tag === "participants" || child.tag === "enc") continue;
    content.push(cloneNode(child));
  }
  return { tag: "message", attrs, content };
}

/** The registered device a `<to jid>` / `participant` names, if any. */
export function resolveDevice(
  wa: FakeWhatsApp,
  jid: Jid | undefined,
): { account: Account; device: ServerDevice } | undefined {
  return jid && (jid.isPn() || jid.isLid()) ? wa.accounts.device(jid) : undefined;
}

/** The per-device enc nodes of `<participants>`, keyed by the device's PN string. */
export function participantEncs(
  wa: FakeWhatsApp,
  node: Node,
): { byDevice: Map<string, Node[]>; unknown: string[] } {
  const byDevice = new Map<string, Node[]>();
  const unknown: string[] = [];
  const participants = getChild(node, "participants");
  for (const to of participants ? getChildren(participants, "to") : []) {
    const jid = parseJidAttr(to.attrs.jid);
    const pn = jid ? wa.accounts.pnDevice(jid) : undefined;
    if (!pn) {
      unknown.push(to.attrs.jid ?? "(no jid)");
      continue;
    }
    const encs = getChildren(to, "enc");
    byDevice.set(pn.toString(), [...(byDevice.get(pn.toString()) ?? []), ...encs]);
  }
  return { byDevice, unknown };
}

/** The top-level `<enc>` nodes: pairwise ones and the sender-key one. */
export function topLevelEncs(node: Node): { pairwise: Node[]; skmsg: Node | undefined } {
  const encs = getChildren(node, "enc");
  return {
    pairwise: encs.filter((e) => e.attrs.type !== "skmsg"),
    skmsg: encs.find((e) => e.attrs.type === "skmsg"),
  };
}

/** Handles one `<message>` from a client connection. */
export function handleClientMessage(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const log = wa.log.child("FakeWA/Message");
  const id = node.attrs.id;
  const toText = node.attrs.to;
  const to = parseJidAttr(toText);
  const ack = (attrs: Record<string, string | Jid | undefined>) =>
    void conn.send({ tag: "ack", attrs: { class: "message", id, from: to ?? toText, ...attrs } });
  const senderFound = conn.device ? wa.accounts.device(conn.device) : undefined;
  if (!senderFound) return ack({ error: "401" });
  if (!id || !to) return ack({ error: "400" });
  if (wa.faults.messageAckError !== undefined) return ack({ error: String(wa.faults.messageAckError) });
  if (to.isNewsletter()) return handleNewsletterMessage(wa, conn, node);
  const sender: Sender = { account: senderFound.account, deviceId: senderFound.device.id };
  const t = unixNow();
  const result = to.isStatusBroadcast()
    ? routeStatus(wa, node, sender, t)
    : to.isGroup()
    ? routeGroup(wa, node, sender, to, t)
    : withoutBlocked(wa, sender.account, routeDirect(wa, node, sender, to, t));
  if (typeof result === "number") {
    log.debug(`refused <message id=${id} to=${to}>: ${result}`);
    return ack({ error: String(result) });
  }
  if (result.ignored.length) {
    log.debug(`<message id=${id} to=${to}>: ignored ${result.ignored.length} participant(s)`, {
      ignored: result.ignored,
    });
  }
  for (const { device, stanza } of result.deliveries) wa.delivery.deliver(device, stanza);
  for (const d of result.deliveries) noteContacts(wa, sender.account, d.device);
  ack({ t: String(t) });
}

/** Where a message goes. */
export interface RouteResult {
  deliveries: { device: Jid; stanza: RoutedStanza }[];
  ignored: string[];
}

function noteContacts(wa: FakeWhatsApp, sender: Account, device: Jid): void {
  const other = wa.accounts.byJid(device);
  if (!other || other === sender) return;
  sender.contacts.add(other.phone);
  other.contacts.add(sender.phone);
}

function routeDirect(wa: FakeWhatsApp, node: Node, sender: Sender, to: Jid, t: number): RouteResult | number {
  if (!to.isPn() && !to.isLid()) return 404;
  const lid = to.isLid();
  const chatAccount = wa.accounts.byJid(to);
  if (!chatAccount) return 404;
  const { pairwise } = topLevelEncs(node);
  const participants = getChild(node, "participants");
  const direct = node.attrs.device_fanout === "false" || (!participants && pairwise.length > 0);
  const deliveries: RouteResult["deliveries"] = [];
  const ignored: string[] = [];
  if (direct) {
    const found = resolveDevice(wa, to);
    if (!found || (found.account === sender.account && found.device.id === sender.deviceId)) return 404;
    const listed = participantEncs(wa, node).byDevice.get(
      Jid.pn(found.account.phone, found.device.id).toString(),
    );
    const target: Target = { ...found, encs: listed ?? pairwise };
    const chat = parseJidAttr(node.attrs.recipient) ?? to.toNonAd();
    deliveries.push({
      device: to,
      stanza: buildDelivery(node, sender, target, { t, lid, chat }),
    });
    return { deliveries, ignored };
  }
  const { byDevice, unknown } = participantEncs(wa, node);
  ignored.push(...unknown);
  for (const [key, encs] of byDevice) {
    const found = resolveDevice(wa, Jid.parse(key));
    const allowed = found && (found.account === chatAccount || found.account === sender.account) &&
      !(found.account === sender.account && found.device.id === sender.deviceId);
    if (!found || !allowed) {
      ignored.push(key);
      continue;
    }
    deliveries.push({
      device: Jid.parse(key),
      stanza: buildDelivery(node, sender, { ...found, encs }, { t, lid, chat: to.toNonAd() }),
    });
  }
  return { deliveries, ignored };
}

function routeGroup(wa: FakeWhatsApp, node: Node, sender: Sender, to: Jid, t: number): RouteResult | number {
  const group = wa.groups.get(to);
  if (!group) return 404;
  if (!isMember(group, sender.account)) return 403;
  if (group.announce && !isAdmin(group, sender.account)) return 403;
  const lid = group.addressingMode === "lid";
  const { pairwise, skmsg } = topLevelEncs(node);
  const { byDevice, unknown } = participantEncs(wa, node);
  const deliveries: RouteResult["deliveries"] = [];
  const ignored = [...unknown];
  const isSender = (account: Account, device: ServerDevice) =>
    account === sender.account && device.id === sender.deviceId;
  const retryTarget = node.attrs.participant !== undefined ? parseJidAttr(node.attrs.participant) : undefined;
  if (node.attrs.participant !== undefined) {
    const found = resolveDevice(wa, retryTarget);
    if (!found || !isMember(group, found.account) || isSender(found.account, found.device)) return 404;
    const key = Jid.pn(found.account.phone, found.device.id).toString();
    const encs = byDevice.get(key) ?? pairwise;
    deliveries.push({
      device: Jid.parse(key),
      stanza: buildDelivery(node, sender, { ...found, encs }, { t, lid, group, skmsg, chat: to }),
    });
    return { deliveries, ignored };
  }
  const memberDevices = new Set<string>();
  for (const { account } of group.members.values()) {
    for (const device of [...account.devices.values()].sort((a, b) => a.id - b.id)) {
      if (isSender(account, device)) continue;
      const key = Jid.pn(account.phone, device.id).toString();
      memberDevices.add(key);
      const encs = byDevice.get(key) ?? [];
      if (!encs.length && !skmsg) continue;
      deliveries.push({
        device: Jid.parse(key),
        stanza: buildDelivery(node, sender, { account, device, encs }, { t, lid, group, skmsg, chat: to }),
      });
    }
  }
  for (const key of byDevice.keys()) if (!memberDevices.has(key)) ignored.push(key);
  return { deliveries, ignored };
}
