/**
 * Business verified names: the `<verified_name>` bytes of a usync `<business>` answer (and of message
 * stanzas) hold a `VerifiedNameCertificate` whose `details` field is itself an encoded
 * `VerifiedNameCertificate.Details`. Field numbers from whatsmeow proto/waVnameCert
 * (WAWebProtobufsVnameCert.proto): certificate `details`=1, `signature`=2, `serverSignature`=3;
 * details `serial`=1, `issuer`=2, `verifiedName`=4, `issueTime`=10. Only those fields are read; the
 * signatures are not verified (their keys are not published).
 *
 * @module
 */

import { Reader, Writer } from "../proto/mod.ts";

/** What a verified-name certificate says. */
export interface VerifiedName {
  /** The business's verified name. */
  name: string;
  /** The certificate serial. */
  serial?: bigint;
  /** Who issued it (`smb:wa`, `ent:wa`, ...). */
  issuer?: string;
  /** When it was issued (Unix seconds), when given. */
  issueTime?: bigint;
}

const WIRE_LEN = 2;
const WIRE_VARINT = 0;

function readFields(
  bytes: Uint8Array,
  typeName: string,
  onField: (field: number, wire: number, r: Reader) => boolean,
) {
  const r = new Reader(bytes, typeName);
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.uint32();
    if (!onField(tag >>> 3, tag & 7, r)) r.skip(tag, start, 0);
  }
}

/**
 * Decodes a `VerifiedNameCertificate` (and its nested details); throws `ProtoDecodeError` on bytes that
 * are not one, and returns `undefined` when the details carry no name.
 */
export function decodeVerifiedName(certificate: Uint8Array): VerifiedName | undefined {
  let details: Uint8Array | undefined;
  readFields(certificate, "VerifiedNameCertificate", (field, wire, r) => {
    if (field === 1 && wire === WIRE_LEN) {
      details = r.bytes();
      return true;
    }
    return false;
  });
  if (!details) return undefined;
  const out: Partial<VerifiedName> = {};
  readFields(details, "VerifiedNameCertificate.Details", (field, wire, r) => {
    if (field === 1 && wire === WIRE_VARINT) out.serial = r.uint64();
    else if (field === 2 && wire === WIRE_LEN) out.issuer = r.string();
    else if (field === 4 && wire === WIRE_LEN) out.name = r.string();
    else if (field === 10 && wire === WIRE_VARINT) out.issueTime = r.uint64();
    else return false;
    return true;
  });
  return out.name ? out as VerifiedName : undefined;
}

/** Encodes a certificate for `name` (unsigned: FakeWhatsApp's business accounts use it). */
export function encodeVerifiedName(
  name: VerifiedName,
  signature: Uint8Array = new Uint8Array(64),
): Uint8Array {
  const d = new Writer();
  if (name.serial !== undefined) {
    d.byte(8);
    d.int64(name.serial);
  }
  if (name.issuer !== undefined) {
    d.byte(18);
    d.string(name.issuer);
  }
  d.byte(34);
  d.string(name.name);
  if (name.issueTime !== undefined) {
    d.byte(80);
    d.int64(name.issueTime);
  }
  const c = new Writer();
  c.byte(10);
  c.bytes(d.finish());
  c.byte(18);
  c.bytes(signature);
  return c.finish();
}
