/**
 * The encoder's output buffer and the writing of nodes, lists, bytes and strings.
 *
 * Strings are classified the way WhatsApp Web's encoder does it, in this order: the empty string is
 * BINARY_8 0; then a single- or double-byte token; then NIBBLE_8 packing (digits, '-', '.'); then HEX_8
 * packing (0-9, A-F); then a JID (see `jid_writer.ts`); otherwise raw UTF-8 bytes. Only strings of at
 * most {@link PACKED_MAX} characters are classified; longer ones are always raw, and so is text with
 * non-ASCII characters even when it contains an '@' (Baileys would send "josé@x" as a JID_PAIR; both
 * forms decode to the same string).
 *
 * @module
 */

import { BinaryEncodeError } from "./errors.ts";
import { Jid } from "./jid.ts";
import { knownServer, writeJid, writeJidString } from "./jid_writer.ts";
import type { NodeInput } from "./node.ts";
import {
  BINARY_20,
  BINARY_32,
  BINARY_8,
  DICTIONARY_0,
  DOUBLE_BYTE_TOKENS,
  HEX_8,
  LIST_16,
  LIST_8,
  LIST_EMPTY,
  NIBBLE_8,
  PACKED_MAX,
  SINGLE_BYTE_TOKENS,
  tokenCode,
} from "./tokens.ts";

/** Deepest nesting the encoder writes; the decoder rejects anything deeper, so there is no point. */
export const MAX_ENCODE_DEPTH = 64;

/**
 * Byte arrays at least this long are not copied into the output as it is written: their position is
 * recorded and they are copied once into an exactly sized result at the end.
 */
const DEFER_MIN = 16 * 1024;
/** Size of the slabs that small outputs are carved from. */
export const SLAB_SIZE = 64 * 1024;

/** Nibble value of each packable ASCII code, or 0xff. */
const NIBBLE_VALUE = new Uint8Array(128).fill(0xff);
/** Hex value of each packable ASCII code (uppercase only), or 0xff. */
const HEX_VALUE = new Uint8Array(128).fill(0xff);
for (let c = 48; c <= 57; c++) NIBBLE_VALUE[c] = HEX_VALUE[c] = c - 48;
NIBBLE_VALUE[45] = 10; // '-'
NIBBLE_VALUE[46] = 11; // '.'
for (let c = 65; c <= 70; c++) HEX_VALUE[c] = c - 55;

const PACK_NIBBLE = 1;
const PACK_HEX = 2;
/** For each byte: PACK_NIBBLE if a NIBBLE_8 string may contain it, PACK_HEX if a HEX_8 string may. */
const PACKABLE = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  PACKABLE[c] = (NIBBLE_VALUE[c] !== 0xff ? PACK_NIBBLE : 0) | (HEX_VALUE[c] !== 0xff ? PACK_HEX : 0);
}
/** The longest token: longer strings skip the dictionary lookup. */
const MAX_TOKEN = [...SINGLE_BYTE_TOKENS, ...DOUBLE_BYTE_TOKENS.flat()].reduce(
  (max, t) => Math.max(max, t.length),
  0,
);

/** Strings at least this long are copied with TextEncoder rather than charCodeAt. */
const BULK_COPY_MIN = 64;
/** Bytes of the string being classified (UTF-8 of up to PACKED_MAX UTF-16 units fits in 3x). */
const SCRATCH = new Uint8Array(3 * PACKED_MAX);

/**
 * The output buffer and the writing logic. Output goes to `buf[start, pos)`; when that runs out of
 * room it moves to a larger buffer (unless `fixed`, as for `marshalInto`).
 */
export class Writer {
  buf: Uint8Array;
  start = 0;
  pos = 0;
  fixed: boolean;
  /** Deferred large byte arrays: their offset from `start` (not counting earlier deferred bytes). */
  deferAt: number[] = [];
  deferData: Uint8Array[] = [];
  deferCount = 0;
  deferBytes = 0;
  /** Tags from the root to the node being written, for error messages. */
  tags: string[] = [];
  depth = 0;

  constructor(buf: Uint8Array, fixed: boolean) {
    this.buf = buf;
    this.fixed = fixed;
  }

  reset(buf: Uint8Array, start: number): void {
    this.buf = buf;
    this.start = start;
    this.pos = start;
    this.depth = 0;
    this.deferCount = 0;
    this.deferBytes = 0;
  }

