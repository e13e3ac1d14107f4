/**
 * The server's certificate chain, sent encrypted in ServerHello's payload: a `CertChain` whose
 * intermediate certificate is signed by a root key and whose leaf certificate, signed by the
 * intermediate, names the server's static Noise key. Each certificate is `{ details, signature }`, where
 * `details` is an encoded `CertChainCertificateDetails` and `signature` an XEdDSA signature over exactly
 * those bytes.
 *
 * The client verifies the chain on every connection, with the checks whatsmeow makes (`handshake.go`
 * `verifyServerCert`): both signatures, the issuer serials, the key sizes, the binding of the leaf to the
 * static key of this handshake, and both validity windows. The trusted root can be replaced (a test
 * server presents its own chain) but the checks cannot be turned off.
 *
 * @module
 */

import { equalBytes, generateKeyPair, type KeyPair, xeddsaSign, xeddsaVerify } from "../crypto/mod.ts";
import { CertChain, type CertChainCertificate, CertChainCertificateDetails } from "../proto/mod.ts";
import { NoiseError } from "./errors.ts";

const WA_ROOT_HEX = "142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b";
// The default trust anchor lives here, out of reach: changing the exported copy changes nothing.
const WA_ROOT = Uint8Array.fromHex(WA_ROOT_HEX);

/**
 * WhatsApp's published root key (Curve25519, XEdDSA; issuer "WhatsAppLongTerm1"), the default trust
 * anchor of {@link verifyCertChain}. This array is a copy: writing to it does not change what is trusted.
 */
export const WA_CERT_ROOT_PUBLIC_KEY: Uint8Array = Uint8Array.fromHex(WA_ROOT_HEX);

/** The root's serial: an intermediate certificate must name it as its issuer. */
export const WA_CERT_ROOT_SERIAL = 0;

const KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;

/** The fields of one verified certificate. */
export interface CertDetails {
  /** The certificate's serial (0 when absent). */
  serial: number;
  /** The issuer's serial (0 when absent). */
  issuerSerial: number;
  /** The Curve25519 key the certificate binds. */
  key: Uint8Array;
  /** Start of validity, unix seconds, when present. */
  notBefore?: bigint;
  /** End of validity, unix seconds, when present. */
  notAfter?: bigint;
}

/** A chain that passed {@link verifyCertChain}. */
export interface VerifiedCertChain {
  /** The certificate the root signed. */
  intermediate: CertDetails;
  /** The certificate the intermediate signed; its key is the server static key. */
  leaf: CertDetails;
}

/** Options of {@link verifyCertChain}. */
export interface VerifyCertChainOptions {
  /** The root public key to trust; default {@link WA_CERT_ROOT_PUBLIC_KEY}. */
  trustedRoot?: Uint8Array;
  /** The clock for the validity checks, in epoch milliseconds; default `Date.now`. */
  now?: () => number;
}

/**
 * Verifies the server's certificate chain against the trusted root and the server static key that the
 * same handshake decrypted.
 *
 * @throws {NoiseError} naming the failed check: `cert_chain_parse`, `cert_intermediate_signature`,
 * `cert_issuer_mismatch`, `cert_intermediate_key`, `cert_leaf_signature`, `cert_key_mismatch`,
 * `cert_expired` or `cert_not_yet_valid`.
 * @example
 * ```ts
 * import { generateKeyPair } from "../crypto/mod.ts";
 * import { issueCertChain, verifyCertChain } from "./cert_chain.ts";
 * const root = generateKeyPair(), server = generateKeyPair();
 * const { certChain } = issueCertChain({ root, serverStatic: server.publicKey });
 * verifyCertChain(certChain, server.publicKey, { trustedRoot: root.publicKey }).leaf.serial; // 2
 * ```
 */
