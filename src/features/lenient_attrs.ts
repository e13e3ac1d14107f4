/**
 * Reading attributes of server notifications that are informative, not essential: a malformed timestamp
 * should not cost the update it comes with, so these readers give `undefined` (or "now") instead of
 * throwing like `optAttrInt`.
 *
 * @module
 */

import { type Node, optAttrInt } from "../binary/mod.ts";

/**
 * Attribute `key` as an integer, or `undefined` when it is missing or malformed.
 *
 * @example
 * ```ts
 * import { lenientInt } from "./lenient_attrs.ts";
 * lenientInt({ tag: "item", attrs: { t: "1700000000" } }, "t"); // 1700000000
 * lenientInt({ tag: "item", attrs: { t: "soon" } }, "t"); // undefined
 * ```
 */
export function lenientInt(node: Node, key: string): number | undefined {
  try {
    return optAttrInt(node, key);
  } catch {
    return undefined;
  }
}

/** When a notification happened: its `t` attribute (Unix seconds), or now when that is missing, 0 or malformed. */
export function notificationTime(node: Node): Date {
  const t = lenientInt(node, "t");
  return t ? new Date(t * 1000) : new Date();
}
