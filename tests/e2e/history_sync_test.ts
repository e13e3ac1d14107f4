// History sync end to end through FakeWhatsApp: a bot links to a virtual phone that holds a history
// (50 chats, groups, push names, LID mappings, status posts, past members) and receives it as the phone
// sends it after login, in chunks of every kind, the first inline and the rest as encrypted blobs on the
// HTTPS media server; a corrupted chunk becomes an error event while the others arrive; skip mode
// downloads nothing but still sends the receipts; on-demand history for one chat is answered by the phone.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import type { Client } from "../../src/client/client.ts";
import { clientInternals } from "../../src/client/client.ts";
import type { Jid, Node } from "../../src/binary/mod.ts";
import type {
  HistorySyncErrorEvent,
  HistorySyncKind,
  HistorySyncProgressEvent,
} from "../../src/features/history_sync/events.ts";
import type { JoinedGroupEvent } from "../../src/features/groups/events.ts";
import { HistorySyncError } from "../../src/features/history_sync/errors.ts";
import { MediaError } from "../../src/features/media/errors.ts";
import { SendError } from "../../src/features/errors.ts";
import { type Message, ProtocolMessageType } from "../../src/proto/mod.ts";
import type { FakeWhatsApp, PhoneHistorySpec } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

const DAY = 86_400_000;

/** A phone's history: 45 direct chats and 5 groups, 8 messages each, half of them 200 days old. */
function fiftyChats(now: number): PhoneHistorySpec {
  const spec: PhoneHistorySpec = {
    conversations: [],
    pushNames: [],
    lidMappings: [],
    statusMessages: [],
    pastParticipants: [],
  };
  const contact = (i: number) => `1555${String(2_000_000 + i).padStart(7, "0")}`;
  for (let c = 0; c < 50; c++) {
    const isGroup = c % 10 === 9;
    const id = isGroup ? `12036300000000${String(c).padStart(4, "0")}@g.us` : `${contact(c)}@s.whatsapp.net`;
    const members = isGroup ? [0, 1, 2].map((k) => `${contact(c - k - 1)}@s.whatsapp.net`) : [];
    const messages = Array.from({ length: 8 }, (_, j) => ({
      id: `MSG${c}X${j}`,
      text: `chat ${c} message ${j}`,
      fromMe: j % 3 === 0,
      sender: isGroup ? members[j % 3] : undefined,
      // Messages 0-3 are 200 days old (FULL), 4-7 are from the last days (bootstrap and RECENT).
      timestamp: new Date(now - (j < 4 ? 200 * DAY : (8 - j) * DAY) + j * 1000),
    }));
    spec.conversations!.push({
      id,
      name: isGroup ? `Group ${c}` : undefined,
      messages,
      ...(isGroup
        ? {
          participants: members.map((jid, k) => ({
            jid,
            rank: k === 0 ? "SUPERADMIN" as const : "REGULAR" as const,
          })),
          description: `about group ${c}`,
          createdBy: members[0],
        }
        : {}),
    });
    if (!isGroup) {
      spec.pushNames!.push({ id, name: `Contact ${c}` });
      spec.lidMappings!.push({ pn: id, lid: `${90_000_000_000_000 + c}@lid` });
    }
  }
  spec.statusMessages!.push({
    sender: `${contact(1)}@s.whatsapp.net`,
    text: "status",
    timestamp: now / 1000,
  });
  spec.pastParticipants!.push({
    groupJid: "120363000000000009@g.us",
    pastParticipants: [{ userJid: `${contact(44)}@s.whatsapp.net`, leaveReason: 0, leaveTs: 1_700_000_000n }],
  });
  return spec;
}

/** Everything a bot's history events said, decoded when they came. */
class Recorder {
  readonly progress: HistorySyncProgressEvent[] = [];
  readonly errors: HistorySyncErrorEvent[] = [];
  readonly joined: JoinedGroupEvent[] = [];
  /** Messages by chat: id -> text, from every chunk. */
  readonly chats = new Map<string, Map<string, string>>();
  readonly chatNames = new Map<string, string>();
  readonly typesWithChats = new Set<HistorySyncKind>();
  readonly pushNames = new Map<string, string>();
  readonly lidMappings = new Map<string, string>();
  statusMessages = 0;
  pastParticipants = 0;
  userMessages = 0;
  readonly #done = new Set<string>();
  #want = Infinity;
  #resolve: (() => void) | undefined;

