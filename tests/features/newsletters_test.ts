// Newsletter stanzas and answers. Shapes: reference/protocol-facts-features.md 6.2 and 6.3 — the metadata JSON
// of whatsmeow types/newsletter.go (NewsletterMetadata: id, state.type, thread_metadata{creation_time, invite,
// name{text}, description{text}, subscribers_count as a string, verification}, viewer_metadata{mute, role}),
// the <message server_id><plaintext/><views_count count/><reactions><reaction code count/> items of whatsmeow
// notification.go parseNewsletterMessages, the reaction stanza of whatsmeow newsletter.go
// NewsletterSendReaction (edit="7" and no code to remove), and the MEX notification keys of
// notification.go handleMexNotification.
import { proto } from "npm:/baileys@7.0.0-rc14/WAProto/index.js";
import { assertEquals, assertThrows } from "../_assert.ts";
import { Jid, type Node, type NodeInput } from "../../src/binary/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import {
  MAX_NEWSLETTER_MESSAGES,
  NewsletterParseError,
  parseNewsletterMessages,
  parseNewsletterMetadata,
  parseNewsletterMexNotification,
} from "../../src/features/newsletters/parse.ts";
import {
  newsletterLiveUpdatesSpec,
  newsletterMessageNode,
  newsletterMessagesSpec,
  newsletterReactionNode,
  newsletterUpdatesSpec,
} from "../../src/features/newsletters/stanzas.ts";
import { Message } from "../../src/proto/mod.ts";

const NL = Jid.newsletter("120363144038483540");
const bytes = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

Deno.test("metadata JSON as the server sends it", () => {
  const m = parseNewsletterMetadata({
    id: NL.toString(),
    state: { type: "ACTIVE" },
    thread_metadata: {
      creation_time: "1700000000",
      invite: "0029VaAbCd",
      name: { id: "n", text: "News", update_time: "1700000000000000" },
      description: { id: "d", text: "All of it", update_time: "0" },
      subscribers_count: "1234",
      verification: "VERIFIED",
      picture: { id: "p1", direct_path: "/v/t61/abc", type: "IMAGE" },
    },
    viewer_metadata: { mute: "ON", role: "SUBSCRIBER" },
  });
  assertEquals(m.jid.toString(), NL.toString());
  assertEquals([m.name, m.description, m.inviteCode, m.subscriberCount, m.verified, m.state], [
    "News",
    "All of it",
    "0029VaAbCd",
    1234,
    true,
    "active",
  ]);
  assertEquals(m.created?.getTime(), 1_700_000_000_000);
  assertEquals(m.picture, { id: "p1", directPath: "/v/t61/abc", url: undefined });
  assertEquals(m.viewer, { role: "subscriber", muted: true });
  // Lookups by invite have no viewer part; an unknown role reads as guest; junk counts read as 0.
  const bare = parseNewsletterMetadata({ id: NL.toString(), thread_metadata: { subscribers_count: "x" } });
  assertEquals([bare.viewer, bare.subscriberCount, bare.name], [undefined, 0, ""]);
  assertEquals(
    parseNewsletterMetadata({ id: NL.toString(), viewer_metadata: { role: "KING" } }).viewer?.role,
    "guest",
  );
  for (const bad of [null, [], { id: "1@g.us" }, { id: 5 }]) {
    assertThrows(() => parseNewsletterMetadata(bad), NewsletterParseError);
  }
});

Deno.test("message items: bodies, views, reactions; items without server_id are skipped, lists are bounded", () => {
  const body = Message.encode({ conversation: "hello" });
  const node: Node = {
    tag: "messages",
    attrs: {},
    content: [
      {
        tag: "message",
        attrs: { server_id: "101", id: "3EB0AA", type: "text", t: "1700000000" },
        content: [
          { tag: "plaintext", attrs: {}, content: body },
          { tag: "views_count", attrs: { count: "7" } },
          { tag: "reactions", attrs: {}, content: [{ tag: "reaction", attrs: { code: "👍", count: "3" } }] },
        ],
      },
      { tag: "message", attrs: { id: "no-server-id" } },
      {
        tag: "message",
        attrs: { server_id: "102" },
        content: [{ tag: "plaintext", attrs: {}, content: new Uint8Array([0xff, 0xff]) }],
      },
    ],
  };
  const items = parseNewsletterMessages(node);
  assertEquals(items.length, 2);
  assertEquals(items[0].serverId, 101);
  assertEquals(items[0].message?.conversation, "hello");
  assertEquals([items[0].views, items[0].reactions, items[0].timestamp?.getTime()], [
    7,
    { "👍": 3 },
    1_700_000_000_000,
  ]);
  assertEquals([items[1].serverId, items[1].message], [102, undefined]);
  const many: Node = {
    tag: "messages",
    attrs: {},
    content: Array.from(
      { length: MAX_NEWSLETTER_MESSAGES + 50 },
      (_, i) => ({ tag: "message", attrs: { server_id: String(i + 1) } }),
    ),
  };
  assertEquals(parseNewsletterMessages(many).length, MAX_NEWSLETTER_MESSAGES);
  assertEquals(parseNewsletterMessages(undefined), []);
});

