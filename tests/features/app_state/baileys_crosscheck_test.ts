// Cross-check with an independent implementation: Baileys' syncd code (baileys@7.0.0-rc14,
// lib/Utils/chat-utils.js encodeSyncdPatch / decodePatches / decodeSyncdSnapshot / chatModificationToAppPatch,
// with its WAProto protobuf codec). Patches and snapshots wadeno encodes must decode there with the same LT-hash
// and value MACs, and patches Baileys encodes must decode here to the same state.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as chatUtils from "npm:/baileys@7.0.0-rc14/lib/Utils/chat-utils.js";
import { proto } from "npm:/baileys@7.0.0-rc14/WAProto/index.js";
import {
  type AppliedPatch,
  buildChatAction,
  decodePatch,
  emptyHashState,
  encodePatch,
  encodeSnapshot,
  type HashState,
  type KnownChatAction,
  type MutationInput,
  readChatAction,
} from "../../../src/features/app_state/mod.ts";

// Baileys is plain JS typed around protobufjs classes and Buffers; its functions are used through these
// narrow shapes, with one cast at the boundary.
type BState = { version: number; hash: Uint8Array; indexValueMap: Record<string, { valueMac: Uint8Array }> };
type BMutation = { syncAction: { index?: Uint8Array; value?: Record<string, unknown> }; index: string[] };
type BKeyLookup = (keyId: string) => Promise<{ keyData: Uint8Array } | undefined>;
type BLogger = Record<"warn" | "trace" | "debug" | "info" | "error", (...a: unknown[]) => void> & {
  child(): BLogger;
};
type BPatchCreate = {
  type: string;
  index: string[];
  syncAction: object;
  apiVersion: number;
  operation: number;
};
const B = chatUtils as unknown as {
  encodeSyncdPatch(
    p: BPatchCreate,
    keyId: string,
    s: BState,
    k: BKeyLookup,
  ): Promise<{ patch: object; state: BState }>;
  decodePatches(
    name: string,
    patches: object[],
    s: BState,
    k: BKeyLookup,
    o: object,
    min: undefined,
    l: BLogger,
    validate: boolean,
  ): Promise<{ state: BState; mutationMap: Record<string, BMutation> }>;
  decodeSyncdSnapshot(
    name: string,
    s: object,
    k: BKeyLookup,
    min: undefined,
    validate: boolean,
    l: BLogger,
  ): Promise<{ state: BState; mutationMap: Record<string, BMutation> }>;
  chatModificationToAppPatch(mod: object, jid: string): BPatchCreate;
};
const P = proto as unknown as Record<
  string,
  { encode(m: object): { finish(): Uint8Array }; decode(b: Uint8Array): object }
>;

const KEY = {
  keyId: new Uint8Array([0, 0, 0, 0, 0x3c, 0x01]),
  keyData: Uint8Array.from({ length: 32 }, (_, i) => i ^ 0x5c),
};
const KEY_B64 = KEY.keyId.toBase64();
const bKeys: BKeyLookup = (id) =>
  Promise.resolve(id === KEY_B64 ? { keyData: Buffer.from(KEY.keyData) } : undefined);
const CHAT = "15551234567@s.whatsapp.net";

function logger(warnings: unknown[]): BLogger {
  const noop = () => {};
  const l: BLogger = {
    warn: (...a) => warnings.push(a),
    trace: noop,
    debug: noop,
    info: noop,
    error: noop,
    child: () => l,
  };
  return l;
}

class MacTable {
  readonly macs = new Map<string, Uint8Array>();
  get = (indexMac: Uint8Array) => this.macs.get(indexMac.toBase64());
  apply(p: Pick<AppliedPatch, "addedMacs" | "removedIndexMacs">): void {
    for (const m of p.removedIndexMacs) this.macs.delete(m.toBase64());
    for (const m of p.addedMacs) this.macs.set(m.indexMac.toBase64(), m.valueMac.slice());
  }
  /** As Baileys keeps it: base64 index MAC → value MAC. */
  asBaileys(): Record<string, string> {
    return Object.fromEntries([...this.macs].map(([k, v]) => [k, v.toHex()]));
  }
}

function baileysMacs(s: BState): Record<string, string> {
  return Object.fromEntries(
    Object.entries(s.indexValueMap).map(([k, v]) => [k, new Uint8Array(v.valueMac).toHex()]),
  );
}

function toBaileysState(s: HashState, t: MacTable): BState {
  const indexValueMap = Object.fromEntries([...t.macs].map(([k, v]) => [k, { valueMac: Buffer.from(v) }]));
  return { version: s.version, hash: Buffer.from(s.hash), indexValueMap };
}

const action = (a: KnownChatAction) => buildChatAction(a, { nowMs: 1_760_000_000_000 });

