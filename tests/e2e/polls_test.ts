import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { type Client, clientInternals } from "../../src/client/client.ts";
import { randomBytes } from "../../src/crypto/mod.ts";
import { InputError } from "../../src/features/errors.ts";
import { contactMessage, messageKey } from "../../src/features/message_builders.ts";
import {
  forwardMessage,
  getContacts,
  getEvent,
  getForwarded,
  getKeepInChat,
  getLinkPreview,
  getLocation,
  getPin,
  keepInChatMessage,
  linkPreviewMessage,
  liveLocationMessage,
  pinMessage,
} from "../../src/features/message_kinds.ts";
import { buttonReplyMessage, getButtonReply } from "../../src/features/message_kinds_replies.ts";
import type { MessageEvent } from "../../src/features/message_info.ts";
import { encryptPollVote, pollOptionHash } from "../../src/features/polls/crypto.ts";
import { pollVoteMessage } from "../../src/features/polls/messages.ts";
import type { PollVoteEvent } from "../../src/features/polls/polls.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

/** Resolves with the first `message` event that passes `match`. */
function nextMessage(client: Client, match: (e: MessageEvent) => boolean): Promise<MessageEvent> {
  return client.waitFor("message", { filter: match, signal: deadline() });
}

/** Resolves with the first `pollVote` event that passes `match`. */
function nextVote(client: Client, match: (e: PollVoteEvent) => boolean): Promise<PollVoteEvent> {
  return client.waitFor("pollVote", { filter: match, signal: deadline() });
}

Deno.test("a group poll by the bot: two phones vote, the tally follows, a changed vote replaces the first, a forged vote is refused", async () => {
  await using wa = await startServer();
  const alice = wa.phone("15550300001");
  const bob = wa.phone("15550300002");
  const [aliceClient, bobClient] = await Promise.all([alice.client(), bob.client()]);
  await using bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone("15550300099"));
  const group = wa.createGroup({
    creator: bot.jid!,
    participants: [alice.jid.toNonAd(), bob.jid.toNonAd()],
    subject: "Lunch",
  });

  const aliceGot = nextMessage(aliceClient, (e) => e.message.pollCreationMessage !== undefined);
  const bobGot = nextMessage(bobClient, (e) => e.message.pollCreationMessage !== undefined);
  const sent = await bot.polls.create(group, { name: "Lunch?", options: ["Pizza", "Sushi", "Salad"] });
  assertEquals(sent.poll.selectableCount, 0);
  const [atAlice, atBob] = await Promise.all([aliceGot, bobGot]);
  assertEquals(atAlice.info.type, "poll");
  assertEquals(atAlice.message.pollCreationMessage?.options?.map((o) => o.optionName), [
    "Pizza",
    "Sushi",
    "Salad",
  ]);

  // Alice picks two options, Bob one.
  const aliceVote = nextVote(bot, (e) => e.voter.user === alice.jid.user);
  await aliceClient.polls.vote(group, messageKey(atAlice.info), ["Pizza", "Salad"]);
  const v1 = await aliceVote;
  assertEquals(v1.selectedOptions.sort(), ["Pizza", "Salad"]);
  assertEquals(v1.poll.id, sent.id);
  assertEquals(v1.poll.fromMe, true);
  assertEquals(v1.chat.toString(), group.toString());
  assertEquals(v1.info.type, "poll");

  const bobVote = nextVote(bot, (e) => e.voter.user === bob.jid.user);
  await bobClient.polls.vote(group, messageKey(atBob.info), ["Pizza"]);
  const v2 = await bobVote;
  assertEquals(v2.selectedOptions, ["Pizza"]);
  const counts = (r: PollVoteEvent["results"]) => r?.options.map((o) => [o.name, o.votes]);
  assertEquals(counts(v2.results), [["Pizza", 2], ["Sushi", 0], ["Salad", 1]]);
  assertEquals(v2.results?.voterCount, 2);

  // Bob changes his mind: his new vote replaces the old one.
  const bobAgain = nextVote(bot, (e) => e.voter.user === bob.jid.user && e.selectedOptions[0] === "Sushi");
  await bobClient.polls.vote(group, messageKey(atBob.info), ["Sushi"]);
  await bobAgain;
  const results = await bot.polls.results(group, sent.key);
  assertEquals(counts(results), [["Pizza", 1], ["Sushi", 1], ["Salad", 1]]);
  assertEquals(results?.options[0].voters, [`${alice.jid.user}@s.whatsapp.net`]);

  // A vote encrypted with a secret that is not the poll's: the bot sees the message but does not count it.
  const forgedKey = messageKey(atBob.info);
  const forged = pollVoteMessage(
    forgedKey,
    encryptPollVote({
      secret: randomBytes(32),
      messageId: sent.id,
      creator: bot.jid!.toNonAd().toString(),
      voter: bob.jid.toNonAd().toString(),
    }, [pollOptionHash("Salad")]),
  );
  let forgedCounted = false;
  const offVote = bot.on("pollVote", () => void (forgedCounted = true));
  const seen = nextMessage(
    bot,
    (e) => e.message.pollUpdateMessage !== undefined && e.info.source.sender.user === bob.jid.user,
  );
  await bobClient.sendMessage(group, forged);
  await seen;
  offVote();
  assert(!forgedCounted, "a forged vote must not be counted");
  assertEquals(counts(await bot.polls.results(group, sent.key)), [["Pizza", 1], ["Sushi", 1], ["Salad", 1]]);

  // An option the poll does not have is refused before anything is sent.
  await assertRejects(
    () => aliceClient.polls.vote(group, messageKey(atAlice.info), ["Burger"]),
    InputError,
    "no option",
  );
});