export function verifyCertChain(
  certChain: Uint8Array,
  serverStatic: Uint8Array,
  options: VerifyCertChainOptions = {},
): VerifiedCertChain {
  const root = options.trustedRoot ?? WA_ROOT;
  let chain: CertChain;
  try {
    chain = CertChain.decode(certChain);
  } catch (cause) {
    throw new NoiseError(
      "cert_chain_parse",
      `expected a CertChain protobuf (${certChain.length} bytes), decoding failed`,
      { cause },
    );
  }
  const intermediate = signedCertificate(chain.intermediate, "intermediate");
  const leaf = signedCertificate(chain.leaf, "leaf");

  // Only signed bytes are parsed: the details are decoded after their signature checks out.
  if (!xeddsaVerify(root, intermediate.details, intermediate.signature)) {
    throw new NoiseError(
      "cert_intermediate_signature",
      `expected the intermediate certificate to be signed by the trusted root ${root.toHex()}, ` +
        "the signature does not verify",
    );
  }
  const intermediateDetails = parseDetails(intermediate.details, "intermediate");
  if (intermediateDetails.issuerSerial !== WA_CERT_ROOT_SERIAL) {
    throw new NoiseError(
      "cert_issuer_mismatch",
      `expected the intermediate certificate's issuer serial to be the root's (${WA_CERT_ROOT_SERIAL}), ` +
        `got ${intermediateDetails.issuerSerial}`,
    );
  }
  if (intermediateDetails.key.length !== KEY_LENGTH) {
    throw new NoiseError(
      "cert_intermediate_key",
      `expected a ${KEY_LENGTH}-byte key in the intermediate certificate, got ${intermediateDetails.key.length} bytes`,
    );
  }
  const now = (options.now ?? Date.now)();
  checkValidity(intermediateDetails, "intermediate", now);

  if (!xeddsaVerify(intermediateDetails.key, leaf.details, leaf.signature)) {
    throw new NoiseError(
      "cert_leaf_signature",
      `expected the leaf certificate to be signed by the intermediate key ${intermediateDetails.key.toHex()}, ` +
        "the signature does not verify",
    );
  }
  const leafDetails = parseDetails(leaf.details, "leaf");
  if (leafDetails.issuerSerial !== intermediateDetails.serial) {
    throw new NoiseError(
      "cert_issuer_mismatch",
      `expected the leaf certificate's issuer serial to be the intermediate's serial ${intermediateDetails.serial}, ` +
        `got ${leafDetails.issuerSerial}`,
    );
  }
  if (!equalBytes(leafDetails.key, serverStatic)) {
    throw new NoiseError(
      "cert_key_mismatch",
      `expected the leaf certificate to bind the server static key ${serverStatic.toHex()}, ` +
        `it binds ${leafDetails.key.toHex()}`,
    );
  }
  checkValidity(leafDetails, "leaf", now);
  return { intermediate: intermediateDetails, leaf: leafDetails };
}

function signedCertificate(
  cert: CertChainCertificate | undefined,
  which: string,
): { details: Uint8Array; signature: Uint8Array } {
  if (cert === undefined) {
    throw new NoiseError("cert_chain_parse", `expected a ${which} certificate in the chain, it is absent`);
  }
  const { details, signature } = cert;
  if (details === undefined || signature === undefined) {
    throw new NoiseError(
      "cert_chain_parse",
      `expected details and signature in the ${which} certificate, ` +
        `got ${details === undefined ? "no details" : "details"} and ${
          signature === undefined ? "no signature" : "a signature"
        }`,
    );
  }
  if (signature.length !== SIGNATURE_LENGTH) {
    throw new NoiseError(
      "cert_chain_parse",
      `expected a ${SIGNATURE_LENGTH}-byte signature on the ${which} certificate, got ${signature.length} bytes`,
    );
  }
  return { details, signature };
}

function parseDetails(bytes: Uint8Array, which: string): CertDetails {
  let d: CertChainCertificateDetails;
  try {
    d = CertChainCertificateDetails.decode(bytes);
  } catch (cause) {
    throw new NoiseError(
      "cert_chain_parse",
      `expected CertChainCertificateDetails in the ${which} certificate (${bytes.length} bytes), decoding failed`,
      { cause },
    );
  }
  const details: CertDetails = {
    serial: d.serial ?? 0,
    issuerSerial: d.issuerSerial ?? 0,
    key: d.key ?? new Uint8Array(0),
  };
  if (d.notBefore !== undefined) details.notBefore = d.notBefore;
  if (d.notAfter !== undefined) details.notAfter = d.notAfter;
  return details;
}

