/**
 * The people features' pure parts without a server: presence and chat-state stanzas, blocklist,
 * privacy, profile picture and business profile specs, profile notifications, status messages, and the
 * tc-token bucket arithmetic. Shapes from reference/protocol-facts-features.md 5.1-5.5 (whatsmeow
 * presence.go, user.go, privacysettings.go, tctoken.go, notification.go; Baileys chats.js), each test
 * naming the function it follows.
 */

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { getChild, Jid, type NodeInput } from "../../src/binary/mod.ts";
import {
  blocklistSpec,
  parseBlocklistNotification,
  updateBlocklistSpec,
} from "../../src/features/blocking.ts";
import { buildChatState, parseChatState } from "../../src/features/chatstate.ts";
import { InputError } from "../../src/features/errors.ts";
import {
  buildPresence,
  buildSubscribe,
  parsePresence,
  unifiedSessionId,
} from "../../src/features/presence.ts";
import {
  defaultDisappearingSpec,
  parseDisappearingMode,
  privacySettingsSpec,
  setPrivacySpec,
} from "../../src/features/privacy.ts";
import {
  businessProfileSpec,
  parseAboutNotification,
  parsePictureNotification,
  profilePictureSpec,
  removeProfilePictureSpec,
  setAboutSpec,
  setProfilePictureSpec,
} from "../../src/features/profile_specs.ts";
import { carriesStatusSetting, textStatusMessage } from "../../src/features/status.ts";
import {
  issueTcTokensSpec,
  isTcTokenExpired,
  parsePrivacyTokenNotification,
  shouldIssueTcToken,
  TC_TOKEN_BUCKET_SECONDS,
  tcTokenCutoff,
} from "../../src/features/tctoken.ts";
import { ProtocolMessageType } from "../../src/proto/mod.ts";
import { asNode } from "./helpers.ts";

const result = (...content: NodeInput[]) => asNode({ tag: "iq", attrs: { type: "result" }, content });
const own = { pn: Jid.pn("15550000001", 2), lid: Jid.lid("100000000000001", 2) };

Deno.test("presence (whatsmeow SendPresence, handlePresence): name required, @ stripped, last seen or deny", () => {
  assertEquals(buildPresence("unavailable", "a@b").attrs, { type: "unavailable", name: "ab" });
  assertThrows(() => buildPresence("available", ""), InputError, "push name");
  assertEquals(asNode(buildSubscribe(Jid.pn("1555", 4), new Uint8Array([1]))).attrs, {
    type: "subscribe",
    to: "1555@s.whatsapp.net",
  });
  assertEquals(buildSubscribe(Jid.pn("1555")).content, undefined);
  assertEquals(parsePresence(asNode({ tag: "presence", attrs: { from: "1555@s.whatsapp.net" } })), {
    from: Jid.pn("1555"),
    unavailable: false,
    lastSeen: undefined,
    lastSeenHidden: false,
  });
  const seen = parsePresence(
    asNode({
      tag: "presence",
      attrs: { from: "1555@s.whatsapp.net", type: "unavailable", last: "1700000000" },
    }),
  );
  assertEquals([seen.unavailable, seen.lastSeen?.getTime()], [true, 1_700_000_000_000]);
  assertEquals(
    parsePresence(asNode({ tag: "presence", attrs: { from: "1@lid", type: "unavailable", last: "deny" } }))
      .lastSeenHidden,
    true,
  );
  assertThrows(() => parsePresence(asNode({ tag: "presence", attrs: {} })));
  // (now + offset + 3 days) mod 1 week, in ms (whatsmeow getUnifiedSessionID).
  assertEquals(unifiedSessionId(0, 0), String(3 * 86_400_000));
  assertEquals(unifiedSessionId(5 * 86_400_000, 0), String(86_400_000));
});

