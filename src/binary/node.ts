/**
 * The stanza tree: {@link Node} as decoded from the wire, {@link NodeInput} as accepted by the encoder,
 * and small helpers to walk children.
 *
 * @module
 */

import type { Jid } from "./jid.ts";

/**
 * Content of a decoded node: child nodes, bytes, or a string.
 *
 * The decoder returns bytes (`Uint8Array`) for every BINARY_8/20/32 payload, even when the sender meant
 * text, because the wire does not say which it is; use {@link contentString} to read such content as
 * UTF-8. Content written as a token, a packed nibble/hex string or a JID decodes to a `string`. An empty
 * child list (LIST_EMPTY) decodes to `[]`.
 */
export type NodeContent = Node[] | Uint8Array | string;

/**
 * A decoded stanza. Attribute values are always strings (JIDs are formatted as in `Jid.toString`,
 * except that a JID without a user keeps its `@`, for example `@s.whatsapp.net`, so that it encodes
 * back the same way).
 *
 * Byte content is a view into the buffer that was decoded (no copy): it stays valid as long as that
 * buffer is not modified.
 */
export interface Node {
  /** Element name, for example `message`, `iq` or `enc`. */
  tag: string;
  /** Attributes in wire order. */
  attrs: Record<string, string>;
  /** Children, bytes or text; `undefined` when the node has no content. */
  content?: NodeContent;
}

/** Attribute value accepted by the encoder: a `Jid` is written as a JID directly, `undefined` is skipped. */
export type AttrValue = string | Jid | undefined;

/** Content accepted by the encoder. */
export type NodeInputContent = readonly NodeInput[] | Uint8Array | string;

/**
 * A stanza to encode. Wider than {@link Node}: attribute values may be {@link Jid} objects (encoded as
 * JIDs without formatting) or `undefined` (skipped), and `attrs` may be omitted. Every `Node` is a
 * `NodeInput`.
 */
export interface NodeInput {
  /** Element name; a non-empty string. */
  tag: string;
  /** Attributes; `undefined` values are not written. */
  attrs?: Readonly<Record<string, AttrValue>>;
  /** Children, bytes or text; omit for an empty element. */
  content?: NodeInputContent;
}

/** The child nodes of `node`, or an empty array when its content is not a list. */
export function getChildren(node: Node, tag?: string): Node[] {
  const content = node.content;
  if (!Array.isArray(content)) return [];
  if (tag === undefined) return content;
  return content.filter((child) => child.tag === tag);
}

/**
 * The first child of `node` with the given tag.
 *
 * @example
 * ```ts
 * import { getChild } from "./node.ts";
 * const iq = { tag: "iq", attrs: {}, content: [{ tag: "usync", attrs: {} }] };
 * getChild(iq, "usync")?.tag; // "usync"
 * ```
 */
export function getChild(node: Node, tag: string): Node | undefined {
  const content = node.content;
  if (!Array.isArray(content)) return undefined;
  for (const child of content) if (child.tag === tag) return child;
  return undefined;
}

/** Follows a path of child tags (first match at each level): `getChildByPath(iq, "usync", "list")`. */
export function getChildByPath(node: Node, ...tags: string[]): Node | undefined {
  let current: Node | undefined = node;
  for (const tag of tags) {
    current = getChild(current, tag);
    if (current === undefined) return undefined;
  }
  return current;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * The content of `node` as bytes: byte content as is, string content as UTF-8; `undefined` for child
 * lists and empty nodes.
 */
export function contentBytes(node: Node): Uint8Array | undefined {
  const content = node.content;
  if (content instanceof Uint8Array) return content;
  if (typeof content === "string") return utf8Encoder.encode(content);
  return undefined;
}

/**
 * The content of `node` as text: string content as is, byte content decoded as UTF-8 (a `TypeError`
 * for invalid UTF-8); `undefined` for child lists and empty nodes.
 */
export function contentString(node: Node): string | undefined {
  const content = node.content;
  if (typeof content === "string") return content;
  if (content instanceof Uint8Array) return utf8Decoder.decode(content);
  return undefined;
}

/** {@link contentBytes} of the first child with the given tag. */
export function childBytes(node: Node, tag: string): Uint8Array | undefined {
  const child = getChild(node, tag);
  return child === undefined ? undefined : contentBytes(child);
}

/** {@link contentString} of the first child with the given tag. */
export function childString(node: Node, tag: string): string | undefined {
  const child = getChild(node, tag);
  return child === undefined ? undefined : contentString(child);
}
