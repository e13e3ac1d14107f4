/**
 * FakeWhatsApp's app state sync (`w:sync:app:state`): per account, each collection's version, its
 * patches and the records live at the current version. Like the real server it cannot read any of it
 * (records are encrypted with keys only the account's devices hold); it orders patches, hands them out,
 * and builds snapshots from the live records and the last patch's snapshot MAC.
 *
 * - Fetch `<collection name version=N return_snapshot="false"/>`: the patches after N (each with its
 *   `version` set), at most {@linkcode PATCH_PAGE_SIZE} per answer with `has_more_patches="true"` while
 *   more remain. With `return_snapshot="true"` (or no version), and whenever the patches after N are no
 *   longer kept (compacted) or N is ahead of the server: a `<snapshot>` holding an encoded
 *   `ExternalBlobReference` to an `md-app-state` blob on the media server (a `SyncdSnapshot` encrypted as
 *   media). An empty collection answers `version="0"` and nothing else.
 * - Push `<collection name version=N><patch>bytes</patch></collection>`: refused with 409 (and the patches
 *   the device lacks) unless N is the collection's version; refused with 400 when the patch is not a
 *   well-formed `SyncdPatch`. Accepted patches become version N + 1; the account's other devices get
 *   `<notification type="server_sync"><collection name version/></notification>` (queued for offline ones).
 * - Unknown collection names: 400 for that collection.
 *
 * Test knobs ({@linkcode appStateServer}): compacting a collection (dropping its patches, so that devices
 * behind must take a snapshot), tampering with a stored record, corrupting the next patch handed out or
 * moving its mutations to an external blob, and loading a large snapshot.
 *
 * Shapes: reference/protocol-facts-features.md 2.4 (whatsmeow `appstate.go`, `appstate/decode.go`;
 * Baileys `Socket/chats.ts`; whatsapp-rust collection errors).
 *
 * @module
 */

import { contentBytes, getChild, getChildren, type Node, type NodeInput } from "../binary/mod.ts";
import { APP_STATE_COLLECTIONS } from "../features/app_state/action_types.ts";
import { APP_STATE_NAMESPACE } from "../features/app_state/sync_iq.ts";
import { encryptMedia } from "../features/media/crypto.ts";
import {
  ExternalBlobReference,
  ProtoDecodeError,
  type SyncdMutation,
  SyncdMutations,
  SyncdMutationSyncdOperation,
  SyncdPatch,
  type SyncdRecord,
  SyncdSnapshot,
} from "../proto/mod.ts";
import type { Account } from "./accounts.ts";
import { type FakeWhatsApp, iqError, iqResult } from "./fake_whatsapp.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ServerFeature } from "./server_feature.ts";
import { accountOf } from "./server_people.ts";

/** Most patches one fetch answer holds. */
export const PATCH_PAGE_SIZE = 50;

/** Patches kept per collection; older ones are dropped and devices that need them get a snapshot. */
export const MAX_KEPT_PATCHES = 2_000;

/** Most mutations one pushed patch may hold. */
export const MAX_PATCH_MUTATIONS = 10_000;

/** One collection of one account, as the server keeps it. */
export interface ServerCollection {
  /** The current version (0 before the first patch). */
  version: number;
  /** The kept patches, oldest first, each encoded with its `version` set. */
  patches: { version: number; bytes: Uint8Array }[];
  /** The records live at `version`, by index MAC (hex). */
  live: Map<string, SyncdRecord>;
  /** The last patch's snapshot MAC and key id: what a snapshot at `version` is signed with. */
  snapshotMac: Uint8Array | undefined;
  /** The key id of {@linkcode ServerCollection.snapshotMac}. */
  keyId: Uint8Array | undefined;
  /** The snapshot blob last built, reused while the version does not change. */
  snapshotBlob: { version: number; reference: Uint8Array } | undefined;
}

/** A one-off change to the next patch a collection hands out. */
export type NextPatchFault = "corrupt" | "external";

/** The app state of every account of one server, with the test knobs. */
export class AppStateServer {
  readonly #byAccount = new Map<string, Map<string, ServerCollection>>();
  readonly #next = new Map<string, NextPatchFault>();

