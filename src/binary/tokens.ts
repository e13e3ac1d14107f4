/**
 * Tag bytes of the binary stanza format and O(1) lookups in the version 3 token dictionary.
 *
 * Byte values as in tulir/whatsmeow `binary/token/token.go` and jlucaso1/whatsapp-rust
 * `wacore/binary/src/token.rs` (the seed documentation's table is wrong for HEX_8 and AD_JID).
 *
 * @module
 */

import { DOUBLE_BYTE_TOKENS, SINGLE_BYTE_TOKENS } from "./token_data.ts";

export { DICT_VERSION, DOUBLE_BYTE_TOKENS, SINGLE_BYTE_TOKENS } from "./token_data.ts";

/** Empty list; also stands for a missing string (an empty JID user, a null attribute). */
export const LIST_EMPTY = 0;
/** First of the four double-byte dictionary selectors (236..239); the next byte is the index. */
export const DICTIONARY_0 = 236;
/** Second double-byte dictionary selector. */
export const DICTIONARY_1 = 237;
/** Third double-byte dictionary selector. */
export const DICTIONARY_2 = 238;
/** Fourth double-byte dictionary selector. */
export const DICTIONARY_3 = 239;
/** Interop JID: user, device (u16), integrator (u16), server. */
export const INTEROP_JID = 245;
/** Messenger JID: user, device (u16), server. */
export const FB_JID = 246;
/** Device JID: domain type (u8), device (u8), user; the server follows from the domain type. */
export const AD_JID = 247;
/** List with a one-byte size. */
export const LIST_8 = 248;
/** List with a two-byte big-endian size. */
export const LIST_16 = 249;
/** JID as a user string (or LIST_EMPTY) followed by a server string. */
export const JID_PAIR = 250;
/** Packed uppercase hexadecimal string (two characters per byte). */
export const HEX_8 = 251;
/** Raw bytes with a one-byte length. */
export const BINARY_8 = 252;
/** Raw bytes with a 20-bit length in three bytes. */
export const BINARY_20 = 253;
/** Raw bytes with a 32-bit big-endian length. */
export const BINARY_32 = 254;
/** Packed string of digits, '-' and '.' (two characters per byte). */
export const NIBBLE_8 = 255;
/** Longest string (in characters) that may be written packed. */
export const PACKED_MAX = 127;

/** AD_JID domain type of `s.whatsapp.net`. */
export const DOMAIN_WHATSAPP = 0;
/** AD_JID domain type of `lid`. */
export const DOMAIN_LID = 1;
/** AD_JID domain type of `hosted`. */
export const DOMAIN_HOSTED = 128;
/** AD_JID domain type of `hosted.lid`. */
export const DOMAIN_HOSTED_LID = 129;

/**
 * String -> token code: 1..235 for a single-byte token, `256 + dict * 256 + index` for a double-byte one.
 * A single Map keeps the encoder's "is this a token?" test to one hash lookup. No string appears in two
 * tables (checked in tests), so the order of insertion does not matter.
 */
const TOKEN_CODES: Map<string, number> = buildTokenCodes();

function buildTokenCodes(): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 1; i < SINGLE_BYTE_TOKENS.length; i++) map.set(SINGLE_BYTE_TOKENS[i], i);
  for (let d = 0; d < DOUBLE_BYTE_TOKENS.length; d++) {
    const dict = DOUBLE_BYTE_TOKENS[d];
    for (let i = 0; i < dict.length; i++) map.set(dict[i], 256 + (d << 8) + i);
  }
  return map;
}

/**
 * Internal token code of `value` (see {@link TOKEN_CODES}), or `undefined` when it is not a token.
 * The empty string is never a token: it is written as BINARY_8 0.
 */
export function tokenCode(value: string): number | undefined {
  return TOKEN_CODES.get(value);
}

/**
 * Index of `value` in the single-byte table (1..235), or `undefined`.
 *
 * @example
 * ```ts
 * import { indexOfSingleToken } from "./tokens.ts";
 * indexOfSingleToken("message"); // 19
 * ```
 */
export function indexOfSingleToken(value: string): number | undefined {
  const code = TOKEN_CODES.get(value);
  return code !== undefined && code < 256 ? code : undefined;
}

/**
 * `[dictionary, index]` of `value` in the double-byte tables, or `undefined`.
 *
 * @example
 * ```ts
 * import { indexOfDoubleByteToken } from "./tokens.ts";
 * indexOfDoubleByteToken("w:g2"); // [1, 51]
 * ```
 */
export function indexOfDoubleByteToken(value: string): [dictionary: number, index: number] | undefined {
  const code = TOKEN_CODES.get(value);
  if (code === undefined || code < 256) return undefined;
  return [(code - 256) >> 8, code & 0xff];
}