Deno.test("patches wadeno encodes decode in Baileys to the same LT-hash and value MACs", async () => {
  const batches: MutationInput[][] = [
    [
      action({ kind: "mute", chat: CHAT, muted: true }),
      action({ kind: "star", chat: CHAT, messageId: "AB12", fromMe: true, starred: true }),
    ],
    [action({ kind: "mute", chat: CHAT, muted: false })],
    [{
      ...action({ kind: "star", chat: CHAT, messageId: "AB12", fromMe: true, starred: true }),
      operation: "remove",
    }],
  ];
  const table = new MacTable();
  let state = emptyHashState();
  for (const mutations of batches) {
    const before = toBaileysState(state, table);
    const out = await encodePatch({
      collection: "regular_high",
      state,
      ...KEY,
      mutations,
      getValueMac: table.get,
    });
    table.apply(out);
    state = out.state;
    // As Baileys' extractSyncdPatches does for a patch without a version.
    const syncd = { ...P.SyncdPatch.decode(out.bytes), version: { version: before.version + 1 } };
    const warnings: unknown[] = [];
    const res = await B.decodePatches(
      "regular_high",
      [syncd],
      before,
      bKeys,
      {},
      undefined,
      logger(warnings),
      true,
    );
    assert.deepEqual(warnings, [], "Baileys verified the patch MAC and the LT-hash");
    assert.equal(new Uint8Array(res.state.hash).toHex(), state.hash.toHex());
    assert.equal(res.state.version, state.version);
    assert.deepEqual(baileysMacs(res.state), table.asBaileys());
    assert.deepEqual(
      Object.keys(res.mutationMap).sort(),
      mutations.map((m) => JSON.stringify(m.index)).sort(),
    );
  }
});

Deno.test("Baileys rejects a wadeno patch whose MAC was tampered with (the peer check is real)", async () => {
  const out = await encodePatch({
    collection: "regular_low",
    state: emptyHashState(),
    ...KEY,
    mutations: [action({ kind: "pin", chat: CHAT, pinned: true })],
    getValueMac: () => undefined,
  });
  const patchMac = out.patch.patchMac!.slice();
  patchMac[0] ^= 1;
  const syncd = { ...P.SyncdPatch.decode(out.bytes), patchMac, version: { version: 1 } };
  const warnings: unknown[] = [];
  const init = toBaileysState(emptyHashState(), new MacTable());
  const res = await B.decodePatches(
    "regular_low",
    [syncd],
    init,
    bKeys,
    {},
    undefined,
    logger(warnings),
    true,
  );
  assert.equal(warnings.length, 1);
  assert.deepEqual(res.mutationMap, {});
});

Deno.test("a snapshot wadeno encodes decodes in Baileys with the same LT-hash and records", async () => {
  const records = Array.from(
    { length: 20 },
    (_, i) => action({ kind: "pin", chat: `1555000${i}@s.whatsapp.net`, pinned: i % 2 === 0 }),
  );
  const snap = encodeSnapshot({ collection: "regular_low", version: 77, ...KEY, records });
  const warnings: unknown[] = [];
  const res = await B.decodeSyncdSnapshot(
    "regular_low",
    P.SyncdSnapshot.decode(snap.bytes),
    bKeys,
    undefined,
    true,
    logger(warnings),
  );
  assert.deepEqual(warnings, []);
  assert.equal(res.state.version, 77);
  assert.equal(new Uint8Array(res.state.hash).toHex(), snap.state.hash.toHex());
  assert.equal(Object.keys(res.mutationMap).length, 20);
  const table = new MacTable();
  table.apply(snap);
  assert.deepEqual(baileysMacs(res.state), table.asBaileys());
});

