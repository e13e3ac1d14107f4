// The poll tally and the poll/event message builders. The tally is cross-checked with Baileys'
// getAggregateVotesInPollMessage (baileys@7.0.0-rc14 lib/Utils/messages.js), which matches votes to options
// by the SHA-256 of their names the same way; poll field numbers and the V3-for-single-choice rule are from
// reference/protocol-facts-features.md 6.1.
import { Buffer } from "node:buffer";
import fc from "npm:fast-check@4.10.2";
import * as baileysMessages from "npm:/baileys@7.0.0-rc14/lib/Utils/messages.js";
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { InputError } from "../../../src/features/errors.ts";
import { pollOptionHash } from "../../../src/features/polls/crypto.ts";
import {
  eventMessage,
  pollCreationMessage,
  pollVoteMessage,
  readPollCreation,
  readPollResultSnapshot,
} from "../../../src/features/polls/messages.ts";
import { MAX_POLL_VOTERS, PollTally } from "../../../src/features/polls/tally.ts";
import { Message } from "../../../src/proto/mod.ts";

const BM = baileysMessages as unknown as {
  getAggregateVotesInPollMessage(
    msg: {
      message: { pollCreationMessage: { options: { optionName: string }[] } };
      pollUpdates: {
        pollUpdateMessageKey: { remoteJid: string; fromMe: boolean };
        vote: { selectedOptions: Buffer[] };
      }[];
    },
    meId: string,
  ): { name: string; voters: string[] }[];
};

const poll = { name: "Lunch?", options: ["Pizza", "Sushi", "Salad"], selectableCount: 0 };

Deno.test("each voter's latest vote counts; duplicates and unknown hashes do not", () => {
  const t = new PollTally(poll);
  const h = (n: string) => pollOptionHash(n);
  assertEquals(t.apply("a", [h("Pizza"), h("Pizza"), h("Salad")], 1), {
    kind: "counted",
    selected: ["Pizza", "Salad"],
    unknownOptions: 0,
  });
  assertEquals(t.apply("b", [h("Pizza"), h("Burger")], 1), {
    kind: "counted",
    selected: ["Pizza"],
    unknownOptions: 1,
  });
  assertEquals(t.results().options.map((o) => o.votes), [2, 0, 1]);
  assertEquals(t.apply("a", [h("Sushi")], 2).kind, "counted");
  assertEquals(t.apply("a", [h("Salad")], 1), { kind: "stale" });
  const r = t.results();
  assertEquals(r.options.map((o) => [o.name, o.votes, o.voters]), [["Pizza", 1, ["b"]], ["Sushi", 1, ["a"]], [
    "Salad",
    0,
    [],
  ]]);
  assertEquals(r.voterCount, 2);
  assertEquals(t.voteOf("a"), ["Sushi"]);
  t.apply("b", [], 3);
  assertEquals(t.results().voterCount, 1);
  assertEquals(t.namesOf([h("Salad"), h("nope")]), ["Salad"]);
});

Deno.test("a single-choice poll refuses a vote for two options and keeps the earlier vote", () => {
  const t = new PollTally({ ...poll, selectableCount: 1 });
  t.apply("a", [pollOptionHash("Pizza")], 1);
  const out = t.apply("a", [pollOptionHash("Pizza"), pollOptionHash("Sushi")], 2);
  assertEquals(out.kind, "refused");
  assertEquals(t.voteOf("a"), ["Pizza"]);
});

Deno.test("the tally holds a bounded number of voters", () => {
  const t = new PollTally(poll);
  const yes = [pollOptionHash("Pizza")];
  for (let i = 0; i < MAX_POLL_VOTERS; i++) t.apply(`v${i}`, yes, 1);
  assertEquals(t.apply("one-too-many", yes, 1).kind, "refused");
  assertEquals(t.apply("v0", [], 2).kind, "counted");
  assertEquals(t.results().options[0].votes, MAX_POLL_VOTERS - 1);
});

Deno.test("tallies agree with Baileys' aggregation on random votes", () => {
  const voterArb = fc.constantFrom(
    "1@s.whatsapp.net",
    "2@s.whatsapp.net",
    "3@s.whatsapp.net",
    "4@s.whatsapp.net",
  );
  const voteArb = fc.record({ voter: voterArb, picks: fc.subarray(poll.options) });
  fc.assert(
    fc.property(fc.array(voteArb, { maxLength: 12 }), (votes) => {
      const t = new PollTally(poll);
      const latest = new Map<string, string[]>();
      votes.forEach((v, i) => {
        t.apply(v.voter, v.picks.map(pollOptionHash), i);
        latest.set(v.voter, v.picks);
      });
      // Baileys aggregates the updates it is given; it keeps one per voter (updateMessageWithPollUpdate), so
      // feed it each voter's latest.
      const theirs = BM.getAggregateVotesInPollMessage({
        message: { pollCreationMessage: { options: poll.options.map((optionName) => ({ optionName })) } },
        pollUpdates: [...latest].map(([voter, picks]) => ({
          pollUpdateMessageKey: { remoteJid: voter, fromMe: false },
          vote: { selectedOptions: picks.map((p) => Buffer.from(pollOptionHash(p))) },
        })),
      }, "me");
      const ours = t.results().options;
      assertEquals(ours.map((o) => o.name), theirs.map((o) => o.name));
      assertEquals(ours.map((o) => [...o.voters].sort()), theirs.map((o) => [...o.voters].sort()));
    }),
    { numRuns: 60 },
  );
});

