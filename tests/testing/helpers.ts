/**
 * Shared setup for FakeWhatsApp routing tests: real clients whose messaging handlers are replaced by an
 * {@linkcode Inbox} that records the raw stanzas the server delivers, so routing is checked on the wire,
 * independent of the client's messaging code.
 */

import { type Client, clientInternals } from "../../src/client/client.ts";
import { getChild, getChildren, Jid, type Node, type NodeInput } from "../../src/binary/mod.ts";
import type { FakeWhatsApp, VirtualPhone } from "../../src/testing/mod.ts";
import type { InfoQuery } from "../../src/features/iq.ts";
import { deadline, newClient, pairByQr, Recorded } from "../e2e/helpers.ts";

export { deadline, newClient, pairByQr, Recorded, startServer } from "../e2e/helpers.ts";

/** One recorded stanza: the handler key it arrived under (`message`, `ib:offline`, ...) and the node. */
export interface Received {
  key: string;
  node: Node;
}

/** Records what a client receives under some handler keys, in arrival order. */
export class Inbox {
  readonly #log = new Recorded<Received>();
  readonly items: Received[] = this.#log.all;

  /**
   * Replaces the client's handlers for `keys` with recording ones. The client's router acknowledges
   * recorded messages and receipts as usual (the server redelivers anything unacked), unless `ack` is
   * false: then the recording handler never settles, so they stay unacknowledged.
   */
  constructor(client: Client, keys: readonly string[] = DEFAULT_KEYS, options: { ack?: boolean } = {}) {
    const router = clientInternals(client).router;
    for (const key of keys) {
      const [tag, sub] = key.split(":");
      const filter = tag === "ib" ? { tag, child: sub } : sub ? { tag, type: sub } : { tag };
      // Notification handlers (prekey upkeep, identity changes) keep running beside the recorder.
      if (tag !== "notification") router.clear(filter);
      router.on(filter, (node) => {
        this.#log.push({ key, node });
        if (options.ack === false) return new Promise<void>(() => {});
      });
    }
  }

  /** The recorded nodes under one key. */
  nodes(key: string): Node[] {
    return this.items.filter((r) => r.key === key).map((r) => r.node);
  }

  /** Resolves with the first recorded stanza (past or future) under `key` that matches. */
  async waitFor(
    key: string,
    match: (node: Node) => boolean = () => true,
    signal = deadline(),
  ): Promise<Node> {
    const found = await this.#log.waitFor(
      (r) => r.key === key && match(r.node),
      signal,
      () => `timed out waiting for <${key}>; got ${this.describe()}`,
    );
    return found.node;
  }

  /** Resolves with the first recorded `<message>` with this id. */
  message(id: string): Promise<Node> {
    return this.waitFor("message", (n) => n.attrs.id === id);
  }

  /** A short description of what arrived, for failure messages. */
  describe(): string {
    return JSON.stringify(this.items.map((r) => `${r.key}:${r.node.attrs.id ?? r.node.attrs.count ?? ""}`));
  }
}

/** Handler keys recorded by default. */
export const DEFAULT_KEYS = [
  "message",
  "receipt",
  "ack",
  "ib:offline_preview",
  "ib:offline",
  "notification:encrypt",
] as const;

let counter = 0;
/** A unique stanza id. */
export function newId(prefix = "T"): string {
  return `${prefix}${Date.now().toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase()}`;
}

/** Random bytes standing in for a ciphertext (the server must pass them on unchanged). */
export function payload(size = 48): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(size));
}

/** `<enc v="2" type=...>bytes</enc>`. */
export function enc(type: string, bytes: Uint8Array, attrs: Record<string, string> = {}): NodeInput {
  return { tag: "enc", attrs: { v: "2", type, ...attrs }, content: bytes };
}

/** `<participants><to jid=DEV>enc</to>...</participants>`. */
export function participants(entries: [Jid, NodeInput][]): NodeInput {
  return {
    tag: "participants",
    attrs: {},
    content: entries.map(([jid, e]) => ({ tag: "to", attrs: { jid }, content: [e] })),
  };
}

/** The bytes of the first `<enc>` of a delivered message with the given type. */
export function encBytes(node: Node, type?: string): Uint8Array | undefined {
  const e = getChildren(node, "enc").find((c) => type === undefined || c.attrs.type === type);
  return e?.content instanceof Uint8Array ? e.content : undefined;
}

/** A paired companion of `phone` (device 1, 2, ...) with an {@linkcode Inbox}. */
export async function pairedClient(
  wa: FakeWhatsApp,
  phone: VirtualPhone,
  pushName?: string,
): Promise<{ client: Client; inbox: Inbox; jid: Jid; lid: Jid }> {
  const client = await newClient(wa, pushName ? { pushName } : {});
  const inbox = new Inbox(client);
  await pairByQr(client, phone);
  return { client, inbox, jid: client.jid!, lid: client.lid! };
}

/** Sends a node from `client` and waits for the server's ack of that id. */
export async function sendAndAck(client: Client, inbox: Inbox, node: NodeInput): Promise<Node> {
  const id = String(node.attrs?.id);
  await client.sendNode(node);
  return await inbox.waitFor("ack", (n) => n.attrs.id === id);
}

/** The user JID of a device JID. */
export function user(jid: Jid): Jid {
  return jid.toNonAd();
}

/** The `<device-list>` device ids of a usync `<user>`. */
export function deviceIds(userNode: Node): number[] {
  const list = getChild(getChild(userNode, "devices")!, "device-list");
  return list ? getChildren(list, "device").map((d) => Number(d.attrs.id)) : [];
}

/** A PN JID from a string, for readable assertions. */
export function pn(text: string): Jid {
  return Jid.parse(text);
}

/** Sends a raw IQ from a client and resolves with the server's answer (errors as `IqError`). */
export function rawQuery(client: Client, query: InfoQuery): Promise<Node> {
  return clientInternals(client).query(query);
}