Deno.test("MEX notifications: join, leave, mute; malformed updates are skipped", () => {
  const node: Node = {
    tag: "notification",
    attrs: { type: "mex" },
    content: [
      {
        tag: "update",
        attrs: {},
        content: bytes({ data: { xwa2_notify_newsletter_on_join: { id: NL.toString() } } }),
      },
      {
        tag: "update",
        attrs: {},
        content: bytes({ data: { xwa2_notify_newsletter_on_leave: { id: NL.toString(), role: "GUEST" } } }),
      },
      {
        tag: "update",
        attrs: {},
        content: bytes({
          data: { xwa2_notify_newsletter_on_mute_change: { id: NL.toString(), mute: "ON" } },
        }),
      },
      { tag: "update", attrs: {}, content: new TextEncoder().encode("{broken") },
      {
        tag: "update",
        attrs: {},
        content: bytes({ data: { xwa2_notify_newsletter_on_join: { id: "nope" } } }),
      },
      { tag: "update", attrs: {}, content: bytes({ data: { xwa2_notify_account_reachout_timelock: {} } }) },
    ],
  };
  const updates = parseNewsletterMexNotification(node);
  assertEquals(updates.map((u) => u.kind), ["join", "leave", "mute"]);
  assertEquals(updates[2].kind === "mute" && updates[2].muted, true);
});

Deno.test("a post is the plain Message in <plaintext> (Baileys decodes it), a reaction names the server id", () => {
  const post = newsletterMessageNode(NL, "3EB0AA", { conversation: "hi" }, { type: "text" });
  assertEquals(post.attrs, { to: NL, id: "3EB0AA", type: "text" });
  const plaintext = (post.content as Node[])[0];
  assertEquals(plaintext.tag, "plaintext");
  const decoded = (proto as unknown as { Message: { decode(b: Uint8Array): { conversation?: string } } })
    .Message
    .decode(plaintext.content as Uint8Array);
  assertEquals(decoded.conversation, "hi");
  const media = newsletterMessageNode(NL, "3EB0AB", { imageMessage: {} }, {
    type: "media",
    mediaType: "image",
    edit: "3",
  });
  assertEquals([media.attrs.edit, (media.content as Node[])[0].attrs], ["3", { mediatype: "image" }]);

  const react = newsletterReactionNode(NL, "R1", 101, "❤️");
  assertEquals(react.attrs, { to: NL, id: "R1", server_id: "101", type: "reaction" });
  assertEquals((react.content as Node[])[0].attrs, { code: "❤️" });
  const unreact = newsletterReactionNode(NL, "R2", 101, "");
  assertEquals([unreact.attrs.edit, (unreact.content as Node[])[0].attrs], ["7", {}]);
  assertThrows(() => newsletterReactionNode(NL, "R3", 0, "x"), InputError, "server id");
});

Deno.test("history, updates and live-updates IQs", () => {
  const history = newsletterMessagesSpec(NL, { count: 20, before: 150 });
  const built = history.build();
  assertEquals([built.namespace, built.type, built.to], ["newsletter", "get", "s.whatsapp.net"]);
  assertEquals((built.content as NodeInput[])[0].attrs, { type: "jid", jid: NL, count: "20", before: "150" });
  assertEquals(
    history.parse({
      tag: "iq",
      attrs: {},
      content: [{ tag: "messages", attrs: {}, content: [{ tag: "message", attrs: { server_id: "5" } }] }],
    })
      .map((m) => m.serverId),
    [5],
  );
  assertThrows(() => newsletterMessagesSpec(NL, { count: 0 }), InputError, "count");

  const updates = newsletterUpdatesSpec(NL, { since: new Date(1_700_000_000_000), after: 9 });
  assertEquals(updates.build().to, NL);
  assertEquals((updates.build().content as NodeInput[])[0].attrs, {
    count: undefined,
    since: "1700000000",
    after: "9",
  });
  const parsed = updates.parse({
    tag: "iq",
    attrs: {},
    content: [{
      tag: "message_updates",
      attrs: {},
      content: [{ tag: "messages", attrs: {}, content: [{ tag: "message", attrs: { server_id: "10" } }] }],
    }],
  });
  assertEquals(parsed.map((m) => m.serverId), [10]);

  const live = newsletterLiveUpdatesSpec(NL);
  assertEquals([live.build().type, (live.build().content as Node[])[0].tag], ["set", "live_updates"]);
  assertEquals(
    live.parse({ tag: "iq", attrs: {}, content: [{ tag: "live_updates", attrs: { duration: "300" } }] }),
    300_000,
  );
});
