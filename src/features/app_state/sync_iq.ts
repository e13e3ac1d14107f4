/**
 * The app state sync IQ (`w:sync:app:state`) and the `server_sync` notification, as pure specs: what a
 * device sends to fetch collections or push a patch, and how the answer reads.
 *
 * Shapes (reference/protocol-facts-features.md 2.4; whatsmeow `appstate.go` `fetchAppStatePatches`,
 * `appstate/decode.go` `ParsePatchList`; Baileys `Socket/chats.ts` `resyncAppState`, `appPatch`;
 * whatsapp-rust `wacore/src/iq` collection errors):
 *
 * - fetch: `<iq xmlns="w:sync:app:state" type="set"><sync><collection name return_snapshot="true"/>` for a
 *   snapshot (no `version`), or `<collection name version=N return_snapshot="false"/>` for the patches
 *   after version N. Several collections may share one IQ.
 * - answer: `<sync><collection name version has_more_patches>` holding `<snapshot>` (an encoded
 *   `ExternalBlobReference`) and/or `<patches><patch>` (encoded `SyncdPatch`es, also accepted bare);
 *   a refused collection is `<collection name type="error"><error code text/></collection>`.
 * - push: `<collection name version=<current version> return_snapshot="false"><patch>bytes</patch>`;
 *   409 means our version is stale (fetch, then send again).
 * - `<notification type="server_sync"><collection name version/>…` asks for a fetch of those collections.
 *
 * Patch and snapshot bytes stay bytes here: decoding them is the sync engine's job, so that one bad patch
 * is an app state failure of its collection rather than a failed IQ.
 *
 * @module
 */

import { contentBytes, getChild, getChildren, type Node, type NodeInput } from "../../binary/mod.ts";
import { IqError } from "../errors.ts";
import { badResponse, type IqSpec } from "../iq.ts";

/** The IQ namespace of app state sync. */
export const APP_STATE_NAMESPACE = "w:sync:app:state";

/** Most collections a reply may name (there are five; a server that sends more is refused). */
export const MAX_REPLY_COLLECTIONS = 16;

/** What to ask for one collection. */
export interface CollectionRequest {
  /** The collection name. */
  name: string;
  /** Our version of it (ignored with `snapshot`). */
  version: number;
  /** Ask for the whole state (a snapshot) instead of the patches after `version`. */
  snapshot: boolean;
}

/** The server's answer for one collection. */
export interface CollectionReply {
  /** The collection name. */
  name: string;
  /** The collection's version on the server, when given. */
  version: number | undefined;
  /** More patches follow: fetch again from the last one's version. */
  hasMorePatches: boolean;
  /** The encoded `ExternalBlobReference` of a snapshot, when the answer holds one. */
  snapshot: Uint8Array | undefined;
  /** The encoded `SyncdPatch`es, in order. */
  patches: Uint8Array[];
  /** Set when the server refused this collection (`code` 409 = our version is stale). */
  error: { code: number; text: string } | undefined;
}

/** One collection named by a `server_sync` notification. */
export interface ServerSyncCollection {
  /** The collection name. */
  name: string;
  /** Its version on the server, when given. */
  version: number | undefined;
}

/**
 * The IQ that fetches one or more collections.
 *
 * @example
 * ```ts
 * import { fetchCollectionsSpec } from "./sync_iq.ts";
 * const spec = fetchCollectionsSpec([{ name: "regular_low", version: 0, snapshot: true }]);
 * spec.build().namespace; // "w:sync:app:state"
 * ```
 */
export function fetchCollectionsSpec(requests: readonly CollectionRequest[]): IqSpec<CollectionReply[]> {
  const spec: IqSpec<CollectionReply[]> = {
    operation: "app state sync",
    about: requests.map((r) => r.name).join(","),
    build: () => ({
      namespace: APP_STATE_NAMESPACE,
      type: "set",
      content: [{
        tag: "sync",
        attrs: {},
        content: requests.map((r): NodeInput => ({
          tag: "collection",
          attrs: r.snapshot
            ? { name: r.name, return_snapshot: "true" }
            : { name: r.name, version: String(r.version), return_snapshot: "false" },
        })),
      }],
    }),
    parse: (node) => parseSyncReply(spec, node),
  };
  return spec;
}

