/**
 * Waiting for the server's `<ack>` of a stanza a feature sends itself (a call rejection, a newsletter
 * reaction): the server answers `<ack class=TAG id=ID [error=CODE]/>`. Only stanzas in flight are held,
 * each until its ack, its timeout or the caller's abort; an ack for nothing pending is ignored.
 *
 * @module
 */

import type { Node, NodeInput } from "../binary/mod.ts";
import type { FeatureContext } from "./context.ts";
import { SendError } from "./errors.ts";

/** The default wait for an ack. */
export const ACK_TIMEOUT_MS = 20_000;

/** Sends stanzas of one class and waits for their acks. */
export class AckWaiter {
  readonly #ctx: FeatureContext<unknown>;
  readonly #class: string;
  readonly #pending = new Map<string, PromiseWithResolvers<Node>>();

  /** Subscribes to `<ack class=ackClass>` on the feature's context. */
  // deno-lint-ignore no-explicit-any
  constructor(ctx: FeatureContext<any>, ackClass: string) {
    this.#ctx = ctx;
    this.#class = ackClass;
    ctx.onStanza({ tag: "ack" }, (node) => {
      if (node.attrs.class !== this.#class) return;
      const id = node.attrs.id ?? "";
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      pending.resolve(node);
    });
  }

  /**
   * Sends `node` (it must have an `id`) and resolves with its ack. Rejects with {@linkcode SendError}
   * `server_refused` (the ack's `error`), `ack_timeout`, `aborted`, or the send's own failure.
   */
  async send(
    node: NodeInput & { attrs: { id: string } },
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Node> {
    const id = node.attrs.id;
    const pending = Promise.withResolvers<Node>();
    this.#pending.set(id, pending);
    const timeoutMs = options.timeoutMs ?? ACK_TIMEOUT_MS;
    // A timer cleared once the ack came, not AbortSignal.timeout: that signal and its timer would outlive
    // the ack by the whole timeout, one per stanza sent in that time.
    let timedOut = false;
    const signal = options.signal;
    const onAbort = () => {
      if (this.#pending.get(id) !== pending) return;
      this.#pending.delete(id);
      pending.reject(
        timedOut
          ? new SendError("ack_timeout", `no ack for <${node.tag} id=${id}> within ${timeoutMs} ms`)
          : new SendError("aborted", `waiting for the ack of <${node.tag} id=${id}> was cancelled`, 0, {
            cause: options.signal?.reason,
          }),
      );
    };
    const timer = setTimeout(() => {
      timedOut = true;
      onAbort();
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      try {
        await this.#ctx.sendNode(node);
      } catch (e) {
        this.#pending.delete(id);
        throw e;
      }
      const ack = await pending.promise;
      if (ack.attrs.error) {
        throw new SendError(
          "server_refused",
          `the server refused <${node.tag} id=${id}> (error ${ack.attrs.error})`,
          Number(ack.attrs.error) || 0,
        );
      }
      return ack;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
