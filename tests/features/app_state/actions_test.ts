// Typed chat actions. Expected indexes, collections and versions are those of tulir/whatsmeow appstate/encode.go
// (Build*, commit 04d4656433cd9269a8a075eee7df74fed68b6039) and Baileys lib/Utils/chat-utils.js
// chatModificationToAppPatch (baileys@7.0.0-rc14), as gathered in /work/shared/reference/protocol-facts-features.md §2.5;
// tests/features/app_state/baileys_crosscheck_test.ts compares them with Baileys' own function.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  AppStateError,
  buildChatAction,
  type ChatAction,
  decodePatch,
  emptyHashState,
  encodePatch,
  type KnownChatAction,
  readChatAction,
} from "../../../src/features/app_state/mod.ts";

const NOW = 1_750_000_000_000;
const CHAT = "15551234567@s.whatsapp.net";
const GROUP = "120363000000000000@g.us";

Deno.test("each action builds the index, collection, version and operation of the reference clients", () => {
  const table: [KnownChatAction, string[], string, number, "set" | "remove", string][] = [
    [
      { kind: "archive", chat: CHAT, archived: true },
      ["archive", CHAT],
      "regular_low",
      3,
      "set",
      "archiveChatAction",
    ],
    [{ kind: "pin", chat: CHAT, pinned: true }, ["pin_v1", CHAT], "regular_low", 5, "set", "pinAction"],
    [{ kind: "mute", chat: CHAT, muted: true }, ["mute", CHAT], "regular_high", 2, "set", "muteAction"],
    [
      { kind: "star", chat: CHAT, messageId: "M1", fromMe: true, starred: true },
      ["star", CHAT, "M1", "1", "0"],
      "regular_high",
      2,
      "set",
      "starAction",
    ],
    [
      { kind: "mark_read", chat: CHAT, read: false },
      ["markChatAsRead", CHAT],
      "regular_low",
      3,
      "set",
      "markChatAsReadAction",
    ],
    [
      { kind: "delete_chat", chat: CHAT, deleteMedia: true },
      ["deleteChat", CHAT, "1"],
      "regular_high",
      6,
      "set",
      "deleteChatAction",
    ],
    [
      { kind: "clear_chat", chat: CHAT, deleteStarred: true, deleteMedia: false },
      ["clearChat", CHAT, "1", "0"],
      "regular_high",
      6,
      "set",
      "clearChatAction",
    ],
    [
      {
        kind: "delete_message_for_me",
        chat: GROUP,
        messageId: "M2",
        fromMe: false,
        participant: CHAT,
        deleteMedia: true,
      },
      ["deleteMessageForMe", GROUP, "M2", "0", CHAT],
      "regular_high",
      3,
      "set",
      "deleteMessageForMeAction",
    ],
    [
      { kind: "contact", jid: CHAT, fullName: "Ada L", firstName: "Ada" },
      ["contact", CHAT],
      "critical_unblock_low",
      2,
      "set",
      "contactAction",
    ],
    [
      { kind: "remove_contact", jid: CHAT },
      ["contact", CHAT],
      "critical_unblock_low",
      2,
      "remove",
      "contactAction",
    ],
    [{ kind: "push_name", name: "Ada" }, ["setting_pushName"], "critical_block", 1, "set", "pushNameSetting"],
    [
      { kind: "label_edit", labelId: "3", name: "Work", color: 2 },
      ["label_edit", "3"],
      "regular",
      3,
      "set",
      "labelEditAction",
    ],
    [
      { kind: "label_chat", labelId: "3", chat: CHAT, labeled: true },
      ["label_jid", "3", CHAT],
      "regular",
      3,
      "set",
      "labelAssociationAction",
    ],
    [
      { kind: "label_message", labelId: "3", chat: CHAT, messageId: "M3", labeled: false },
      ["label_message", "3", CHAT, "M3", "0", "0"],
      "regular",
      3,
      "set",
      "labelAssociationAction",
    ],
  ];
  for (const [action, index, collection, version, operation, field] of table) {
    const m = buildChatAction(action, { nowMs: NOW });
    assert.deepEqual(m.index, index, action.kind);
    assert.equal(m.collection, collection, action.kind);
    assert.equal(m.version, version, action.kind);
    assert.equal(m.operation, operation, action.kind);
    assert.equal(m.value.timestamp, BigInt(NOW), `${action.kind}: timestamp in ms`);
    assert.ok((m.value as Record<string, unknown>)[field] !== undefined, `${action.kind} sets ${field}`);
  }
});

