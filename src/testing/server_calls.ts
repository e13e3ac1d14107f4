/**
 * FakeWhatsApp's call signalling (no media): a `<call to=PEER id>` with one child (`offer`, `accept`,
 * `reject`, `terminate`, ...) from a logged-in device is acked (`<ack class="call" id from=PEER
 * type=CHILD>`) and routed to every device of the peer's account as `<call from=SENDER_DEVICE id t notify
 * platform version><CHILD …/></call>` (offline devices at their next login, marked offline), the way
 * Baileys and whatsmeow read them (reference/protocol-facts-features.md 6.4). An unknown peer gets ack
 * error 404, a stanza without a child or `call-id` 400.
 *
 * Tests place a call from a virtual phone with {@linkcode placeCall}; its `outcome` resolves when the
 * callee's device rejects, accepts or ends it.
 *
 * @module
 */

import { Jid, type Node, type NodeInput } from "../binary/mod.ts";
import { randomBytes } from "../crypto/mod.ts";
import { type Account, deviceLid, devicePn } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { cloneNode, parseJidAttr, unixNow } from "./stanza_util.ts";

/** How many calls the server remembers at once (finished ones are forgotten). */
export const MAX_TRACKED_CALLS = 1_000;

/** How a placed call ended, and which device said so. */
export interface CallOutcome {
  /** `reject`, `accept` or `terminate`. */
  kind: "reject" | "accept" | "terminate";
  /** The device that sent it (PN device JID). */
  by: Jid;
}

/** A call placed with {@linkcode placeCall}. */
export interface PlacedCall {
  /** The call's id. */
  callId: string;
  /** Resolves with how the callee answered. */
  outcome: Promise<CallOutcome>;
}

interface ServerCall {
  caller: Account;
  callee: Account;
  resolve(outcome: CallOutcome): void;
}

const CALLS = new WeakMap<FakeWhatsApp, Map<string, ServerCall>>();

function callsOf(wa: FakeWhatsApp): Map<string, ServerCall> {
  let calls = CALLS.get(wa);
  if (!calls) CALLS.set(wa, calls = new Map());
  return calls;
}

function track(wa: FakeWhatsApp, callId: string, call: ServerCall): void {
  const calls = callsOf(wa);
  if (calls.size >= MAX_TRACKED_CALLS) calls.delete(calls.keys().next().value!);
  calls.set(callId, call);
}

/** Delivers one call stanza to every device of `to` (except `exceptDevice`). */
function fanOut(wa: FakeWhatsApp, to: Account, from: Jid, child: NodeInput, exceptDevice?: Jid): void {
  const sender = wa.accounts.byJid(from);
  for (const device of to.devices.values()) {
    const target = devicePn(to, device.id);
    if (exceptDevice && wa.accounts.pnDevice(exceptDevice)?.equals(target)) continue;
    wa.delivery.deliver(target, {
      tag: "call",
      attrs: {
        from,
        id: wa.newId(),
        t: String(unixNow()),
        notify: sender?.pushName ?? "",
        platform: "android",
        version: "2.25.1.1",
      },
      content: [child],
    });
  }
}

/** A call stanza from a client. */
function handleClientCall(wa: FakeWhatsApp, conn: ServerConnection, node: Node): void {
  const id = node.attrs.id;
  const to = parseJidAttr(node.attrs.to);
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  const ack = (attrs: Record<string, string | undefined>) =>
    void conn.send({
      tag: "ack",
      attrs: { class: "call", id, from: to ?? node.attrs.to, type: child?.tag, ...attrs },
    });
  const sender = conn.device ? wa.accounts.device(conn.device) : undefined;
  if (!sender) return ack({ error: "401" });
  if (!id || !to || !child || !child.attrs["call-id"]) return ack({ error: "400" });
  const peer = wa.accounts.byJid(to);
  if (!peer) return ack({ error: "404" });
  ack({});
  const callId = child.attrs["call-id"];
  const from = to.isLid()
    ? deviceLid(sender.account, sender.device.id)
    : devicePn(sender.account, sender.device.id);
  const known = callsOf(wa).get(callId);
  if (child.tag === "offer" && !known) {
    track(wa, callId, { caller: sender.account, callee: peer, resolve: () => {} });
  }
  if (known && (child.tag === "reject" || child.tag === "accept" || child.tag === "terminate")) {
    known.resolve({ kind: child.tag, by: devicePn(sender.account, sender.device.id) });
    if (child.tag !== "accept") callsOf(wa).delete(callId);
  }
  fanOut(wa, peer, from, cloneNode(child));
  // The callee's other devices stop ringing once one of them answered.
  if (known && sender.account === known.callee && (child.tag === "reject" || child.tag === "accept")) {
    fanOut(wa, sender.account, from, {
      tag: "terminate",
      attrs: {
        "call-id": callId,
        "call-creator": devicePn(known.caller, 0),
        reason: `${child.tag}ed_elsewhere`,
      },
    }, conn.device);
  }
}

/** Options of {@linkcode placeCall}. */
export interface PlaceCallOptions {
  /** The calling account's phone number (its device 0 places the call). */
  from: string;
  /** Who is called (a PN or LID user). */
  to: Jid;
  /** A video call. */
  video?: boolean;
  /** A group call started from this group. */
  group?: Jid;
}

/**
 * Places a call from a virtual phone's device 0 (as its WhatsApp app would): every device of `to` gets
 * an `<offer>`. Resolves the outcome once the callee answers.
 *
 * @example
 * ```ts
 * import { FakeWhatsApp, placeCall } from "@wadeno/client/testing";
 * await using wa = await FakeWhatsApp.start();
 * const bot = await wa.phone("15557654321").client(); // any logged-in Client
 * bot.on("call", (call) => bot.calls.reject(call));
 * const call = placeCall(wa, { from: "15551234567", to: bot.jid!.toNonAd(), video: true });
 * (await call.outcome).kind; // "reject"
 * ```
 */
export function placeCall(wa: FakeWhatsApp, options: PlaceCallOptions): PlacedCall {
  const caller = wa.accounts.getOrCreate(options.from.replace(/\D/g, ""));
  const callee = wa.accounts.byJid(options.to);
  if (!callee) throw new Error(`placeCall: no account for ${options.to}`);
  const callId = randomBytes(16).toHex().toUpperCase();
  const { promise, resolve } = Promise.withResolvers<CallOutcome>();
  track(wa, callId, { caller, callee, resolve });
  const creator = devicePn(caller, 0);
  const attrs: Record<string, string | Jid> = {
    "call-id": callId,
    "call-creator": creator,
    caller_lid: Jid.lid(caller.lid),
    caller_country_code: "1",
    device_class: "2016",
  };
  if (options.group) {
    attrs["group-jid"] = options.group;
    attrs.type = "group";
  }
  const content: NodeInput[] = [
    { tag: "audio", attrs: { enc: "opus", rate: "16000" } },
    { tag: "audio", attrs: { enc: "opus", rate: "8000" } },
  ];
  if (options.video) content.push({ tag: "video", attrs: { enc: "vp8", dec: "vp8", orientation: "0" } });
  content.push({ tag: "net", attrs: { medium: "3" } });
  fanOut(wa, callee, options.to.isLid() ? deviceLid(caller, 0) : creator, { tag: "offer", attrs, content });
  return { callId, outcome: promise };
}

/** Call signalling's server side. */
export const callsFeature: ServerFeature = {
  name: "calls",
  stanzas: { call: handleClientCall },
};