Deno.test("a single-choice poll in a 1:1 chat: a vote naming two options is refused, a withdrawn vote clears it", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550300011");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550300098"));
  const got = nextMessage(primary, (e) => e.message.pollCreationMessageV3 !== undefined);
  const sent = await bot.polls.create(phone.jid.toNonAd(), {
    name: "Ready?",
    options: ["Yes", "No"],
    selectableCount: 1,
  });
  const atPhone = await got;
  assertEquals(atPhone.message.pollCreationMessageV3?.selectableOptionsCount, 1);
  await assertRejects(
    () => primary.polls.vote(bot.jid!.toNonAd(), messageKey(atPhone.info), ["Yes", "No"]),
    InputError,
    "allows 1",
  );

  const yes = nextVote(bot, (e) => e.selectedOptions[0] === "Yes");
  await primary.polls.vote(bot.jid!.toNonAd(), messageKey(atPhone.info), ["Yes"]);
  const v = await yes;
  assertEquals(v.voter.toString(), phone.jid.toNonAd().toString());
  assertEquals(v.poll.remoteJid, phone.jid.toNonAd().toString());

  const withdrawn = nextVote(bot, (e) => e.selectedOptions.length === 0);
  await primary.polls.vote(bot.jid!.toNonAd(), messageKey(atPhone.info), []);
  const w = await withdrawn;
  assertEquals(w.results?.voterCount, 0);
  assertEquals((await bot.polls.results(phone.jid.toNonAd(), sent.key))?.options.map((o) => o.votes), [0, 0]);
});

Deno.test("in a LID-addressed group the votes name LIDs and still decrypt and count", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550300021");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550300097"));
  const group = wa.createGroup({
    creator: bot.jid!,
    participants: [phone.jid.toNonAd()],
    addressingMode: "lid",
  });
  const got = nextMessage(primary, (e) => e.message.pollCreationMessage !== undefined);
  const sent = await bot.polls.create(group, {
    name: "Colour?",
    options: ["Red", "Blue"],
    selectableCount: 2,
  });
  const atPhone = await got;
  assert(atPhone.info.source.sender.isLid(), "a lid group names the poll's sender by LID");
  const vote = nextVote(bot, () => true);
  await primary.polls.vote(group, messageKey(atPhone.info), ["Blue"]);
  const v = await vote;
  assertEquals(v.selectedOptions, ["Blue"]);
  // The voter is reported in its phone-number form, the one the tally keys on.
  assertEquals(v.voter.toString(), phone.jid.toNonAd().toString());
  assertEquals(v.poll.id, sent.id);
});

