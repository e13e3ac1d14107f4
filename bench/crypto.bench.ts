// The record of why each crypto primitive uses the backend it uses (src/crypto/*.ts cite these groups).
// Run: deno bench --allow-read --allow-env --allow-sys bench/crypto.bench.ts
import { Buffer } from "node:buffer";
import * as node from "node:crypto";
import { cbc, ctr, gcm } from "@noble/ciphers/aes.js";
import { ed25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { md5 as nobleMd5 } from "@noble/hashes/legacy.js";
import { pbkdf2Async as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import * as libsignal from "npm:/libsignal@6.0.0/src/curve.js";
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCtr,
  aesGcmDecrypt,
  aesGcmEncrypt,
  aesGcmEncryptAsync,
  generateKeyPair,
  hkdf,
  hmacSha256,
  keyPairFromPrivateKey,
  md5,
  pbkdf2Sha256,
  prefixPublicKey,
  sha256,
  sha512,
  x25519,
  xeddsaSign,
  xeddsaVerify,
} from "../src/crypto/mod.ts";

/** Random bench input, typed as ArrayBuffer-backed so WebCrypto accepts it too. */
function random(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

// ---- Curve25519 ----

const alice = generateKeyPair();
const bob = generateKeyPair();
const PKCS8_X25519 = Uint8Array.fromHex("302e020100300506032b656e04220420");
const webAlicePrivate = await crypto.subtle.importKey(
  "pkcs8",
  new Uint8Array([...PKCS8_X25519, ...alice.privateKey]),
  { name: "X25519" },
  false,
  ["deriveBits"],
);
const bobPublic = new Uint8Array(bob.publicKey);

Deno.bench("x25519 ours (private KeyObject cached)", { group: "X25519" }, () => {
  x25519(alice.privateKey, bob.publicKey);
});
Deno.bench("x25519 ours (fresh private key array: cache miss)", { group: "X25519" }, () => {
  x25519(new Uint8Array(alice.privateKey), bob.publicKey);
});
Deno.bench("x25519 WebCrypto (async, private CryptoKey cached)", { group: "X25519" }, async () => {
  const peer = await crypto.subtle.importKey("raw", bobPublic, { name: "X25519" }, false, []);
  await crypto.subtle.deriveBits({ name: "X25519", public: peer }, webAlicePrivate, 256);
});
Deno.bench("x25519 @noble/curves", { group: "X25519", baseline: true }, () => {
  nobleX25519.getSharedSecret(alice.privateKey, bob.publicKey);
});

const seed = random(32);
Deno.bench("keyPairFromPrivateKey ours", { group: "X25519 public key" }, () => {
  keyPairFromPrivateKey(seed);
});
Deno.bench("getPublicKey @noble/curves", { group: "X25519 public key", baseline: true }, () => {
  nobleX25519.getPublicKey(seed);
});

const message = random(100);
const libsignalPrivate = Buffer.from(alice.privateKey);
const libsignalPublic = Buffer.from(prefixPublicKey(alice.publicKey));
const libsignalMessage = Buffer.from(message);
const signature = xeddsaSign(alice.privateKey, message);
const libsignalSignature = Buffer.from(signature);

Deno.bench("xeddsaSign ours (signing key cached)", { group: "XEdDSA sign" }, () => {
  xeddsaSign(alice.privateKey, message);
});
Deno.bench("xeddsaSign ours (fresh private key array: cache miss)", { group: "XEdDSA sign" }, () => {
  xeddsaSign(new Uint8Array(alice.privateKey), message);
});
Deno.bench("calculateSignature libsignal (curve25519-js)", { group: "XEdDSA sign", baseline: true }, () => {
  libsignal.calculateSignature(libsignalPrivate, libsignalMessage);
});

// The same cofactorless check done with @noble/curves point arithmetic instead of node:crypto's Ed25519.
const { Point } = ed25519;
function nobleXeddsaVerify(u: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const Fp = Point.Fp;
  const x = BigInt("0x" + u.toReversed().toHex());
  const encodedA = Fp.toBytes(Fp.div(Fp.sub(x, 1n), Fp.add(x, 1n)));
  encodedA[31] |= sig[63] & 0x80;
  const sBytes = sig.slice(32);
  sBytes[31] &= 0x7f;
  const s = BigInt("0x" + sBytes.toReversed().toHex());
  const A = Point.fromBytes(encodedA);
  const h = BigInt(
    "0x" +
      new Uint8Array(nobleSha512(new Uint8Array([...sig.subarray(0, 32), ...encodedA, ...msg])))
        .toReversed().toHex(),
  ) %
    Point.Fn.ORDER;
  return Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(h)).toBytes().toHex() ===
    sig.subarray(0, 32).toHex();
}
if (!nobleXeddsaVerify(alice.publicKey, message, signature)) {
  throw new Error("bench reference verify is broken");
}

Deno.bench("xeddsaVerify ours (verifying key cached)", { group: "XEdDSA verify" }, () => {
  xeddsaVerify(alice.publicKey, message, signature);
});
Deno.bench("xeddsaVerify ours (fresh public key array: cache miss)", { group: "XEdDSA verify" }, () => {
  xeddsaVerify(new Uint8Array(alice.publicKey), message, signature);
});
Deno.bench("same equation on @noble/curves points", { group: "XEdDSA verify" }, () => {
  nobleXeddsaVerify(alice.publicKey, message, signature);
});
Deno.bench("verifySignature libsignal (curve25519-js)", { group: "XEdDSA verify", baseline: true }, () => {
  libsignal.verifySignature(libsignalPublic, libsignalMessage, libsignalSignature);
});

// ---- AES ----

const aesKey = random(32);
const iv12 = random(12);
const iv16 = random(16);
const webGcmKey = await crypto.subtle.importKey("raw", aesKey, "AES-GCM", false, ["encrypt", "decrypt"]);
const webCbcKey = await crypto.subtle.importKey("raw", aesKey, "AES-CBC", false, ["encrypt"]);
const webCtrKey = await crypto.subtle.importKey("raw", aesKey, "AES-CTR", false, ["encrypt"]);

for (const [label, size] of [["200 B", 200], ["16 KiB", 16 << 10], ["1 MiB", 1 << 20]] as const) {
  const group = `AES-256-GCM ${label}`;
  const plaintext = random(size);
  const sealed = aesGcmEncrypt(aesKey, iv12, plaintext);
  Deno.bench(`gcm encrypt ours sync (node:crypto) ${label}`, { group }, () => {
    aesGcmEncrypt(aesKey, iv12, plaintext);
  });
  Deno.bench(`gcm decrypt ours sync (node:crypto) ${label}`, { group }, () => {
    aesGcmDecrypt(aesKey, iv12, sealed);
  });
  Deno.bench(`gcm encrypt ours async ${label}`, { group }, async () => {
    await aesGcmEncryptAsync(aesKey, iv12, plaintext);
  });
  Deno.bench(`gcm encrypt @noble/ciphers ${label}`, { group }, () => {
    gcm(aesKey, iv12).encrypt(plaintext);
  });
  Deno.bench(`gcm encrypt WebCrypto (CryptoKey cached) ${label}`, { group, baseline: true }, async () => {
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv12 }, webGcmKey, plaintext);
  });
}