Deno.test("mute values: -1 means until unmuted, an end must lie in the future, unmute carries no end", () => {
  assert.equal(
    buildChatAction({ kind: "mute", chat: CHAT, muted: true }, { nowMs: NOW }).value.muteAction
      ?.muteEndTimestamp,
    -1n,
  );
  const until = buildChatAction({
    kind: "mute",
    chat: CHAT,
    muted: true,
    muteEndTimestampMs: NOW + 8 * 3600_000,
  }, { nowMs: NOW });
  assert.equal(until.value.muteAction?.muteEndTimestamp, BigInt(NOW + 8 * 3600_000));
  const un = buildChatAction({ kind: "mute", chat: CHAT, muted: false }, { nowMs: NOW });
  assert.deepEqual(un.value.muteAction, { muted: false });
  for (const end of [0, NOW, NOW - 1, 1.5]) {
    assert.throws(
      () =>
        buildChatAction({ kind: "mute", chat: CHAT, muted: true, muteEndTimestampMs: end }, { nowMs: NOW }),
      (e) => e instanceof AppStateError && e.code === "invalid_action",
    );
  }
});

Deno.test("a group message not from us needs its participant", () => {
  for (const kind of ["star", "delete_message_for_me"] as const) {
    const base = kind === "star"
      ? { kind, chat: GROUP, messageId: "X", fromMe: false, starred: true }
      : { kind, chat: GROUP, messageId: "X", fromMe: false, deleteMedia: false };
    assert.throws(
      () => buildChatAction(base as KnownChatAction),
      (e) => e instanceof AppStateError && e.code === "invalid_action",
    );
    assert.doesNotThrow(() => buildChatAction({ ...base, fromMe: true } as KnownChatAction));
  }
  assert.throws(
    () => buildChatAction({ kind: "pin", chat: CHAT, pinned: true, timestampMs: 0.5 }),
    (e) => e instanceof AppStateError && e.code === "invalid_action",
  );
});

Deno.test("incoming mutations read as typed actions", () => {
  const read = (index: string[], value: object, operation: "set" | "remove" = "set") =>
    readChatAction({ operation, index, value: { timestamp: 9n, ...value }, version: 2 });
  assert.deepEqual(read(["star", GROUP, "ID", "0", CHAT], { starAction: { starred: true } }), {
    kind: "star",
    chat: GROUP,
    messageId: "ID",
    fromMe: false,
    participant: CHAT,
    starred: true,
    timestampMs: 9,
  });
  assert.deepEqual(read(["star", CHAT, "ID", "1", "0"], { starAction: {} }), {
    kind: "star",
    chat: CHAT,
    messageId: "ID",
    fromMe: true,
    starred: false,
    timestampMs: 9,
  });
  assert.deepEqual(read(["mute", CHAT], { muteAction: { muted: true } }), {
    kind: "mute",
    chat: CHAT,
    muted: true,
    muteEndTimestampMs: -1,
    timestampMs: 9,
  });
  assert.deepEqual(read(["contact", CHAT], { contactAction: {} }, "remove"), {
    kind: "remove_contact",
    jid: CHAT,
    timestampMs: 9,
  });
  // whatsmeow writes a 2-element deleteChat index when media is kept; both read.
  assert.equal(
    (read(["deleteChat", CHAT], { deleteChatAction: {} }) as { deleteMedia: boolean }).deleteMedia,
    false,
  );
  const range = read(["archive", CHAT], {
    archiveChatAction: {
      archived: true,
      messageRange: {
        lastMessageTimestamp: 1700n,
        messages: [{ key: { id: "K", fromMe: true }, timestamp: 1699n }],
      },
    },
  });
  assert.deepEqual(range, {
    kind: "archive",
    chat: CHAT,
    archived: true,
    messageRange: {
      lastMessageTimestamp: 1700,
      messages: [{ key: { id: "K", fromMe: true }, timestamp: 1699 }],
    },
    timestampMs: 9,
  });
});

Deno.test("unrecognized mutations come back as unknown, with their raw index and value", () => {
  const cases: [string[], object, "set" | "remove"][] = [
    [["setting_disableLinkPreviews"], { timestamp: 1n }, "set"], // an index this module does not type
    [["pin_v1", CHAT], { pinAction: { pinned: true } }, "remove"], // REMOVE of a chat setting
    [["pin_v1", CHAT], { muteAction: { muted: true } }, "set"], // the value lacks the expected field
    [["star", CHAT, "ID"], { starAction: { starred: true } }, "set"], // wrong arity
    [["mute", CHAT, "extra"], { muteAction: { muted: true } }, "set"],
  ];
  for (const [index, value, operation] of cases) {
    const a = readChatAction({ operation, index, value, version: 4 });
    assert.equal(a.kind, "unknown", JSON.stringify(index));
    assert.deepEqual(a, {
      kind: "unknown",
      operation,
      index,
      value,
      version: 4,
      ...("timestamp" in value ? { timestampMs: 1 } : {}),
    });
  }
  const noValue = readChatAction({
    operation: "set",
    index: ["archive", CHAT],
    value: undefined,
    version: undefined,
  });
  assert.equal(noValue.kind, "unknown");
});

