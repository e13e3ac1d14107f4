// Token dictionary tests. Expected indices and tag bytes are protocol facts read from
// tulir/whatsmeow binary/token/token.go (commit 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08) and
// jlucaso1/whatsapp-rust wacore/binary/src/token.rs (commit 240d631adcdb73c1537ce97ac75bba61a31d9514).
import assert from "node:assert/strict";
import * as baileysConstants from "npm:/baileys@7.0.0-rc14/lib/WABinary/constants.js";
import {
  AD_JID,
  BINARY_20,
  BINARY_32,
  BINARY_8,
  DICT_VERSION,
  DICTIONARY_0,
  DICTIONARY_1,
  DICTIONARY_2,
  DICTIONARY_3,
  DOUBLE_BYTE_TOKENS,
  FB_JID,
  HEX_8,
  indexOfDoubleByteToken,
  indexOfSingleToken,
  INTEROP_JID,
  JID_PAIR,
  LIST_16,
  LIST_8,
  LIST_EMPTY,
  NIBBLE_8,
  PACKED_MAX,
  SINGLE_BYTE_TOKENS,
} from "../../src/binary/mod.ts";

Deno.test("tag bytes are those of dictionary version 3 (whatsmeow token.go, whatsapp-rust token.rs)", () => {
  assert.equal(DICT_VERSION, 3);
  assert.deepEqual(
    [LIST_EMPTY, DICTIONARY_0, DICTIONARY_1, DICTIONARY_2, DICTIONARY_3, INTEROP_JID, FB_JID, AD_JID],
    [0, 236, 237, 238, 239, 245, 246, 247],
  );
  assert.deepEqual(
    [LIST_8, LIST_16, JID_PAIR, HEX_8, BINARY_8, BINARY_20, BINARY_32, NIBBLE_8, PACKED_MAX],
    [248, 249, 250, 251, 252, 253, 254, 255, 127],
  );
});

Deno.test("table sizes: 236 single-byte tokens and four 256-entry dictionaries", () => {
  assert.equal(SINGLE_BYTE_TOKENS.length, 236);
  assert.deepEqual(DOUBLE_BYTE_TOKENS.map((d) => d.length), [256, 256, 256, 256]);
});

Deno.test("pinned single-byte indices (whatsmeow SingleByteTokens)", () => {
  const expected: [string, number][] = [
    ["xmlstreamstart", 1],
    ["s.whatsapp.net", 3],
    ["type", 4],
    ["participant", 5],
    ["id", 8],
    ["broadcast", 13],
    ["to", 17],
    ["message", 19],
    ["iq", 25],
    ["g.us", 28],
    ["enc", 29],
  ];
  for (const [token, index] of expected) {
    assert.equal(SINGLE_BYTE_TOKENS[index], token);
    assert.equal(indexOfSingleToken(token), index);
  }
  // Index 0 is the empty string and is never used as a token: "" is written as BINARY_8 0.
  assert.equal(SINGLE_BYTE_TOKENS[0], "");
  assert.equal(indexOfSingleToken(""), undefined);
});

Deno.test("pinned double-byte indices (whatsmeow DoubleByteTokens)", () => {
  assert.equal(DOUBLE_BYTE_TOKENS[0][0], "read-self");
  assert.deepEqual(indexOfDoubleByteToken("read-self"), [0, 0]);
  assert.equal(DOUBLE_BYTE_TOKENS[1][51], "w:g2");
  assert.deepEqual(indexOfDoubleByteToken("w:g2"), [1, 51]);
  assert.equal(DOUBLE_BYTE_TOKENS[2][0], "64");
  assert.equal(DOUBLE_BYTE_TOKENS[3][0], "1724");
  assert.equal(indexOfDoubleByteToken("message"), undefined);
  assert.equal(indexOfDoubleByteToken("not a token"), undefined);
});

Deno.test("tables equal the independent copy in the baileys package, entry by entry", () => {
  assert.deepEqual([...SINGLE_BYTE_TOKENS], baileysConstants.SINGLE_BYTE_TOKENS);
  assert.deepEqual(DOUBLE_BYTE_TOKENS.map((d) => [...d]), baileysConstants.DOUBLE_BYTE_TOKENS);
});

Deno.test("no string is in two tables, and every token looks up to its own position", () => {
  const seen = new Set<string>();
  for (let i = 1; i < SINGLE_BYTE_TOKENS.length; i++) {
    const token = SINGLE_BYTE_TOKENS[i];
    assert.ok(!seen.has(token), `duplicate ${token}`);
    seen.add(token);
    assert.equal(indexOfSingleToken(token), i);
  }
  DOUBLE_BYTE_TOKENS.forEach((dict, d) =>
    dict.forEach((token, i) => {
      assert.ok(!seen.has(token), `duplicate ${token}`);
      seen.add(token);
      assert.deepEqual(indexOfDoubleByteToken(token), [d, i]);
    })
  );
  assert.equal(seen.size, 235 + 4 * 256);
});
