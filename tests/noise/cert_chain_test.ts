// Certificate chain checks, each failure with the code that names it. The chains are issued here with a
// test root; the checks are whatsmeow's (handshake.go verifyServerCert, commit
// 0057a822e79a5e81584f24b3b4cabf07c2a936d0).
import assert from "node:assert/strict";
import { generateKeyPair, xeddsaSign } from "../../src/crypto/mod.ts";
import { CertChain, CertChainCertificateDetails } from "../../src/proto/mod.ts";
import {
  issueCertChain,
  type IssueCertChainOptions,
  verifyCertChain,
  WA_CERT_ROOT_PUBLIC_KEY,
} from "../../src/noise/mod.ts";
import { assertNoiseError, fill } from "./helpers.ts";

const root = generateKeyPair();
const server = generateKeyPair();
const NOW = Date.UTC(2026, 0, 15);
const clock = () => NOW;

function issue(extra: Partial<IssueCertChainOptions> = {}): Uint8Array {
  return issueCertChain({ root, serverStatic: server.publicKey, now: clock, ...extra }).certChain;
}

function verify(chain: Uint8Array, options: { staticKey?: Uint8Array; now?: number } = {}) {
  return verifyCertChain(chain, options.staticKey ?? server.publicKey, {
    trustedRoot: root.publicKey,
    now: () => options.now ?? NOW,
  });
}

Deno.test("a chain issued for the server static key verifies and reports its fields", () => {
  const intermediate = generateKeyPair();
  const chain = issueCertChain({
    root,
    serverStatic: server.publicKey,
    intermediate,
    intermediateSerial: 7,
    leafSerial: 9,
    notBefore: new Date(NOW - 1000_000),
    notAfter: new Date(NOW + 1000_000),
  });
  assert.deepEqual(chain.intermediate, intermediate);
  const verified = verify(chain.certChain);
  assert.equal(verified.intermediate.serial, 7);
  assert.equal(verified.intermediate.issuerSerial, 0);
  assert.deepEqual(verified.intermediate.key, intermediate.publicKey);
  assert.equal(verified.leaf.serial, 9);
  assert.equal(verified.leaf.issuerSerial, 7);
  assert.deepEqual(verified.leaf.key, server.publicKey);
  assert.equal(verified.leaf.notBefore, BigInt(Math.floor((NOW - 1000_000) / 1000)));
  assert.equal(verified.leaf.notAfter, BigInt(Math.floor((NOW + 1000_000) / 1000)));
});

Deno.test("WhatsApp's published root is the default trust anchor, and mutating the export changes nothing", () => {
  // whatsmeow handshake.go WACertPubKey; Baileys src/Defaults WA_CERT_DETAILS.PUBLIC_KEY.
  assert.equal(
    WA_CERT_ROOT_PUBLIC_KEY.toHex(),
    "142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b",
  );
  const chain = issue();
  // Our test root is not WhatsApp's: without trustedRoot, the chain is refused.
  assertNoiseError(
    () => verifyCertChain(chain, server.publicKey, { now: clock }),
    "cert_intermediate_signature",
  );
  // Writing our root into the exported array does not make it trusted.
  const saved = WA_CERT_ROOT_PUBLIC_KEY.slice();
  WA_CERT_ROOT_PUBLIC_KEY.set(root.publicKey);
  try {
    assertNoiseError(
      () => verifyCertChain(chain, server.publicKey, { now: clock }),
      "cert_intermediate_signature",
    );
  } finally {
    WA_CERT_ROOT_PUBLIC_KEY.set(saved);
  }
});

Deno.test("a chain signed by another root fails cert_intermediate_signature", () => {
  const chain =
    issueCertChain({ root: generateKeyPair(), serverStatic: server.publicKey, now: clock }).certChain;
  const e = assertNoiseError(() => verify(chain), "cert_intermediate_signature");
  assert.match(e.message, new RegExp(root.publicKey.toHex()));
});

Deno.test("a leaf not signed by the intermediate fails cert_leaf_signature", () => {
  const decoded = CertChain.decode(issue());
  const other = CertChain.decode(issue());
  // Leaf from another chain: signed by a different intermediate key.
  const mixed = CertChain.encode({ intermediate: decoded.intermediate, leaf: other.leaf });
  assertNoiseError(() => verify(mixed), "cert_leaf_signature");
});

Deno.test("any changed byte in either certificate's details or signature is caught", () => {
  const chain = CertChain.decode(issue());
  const cases: Array<[string, "cert_intermediate_signature" | "cert_leaf_signature"]> = [
    ["intermediate.details", "cert_intermediate_signature"],
    ["intermediate.signature", "cert_intermediate_signature"],
    ["leaf.details", "cert_leaf_signature"],
    ["leaf.signature", "cert_leaf_signature"],
  ];
  for (const [path, code] of cases) {
    const [which, field] = path.split(".") as ["intermediate" | "leaf", "details" | "signature"];
    for (const index of [0, 5, chain[which]![field]!.length - 1]) {
      const copy = structuredClone(chain);
      copy[which]![field] = copy[which]![field]!.slice();
      copy[which]![field]![index] ^= 0x01;
      assertNoiseError(() => verify(CertChain.encode(copy)), code, `${path}[${index}]`);
    }
  }
});

