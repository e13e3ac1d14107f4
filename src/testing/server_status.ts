/**
 * FakeWhatsApp's status posts: `<message to="status@broadcast">` carries one sender-key `<enc
 * type="skmsg">` and, in `<participants>`, the sender-key distribution for every audience device; the
 * listed devices are the audience. Each gets `<message from="status@broadcast" participant=POSTER_DEVICE
 * participant_pn|participant_lid addressing_mode …>` with its own distribution `<enc>` first and the
 * skmsg after it, like a group message (server_messages.ts `buildDelivery`). Listed devices of accounts
 * that blocked the poster, or that the poster blocked, are left out.
 *
 * A retry resend (`participant=DEVICE`, a pairwise `<enc>`) goes to that one device.
 *
 * Views: `<receipt to="status@broadcast" participant=POSTER type="read" id>` reaches the poster's devices
 * as `<receipt from="status@broadcast" participant=VIEWER_DEVICE type="read" id t>`, unless either side
 * blocked the other or the viewer turned read receipts off.
 *
 * @module
 */

import { getChildren, Jid, type Node } from "../binary/mod.ts";
import type { RoutedStanza } from "./delivery.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import {
  buildDelivery,
  participantEncs,
  resolveDevice,
  type RouteResult,
  type Sender,
  topLevelEncs,
} from "./server_messages.ts";
import { accountDevices, accountOf, eitherBlocked, privacyValue } from "./server_people.ts";
import { cloneNode, deviceAddress, parseJidAttr, unixNow } from "./stanza_util.ts";

/** Routes a status post to the audience its `<participants>` lists; 400 without a skmsg. */
export function routeStatus(wa: FakeWhatsApp, node: Node, sender: Sender, t: number): RouteResult | number {
  const { skmsg, pairwise } = topLevelEncs(node);
  const lid = node.attrs.addressing_mode === "lid" || parseJidAttr(node.attrs.participant)?.isLid() === true;
  const chat = { jid: Jid.statusBroadcast(), addressingMode: lid ? "lid" as const : "pn" as const };
  if (node.attrs.participant !== undefined) {
    // A retry resend: the post again, pairwise, for the one device that asked.
    const device = parseJidAttr(node.attrs.participant);
    const found = resolveDevice(wa, device);
    if (!device || !found || !pairwise.length || eitherBlocked(found.account, sender.account)) return 404;
    const pn = Jid.pn(found.account.phone, found.device.id);
    const stanza = buildDelivery(node, sender, { ...found, encs: pairwise }, {
      t,
      lid,
      group: chat,
      chat: chat.jid,
    });
    return { deliveries: [{ device: pn, stanza }], ignored: [] };
  }
  if (!skmsg) return 400;
  const { byDevice, unknown } = participantEncs(wa, node);
  const deliveries: RouteResult["deliveries"] = [];
  const ignored = [...unknown];
  for (const [key, encs] of byDevice) {
    const device = Jid.parse(key);
    const found = resolveDevice(wa, device);
    const isSender = found?.account === sender.account && found.device.id === sender.deviceId;
    if (!found || isSender || eitherBlocked(found.account, sender.account)) {
      ignored.push(key);
      continue;
    }
    deliveries.push({
      device,
      stanza: buildDelivery(node, sender, { ...found, encs }, { t, lid, group: chat, skmsg, chat: chat.jid }),
    });
  }
  return { deliveries, ignored };
}

/** Handles `<receipt to="status@broadcast">` (a view of a post); answers the viewer's ack itself. */
export function handleStatusReceipt(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const { id, type } = node.attrs;
  const ack = (error?: string) =>
    void conn.send({ tag: "ack", attrs: { class: "receipt", id, from: node.attrs.to, type, error } });
  const viewer = accountOf(wa, conn);
  if (!viewer || !conn.device) return ack("401");
  const posterJid = parseJidAttr(node.attrs.participant);
  const poster = posterJid && (posterJid.isPn() || posterJid.isLid())
    ? wa.accounts.byJid(posterJid)
    : undefined;
  if (!id || !poster) return ack(id ? "404" : "400");
  ack();
  if (poster === viewer || eitherBlocked(poster, viewer) || privacyValue(viewer, "readreceipts") === "none") {
    return;
  }
  const t = node.attrs.t && /^\d+$/.test(node.attrs.t) ? node.attrs.t : String(unixNow());
  for (const device of accountDevices(poster)) {
    const stanza: RoutedStanza = {
      tag: "receipt",
      attrs: {
        from: Jid.statusBroadcast(),
        participant: deviceAddress(viewer, conn.device.device, posterJid!.isLid()),
        id,
        t,
        type,
      },
      content: getChildren(node).map(cloneNode),
    };
    wa.delivery.deliver(device, stanza);
  }
}