  /** The collection (created empty on first use). */
  collection(account: Account, name: string): ServerCollection {
    let collections = this.#byAccount.get(account.phone);
    if (!collections) this.#byAccount.set(account.phone, collections = new Map());
    let c = collections.get(name);
    if (!c) {
      c = {
        version: 0,
        patches: [],
        live: new Map(),
        snapshotMac: undefined,
        keyId: undefined,
        snapshotBlob: undefined,
      };
      collections.set(name, c);
    }
    return c;
  }

  /**
   * Drops the kept patches of a collection (of every collection when `name` is omitted), as the real
   * server does with old history: a device behind the current version then gets a snapshot.
   */
  compact(account: Account, name?: string): void {
    for (const n of name === undefined ? APP_STATE_COLLECTIONS : [name]) {
      this.collection(account, n).patches = [];
    }
  }

  /**
   * Flips a byte in the value of a stored record (in the patch that set it and in the live records), as a
   * server that alters what it keeps would: devices must refuse both the patch and any snapshot. Returns
   * false when the collection has no patch with a SET to tamper with.
   */
  tamperStoredRecord(account: Account, name: string): boolean {
    const c = this.collection(account, name);
    for (let i = c.patches.length - 1; i >= 0; i--) {
      const patch = SyncdPatch.decode(c.patches[i].bytes);
      const m = patch.mutations?.find((x) => x.operation !== SyncdMutationSyncdOperation.REMOVE);
      const blob = m?.record?.value?.blob;
      const index = m?.record?.index?.blob;
      if (!blob || !index) continue;
      blob[20] ^= 0x01; // inside the ciphertext: the value MAC no longer verifies
      c.patches[i] = { version: c.patches[i].version, bytes: SyncdPatch.encode(patch) };
      const live = c.live.get(index.toHex());
      if (live?.value?.blob) live.value.blob[20] ^= 0x01;
      c.snapshotBlob = undefined;
      return true;
    }
    return false;
  }

  /**
   * Changes the first patch of the next fetch answer for this collection, once, in transit: `corrupt`
   * flips a ciphertext bit (the device must refuse it), `external` moves its mutations into an
   * `md-app-state` blob on the media server (`externalMutations`, as the real server hands out large
   * patches; the device downloads and decrypts it like media).
   */
  alterNextPatch(account: Account, name: string, fault: NextPatchFault): void {
    this.#next.set(`${account.phone}/${name}`, fault);
  }

  /** Consumes a pending {@linkcode AppStateServer.alterNextPatch}. */
  takeNextPatchFault(account: Account, name: string): NextPatchFault | undefined {
    const key = `${account.phone}/${name}`;
    const fault = this.#next.get(key);
    this.#next.delete(key);
    return fault;
  }

  /**
   * Replaces a collection's state with a snapshot (its records live at its version, signed by its MAC),
   * keeping no patches: devices then sync it from a snapshot. For benchmarks and tests that need a large
   * collection without pushing it patch by patch.
   */
  load(account: Account, name: string, snapshot: SyncdSnapshot): void {
    const c = this.collection(account, name);
    c.version = Number(snapshot.version?.version ?? 0n);
    c.patches = [];
    c.live = new Map();
    for (const r of snapshot.records ?? []) if (r.index?.blob) c.live.set(r.index.blob.toHex(), r);
    c.snapshotMac = snapshot.mac;
    c.keyId = snapshot.keyId?.id;
    c.snapshotBlob = undefined;
  }
}

const SERVERS = new WeakMap<FakeWhatsApp, AppStateServer>();

/**
 * The app state of a server's accounts (created on first use).
 *
 * @example
 * ```ts
 * import { appStateServer, type FakeWhatsApp } from "@wadeno/client/testing";
 * // Type-checked, not run: it inspects a running server.
 * export function example(wa: FakeWhatsApp) {
 *   const phone = wa.phone("15551234567");
 *   const state = appStateServer(wa).collection(phone.account, "regular_low");
 *   console.log(state.version, state.live.size);
 *   appStateServer(wa).compact(phone.account); // devices behind now catch up from snapshots
 * }
 * ```
 */
export function appStateServer(wa: FakeWhatsApp): AppStateServer {
  let server = SERVERS.get(wa);
  if (!server) SERVERS.set(wa, server = new AppStateServer());
  return server;
}

const KNOWN = new Set<string>(APP_STATE_COLLECTIONS);

