/**
 * Group encryption with sender keys, as WhatsApp uses them (libsignal's group_cipher with the older
 * SenderKeyMessage / SenderKeyDistributionMessage field layout that WhatsApp and Baileys speak).
 *
 * Key schedule (rust/protocol/src/sender_keys.rs): message-key seed = HMAC-SHA256(chainKey, 0x01), next chain
 * key = HMAC-SHA256(chainKey, 0x02); the seed expands with HKDF-SHA256(salt none, info "WhisperGroup", 48)
 * into iv[16] ‖ cipherKey[32]. Messages are signed with the sender's signing key (XEdDSA).
 *
 * As with 1:1 sessions, nothing is stored when a decrypt fails, and the functions do not lock: the caller
 * runs operations on one sender key name one at a time.
 *
 * @module
 */

import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  CryptoError,
  generateKeyPair,
  hkdf,
  prefixPublicKey,
  randomBytes,
} from "../crypto/mod.ts";
import { SignalError } from "./errors.ts";
import {
  encodeSenderKeyDistributionMessage,
  encodeSenderKeyMessage,
  parseSenderKeyDistributionMessage,
  parseSenderKeyMessage,
  verifySenderKeyMessage,
} from "./messages.ts";
import { messageKeySeed, nextChainKey } from "./ratchet.ts";
import { SenderKeyRecord, SenderKeyState, type SenderMessageKeySeed } from "./sender_key_record.ts";
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS } from "./session_cipher.ts";
import type { SignalContext } from "./store.ts";

const GROUP_INFO = new TextEncoder().encode("WhisperGroup");
const MAX_ITERATION = 0xffffffff;

/** AES key and IV of one group message. */
function senderMessageKeys(seed: Uint8Array): { iv: Uint8Array; cipherKey: Uint8Array } {
  const okm = hkdf(seed, 48, { info: GROUP_INFO });
  return { iv: okm.subarray(0, 16), cipherKey: okm.subarray(16, 48) };
}

function distributionFrom(state: SenderKeyState): Uint8Array {
  return encodeSenderKeyDistributionMessage(
    state.keyId,
    state.iteration,
    state.chainKey,
    prefixPublicKey(state.signingPublicKey),
  );
}

/**
 * Returns the SenderKeyDistributionMessage of our sender key `name` (`senderKeyName(group, ownAddress)`),
 * creating the key (random 31-bit id, random chain key, fresh signing key) on first use. The message is what
 * each participant device receives, Signal-encrypted, so it can decrypt our group messages from the current
 * iteration on.
 *
 * @example
 * ```ts
 * import { createSenderKeyDistributionMessage, senderKeyName } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext) {
 *   const skdm = await createSenderKeyDistributionMessage(ctx, senderKeyName("123@g.us", "me@c.us.0"));
 * }
 * ```
 */
export async function createSenderKeyDistributionMessage(
  ctx: SignalContext,
  name: string,
): Promise<Uint8Array> {
  const record = await ctx.store.loadSenderKey(name);
  const current = record?.states[0];
  if (current !== undefined) return distributionFrom(current);
  const signing = (ctx.generateKeyPair ?? generateKeyPair)();
  const id = randomBytes(4);
  const state = new SenderKeyState({
    // libsignal: a random u32 shifted right by one, so the id fits a signed 32-bit integer.
    keyId: new DataView(id.buffer).getUint32(0) >>> 1,
    iteration: 0,
    chainKey: randomBytes(32),
    signingPublicKey: signing.publicKey,
    signingPrivateKey: signing.privateKey,
    messageKeys: [],
    extras: {},
  });
  await ctx.store.storeSenderKey(name, (record ?? new SenderKeyRecord()).withAddedState(state));
  return distributionFrom(state);
}

/**
 * Stores a sender key received from a group member (`name` = `senderKeyName(group, senderAddress)`), so that
 * member's group messages decrypt. Re-processing a distribution message already known keeps the chain where
 * it is.
 *
 * @throws {SignalError} `invalid_message`, `invalid_version`, `invalid_key` for a malformed message.
 * @example
 * ```ts
 * import { processSenderKeyDistributionMessage, senderKeyName } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext, skdmBytes: Uint8Array) {
 *   await processSenderKeyDistributionMessage(ctx, senderKeyName("123@g.us", "peer@c.us.0"), skdmBytes);
 * }
 * ```
 */
export async function processSenderKeyDistributionMessage(
  ctx: SignalContext,
  name: string,
  distribution: Uint8Array,
): Promise<void> {
  const m = parseSenderKeyDistributionMessage(distribution);
  const state = new SenderKeyState({
    keyId: m.keyId,
    iteration: m.iteration,
    chainKey: m.chainKey,
    signingPublicKey: m.signingKey,
    signingPrivateKey: undefined,
    messageKeys: [],
    extras: {},
  });
  const record = (await ctx.store.loadSenderKey(name)) ?? new SenderKeyRecord();
  await ctx.store.storeSenderKey(name, record.withAddedState(state));
}

/**
 * Encrypts a group message with our sender key `name`: a SenderKeyMessage (version ‖ protobuf ‖ signature).
 *
 * @throws {SignalError} `no_sender_key` when the key was never created
 * ({@link createSenderKeyDistributionMessage} creates it), `invalid_record` when the newest state is not ours.
 * @example
 * ```ts
 * import { groupEncrypt, padMessage } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext, name: string, message: Uint8Array) {
 *   const skmsg = await groupEncrypt(ctx, name, padMessage(message));
 * }
 * ```
 */