Deno.test("an intermediate with a nonzero issuer serial fails cert_issuer_mismatch", () => {
  const e = assertNoiseError(() => verify(issue({ intermediateIssuerSerial: 1 })), "cert_issuer_mismatch");
  assert.match(e.message, /root's \(0\), got 1/);
});

Deno.test("a leaf whose issuer serial is not the intermediate's serial fails cert_issuer_mismatch", () => {
  const e = assertNoiseError(
    () => verify(issue({ intermediateSerial: 5, leafIssuerSerial: 6 })),
    "cert_issuer_mismatch",
  );
  assert.match(e.message, /serial 5, got 6/);
});

Deno.test("a leaf for another key than the decrypted server static fails cert_key_mismatch", () => {
  assertNoiseError(() => verify(issue(), { staticKey: generateKeyPair().publicKey }), "cert_key_mismatch");
});

Deno.test("an intermediate key that is not 32 bytes fails cert_intermediate_key", () => {
  const details = CertChainCertificateDetails.encode({ serial: 1, issuerSerial: 0, key: fill(33) });
  const chain = CertChain.decode(issue());
  chain.intermediate = { details, signature: xeddsaSign(root.privateKey, details) };
  assertNoiseError(() => verify(CertChain.encode(chain)), "cert_intermediate_key");
});

Deno.test("validity windows: expired and not yet valid, for either certificate; absent fields are not checked", () => {
  const chain = issue({ notBefore: new Date(NOW - 10_000), notAfter: new Date(NOW + 10_000) });
  verify(chain, { now: NOW - 10_000 });
  verify(chain, { now: NOW + 10_000 });
  assertNoiseError(() => verify(chain, { now: NOW + 11_000 }), "cert_expired");
  assertNoiseError(() => verify(chain, { now: NOW - 11_000 }), "cert_not_yet_valid");

  // Only the leaf out of its window: the intermediate passes, the leaf does not.
  const leafOnly = (notBefore: number, notAfter: number) => {
    const good = CertChain.decode(issue());
    const intermediate = generateKeyPair();
    const details = CertChainCertificateDetails.encode({
      serial: 1,
      issuerSerial: 0,
      key: intermediate.publicKey,
    });
    const leaf = CertChainCertificateDetails.encode({
      serial: 2,
      issuerSerial: 1,
      key: server.publicKey,
      notBefore: BigInt(notBefore / 1000),
      notAfter: BigInt(notAfter / 1000),
    });
    good.intermediate = { details, signature: xeddsaSign(root.privateKey, details) };
    good.leaf = { details: leaf, signature: xeddsaSign(intermediate.privateKey, leaf) };
    return CertChain.encode(good);
  };
  const expiredLeaf = assertNoiseError(() => verify(leafOnly(NOW - 20_000, NOW - 10_000)), "cert_expired");
  assert.match(expiredLeaf.message, /leaf/);
  const futureLeaf = assertNoiseError(
    () => verify(leafOnly(NOW + 10_000, NOW + 20_000)),
    "cert_not_yet_valid",
  );
  assert.match(futureLeaf.message, /leaf/);

  const timeless = issue({ notBefore: null, notAfter: null });
  const verified = verify(timeless, { now: 0 });
  assert.equal(verified.leaf.notAfter, undefined);
});

Deno.test("malformed chains fail cert_chain_parse", () => {
  const good = CertChain.decode(issue());
  const cases: Record<string, Uint8Array> = {
    "not a protobuf": Uint8Array.of(0x0a, 0xff, 0xff),
    "empty": new Uint8Array(0),
    "no leaf": CertChain.encode({ intermediate: good.intermediate }),
    "no intermediate": CertChain.encode({ leaf: good.leaf }),
    "leaf without signature": CertChain.encode({ ...good, leaf: { details: good.leaf!.details } }),
    "short signature": CertChain.encode({
      ...good,
      intermediate: { ...good.intermediate, signature: good.intermediate!.signature!.subarray(0, 63) },
    }),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    assertNoiseError(() => verify(bytes), "cert_chain_parse", name);
  }
  // Signed details that are not a CertChainCertificateDetails: the signature is fine, the parse is not.
  const garbage = Uint8Array.of(0x0a, 0xff);
  const signedGarbage = CertChain.encode({
    ...good,
    intermediate: { details: garbage, signature: xeddsaSign(root.privateKey, garbage) },
  });
  assertNoiseError(() => verify(signedGarbage), "cert_chain_parse", "signed garbage details");
});
