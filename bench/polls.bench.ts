// Decrypting one poll vote (HKDF key derivation + AES-256-GCM + PollVoteMessage decode), against Baileys'
// decryptPollVote (baileys@7.0.0-rc14 lib/Utils/process-message.js) as the peer baseline, and tallying a
// 1,000-voter poll against a plain Map of the same votes.
// Run: deno bench --allow-read --allow-env --allow-sys bench/polls.bench.ts
import * as processMessage from "npm:/baileys@7.0.0-rc14/lib/Utils/process-message.js";
import { randomBytes } from "../src/crypto/mod.ts";
import { decryptPollVote, encryptPollVote, pollOptionHash } from "../src/features/polls/crypto.ts";
import { PollTally } from "../src/features/polls/tally.ts";

const B = processMessage as unknown as {
  decryptPollVote(
    vote: { encPayload: Uint8Array; encIv: Uint8Array },
    ctx: { pollCreatorJid: string; pollMsgId: string; pollEncKey: Uint8Array; voterJid: string },
  ): { selectedOptions: Uint8Array[] };
};

const ctx = {
  secret: randomBytes(32),
  messageId: "3EB0C0FFEE0123456789AB",
  creator: "15550001111@s.whatsapp.net",
  voter: "15550002222@s.whatsapp.net",
};
const options = ["Pizza", "Sushi", "Salad"];
const vote = encryptPollVote(ctx, [pollOptionHash("Pizza"), pollOptionHash("Salad")]);
const baileysCtx = {
  pollCreatorJid: ctx.creator,
  pollMsgId: ctx.messageId,
  pollEncKey: ctx.secret,
  voterJid: ctx.voter,
};

Deno.bench("decrypt a poll vote: Baileys decryptPollVote", { group: "vote", baseline: true }, () => {
  B.decryptPollVote(vote, baileysCtx);
});
Deno.bench("decrypt a poll vote: wadeno decryptPollVote", { group: "vote" }, () => {
  decryptPollVote(ctx, vote);
});

const hashes = options.map(pollOptionHash);
const voters = Array.from({ length: 1_000 }, (_, i) => `1555${String(i).padStart(7, "0")}@s.whatsapp.net`);

Deno.bench("tally 1,000 voters: Map of hex hashes", { group: "tally", baseline: true }, () => {
  const m = new Map<string, string[]>();
  voters.forEach((v, i) => m.set(v, [hashes[i % 3].toHex()]));
  const counts = [0, 0, 0];
  for (const picks of m.values()) for (const p of picks) counts[hashes.findIndex((h) => h.toHex() === p)]++;
});
Deno.bench("tally 1,000 voters: PollTally apply + results", { group: "tally" }, () => {
  const t = new PollTally({ name: "Q", options, selectableCount: 0 });
  voters.forEach((v, i) => t.apply(v, [hashes[i % 3]], i));
  t.results();
});
