/**
 * Peer messages: protocol messages between the devices of our own account (history sync requests, app
 * state key requests, peer data operations), sent to exactly one device with `category="peer"`, never
 * fanned out and never wrapped in a `DeviceSentMessage`.
 *
 * Stanza shape (reference/protocol-facts-features.md 3.3, whatsmeow send.go `preparePeerMessageNode`):
 * `<message id type="text" category="peer" to=DEVICE push_priority="high_force" privacy_sensitive="1">`
 * with one top-level `<enc>`, `<meta appdata="default"/>`, and `<device-identity>` after a `pkmsg`. `to`
 * is our own phone-number JID without a device when the target is our phone (device 0), the device JID
 * otherwise. The server routes a stanza with a top-level `<enc>` and no `<participants>` to that one
 * device (FakeWhatsApp's server_messages.ts does the same).
 *
 * @module
 */

import { Jid, type NodeInput } from "../../binary/mod.ts";
import { ConnectionError, SendError } from "../../features/errors.ts";
import type { SendOptions, SendResult } from "../../features/send_options.ts";
import { Message } from "../../proto/mod.ts";
import {
  deviceIdentityNode,
  encNode,
  encryptForDevices,
  generateMessageId,
  sendAndWaitForAck,
  type SendContext,
  sentResult,
} from "./send.ts";

/** Options of {@link sendPeerMessage}. */
export interface PeerSendOptions extends Pick<SendOptions, "id" | "timeoutMs" | "signal"> {
  /** The device of our account to send to (default our phone, device 0). */
  device?: Jid;
}

/**
 * Encrypts `message` for one device of our own account and sends it as a peer message; resolves once
 * the server acknowledged it. Rejects with `SendError` `invalid_input` for a device that is not ours or is
 * this device, `encryption_failed` when no session could be made, or the ack's refusal.
 */
export async function sendPeerMessage(
  ctx: SendContext,
  message: Message,
  options: PeerSendOptions = {},
): Promise<SendResult> {
  const me = ctx.core.device;
  if (!me.pn) {
    throw new ConnectionError("not_paired", "cannot send a peer message: this device is not paired");
  }
  const target = options.device ?? me.pn.withDevice(0);
  const ours = target.user === me.pn.user || (me.lid !== undefined && target.user === me.lid.user);
  if (!ours || target.isGroup()) {
    throw new SendError("invalid_input", `peer messages go to our own devices only, not to ${target}`);
  }
  const device = target.isLid() ? Jid.pn(me.pn.user, target.device) : target;
  if (device.device === me.pn.device) {
    throw new SendError("invalid_input", `cannot send a peer message to this device (${device})`);
  }
  const id = options.id ?? generateMessageId();
  const plaintext = Message.encode(message);
  const [encrypted] = await encryptForDevices(ctx, [device], () => plaintext);
  if (!encrypted) throw new SendError("encryption_failed", `could not encrypt a peer message for ${device}`);
  const to = device.device === 0 ? device.toNonAd() : device;
  const content: NodeInput[] = [
    encNode(encrypted.type, encrypted.ciphertext),
    { tag: "meta", attrs: { appdata: "default" } },
  ];
  if (encrypted.type === "pkmsg") {
    const identity = deviceIdentityNode(ctx.core);
    if (identity) content.push(identity);
  }
  const node: NodeInput = {
    tag: "message",
    attrs: {
      id,
      to,
      type: "text",
      category: "peer",
      push_priority: "high_force",
      privacy_sensitive: "1",
    },
    content,
  };
  const ack = await sendAndWaitForAck(ctx, node, id, options);
  return sentResult(ack, id, to);
}
