/**
 * Sending: a `Message` becomes one `<message>` stanza encrypted for every device that must get it.
 *
 * - 1:1: every device of the recipient plus our own other devices (which get the message wrapped in a
 *   `DeviceSentMessage` naming the chat), each as `pkmsg` (new session from a fetched prekey bundle, with
 *   our `<device-identity>` attached) or `msg`.
 * - Groups: one sender-key message (`skmsg`) for everyone, plus a `SenderKeyDistributionMessage` sent 1:1
 *   to each member device that has not received our current sender key yet (tracked per group).
 *
 * Shapes from whatsmeow send.go (sendDM, sendGroup, prepareMessageNode, encryptMessageForDevices).
 *
 * @module
 */

import { Jid, type Node, type NodeInput } from "../../binary/mod.ts";
import { randomBytes } from "../../crypto/mod.ts";
import { ConnectionError, SendError } from "../../features/errors.ts";
import type { AddressingMode } from "../../features/message_info.ts";

import { newsletterMessageNode } from "../../features/newsletters/stanzas.ts";
import type { SendOptions, SendResult } from "../../features/send_options.ts";
import { ADVSignedDeviceIdentity, Message, ProtocolMessageType } from "../../proto/mod.ts";
import {
  createSenderKeyDistributionMessage,
  encryptMessages,
  groupEncrypt,
  type KeyedMutex,
  padMessage,
  processPreKeyBundle,
  senderKeyName,
  type SignalContext,
  SignalError,
} from "../../signal/mod.ts";
import type { ClientCore } from "../core.ts";
import { BundleError, fetchPreKeyBundles } from "./bundles.ts";
import type { Devices } from "./devices.ts";
import { PLUMBING_KINDS, protocolKind } from "./protocol.ts";

/** Who a group (or status) message goes to: the part of group metadata the send pipeline needs. */
export interface SendAudience {
  /** How members are addressed. */
  addressingMode?: AddressingMode;
  /** The members (users). */
  participants: ReadonlyArray<{ jid: Jid }>;
}

/** A new message id in WhatsApp Web's format (`3EB0` followed by 18 upper-case hex digits). */
export function generateMessageId(): string {
  return "3EB0" + randomBytes(9).toHex().toUpperCase();
}

/** The stanza `type` WhatsApp uses for a message kind. */
export function messageStanzaType(message: Message): string {
  const inner = wrapped(message);
  if (inner) return messageStanzaType(inner);
  if (message.reactionMessage || message.encReactionMessage) return "reaction";
  if (
    message.pollCreationMessage || message.pollCreationMessageV2 || message.pollCreationMessageV3 ||
    message.pollUpdateMessage
  ) {
    return "poll";
  }
  if (message.eventMessage) return "event";
  if (mediaTypeOf(message)) return "media";
  return "text";
}

/** The message inside an ephemeral, view-once or document-with-caption wrapper, if it is one. */
function wrapped(message: Message): Message | undefined {
  return message.ephemeralMessage?.message ?? message.viewOnceMessage?.message ??
    message.viewOnceMessageV2?.message ?? message.viewOnceMessageV2Extension?.message ??
    message.documentWithCaptionMessage?.message;
}

/** The `mediatype` attribute for media messages, or empty. */
export function mediaTypeOf(message: Message): string {
  const inner = wrapped(message);
  if (inner) return mediaTypeOf(inner);
  if (message.imageMessage) return "image";
  if (message.ptvMessage) return "ptv";
  if (message.stickerMessage) return "sticker";
  if (message.documentMessage) return "document";
  if (message.audioMessage) return message.audioMessage.ptt ? "ptt" : "audio";
  if (message.videoMessage) return message.videoMessage.gifPlayback ? "gif" : "video";
  if (message.contactMessage) return "vcard";
  if (message.contactsArrayMessage) return "contact_array";
  if (message.locationMessage) return "location";
  if (message.liveLocationMessage) return "livelocation";
  return "";
}

/**
 * The `edit` stanza attribute: `1` for an edit, `2` for a pin in chat, `7` for a sender revoke, `8` for an
 * admin revoke.
 */
export function editAttribute(message: Message, own: Jid): string | undefined {
  const pm = message.protocolMessage;
  if (pm?.type === ProtocolMessageType.MESSAGE_EDIT) return "1";
  if (pm?.type === ProtocolMessageType.REVOKE) {
    const participant = pm.key?.participant;
    return participant && Jid.tryParse(participant)?.user !== own.user && !pm.key?.fromMe ? "8" : "7";
  }
  if (message.editedMessage) return "1";
  if (message.pinInChatMessage) return "2";
  return undefined;
}

