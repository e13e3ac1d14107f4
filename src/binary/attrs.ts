/**
 * Typed attribute getters. The required forms throw {@link NodeAttrError} naming the node's tag and the
 * attribute; the `opt` forms return `undefined` when the attribute is absent but still throw when it is
 * present and malformed, so a bad value is never mistaken for a missing one.
 *
 * @example
 * ```ts
 * import { attrInt, attrJid, optAttrString } from "./attrs.ts";
 * const node = { tag: "receipt", attrs: { from: "15551234567@s.whatsapp.net", t: "1700000000" } };
 * attrJid(node, "from").user; // "15551234567"
 * attrInt(node, "t"); // 1700000000
 * optAttrString(node, "type"); // undefined
 * ```
 *
 * @module
 */

import { JidParseError, NodeAttrError } from "./errors.ts";
import { Jid } from "./jid.ts";
import type { NodeInput } from "./node.ts";

function raw(node: NodeInput, key: string): string | Jid | undefined {
  const attrs = node.attrs;
  return attrs !== undefined && Object.hasOwn(attrs, key) ? attrs[key] : undefined;
}

function text(value: string | Jid): string {
  return typeof value === "string" ? value : value.toString();
}

/** Attribute `key` as a string; throws {@link NodeAttrError} when it is missing. */
export function attrString(node: NodeInput, key: string): string {
  const value = raw(node, key);
  if (value === undefined) throw new NodeAttrError(node.tag, key, undefined, "a string");
  return text(value);
}

/** Attribute `key` as a string, or `undefined` when it is missing. */
export function optAttrString(node: NodeInput, key: string): string | undefined {
  const value = raw(node, key);
  return value === undefined ? undefined : text(value);
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function toInt(node: NodeInput, key: string, value: string | Jid): number {
  const s = text(value);
  const n = INTEGER.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n)) throw new NodeAttrError(node.tag, key, s, "a decimal integer");
  return n;
}

/** Attribute `key` as a safe integer (decimal, no leading zeros); throws {@link NodeAttrError}. */
export function attrInt(node: NodeInput, key: string): number {
  const value = raw(node, key);
  if (value === undefined) throw new NodeAttrError(node.tag, key, undefined, "a decimal integer");
  return toInt(node, key, value);
}

/** Attribute `key` as a safe integer, or `undefined` when it is missing; throws when malformed. */
export function optAttrInt(node: NodeInput, key: string): number | undefined {
  const value = raw(node, key);
  return value === undefined ? undefined : toInt(node, key, value);
}

function toJid(node: NodeInput, key: string, value: string | Jid): Jid {
  if (typeof value !== "string") return value;
  try {
    return Jid.parse(value);
  } catch (error) {
    if (error instanceof JidParseError) {
      throw new NodeAttrError(node.tag, key, value, "a JID", { cause: error });
    }
    throw error;
  }
}

/** Attribute `key` parsed as a {@link Jid}; throws {@link NodeAttrError} when missing or malformed. */
export function attrJid(node: NodeInput, key: string): Jid {
  const value = raw(node, key);
  if (value === undefined) throw new NodeAttrError(node.tag, key, undefined, "a JID");
  return toJid(node, key, value);
}

/** Attribute `key` as a {@link Jid}, or `undefined` when it is missing; throws when malformed. */
export function optAttrJid(node: NodeInput, key: string): Jid | undefined {
  const value = raw(node, key);
  return value === undefined ? undefined : toJid(node, key, value);
}

function toBool(node: NodeInput, key: string, value: string | Jid): boolean {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new NodeAttrError(node.tag, key, text(value), `"true", "false", "1" or "0"`);
}

/** Attribute `key` as a boolean (`true`/`false`/`1`/`0`); throws {@link NodeAttrError}. */
export function attrBool(node: NodeInput, key: string): boolean {
  const value = raw(node, key);
  if (value === undefined) throw new NodeAttrError(node.tag, key, undefined, `"true" or "false"`);
  return toBool(node, key, value);
}

/** Attribute `key` as a boolean, or `undefined` when it is missing; throws when malformed. */
export function optAttrBool(node: NodeInput, key: string): boolean | undefined {
  const value = raw(node, key);
  return value === undefined ? undefined : toBool(node, key, value);
}
