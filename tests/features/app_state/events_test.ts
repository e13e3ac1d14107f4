// The events an applied app state action produces. Names and fields follow the seed's event list
// (reference/seed-inventory-features.md section 19: PinUpdate, MuteUpdate, ArchiveUpdate, StarUpdate,
// MarkChatAsReadUpdate with from_full_sync) and tulir/whatsmeow appstate.go dispatchAppState (star and
// deleteMessageForMe carry chat, message id, from-me and sender; "0" means no sender).
import { assert, assertEquals } from "../../_assert.ts";
import { actionEvents } from "../../../src/features/app_state/events.ts";
import { type ChatAction, readChatAction } from "../../../src/features/app_state/mod.ts";

const CHAT = "15551234567@s.whatsapp.net";

Deno.test("a chat setting: appStateAction first, then its typed event with the chat as a Jid", () => {
  const events = actionEvents(
    { kind: "archive", chat: CHAT, archived: true, timestampMs: 1_700_000_000_000 },
    "regular_low",
    true,
  );
  assertEquals(events.map((e) => e.name), ["appStateAction", "archiveUpdate"]);
  const typed = events[1];
  assert(typed.name === "archiveUpdate");
  assertEquals(typed.data.jid.toString(), CHAT);
  assertEquals(typed.data.timestamp, new Date(1_700_000_000_000));
  assertEquals(typed.data.fromFullSync, true);
  assertEquals(events[0].name === "appStateAction" && events[0].data.collection, "regular_low");
});

Deno.test("each known kind maps to its event", () => {
  const cases: [ChatAction, string][] = [
    [{ kind: "pin", chat: CHAT, pinned: true }, "pinUpdate"],
    [{ kind: "mute", chat: CHAT, muted: false }, "muteUpdate"],
    [{ kind: "mark_read", chat: CHAT, read: true }, "markChatAsReadUpdate"],
    [{ kind: "delete_chat", chat: CHAT, deleteMedia: false }, "deleteChatUpdate"],
    [{ kind: "clear_chat", chat: CHAT, deleteStarred: false, deleteMedia: false }, "clearChatUpdate"],
    [{ kind: "star", chat: CHAT, messageId: "A", fromMe: true, starred: true }, "starUpdate"],
    [
      { kind: "delete_message_for_me", chat: CHAT, messageId: "A", fromMe: true, deleteMedia: false },
      "deleteMessageForMeUpdate",
    ],
    [{ kind: "contact", jid: CHAT, fullName: "Ada" }, "contactUpdate"],
    [{ kind: "remove_contact", jid: CHAT }, "contactUpdate"],
    [{ kind: "push_name", name: "Ada" }, "pushNameSettingUpdate"],
    [{ kind: "label_edit", labelId: "1", name: "VIP" }, "labelEditUpdate"],
    [{ kind: "label_chat", labelId: "1", chat: CHAT, labeled: true }, "labelAssociationUpdate"],
    [
      { kind: "label_message", labelId: "1", chat: CHAT, messageId: "A", labeled: true },
      "labelAssociationUpdate",
    ],
  ];
  for (const [action, name] of cases) {
    assertEquals(
      actionEvents(action, "regular", false).map((e) => e.name),
      ["appStateAction", name],
      action.kind,
    );
  }
});

Deno.test("a starred group message names its sender; an absent sender stays absent", () => {
  const group = "120363000000000001@g.us";
  const fromAlice = readChatAction({
    operation: "set",
    index: ["star", group, "3EB0AA", "0", "15550001@s.whatsapp.net"],
    value: { timestamp: 5n, starAction: { starred: true } },
    version: 2,
  });
  const [, star] = actionEvents(fromAlice, "regular_high", false);
  assert(star.name === "starUpdate");
  assertEquals(
    [
      star.data.chatJid.toString(),
      star.data.participantJid?.toString(),
      star.data.messageId,
      star.data.fromMe,
    ],
    [group, "15550001@s.whatsapp.net", "3EB0AA", false],
  );
  const own = readChatAction({
    operation: "set",
    index: ["star", CHAT, "3EB0BB", "1", "0"],
    value: { starAction: { starred: false } },
    version: 2,
  });
  const [, ownStar] = actionEvents(own, "regular_high", false);
  assert(ownStar.name === "starUpdate");
  assertEquals(ownStar.data.participantJid, undefined);
  assertEquals(ownStar.data.timestamp.getTime(), 0, "no timestamp reads as the epoch");
});

Deno.test("unknown actions and unparsable JIDs only produce appStateAction", () => {
  const unknown = readChatAction({
    operation: "set",
    index: ["setting_unarchiveChats"],
    value: {},
    version: 1,
  });
  assertEquals(actionEvents(unknown, "regular", false).map((e) => e.name), ["appStateAction"]);
  const bad = actionEvents({ kind: "pin", chat: "not a jid", pinned: true }, "regular_low", false);
  assertEquals(bad.map((e) => e.name), ["appStateAction"]);
  const badSender = actionEvents(
    { kind: "star", chat: CHAT, messageId: "A", fromMe: false, participant: "@@", starred: true },
    "regular_high",
    false,
  );
  assertEquals(badSender.map((e) => e.name), ["appStateAction"]);
});