/**
 * What the send pipeline asks of the features around 1:1 messages: the trusted-contact token to attach
 * (`<tctoken>`), and a call once the server accepted a message (to issue our own token in the background).
 */
export interface DirectSendHooks {
  /** The recipient's stored, valid tc token, if any. */
  tcTokenFor(recipient: Jid): Promise<Uint8Array | undefined>;
  /** The server accepted a 1:1 message to `recipient`. */
  sentDirect(recipient: Jid): void;
}

/** What the send pipeline needs from the messaging composition. */
export interface SendContext {
  /** The client core. */
  core: ClientCore;
  /** Device lists and addresses. */
  devices: Devices;
  /** Group metadata (cached by the groups feature). */
  groupInfo(group: Jid): Promise<SendAudience>;
  /** Per-address locks shared with the receive path. */
  locks: KeyedMutex;
  /** Signal context for this device. */
  signal(): SignalContext;
  /** Waits for the server's `<ack class="message">` for an id. */
  waitForAck(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Node>;
  /** Reports an identity change we accepted. */
  identityChanged(address: string): void;
  /** Feature hooks for 1:1 messages (tc tokens). */
  hooks?: DirectSendHooks;
}

/** An encrypted copy for one device. */
export interface DeviceCiphertext {
  /** The device's wire JID (as it goes in `<to jid>`). */
  jid: Jid;
  /** `pkmsg` or `msg`. */
  type: "pkmsg" | "msg";
  /** The ciphertext. */
  ciphertext: Uint8Array;
}

/**
 * Encrypts `plaintextFor(device)` for every device, creating sessions from fetched bundles where there
 * are none. Devices that cannot be reached (no bundle, refused) are skipped and logged.
 */
export async function encryptForDevices(
  ctx: SendContext,
  devices: readonly Jid[],
  plaintextFor: (device: Jid) => Uint8Array,
): Promise<DeviceCiphertext[]> {
  if (!devices.length) return [];
  const log = ctx.core.log.child("Client/Send");
  const signal = ctx.signal();
  const addresses = new Map<string, Jid>();
  for (const device of devices) addresses.set(await ctx.devices.sessionAddress(device), device);
  return await ctx.locks.withLocks([...addresses.keys()], async () => {
    const sessions = await ctx.core.store.loadSessions([...addresses.keys()]);
    const missing = [...addresses].filter(([address]) => !sessions.get(address)?.hasCurrentState);
    if (missing.length) {
      const bundles = await fetchPreKeyBundles(ctx.core, missing.map(([, jid]) => jid));
      for (const [address, jid] of missing) {
        const bundle = bundles.get(jid.toString());
        if (!bundle || bundle instanceof BundleError) {
          log.warn(`cannot reach ${jid}: ${bundle?.message ?? "no bundle"}`);
          addresses.delete(address);
          continue;
        }
        try {
          await processWithTrust(ctx, signal, address, bundle);
        } catch (e) {
          log.warn(`cannot start a session with ${jid}`, { error: e });
          addresses.delete(address);
        }
      }
    }
    const entries: [string, Uint8Array][] = [];
    for (const [address, jid] of addresses) entries.push([address, padMessage(plaintextFor(jid))]);
    const { messages, errors } = await encryptMessages(signal, entries);
    for (const [address, error] of errors) log.warn(`encryption for ${address} failed`, { error });
    const out: DeviceCiphertext[] = [];
    for (const [address, jid] of addresses) {
      const m = messages.get(address);
      if (m) out.push({ jid, type: m.type, ciphertext: m.ciphertext });
    }
    return out;
  });
}

async function processWithTrust(
  ctx: SendContext,
  signal: SignalContext,
  address: string,
  bundle: Parameters<typeof processPreKeyBundle>[2],
): Promise<void> {
  try {
    await processPreKeyBundle(signal, address, bundle);
  } catch (e) {
    // WhatsApp accepts a changed identity (it shows "security code changed"); do the same and say so.
    if (!(e instanceof SignalError) || e.code !== "untrusted_identity") throw e;
    await ctx.core.store.saveIdentity(address, bundle.identityKey);
    ctx.identityChanged(address);
    await processPreKeyBundle(signal, address, bundle);
  }
}

/** `<participants><to jid><enc/></to>...</participants>` for a set of device ciphertexts. */
export function participantsNode(
  items: readonly DeviceCiphertext[],
  encAttrs: Record<string, string>,
): NodeInput {
  return {
    tag: "participants",
    attrs: {},
    content: items.map((item) => ({
      tag: "to",
      attrs: { jid: item.jid },
      content: [encNode(item.type, item.ciphertext, encAttrs)],
    })),
  };
}

/** One `<enc v="2" type>` node. */
export function encNode(type: string, ciphertext: Uint8Array, extra: Record<string, string> = {}): NodeInput {
  return { tag: "enc", attrs: { v: "2", type, ...extra }, content: ciphertext };
}

/** `<device-identity>` with our signed account identity. */
export function deviceIdentityNode(core: ClientCore): NodeInput | undefined {
  const account = core.device.account;
  return account
    ? { tag: "device-identity", attrs: {}, content: ADVSignedDeviceIdentity.encode(account) }
    : undefined;
}

function encAttributesFor(message: Message, forOwnDevices: boolean): Record<string, string> {
  const attrs: Record<string, string> = {};
  const media = mediaTypeOf(message);
  if (media && forOwnDevices) attrs.mediatype = media;
  if (
    message.reactionMessage || message.pollUpdateMessage || message.pinInChatMessage ||
    message.encEventResponseMessage || editAttributeIsSet(message)
  ) {
    attrs["decrypt-fail"] = "hide";
  }
  return attrs;
}

function editAttributeIsSet(message: Message): boolean {
  return message.protocolMessage?.type === ProtocolMessageType.MESSAGE_EDIT ||
    message.editedMessage !== undefined;
}

/** Our own identities (PN and LID, with device). */
function own(core: ClientCore): { pn: Jid; lid?: Jid } {
  const pn = core.device.pn;
  if (!pn) throw new ConnectionError("not_paired", "cannot send: this device is not paired with an account");
  return { pn, lid: core.device.lid };
}

/** True for this very device, in either addressing (its PN or its LID, same device id). */
function isThisDevice(d: Jid, me: { pn: Jid; lid?: Jid }): boolean {
  if (d.device !== me.pn.device) return false;
  return d.user === me.pn.user || (me.lid !== undefined && d.user === me.lid.user);
}

/** Refuses destinations this library cannot send to (yet), with a clear reason. */
function checkDestination(to: Jid): void {
  if (to.isStatusBroadcast()) return;
  if (to.isBroadcast()) {
    throw new SendError("not_supported", `sending to broadcast lists (${to}) is not supported`);
  }
  if (!to.isGroup() && !to.isPn() && !to.isLid()) {
    throw new SendError(
      "not_supported",
      `cannot send to ${to}: expected a user (@s.whatsapp.net, @lid), a group (@g.us) or a newsletter`,
    );
  }
}

/**
 * The audience of a status post as a group the send pipeline can fan out to: each user by LID where the
 * mapping is known (status is LID-addressed, as whatsapp-rust send.rs `send_status_message` documents),
 * plus ourselves so our other devices get the post.
 */
async function statusAudience(
  ctx: SendContext,
  audience: readonly Jid[] | undefined,
  me: { pn: Jid; lid?: Jid },
): Promise<SendAudience> {
  if (!audience?.length) {
    throw new SendError("invalid_input", "a status post needs an audience (options.statusAudience)");
  }
  const members = new Map<string, Jid>();
  for (const jid of [...audience, me.lid ?? me.pn]) {
    const user = jid.toNonAd();
    if (!user.isPn() && !user.isLid()) {
      throw new SendError("invalid_input", `status audience member ${user} is not a user JID`);
    }
    const lid = user.isPn() ? await ctx.devices.lidFor(user.user) : undefined;
    const member = lid ? Jid.lid(lid) : user;
    members.set(member.toString(), member);
  }
  return {
    addressingMode: me.lid ? "lid" : undefined,
    participants: [...members.values()].map((jid) => ({ jid })),
  };
}

/** Sends `message` to a user or group and waits for the server's ack. */
export async function sendMessage(
  ctx: SendContext,
  to: Jid,
  message: Message,
  options: SendOptions = {},
): Promise<SendResult> {
  const me = own(ctx.core);
  if (to.isNewsletter()) return await sendNewsletterMessage(ctx, to, message, options, me);
  checkDestination(to);
  if (isPeerMessage(to, message, me)) return await sendPeerMessage(ctx, to, message, options, me);
  const id = options.id ?? generateMessageId();
  const plaintext = Message.encode(message);
  const attrs: Record<string, string | Jid> = { id, to, type: messageStanzaType(message) };
  const edit = editAttribute(message, me.pn);
  if (edit) attrs.edit = edit;
  const content: NodeInput[] = [];
  let includeIdentity = false;
  let skdmDevices: Jid[] = [];
  let tcToken: NodeInput | undefined;
  let group: SendAudience | undefined;
  const isStatus = to.isStatusBroadcast();
  if (to.isGroup() || isStatus) {
    group = isStatus ? await statusAudience(ctx, options.statusAudience, me) : await ctx.groupInfo(to);
    if (group.addressingMode) attrs.addressing_mode = group.addressingMode;
    const members = await ctx.devices.getDevices([...group.participants.map((p) => p.jid), me.pn.toNonAd()]);
    // Never ourselves: in a lid-addressed group this device is listed under its LID too.
    const others = members.filter((d) => !isThisDevice(d, me));
    const name = senderKeyName(to.toString(), (me.lid ?? me.pn).toSignalAddress());
    const signal = ctx.signal();
    const { skdm, skmsg } = await ctx.locks.withLock(`sender-key:${name}`, async () => ({
      skdm: await createSenderKeyDistributionMessage(signal, name),
      skmsg: await groupEncrypt(signal, name, padMessage(plaintext)),
    }));
    // A status post lists every audience device: the server fans it out to the listed devices only.
    const have = new Set(isStatus ? [] : await ctx.core.store.getSkdmRecipients(to.toString()));
    skdmDevices = others.filter((d) => !have.has(d.toString()));
    if (skdmDevices.length) {
      const skdmPlaintext = Message.encode({
        senderKeyDistributionMessage: { groupId: to.toString(), axolotlSenderKeyDistributionMessage: skdm },
      });
      const encrypted = await encryptForDevices(ctx, skdmDevices, () => skdmPlaintext);
      skdmDevices = encrypted.map((e) => e.jid);
      includeIdentity ||= encrypted.some((e) => e.type === "pkmsg");
      if (encrypted.length) content.push(participantsNode(encrypted, {}));
    }
    const skAttrs: Record<string, string> = {};
    const media = mediaTypeOf(message);
    if (media) skAttrs.mediatype = media;
    content.push(encNode("skmsg", skmsg, skAttrs));
  } else {
    const recipient = to.toNonAd();
    const devices = (await ctx.devices.getDevices([recipient, me.pn.toNonAd()]))
      .filter((d) => !isThisDevice(d, me));
    if (!devices.some((d) => d.user === recipient.user)) {
      throw new SendError(
        "no_devices",
        `${recipient} has no devices the server knows of (not on WhatsApp?)`,
        404,
      );
    }
    let dsm: Uint8Array | undefined;
    const ownUser = (d: Jid) => d.user === me.pn.user || d.user === me.lid?.user;
    const encrypted = await encryptForDevices(ctx, devices, (d) => {
      if (!ownUser(d)) return plaintext;
      dsm ??= Message.encode({
        deviceSentMessage: { destinationJid: recipient.toString(), message },
        messageContextInfo: message.messageContextInfo,
      });
      return dsm;
    });
    if (!encrypted.some((e) => e.jid.user === recipient.user)) {
      throw new SendError("encryption_failed", `could not encrypt for any device of ${recipient}`);
    }
    includeIdentity = encrypted.some((e) => e.type === "pkmsg");
    content.push(participantsNode(encrypted, encAttributesFor(message, true)));
    if (!ownUser(recipient)) {
      const token = await ctx.hooks?.tcTokenFor(recipient);
      if (token) tcToken = { tag: "tctoken", attrs: {}, content: token };
    }
  }
  if (includeIdentity) {
    const identity = deviceIdentityNode(ctx.core);
    if (identity) content.push(identity);
  }
  if (tcToken) content.push(tcToken);
  if (options.extraNodes) content.push(...options.extraNodes);
  const ack = await sendAndWaitForAck(ctx, { tag: "message", attrs, content }, id, options);
  if (to.isGroup() && skdmDevices.length) {
    await ctx.core.store.addSkdmRecipients(to.toString(), skdmDevices.map((d) => d.toString()));
  }
  if (!to.isGroup() && !isStatus && to.user !== me.pn.user && to.user !== me.lid?.user) {
    ctx.hooks?.sentDirect(to.toNonAd());
  }
  await ctx.core.store.storeSentMessage(to.toNonAd().toString(), id, plaintext);
  return sentResult(ack, id, to);
}

/**
 * True for a plumbing protocol message (app state keys, history sync, peer data operations...) to our own
 * account: only our devices act on it, so it goes to the one device named (device 0, the phone, when no
 * device is) as a peer message, never fanned out or wrapped for our other devices.
 */
export function isPeerMessage(to: Jid, message: Message, me: { pn: Jid; lid?: Jid }): boolean {
  const kind = protocolKind(message.protocolMessage?.type);
  if (kind === undefined || !PLUMBING_KINDS.has(kind)) return false;
  return (to.isPn() && to.user === me.pn.user) ||
    (me.lid !== undefined && to.isLid() && to.user === me.lid.user);
}

/**
 * A peer message (whatsmeow send.go `preparePeerMessageNode`, protocol-facts-features.md 3.3):
 * `<message to=DEVICE type="text" category="peer" push_priority="high_force">` with one top-level `<enc>`
 * for that device, `<device-identity>` for a pkmsg, and `<meta appdata="default"/>`.
 */
async function sendPeerMessage(
  ctx: SendContext,
  to: Jid,
  message: Message,
  options: SendOptions,
  me: { pn: Jid; lid?: Jid },
): Promise<SendResult> {
  if (isThisDevice(to, me)) {
    throw new SendError(
      "invalid_input",
      `a peer message goes to another of our devices, not this one (${to})`,
    );
  }
  const id = options.id ?? generateMessageId();
  const plaintext = Message.encode(message);
  const [encrypted] = await encryptForDevices(ctx, [to], () => plaintext);
  if (!encrypted) throw new SendError("encryption_failed", `could not encrypt a peer message for ${to}`);
  const content: NodeInput[] = [encNode(encrypted.type, encrypted.ciphertext)];
  if (encrypted.type === "pkmsg") {
    const identity = deviceIdentityNode(ctx.core);
    if (identity) content.push(identity);
  }
  content.push({ tag: "meta", attrs: { appdata: "default" } });
  if (options.extraNodes) content.push(...options.extraNodes);
  const attrs = { id, to, type: "text", category: "peer", push_priority: "high_force" };
  const ack = await sendAndWaitForAck(ctx, { tag: "message", attrs, content }, id, options);
  await ctx.core.store.storeSentMessage(to.toNonAd().toString(), id, plaintext);
  return sentResult(ack, id, to.toNonAd());
}

/** What a send resolves with once `ack` came: the id, the server's time (`t`, or now), the chat and the key. */
export function sentResult(ack: Node, id: string, chat: Jid): SendResult {
  const t = Number(ack.attrs.t);
  return {
    id,
    timestamp: Number.isFinite(t) && t > 0 ? new Date(t * 1000) : new Date(),
    chat,
    key: { remoteJid: chat.toString(), fromMe: true, id },
  };
}

/** Sends a `<message>` stanza and waits for its ack; an ack with an `error` is a `server_refused`. */
export async function sendAndWaitForAck(
  ctx: SendContext,
  node: NodeInput,
  id: string,
  options: SendOptions,
): Promise<Node> {
  // Registered before sending so a fast ack cannot be missed; cancelled if the stanza never leaves.
  const unsent = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, unsent.signal]) : unsent.signal;
  const ackWait = ctx.waitForAck(id, options.timeoutMs ?? ctx.core.timings.iqTimeoutMs, signal);
  try {
    await ctx.core.sendNode(node);
  } catch (e) {
    unsent.abort(e);
    // The waiter now rejects too; the caller gets the send failure itself (not connected, usually).
    ackWait.catch(() => {});
    throw e;
  }
  const ack = await ackWait;
  if (ack.attrs.error) {
    throw new SendError(
      "server_refused",
      `the server refused message ${id} (error ${ack.attrs.error})`,
      Number(ack.attrs.error) || 0,
    );
  }
  return ack;
}

/**
 * Posts to a newsletter: newsletters are not end-to-end encrypted, so the stanza carries the plain
 * encoded message in `<plaintext>` (reference/protocol-facts-features.md 6.3). The ack names the post's
 * `server_id`.
 */
async function sendNewsletterMessage(
  ctx: SendContext,
  to: Jid,
  message: Message,
  options: SendOptions,
  me: { pn: Jid },
): Promise<SendResult> {
  const id = options.id ?? generateMessageId();
  const node = newsletterMessageNode(to.toNonAd(), id, message, {
    type: messageStanzaType(message),
    mediaType: mediaTypeOf(message) || undefined,
    edit: editAttribute(message, me.pn),
  });
  if (options.extraNodes) (node.content as NodeInput[]).push(...options.extraNodes);
  const ack = await sendAndWaitForAck(ctx, node, id, options);
  const serverId = Number(ack.attrs.server_id);
  return {
    ...sentResult(ack, id, to),
    serverId: Number.isSafeInteger(serverId) && serverId > 0 ? serverId : undefined,
  };
}
