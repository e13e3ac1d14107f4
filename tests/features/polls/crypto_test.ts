// Poll vote and event response encryption, checked against an independent implementation: Baileys
// (baileys@7.0.0-rc14, lib/Utils/process-message.js decryptPollVote / decryptEventResponse, which derive the
// key as HMAC(HMAC(zeros32, secret), info ‖ 0x01), i.e. one HKDF block written out, and lib/Utils/crypto.js
// aesEncryptGCM). No published vector exists (whatsapp-rust wacore/src/poll.rs has only round trips).
import { Buffer } from "node:buffer";
import fc from "npm:fast-check@4.10.2";
import * as baileysCrypto from "npm:/baileys@7.0.0-rc14/lib/Utils/crypto.js";
import * as processMessage from "npm:/baileys@7.0.0-rc14/lib/Utils/process-message.js";
import { proto } from "npm:/baileys@7.0.0-rc14/WAProto/index.js";
import { assertEquals, assertThrows } from "../../_assert.ts";
import { concatBytes, randomBytes, utf8 } from "../../../src/crypto/mod.ts";
import { DecryptError, InputError } from "../../../src/features/errors.ts";
import {
  type AddonContext,
  addonKey,
  decryptEventResponse,
  decryptPollVote,
  encryptAddon,
  encryptEventResponse,
  encryptPollVote,
  MAX_ADDON_PAYLOAD,
  pollOptionHash,
} from "../../../src/features/polls/crypto.ts";

// Baileys is plain JS over Buffers; its functions are used through these narrow shapes (one cast each).
const B = processMessage as unknown as {
  decryptPollVote(
    vote: { encPayload: Uint8Array; encIv: Uint8Array },
    ctx: { pollCreatorJid: string; pollMsgId: string; pollEncKey: Uint8Array; voterJid: string },
  ): { selectedOptions: Uint8Array[] };
  decryptEventResponse(
    r: { encPayload: Uint8Array; encIv: Uint8Array },
    ctx: { eventCreatorJid: string; eventMsgId: string; eventEncKey: Uint8Array; responderJid: string },
  ): { response: number; extraGuestCount?: number };
};
const BC = baileysCrypto as unknown as {
  hmacSign(data: Uint8Array, key: Uint8Array, variant?: string): Buffer;
  aesEncryptGCM(plaintext: Uint8Array, key: Uint8Array, iv: Uint8Array, aad: Uint8Array): Buffer;
};
const BProto = proto as unknown as {
  Message: { PollVoteMessage: { encode(m: { selectedOptions: Uint8Array[] }): { finish(): Uint8Array } } };
};

function context(overrides: Partial<AddonContext> = {}): AddonContext {
  return {
    secret: randomBytes(32),
    messageId: "3EB0C0FFEE0123456789AB",
    creator: "15550001111@s.whatsapp.net",
    voter: "15550002222@s.whatsapp.net",
    ...overrides,
  };
}

const jidArb = fc.oneof(
  fc.stringMatching(/^[1-9][0-9]{7,14}$/).map((u) => `${u}@s.whatsapp.net`),
  fc.stringMatching(/^[1-9][0-9]{13,15}$/).map((u) => `${u}@lid`),
);
const ctxArb = fc.record({
  secret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  messageId: fc.stringMatching(/^[0-9A-F]{8,32}$/),
  creator: jidArb,
  voter: jidArb,
});

Deno.test("a vote we encrypt decrypts in Baileys to the same option hashes", () => {
  fc.assert(
    fc.property(ctxArb, fc.array(fc.string({ maxLength: 40 }), { maxLength: 12 }), (ctx, names) => {
      const hashes = names.map(pollOptionHash);
      const vote = encryptPollVote(ctx, hashes);
      const theirs = B.decryptPollVote(vote, {
        pollCreatorJid: ctx.creator,
        pollMsgId: ctx.messageId,
        pollEncKey: ctx.secret,
        voterJid: ctx.voter,
      });
      assertEquals(
        theirs.selectedOptions.map((h) => Buffer.from(h).toString("hex")),
        hashes.map((h) => h.toHex()),
      );
    }),
    { numRuns: 40 },
  );
});