const jid = fc.oneof(
  fc.stringMatching(/^[1-9][0-9]{6,14}@s\.whatsapp\.net$/),
  fc.stringMatching(/^[0-9]{10,18}@g\.us$/),
  fc.stringMatching(/^[0-9]{10,15}@lid$/),
);
const id = fc.stringMatching(/^[0-9A-F]{8,20}$/);
const secs = fc.integer({ min: 1, max: 2_000_000_000 });
const range = fc.option(
  fc.record({
    lastMessageTimestamp: secs,
    messages: fc.array(
      fc.record({ key: fc.record({ remoteJid: jid, fromMe: fc.boolean(), id }), timestamp: secs }),
      {
        minLength: 1,
        maxLength: 2,
      },
    ),
  }),
  { nil: undefined },
);
const msgRef = fc.record({ chat: jid, messageId: id, fromMe: fc.boolean(), participant: jid }).map((r) =>
  r.fromMe || !r.chat.endsWith("@g.us") && r.participant.length % 2 === 0
    ? { chat: r.chat, messageId: r.messageId, fromMe: r.fromMe }
    : r
);
const action: fc.Arbitrary<KnownChatAction> = fc.oneof(
  fc.record({
    kind: fc.constant("archive" as const),
    chat: jid,
    archived: fc.boolean(),
    messageRange: range,
  }),
  fc.record({ kind: fc.constant("pin" as const), chat: jid, pinned: fc.boolean() }),
  fc.record({ kind: fc.constant("mute" as const), chat: jid, muted: fc.constant(false) }),
  fc.record({
    kind: fc.constant("mute" as const),
    chat: jid,
    muted: fc.constant(true),
    muteEndTimestampMs: fc.oneof(fc.constant(-1), fc.integer({ min: NOW + 1, max: NOW * 2 })),
  }),
  msgRef.chain((r) =>
    fc.record({ kind: fc.constant("star" as const), starred: fc.boolean() }).map((x) => ({ ...r, ...x }))
  ),
  fc.record({ kind: fc.constant("mark_read" as const), chat: jid, read: fc.boolean(), messageRange: range }),
  fc.record({
    kind: fc.constant("delete_chat" as const),
    chat: jid,
    deleteMedia: fc.boolean(),
    messageRange: range,
  }),
  fc.record({
    kind: fc.constant("clear_chat" as const),
    chat: jid,
    deleteStarred: fc.boolean(),
    deleteMedia: fc.boolean(),
    messageRange: range,
  }),
  msgRef.chain((r) =>
    fc.record({
      kind: fc.constant("delete_message_for_me" as const),
      deleteMedia: fc.boolean(),
      messageTimestamp: secs,
    })
      .map((x) => ({ ...r, ...x }))
  ),
  fc.record({
    kind: fc.constant("contact" as const),
    jid,
    fullName: fc.string({ maxLength: 20 }),
    firstName: fc.string({ maxLength: 10 }),
    lidJid: fc.option(jid, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("remove_contact" as const), jid }),
  fc.record({ kind: fc.constant("push_name" as const), name: fc.string({ maxLength: 25 }) }),
  fc.record({
    kind: fc.constant("label_edit" as const),
    labelId: fc.stringMatching(/^[0-9]{1,3}$/),
    name: fc.string({ maxLength: 12 }),
    color: fc.integer({ min: 0, max: 19 }),
    deleted: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("label_chat" as const),
    labelId: fc.stringMatching(/^[0-9]{1,3}$/),
    chat: jid,
    labeled: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("label_message" as const),
    labelId: fc.stringMatching(/^[0-9]{1,3}$/),
    chat: jid,
    messageId: id,
    labeled: fc.boolean(),
  }),
).map((a) => ({ ...a, timestampMs: NOW }) as KnownChatAction);

function stripUndefined(a: ChatAction): unknown {
  return JSON.parse(JSON.stringify(a));
}

Deno.test("random action sets survive build → encodePatch → decodePatch → read, per collection", async () => {
  const key = { keyId: new Uint8Array([1, 2, 3, 4, 5, 6]), keyData: new Uint8Array(32).fill(0x5a) };
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), async (actions) => {
      const byCollection = Map.groupBy(
        actions.map((a) => [a, buildChatAction(a, { nowMs: NOW })] as const),
        ([, m]) => m.collection,
      );
      for (const [collection, group] of byCollection) {
        const out = await encodePatch({
          collection,
          state: emptyHashState(),
          ...key,
          mutations: group.map(([, m]) => m),
          getValueMac: () => undefined,
        });
        const applied = await decodePatch(out.bytes, {
          collection,
          state: emptyHashState(),
          getKey: () => key,
          getValueMac: () => undefined,
        });
        assert.deepEqual(
          applied.mutations.map((m) => stripUndefined(readChatAction(m))),
          group.map(([a]) => stripUndefined(a)),
        );
      }
    }),
    { numRuns: 40 },
  );
});