async function syncIq(wa: FakeWhatsApp, conn: ServerConnection, node: Node): Promise<NodeInput> {
  const account = accountOf(wa, conn);
  if (!account) return iqError(node, 401, "not-authorized");
  const sync = getChild(node, "sync");
  if (node.attrs.type !== "set" || !sync) return iqError(node, 400, "bad-request");
  const requests = getChildren(sync, "collection");
  if (requests.length === 0 || requests.length > APP_STATE_COLLECTIONS.length) {
    return iqError(node, 400, "bad-request");
  }
  const out: NodeInput[] = [];
  const pushed: { name: string; version: number }[] = [];
  for (const request of requests) {
    const name = request.attrs.name ?? "";
    if (!KNOWN.has(name)) {
      out.push(collectionError(name, 400, "bad-request"));
      continue;
    }
    const patch = getChild(request, "patch");
    if (patch) {
      const answer = push(wa, account, name, request, patch);
      out.push(answer.node);
      if (answer.version !== undefined) pushed.push({ name, version: answer.version });
    } else {
      out.push(await fetch(wa, account, name, request));
    }
  }
  for (const { name, version } of pushed) {
    wa.notifyAccount(account, {
      attrs: { type: "server_sync" },
      content: [{ tag: "collection", attrs: { name, version: String(version) } }],
    }, conn.device);
  }
  return iqResult(node, [{ tag: "sync", attrs: {}, content: out }]);
}

function push(
  wa: FakeWhatsApp,
  account: Account,
  name: string,
  request: Node,
  patchNode: Node,
): { node: NodeInput; version?: number } {
  const state = appStateServer(wa).collection(account, name);
  const base = Number(request.attrs.version);
  if (!Number.isSafeInteger(base) || base !== state.version) {
    const missing = Number.isSafeInteger(base) && base < state.version ? patchesAfter(state, base) : [];
    return {
      node: {
        tag: "collection",
        attrs: { name, type: "error", version: String(state.version) },
        content: [
          { tag: "error", attrs: { code: "409", text: "conflict" } },
          ...(missing.length ? [patchesNode(missing)] : []),
        ],
      },
    };
  }
  const patch = readPatch(contentBytes(patchNode));
  if (patch === undefined) return { node: collectionError(name, 400, "bad-request") };
  const version = state.version + 1;
  for (const m of patch.mutations ?? []) {
    const key = m.record!.index!.blob!.toHex();
    if (m.operation === SyncdMutationSyncdOperation.REMOVE) state.live.delete(key);
    else state.live.set(key, m.record!);
  }
  const stored = SyncdPatch.encode({ ...patch, version: { version: BigInt(version) } });
  state.patches.push({ version, bytes: stored });
  if (state.patches.length > MAX_KEPT_PATCHES) {
    state.patches.splice(0, state.patches.length - MAX_KEPT_PATCHES);
  }
  state.version = version;
  state.snapshotMac = patch.snapshotMac;
  state.keyId = patch.keyId?.id;
  state.snapshotBlob = undefined;
  wa.log.child("FakeWA/AppState").debug(`${account.phone} ${name} is at v${version}`);
  return { node: { tag: "collection", attrs: { name, version: String(version) } }, version };
}

// A pushed patch the server can keep: every mutation has an index MAC, a value and a key id, and the
// patch has its two MACs and key id. External mutations are not taken (clients send small patches inline).
function readPatch(bytes: Uint8Array | undefined): SyncdPatch | undefined {
  if (!bytes) return undefined;
  let patch: SyncdPatch;
  try {
    patch = SyncdPatch.decode(bytes);
  } catch (e) {
    if (e instanceof ProtoDecodeError) return undefined;
    throw e;
  }
  const mutations = patch.mutations ?? [];
  const wellFormed = (m: SyncdMutation) =>
    m.record?.index?.blob?.length === 32 && (m.record.value?.blob?.length ?? 0) > 0 &&
    (m.record.keyId?.id?.length ?? 0) > 0;
  if (
    mutations.length === 0 || mutations.length > MAX_PATCH_MUTATIONS || !mutations.every(wellFormed) ||
    patch.externalMutations !== undefined || patch.snapshotMac?.length !== 32 ||
    patch.patchMac?.length !== 32 ||
    !patch.keyId?.id?.length
  ) {
    return undefined;
  }
  return patch;
}