/**
 * The IQ that sends one patch for a collection at `version` (our current one). Resolves with the
 * collection's answer; a refusal rejects with `IqError` `server` carrying the collection's error `status`
 * (409 when our version is stale).
 *
 * @example
 * ```ts
 * import { pushPatchSpec } from "./sync_iq.ts";
 * const spec = pushPatchSpec("regular_low", 4, new Uint8Array([1, 2, 3]));
 * spec.build().content; // [<sync><collection name="regular_low" version="4" ...><patch>…</patch></collection></sync>]
 * ```
 */
export function pushPatchSpec(name: string, version: number, patch: Uint8Array): IqSpec<CollectionReply> {
  const spec: IqSpec<CollectionReply> = {
    operation: "app state patch",
    about: name,
    build: () => ({
      namespace: APP_STATE_NAMESPACE,
      type: "set",
      content: [{
        tag: "sync",
        attrs: {},
        content: [{
          tag: "collection",
          attrs: { name, version: String(version), return_snapshot: "false" },
          content: [{ tag: "patch", attrs: {}, content: patch }],
        }],
      }],
    }),
    parse: (node) => {
      const reply = parseSyncReply(spec, node).find((c) => c.name === name);
      if (reply === undefined) throw badResponse(spec, `the answer does not name collection ${name}`, node);
      if (reply.error !== undefined) {
        throw new IqError("server", {
          operation: spec.operation,
          about: name,
          status: reply.error.code,
          text: reply.error.text,
          node,
        });
      }
      return reply;
    },
  };
  return spec;
}

/**
 * The collections of a `<sync>` answer. Refused collections come back with `error` set; the caller
 * decides what each refusal means.
 */
export function parseSyncReply(
  spec: Pick<IqSpec<unknown>, "operation" | "about">,
  node: Node,
): CollectionReply[] {
  const sync = getChild(node, "sync");
  if (sync === undefined) throw badResponse(spec, "the answer has no <sync>", node);
  const collections = getChildren(sync, "collection");
  if (collections.length > MAX_REPLY_COLLECTIONS) {
    throw badResponse(spec, `the answer names ${collections.length} collections`, node);
  }
  return collections.map((c) => parseCollection(spec, c));
}

function parseCollection(spec: Pick<IqSpec<unknown>, "operation" | "about">, node: Node): CollectionReply {
  const name = node.attrs.name;
  if (!name) throw badResponse(spec, "a <collection> has no name", node);
  const version = parseVersion(node.attrs.version);
  if (node.attrs.type === "error") {
    const errorNode = getChild(node, "error");
    const code = Number(errorNode?.attrs.code ?? 0);
    return {
      name,
      version,
      hasMorePatches: false,
      snapshot: undefined,
      patches: [],
      error: { code: Number.isSafeInteger(code) ? code : 0, text: errorNode?.attrs.text ?? "" },
    };
  }
  const snapshotNode = getChild(node, "snapshot");
  const snapshot = snapshotNode ? contentBytes(snapshotNode) : undefined;
  if (snapshotNode !== undefined && snapshot === undefined) {
    throw badResponse(spec, `collection ${name}: <snapshot> holds no bytes`, node);
  }
  // Patches are inside <patches>, or bare in the collection (Baileys reads both).
  const holder = getChild(node, "patches") ?? node;
  const patches: Uint8Array[] = [];
  for (const p of getChildren(holder, "patch")) {
    const bytes = contentBytes(p);
    if (bytes === undefined) throw badResponse(spec, `collection ${name}: a <patch> holds no bytes`, node);
    patches.push(bytes);
  }
  return {
    name,
    version,
    hasMorePatches: node.attrs.has_more_patches === "true",
    snapshot,
    patches,
    error: undefined,
  };
}

/**
 * The collections a `<notification type="server_sync">` names (those without a name are skipped).
 *
 * @example
 * ```ts
 * import { parseServerSync } from "./sync_iq.ts";
 * parseServerSync({
 *   tag: "notification",
 *   attrs: { type: "server_sync" },
 *   content: [{ tag: "collection", attrs: { name: "regular_low", version: "7" } }],
 * }); // [{ name: "regular_low", version: 7 }]
 * ```
 */
export function parseServerSync(node: Node): ServerSyncCollection[] {
  const out: ServerSyncCollection[] = [];
  for (const c of getChildren(node, "collection").slice(0, MAX_REPLY_COLLECTIONS)) {
    if (c.attrs.name) out.push({ name: c.attrs.name, version: parseVersion(c.attrs.version) });
  }
  return out;
}

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}