  fail(message: string): never {
    throw new BinaryEncodeError(message, this.tags.slice(0, this.depth + 1).join("/"));
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  grow(n: number): void {
    const used = this.pos - this.start;
    if (this.fixed) {
      this.fail(
        `output buffer too small: need at least ${used + n} bytes, have ${this.buf.length - this.start}`,
      );
    }
    const next = new Uint8Array(Math.max(SLAB_SIZE, 2 * (used + n)));
    next.set(this.buf.subarray(this.start, this.pos));
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  /** Output with deferred arrays spliced in, as a new array of exactly the right length. */
  assemble(): Uint8Array {
    const { buf, start } = this;
    const out = new Uint8Array(this.pos - start + this.deferBytes);
    let from = 0;
    let to = 0;
    for (let i = 0; i < this.deferCount; i++) {
      const at = this.deferAt[i];
      const data = this.deferData[i];
      out.set(buf.subarray(start + from, start + at), to);
      to += at - from;
      out.set(data, to);
      to += data.length;
      from = at;
    }
    out.set(buf.subarray(start + from, this.pos), to);
    return out;
  }

  writeListStart(size: number): void {
    this.ensure(3);
    const buf = this.buf;
    if (size === 0) {
      buf[this.pos++] = LIST_EMPTY;
    } else if (size < 256) {
      buf[this.pos] = LIST_8;
      buf[this.pos + 1] = size;
      this.pos += 2;
    } else if (size <= 0xffff) {
      buf[this.pos] = LIST_16;
      buf[this.pos + 1] = size >> 8;
      buf[this.pos + 2] = size & 0xff;
      this.pos += 3;
    } else {
      this.fail(`list of ${size} entries exceeds the 65535 the format allows`);
    }
  }

  /**
   * Writes the header of a list of `size` entries into the two bytes reserved at `header` (relative to
   * `start`), moving what follows by a byte when the size needs LIST_16. A node has at least one entry
   * (its tag), so LIST_EMPTY never applies.
   */
  patchListStart(header: number, size: number): void {
    let at = this.start + header;
    if (size < 256) {
      this.buf[at] = LIST_8;
      this.buf[at + 1] = size;
      return;
    }
    if (size > 0xffff) this.fail(`list of ${size} entries exceeds the 65535 the format allows`);
    this.ensure(1);
    at = this.start + header;
    this.buf.copyWithin(at + 3, at + 2, this.pos);
    this.pos++;
    this.buf[at] = LIST_16;
    this.buf[at + 1] = size >> 8;
    this.buf[at + 2] = size & 0xff;
  }

  writeNode(node: NodeInput, depth: number): void {
    this.depth = depth - 1; // errors before the tag is known point at the parent
    if (node === null || typeof node !== "object") this.fail(`expected a node object, got ${describe(node)}`);
    const tag = node.tag;
    if (typeof tag !== "string" || tag === "") {
      this.fail(`node tag must be a non-empty string, got ${describe(tag)}`);
    }
    if (depth >= MAX_ENCODE_DEPTH) this.fail(`nesting deeper than ${MAX_ENCODE_DEPTH} levels`);
    this.tags[depth] = tag;
    this.depth = depth;
    const attrs = node.attrs;
    const content = node.content;
    // The list header needs the attribute count; rather than a counting pass over the attributes, two
    // bytes (LIST_8 and its size) are reserved and filled in afterwards. Relative to `start`, because
    // the output may move to a larger buffer while the attributes are written.
    this.ensure(2);
    const header = this.pos - this.start;
    this.pos += 2;
    this.writeString(tag);
    let count = 0;
    if (attrs !== undefined && attrs !== null) {
      for (const key in attrs) {
        const value = attrs[key];
        if (value === undefined) continue;
        count++;
        this.writeString(key);
        if (typeof value === "string") this.writeString(value);
        else if (value instanceof Jid) writeJid(this, value);
        else this.fail(`attribute "${key}" must be a string, a Jid or undefined, got ${describe(value)}`);
      }
    }
    this.patchListStart(header, 2 * count + 1 + (content === undefined ? 0 : 1));
    if (content !== undefined) {
      if (typeof content === "string") {
        this.writeString(content);
      } else if (content instanceof Uint8Array) {
        this.writeBytes(content);
      } else if (Array.isArray(content)) {
        const n = content.length;
        this.writeListStart(n);
        for (let i = 0; i < n; i++) this.writeNode(content[i], depth + 1);
      } else {
        this.fail(`content must be a string, a Uint8Array or an array of nodes, got ${describe(content)}`);
      }
    }
  }

  writeByteLength(length: number): void {
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    if (length < 256) {
      buf[p++] = BINARY_8;
      buf[p++] = length;
    } else if (length < 1 << 20) {
      buf[p++] = BINARY_20;
      buf[p++] = length >>> 16;
      buf[p++] = (length >>> 8) & 0xff;
      buf[p++] = length & 0xff;
    } else if (length <= 0xffffffff) {
      buf[p++] = BINARY_32;
      buf[p++] = length >>> 24;
      buf[p++] = (length >>> 16) & 0xff;
      buf[p++] = (length >>> 8) & 0xff;
      buf[p++] = length & 0xff;
    } else {
      this.fail(`${length} bytes exceed the 2^32-1 the format allows`);
    }
    this.pos = p;
  }

  writeBytes(data: Uint8Array): void {
    const n = data.length;
    this.writeByteLength(n);
    if (n >= DEFER_MIN && !this.fixed) {
      this.deferAt[this.deferCount] = this.pos - this.start;
      this.deferData[this.deferCount++] = data;
      this.deferBytes += n;
      return;
    }
    this.ensure(n);
    const buf = this.buf;
    const p = this.pos;
    if (n <= 32) {
      for (let i = 0; i < n; i++) buf[p + i] = data[i];
    } else {
      buf.set(data, p);
    }
    this.pos = p + n;
  }

  writeString(s: string): void {
    const len = s.length;
    if (len === 0) {
      this.ensure(2);
      this.buf[this.pos++] = BINARY_8;
      this.buf[this.pos++] = 0;
      return;
    }
    if (len > PACKED_MAX) {
      this.writeRaw(s);
      return;
    }
    // Tokens first, as in WhatsApp Web's encoder (tag names, attribute names and most short values are
    // tokens, and their hash is cached, so the lookup is the cheapest test). No token is longer than
    // MAX_TOKEN.
    if (len <= MAX_TOKEN && this.writeToken(s)) return;
    // The commonest other short string is a JID on a known server: only its user part needs reading. No
    // packed form allows an '@', so packing does not apply to it.
    let at = len < BULK_COPY_MIN ? s.indexOf("@") : -1;
    if (at > 0 && this.writeKnownJid(s, at)) return;
    at = -1;
    // Copy the characters into a scratch buffer as bytes (so later steps read bytes, not charCodeAt) and
    // find out whether they can be packed. Long strings are copied with TextEncoder: charCodeAt on a
    // concatenated (cons) or sliced string costs ~3-5 ns per character, the bulk copy ~100 ns per call
    // plus little per byte (measured on Deno 2.9).
    const scratch = SCRATCH;
    let packable = PACK_NIBBLE | PACK_HEX;
    if (len >= BULK_COPY_MIN) {
      const written = textEncoder.encodeInto(s, scratch).written;
      if (written !== len) {
        // Not ASCII, so not packable and (by our rule) not a JID.
        this.writeByteLength(written);
        this.ensure(written);
        this.buf.set(scratch.subarray(0, written), this.pos);
        this.pos += written;
        return;
      }
      for (let i = 0; i < len && packable !== 0; i++) packable &= PACKABLE[scratch[i]];
      at = s.indexOf("@");
    } else {
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          this.writeRaw(s);
          return;
        }
        if (c === 64 && at < 0) at = i;
        scratch[i] = c;
        packable &= PACKABLE[c];
      }
    }
    if (packable !== 0) {
      this.packBytes(scratch, 0, len, (packable & PACK_NIBBLE) !== 0 ? NIBBLE_8 : HEX_8);
      return;
    }
    if (at >= 0 && at !== len - 1 && s.indexOf("@", at + 1) < 0) {
      let colon = s.indexOf(":");
      if (colon > at) colon = -1;
      let digitsEnd = 0;
      while (digitsEnd < at && scratch[digitsEnd] >= 48 && scratch[digitsEnd] <= 57) digitsEnd++;
      if (writeJidString(this, s, at, colon, digitsEnd)) return;
    }
    this.ensure(2 + len);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = BINARY_8;
    buf[p++] = len;
    for (let i = 0; i < len; i++) buf[p + i] = scratch[i];
    this.pos = p + len;
  }