for (const [label, size] of [["200 B", 200], ["16 KiB", 16 << 10]] as const) {
  const group = `AES-256-CBC ${label}`;
  const plaintext = random(size);
  const ciphertext = aesCbcEncrypt(aesKey, iv16, plaintext);
  Deno.bench(`cbc encrypt ours (node:crypto) ${label}`, { group }, () => {
    aesCbcEncrypt(aesKey, iv16, plaintext);
  });
  Deno.bench(`cbc decrypt ours (node:crypto) ${label}`, { group }, () => {
    aesCbcDecrypt(aesKey, iv16, ciphertext);
  });
  Deno.bench(`cbc encrypt @noble/ciphers ${label}`, { group }, () => {
    cbc(aesKey, iv16).encrypt(plaintext);
  });
  Deno.bench(`cbc encrypt WebCrypto (CryptoKey cached) ${label}`, { group, baseline: true }, async () => {
    await crypto.subtle.encrypt({ name: "AES-CBC", iv: iv16 }, webCbcKey, plaintext);
  });
}

{
  const group = "AES-256-CTR 16 KiB";
  const data = random(16 << 10);
  Deno.bench("ctr ours (node:crypto) 16 KiB", { group }, () => {
    aesCtr(aesKey, iv16, data);
  });
  Deno.bench("ctr @noble/ciphers 16 KiB", { group }, () => {
    ctr(aesKey, iv16).encrypt(data);
  });
  Deno.bench("ctr WebCrypto (CryptoKey cached) 16 KiB", { group, baseline: true }, async () => {
    await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv16, length: 128 }, webCtrKey, data);
  });
}

