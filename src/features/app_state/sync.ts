/**
 * The app state sync engine of a running client, over the store: fetching collections (snapshots and
 * patches) and applying them in order, once, with every MAC and the LT-hash checked before anything is
 * stored; sending our own patches; and reacting to `server_sync` notifications, key shares and logins.
 *
 * Rules (reference/protocol-facts-features.md 2.3-2.4; whatsmeow `appstate.go` `FetchAppState`,
 * `SendAppState`):
 * - A collection at version 0 is fetched as a snapshot; otherwise the patches after our version, page by
 *   page while the server says `has_more_patches`. A snapshot replaces the collection's stored state.
 * - A patch or snapshot that does not verify (a bad MAC, an LT-hash that does not match) is not applied:
 *   the collection is fetched again as a snapshot, once; if that fails too the stored state stays as it
 *   was and `appStateSyncError` is emitted. A patch naming a key we lack parks the collection and asks
 *   the primary for the key; the key's arrival resyncs everything.
 * - Sending: encode from our current state, push with our version; a 409 (stale version) fetches and
 *   tries again, up to {@linkcode MAX_PUSH_ATTEMPTS} times. Once accepted, the new state is stored and
 *   the events of our own mutations are emitted like any other.
 * - One lock covers all of it, so syncs and sends never interleave. Events are emitted after the lock is
 *   released: a listener may itself send an action.
 *
 * @module
 */

import type { Node } from "../../binary/mod.ts";
import { ExternalBlobReference, ProtoDecodeError, SyncdPatch } from "../../proto/mod.ts";
import { KeyedMutex } from "../../signal/mod.ts";
import type { FeatureContext } from "../context.ts";
import { ConnectionError, IqError } from "../errors.ts";
import { externalBlobRef, type MediaRef } from "../media/media_ref.ts";
import { APP_STATE_COLLECTIONS, type ChatMutation } from "./action_types.ts";
import { readChatAction } from "./actions.ts";
import { AppStateError } from "./errors.ts";
import { actionEvents, type AppStateEventOf, type AppStateEvents } from "./events.ts";
import { KeyExchange } from "./key_exchange.ts";
import type { DecodedMutation } from "./mutation.ts";
import { type AppliedPatch, decodePatch, decodeSnapshot, encodePatch, type HashState } from "./patch.ts";
import { type CollectionReply, fetchCollectionsSpec, parseServerSync, pushPatchSpec } from "./sync_iq.ts";

/** Downloads and decrypts an app state blob (the media feature's `download`). */
export type AppStateBlobDownloader = (
  ref: MediaRef,
  options: { maxBytes: number; signal?: AbortSignal },
) => Promise<Uint8Array>;

/** Options of {@linkcode AppStateSync}. */
export interface AppStateSyncOptions {
  /** How external blobs (snapshots, large patches) are fetched. */
  download: AppStateBlobDownloader;
  /** Refuse external blobs larger than this. Default 64 MiB. */
  maxBlobBytes?: number;
  /** Clock (ms) for the key-request interval. */
  now?: () => number;
}

/** Options of {@linkcode AppStateSync.sync}. */
export interface AppStateSyncRequest {
  /** The collections to sync (default: all five). */
  collections?: readonly string[];
  /** Forget the stored state first and fetch snapshots. */
  fullSync?: boolean;
  /** Cancels waiting for the server. */
  signal?: AbortSignal;
}

/** How one collection's sync ended. */
export interface CollectionSyncResult {
  /** The collection. */
  collection: string;
  /** Its version after the sync. */
  version: number;
  /** True when a snapshot was applied. */
  fromFullSync: boolean;
  /** Why it could not be brought up to date (then `version` is the unchanged stored one). */
  error?: unknown;
}

/** Most fetch rounds of one sync (pages of patches, the snapshot retry): a server that never stops is cut off. */
export const MAX_SYNC_ROUNDS = 1_000;

/** How many times a patch is sent before a stale version (409) is given up on. */
export const MAX_PUSH_ATTEMPTS = 3;

const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;
const LOCK = "app_state";