Deno.test("a vote encrypted Baileys' way (HMAC-expanded key, its AES-GCM) decrypts here", () => {
  fc.assert(
    fc.property(ctxArb, fc.array(fc.string({ maxLength: 40 }), { maxLength: 12 }), (ctx, names) => {
      const hashes = names.map((n) => Buffer.from(pollOptionHash(n)));
      const sign = concatBytes(
        utf8(ctx.messageId + ctx.creator + ctx.voter + "Poll Vote"),
        new Uint8Array([1]),
      );
      const key = BC.hmacSign(sign, BC.hmacSign(ctx.secret, new Uint8Array(32)));
      const iv = randomBytes(12);
      const plaintext = BProto.Message.PollVoteMessage.encode({ selectedOptions: hashes }).finish();
      const encPayload = BC.aesEncryptGCM(plaintext, key, iv, utf8(`${ctx.messageId}\u0000${ctx.voter}`));
      const ours = decryptPollVote(ctx, { encPayload: new Uint8Array(encPayload), encIv: iv });
      assertEquals(ours.map((h) => h.toHex()), hashes.map((h) => h.toString("hex")));
      assertEquals(addonKey("Poll Vote", ctx).toHex(), key.toString("hex"));
    }),
    { numRuns: 40 },
  );
});

Deno.test("an event response we encrypt decrypts in Baileys", () => {
  const ctx = context();
  const enc = encryptEventResponse(ctx, { response: "maybe", extraGuestCount: 2 });
  const theirs = B.decryptEventResponse(enc, {
    eventCreatorJid: ctx.creator,
    eventMsgId: ctx.messageId,
    eventEncKey: ctx.secret,
    responderJid: ctx.voter,
  });
  // EventResponseType MAYBE = 3 (Baileys WAProto.proto Message.EventResponseMessage).
  assertEquals(theirs.response, 3);
  assertEquals(theirs.extraGuestCount, 2);
  const back = decryptEventResponse(ctx, enc);
  assertEquals(back.response, "maybe");
  assertEquals(back.extraGuestCount, 2);
});

Deno.test("a vote does not verify with another secret, voter, creator, message id or a flipped bit", () => {
  const ctx = context();
  const vote = encryptPollVote(ctx, [pollOptionHash("Yes")]);
  const wrong: Partial<AddonContext>[] = [
    { secret: randomBytes(32) },
    { voter: "15550003333@s.whatsapp.net" },
    { creator: "15550004444@s.whatsapp.net" },
    { messageId: "3EB0DEADBEEF" },
  ];
  for (const w of wrong) {
    const e = assertThrows(() => decryptPollVote({ ...ctx, ...w }, vote), DecryptError);
    assertEquals(e.code, "bad_mac");
  }
  const tampered = vote.encPayload.slice();
  tampered[0] ^= 1;
  assertEquals(
    assertThrows(() => decryptPollVote(ctx, { ...vote, encPayload: tampered }), DecryptError).code,
    "bad_mac",
  );
  // A vote is not an event response even under the same secret: the use case is part of the key.
  assertEquals(assertThrows(() => decryptEventResponse(ctx, vote), DecryptError).code, "bad_mac");
});

Deno.test("malformed votes give typed errors without decrypting", () => {
  const ctx = context();
  const vote = encryptPollVote(ctx, [pollOptionHash("Yes")]);
  const cases: [{ encPayload?: Uint8Array; encIv?: Uint8Array }, string][] = [
    [{ encPayload: vote.encPayload }, "invalid_message"],
    [{ encPayload: vote.encPayload, encIv: new Uint8Array(8) }, "invalid_message"],
    [{ encPayload: new Uint8Array(15), encIv: vote.encIv }, "invalid_message"],
    [{ encPayload: new Uint8Array(MAX_ADDON_PAYLOAD + 1), encIv: vote.encIv }, "invalid_message"],
  ];
  for (const [input, code] of cases) {
    assertEquals(assertThrows(() => decryptPollVote(ctx, input), DecryptError).code, code);
  }
  // It verifies but is not a vote of 32-byte hashes.
  const notAVote = encryptAddon("Poll Vote", ctx, new Uint8Array([0x0a, 0x02, 0x01, 0x02]));
  assertEquals(assertThrows(() => decryptPollVote(ctx, notAVote), DecryptError).code, "bad_plaintext");
  const garbage = encryptAddon("Poll Vote", ctx, new Uint8Array([0xff, 0xff, 0xff]));
  assertEquals(assertThrows(() => decryptPollVote(ctx, garbage), DecryptError).code, "bad_plaintext");
});

Deno.test("bad contexts are refused as input errors", () => {
  assertThrows(() => encryptPollVote(context({ secret: new Uint8Array(16) }), []), InputError, "32 bytes");
  assertThrows(() => encryptPollVote(context({ messageId: "" }), []), InputError, "messageId");
  assertThrows(() => encryptPollVote(context(), new Array(257).fill(pollOptionHash("x"))), InputError, "256");
});

Deno.test("an empty vote (a withdrawal) round-trips to no options", () => {
  const ctx = context();
  assertEquals(decryptPollVote(ctx, encryptPollVote(ctx, [])), []);
});
