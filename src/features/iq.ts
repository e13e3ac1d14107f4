/**
 * IQs as pure specs: a request says how to build its `<iq>` and how to read the answer, and names the
 * operation and what it is about so that an error says "group info for 1203…@g.us: item-not-found (404)"
 * rather than an IQ id. The client runs specs with one `execute(spec, { signal })`; a spec is unit-tested
 * by feeding `parse` a node, without a server.
 *
 * @module
 */

import { getChild, type Jid, type Node, type NodeInputContent } from "../binary/mod.ts";
import { IqError } from "./errors.ts";

/** The server JID IQs go to by default. */
export const SERVER_JID = "s.whatsapp.net";

/** An IQ to send. */
export interface InfoQuery {
  /** The `xmlns` attribute (`encrypt`, `w:p`, `md`, `usync`, ...). */
  namespace: string;
  /** `get` or `set`. */
  type: "get" | "set";
  /** Recipient; defaults to `s.whatsapp.net`. */
  to?: Jid | string;
  /** Optional `target` attribute. */
  target?: Jid | string;
  /** The request id; generated when absent. */
  id?: string;
  /** Child nodes or raw content. */
  content?: NodeInputContent;
  /** Timeout in milliseconds (default: the client's IQ timeout, 60 s). */
  timeoutMs?: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/**
 * One request: how to build it and how to read its answer.
 *
 * @example
 * ```ts
 * import { getChild, type Node } from "@wadeno/client/binary";
 * import type { IqSpec } from "@wadeno/client";
 * const ping: IqSpec<true> = {
 *   operation: "ping",
 *   build: () => ({ namespace: "w:p", type: "get", content: [{ tag: "ping", attrs: {} }] }),
 *   parse: () => true,
 * };
 * ```
 */
export interface IqSpec<T> {
  /** What the request does, in a few words (`group info`, `prekey upload`): used in error messages. */
  readonly operation: string;
  /** What the request is about (a JID), when it is about something: used in error messages. */
  readonly about?: Jid | string;
  /** The `<iq>` to send. */
  build(): InfoQuery;
  /** Reads the `type="result"` answer; throws {@linkcode IqError} `bad_response` when it lacks something. */
  parse(response: Node): T;
}

/** An `IqError` of code `bad_response` for a spec whose answer lacks what it needs. */
export function badResponse(
  spec: Pick<IqSpec<unknown>, "operation" | "about">,
  text: string,
  node?: Node,
): IqError {
  return new IqError("bad_response", {
    operation: spec.operation,
    about: spec.about?.toString(),
    text,
    node,
  });
}

/** The child `tag` of an answer, or an `IqError` `bad_response` naming what was missing. */
export function requireChild(
  spec: Pick<IqSpec<unknown>, "operation" | "about">,
  node: Node,
  tag: string,
): Node {
  const child = getChild(node, tag);
  if (!child) throw badResponse(spec, `the answer has no <${tag}>`, node);
  return child;
}