// ---- Hashes and MACs ----

const macKey = random(32);
const webHmacKey = await crypto.subtle.importKey("raw", macKey, { name: "HMAC", hash: "SHA-256" }, false, [
  "sign",
]);
for (const [label, size] of [["200 B", 200], ["4 KiB", 4096]] as const) {
  const group = `HMAC-SHA256 ${label}`;
  const data = random(size);
  Deno.bench(`hmacSha256 ours ${label}`, { group }, () => {
    hmacSha256(macKey, data);
  });
  Deno.bench(`createHmac node:crypto ${label}`, { group }, () => {
    node.createHmac("sha256", macKey).update(data).digest();
  });
  Deno.bench(`hmac @noble/hashes ${label}`, { group }, () => {
    nobleHmac(nobleSha256, macKey, data);
  });
  Deno.bench(`HMAC WebCrypto (CryptoKey cached) ${label}`, { group, baseline: true }, async () => {
    await crypto.subtle.sign("HMAC", webHmacKey, data);
  });
}

for (const [label, size] of [["200 B", 200], ["16 KiB", 16 << 10]] as const) {
  const group = `hash ${label}`;
  const data = random(size);
  Deno.bench(`sha256 ours (node:crypto) ${label}`, { group }, () => {
    sha256(data);
  });
  Deno.bench(`sha256 @noble/hashes ${label}`, { group }, () => {
    nobleSha256(data);
  });
  Deno.bench(`sha512 ours (node:crypto) ${label}`, { group }, () => {
    sha512(data);
  });
  Deno.bench(`sha512 @noble/hashes ${label}`, { group }, () => {
    nobleSha512(data);
  });
  Deno.bench(`md5 ours (node:crypto) ${label}`, { group }, () => {
    md5(data);
  });
  Deno.bench(`md5 @noble/hashes ${label}`, { group }, () => {
    nobleMd5(data);
  });
  Deno.bench(`SHA-256 WebCrypto ${label}`, { group, baseline: true }, async () => {
    await crypto.subtle.digest("SHA-256", data);
  });
}

const ikm = random(32);
const salt = random(32);
const info = new TextEncoder().encode("WhatsApp Media Keys");
const webHkdfKey = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
for (const length of [32, 80, 112]) {
  const group = `HKDF ${length} B`;
  Deno.bench(`hkdf ours (node:crypto hkdfSync) ${length} B`, { group }, () => {
    hkdf(ikm, length, { salt, info });
  });
  Deno.bench(`hkdf @noble/hashes ${length} B`, { group }, () => {
    nobleHkdf(nobleSha256, ikm, salt, info, length);
  });
  Deno.bench(`HKDF WebCrypto ${length} B`, { group, baseline: true }, async () => {
    await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, webHkdfKey, length * 8);
  });
}

// ---- PBKDF2 (fewer iterations than WhatsApp's 131072 to keep the run short; cost is linear in them) ----

{
  const group = "PBKDF2-HMAC-SHA256 16384 iterations";
  const pbkdfSalt = random(32);
  Deno.bench("pbkdf2Sha256 ours (WebCrypto)", { group }, async () => {
    await pbkdf2Sha256("12345678", pbkdfSalt, 16384, 32);
  });
  Deno.bench("pbkdf2 node:crypto (async, thread pool)", { group, baseline: true }, async () => {
    await new Promise<void>((resolve, reject) =>
      node.pbkdf2("12345678", pbkdfSalt, 16384, 32, "sha256", (err) => (err ? reject(err) : resolve()))
    );
  });
  Deno.bench("pbkdf2Async @noble/hashes (main thread, yields)", { group }, async () => {
    await noblePbkdf2(nobleSha256, "12345678", pbkdfSalt, { c: 16384, dkLen: 32 });
  });
}
