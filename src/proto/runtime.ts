/**
 * The protobuf wire-format runtime used by the generated modules in `src/proto/gen/`.
 *
 * Hand-written rather than borrowed from protobufjs so that unknown fields survive a decode/encode round
 * trip, 64-bit integers are `bigint`, and every decoder error is a {@linkcode ProtoDecodeError} carrying
 * the byte offset instead of a `RangeError` from deep inside a typed array.
 *
 * Bounds: a {@linkcode Reader} never allocates more than the bytes it was given justify (a length prefix
 * is checked against the remaining input before anything is read) and nesting (sub-messages and unknown
 * groups together) is limited to {@linkcode PROTO_MAX_DEPTH}.
 *
 * @module
 */

/** Deepest nesting of sub-messages (and unknown groups) that a decoder or encoder follows. */
export const PROTO_MAX_DEPTH = 100;

/** Wire type 0: varint (int32, int64, uint32, uint64, sint32, sint64, bool, enum). */
export const WIRE_VARINT = 0;
/** Wire type 1: 8 little-endian bytes (fixed64, sfixed64, double). */
export const WIRE_FIXED64 = 1;
/** Wire type 2: length-delimited (string, bytes, messages, packed repeated scalars). */
export const WIRE_LEN = 2;
/** Wire type 3: start of a (proto2) group. */
export const WIRE_START_GROUP = 3;
/** Wire type 4: end of a (proto2) group. */
export const WIRE_END_GROUP = 4;
/** Wire type 5: 4 little-endian bytes (fixed32, sfixed32, float). */
export const WIRE_FIXED32 = 5;

/**
 * Thrown when bytes are not a valid encoding of the message being decoded.
 *
 * @example
 * ```ts
 * import { ProtoDecodeError, Reader } from "./runtime.ts";
 * try {
 *   new Reader(new Uint8Array([0x80])).uint32();
 * } catch (e) {
 *   if (e instanceof ProtoDecodeError) console.log(e.offset); // 0
 * }
 * ```
 */
export class ProtoDecodeError extends Error {
  /** Byte offset in the decoded buffer where the bad input starts. */
  readonly offset: number;
  /** Fully qualified name of the message type being decoded, when known. */
  readonly typeName: string | undefined;

  /** Creates the error; `what` says what was expected and what came. */
  constructor(what: string, offset: number, typeName?: string) {
    super(`${typeName ? typeName + ": " : ""}${what} at byte ${offset}`);
    this.name = "ProtoDecodeError";
    this.offset = offset;
    this.typeName = typeName;
  }
}

/** Thrown when a message cannot be encoded (a cycle or nesting deeper than {@linkcode PROTO_MAX_DEPTH}). */
export class ProtoEncodeError extends Error {
  /** Fully qualified name of the message type being encoded. */
  readonly typeName: string;

  /** Creates the error for `typeName`. */
  constructor(what: string, typeName: string) {
    super(`${typeName}: ${what}`);
    this.name = "ProtoEncodeError";
    this.typeName = typeName;
  }
}

/**
 * Encoder and decoder for one message type, as emitted by `tools/proto_gen.ts`.
 *
 * `encode` writes known fields in field-number order followed by the raw `$unknown` chunks; `decode`
 * returns a plain object in which absent fields are `undefined` and `bytes` fields are zero-copy views
 * into the input.
 *
 * @example
 * ```ts
 * import { SignalMessage } from "./mod.ts";
 * const bytes = SignalMessage.encode({ counter: 1, ciphertext: new Uint8Array([1, 2]) });
 * console.log(SignalMessage.decode(bytes).counter); // 1
 * ```
 */
export interface MessageCodec<T> {
  /** Fully qualified protobuf name, e.g. `wadeno.proto.SignalMessage`. */
  readonly typeName: string;
  /** Encodes a message into a new buffer. */
  encode(message: T): Uint8Array;
  /** Decodes a whole buffer as one message; throws {@linkcode ProtoDecodeError} on bad input. */
  decode(bytes: Uint8Array): T;
  /** Encodes a message prefixed with its varint length. */
  encodeDelimited(message: T): Uint8Array;
  /** Decodes one varint-length-prefixed message from the start of `bytes`; returns it and the bytes consumed. */
  decodeDelimited(bytes: Uint8Array): { message: T; length: number };
  /** Writes the fields of `message` (without a length prefix) into `w`; used by generated code. */
  write(message: T, w: Writer, depth: number): void;
  /** Reads fields from `r` up to `r.end`; used by generated code. */
  read(r: Reader, depth: number): T;
}