export async function groupEncrypt(
  ctx: SignalContext,
  name: string,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const record = await ctx.store.loadSenderKey(name);
  const state = record?.states[0];
  if (record === undefined || state === undefined) {
    throw new SignalError(
      "no_sender_key",
      "no sender key to encrypt with; create a distribution message first",
      {
        address: name,
      },
    );
  }
  if (state.signingPrivateKey === undefined || state.chainKey.length !== 32) {
    throw new SignalError(
      "invalid_record",
      "newest sender key state has no signing private key or chain key",
      {
        address: name,
      },
    );
  }
  if (state.iteration >= MAX_ITERATION) {
    throw new SignalError("invalid_record", "sender key chain is exhausted; create a new sender key", {
      address: name,
    });
  }
  const keys = senderMessageKeys(messageKeySeed(state.chainKey));
  const ciphertext = aesCbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const message = encodeSenderKeyMessage(state.keyId, state.iteration, ciphertext, state.signingPrivateKey);
  const next = state.with({ iteration: state.iteration + 1, chainKey: nextChainKey(state.chainKey) });
  await ctx.store.storeSenderKey(name, record.withUpdatedState(next));
  return message;
}

/** The message-key seed for `iteration`, and the state after taking it. */
function takeSenderKey(state: SenderKeyState, iteration: number, name: string): [SenderKeyState, Uint8Array] {
  if (state.iteration > iteration) {
    const at = state.messageKeys.findIndex((k) => k.iteration === iteration);
    if (at < 0) {
      throw new SignalError(
        "duplicate",
        `group message iteration ${iteration} was already received (chain is at ${state.iteration})`,
        { address: name },
      );
    }
    return [state.with({ messageKeys: state.messageKeys.toSpliced(at, 1) }), state.messageKeys[at].seed];
  }
  const jump = iteration - state.iteration;
  if (jump > MAX_FORWARD_JUMPS) {
    throw new SignalError(
      "too_far_future",
      `group message iteration ${iteration} is ${jump} ahead of the chain at ${state.iteration}, more than ${MAX_FORWARD_JUMPS}`,
      { address: name },
    );
  }
  if (state.chainKey.length !== 32) {
    throw new SignalError("invalid_record", "sender key state has no chain key", { address: name });
  }
  let key = state.chainKey;
  const skipped: SenderMessageKeySeed[] = [];
  for (let i = state.iteration; i < iteration; i++) {
    // Only seeds that survive the MAX_MESSAGE_KEYS cap are worth an HMAC.
    if (iteration - i <= MAX_MESSAGE_KEYS) skipped.push({ iteration: i, seed: messageKeySeed(key) });
    key = nextChainKey(key);
  }
  let messageKeys = state.messageKeys;
  if (skipped.length > 0) {
    messageKeys = messageKeys.concat(skipped); // oldest first, as libsignal keeps them
    if (messageKeys.length > MAX_MESSAGE_KEYS) {
      messageKeys = messageKeys.slice(messageKeys.length - MAX_MESSAGE_KEYS);
    }
  }
  const seed = messageKeySeed(key);
  return [state.with({ iteration: iteration + 1, chainKey: nextChainKey(key), messageKeys }), seed];
}

/**
 * Decrypts a group message from the sender whose key is stored under `name`.
 *
 * @throws {SignalError} `no_sender_key` when no state has the message's key id (ask the sender to resend its
 * distribution message), `invalid_signature`, `duplicate`, `too_far_future`, `invalid_message`,
 * `invalid_version`.
 * @example
 * ```ts
 * import { groupDecrypt, senderKeyName, unpadMessage } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext, skmsg: Uint8Array) {
 *   const message = unpadMessage(await groupDecrypt(ctx, senderKeyName("123@g.us", "peer@c.us.0"), skmsg));
 * }
 * ```
 */
export async function groupDecrypt(
  ctx: SignalContext,
  name: string,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const message = parseSenderKeyMessage(ciphertext);
  const record = await ctx.store.loadSenderKey(name);
  const state = record?.stateFor(message.keyId);
  if (record === undefined || state === undefined) {
    const known = record?.states.map((s) => s.keyId).join(", ") || "none";
    throw new SignalError("no_sender_key", `no sender key with id ${message.keyId} (known ids: ${known})`, {
      address: name,
    });
  }
  if (!verifySenderKeyMessage(message, state.signingPublicKey)) {
    throw new SignalError(
      "invalid_signature",
      `group message signature does not verify under key ${message.keyId}`,
      {
        address: name,
      },
    );
  }
  const [next, seed] = takeSenderKey(state, message.iteration, name);
  const keys = senderMessageKeys(seed);
  let plaintext: Uint8Array;
  try {
    plaintext = aesCbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
  } catch (cause) {
    if (!(cause instanceof CryptoError)) throw cause;
    throw new SignalError(
      "invalid_message",
      `group message ${message.iteration} does not decrypt: ${cause.message}`,
      {
        address: name,
        cause,
      },
    );
  }
  await ctx.store.storeSenderKey(name, record.withUpdatedState(next));
  return plaintext;
}