  constructor(bot: Client) {
    bot.on("historySync", ({ chunk, conversation }) => {
      this.typesWithChats.add(chunk.syncType);
      const meta = conversation.decodeMetadata();
      if (meta.name) this.chatNames.set(conversation.id, meta.name);
      const messages = this.chats.get(conversation.id) ?? new Map<string, string>();
      this.chats.set(conversation.id, messages);
      for (const { message } of conversation.messages()) {
        messages.set(message!.key!.id!, message!.message?.conversation ?? "");
      }
    });
    bot.on("historySyncData", (data) => {
      for (const p of data.pushNames) this.pushNames.set(p.jid.toString(), p.name);
      for (const m of data.lidMappings) this.lidMappings.set(m.pn.toString(), m.lid.toString());
      this.statusMessages += data.statusMessages.length;
      this.pastParticipants += data.pastParticipants.length;
    });
    bot.on("joinedGroup", (event) => void this.joined.push(event));
    bot.on("historySyncProgress", (event) => {
      this.progress.push(event);
      if (event.stage !== "started") this.#finish(event.chunk.messageId);
    });
    bot.on("historySyncError", (event) => {
      this.errors.push(event);
      this.#finish(event.chunk.messageId);
    });
    bot.on("message", () => void this.userMessages++);
  }

  #finish(id: string): void {
    this.#done.add(id);
    if (this.#done.size >= this.#want) this.#resolve?.();
  }

