/**
 * Self-signed TLS certificates made at run time, so FakeWhatsApp's media server speaks real HTTPS and a
 * client trusts it by CA certificate (`Deno.createHttpClient({ caCerts: [caCert] })`), never by turning
 * verification off.
 *
 * Two certificates, both ECDSA P-256 with SHA-256 (WebCrypto keys, a small DER writer for X.509 v3, RFC
 * 5280): a CA (`basicConstraints` CA, `keyUsage` keyCertSign) that clients trust, and a server certificate
 * it signs for `127.0.0.1`, `::1` and `localhost` (`subjectAltName`, `extendedKeyUsage` serverAuth). The
 * split matters: rustls (Deno's TLS) refuses a CA certificate presented as the server's own.
 * No dependency: an npm X.509 package would add more code than the ~150 lines here.
 *
 * @module
 */

/** PEM certificates and key for a local HTTPS server. */
export interface TlsCertificate {
  /** The CA certificate to trust (PEM). */
  caCert: string;
  /** The server certificate chain, server first, then the CA (PEM): `Deno.serve`'s `cert`. */
  cert: string;
  /** The server's private key (PKCS#8 PEM): `Deno.serve`'s `key`. */
  key: string;
}

/** Options of {@link generateTlsCertificate}. */
export interface TlsCertificateOptions {
  /** Extra DNS names for the server certificate (always includes `localhost`). */
  dnsNames?: string[];
  /** Extra IPv4 addresses (always includes 127.0.0.1). */
  ipAddresses?: string[];
  /** Validity in days from now (default 7; starts one hour in the past against clock skew). */
  days?: number;
  /** Common name of the CA. */
  caName?: string;
}

// --- DER (ITU-T X.690) ---

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const header: number[] = [tag];
  if (length < 0x80) header.push(length);
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header.push(0x80 | bytes.length, ...bytes);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Uint8Array[]) => tlv(0xa0 | n, ...parts);
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);
const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const bool = (v: boolean) => tlv(0x01, new Uint8Array([v ? 0xff : 0]));
const bitString = (bytes: Uint8Array) => tlv(0x03, new Uint8Array([0]), bytes);

/** A one-byte named-bit BIT STRING (keyUsage): DER drops trailing zero bits (X.690 §11.2.2). */
function namedBits(bits: number): Uint8Array {
  let unused = 0;
  while (unused < 7 && ((bits >> unused) & 1) === 0) unused++;
  return tlv(0x03, new Uint8Array([unused, bits]));
}

/** A non-negative INTEGER from big-endian magnitude bytes. */
function integer(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  return body[0] & 0x80 ? tlv(0x02, new Uint8Array([0]), body) : tlv(0x02, body);
}

function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out: number[] = [a * 40 + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(out));
}

/** UTCTime (YYMMDDHHMMSSZ) before 2050, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  const year = date.getUTCFullYear();
  return year < 2050
    ? tlv(0x17, new TextEncoder().encode(iso.slice(2)))
    : tlv(0x18, new TextEncoder().encode(iso));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function name(commonName: string): Uint8Array {
  return seq(
    set(seq(oid("2.5.4.3"), utf8(commonName))),
    set(seq(oid("2.5.4.10"), utf8("wadeno FakeWhatsApp"))),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function ipBytes(address: string): Uint8Array {
  if (address === "::1") return new Uint8Array([...new Array(15).fill(0), 1]);
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new TypeError(`expected an IPv4 address or ::1, got ${address}`);
  }
  return new Uint8Array(parts);
}

/** IEEE P1363 r‖s (WebCrypto's ECDSA output) to the DER `Ecdsa-Sig-Value` X.509 wants (RFC 3279 §2.2.3). */
function derSignature(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return seq(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

function pem(label: string, der: Uint8Array): string {
  const b64 = der.toBase64();
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

const EC_PARAMS: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };

interface CertificateSpec {
  subject: Uint8Array;
  issuer: Uint8Array;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  extensions: Uint8Array[];
}

async function certificate(spec: CertificateSpec): Promise<Uint8Array> {
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", spec.publicKey));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  const tbs = seq(
    explicit(0, tlv(0x02, new Uint8Array([2]))), // v3
    integer(serial),
    ECDSA_SHA256,
    spec.issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spki,
    explicit(3, seq(...spec.extensions)),
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, spec.signingKey, tbs),
  );
  return seq(tbs, ECDSA_SHA256, bitString(derSignature(signature)));
}

/**
 * Makes a CA and a server certificate for local addresses. Takes a few milliseconds.
 *
 * @example
 * ```ts
 * import { generateTlsCertificate } from "./tls_cert.ts";
 * const tls = await generateTlsCertificate();
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen() {} },
 *   () => new Response("ok"),
 * );
 * using client = Deno.createHttpClient({ caCerts: [tls.caCert] });
 * const response = await fetch(`https://127.0.0.1:${server.addr.port}/`, { client });
 * await response.text(); // "ok", over verified TLS
 * ```
 */
export async function generateTlsCertificate(options: TlsCertificateOptions = {}): Promise<TlsCertificate> {
  const ca = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const leaf = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const now = Date.now();
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(now + (options.days ?? 7) * 86400_000);
  const caName = name(options.caName ?? "wadeno test CA");
  const caDer = await certificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension("2.5.29.19", true, seq(bool(true))), // basicConstraints: CA
      extension("2.5.29.15", true, namedBits(0x06)), // keyUsage: keyCertSign, cRLSign
    ],
  });
  const dns = ["localhost", ...(options.dnsNames ?? [])];
  const ips = ["127.0.0.1", "::1", ...(options.ipAddresses ?? [])];
  const altNames = seq(
    ...dns.map((d) => tlv(0x82, new TextEncoder().encode(d))),
    ...ips.map((ip) => tlv(0x87, ipBytes(ip))),
  );
  const leafDer = await certificate({
    subject: name("127.0.0.1"),
    issuer: caName,
    publicKey: leaf.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension("2.5.29.19", true, seq()), // basicConstraints: not a CA
      extension("2.5.29.15", true, namedBits(0x80)), // keyUsage: digitalSignature
      extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
      extension("2.5.29.17", false, altNames),
    ],
  });
  const key = new Uint8Array(await crypto.subtle.exportKey("pkcs8", leaf.privateKey));
  const caCert = pem("CERTIFICATE", caDer);
  return { caCert, cert: pem("CERTIFICATE", leafDer) + caCert, key: pem("PRIVATE KEY", key) };
}
