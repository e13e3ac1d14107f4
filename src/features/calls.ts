/**
 * Calls (`client.calls`): a bot cannot take a call (no media), but it can see them and turn them down.
 * Every `<call>` stanza is acknowledged by the client's router; an `<offer>` (or `<offer_notice>`, a group
 * call announced without media details) becomes a `call` event, every other kind (`accept`, `reject`,
 * `terminate`, `preaccept`, `transport`, `relaylatency`) a `callUpdate` event. `reject` answers an offer
 * with `<call to=CALLER id><reject call-id call-creator count="0"/></call>` and waits for its ack.
 *
 * Shapes: reference/protocol-facts-features.md 6.4 (whatsmeow call.go, Baileys messages-recv.ts,
 * whatsapp-rust wacore/src/stanza/call.rs).
 *
 * @module
 */

import { getChildren, Jid, type Node, optAttrInt } from "../binary/mod.ts";
import { randomBytes } from "../crypto/mod.ts";
import type { FeatureContext } from "./context.ts";
import { InputError } from "./errors.ts";
import { toJid } from "./jid_input.ts";
import { AckWaiter } from "./stanza_acks.ts";

/** What a `<call>` stanza says, from its one child's tag. */
export type CallKind =
  | "offer"
  | "offer_notice"
  | "preaccept"
  | "accept"
  | "reject"
  | "terminate"
  | "transport"
  | "relaylatency"
  | "other";

const KINDS: ReadonlySet<string> = new Set([
  "offer",
  "offer_notice",
  "preaccept",
  "accept",
  "reject",
  "terminate",
  "transport",
  "relaylatency",
]);

/** A call stanza, read. */
export interface CallInfo {
  /** What it says. */
  kind: CallKind;
  /** The child's tag as it came (for `other`). */
  wireKind: string;
  /** The call's id. */
  callId: string;
  /** The device that sent the stanza. */
  from: Jid;
  /** Who started the call (`call-creator`). */
  creator: Jid;
  /** The caller's phone-number JID when the creator is a LID (`caller_pn`), or its LID (`caller_lid`). */
  callerAlt?: Jid;
  /** True for a video call (an `<offer>` with `<video/>`, or `media="video"`). */
  isVideo: boolean;
  /** True for a group call. */
  isGroup: boolean;
  /** The group, for a group call started from a group chat. */
  groupJid?: Jid;
  /** The caller's push name (`notify`), possibly empty. */
  pushName: string;
  /** Server time of the stanza. */
  timestamp: Date;
  /** True when it came from the offline queue (the call may be long over). */
  offline: boolean;
  /** For `terminate`: why (`timeout` means missed). */
  reason?: string;
  /** For `terminate`: how long it lasted, in seconds. */
  durationSeconds?: number;
  /** The stanza's id (what the ack names). */
  stanzaId: string;
}

/** Payload of `call` (an incoming offer) and `callUpdate` (anything else about a call). */
export type CallEvent = CallInfo;

/** The events of the calls feature. */
export interface CallEvents {
  /** Someone is calling (an offer); `client.calls.reject(event)` turns it down. */
  call: CallEvent;
  /** A call changed: accepted or rejected elsewhere, ended, signalling. */
  callUpdate: CallEvent;
}

/** A `<call>` stanza lacks what it must carry. */
export class CallParseError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CallParseError";
  }
}

function jidAttr(node: Node, key: string): Jid | undefined {
  const v = node.attrs[key];
  return v ? Jid.tryParse(v) : undefined;
}

/**
 * Parses a `<call>` stanza. Throws {@linkcode CallParseError} without a `from`, a child, or a `call-id`.
 *
 * @example
 * ```ts
 * import { parseCall } from "./calls.ts";
 * const call = parseCall({
 *   tag: "call",
 *   attrs: { from: "15551234567@s.whatsapp.net", id: "A1", t: "1700000000" },
 *   content: [{ tag: "offer", attrs: { "call-id": "C1", "call-creator": "15551234567@s.whatsapp.net" }, content: [{ tag: "video", attrs: {} }] }],
 * });
 * call.isVideo; // true
 * ```
 */