/** Fields common to every generated message interface. */
export interface UnknownFields {
  /** Raw tag+value chunks of fields this schema does not know, re-emitted verbatim after known fields. */
  $unknown?: Uint8Array[];
}

/** Builds a {@linkcode MessageCodec} from a generated field writer and reader. */
export function codec<T>(
  typeName: string,
  write: (message: T, w: Writer, depth: number) => void,
  read: (r: Reader, depth: number) => T,
): MessageCodec<T> {
  return {
    typeName,
    write,
    read,
    encode(message: T): Uint8Array {
      const w = acquireWriter();
      try {
        write(message, w, 0);
        return w.finish();
      } finally {
        releaseWriter(w);
      }
    },
    decode(bytes: Uint8Array): T {
      return read(new Reader(bytes, typeName), 0);
    },
    encodeDelimited(message: T): Uint8Array {
      const w = new Writer();
      const start = w.fork();
      write(message, w, 0);
      w.ldelim(start);
      return w.finish();
    },
    decodeDelimited(bytes: Uint8Array): { message: T; length: number } {
      const r = new Reader(bytes, typeName);
      const len = r.length();
      r.end = r.pos + len;
      const message = read(r, 0);
      return { message, length: r.end };
    },
  };
}

// One scratch writer is kept between encodes so that an encode costs a single allocation (the exact-size
// copy returned by finish) instead of a fresh growable buffer plus the copy; the ArrayBuffer allocations, not
// the byte writing, dominate small messages. It is never exposed: results are copies. acquire/release make a
// re-entrant encode (a getter on the message calling encode) fall back to a fresh writer.
let scratch: Writer | undefined;
const SCRATCH_MAX = 1 << 16;

function acquireWriter(): Writer {
  const w = scratch;
  if (w === undefined) return new Writer(256);
  scratch = undefined;
  w.pos = 0;
  return w;
}

