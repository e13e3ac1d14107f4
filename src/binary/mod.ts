/**
 * The binary stanza layer: the {@link Node} tree, {@link Jid}s, the version 3 token dictionary, and
 * {@link marshal} / {@link unmarshal} between nodes and frame payloads. Pure: no I/O, no timers.
 *
 * @example
 * ```ts
 * import { Jid, marshal, NodeBuilder, unmarshal } from "./mod.ts";
 * const bytes = marshal(
 *   new NodeBuilder("receipt")
 *     .attr("id", "3EB0C431D8A4B6A1E2F5")
 *     .jidAttr("to", Jid.pn("15551234567"))
 *     .attr("type", "read")
 *     .build(),
 * );
 * const node = unmarshal(bytes);
 * node.attrs.to; // "15551234567@s.whatsapp.net"
 * ```
 *
 * @module
 */

export { BinaryDecodeError, BinaryEncodeError, BinaryError, JidParseError, NodeAttrError } from "./errors.ts";
export {
  BOT_SERVER,
  BROADCAST_SERVER,
  DEFAULT_USER_SERVER,
  GROUP_SERVER,
  HOSTED_LID_SERVER,
  HOSTED_SERVER,
  INTEROP_SERVER,
  Jid,
  type JidParts,
  KNOWN_SERVERS,
  LEGACY_USER_SERVER,
  LID_SERVER,
  MESSENGER_SERVER,
  NEWSLETTER_SERVER,
  STATUS_BROADCAST_USER,
} from "./jid.ts";
export {
  type AttrValue,
  childBytes,
  childString,
  contentBytes,
  contentString,
  getChild,
  getChildByPath,
  getChildren,
  type Node,
  type NodeContent,
  type NodeInput,
  type NodeInputContent,
} from "./node.ts";
export {
  attrBool,
  attrInt,
  attrJid,
  attrString,
  optAttrBool,
  optAttrInt,
  optAttrJid,
  optAttrString,
} from "./attrs.ts";
export { NodeBuilder } from "./builder.ts";
export { readUint, uintBytes } from "./uint.ts";
export { encodeNode, marshal, marshalInto, MAX_ENCODE_DEPTH } from "./encoder.ts";
export { decodeNode, MAX_DEPTH } from "./decoder.ts";
export {
  DEFAULT_MAX_INFLATED_SIZE,
  FLAG_COMPRESSED,
  inflateBounded,
  unmarshal,
  type UnmarshalOptions,
} from "./frame.ts";
export {
  AD_JID,
  BINARY_20,
  BINARY_32,
  BINARY_8,
  DICT_VERSION,
  DICTIONARY_0,
  DICTIONARY_1,
  DICTIONARY_2,
  DICTIONARY_3,
  DOMAIN_HOSTED,
  DOMAIN_HOSTED_LID,
  DOMAIN_LID,
  DOMAIN_WHATSAPP,
  DOUBLE_BYTE_TOKENS,
  FB_JID,
  HEX_8,
  indexOfDoubleByteToken,
  indexOfSingleToken,
  INTEROP_JID,
  JID_PAIR,
  LIST_16,
  LIST_8,
  LIST_EMPTY,
  NIBBLE_8,
  PACKED_MAX,
  SINGLE_BYTE_TOKENS,
} from "./tokens.ts";
