/**
 * IQ request/response: ids, a pending map, a 60 s default timeout, cancellation, and typed
 * {@linkcode IqError}s that carry the server's code and text.
 *
 * @module
 */

import { getChild, type Jid, type Node, type NodeInput, type NodeInputContent } from "../binary/mod.ts";

/** The default time an IQ waits for its response. */
export const DEFAULT_IQ_TIMEOUT_MS = 60_000;

/** The server JID IQs go to by default. */
export const SERVER_JID = "s.whatsapp.net";

/** Why an IQ failed. */
export type IqErrorKind = "server" | "timeout" | "disconnected" | "aborted" | "not_connected";

/** An IQ failed: the server answered `type="error"`, or no answer came. */
export class IqError extends Error {
  /** Which way it failed. */
  readonly kind: IqErrorKind;
  /** The server's error code (0 when the failure was local). */
  readonly code: number;
  /** The server's error text (empty when local). */
  readonly text: string;
  /** The `<iq type="error">` response, when there was one. */
  readonly node?: Node;

  /** Creates the error. */
  constructor(
    kind: IqErrorKind,
    message: string,
    details: { code?: number; text?: string; node?: Node } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "IqError";
    this.kind = kind;
    this.code = details.code ?? 0;
    this.text = details.text ?? "";
    this.node = details.node;
  }
}

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
  /** Timeout in milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

interface Pending {
  resolve(node: Node): void;
  reject(error: IqError): void;
}

/**
 * Tracks outstanding IQs. `send` is given the built node; the tracker resolves the returned promise
 * when {@linkcode IqTracker.handle} sees the response with the same id.
 */
export class IqTracker {
  #pending = new Map<string, Pending>();
  #counter = 0;
  readonly #prefix: string;

  /** Creates a tracker; ids look like `<prefix>.<counter>`. */
  constructor(prefix?: string) {
    this.#prefix = prefix ?? crypto.getRandomValues(new Uint8Array(3)).toHex();
  }

  /** A fresh request id. */
  nextId(): string {
    return `${this.#prefix}.${++this.#counter}`;
  }

  /** Number of IQs awaiting a response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Builds the `<iq>` node for a query (assigning an id). */
  build(query: InfoQuery): NodeInput & { attrs: { id: string } } {
    const id = query.id ?? this.nextId();
    return {
      tag: "iq",
      attrs: {
        id,
        xmlns: query.namespace,
        type: query.type,
        to: query.to ?? SERVER_JID,
        target: query.target,
      },
      content: query.content,
    };
  }

  /**
   * Sends a query through `send` and resolves with the `type="result"` response. Rejects with an
   * {@linkcode IqError}: `server` for `type="error"`, `timeout`, `aborted`, `disconnected`, or
   * `not_connected` when `send` throws.
   */
  request(send: (node: NodeInput) => void, query: InfoQuery): Promise<Node> {
    const node = this.build(query);
    const id = node.attrs.id;
    const timeoutMs = query.timeoutMs ?? DEFAULT_IQ_TIMEOUT_MS;
    const { promise, resolve, reject } = Promise.withResolvers<Node>();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = query.signal ? AbortSignal.any([timeout, query.signal]) : timeout;
    const onAbort = () => {
      if (!this.#pending.delete(id)) return;
      if (timeout.aborted) {
        reject(
          new IqError(
            "timeout",
            `IQ ${query.namespace}/${query.type} (${id}) got no response within ${timeoutMs} ms`,
          ),
        );
      } else {
        reject(
          new IqError("aborted", `IQ ${query.namespace}/${query.type} (${id}) was cancelled`, {}, {
            cause: query.signal?.reason,
          }),
        );
      }
    };
    const settle = (fn: () => void) => {
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    this.#pending.set(id, {
      resolve: (n) => settle(() => resolve(n)),
      reject: (e) => settle(() => reject(e)),
    });
    if (signal.aborted) {
      onAbort();
      return promise;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      send(node);
    } catch (e) {
      this.#pending.delete(id);
      settle(() =>
        reject(
          new IqError(
            "not_connected",
            `cannot send IQ ${query.namespace}/${query.type}: ${(e as Error).message}`,
            {},
            { cause: e },
          ),
        )
      );
    }
    return promise;
  }

  /**
   * Offers an incoming `<iq>` to the tracker. Returns true when it was the response to a pending
   * request (and settles it), false when it is something else (for example a server-initiated IQ).
   */
  handle(node: Node): boolean {
    const type = node.attrs.type;
    if (node.tag !== "iq" || (type !== "result" && type !== "error")) return false;
    const pending = this.#pending.get(node.attrs.id ?? "");
    if (!pending) return false;
    this.#pending.delete(node.attrs.id);
    if (type === "result") {
      pending.resolve(node);
    } else {
      const err = getChild(node, "error");
      const code = Number(err?.attrs.code ?? 0) || 0;
      const text = err?.attrs.text ?? "";
      pending.reject(
        new IqError(
          "server",
          `server answered IQ ${node.attrs.id} with error ${code}${text ? ` (${text})` : ""}`,
          { code, text, node },
        ),
      );
    }
    return true;
  }

  /** Fails every pending IQ (the connection closed). */
  failAll(reason: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.reject(new IqError("disconnected", `connection closed before the IQ was answered: ${reason}`));
    }
  }
}
