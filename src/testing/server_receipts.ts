/**
 * FakeWhatsApp's handling of `<receipt>` and `<ack>` stanzas from clients.
 *
 * A client's `<ack>` (for a message, receipt or notification the server delivered) is accepted silently;
 * the connection keeps the last {@linkcode ACK_LOG_SIZE} of them (`ServerConnection.acks`).
 *
 * A `<receipt id to [participant] [type] [t] [recipient]>` is answered with
 * `<ack class="receipt" id from=TO [type]/>` (with `error="400"`, `"401"` or `"404"` when it is malformed,
 * not from a logged-in device, or names an unknown device or group; nothing is routed then) and routed:
 *
 * - 1:1 (`to` = the original sender's device): `<receipt from=RECEIPT_SENDER_DEVICE id t [type]
 *   [recipient]>` to that device, the receipt sender addressed like `to` (PN or LID).
 * - group (`to` = the group, `participant` = the original sender's device): `<receipt from=GROUP
 *   participant=RECEIPT_SENDER_DEVICE id t [type]>` to that device, the receipt sender addressed in the
 *   group's mode.
 * - `read` and `played` are also copied to the receipt sender's other devices as `read-self` /
 *   `played-self` with `recipient` = the chat's other party (the original sender's user JID, without the
 *   device). A receipt the client already typed `read-self` / `played-self` goes to those devices only.
 *
 * Views of status posts (`to="status@broadcast"`) are routed by server_status.ts.
 *
 * `t` is the client's `t` when it gave one, else the server's clock. Children (`<list>`, `<retry>`,
 * `<registration>`, `<keys>`, ...) are copied unchanged. Offline targets get the receipt from their
 * offline queue, like messages.
 *
 * @module
 */

import { getChildren, type Jid, type Node } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";
import type { RoutedStanza } from "./delivery.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import { cloneNode, deviceAddress, parseJidAttr, unixNow } from "./stanza_util.ts";
import { handleStatusReceipt } from "./server_status.ts";

/** How many client acks a connection remembers. */
export const ACK_LOG_SIZE = 256;

const SELF_TYPES: Record<string, string> = { read: "read-self", played: "played-self" };

/** Records a client's `<ack>` on its connection (bounded). */
export function handleClientAck(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  wa.delivery.acked(conn, node);
  conn.acks.push(cloneNode(node));
  if (conn.acks.length > ACK_LOG_SIZE) conn.acks.splice(0, conn.acks.length - ACK_LOG_SIZE);
}

/** Handles one `<receipt>` from a client connection. */
export function handleClientReceipt(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const { id, type } = node.attrs;
  const to = parseJidAttr(node.attrs.to);
  const ack = (error?: string) =>
    void conn.send({
      tag: "ack",
      attrs: { class: "receipt", id, from: to ?? node.attrs.to, type, error },
    });
  if (to?.isStatusBroadcast()) return handleStatusReceipt(wa, conn, node);
  const found = conn.device ? wa.accounts.device(conn.device) : undefined;
  if (!found) return ack("401");
  if (!id || !to) return ack("400");
  const { account } = found;
  const deviceId = found.device.id;
  const t = node.attrs.t && /^\d+$/.test(node.attrs.t) ? node.attrs.t : String(unixNow());
  const children = () => getChildren(node).map(cloneNode);
  const isSelfOnly = type === "read-self" || type === "played-self";
  const selfType = isSelfOnly ? type : SELF_TYPES[type ?? ""];
  const deliveries: { device: Jid; stanza: RoutedStanza }[] = [];

  let target: Jid;
  let addressLid: boolean;
  let group: Jid | undefined;
  if (to.isGroup()) {
    const g = wa.groups.get(to);
    const participant = parseJidAttr(node.attrs.participant);
    if (!g || !participant || !wa.accounts.device(participant)) return ack("404");
    target = participant;
    addressLid = g.addressingMode === "lid";
    group = g.jid;
  } else {
    // A device JID must name a registered device; a user JID only a known account (any device).
    const bareUser = !/:\d+@/.test(node.attrs.to ?? "");
    if (bareUser ? !wa.accounts.byJid(to)?.devices.size : !wa.accounts.device(to)) return ack("404");
    target = to;
    addressLid = to.isLid();
  }
  const senderAddress = deviceAddress(account, deviceId, addressLid);
  const targetPn = wa.accounts.pnDevice(target)!;
  const baseAttrs = (): RoutedStanza["attrs"] =>
    group ? { from: group, participant: senderAddress } : { from: senderAddress };

  // A receipt addressed to a user (no device), as read receipts are, reaches every device of that user,
  // like on the real server; one addressed to a device (delivery receipts answer a device) reaches it.
  const rawTarget = group ? node.attrs.participant : node.attrs.to;
  const targetAccount = wa.accounts.byJid(targetPn);
  const targets = !/:\d+@/.test(rawTarget ?? "") && targetAccount
    ? [...targetAccount.devices.keys()].sort((a, b) => a - b).map((d) => targetPn.withDevice(d))
    : [targetPn];
  if (!isSelfOnly) {
    const recipient = group ? undefined : parseJidAttr(node.attrs.recipient);
    for (const device of targets) {
      if (device.user === account.phone && device.device === deviceId) continue;
      const attrs = { ...baseAttrs(), id, t, type, recipient };
      deliveries.push({ device, stanza: { tag: "receipt", attrs, content: children() } });
    }
  }
  if (selfType) {
    for (const device of otherDevices(account, deviceId)) {
      if (device.user === targetPn.user && device.device === targetPn.device) continue;
      const attrs = { ...baseAttrs(), id, t, type: selfType, recipient: target.toNonAd() };
      deliveries.push({ device, stanza: { tag: "receipt", attrs, content: children() } });
    }
  }
  for (const { device, stanza } of deliveries) wa.delivery.deliver(device, stanza);
  ack();
}

function otherDevices(account: Account, exceptId: number): Jid[] {
  return [...account.devices.keys()].filter((id) => id !== exceptId).sort((a, b) => a - b)
    .map((id) => deviceAddress(account, id, false));
}
