/**
 * Error classes of the binary layer. They share the {@link BinaryError} base so a caller can catch the
 * whole layer with one `instanceof` check and still tell the cases apart.
 *
 * @module
 */

/** Base class of every error thrown by the binary layer (codec, JIDs, node helpers). */
export class BinaryError extends Error {
  /** Creates the error; subclasses set a specific {@link Error.name}. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BinaryError";
  }
}

/**
 * Malformed binary stanza: truncated data, an unknown tag byte, a token index out of range, a list that
 * cannot fit in the remaining bytes, an invalid packed nibble, invalid UTF-8, an over-limit zlib payload,
 * trailing bytes, or nesting deeper than the limit.
 *
 * @example
 * ```ts
 * import { BinaryDecodeError, decodeNode } from "./mod.ts";
 * try {
 *   decodeNode(new Uint8Array([0xf8, 0x05]));
 * } catch (e) {
 *   if (e instanceof BinaryDecodeError) console.log(e.offset, e.message);
 * }
 * ```
 */
export class BinaryDecodeError extends BinaryError {
  /**
   * Byte offset in the decoded input where the problem was found. For {@link unmarshal} of an
   * uncompressed frame this counts the flags byte; for a compressed frame it is the offset in the
   * inflated bytes (the compressed bytes have no node structure to point into).
   */
  readonly offset: number;

  /** Creates the error; the offset is appended to the message. */
  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.name = "BinaryDecodeError";
    this.offset = offset;
  }
}

/**
 * A node that cannot be represented on the wire: a tag that is not a non-empty string, an attribute value
 * that is not a string, a {@link Jid} or `undefined`, a list with more than 65,535 entries, bytes longer
 * than 2^32-1, or an output buffer that is too small.
 */
export class BinaryEncodeError extends BinaryError {
  /** Slash-separated tags from the root to the node being written, for example `iq/usync/list`. */
  readonly path: string;

  /** Creates the error; `path` locates the offending node. */
  constructor(message: string, path: string, options?: ErrorOptions) {
    super(path === "" ? message : `${message} (in <${path}>)`, options);
    this.name = "BinaryEncodeError";
    this.path = path;
  }
}

/** A string that is not a JID in any of the forms {@link Jid.parse} accepts. */
export class JidParseError extends BinaryError {
  /** The rejected input. */
  readonly input: string;

  /** Creates the error for `input`, with `reason` saying what was expected. */
  constructor(input: string, reason: string) {
    super(`invalid JID ${JSON.stringify(input)}: ${reason}`);
    this.name = "JidParseError";
    this.input = input;
  }
}

/**
 * A node attribute that is missing or does not have the expected form, raised by the typed attribute
 * getters (`attrString`, `attrInt`, `attrJid`, `attrBool`).
 */
export class NodeAttrError extends BinaryError {
  /** Tag of the node that was read. */
  readonly tag: string;
  /** Name of the attribute. */
  readonly attr: string;
  /** The attribute value that was found, or `undefined` when the attribute is missing. */
  readonly value: string | undefined;

  /** Creates the error; `expected` describes the wanted form ("an integer", "a JID", ...). */
  constructor(
    tag: string,
    attr: string,
    value: string | undefined,
    expected: string,
    options?: ErrorOptions,
  ) {
    super(
      value === undefined
        ? `<${tag}> has no "${attr}" attribute (expected ${expected})`
        : `<${tag}> attribute "${attr}" is ${JSON.stringify(value)}, expected ${expected}`,
      options,
    );
    this.name = "NodeAttrError";
    this.tag = tag;
    this.attr = attr;
    this.value = value;
  }
}