Deno.test("chat states (whatsmeow SendChatPresence, handleChatState): recording is composing media=audio", () => {
  const to = Jid.group("120363000000000001");
  assertEquals(asNode(buildChatState(to, "composing")), {
    tag: "chatstate",
    attrs: { to: to.toString() },
    content: [{ tag: "composing", attrs: {}, content: undefined }],
  });
  assertEquals(getChild(asNode(buildChatState(to, "recording")), "composing")?.attrs, { media: "audio" });
  assertEquals(getChild(asNode(buildChatState(to, "paused")), "paused")?.tag, "paused");
  assertThrows(() => buildChatState(to, "typing" as "composing"), InputError);
  const inGroup = parseChatState(
    asNode({
      tag: "chatstate",
      attrs: { from: to.toString(), participant: "15550000002@s.whatsapp.net" },
      content: [{ tag: "composing", attrs: { media: "audio" } }],
    }),
    own,
  );
  assertEquals([inGroup.source.isGroup, inGroup.source.sender.user, inGroup.state, inGroup.media], [
    true,
    "15550000002",
    "composing",
    "audio",
  ]);
  assertThrows(() =>
    parseChatState(asNode({ tag: "chatstate", attrs: { from: "1@s.whatsapp.net" }, content: [] }), own)
  );
  assertThrows(() =>
    parseChatState(
      asNode({
        tag: "chatstate",
        attrs: { from: "1@s.whatsapp.net" },
        content: [{ tag: "dancing", attrs: {} }],
      }),
      own,
    )
  );
});

Deno.test("blocklist (whatsmeow GetBlocklist/UpdateBlocklist, handleBlocklist): LID + PN block, both answer forms", () => {
  const lid = Jid.lid("100000000000002");
  const pn = Jid.pn("15550000002");
  assertEquals(asNode({ tag: "x", content: updateBlocklistSpec("block", lid, pn).build().content }).content, [
    asNode({ tag: "item", attrs: { action: "block", jid: lid, pn_jid: pn } }),
  ]);
  assertEquals(
    asNode({ tag: "x", content: updateBlocklistSpec("unblock", lid, pn).build().content }).content,
    [asNode({ tag: "item", attrs: { action: "unblock", jid: lid } })],
  );
  assertEquals(blocklistSpec().build().content, undefined);
  const listed = blocklistSpec().parse(
    result({
      tag: "list",
      attrs: { dhash: "ab" },
      content: [{ tag: "item", attrs: { jid: lid, t: "1700000000" } }],
    }),
  );
  assertEquals([listed.dhash, listed.entries[0].jid.toString(), listed.entries[0].blockedAt?.getTime()], [
    "ab",
    lid.toString(),
    1_700_000_000_000,
  ]);
  const bare = blocklistSpec().parse(
    result({ tag: "item", attrs: { jid: pn } }, { tag: "item", attrs: { jid: "not a jid" } }),
  );
  assertEquals(bare.entries.map((e) => e.jid.toString()), [pn.toString()]);
  const event = parseBlocklistNotification(asNode({
    tag: "blocklist",
    attrs: { action: "modify", dhash: "n", prev_dhash: "o" },
    content: [{ tag: "item", attrs: { jid: lid, action: "block" } }, {
      tag: "item",
      attrs: { jid: lid, action: "explode" },
    }],
  }));
  assertEquals([event.dhash, event.prevDhash, event.changes.length, event.fromServer], ["n", "o", 1, true]);
});

Deno.test("privacy (whatsmeow privacysettings.go): categories by name, values checked, default timer", () => {
  const settings = privacySettingsSpec().parse(result({
    tag: "privacy",
    attrs: {},
    content: [
      { tag: "category", attrs: { name: "last", value: "contacts" } },
      { tag: "category", attrs: { name: "readreceipts", value: "none" } },
      { tag: "category", attrs: { name: "stickers", value: "none" } },
    ],
  }));
  assertEquals(settings, { lastSeen: "contacts", readReceipts: "none", other: { stickers: "none" } });
  const set = asNode({
    tag: "x",
    content: setPrivacySpec("profilePhoto", "contact_blacklist").build().content,
  });
  assertEquals(getChild(getChild(set, "privacy")!, "category")?.attrs, {
    name: "profile",
    value: "contact_blacklist",
  });
  assertThrows(() => setPrivacySpec("readReceipts", "contacts" as "all"), InputError);
  assertThrows(() => setPrivacySpec("nope" as "online", "all"), InputError);
  assertEquals(asNode({ tag: "x", content: defaultDisappearingSpec(7_776_000).build().content }).content, [
    asNode({ tag: "disappearing_mode", attrs: { duration: "7776000" } }),
  ]);
  assertThrows(() => defaultDisappearingSpec(60), InputError);
  // whatsapp-rust handle_disappearing_mode_notification: no duration = 0; t is required.
  assertEquals(
    parseDisappearingMode(asNode({ tag: "disappearing_mode", attrs: { t: "10" } }), Jid.pn("1", 3))?.duration,
    0,
  );
  assertEquals(
    parseDisappearingMode(asNode({ tag: "disappearing_mode", attrs: { duration: "86400" } }), Jid.pn("1")),
    undefined,
  );
});

