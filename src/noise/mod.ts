/**
 * The Noise layer of wadeno: WhatsApp's `Noise_XX_25519_AESGCM_SHA256` handshake (initiator and
 * responder), the server certificate chain, connection framing, and the encrypted socket that carries
 * binary nodes afterwards.
 *
 * Pure: no sockets or timers of its own. The client passes in a transport (`send`/`close`) and feeds the
 * bytes it receives to a {@link FrameReader}; waits are bounded by the caller's `AbortSignal`. Every failed
 * check throws a {@link NoiseError} whose `code` names it.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "../crypto/mod.ts";
 * import { ClientHandshake, issueCertChain, ServerHandshake } from "./mod.ts";
 *
 * const root = generateKeyPair(), serverKey = generateKeyPair();
 * const { certChain } = issueCertChain({ root, serverStatic: serverKey.publicKey });
 * const client = new ClientHandshake({ noiseKey: generateKeyPair(), trustedRoot: root.publicKey });
 * const server = new ServerHandshake({ staticKey: serverKey });
 * server.readClientHello(client.start());
 * client.readServerHello(server.writeServerHello(certChain));
 * const done = client.finish(new Uint8Array([1]));
 * const accepted = server.readClientFinish(done.message);
 * accepted.ciphers.read.decrypt(done.ciphers.write.encrypt(new Uint8Array([42]))); // Uint8Array [42]
 * ```
 *
 * @module
 */

export { NoiseError, type NoiseErrorCode } from "./errors.ts";
/** A Curve25519 key pair (raw 32-byte keys), as the crypto layer makes them. */
export type { KeyPair } from "../crypto/mod.ts";
export { CipherState, COUNTER_LIMIT, nonce } from "./cipher_state.ts";
export { NOISE_XX_PATTERN, NOISE_XX_PROTOCOL_NAME, SymmetricState } from "./symmetric_state.ts";
export {
  EDGE_ROUTING_MAGIC,
  encodeFrame,
  encodeIntro,
  FRAME_LENGTH_SIZE,
  FRAME_MAX_SIZE,
  FrameDecoder,
  type FrameDecoderOptions,
  type Intro,
  MAX_ROUTING_INFO_LENGTH,
  WA_CONN_HEADER,
} from "./framing.ts";
export { FrameReader, type FrameSource } from "./frame_reader.ts";
export {
  type CertDetails,
  issueCertChain,
  type IssueCertChainOptions,
  type IssuedCertChain,
  type VerifiedCertChain,
  verifyCertChain,
  type VerifyCertChainOptions,
  WA_CERT_ROOT_PUBLIC_KEY,
  WA_CERT_ROOT_SERIAL,
} from "./cert_chain.ts";
export {
  type ClientFinishRead,
  type ClientFinishResult,
  ClientHandshake,
  type ClientHandshakeOptions,
  ServerHandshake,
  type ServerHandshakeOptions,
  type ServerHelloResult,
  type TransportCiphers,
} from "./handshake.ts";
export { ASYNC_CRYPTO_THRESHOLD, NoiseSocket, type NoiseTransport } from "./socket.ts";
export {
  type ClientHandshakeResult,
  runClientHandshake,
  type RunClientHandshakeOptions,
  runServerHandshake,
  type RunServerHandshakeOptions,
  type ServerHandshakeResult,
} from "./driver.ts";