async function fetch(wa: FakeWhatsApp, account: Account, name: string, request: Node): Promise<NodeInput> {
  const server = appStateServer(wa);
  const state = server.collection(account, name);
  const attrs: Record<string, string> = { name, version: String(state.version) };
  if (state.version === 0) return { tag: "collection", attrs };
  const from = Number(request.attrs.version);
  const haveFrom = Number.isSafeInteger(from) && from >= 0;
  const oldestKept = state.patches[0]?.version ?? state.version + 1;
  const wantsSnapshot = request.attrs.return_snapshot === "true" || !haveFrom;
  if (wantsSnapshot || from > state.version || from + 1 < oldestKept) {
    return {
      tag: "collection",
      attrs,
      content: [{ tag: "snapshot", attrs: {}, content: await snapshotOf(wa, state, name) }],
    };
  }
  const after = patchesAfter(state, from);
  const page = after.slice(0, PATCH_PAGE_SIZE);
  const fault = page.length > 0 ? server.takeNextPatchFault(account, name) : undefined;
  if (fault === "corrupt") page[0] = corrupt(page[0]);
  if (fault === "external") page[0] = await externalize(wa, page[0]);
  if (after.length > page.length) attrs.has_more_patches = "true";
  return { tag: "collection", attrs, content: page.length ? [patchesNode(page)] : [] };
}

function patchesAfter(state: ServerCollection, version: number): Uint8Array[] {
  return state.patches.filter((p) => p.version > version).map((p) => p.bytes);
}

function patchesNode(patches: readonly Uint8Array[]): NodeInput {
  return {
    tag: "patches",
    attrs: {},
    content: patches.map((bytes) => ({ tag: "patch", attrs: {}, content: bytes })),
  };
}

// A copy of a patch whose first value blob has one ciphertext bit flipped.
function corrupt(bytes: Uint8Array): Uint8Array {
  const patch = SyncdPatch.decode(bytes.slice());
  const blob = patch.mutations?.[0]?.record?.value?.blob;
  if (blob) blob[20] ^= 0x01;
  return SyncdPatch.encode(patch);
}

// A copy of a patch whose mutations live in an encrypted blob on the media server.
async function externalize(wa: FakeWhatsApp, bytes: Uint8Array): Promise<Uint8Array> {
  const patch = SyncdPatch.decode(bytes);
  const ref = await uploadBlob(wa, SyncdMutations.encode({ mutations: patch.mutations ?? [] }));
  return SyncdPatch.encode({ ...patch, mutations: [], externalMutations: ref });
}

/** Encrypts a blob as `md-app-state` media and stores it on the media server. */
async function uploadBlob(wa: FakeWhatsApp, plaintext: Uint8Array): Promise<ExternalBlobReference> {
  const encrypted = encryptMedia(plaintext, "app_state");
  const blob = await wa.media.store(encrypted.encrypted, "md-app-state");
  return {
    mediaKey: encrypted.mediaKey,
    directPath: blob.directPath,
    fileSizeBytes: BigInt(encrypted.fileLength),
    fileSha256: encrypted.fileSha256,
    fileEncSha256: encrypted.fileEncSha256,
  };
}

/** The snapshot of a collection at its version, uploaded to the media server; returns its reference bytes. */
async function snapshotOf(wa: FakeWhatsApp, state: ServerCollection, name: string): Promise<Uint8Array> {
  if (state.snapshotBlob?.version === state.version) return state.snapshotBlob.reference;
  const snapshot = SyncdSnapshot.encode({
    version: { version: BigInt(state.version) },
    records: [...state.live.values()],
    mac: state.snapshotMac,
    keyId: state.keyId === undefined ? undefined : { id: state.keyId },
  });
  const reference = ExternalBlobReference.encode(await uploadBlob(wa, snapshot));
  state.snapshotBlob = { version: state.version, reference };
  wa.log.child("FakeWA/AppState").debug(
    `snapshot of ${name} at v${state.version}: ${state.live.size} records`,
  );
  return reference;
}

function collectionError(name: string, code: number, text: string): NodeInput {
  return {
    tag: "collection",
    attrs: { name, type: "error" },
    content: [{ tag: "error", attrs: { code: String(code), text } }],
  };
}

/** App state sync's server side. */
export const appStateFeature: ServerFeature = {
  name: "app state",
  iq: { [APP_STATE_NAMESPACE]: syncIq },
};
