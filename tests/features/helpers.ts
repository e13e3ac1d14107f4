// Shared by the feature tests: a stanza as a spec builds it (NodeInput: JID attributes, undefined ones
// skipped) read back as the decoder would hand it over (Node: string attributes), and bytes cut into the
// chunks a stream would deliver.
import type { Node, NodeInput } from "../../src/binary/mod.ts";

/** `input` as a decoded `Node`: attributes as strings, undefined ones dropped, children converted. */
export function asNode(input: NodeInput): Node {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.attrs ?? {})) if (v !== undefined) attrs[k] = String(v);
  const c = input.content;
  return {
    tag: input.tag,
    attrs,
    content: Array.isArray(c) ? c.map(asNode) : (c as Uint8Array | string | undefined),
  };
}

/** Cuts `bytes` at the given boundaries (any order, duplicates allowed, clamped) into views. */
export function cut(bytes: Uint8Array, boundaries: number[]): Uint8Array[] {
  const points = [...new Set(boundaries.map((b) => Math.min(Math.max(0, b), bytes.length)))].sort((a, b) =>
    a - b
  );
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    parts.push(bytes.subarray(start, p));
    start = p;
  }
  parts.push(bytes.subarray(start));
  return parts;
}
