// <call> stanzas as reference/protocol-facts-features.md 6.4 describes them (whatsmeow call.go, Baileys
// messages-recv.ts call handler): one child carrying call-id and call-creator; offers with caller_pn/caller_lid,
// <video/> for video calls, type="group" / group-jid for group calls; terminate with reason and duration.
import { assertEquals, assertThrows } from "../_assert.ts";
import type { Node } from "../../src/binary/mod.ts";
import { CallParseError, parseCall } from "../../src/features/calls.ts";

const call = (child: Node, attrs: Record<string, string> = {}): Node => ({
  tag: "call",
  attrs: { from: "15550001111:0@s.whatsapp.net", id: "S1", t: "1700000000", notify: "Alice", ...attrs },
  content: [child],
});

Deno.test("an audio offer, a video group offer and an offline offer", () => {
  const audio = parseCall(call({
    tag: "offer",
    attrs: {
      "call-id": "C1",
      "call-creator": "15550001111@s.whatsapp.net",
      caller_lid: "123456789012345@lid",
    },
    content: [{ tag: "audio", attrs: { enc: "opus", rate: "16000" } }],
  }));
  assertEquals([audio.kind, audio.callId, audio.isVideo, audio.isGroup, audio.offline, audio.pushName], [
    "offer",
    "C1",
    false,
    false,
    false,
    "Alice",
  ]);
  assertEquals(audio.creator.toString(), "15550001111@s.whatsapp.net");
  assertEquals(audio.callerAlt?.toString(), "123456789012345@lid");
  assertEquals(audio.timestamp.getTime(), 1_700_000_000_000);
  assertEquals(audio.stanzaId, "S1");

  const video = parseCall(call({
    tag: "offer",
    attrs: {
      "call-id": "C2",
      "call-creator": "15550001111@s.whatsapp.net",
      type: "group",
      "group-jid": "120363@g.us",
    },
    content: [{ tag: "video", attrs: {} }],
  }, { offline: "0" }));
  assertEquals([video.isVideo, video.isGroup, video.groupJid?.toString(), video.offline], [
    true,
    true,
    "120363@g.us",
    true,
  ]);

  const notice = parseCall(
    call({ tag: "offer_notice", attrs: { "call-id": "C3", media: "video", type: "group" } }),
  );
  assertEquals([notice.kind, notice.isVideo, notice.isGroup], ["offer_notice", true, true]);
  // Without a call-creator the sender stands in.
  assertEquals(notice.creator.toString(), "15550001111@s.whatsapp.net");
});

Deno.test("terminate, unknown kinds and malformed stanzas", () => {
  const end = parseCall(
    call({ tag: "terminate", attrs: { "call-id": "C1", reason: "timeout", duration: "12" } }),
  );
  assertEquals([end.kind, end.reason, end.durationSeconds], ["terminate", "timeout", 12]);
  const other = parseCall(call({ tag: "mute_v2", attrs: { "call-id": "C1" } }));
  assertEquals([other.kind, other.wireKind], ["other", "mute_v2"]);
  assertThrows(() => parseCall({ tag: "call", attrs: {} }), CallParseError, "from");
  assertThrows(
    () => parseCall({ tag: "call", attrs: { from: "1@s.whatsapp.net" } }),
    CallParseError,
    "no child",
  );
  assertThrows(() => parseCall(call({ tag: "offer", attrs: {} })), CallParseError, "call-id");
});