Deno.test("message observers: every received secret is stored before the message event, and an observer that throws stops nothing", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550300031");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550300096"));
  const off = clientInternals(bot).messaging.observe(() => {
    throw new Error("observer failure");
  });
  const secret = randomBytes(32);
  const failed = bot.waitFor("error", {
    filter: (e) => e.context.startsWith("observing message"),
    signal: deadline(),
  });
  let storedBeforeEvent: Uint8Array | undefined;
  const got = bot.waitFor("message", {
    filter: (e) => e.message.conversation === "with a secret",
    signal: deadline(),
  });
  bot.on("message", async ({ info, message }) => {
    if (message.conversation !== "with a secret") return;
    storedBeforeEvent = await bot.store.getMessageSecret(
      info.source.chat.toString(),
      phone.jid.toNonAd().toString(),
      info.id,
    );
  });
  const sent = await primary.sendMessage(bot.jid!.toNonAd(), {
    conversation: "with a secret",
    messageContextInfo: { messageSecret: secret },
  });
  const sentId = sent.id;
  const e = await got;
  await failed;
  off();
  await bot.waitUntilIdle();
  assertEquals(e.info.id, sentId);
  assertEquals(storedBeforeEvent?.toHex(), secret.toHex());
  // Also under the sender's LID, the other addressing the stanza named.
  const underLid = await bot.store.getMessageSecret(
    e.info.source.chat.toString(),
    phone.lid.toNonAd().toString(),
    e.info.id,
  );
  assertEquals(underLid?.toHex(), secret.toHex());
});

Deno.test("an event invitation by the bot: the phone answers, the bot gets the decrypted response", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550300041");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550300095"));
  const got = nextMessage(primary, (e) => e.message.eventMessage !== undefined);
  const sent = await bot.polls.createEvent(phone.jid.toNonAd(), {
    name: "Launch",
    start: new Date("2030-01-01T10:00:00Z"),
  });
  const invitation = await got;
  assertEquals(invitation.info.type, "event");
  assertEquals(getEvent(invitation.message)?.name, "Launch");
  const answered = bot.waitFor("eventResponse", { signal: deadline() });
  await primary.polls.respondToEvent(bot.jid!.toNonAd(), messageKey(invitation.info), "going", {
    extraGuestCount: 1,
  });
  const r = await answered;
  assertEquals([r.response, r.extraGuestCount, r.event.id, r.event.fromMe], ["going", 1, sent.id, true]);
  assertEquals(r.responder.toString(), phone.jid.toNonAd().toString());
});

Deno.test("the other message kinds travel end to end and read back on the other side", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550300051");
  const primary = await phone.client();
  await using bot = await newClient(wa);
  await pairByQr(bot, wa.phone("15550300094"));
  const to = phone.jid.toNonAd();
  const first = await bot.sendText(to, "pin me");
  const kinds: [string, Parameters<Client["sendMessage"]>[1], (e: MessageEvent) => void][] = [
    ["pin", pinMessage(first.key, { durationSeconds: 86_400 }), (e) => {
      assertEquals(e.info.edit, "pinned");
      assertEquals([getPin(e.message)?.pinned, getPin(e.message)?.key.id], [true, first.id]);
    }],
    ["keep", keepInChatMessage(first.key), (e) => assertEquals(getKeepInChat(e.message)?.kept, true)],
    [
      "forward",
      forwardMessage({ conversation: "fwd" }),
      (e) => assertEquals(getForwarded(e.message).score, 1),
    ],
    [
      "preview",
      linkPreviewMessage("see https://deno.com", { url: "https://deno.com", title: "Deno" }),
      (e) => assertEquals(getLinkPreview(e.message)?.title, "Deno"),
    ],
    ["live", liveLocationMessage({ latitude: 1, longitude: 2, sequenceNumber: 1 }), (e) => {
      assertEquals(getLocation(e.message)?.live, true);
      assertEquals(e.info.mediaType, "livelocation");
    }],
    [
      "contacts",
      contactMessage({ displayName: "A", vcard: "A" }, { displayName: "B", vcard: "B" }),
      (e) => assertEquals(getContacts(e.message)?.length, 2),
    ],
    [
      "reply",
      buttonReplyMessage({ kind: "buttons", id: "ok", text: "OK" }),
      (e) => assertEquals(getButtonReply(e.message)?.id, "ok"),
    ],
  ];
  for (const [name, message, check] of kinds) {
    const got = nextMessage(
      primary,
      (e) => e.info.source.sender.user === bot.jid!.user && e.info.id !== first.id,
    );
    const sent = await bot.sendMessage(to, message);
    const e = await got;
    assertEquals(e.info.id, sent.id, name);
    check(e);
  }
});
