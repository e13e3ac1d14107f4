/**
 * A fluent builder for {@link NodeInput} stanzas.
 *
 * @module
 */

import { Jid } from "./jid.ts";
import type { AttrValue, NodeInput, NodeInputContent } from "./node.ts";

/**
 * Builds a stanza step by step. Every setter returns the builder; setters given `undefined` do nothing,
 * so optional parts chain without `if`s.
 *
 * @example
 * ```ts
 * import { Jid, NodeBuilder } from "./mod.ts";
 * const iq = new NodeBuilder("iq")
 *   .attr("id", "1234")
 *   .attr("type", "get")
 *   .attr("xmlns", "w:g2")
 *   .jidAttr("to", Jid.server("g.us"))
 *   .attr("target", undefined) // skipped
 *   .children([new NodeBuilder("query").attr("request", "interactive").build()])
 *   .build();
 * ```
 */
export class NodeBuilder {
  #tag: string;
  #attrs: Record<string, AttrValue> = {};
  #content: NodeInputContent | undefined;

  /** Starts a node with the given tag. */
  constructor(tag: string) {
    this.#tag = tag;
  }

  /**
   * Sets an attribute. Numbers, bigints and booleans are written in decimal / `true` / `false`;
   * `undefined` leaves the attribute unset.
   */
  attr(key: string, value: string | number | bigint | boolean | Jid | undefined): this {
    if (value === undefined) return this;
    this.#attrs[key] = typeof value === "string" || value instanceof Jid ? value : String(value);
    return this;
  }

  /** Sets a JID attribute, encoded directly as a JID on the wire; `undefined` leaves it unset. */
  jidAttr(key: string, jid: Jid | undefined): this {
    if (jid !== undefined) this.#attrs[key] = jid;
    return this;
  }

  /** Sets every defined entry of `attrs`. */
  attrs(attrs: Readonly<Record<string, AttrValue>>): this {
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value !== undefined) this.#attrs[key] = value;
    }
    return this;
  }

  /**
   * Appends child nodes (skipping `undefined` entries). Replaces byte or string content set before.
   * Passing `undefined` does nothing.
   */
  children(nodes: Iterable<NodeInput | undefined> | undefined): this {
    if (nodes === undefined) return this;
    const list: NodeInput[] = Array.isArray(this.#content) ? this.#content as NodeInput[] : [];
    for (const node of nodes) if (node !== undefined) list.push(node);
    this.#content = list;
    return this;
  }

  /** Appends one child node; `undefined` does nothing. */
  child(node: NodeInput | undefined): this {
    return node === undefined ? this : this.children([node]);
  }

  /** Sets byte content (replacing earlier content); `undefined` does nothing. */
  bytes(bytes: Uint8Array | undefined): this {
    if (bytes !== undefined) this.#content = bytes;
    return this;
  }

  /** Sets string content (replacing earlier content); `undefined` does nothing. */
  string(text: string | undefined): this {
    if (text !== undefined) this.#content = text;
    return this;
  }

  /** The built node. Further calls on the builder do not change it. */
  build(): NodeInput {
    const node: NodeInput = { tag: this.#tag, attrs: { ...this.#attrs } };
    const content = this.#content;
    if (content !== undefined) node.content = Array.isArray(content) ? [...content] : content;
    return node;
  }
}