  /** Resolves once `n` chunks ended (finished, skipped or failed). */
  async chunksEnded(n: number, signal = deadline(30_000)): Promise<void> {
    this.#want = n;
    if (this.#done.size >= n) return;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#resolve = resolve;
    const onAbort = () => reject(new Error(`only ${this.#done.size} of ${n} history chunks ended`));
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await promise;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  ended(stage: HistorySyncProgressEvent["stage"]): HistorySyncProgressEvent[] {
    return this.progress.filter((p) => p.stage === stage);
  }
}

/** The receipts the bot sends, by type. */
class Receipts {
  readonly #seen = new Map<string, Node[]>();
  #changed: (() => void) | undefined;

  constructor(wa: FakeWhatsApp) {
    wa.onStanza((node) => {
      if (node.tag !== "receipt") return;
      const type = node.attrs.type ?? "";
      this.#seen.set(type, [...(this.#seen.get(type) ?? []), node]);
      this.#changed?.();
    });
  }

  /** The receipts of `type` for `ids`, once the server saw one for each (sorted by id). */
  async for(type: string, ids: string[], signal = deadline()): Promise<Node[]> {
    for (;;) {
      const found = (this.#seen.get(type) ?? []).filter((r) => ids.includes(r.attrs.id!));
      if (new Set(found.map((r) => r.attrs.id)).size >= ids.length) {
        return found.sort((a, b) => a.attrs.id!.localeCompare(b.attrs.id!));
      }
      signal.throwIfAborted();
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#changed = resolve;
      const onAbort = () => resolve();
      signal.addEventListener("abort", onAbort, { once: true });
      await promise;
      signal.removeEventListener("abort", onAbort);
    }
  }
}

async function linked(
  wa: FakeWhatsApp,
  number: string,
  options: Parameters<typeof newClient>[1] = {},
): Promise<{ bot: Client; recorder: Recorder; jid: Jid }> {
  const bot = await newClient(wa, options);
  const recorder = new Recorder(bot);
  await pairByQr(bot, wa.phone(number));
  return { bot, recorder, jid: bot.jid! };
}

Deno.test("history sync: a bot links and receives 50 chats with their messages, names and LID mappings", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550161001");
  const now = Date.now();
  const spec = fiftyChats(now);
  // Bootstrap: the two newest messages of each chat; RECENT: the two before (last 30 days); FULL: the rest.
  phone.setHistory(spec, { bootstrapMessages: 2 });
  const receipts = new Receipts(wa);
  const { bot, recorder, jid } = await linked(wa, "15550161001", {
    history: { fullSync: true },
    deviceProps: { historySyncConfig: { recentSyncDaysLimit: 30 } },
  });
  try {
    const report = await phone.historySent(jid);
    await recorder.chunksEnded(report.chunks.length);

    // Every kind the phone sends, several bootstrap chunks, the first inline and the rest downloaded.
    const kinds = new Set(report.chunks.map((c) => c.syncType));
    for (
      const kind of [
        "INITIAL_BOOTSTRAP",
        "INITIAL_STATUS_V3",
        "PUSH_NAME",
        "RECENT",
        "FULL",
        "NON_BLOCKING_DATA",
      ]
    ) assert(kinds.has(kind as HistorySyncKind), `the phone sent no ${kind} chunk`);
    const bootstrap = recorder.ended("finished").filter((p) => p.chunk.syncType === "INITIAL_BOOTSTRAP");
    assertEquals(bootstrap.length, 3);
    assertEquals(bootstrap.map((p) => p.chunk.inline), [true, false, false]);
    assertEquals(recorder.errors.length, 0);
    assertEquals(recorder.ended("finished").length, report.chunks.length);
    // Progress as the phone reported it, ending at 100 % for each kind.
    for (const kind of kinds) {
      const last = recorder.ended("finished").filter((p) => p.chunk.syncType === kind).at(-1)!;
      assertEquals(last.chunk.progress, 100, kind);
    }
    assert(recorder.ended("started").length === report.chunks.length);

    // The right messages in the right chats, from bootstrap, RECENT and FULL together.
    assertEquals(recorder.chats.size, 50);
    for (const chat of spec.conversations!) {
      const got = recorder.chats.get(chat.id);
      assertEquals(
        got && Object.fromEntries(got),
        Object.fromEntries(chat.messages!.map((m) => [m.id!, m.text!])),
        chat.id,
      );
    }
    assert(recorder.typesWithChats.has("FULL") && recorder.typesWithChats.has("RECENT"));

    // Groups: named, announced as joinedGroup from history with their members.
    assertEquals(recorder.joined.length, 5);
    for (const joined of recorder.joined) {
      assert(joined.fromHistory);
      const chat = spec.conversations!.find((c) => c.id === joined.group.jid.toString())!;
      assertEquals(joined.group.subject, chat.name);
      assertEquals(joined.group.description?.text, chat.description);
      assertEquals(
        joined.group.participants.map((p) => p.jid.toString()),
        chat.participants!.map((p) => p.jid),
      );
      assertEquals(joined.group.participants.map((p) => p.isSuperAdmin), [true, false, false]);
      assertEquals(recorder.chatNames.get(chat.id), chat.name);
    }

    // Push names and LID mappings, delivered and stored.
    assertEquals(
      Object.fromEntries(recorder.pushNames),
      Object.fromEntries(spec.pushNames!.map((p) => [p.id, p.name])),
    );
    assertEquals(
      Object.fromEntries(recorder.lidMappings),
      Object.fromEntries(spec.lidMappings!.map((m) => [m.pn, m.lid])),
    );
    for (const m of spec.lidMappings!) {
      const stored = await bot.store.getLidMapping(m.lid.split("@")[0]);
      assertEquals(stored?.phoneNumber, m.pn.split("@")[0]);
      assertEquals(stored?.learningSource, "history_sync");
    }
    assertEquals(recorder.statusMessages, 1);
    assertEquals(recorder.pastParticipants, 1);

    // Plumbing only: nothing reached the message event. Receipts as the real client sends them.
    assertEquals(recorder.userMessages, 0);
    const ids = report.chunks.map((c) => c.messageId).sort();
    for (const type of ["peer_msg", "hist_sync"]) {
      const sent = await receipts.for(type, ids);
      assertEquals(sent.map((r) => r.attrs.id), ids, type);
      for (const r of sent) assertEquals(r.attrs.to, phone.jid.toString());
    }
  } finally {
    await bot.disconnect();
  }
});

Deno.test("history sync: a corrupted chunk becomes an error event and the other chunks still arrive", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550161002");
  const spec = fiftyChats(Date.now());
  // Bootstrap chunk 2's blob is damaged on the CDN (its MAC fails); RECENT chunk 1's zlib stream is damaged
  // before encryption (it decrypts, then fails to inflate).
  phone.setHistory(spec, {
    bootstrapMessages: 2,
    faults: [
      { syncType: "INITIAL_BOOTSTRAP", chunkOrder: 2, how: "blob" },
      { syncType: "RECENT", chunkOrder: 1, how: "zlib" },
    ],
  });
  const { bot, recorder, jid } = await linked(wa, "15550161002", {
    deviceProps: { historySyncConfig: { recentSyncDaysLimit: 30 } },
  });
  try {
    const report = await phone.historySent(jid);
    await recorder.chunksEnded(report.chunks.length);
    const failed = recorder.errors.map((e) => `${e.chunk.syncType}/${e.chunk.chunkOrder}`).sort();
    assertEquals(failed, ["INITIAL_BOOTSTRAP/2", "RECENT/1"]);
    const blob = recorder.errors.find((e) => e.chunk.syncType === "INITIAL_BOOTSTRAP")!;
    assert(blob.error instanceof MediaError, `expected a MediaError, got ${blob.error}`);
    assertEquals(blob.error.code, "bad_mac");
    const zlib = recorder.errors.find((e) => e.chunk.syncType === "RECENT")!;
    assert(zlib.error instanceof HistorySyncError, `expected a HistorySyncError, got ${zlib.error}`);
    assert(["inflate_failed", "bad_protobuf", "truncated"].includes(zlib.error.code), zlib.error.code);
    // Everything else finished: the first and third bootstrap chunks, push names, the other RECENT chunks.
    assertEquals(recorder.ended("finished").length, report.chunks.length - 2);
    for (const chat of spec.conversations!.slice(0, 20)) assert(recorder.chats.has(chat.id), chat.id);
    for (const chat of spec.conversations!.slice(40)) assert(recorder.chats.has(chat.id), chat.id);
    assertEquals(recorder.pushNames.size, spec.pushNames!.length);
    // The notifications were still acknowledged, and the client is fine: it still receives messages.
    const friend = await wa.phone("15550161003").client();
    const got = bot.waitFor("message", { signal: deadline() });
    await friend.sendText(jid.toNonAd(), "still here?");
    assertEquals((await got).message.conversation, "still here?");
  } finally {
    await bot.disconnect();
  }
});

Deno.test("history sync: skip mode downloads nothing, still sends the receipts, and asks the phone for less", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550161004");
  phone.setHistory(fiftyChats(Date.now()), { bootstrapMessages: 2 });
  const receipts = new Receipts(wa);
  const events: string[] = [];
  const { bot, recorder, jid } = await linked(wa, "15550161004", { history: { skip: true } });
  bot.on("historySync", () => void events.push("historySync"));
  bot.on("joinedGroup", () => void events.push("joinedGroup"));
  try {
    const report = await phone.historySent(jid);
    await recorder.chunksEnded(report.chunks.length);
    // Blobs were uploaded for the phone's chunks, and none was downloaded.
    assert(report.chunks.some((c) => c.directPath !== undefined));
    assertEquals(wa.media.stats.downloads, 0);
    assertEquals(recorder.ended("skipped").length, report.chunks.length);
    assertEquals(recorder.ended("started").length, 0);
    assertEquals(events, []);
    assertEquals(recorder.joined.length, 0);
    const ids = report.chunks.map((c) => c.messageId).sort();
    const histSync = await receipts.for("hist_sync", ids);
    assertEquals(histSync.map((r) => r.attrs.id), ids);
    // What the bot asked for at pairing: no full sync, one-day limits (so the phone sent no old RECENT).
    const props = phone.linkedDevices()[0].deviceProps;
    assertEquals(props?.requireFullSync, false);
    assertEquals(props?.historySyncConfig?.recentSyncDaysLimit, 1);
    assertEquals(props?.historySyncConfig?.fullSyncDaysLimit, 1);
    assert(!report.chunks.some((c) => c.syncType === "FULL"));
  } finally {
    await bot.disconnect();
  }
});