Deno.test("patches Baileys encodes decode in wadeno to the same state and typed actions", async () => {
  const mods: [object, string, KnownChatAction["kind"]][] = [
    [{ mute: 1_900_000_000_000 }, CHAT, "mute"],
    [{ pin: true }, CHAT, "pin"],
    [{ archive: true, lastMessages: [] }, CHAT, "archive"],
    [{ mute: null }, CHAT, "mute"],
    [{ markRead: false, lastMessages: [] }, CHAT, "mark_read"],
    [{ contact: { fullName: "Ada Lovelace", firstName: "Ada" } }, CHAT, "contact"],
    [{ contact: null }, CHAT, "remove_contact"],
    [{ pushNameSetting: "Ada" }, CHAT, "push_name"],
    [{ star: { messages: [{ id: "3EB0ABC", fromMe: false }], star: true } }, CHAT, "star"],
  ];
  const states = new Map<string, { ours: HashState; table: MacTable; theirs: BState }>();
  for (const [mod, jid, kind] of mods) {
    const create = B.chatModificationToAppPatch(mod, jid);
    const name = create.type;
    let s = states.get(name);
    if (s === undefined) {
      s = {
        ours: emptyHashState(),
        table: new MacTable(),
        theirs: { version: 0, hash: Buffer.alloc(128), indexValueMap: {} },
      };
      states.set(name, s);
    }
    const { patch, state } = await B.encodeSyncdPatch(create, KEY_B64, s.theirs, bKeys);
    const bytes = P.SyncdPatch.encode(patch).finish();
    const applied = await decodePatch(new Uint8Array(bytes), {
      collection: name,
      state: s.ours,
      getKey: (id) => (id.toHex() === KEY.keyId.toHex() ? KEY : undefined),
      getValueMac: s.table.get,
    });
    s.table.apply(applied);
    s.ours = applied.state;
    s.theirs = state;
    assert.equal(applied.state.version, state.version, `${kind}: version`);
    assert.equal(applied.state.hash.toHex(), new Uint8Array(state.hash).toHex(), `${kind}: LT-hash`);
    const theirMacs = baileysMacs(state);
    if (create.operation === 1) {
      // Baileys' encodeSyncdPatch subtracts a REMOVE's old value correctly but then writes the REMOVE's own
      // value MAC back into its indexValueMap; wadeno (like whatsmeow) deletes the row. Pin that difference.
      const removed = applied.removedIndexMacs[0].toBase64();
      assert.ok(removed in theirMacs && !s.table.macs.has(removed));
      delete theirMacs[removed];
    }
    assert.deepEqual(s.table.asBaileys(), theirMacs, `${kind}: value MACs`);
    assert.equal(readChatAction(applied.mutations[0]).kind, kind);
  }
});

Deno.test("actions build the same index, collection, version and operation as Baileys' chatModificationToAppPatch", () => {
  const key = { remoteJid: CHAT, id: "3EB0AA", fromMe: true };
  const pairs: [object, KnownChatAction][] = [
    [{ mute: 1_900_000_000_000 }, {
      kind: "mute",
      chat: CHAT,
      muted: true,
      muteEndTimestampMs: 1_900_000_000_000,
    }],
    [{ mute: null }, { kind: "mute", chat: CHAT, muted: false }],
    [{ archive: true, lastMessages: [] }, { kind: "archive", chat: CHAT, archived: true }],
    [{ markRead: true, lastMessages: [] }, { kind: "mark_read", chat: CHAT, read: true }],
    [{ pin: false }, { kind: "pin", chat: CHAT, pinned: false }],
    [
      { deleteForMe: { key, timestamp: 1_700_000_000, deleteMedia: true } },
      { kind: "delete_message_for_me", chat: CHAT, messageId: "3EB0AA", fromMe: true, deleteMedia: true },
    ],
    [{ clear: true, lastMessages: [] }, {
      kind: "clear_chat",
      chat: CHAT,
      deleteStarred: true,
      deleteMedia: false,
    }],
    [{ delete: true, lastMessages: [] }, { kind: "delete_chat", chat: CHAT, deleteMedia: true }],
    [{ contact: { fullName: "A" } }, { kind: "contact", jid: CHAT, fullName: "A" }],
    [{ contact: null }, { kind: "remove_contact", jid: CHAT }],
    [{ pushNameSetting: "A" }, { kind: "push_name", name: "A" }],
    [{ addLabel: { id: "5", name: "W", color: 1 } }, {
      kind: "label_edit",
      labelId: "5",
      name: "W",
      color: 1,
    }],
    [{ addChatLabel: { labelId: "5" } }, { kind: "label_chat", labelId: "5", chat: CHAT, labeled: true }],
    [{ removeChatLabel: { labelId: "5" } }, { kind: "label_chat", labelId: "5", chat: CHAT, labeled: false }],
    [
      { addMessageLabel: { labelId: "5", messageId: "M" } },
      { kind: "label_message", labelId: "5", chat: CHAT, messageId: "M", labeled: true },
    ],
  ];
  for (const [mod, ours] of pairs) {
    const theirs = B.chatModificationToAppPatch(mod, CHAT);
    const m = action(ours);
    const what = JSON.stringify(mod);
    assert.deepEqual(m.index, theirs.index, what);
    assert.equal(m.collection, theirs.type, what);
    assert.equal(m.version, theirs.apiVersion, what);
    assert.equal(m.operation === "remove" ? 1 : 0, theirs.operation, what);
  }
  // The one known divergence: Baileys files stars under regular_low; whatsmeow and whatsapp-rust (followed
  // here) under regular_high. The index and version agree.
  const star = B.chatModificationToAppPatch(
    { star: { messages: [{ id: "X", fromMe: false }], star: true } },
    CHAT,
  );
  const ours = action({ kind: "star", chat: CHAT, messageId: "X", fromMe: false, starred: true });
  assert.deepEqual(ours.index, star.index);
  assert.equal(ours.version, star.apiVersion);
  assert.equal(star.type, "regular_low");
  assert.equal(ours.collection, "regular_high");
});
