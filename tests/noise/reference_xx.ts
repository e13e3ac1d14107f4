// An independent, minimal Noise_XX_25519_AESGCM_SHA256 written from the Noise spec (revision 34,
// https://noiseprotocol.org/noise.html §4.3 HKDF, §5.1 CipherState, §5.2 SymmetricState, §5.3 HandshakeState,
// §12.3 AESGCM nonce, §7.5 XX) for the vector tests. It shares nothing with src/noise: HKDF is built from
// HMAC-SHA256 as §4.3 defines it and the nonce is the spec's 4 zero bytes + 64-bit big-endian counter.
// Checked against the cacophony vector first, then used as the oracle for WhatsApp's variant.
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  concatBytes,
  hmacSha256,
  keyPairFromPrivateKey,
  sha256,
  x25519,
} from "../../src/crypto/mod.ts";

function specHkdf(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const temp = hmacSha256(ck, ikm);
  const out1 = hmacSha256(temp, Uint8Array.of(1));
  const out2 = hmacSha256(temp, concatBytes(out1, Uint8Array.of(2)));
  return [out1, out2];
}

function specNonce(n: number): Uint8Array {
  const iv = new Uint8Array(12);
  new DataView(iv.buffer).setBigUint64(4, BigInt(n));
  return iv;
}

/** The spec's CipherState. */
export class RefCipher {
  n = 0;
  constructor(public k?: Uint8Array) {}
  encrypt(ad: Uint8Array, pt: Uint8Array): Uint8Array {
    return this.k ? aesGcmEncrypt(this.k, specNonce(this.n++), pt, ad) : pt;
  }
  decrypt(ad: Uint8Array, ct: Uint8Array): Uint8Array {
    return this.k ? aesGcmDecrypt(this.k, specNonce(this.n++), ct, ad) : ct;
  }
}

/** The spec's SymmetricState. */
class RefSymmetric {
  h: Uint8Array;
  ck: Uint8Array;
  cipher = new RefCipher();
  constructor(name: string) {
    const bytes = new TextEncoder().encode(name);
    this.h = bytes.length <= 32 ? concatBytes(bytes, new Uint8Array(32 - bytes.length)) : sha256(bytes);
    this.ck = this.h;
  }
  mixHash(data: Uint8Array) {
    this.h = sha256(concatBytes(this.h, data));
  }
  mixKey(ikm: Uint8Array) {
    const [ck, k] = specHkdf(this.ck, ikm);
    this.ck = ck;
    this.cipher = new RefCipher(k);
  }
  encryptAndHash(pt: Uint8Array) {
    const ct = this.cipher.encrypt(this.h, pt);
    this.mixHash(ct);
    return ct;
  }
  decryptAndHash(ct: Uint8Array) {
    const pt = this.cipher.decrypt(this.h, ct);
    this.mixHash(ct);
    return pt;
  }
  split(): [RefCipher, RefCipher] {
    const [k1, k2] = specHkdf(this.ck, new Uint8Array(0));
    return [new RefCipher(k1), new RefCipher(k2)];
  }
}

/** Inputs of {@link runReferenceXX}: private keys as the vectors give them. */
export interface ReferenceXXInput {
  prologue: Uint8Array;
  initStatic: Uint8Array;
  initEphemeral: Uint8Array;
  respStatic: Uint8Array;
  respEphemeral: Uint8Array;
  payloads: [Uint8Array, Uint8Array, Uint8Array];
  /**
   * Standard Noise hashes message 1's payload (EncryptAndHash with no key = MixHash(payload)), even when it
   * is empty. WhatsApp sends no payload there and skips the hash: pass false for WhatsApp's variant.
   */
  hashFirstPayload?: boolean;
}

/** Every intermediate value of one XX run. */
export interface ReferenceXXRun {
  /** The three handshake messages in the spec's wire form (concatenated fields). */
  messages: [Uint8Array, Uint8Array, Uint8Array];
  /** The individual fields, for comparison with WhatsApp's protobuf-wrapped messages. */
  fields: {
    initEphemeral: Uint8Array;
    respEphemeral: Uint8Array;
    respStaticSealed: Uint8Array;
    respPayloadSealed: Uint8Array;
    initStaticSealed: Uint8Array;
    initPayloadSealed: Uint8Array;
  };
  handshakeHash: Uint8Array;
  /** Split ciphers from the initiator's view: [initiator -> responder, responder -> initiator]. */
  initiator: [RefCipher, RefCipher];
  responder: [RefCipher, RefCipher];
}

/** Runs both sides of XX (-> e; <- e, ee, s, es; -> s, se) with the spec's rules. */
export function runReferenceXX(input: ReferenceXXInput): ReferenceXXRun {
  const name = "Noise_XX_25519_AESGCM_SHA256";
  const is = keyPairFromPrivateKey(input.initStatic), ie = keyPairFromPrivateKey(input.initEphemeral);
  const rs = keyPairFromPrivateKey(input.respStatic), re = keyPairFromPrivateKey(input.respEphemeral);
  const init = new RefSymmetric(name), resp = new RefSymmetric(name);
  init.mixHash(input.prologue);
  resp.mixHash(input.prologue);
  const hashFirst = input.hashFirstPayload ?? true;

  // -> e
  init.mixHash(ie.publicKey);
  const p0 = hashFirst ? init.encryptAndHash(input.payloads[0]) : input.payloads[0];
  const m0 = concatBytes(ie.publicKey, p0);
  resp.mixHash(ie.publicKey);
  if (hashFirst) resp.decryptAndHash(p0);

  // <- e, ee, s, es
  resp.mixHash(re.publicKey);
  resp.mixKey(x25519(re.privateKey, ie.publicKey));
  const respStaticSealed = resp.encryptAndHash(rs.publicKey);
  resp.mixKey(x25519(rs.privateKey, ie.publicKey));
  const respPayloadSealed = resp.encryptAndHash(input.payloads[1]);
  const m1 = concatBytes(re.publicKey, respStaticSealed, respPayloadSealed);
  init.mixHash(re.publicKey);
  init.mixKey(x25519(ie.privateKey, re.publicKey));
  const rsPub = init.decryptAndHash(respStaticSealed);
  init.mixKey(x25519(ie.privateKey, rsPub));
  init.decryptAndHash(respPayloadSealed);

  // -> s, se
  const initStaticSealed = init.encryptAndHash(is.publicKey);
  init.mixKey(x25519(is.privateKey, re.publicKey));
  const initPayloadSealed = init.encryptAndHash(input.payloads[2]);
  const m2 = concatBytes(initStaticSealed, initPayloadSealed);
  const isPub = resp.decryptAndHash(initStaticSealed);
  resp.mixKey(x25519(re.privateKey, isPub));
  resp.decryptAndHash(initPayloadSealed);

  if (init.h.toHex() !== resp.h.toHex()) throw new Error("reference XX: the two sides' hashes differ");
  return {
    messages: [m0, m1, m2],
    fields: {
      initEphemeral: ie.publicKey,
      respEphemeral: re.publicKey,
      respStaticSealed,
      respPayloadSealed,
      initStaticSealed,
      initPayloadSealed,
    },
    handshakeHash: init.h,
    initiator: init.split(),
    responder: resp.split(),
  };
}