interface Pending {
  name: string;
  state: HashState;
  snapshot: boolean;
  fromFullSync: boolean;
  retried: boolean;
}

/** App state sync for one client. */
export class AppStateSync {
  readonly #ctx: FeatureContext<AppStateEvents>;
  readonly #download: AppStateBlobDownloader;
  readonly #maxBlobBytes: number;
  readonly #lock = new KeyedMutex();
  // Collections synced since this client started: one still at version 0 was empty on the server, and
  // its first patch is news, not a snapshot of old state.
  readonly #synced = new Set<string>();
  /** The key manager (shares, requests). */
  readonly keys: KeyExchange;

  /** Creates the engine and subscribes to `server_sync`, key shares and logins. */
  constructor(ctx: FeatureContext<AppStateEvents>, options: AppStateSyncOptions) {
    this.#ctx = ctx;
    this.#download = options.download;
    this.#maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.keys = new KeyExchange(ctx, () => this.#resyncInBackground("new keys"), options.now);
    ctx.onStanza({ tag: "notification", type: "server_sync" }, (node) => this.#onServerSync(node));
    ctx.onLogin(() => this.#onLogin());
  }

  /**
   * Brings collections up to date with the server. Per-collection failures are in the results (and
   * `appStateSyncError` events); a failed IQ (not connected, timeout) rejects.
   */
  async sync(request: AppStateSyncRequest = {}): Promise<CollectionSyncResult[]> {
    const names = [...new Set(request.collections ?? APP_STATE_COLLECTIONS)];
    const events: AppStateEventOf[] = [];
    try {
      return await this.#lock.withLock(LOCK, async () => {
        if (request.fullSync) {
          for (const name of names) {
            await this.#ctx.store.deleteAppStateVersion(name);
            this.#synced.delete(name);
          }
        }
        return await this.#syncLocked(names, events, request.signal);
      });
    } finally {
      // What was applied before a failure is stored: its events are due either way.
      await this.#emitAll(events);
    }
  }

