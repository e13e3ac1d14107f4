// Shared by the feature tests: a stanza as a spec builds it (NodeInput: JID attributes, undefined ones
// skipped) read back as the decoder would hand it over (Node: string attributes).
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