Deno.test("history sync: on-demand history for one chat is asked of the phone and answered", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550161005");
  const chat = "15550169999@s.whatsapp.net";
  const start = Date.now() - 30 * DAY;
  const messages = Array.from({ length: 20 }, (_, j) => ({
    id: `OD${j}`,
    text: `old ${j}`,
    timestamp: new Date(start + j * 60_000),
  }));
  phone.setHistory({ conversations: [{ id: chat, messages }] }, { bootstrapMessages: 5 });
  const peerStanzas: Node[] = [];
  wa.onStanza((node, device) => {
    if (node.tag === "message" && node.attrs.category === "peer" && device?.device !== 0) {
      peerStanzas.push(node);
    }
  });
  // Only the bootstrap is wanted: the bot has the 5 newest messages and asks for older ones itself.
  // The date filter (from the 18th message on) applies to what the phone pushes, not to an answer asked for.
  const { bot, recorder, jid } = await linked(wa, "15550161005", {
    history: {
      syncTypes: ["INITIAL_BOOTSTRAP"],
      messagesSince: new Date(Math.floor(messages[17].timestamp.getTime() / 1000) * 1000),
    },
  });
  const onDemandEvents: string[] = [];
  bot.on("historySync", ({ chunk, conversation }) => {
    if (chunk.syncType === "ON_DEMAND") onDemandEvents.push(`${chunk.requestId} ${conversation.id}`);
  });
  try {
    const report = await phone.historySent(jid);
    await recorder.chunksEnded(report.chunks.length);
    const known = [...recorder.chats.get(chat)!.keys()];
    // The bootstrap held OD15-OD19; the filter kept the last three.
    assertEquals(known, ["OD17", "OD18", "OD19"]);
    assert(recorder.ended("skipped").some((p) => p.chunk.syncType === "RECENT"));

    const answer = await bot.history.fetchMessages(chat, {
      before: { id: "OD15", fromMe: false, timestamp: messages[15].timestamp },
      count: 4,
      signal: deadline(),
    });
    assertEquals(answer.chunk.syncType, "ON_DEMAND");
    assertEquals(answer.chunk.requestId, answer.requestId);
    assertEquals([...answer.conversation!.messages()].map((m) => m.message?.key?.id), [
      "OD11",
      "OD12",
      "OD13",
      "OD14",
    ]);
    assertEquals(answer.summary.messages, 4);
    assertEquals(onDemandEvents, [`${answer.requestId} ${chat}`]);

    // The request went to our phone as a peer message, the way the real client sends it.
    const request = peerStanzas.find((n) => n.attrs.id === answer.requestId)!;
    assertEquals(request.attrs.to, phone.jid.toString());
    assertEquals(request.attrs.push_priority, "high_force");
    assertEquals(request.attrs.type, "text");
    const children = Array.isArray(request.content) ? request.content.map((c) => c.tag) : [];
    assertEquals(children.filter((t) => t !== "device-identity"), ["enc", "meta"]);

    // Peer messages go to our own devices only, never to this one.
    const peer = clientInternals(bot).messaging;
    const ping: Message = {
      protocolMessage: { type: ProtocolMessageType.PEER_DATA_OPERATION_REQUEST_MESSAGE },
    };
    await assertRejects(
      () => peer.sendPeerMessage(ping, { device: wa.phone("15550169998").jid }),
      SendError,
      "own devices",
    );
    await assertRejects(() => peer.sendPeerMessage(ping, { device: jid }), SendError, "this device");

    // A chat the phone does not have: an answer without a conversation.
    const none = await bot.history.fetchMessages("15550160000@s.whatsapp.net", {
      before: { id: "X", fromMe: true, timestamp: new Date() },
      signal: deadline(),
    });
    assertEquals(none.conversation, undefined);
    assertEquals(none.summary.conversations, 0);

    // Refusals: a bad count, and a phone that does not answer in time.
    await assertRejects(
      () =>
        bot.history.fetchMessages(chat, {
          before: { id: "OD0", fromMe: false, timestamp: messages[0].timestamp },
          count: 0,
        }),
      Error,
      "count",
    );
    await phone.stop();
    await wa.waitForOffline(phone.jid);
    const timeout = await assertRejects(
      () =>
        bot.history.fetchMessages(chat, {
          before: { id: "OD11", fromMe: false, timestamp: messages[11].timestamp },
          timeoutMs: 300,
        }),
      HistorySyncError,
    );
    assertEquals(timeout.code, "timeout");
  } finally {
    await bot.disconnect();
  }
});

Deno.test("history sync: a bot that is offline when the phone sends history gets it at its next login", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550161006");
  const spec = fiftyChats(Date.now());
  const { bot, recorder, jid } = await linked(wa, "15550161006");
  try {
    await bot.disconnect();
    await wa.waitForOffline(jid, { signal: deadline() });
    phone.setHistory({
      conversations: spec.conversations!.slice(0, 3),
      pushNames: spec.pushNames!.slice(0, 3),
    });
    const report = await phone.sendHistory(jid);
    assertEquals(recorder.progress.length, 0);
    await bot.connect({ signal: deadline() });
    await recorder.chunksEnded(report.chunks.length);
    assertEquals([...recorder.chats.keys()].sort(), spec.conversations!.slice(0, 3).map((c) => c.id).sort());
    assertEquals(recorder.pushNames.size, 3);
  } finally {
    await bot.disconnect();
  }
});