  /**
   * Writes `s` (with its first '@' at `at` > 0) as a JID when it is `user@server` with one '@', a known
   * server and an ASCII user part; false (nothing written) sends it down the general path. Fills the
   * scratch bytes of the user part as the general path does, for the packing that follows.
   */
  writeKnownJid(s: string, at: number): boolean {
    const len = s.length;
    if (at === len - 1 || s.indexOf("@", at + 1) >= 0) return false;
    const server = knownServer(s, at + 1);
    if (server === undefined) return false;
    const scratch = SCRATCH;
    let colon = -1;
    let digitsEnd = -1;
    for (let i = 0; i < at; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      scratch[i] = c;
      if (c < 48 || c > 57) {
        if (digitsEnd < 0) digitsEnd = i;
        if (c === 58 && colon < 0) colon = i;
      }
    }
    return writeJidString(this, s, at, colon, digitsEnd < 0 ? at : digitsEnd, server);
  }

  /** Writes `s` as its dictionary token and returns true, or returns false when it is not a token. */
  writeToken(s: string): boolean {
    const code = tokenCode(s);
    if (code === undefined) return false;
    this.ensure(2);
    if (code < 256) {
      this.buf[this.pos++] = code;
    } else {
      this.buf[this.pos++] = DICTIONARY_0 + ((code - 256) >> 8);
      this.buf[this.pos++] = code & 0xff;
    }
    return true;
  }