function checkValidity(details: CertDetails, which: string, nowMs: number): void {
  const now = BigInt(Math.floor(nowMs));
  if (details.notBefore !== undefined && now < details.notBefore * 1000n) {
    throw new NoiseError(
      "cert_not_yet_valid",
      `expected the ${which} certificate to be valid now (${isoTime(now)}), it is valid from ${
        isoTime(details.notBefore * 1000n)
      }`,
    );
  }
  if (details.notAfter !== undefined && now > details.notAfter * 1000n) {
    throw new NoiseError(
      "cert_expired",
      `expected the ${which} certificate to be valid now (${isoTime(now)}), it expired at ${
        isoTime(details.notAfter * 1000n)
      }`,
    );
  }
}

function isoTime(ms: bigint): string {
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? `${ms / 1000n} s after the epoch` : date.toISOString();
}

/** Options of {@link issueCertChain}. */
export interface IssueCertChainOptions {
  /** The root key pair that signs the intermediate certificate. */
  root: KeyPair;
  /** The server static public key the leaf certificate binds. */
  serverStatic: Uint8Array;
  /** The intermediate key pair; a fresh one when absent. */
  intermediate?: KeyPair;
  /** The intermediate certificate's serial; default 1. */
  intermediateSerial?: number;
  /** The issuer serial written into the intermediate; default the root's, 0 (tests pass others). */
  intermediateIssuerSerial?: number;
  /** The leaf certificate's serial; default 2. */
  leafSerial?: number;
  /** The issuer serial written into the leaf; default the intermediate's serial (tests pass others). */
  leafIssuerSerial?: number;
  /** Start of validity for both certificates; default an hour before now. `null` leaves the field out. */
  notBefore?: Date | null;
  /** End of validity for both certificates; default a year after now. `null` leaves the field out. */
  notAfter?: Date | null;
  /** The clock for the default validity window, in epoch milliseconds; default `Date.now`. */
  now?: () => number;
}

/** What {@link issueCertChain} made. */
export interface IssuedCertChain {
  /** The encoded `CertChain`, the plaintext of ServerHello's payload. */
  certChain: Uint8Array;
  /** The intermediate key pair that signed the leaf. */
  intermediate: KeyPair;
}

/**
 * Issues a certificate chain for a responder (a test server): the root signs an intermediate certificate,
 * the intermediate signs a leaf for `serverStatic`. Issue it once per static key and send the same bytes
 * in every ServerHello.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "../crypto/mod.ts";
 * import { issueCertChain } from "./cert_chain.ts";
 * const root = generateKeyPair(), server = generateKeyPair();
 * const { certChain } = issueCertChain({ root, serverStatic: server.publicKey });
 * ```
 */
export function issueCertChain(options: IssueCertChainOptions): IssuedCertChain {
  const intermediate = options.intermediate ?? generateKeyPair();
  const now = (options.now ?? Date.now)();
  const notBefore = validityField(options.notBefore, now - 3600_000);
  const notAfter = validityField(options.notAfter, now + 365 * 86400_000);
  const intermediateSerial = options.intermediateSerial ?? 1;
  const intermediateDetails = CertChainCertificateDetails.encode({
    serial: intermediateSerial,
    issuerSerial: options.intermediateIssuerSerial ?? WA_CERT_ROOT_SERIAL,
    key: intermediate.publicKey,
    notBefore,
    notAfter,
  });
  const leafDetails = CertChainCertificateDetails.encode({
    serial: options.leafSerial ?? 2,
    issuerSerial: options.leafIssuerSerial ?? intermediateSerial,
    key: options.serverStatic,
    notBefore,
    notAfter,
  });
  const certChain = CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: xeddsaSign(options.root.privateKey, intermediateDetails),
    },
    leaf: { details: leafDetails, signature: xeddsaSign(intermediate.privateKey, leafDetails) },
  });
  return { certChain, intermediate };
}

function validityField(value: Date | null | undefined, fallbackMs: number): bigint | undefined {
  if (value === null) return undefined;
  const ms = value === undefined ? fallbackMs : value.getTime();
  return BigInt(Math.floor(ms / 1000));
}