Deno.test("poll messages: V3 for a single choice, field 49 otherwise, a secret each time, and they read back", () => {
  const single = pollCreationMessage({ name: "Q", options: ["A", "B"], selectableCount: 1 });
  assert(
    single.message.pollCreationMessageV3 !== undefined && single.message.pollCreationMessage === undefined,
  );
  const multi = pollCreationMessage({ name: "Q", options: ["A", "B", "C"] });
  assert(multi.message.pollCreationMessage !== undefined);
  assertEquals(multi.message.messageContextInfo?.messageSecret?.length, 32);
  assert(multi.secret.toHex() !== single.secret.toHex(), "each poll gets its own secret");
  const decoded = Message.decode(Message.encode(multi.message));
  assertEquals(readPollCreation(decoded), { name: "Q", options: ["A", "B", "C"], selectableCount: 0 });
  // Field numbers on the wire: pollCreationMessage is 49 (tag 0x8a 0x03), V3 is 64 (tag 0x82 0x04).
  assertEquals([...Message.encode({ pollCreationMessage: {} }).slice(0, 2)], [0x8a, 0x03]);
  assertEquals([...Message.encode({ pollCreationMessageV3: {} }).slice(0, 2)], [0x82, 0x04]);
  assertEquals(readPollCreation({ conversation: "hi" }), undefined);
  assertEquals(
    readPollCreation({ pollCreationMessageV5: { name: "v5", options: [{ optionName: "x" }] } })?.name,
    "v5",
  );
});

Deno.test("poll input is checked", () => {
  const bad: [unknown, string][] = [
    [{ name: "", options: ["a", "b"] }, "poll.name"],
    [{ name: "q", options: ["a"] }, "2 to 12"],
    [{ name: "q", options: new Array(13).fill(0).map((_, i) => `o${i}`) }, "2 to 12"],
    [{ name: "q", options: ["a", "a"] }, "distinct"],
    [{ name: "q", options: ["a", " "] }, "poll.options[1]"],
    [{ name: "q", options: ["a", "b"], selectableCount: 3 }, "selectableCount"],
    [{ name: "q", options: ["a", "b"], selectableCount: 1.5 }, "selectableCount"],
  ];
  for (const [input, text] of bad) {
    assertThrows(
      () => pollCreationMessage(input as Parameters<typeof pollCreationMessage>[0]),
      InputError,
      text,
    );
  }
});

Deno.test("vote, event and snapshot messages", () => {
  const key = { remoteJid: "1203@g.us", fromMe: false, id: "3EB0AA", participant: "1@s.whatsapp.net" };
  const vote = pollVoteMessage(
    key,
    { encPayload: new Uint8Array(20), encIv: new Uint8Array(12) },
    new Date(5000),
  );
  assertEquals(vote.pollUpdateMessage?.senderTimestampMs, 5000n);
  assertEquals(vote.pollUpdateMessage?.pollCreationMessageKey, key);
  assertThrows(
    () =>
      pollVoteMessage({ remoteJid: "x", id: "" }, { encPayload: new Uint8Array(), encIv: new Uint8Array() }),
    InputError,
  );

  const start = new Date("2030-01-01T10:00:00Z");
  const ev = eventMessage({
    name: "Launch",
    start,
    end: new Date("2030-01-01T12:00:00Z"),
    location: { latitude: 1, longitude: 2 },
  });
  assertEquals(ev.message.eventMessage?.startTime, 1893492000n);
  assertEquals(ev.message.eventMessage?.location?.degreesLongitude, 2);
  assertEquals(Message.decode(Message.encode(ev.message)).eventMessage?.name, "Launch");
  assertThrows(() => eventMessage({ name: "x", start, end: new Date(0) }), InputError, "ends before");
  assertThrows(() => eventMessage({ name: "x", start: new Date(NaN) }), InputError, "event.start");

  const snap = readPollResultSnapshot(Message.decode(Message.encode({
    pollResultSnapshotMessage: { name: "Q", pollVotes: [{ optionName: "A", optionVoteCount: 7n }] },
  })));
  assertEquals(snap, { name: "Q", options: [{ name: "A", votes: 7 }] });
});