  /**
   * Sends mutations (grouped by collection, one patch each) and resolves once the server accepted every
   * patch and the new state is stored.
   *
   * @throws {AppStateError} `missing_key` before the primary shared a key. `IqError` when the server
   * refuses (409 after {@linkcode MAX_PUSH_ATTEMPTS} tries), `ConnectionError` when not connected.
   */
  async apply(mutations: readonly ChatMutation[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const byCollection = new Map<string, ChatMutation[]>();
    for (const m of mutations) byCollection.set(m.collection, [...(byCollection.get(m.collection) ?? []), m]);
    for (const [collection, list] of byCollection) {
      const events: AppStateEventOf[] = [];
      try {
        await this.#lock.withLock(LOCK, () => this.#push(collection, list, events, options.signal));
      } finally {
        await this.#emitAll(events);
      }
    }
  }

  async #push(
    collection: string,
    mutations: readonly ChatMutation[],
    events: AppStateEventOf[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const key = await this.keys.latest();
    if (key === undefined) {
      throw new AppStateError(
        "missing_key",
        "no app state sync key yet: the primary device shares one after pairing (wait for appStateSyncComplete)",
        { collection },
      );
    }
    const store = this.#ctx.store;
    for (let attempt = 1;; attempt++) {
      const state = await store.getAppStateVersion(collection);
      const encoded = await encodePatch({
        collection,
        state,
        keyId: key.keyId,
        keyData: key.keyData,
        mutations,
        getValueMac: (indexMac) => store.getMutationMac(collection, indexMac),
      });
      try {
        await this.#ctx.execute(pushPatchSpec(collection, state.version, encoded.bytes), { signal });
      } catch (e) {
        if (
          !(e instanceof IqError) || e.code !== "server" || e.status !== 409 || attempt >= MAX_PUSH_ATTEMPTS
        ) {
          throw e;
        }
        this.#ctx.log.info(`${collection} v${state.version} is stale (409); fetching before sending again`);
        await this.#syncLocked([collection], events, signal);
        continue;
      }
      await this.#store(collection, encoded);
      this.#queueEvents(events, collection, encoded.mutations, false);
      return;
    }
  }

  async #syncLocked(
    names: readonly string[],
    events: AppStateEventOf[],
    signal: AbortSignal | undefined,
  ): Promise<CollectionSyncResult[]> {
    const store = this.#ctx.store;
    const results: CollectionSyncResult[] = [];
    let pending: Pending[] = [];
    for (const name of names) {
      const state = await store.getAppStateVersion(name);
      const snapshot = state.version === 0 && !this.#synced.has(name);
      pending.push({ name, state, snapshot, fromFullSync: false, retried: false });
    }
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_SYNC_ROUNDS) {
        for (const p of pending) {
          results.push(
            this.#failed(p, events, new AppStateError("malformed", `no end after ${round} fetches`)),
          );
        }
        break;
      }
      const replies = await this.#ctx.execute(
        fetchCollectionsSpec(
          pending.map((p) => ({ name: p.name, version: p.state.version, snapshot: p.snapshot })),
        ),
        { signal },
      );
      const next: Pending[] = [];
      for (const p of pending) {
        const reply = replies.find((r) => r.name === p.name);
        if (reply === undefined || reply.error !== undefined) {
          const error = new IqError("server", {
            operation: "app state sync",
            about: p.name,
            status: reply?.error?.code ?? 0,
            text: reply?.error?.text ?? "the answer does not name this collection",
          });
          results.push(this.#failed(p, events, error));
          continue;
        }
        try {
          const more = await this.#applyReply(p, reply, events, signal);
          if (more) {
            p.snapshot = false;
            next.push(p);
          } else {
            this.#synced.add(p.name);
            results.push({ collection: p.name, version: p.state.version, fromFullSync: p.fromFullSync });
            events.push({
              name: "appStateSyncComplete",
              data: { collection: p.name, version: p.state.version, fromFullSync: p.fromFullSync },
            });
          }
        } catch (e) {
          if (!(e instanceof AppStateError)) {
            if (e instanceof ConnectionError || (e instanceof IqError && e.code !== "server")) throw e;
            results.push(this.#failed(p, events, e));
            continue;
          }
          if (e.code === "missing_key") {
            if (e.keyId) this.#ctx.spawn("asking for an app state key", () => this.keys.request([e.keyId!]));
            results.push(this.#failed(p, events, e));
            continue;
          }
          if (!p.retried) {
            this.#ctx.log.warn(`${p.name}: ${e.message}; fetching a snapshot instead`);
            p.retried = true;
            p.snapshot = true;
            p.state = await store.getAppStateVersion(p.name);
            next.push(p);
            continue;
          }
          results.push(this.#failed(p, events, e));
        }
      }
      pending = next;
    }
    return results;
  }

  /** Applies one collection's answer; resolves with whether more patches follow. */
  async #applyReply(
    p: Pending,
    reply: CollectionReply,
    events: AppStateEventOf[],
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const store = this.#ctx.store;
    const getKey = (id: Uint8Array) => store.getSyncKey(id);
    if (reply.snapshot !== undefined) {
      const bytes = await this.#fetchBlob(reply.snapshot, p.name, signal);
      const applied = await decodeSnapshot(bytes, { collection: p.name, getKey });
      await store.deleteAppStateVersion(p.name);
      await this.#store(p.name, applied);
      p.state = applied.state;
      p.fromFullSync = true;
      this.#queueEvents(events, p.name, applied.mutations, true);
    }
    for (const raw of reply.patches) {
      const patch = decode(SyncdPatch.decode, raw, "SyncdPatch", p.name);
      const v = patch.version?.version;
      // Already applied (a snapshot newer than the patches listed with it): patches apply once.
      if (v !== undefined && v <= BigInt(p.state.version)) continue;
      const external = patch.externalMutations === undefined
        ? undefined
        : await this.#fetchBlob(patch.externalMutations, p.name, signal);
      const applied = await decodePatch(patch, {
        collection: p.name,
        state: p.state,
        getKey,
        getValueMac: (indexMac) => store.getMutationMac(p.name, indexMac),
        externalMutations: external,
      });
      await this.#store(p.name, applied);
      p.state = applied.state;
      this.#queueEvents(events, p.name, applied.mutations, p.fromFullSync);
    }
    return reply.hasMorePatches;
  }

  async #fetchBlob(
    ref: Uint8Array | ExternalBlobReference,
    collection: string,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const blob = ref instanceof Uint8Array
      ? decode(ExternalBlobReference.decode, ref, "ExternalBlobReference", collection)
      : ref;
    if (!blob.directPath || !blob.mediaKey) {
      throw new AppStateError("malformed", "an external blob reference lacks its direct path or media key", {
        collection,
      });
    }
    return await this.#download(externalBlobRef(blob), { maxBytes: this.#maxBlobBytes, signal });
  }

  /** Stores what a patch or snapshot left live; one MAC row per index. */
  async #store(name: string, applied: AppliedPatch): Promise<void> {
    const store = this.#ctx.store;
    const touched = [...applied.removedIndexMacs, ...applied.addedMacs.map((m) => m.indexMac)];
    if (touched.length > 0) await store.deleteMutationMacs(name, touched);
    if (applied.addedMacs.length > 0) {
      await store.putMutationMacs(name, applied.state.version, applied.addedMacs);
    }
    await store.setAppStateVersion(name, applied.state);
  }

  #queueEvents(
    events: AppStateEventOf[],
    collection: string,
    mutations: readonly DecodedMutation[],
    fromFullSync: boolean,
  ): void {
    for (const m of mutations) events.push(...actionEvents(readChatAction(m), collection, fromFullSync));
  }

  #failed(p: Pending, events: AppStateEventOf[], error: unknown): CollectionSyncResult {
    this.#ctx.log.warn(`could not sync app state ${p.name}`, { error });
    events.push({ name: "appStateSyncError", data: { collection: p.name, error } });
    return { collection: p.name, version: p.state.version, fromFullSync: p.fromFullSync, error };
  }

  async #emitAll(events: readonly AppStateEventOf[]): Promise<void> {
    for (const e of events) {
      if (e.name === "pushNameSettingUpdate") await this.#adoptPushName(e.data.name);
      await this.#ctx.emit(e.name, e.data as never);
    }
  }

  // Another of our devices set our push name: this device announces the same one.
  async #adoptPushName(name: string): Promise<void> {
    if (name && name !== this.#ctx.device.pushName) {
      await this.#ctx.updateDevice((d) => void (d.pushName = name));
    }
  }

  async #onServerSync(node: Node): Promise<void> {
    const known = new Set<string>(APP_STATE_COLLECTIONS);
    const named = parseServerSync(node).filter((c) => known.has(c.name)).map((c) => c.name);
    if (named.length === 0 || (await this.keys.latest()) === undefined) return;
    await this.#syncQuietly(named, "server_sync");
  }

  async #onLogin(): Promise<void> {
    if ((await this.keys.latest()) === undefined) return;
    await this.#syncQuietly(APP_STATE_COLLECTIONS, "login");
  }

  #resyncInBackground(why: string): void {
    this.#ctx.spawn(`app state sync after ${why}`, () => this.#syncQuietly(APP_STATE_COLLECTIONS, why));
  }

  // A sync the client starts itself: a lost connection is not an error (the next login syncs again).
  async #syncQuietly(names: readonly string[], why: string): Promise<void> {
    try {
      await this.sync({ collections: names });
    } catch (e) {
      if (e instanceof ConnectionError || (e instanceof IqError && e.code === "disconnected")) {
        this.#ctx.log.info(`app state sync after ${why} stopped: ${(e as Error).message}`);
        return;
      }
      throw e;
    }
  }
}

function decode<T>(fn: (bytes: Uint8Array) => T, bytes: Uint8Array, what: string, collection: string): T {
  try {
    return fn(bytes);
  } catch (cause) {
    if (!(cause instanceof ProtoDecodeError)) throw cause;
    throw new AppStateError("malformed", `bytes are not a ${what}: ${cause.message}`, { collection, cause });
  }
}
