/**
 * FakeWhatsApp's media side: the `w:m` IQs and media retry routing. The blobs themselves live on the
 * HTTPS {@linkcode MediaServer} FakeWhatsApp starts with itself (`wa.media`).
 *
 * - `<iq xmlns="w:m" type="set"><media_conn/></iq>` is answered with the media server's hosts and a fresh
 *   upload token (`<media_conn auth ttl auth_ttl max_buckets><host hostname type/>…`, media_server.ts).
 * - A media retry request, `<receipt type="server-error" id to=<own PN>>` with `<encrypt>` and
 *   `<rmr jid from_me [participant]>` (protocol-facts-features.md §1.3), is acked and routed to the device
 *   that sent the message: the one seen sending that message id (the last {@linkcode SENDER_LOG_SIZE}
 *   ids are remembered), else the sender account's phone (device 0). The sender is the requester's own
 *   account when `from_me` is true, the `participant` in a group, the chat's user otherwise. It gets
 *   `<receipt from=<requesting device> id type="server-error" t>` with the same children.
 * - The sender's answer (FakeWhatsApp's convention, see src/features/media/reupload.ts): `<iq xmlns="w:m"
 *   type="set"><mediaretry id requester><rmr/>(<encrypt/>|<error code/>)</mediaretry></iq>`. It must
 *   answer a request routed to that device (else 404). The requester gets
 *   `<notification from="s.whatsapp.net" type="mediaretry" id t>` with `<rmr>` and `<encrypt>` or `<error>`,
 *   live or at its next login.
 *
 * @module
 */

import { getChild, getChildren, Jid, type Node, type NodeInput } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import { buildMediaConnNode } from "./media_server.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { cloneNode, parseJidAttr, unixNow } from "./stanza_util.ts";

/** How many message ids (and their sending devices) the server remembers for routing retry requests. */
export const SENDER_LOG_SIZE = 10_000;
/** How many retry requests may wait for their sender's answer at once. */
export const PENDING_RETRY_LIMIT = 1_000;

interface MediaRetryState {
  /** message id → the PN device that sent it. */
  senders: Map<string, Jid>;
  /** `<sender device>|<message id>` → the PN device that asked. */
  pending: Map<string, Jid>;
}

const STATES = new WeakMap<FakeWhatsApp, MediaRetryState>();

function stateOf(wa: FakeWhatsApp): MediaRetryState {
  let state = STATES.get(wa);
  if (state === undefined) STATES.set(wa, state = { senders: new Map(), pending: new Map() });
  return state;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value!);
}

/**
 * Starts remembering which device sent which message id (for routing retry requests). Called once by
 * `FakeWhatsApp.start()`; returns the function that stops it.
 */
export function trackMessageSenders(wa: FakeWhatsApp): () => void {
  const state = stateOf(wa);
  return wa.onStanza((node, device) => {
    if (node.tag !== "message" || device === undefined || !node.attrs.id) return;
    remember(state.senders, node.attrs.id, device, SENDER_LOG_SIZE);
  });
}

/** The device to ask: the one seen sending `messageId` if it belongs to `account`, else the phone. */
function senderDevice(wa: FakeWhatsApp, account: Account, messageId: string): Jid | undefined {
  const seen = stateOf(wa).senders.get(messageId);
  if (seen !== undefined && wa.accounts.byJid(seen) === account) return seen;
  const id = account.devices.has(0) ? 0 : [...account.devices.keys()].sort((a, b) => a - b)[0];
  return id === undefined ? undefined : Jid.pn(account.phone, id);
}

/**
 * Handles a client's `<receipt type="server-error">` with `<rmr>`: acks it and routes it to the sender.
 * Returns false for a receipt that is not a media retry request (left to the receipt router).
 */
export function handleMediaRetryReceipt(wa: FakeWhatsApp, conn: ServerConnection, node: Node): boolean {
  const rmr = getChild(node, "rmr");
  if (node.attrs.type !== "server-error" || rmr === undefined) return false;
  const id = node.attrs.id;
  const ack = (error?: string) =>
    void conn.send({
      tag: "ack",
      attrs: { class: "receipt", id, from: node.attrs.to, type: "server-error", error },
    });
  const refuse = (code: string) => {
    ack(code);
    return true;
  };
  if (conn.device === undefined || wa.accounts.device(conn.device) === undefined) return refuse("401");
  const chat = parseJidAttr(rmr.attrs.jid);
  if (!id || chat === undefined) return refuse("400");
  const fromMe = rmr.attrs.from_me === "true";
  const participant = parseJidAttr(rmr.attrs.participant);
  const senderJid = fromMe ? conn.device : chat.isGroup() ? participant : chat;
  const account = senderJid && wa.accounts.byJid(senderJid);
  const target = account && senderDevice(wa, account, id);
  if (target === undefined) return refuse("404");
  const requesterPn = wa.accounts.pnDevice(conn.device)!;
  const content = getChildren(node).filter((c) => c.tag === "encrypt" || c.tag === "rmr").map(cloneNode);
  remember(stateOf(wa).pending, `${target}|${id}`, requesterPn, PENDING_RETRY_LIMIT);
  wa.delivery.deliver(target, {
    tag: "receipt",
    attrs: { from: requesterPn, id, type: "server-error", t: String(unixNow()) },
    content,
  });
  ack();
  return true;
}

/** The sender's answer: forwarded to the device that asked as a `mediaretry` notification. */
function relayAnswer(wa: FakeWhatsApp, conn: ServerConnection, iq: Node, answer: Node): NodeInput {
  const id = answer.attrs.id;
  const sender = conn.device && wa.accounts.pnDevice(conn.device);
  const key = `${sender}|${id}`;
  const pending = stateOf(wa).pending;
  const requester = id ? pending.get(key) : undefined;
  if (requester === undefined) return iqError(iq, 404, "item-not-found");
  pending.delete(key);
  const content = getChildren(answer)
    .filter((c) => c.tag === "rmr" || c.tag === "encrypt" || c.tag === "error")
    .map(cloneNode);
  wa.delivery.deliver(requester, {
    tag: "notification",
    attrs: { from: "s.whatsapp.net", type: "mediaretry", id, t: String(unixNow()) },
    content,
  });
  return iqResult(iq);
}

function mediaIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): NodeInput {
  if (!conn.device) return iqError(node, 401, "not-authorized");
  if (node.attrs.type !== "set") return iqError(node, 400, "bad-request");
  if (getChild(node, "media_conn")) return iqResult(node, [buildMediaConnNode(wa.media.mediaConn())]);
  const answer = getChild(node, "mediaretry");
  if (answer) return relayAnswer(wa, conn, node, answer);
  return iqError(node, 400, "bad-request");
}

/** The media IQs' server side. */
export const mediaFeature: ServerFeature = {
  name: "media",
  iq: { "w:m": mediaIq },
};
