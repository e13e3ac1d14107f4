/**
 * The stanza router: every node the server sends goes to exactly one place. IQ responses settle their
 * requests; login outcomes and stream errors end or continue the connection; server IQs (pairing, ping)
 * are answered; `<ib>` children and notifications are dispatched by type; everything else goes to the
 * handler registered for its tag (messaging registers `message`, `receipt`, `ack`), or is acknowledged
 * and logged when nothing handles it.
 *
 * @module
 */

import type { Node } from "../binary/mod.ts";
import { buildAck } from "./ack.ts";
import type { ClientCore } from "./core.ts";
import type { IqTracker } from "./iq.ts";
import { handleConnectFailure, handleStreamError } from "./login.ts";
import { isServerAddress, type Pairing } from "./pairing.ts";
import { MIN_PREKEY_COUNT, uploadPreKeys } from "./prekeys.ts";

/** A handler for one stanza tag, `ib:<child>` or `notification:<type>`. */
export type StanzaHandler = (node: Node) => void;

/** Routes incoming nodes for one client. */
export class StanzaRouter {
  /** Registered handlers by tag, `ib:<child tag>` or `notification:<type>`. */
  readonly handlers: Map<string, StanzaHandler> = new Map();
  readonly #core: ClientCore;
  readonly #iq: IqTracker;
  readonly #pairing: Pairing;
  readonly #onSuccess: (node: Node) => Promise<void>;

  /** Creates the router. */
  constructor(core: ClientCore, iq: IqTracker, pairing: Pairing, onSuccess: (node: Node) => Promise<void>) {
    this.#core = core;
    this.#iq = iq;
    this.#pairing = pairing;
    this.#onSuccess = onSuccess;
  }

  /** Routes one node. */
  route(node: Node): void {
    const core = this.#core;
    switch (node.tag) {
      case "iq":
        if (!this.#iq.handle(node)) core.spawn("server IQ", () => this.#serverIq(node));
        return;
      case "success":
        core.spawn("login", () => this.#onSuccess(node));
        return;
      case "failure":
        core.endConnection(handleConnectFailure(core, node));
        return;
      case "stream:error":
        core.endConnection(handleStreamError(core, node));
        return;
      case "xmlstreamend":
        core.endConnection({ action: "backoff", reason: "server ended the stream" });
        return;
      case "ib":
        this.#ib(node);
        return;
      case "notification":
        core.spawn("notification", () => this.#notification(node));
        return;
    }
    const handler = this.handlers.get(node.tag);
    if (handler) return handler(node);
    const ack = buildAck(node, core.device.pn);
    if (ack) core.spawn("ack", () => core.sendNode(ack));
    core.log.child("Client/Recv").debug(`unhandled <${node.tag}>`, { attrs: node.attrs });
  }

  async #serverIq(node: Node): Promise<void> {
    const core = this.#core;
    const child = Array.isArray(node.content) ? node.content[0] : undefined;
    const fromServer = isServerAddress(node.attrs.from);
    if (fromServer && child?.tag === "pair-device") return await this.#pairing.handlePairDevice(node);
    if (fromServer && child?.tag === "pair-success") return await this.#pairing.handlePairSuccess(node);
    if (node.attrs.type === "get" && (node.attrs.xmlns === "urn:xmpp:ping" || child?.tag === "ping")) {
      await core.sendNode({ tag: "iq", attrs: { to: node.attrs.from, id: node.attrs.id, type: "result" } });
      return;
    }
    core.log.child("Client/IQ").debug("unhandled server IQ", { attrs: node.attrs, child: child?.tag });
    if (node.attrs.type === "get" || node.attrs.type === "set") {
      await core.sendNode({
        tag: "iq",
        attrs: { to: node.attrs.from, id: node.attrs.id, type: "error" },
        content: [{ tag: "error", attrs: { code: "501", text: "feature-not-implemented" } }],
      });
    }
  }

  #ib(node: Node): void {
    const core = this.#core;
    for (const child of Array.isArray(node.content) ? node.content : []) {
      if (child.tag === "edge_routing") {
        const info = Array.isArray(child.content)
          ? child.content.find((c) => c.tag === "routing_info")
          : undefined;
        if (info?.content instanceof Uint8Array) {
          const bytes = info.content.slice();
          core.spawn("store routing info", () => core.updateDevice((d) => void (d.edgeRoutingInfo = bytes)));
        }
        continue;
      }
      const handler = this.handlers.get(`ib:${child.tag}`);
      if (handler) handler(child);
      else core.log.child("Client/Recv").debug(`unhandled <ib><${child.tag}>`, { attrs: child.attrs });
    }
  }

  async #notification(node: Node): Promise<void> {
    const core = this.#core;
    const ack = buildAck(node, core.device.pn);
    try {
      if (node.attrs.type === "link_code_companion_reg") {
        await this.#pairing.handleLinkCodeNotification(node);
      } else if (node.attrs.type === "encrypt" && Array.isArray(node.content)) {
        const count = node.content.find((c) => c.tag === "count");
        if (count && Number(count.attrs.value) < MIN_PREKEY_COUNT) await uploadPreKeys(core);
      }
      this.handlers.get(`notification:${node.attrs.type}`)?.(node);
    } finally {
      if (ack) {
        await core.sendNode(ack).catch((e) => core.log.child("Client/Ack").warn("ack failed", { error: e }));
      }
    }
  }
}