export function parseCall(node: Node): CallInfo {
  const from = jidAttr(node, "from");
  if (!from) throw new CallParseError(`<call> lacks a valid from (got ${JSON.stringify(node.attrs.from)})`);
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  if (!child) throw new CallParseError("<call> has no child");
  const callId = child.attrs["call-id"];
  if (!callId) throw new CallParseError(`<call><${child.tag}> lacks a call-id`);
  const creator = jidAttr(child, "call-creator") ?? from.toNonAd();
  const t = optAttrInt(node, "t");
  const media = child.attrs.media;
  const info: CallInfo = {
    kind: KINDS.has(child.tag) ? child.tag as CallKind : "other",
    wireKind: child.tag,
    callId,
    from,
    creator,
    isVideo: media === "video" || getChildren(child, "video").length > 0,
    isGroup: child.attrs.type === "group" || child.attrs["group-jid"] !== undefined,
    pushName: node.attrs.notify ?? "",
    timestamp: t ? new Date(t * 1000) : new Date(),
    offline: node.attrs.offline !== undefined || node.attrs.e === "1",
    stanzaId: node.attrs.id ?? "",
  };
  const alt = jidAttr(child, "caller_pn") ?? jidAttr(child, "caller_lid");
  if (alt) info.callerAlt = alt;
  const group = jidAttr(child, "group-jid");
  if (group) info.groupJid = group;
  if (child.tag === "terminate") {
    if (child.attrs.reason) info.reason = child.attrs.reason;
    const duration = optAttrInt(child, "duration");
    if (duration !== undefined) info.durationSeconds = duration;
  }
  return info;
}

/** Incoming calls as events; turning them down. */
export class Calls {
  readonly #ctx: FeatureContext<CallEvents>;
  readonly #acks: AckWaiter;

  /** Creates the feature and subscribes to `<call>` stanzas. */
  constructor(ctx: FeatureContext<CallEvents>) {
    this.#ctx = ctx;
    this.#acks = new AckWaiter(ctx, "call");
    ctx.onStanza({ tag: "call" }, (node) => this.#onCall(node));
  }

  async #onCall(node: Node): Promise<void> {
    let info: CallInfo;
    try {
      info = parseCall(node);
    } catch (e) {
      this.#ctx.log.warn("dropping a malformed call stanza", { error: e, attrs: node.attrs });
      return;
    }
    await this.#ctx.emit(info.kind === "offer" || info.kind === "offer_notice" ? "call" : "callUpdate", info);
  }

  /**
   * Turns down a call offer (`call` is the `call` event, or its id and caller). Resolves once the server
   * acknowledged the rejection; the caller's phone stops ringing.
   *
   * @example
   * ```ts
   * import type { Client } from "@wadeno/client";
   * export function example(client: Client) {
   *   client.on("call", async (call) => {
   *     await client.calls.reject(call);
   *     await client.sendText(call.creator.toNonAd(), "Sorry, this number does not take calls.");
   *   });
   * }
   * ```
   */
  async reject(
    call: Pick<CallInfo, "callId" | "creator"> & { from?: Jid },
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (!call || typeof call.callId !== "string" || call.callId.length === 0 || call.callId.length > 128) {
      throw new InputError("invalid_argument", "call", "expected a call event (or { callId, creator })");
    }
    const creator = toJid(call.creator, "call.creator").toNonAd();
    const own = this.#ctx.ownJid;
    const id = randomBytes(8).toHex().toUpperCase();
    const attrs: Record<string, string | Jid> = { to: call.from?.toNonAd() ?? creator, id };
    if (own) attrs.from = own.toNonAd();
    await this.#acks.send({
      tag: "call",
      attrs: attrs as Record<string, string | Jid> & { id: string },
      content: [{ tag: "reject", attrs: { "call-id": call.callId, "call-creator": creator, count: "0" } }],
    }, { signal: options.signal });
  }
}
