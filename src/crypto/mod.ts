/**
 * The crypto layer of wadeno: the primitives that Noise, Signal, pairing and media are built on.
 *
 * Pure and synchronous except where a primitive is slow enough to leave the event loop
 * (`aesGcm*Async`, `pbkdf2Sha256`). Keys, IVs and outputs are plain `Uint8Array`s; bad input throws
 * {@link CryptoError}. Each file's header records which backend (node:crypto, @noble, WebCrypto) it uses
 * and the bench/crypto.bench.ts numbers behind the choice.
 *
 * @example
 * ```ts
 * import { generateKeyPair, hkdf, x25519 } from "./mod.ts";
 * const alice = generateKeyPair(), bob = generateKeyPair();
 * const secret = x25519(alice.privateKey, bob.publicKey);
 * const keys = hkdf(secret, 64, { info: "session" });
 * ```
 *
 * @module
 */

export { CryptoError, type CryptoErrorCode } from "./errors.ts";
export { concatBytes, equalBytes, utf8 } from "./bytes.ts";
export { randomBytes } from "./random.ts";
export { createSha256, type Hasher, md5, sha256, sha512 } from "./hash.ts";
export { createHmacSha256, hmacSha256, hmacSha512 } from "./hmac.ts";
export { hkdf, type HkdfOptions } from "./hkdf.ts";
export {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCtr,
  aesGcmDecrypt,
  aesGcmDecryptAsync,
  aesGcmEncrypt,
  aesGcmEncryptAsync,
  createAesCbcDecryptor,
  createAesCbcEncryptor,
  type StreamCipher,
} from "./aes.ts";
export { pbkdf2Sha256 } from "./pbkdf2.ts";
export {
  generateKeyPair,
  type KeyPair,
  keyPairFromPrivateKey,
  x25519,
  xeddsaSign,
  xeddsaVerify,
} from "./curve.ts";
export { DJB_KEY_TYPE, prefixPublicKey, stripPublicKey } from "./keys.ts";