Deno.test("profile pictures (whatsmeow GetProfilePictureInfo; Baileys updateProfilePicture): get, set, remove", () => {
  const target = Jid.pn("15550000003");
  const token = new Uint8Array([5, 5]);
  const get = profilePictureSpec(target, { preview: true, tcToken: token }).build();
  assertEquals([get.namespace, get.type, String(get.target)], [
    "w:profile:picture",
    "get",
    target.toString(),
  ]);
  const picture = asNode((get.content as NodeInput[])[0]);
  assertEquals(picture.attrs, { type: "preview", query: "url" });
  assertEquals(getChild(picture, "tctoken")?.content, token);
  const hash = new Uint8Array(32).fill(3);
  const parsed = profilePictureSpec(target).parse(result({
    tag: "picture",
    attrs: {
      id: "170",
      url: "https://pps.example/x",
      direct_path: "/x",
      type: "image",
      hash: hash.toBase64(),
    },
  }));
  assertEquals([parsed?.id, parsed?.type, parsed?.directPath, parsed?.hash], ["170", "image", "/x", hash]);
  assertEquals(
    profilePictureSpec(target, { existingId: "170" }).parse(
      result({ tag: "picture", attrs: { status: "304" } }),
    ),
    undefined,
  );
  assertEquals(
    profilePictureSpec(target).parse(result({ tag: "picture", attrs: { status: "204" } })),
    undefined,
  );
  assertEquals(
    profilePictureSpec(target).parse(
      result({ tag: "picture", attrs: {}, content: [{ tag: "error", attrs: { code: "404" } }] }),
    ),
    undefined,
  );
  assertThrows(() => profilePictureSpec(target).parse(result()));

  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
  const group = Jid.group("120363000000000002");
  const set = setProfilePictureSpec(jpeg, group);
  assertEquals([set.build().type, String(set.build().target)], ["set", group.toString()]);
  assertEquals(set.parse(result({ tag: "picture", attrs: { id: "171" } })), "171");
  assertEquals(setProfilePictureSpec(jpeg).build().target, undefined);
  assertThrows(() => setProfilePictureSpec(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), InputError, "JPEG");
  assertEquals(removeProfilePictureSpec().build().content, undefined);
  assertEquals(asNode({ tag: "x", content: setAboutSpec("hi").build().content }).content, [
    asNode({ tag: "status", content: "hi" }),
  ]);
  assertThrows(() => setAboutSpec("y".repeat(140)), InputError);
});

Deno.test("business profile (whatsmeow GetBusinessProfile): v=244 request, every field, none for non-business", () => {
  const jid = Jid.pn("15550000004");
  const spec = businessProfileSpec(jid);
  const request = asNode((spec.build().content as NodeInput[])[0]);
  assertEquals([spec.build().namespace, request.attrs.v, getChild(request, "profile")?.attrs.jid], [
    "w:biz",
    "244",
    jid.toString(),
  ]);
  const profile = spec.parse(result({
    tag: "business_profile",
    attrs: {},
    content: [{
      tag: "profile",
      attrs: { jid },
      content: [
        { tag: "address", content: "1 Main St" },
        { tag: "description", content: "Shop" },
        { tag: "website", content: "https://a.example" },
        { tag: "categories", content: [{ tag: "category", attrs: { id: "1" }, content: "Retail" }] },
        {
          tag: "business_hours",
          attrs: { timezone: "UTC" },
          content: [{
            tag: "business_hours_config",
            attrs: { day_of_week: "mon", mode: "specific_hours", open_time: "540", close_time: "1020" },
          }],
        },
      ],
    }],
  }));
  assertEquals(profile?.address, "1 Main St");
  assertEquals(profile?.categories, [{ id: "1", name: "Retail" }]);
  assertEquals(profile?.hours, [{
    dayOfWeek: "mon",
    mode: "specific_hours",
    openTime: 540,
    closeTime: 1020,
  }]);
  assertEquals(profile?.websites, ["https://a.example"]);
  assertEquals(spec.parse(result({ tag: "business_profile", attrs: {} })), undefined);
});

