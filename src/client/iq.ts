/**
 * IQ request/response: ids, a pending map, a 60 s default timeout, cancellation, and typed
 * {@linkcode IqError}s that carry the server's code and text and name the operation.
 *
 * @module
 */

import { getChild, type Node, type NodeInput } from "../binary/mod.ts";
import { ConnectionError, IqError } from "../features/errors.ts";
import { type InfoQuery, SERVER_JID } from "../features/iq.ts";

/** What an IQ is, for error messages: the operation and what it is about. */
export interface IqLabel {
  /** The operation (`group info`); defaults to `<xmlns> <type>`. */
  operation?: string;
  /** What it is about, when it is about something. */
  about?: string;
}

/** The default time an IQ waits for its response. */
export const DEFAULT_IQ_TIMEOUT_MS = 60_000;

interface Pending {
  details: { operation: string; about?: string };
  resolve(node: Node): void;
  reject(error: Error): void;
}

function describe(d: { operation: string; about?: string }): string {
  return d.about ? `${d.operation} for ${d.about}` : d.operation;
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
   * {@linkcode IqError} (`server` for `type="error"`, `timeout`, `aborted`, `disconnected`), or with the
   * `ConnectionError` `send` threw (not connected).
   */
  request(send: (node: NodeInput) => void, query: InfoQuery, label: IqLabel = {}): Promise<Node> {
    const node = this.build(query);
    const id = node.attrs.id;
    const details = {
      operation: label.operation ?? `${query.namespace} ${query.type}`,
      about: label.about,
    };
    const timeoutMs = query.timeoutMs ?? DEFAULT_IQ_TIMEOUT_MS;
    const { promise, resolve, reject } = Promise.withResolvers<Node>();
    // A timer cleared on the answer, not AbortSignal.timeout: that signal and its timer would outlive the
    // answer by the whole timeout (60 s), one per IQ of the last minute.
    let timedOut = false;
    const signal = query.signal;
    const onAbort = () => {
      if (!this.#pending.delete(id)) return;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (timedOut) {
        reject(
          new IqError(
            "timeout",
            details,
            `${describe(details)}: no answer within ${timeoutMs} ms (IQ ${id})`,
          ),
        );
      } else {
        reject(new IqError("aborted", details, undefined, { cause: query.signal?.reason }));
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      onAbort();
    }, timeoutMs);
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    this.#pending.set(id, {
      details,
      resolve: (n) => settle(() => resolve(n)),
      reject: (e) => settle(() => reject(e)),
    });
    if (signal?.aborted) {
      onAbort();
      return promise;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      send(node);
    } catch (e) {
      this.#pending.delete(id);
      const error = e instanceof ConnectionError ? e : new ConnectionError(
        "not_connected",
        `cannot send ${describe(details)}: ${(e as Error).message}`,
        undefined,
        {
          cause: e,
        },
      );
      settle(() => reject(error));
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
      const status = Number(err?.attrs.code ?? 0) || 0;
      const text = err?.attrs.text ?? "";
      pending.reject(new IqError("server", { ...pending.details, status, text, node }));
    }
    return true;
  }

  /** Fails every pending IQ (the connection closed). */
  failAll(reason: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.reject(
        new IqError(
          "disconnected",
          p.details,
          `${describe(p.details)}: the connection closed before the answer came (${reason})`,
        ),
      );
    }
  }
}