function releaseWriter(w: Writer): void {
  if (w.buf.length <= SCRATCH_MAX) scratch = w;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const TWO_32 = 4294967296;

/**
 * Cursor over a protobuf buffer. Every read is bounded by {@linkcode Reader.end}, which generated code
 * narrows to the extent of the sub-message being decoded.
 */
export class Reader {
  /** The whole input. */
  readonly buf: Uint8Array;
  /** Offset of the next byte to read. */
  pos: number;
  /** Offset just past the message currently being decoded. */
  end: number;
  /** Name of the outermost message type, for error messages. */
  readonly typeName: string | undefined;
  #view: DataView | undefined;

  /** Creates a reader over all of `buf`. */
  constructor(buf: Uint8Array, typeName?: string) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.typeName = typeName;
  }

  /** Builds a {@linkcode ProtoDecodeError} for this input. */
  error(what: string, offset: number = this.pos): ProtoDecodeError {
    return new ProtoDecodeError(what, offset, this.typeName);
  }

  /** Reads a varint and returns its low 32 bits as an unsigned number (also used for tags). */
  uint32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.#varint32Slow() >>> 0;
  }

  /** Reads a varint as a signed 32-bit number (negative int32 values use all 10 bytes on the wire). */
  int32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.#varint32Slow() | 0;
  }

  /** Reads a zigzag-encoded sint32. */
  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** Reads a varint bool; any non-zero value is `true`. */
  bool(): boolean {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b !== 0;
      }
    }
    const lo = this.#varint32Slow();
    // The high word was consumed and discarded by the slow path; a bool with only high bits set is
    // unusual enough that treating it by its low bits is acceptable (protobufjs does the same).
    return lo !== 0;
  }

  #varint32Slow(): number {
    const buf = this.buf;
    const start = this.pos;
    const end = this.end;
    let pos = start;
    let result = 0;
    for (let shift = 0; shift < 32; shift += 7) {
      if (pos >= end) throw this.error("truncated varint", start);
      const b = buf[pos++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    // Bytes 6..10 only carry bits above 32; skip them but still bound the varint to 10 bytes.
    for (let i = 5; i < 10; i++) {
      if (pos >= end) throw this.error("truncated varint", start);
      if (buf[pos++] < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    throw this.error("varint longer than 10 bytes", start);
  }

  /** Reads a varint into [low 32 bits, high 32 bits] as unsigned numbers. */
  #varint64(): [number, number] {
    const buf = this.buf;
    const start = this.pos;
    const end = this.end;
    let pos = start;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= end) throw this.error("truncated varint", start);
      b = buf[pos++];
      lo |= (b & 0x7f) << (i * 7);
      if (b < 0x80) {
        this.pos = pos;
        return [lo >>> 0, 0];
      }
    }
    if (pos >= end) throw this.error("truncated varint", start);
    b = buf[pos++];
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
      this.pos = pos;
      return [lo >>> 0, hi];
    }
    for (let i = 0; i < 5; i++) {
      if (pos >= end) throw this.error("truncated varint", start);
      b = buf[pos++];
      hi |= (b & 0x7f) << (i * 7 + 3);
      if (b < 0x80) {
        this.pos = pos;
        return [lo >>> 0, hi >>> 0];
      }
    }
    throw this.error("varint longer than 10 bytes", start);
  }

  /** Reads a varint as an unsigned 64-bit `bigint`. */
  uint64(): bigint {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return BigInt(b);
      }
    }
    const [lo, hi] = this.#varint64();
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reads a varint as a signed 64-bit `bigint` (two's complement). */
  int64(): bigint {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return BigInt(b);
      }
    }
    const [lo, hi] = this.#varint64();
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** Reads a zigzag-encoded sint64 as a `bigint`. */
  sint64(): bigint {
    const n = this.uint64();
    return (n >> 1n) ^ -(n & 1n);
  }

  #need(n: number): number {
    const pos = this.pos;
    if (n > this.end - pos) {
      throw this.error(`expected ${n} bytes but only ${this.end - pos} remain`, pos);
    }
    this.pos = pos + n;
    return pos;
  }

  /** Reads 4 little-endian bytes as an unsigned number. */
  fixed32(): number {
    const p = this.#need(4);
    const b = this.buf;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Reads 4 little-endian bytes as a signed number. */
  sfixed32(): number {
    const p = this.#need(4);
    const b = this.buf;
    return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  }

  /** Reads 8 little-endian bytes as an unsigned `bigint`. */
  fixed64(): bigint {
    const lo = this.fixed32();
    const hi = this.fixed32();
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reads 8 little-endian bytes as a signed `bigint`. */
  sfixed64(): bigint {
    const lo = this.fixed32();
    const hi = this.fixed32();
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  #dataView(): DataView {
    return this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Reads a little-endian IEEE-754 single. */
  float(): number {
    const p = this.#need(4);
    return this.#dataView().getFloat32(p, true);
  }

  /** Reads a little-endian IEEE-754 double. */
  double(): number {
    const p = this.#need(8);
    return this.#dataView().getFloat64(p, true);
  }

  /** Reads a length prefix and checks it against the bytes that remain. */
  length(): number {
    const start = this.pos;
    let len: number;
    const b = start < this.end ? this.buf[start] : 0x80;
    if (b < 0x80) {
      this.pos = start + 1;
      len = b;
    } else {
      const [lo, hi] = this.#varint64();
      if (hi !== 0) throw this.error(`length ${hi * TWO_32 + lo} exceeds the input`, start);
      len = lo;
    }
    if (len > this.end - this.pos) {
      throw this.error(`length ${len} exceeds the ${this.end - this.pos} bytes that remain`, start);
    }
    return len;
  }

  /** Reads a length-delimited field as a zero-copy view into the input. */
  bytes(): Uint8Array {
    const len = this.length();
    const p = this.pos;
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  /** Reads a length-delimited UTF-8 string (invalid sequences become U+FFFD). */
  string(): string {
    const len = this.length();
    const buf = this.buf;
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    if (len < 32) {
      // Short ASCII strings are the common case (JIDs, ids, mimetypes); building them directly beats a
      // TextDecoder call. Anything non-ASCII falls through to the decoder.
      let s = "";
      let i = start;
      for (; i < end; i++) {
        const c = buf[i];
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === end) return s;
    }
    return decoder.decode(buf.subarray(start, end));
  }

  /** Decodes a length-delimited sub-message with `read`, bounding it to its length prefix. */
  message<T>(read: (r: Reader, depth: number) => T, depth: number): T {
    if (depth >= PROTO_MAX_DEPTH) throw this.error(`nesting deeper than ${PROTO_MAX_DEPTH}`);
    const len = this.length();
    const outer = this.end;
    this.end = this.pos + len;
    const value = read(this, depth + 1);
    this.end = outer;
    return value;
  }

  /**
   * Reads a packed repeated scalar field, calling `one` for each element until the packed run ends.
   * Elements are pushed onto `into`.
   */
  packed<T>(into: T[], one: (r: Reader) => T): T[] {
    const len = this.length();
    const outer = this.end;
    this.end = this.pos + len;
    while (this.pos < this.end) into.push(one(this));
    this.end = outer;
    return into;
  }

  /** Throws the error for a known field that arrived with the wrong wire type. */
  wrongWireType(tag: number, start: number): never {
    throw this.error(
      `field ${tag >>> 3} arrived with wire type ${tag & 7}, which does not match its declared type`,
      start,
    );
  }

  /**
   * Skips the value of an unknown field whose tag (starting at `start`) was just read, and returns the raw
   * tag+value bytes as a zero-copy view so they can be re-emitted verbatim.
   */
  unknown(tag: number, start: number, depth: number): Uint8Array {
    this.skip(tag, start, depth);
    return this.buf.subarray(start, this.pos);
  }

  /** Tag+varint bytes for an unknown closed-enum value found inside a packed run (stored unpacked). */
  static varintField(field: number, value: number): Uint8Array {
    const w = new Writer(16);
    w.uint32(field << 3);
    w.int32(value);
    return w.finish();
  }

  /** Skips the value of a field whose tag was just read. */
  skip(tag: number, start: number, depth: number): void {
    const field = tag >>> 3;
    if (field === 0) throw this.error("field number 0 is invalid", start);
    switch (tag & 7) {
      case WIRE_VARINT:
        this.#skipVarint();
        return;
      case WIRE_FIXED64:
        this.#need(8);
        return;
      case WIRE_LEN: {
        const len = this.length();
        this.pos += len;
        return;
      }
      case WIRE_START_GROUP: {
        if (depth >= PROTO_MAX_DEPTH) throw this.error(`nesting deeper than ${PROTO_MAX_DEPTH}`, start);
        for (;;) {
          if (this.pos >= this.end) throw this.error(`group ${field} is not closed`, start);
          const innerStart = this.pos;
          const inner = this.uint32();
          if ((inner & 7) === WIRE_END_GROUP) {
            if (inner >>> 3 !== field) {
              throw this.error(`group ${field} closed by end-group tag for field ${inner >>> 3}`, innerStart);
            }
            return;
          }
          this.skip(inner, innerStart, depth + 1);
        }
      }
      case WIRE_FIXED32:
        this.#need(4);
        return;
      case WIRE_END_GROUP:
        throw this.error(`unexpected end-group tag for field ${field}`, start);
      default:
        throw this.error(`invalid wire type ${tag & 7} for field ${field}`, start);
    }
  }

  #skipVarint(): void {
    const start = this.pos;
    const end = this.end;
    const buf = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw this.error("truncated varint", start);
      if (buf[this.pos++] < 0x80) return;
    }
    throw this.error("varint longer than 10 bytes", start);
  }
}

/**
 * Growable output buffer. Sub-messages reserve one byte for their length ({@linkcode Writer.fork}) and
 * shift their body in the rare case the length needs more ({@linkcode Writer.ldelim}), so a message is
 * encoded in one pass without a size pre-computation.
 */
export class Writer {
  /** Current backing buffer (grows by doubling). */
  buf: Uint8Array;
  /** Number of bytes written. */
  pos: number;
  #view: DataView | undefined;

  /** Creates a writer with `capacity` bytes preallocated. */
  constructor(capacity = 128) {
    this.buf = new Uint8Array(capacity);
    this.pos = 0;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.#view = undefined;
  }

  /** Returns a copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Writes one byte (a tag below 128, or a small value). */
  byte(b: number): void {
    if (this.pos >= this.buf.length) this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** Writes raw bytes. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Writes an unsigned 32-bit varint (tags, lengths, uint32). */
  uint32(value: number): void {
    let v = value >>> 0;
    this.reserve(5);
    const buf = this.buf;
    let pos = this.pos;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** Writes an int32 varint: negative values are sign-extended to 10 bytes as the spec requires. */
  int32(value: number): void {
    if (value >= 0) this.uint32(value);
    else this.#varint64(value >>> 0, 0xffffffff);
  }

  /** Writes a zigzag sint32. */
  sint32(value: number): void {
    this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Writes a bool as a one-byte varint. */
  bool(value: boolean): void {
    this.byte(value ? 1 : 0);
  }

  #varint64(lo: number, hi: number): void {
    this.reserve(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** Writes a 64-bit varint (int64/uint64). Accepts a `bigint`, or a safe-integer `number`. */
  int64(value: bigint | number): void {
    if (typeof value === "number" && value >= 0 && value <= 0xffffffff && Number.isInteger(value)) {
      this.uint32(value);
      return;
    }
    const v = BigInt.asUintN(64, BigInt(value));
    this.#varint64(Number(v & 0xffffffffn), Number(v >> 32n));
  }

  /** Writes a zigzag sint64. Accepts a `bigint`, or a safe-integer `number`. */
  sint64(value: bigint | number): void {
    const v = BigInt.asIntN(64, BigInt(value));
    const z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.#varint64(Number(z & 0xffffffffn), Number(z >> 32n));
  }

  /** Writes 4 little-endian bytes. */
  fixed32(value: number): void {
    this.reserve(4);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value;
    buf[p + 1] = value >>> 8;
    buf[p + 2] = value >>> 16;
    buf[p + 3] = value >>> 24;
    this.pos = p + 4;
  }

  /** Writes 8 little-endian bytes (fixed64/sfixed64). Accepts a `bigint`, or a safe-integer `number`. */
  fixed64(value: bigint | number): void {
    const v = BigInt.asUintN(64, BigInt(value));
    this.fixed32(Number(v & 0xffffffffn));
    this.fixed32(Number(v >> 32n));
  }

  #dataView(): DataView {
    return this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Writes a little-endian IEEE-754 single. */
  float(value: number): void {
    this.reserve(4);
    this.#dataView().setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  /** Writes a little-endian IEEE-754 double. */
  double(value: number): void {
    this.reserve(8);
    this.#dataView().setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Writes a length-prefixed byte string. */
  bytes(value: Uint8Array): void {
    const len = value.length;
    this.uint32(len);
    this.reserve(len);
    this.buf.set(value, this.pos);
    this.pos += len;
  }

  /** Writes a length-prefixed UTF-8 string (lone surrogates become U+FFFD, as TextEncoder does). */
  string(value: string): void {
    const n = value.length;
    if (n < 43) {
      // At most 3 bytes per UTF-16 unit, so the length fits one varint byte: encode ASCII inline.
      this.reserve(1 + n * 3);
      const buf = this.buf;
      const lenPos = this.pos;
      let p = lenPos + 1;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          const r = encoder.encodeInto(value, buf.subarray(lenPos + 1));
          buf[lenPos] = r.written;
          this.pos = lenPos + 1 + r.written;
          return;
        }
        buf[p++] = c;
      }
      buf[lenPos] = n;
      this.pos = p;
      return;
    }
    const start = this.fork();
    this.reserve(n * 3);
    const r = encoder.encodeInto(value, this.buf.subarray(this.pos));
    this.pos += r.written;
    this.ldelim(start);
  }

  /** Reserves one byte for a length prefix and returns the position to pass to {@linkcode Writer.ldelim}. */
  fork(): number {
    this.byte(0);
    return this.pos;
  }

  /** Writes the length of everything since `start` into the prefix reserved by {@linkcode Writer.fork}. */
  ldelim(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0x7f; v >>>= 7) extra++;
    extra++;
    this.reserve(extra);
    const buf = this.buf;
    buf.copyWithin(start + extra, start, this.pos);
    let p = start - 1;
    let v = len;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.pos += extra;
  }
}
