/**
 * Small helpers FakeWhatsApp's routing shares: copying nodes (decoded byte content is a view into the
 * frame it came from, so anything kept past the handler is copied), big-endian integers, server time,
 * and the PN or LID address of a device.
 *
 * @module
 */

import { Jid, type Node } from "../binary/mod.ts";
import type { Account } from "./accounts.ts";

/** A deep copy of a decoded node whose byte content no longer shares the decoded frame's buffer. */
export function cloneNode(node: Node): Node {
  const content = node.content;
  return {
    tag: node.tag,
    attrs: { ...node.attrs },
    content: content instanceof Uint8Array
      ? content.slice()
      : Array.isArray(content)
      ? content.map(cloneNode)
      : content,
  };
}

/** The server clock in whole seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** A device of an account addressed by phone number (`lid` false) or by LID (`lid` true). */
export function deviceAddress(account: Account, deviceId: number, lid: boolean): Jid {
  return lid ? Jid.lid(account.lid, deviceId) : Jid.pn(account.phone, deviceId);
}

/** Parses an attribute value as a JID, or `undefined` when it is absent or malformed. */
export function parseJidAttr(value: string | undefined): Jid | undefined {
  return value ? Jid.tryParse(value) : undefined;
}

export { readUint, uintBytes } from "../binary/mod.ts";