  /** Packs the ASCII bytes `bytes[start, end)` (at most PACKED_MAX, all valid for `type`). */
  packBytes(bytes: Uint8Array, start: number, end: number, type: number): void {
    const values = type === NIBBLE_8 ? NIBBLE_VALUE : HEX_VALUE;
    const len = end - start;
    const half = len >> 1;
    this.ensure(3 + half);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = type;
    buf[p++] = len & 1 ? (half + 1) | 0x80 : half;
    const pairsEnd = start + 2 * half;
    for (let i = start; i < pairsEnd; i += 2) buf[p++] = (values[bytes[i]] << 4) | values[bytes[i + 1]];
    if (len & 1) buf[p++] = (values[bytes[end - 1]] << 4) | 0x0f;
    this.pos = p;
  }

  /** Packs bytes `[start, end)` of the string {@link writeString} last copied (nibble characters only). */
  packScratch(start: number, end: number): void {
    this.packBytes(SCRATCH, start, end, NIBBLE_8);
  }

  /** Packs `s[start, end)` as NIBBLE_8 if every character allows it (at most PACKED_MAX); else false. */
  packNibbleString(s: string, start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || NIBBLE_VALUE[c] === 0xff) return false;
    }
    const len = end - start;
    const half = len >> 1;
    this.ensure(3 + half);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = NIBBLE_8;
    buf[p++] = len & 1 ? (half + 1) | 0x80 : half;
    const pairsEnd = start + 2 * half;
    for (let i = start; i < pairsEnd; i += 2) {
      buf[p++] = (NIBBLE_VALUE[s.charCodeAt(i)] << 4) | NIBBLE_VALUE[s.charCodeAt(i + 1)];
    }
    if (len & 1) buf[p++] = (NIBBLE_VALUE[s.charCodeAt(end - 1)] << 4) | 0x0f;
    this.pos = p;
    return true;
  }

  /** Any string as BINARY_8/20/32 + UTF-8 (lone surrogates become U+FFFD, as `TextEncoder` does). */
  writeRaw(s: string): void {
    const len = s.length;
    if (len > 0x55555555) {
      this.fail(`string of ${len} characters may exceed the 2^32-1 bytes the format allows`);
    }
    // Reserve the prefix for the smallest possible byte length, encode, then move the bytes if the
    // real length needs a longer prefix (only when the guess was wrong, which needs non-ASCII text).
    const guess = prefixSize(len);
    this.ensure(5 + 3 * len);
    const start = this.pos + guess;
    const written = encodeUtf8(s, this.buf, start);
    const actual = prefixSize(written);
    if (actual !== guess) this.buf.copyWithin(this.pos + actual, start, start + written);
    this.writeByteLength(written);
    this.pos += written;
  }
}

function prefixSize(byteLength: number): number {
  return byteLength < 256 ? 2 : byteLength < 1 << 20 ? 4 : 5;
}

const textEncoder = new TextEncoder();

/** UTF-8 encodes `s` into `buf` at `start` (room for 3 bytes per UTF-16 unit is ensured); returns the byte count. */
function encodeUtf8(s: string, buf: Uint8Array, start: number): number {
  const len = s.length;
  if (len > 64) return textEncoder.encodeInto(s, buf.subarray(start)).written;
  let p = start;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < len ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - start;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value)})`;
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value);
  }
  return `${typeof value} ${String(value)}`;
}