Deno.test("profile notifications (whatsmeow handlePictureNotification, handleStatusNotification)", () => {
  const events = parsePictureNotification(asNode({
    tag: "notification",
    attrs: { type: "picture", from: "120363000000000002@g.us", t: "100" },
    content: [
      {
        tag: "set",
        attrs: { jid: "120363000000000002@g.us", id: "9", author: "15550000001:3@s.whatsapp.net" },
      },
      { tag: "delete", attrs: { jid: "15550000005@s.whatsapp.net" } },
      { tag: "set", attrs: { jid: "15550000006@s.whatsapp.net" } },
    ],
  }));
  assertEquals(events.map((e) => [e.jid.toString(), e.pictureId, e.removed, e.author?.toString()]), [
    ["120363000000000002@g.us", "9", false, "15550000001@s.whatsapp.net"],
    ["15550000005@s.whatsapp.net", undefined, true, undefined],
  ]);
  const about = parseAboutNotification(asNode({
    tag: "notification",
    attrs: { type: "status", from: "15550000007@s.whatsapp.net", t: "200" },
    content: [{ tag: "set", content: new TextEncoder().encode("Busy") }],
  }));
  assertEquals([about?.about, about?.timestamp.getTime()], ["Busy", 200_000]);
  assertEquals(
    parseAboutNotification(asNode({ tag: "notification", attrs: { from: "1@s.whatsapp.net" } })),
    undefined,
  );
});

Deno.test("status messages: text with colours and font; status_setting skipped for revokes and reactions", () => {
  const m = textStatusMessage("hi", { backgroundArgb: 0xff1a73e8, font: 2 });
  assertEquals(m.extendedTextMessage, {
    text: "hi",
    backgroundArgb: 0xff1a73e8,
    textArgb: 0xffffffff,
    font: 2,
  });
  assertThrows(() => textStatusMessage(""), InputError);
  assertThrows(() => textStatusMessage("x", { font: 3 as 2 }), InputError);
  assertThrows(() => textStatusMessage("x", { backgroundArgb: -1 }), InputError);
  assert(carriesStatusSetting(m));
  assert(!carriesStatusSetting({ protocolMessage: { type: ProtocolMessageType.REVOKE } }));
  assert(!carriesStatusSetting({ reactionMessage: { text: "👍" } }));
});

Deno.test("tc tokens (whatsmeow tctoken.go): 7-day buckets, 4 live, reissue once per bucket; issue IQ; notification", () => {
  const b = TC_TOKEN_BUCKET_SECONDS;
  const now = 3000 * b + 100; // 100 s into bucket 3000
  assertEquals(tcTokenCutoff(now), 2997 * b);
  assertEquals(isTcTokenExpired(2997 * b, now), false);
  assertEquals(isTcTokenExpired(2997 * b - 1, now), true);
  assertEquals(isTcTokenExpired(0, now), true);
  assertEquals(shouldIssueTcToken(undefined, now), true);
  assertEquals(shouldIssueTcToken(3000 * b, now), false);
  assertEquals(shouldIssueTcToken(3000 * b - 1, now), true);

  const spec = issueTcTokensSpec([Jid.lid("100000000000008", 5)], 1_700_000_000);
  const tokens = asNode({ tag: "x", content: spec.build().content });
  assertEquals(getChild(getChild(tokens, "tokens")!, "token")?.attrs, {
    jid: "100000000000008@lid",
    t: "1700000000",
    type: "trusted_contact",
  });
  const issued = spec.parse(result({
    tag: "tokens",
    attrs: {},
    content: [{
      tag: "token",
      attrs: { jid: "100000000000008@lid", t: "1700000001", type: "trusted_contact" },
      content: new Uint8Array([1, 2]),
    }],
  }));
  assertEquals([issued[0].jid.toString(), issued[0].timestamp, issued[0].token], [
    "100000000000008@lid",
    1_700_000_001,
    new Uint8Array([1, 2]),
  ]);

  const parsed = parsePrivacyTokenNotification(asNode({
    tag: "notification",
    attrs: { type: "privacy_token", from: "15550000009@s.whatsapp.net", sender_lid: "100000000000009@lid" },
    content: [{
      tag: "tokens",
      attrs: {},
      content: [
        { tag: "token", attrs: { type: "trusted_contact", t: "5" }, content: new Uint8Array([7]) },
        { tag: "token", attrs: { type: "other", t: "6" }, content: new Uint8Array([8]) },
        { tag: "token", attrs: { type: "trusted_contact" }, content: new Uint8Array([9]) },
      ],
    }],
  }));
  assertEquals([parsed.from.toString(), parsed.senderLid?.toString(), parsed.tokens], [
    "15550000009@s.whatsapp.net",
    "100000000000009@lid",
    [{ token: new Uint8Array([7]), timestamp: 5 }],
  ]);
  assertThrows(() =>
    parsePrivacyTokenNotification(asNode({ tag: "notification", attrs: { from: "1@s.whatsapp.net" } }))
  );
});
