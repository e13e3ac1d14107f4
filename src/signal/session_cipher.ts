/**
 * 1:1 encryption and decryption with the Double Ratchet, wire-compatible with libsignal (message version 3).
 *
 * Behaviour follows libsignal rust/protocol/src/session_cipher.rs: out-of-order messages within 25,000 of
 * the chain (MAX_FORWARD_JUMPS) are decrypted with skipped keys kept per chain (at most 2,000, oldest dropped:
 * MAX_MESSAGE_KEYS), the peer's chains are capped at 5 (MAX_RECEIVER_CHAINS), a reused counter is a
 * `duplicate`, and a message that fails under the current state is tried under each previous state, the one
 * that works becoming current. Unlike libsignal, nothing at all is stored when a decrypt fails: every step
 * builds new immutable states, and the record is stored only after the MAC and the padding checked out.
 *
 * The functions do not lock: the caller runs operations on one address one at a time (see {@link KeyedMutex}).
 *
 * @module
 */

import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  CryptoError,
  generateKeyPair,
  type KeyPair,
  prefixPublicKey,
  stripPublicKey,
} from "../crypto/mod.ts";
import { SignalError } from "./errors.ts";
import {
  encodePreKeySignalMessage,
  encodeSignalMessage,
  type ParsedSignalMessage,
  parsePreKeySignalMessage,
  parseSignalMessage,
  verifySignalMessageMac,
} from "./messages.ts";
import { deriveMessageKeys, type MessageKeys, messageKeySeed, nextChainKey, rootStep } from "./ratchet.ts";
import { checkTrust, initializeBobSession } from "./session_builder.ts";
import { SessionRecord } from "./session_record.ts";
import {
  type Chain,
  sameKey,
  SESSION_VERSION,
  type SessionState,
  skippedKeys,
  type SkippedMessageKey,
} from "./session_state.ts";
import type { SignalContext } from "./store.ts";

/** libsignal's MAX_FORWARD_JUMPS: how far ahead of its chain a message may be. */
export const MAX_FORWARD_JUMPS = 25_000;
/** libsignal's MAX_MESSAGE_KEYS: skipped message keys kept per chain. */
export const MAX_MESSAGE_KEYS = 2000;
/** libsignal's MAX_RECEIVER_CHAINS: the peer's chains kept per session. */
export const MAX_RECEIVER_CHAINS = 5;

/** The two kinds of 1:1 ciphertext, named as WhatsApp's `<enc type>` attribute names them. */
export type MessageType = "pkmsg" | "msg";

/** An encrypted 1:1 message. */
export interface EncryptedMessage {
  /** "pkmsg" (PreKeySignalMessage) while the session is unacknowledged, "msg" (SignalMessage) after. */
  readonly type: MessageType;
  /** The serialized message. */
  readonly ciphertext: Uint8Array;
}

/** A state after a successful step, and what the step produced. */
interface Stepped<T> {
  readonly state: SessionState;
  readonly value: T;
}

function recordError(what: string, address: string): SignalError {
  return new SignalError("invalid_record", `session state is incomplete: ${what}`, { address });
}

/** Encrypts one message under a state; pure (returns the advanced state). */
export function encryptWithState(
  state: SessionState,
  plaintext: Uint8Array,
  address: string,
): Stepped<EncryptedMessage> {
  const chain = state.senderChain;
  const chainKey = chain?.chainKey.key;
  if (chain === undefined || chainKey === undefined) throw recordError("no sending chain", address);
  if (state.version !== SESSION_VERSION) {
    throw new SignalError(
      "invalid_version",
      `session version is ${state.version}, expected ${SESSION_VERSION}`,
      {
        address,
      },
    );
  }
  const index = chain.chainKey.index;
  const keys = deriveMessageKeys(messageKeySeed(chainKey));
  const body = aesCbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const message = encodeSignalMessage(
    keys.macKey,
    chain.ratchetKey,
    index,
    state.previousCounter,
    body,
    state.localIdentityKey,
    state.remoteIdentityKey,
  );
  const next = state.with({
    senderChain: { ...chain, chainKey: { index: index + 1, key: nextChainKey(chainKey) } },
  });
  const pending = state.pendingPreKey;
  if (pending === undefined) return { state: next, value: { type: "msg", ciphertext: message } };
  const wrapped = encodePreKeySignalMessage(
    state.localRegistrationId,
    pending.preKeyId,
    pending.signedPreKeyId,
    pending.baseKey,
    state.localIdentityKey,
    message,
  );
  return { state: next, value: { type: "pkmsg", ciphertext: wrapped } };
}

/** The receiving chain for the message's ratchet key, creating it (a DH ratchet step) when it is new. */
function receivingChain(
  state: SessionState,
  ratchetKey: Uint8Array,
  generate: () => KeyPair,
  address: string,
): { state: SessionState; index: number } {
  const found = state.receiverChainIndex(ratchetKey);
  if (found >= 0) return { state, index: found };
  const sender = state.senderChain;
  if (sender === undefined || sender.ratchetPrivateKey === undefined || state.rootKey.length !== 32) {
    throw recordError("no root key or sending ratchet key to step the ratchet", address);
  }
  const theirKey = ratchetKey.subarray(1);
  const receiving = rootStep(state.rootKey, sender.ratchetPrivateKey, theirKey);
  const ours = generate();
  const sending = rootStep(receiving.rootKey, ours.privateKey, theirKey);
  const chains: Chain[] = [...state.receiverChains, {
    ratchetKey: ratchetKey.slice(),
    chainKey: { index: 0, key: receiving.chainKey },
    messageKeys: [],
  }];
  if (chains.length > MAX_RECEIVER_CHAINS) chains.shift();
  const index = sender.chainKey.index;
  const next = state.with({
    rootKey: sending.rootKey,
    receiverChains: chains,
    previousCounter: index > 0 ? index - 1 : 0,
    senderChain: {
      ratchetKey: prefixPublicKey(ours.publicKey),
      ratchetPrivateKey: ours.privateKey,
      chainKey: { index: 0, key: sending.chainKey },
      messageKeys: [],
    },
  });
  return { state: next, index: chains.length - 1 };
}

/** The message keys for `counter` on a chain, and the chain after taking them. */
function takeMessageKeys(
  chain: Chain,
  counter: number,
  address: string,
): { chain: Chain; keys: MessageKeys } {
  const { index } = chain.chainKey;
  if (index > counter) {
    const at = chain.messageKeys.findIndex((k) => k.index === counter);
    const keys = at >= 0 ? skippedKeys(chain.messageKeys[at]) : undefined;
    if (keys === undefined) {
      throw new SignalError(
        "duplicate",
        `message counter ${counter} was already received (chain is at ${index}, no key kept for it)`,
        { address },
      );
    }
    return { chain: { ...chain, messageKeys: chain.messageKeys.toSpliced(at, 1) }, keys };
  }
  const jump = counter - index;
  if (jump > MAX_FORWARD_JUMPS) {
    throw new SignalError(
      "too_far_future",
      `message counter ${counter} is ${jump} ahead of the chain at ${index}, more than ${MAX_FORWARD_JUMPS}`,
      { address },
    );
  }
  let key = chain.chainKey.key;
  if (key === undefined) {
    throw new SignalError("invalid_message", `message counter ${counter} is on a closed chain`, { address });
  }
  // Skipped keys are expanded only for the ones that survive the MAX_MESSAGE_KEYS cap.
  const skipped: SkippedMessageKey[] = [];
  for (let i = index; i < counter; i++) {
    if (counter - i <= MAX_MESSAGE_KEYS) {
      skipped.push({ index: i, keys: deriveMessageKeys(messageKeySeed(key)) });
    }
    key = nextChainKey(key);
  }
  const keys = deriveMessageKeys(messageKeySeed(key));
  let messageKeys = chain.messageKeys;
  if (skipped.length > 0) {
    skipped.reverse(); // newest first, as libsignal keeps them
    messageKeys = skipped.concat(messageKeys);
    if (messageKeys.length > MAX_MESSAGE_KEYS) messageKeys = messageKeys.slice(0, MAX_MESSAGE_KEYS);
  }
  return { chain: { ...chain, chainKey: { index: counter + 1, key: nextChainKey(key) }, messageKeys }, keys };
}

/** Decrypts a SignalMessage under one state; pure (returns the advanced state, or throws). */
export function decryptWithState(
  state: SessionState,
  message: ParsedSignalMessage,
  generate: () => KeyPair,
  address: string,
): Stepped<Uint8Array> {
  if (state.version !== SESSION_VERSION) {
    throw new SignalError(
      "invalid_version",
      `session version is ${state.version}, expected ${SESSION_VERSION}`,
      {
        address,
      },
    );
  }
  if (state.remoteIdentityKey.length !== 33 || state.localIdentityKey.length !== 33) {
    throw recordError("identity keys missing", address);
  }
  const ratcheted = receivingChain(state, message.ratchetKey, generate, address);
  const chains = ratcheted.state.receiverChains;
  const taken = takeMessageKeys(chains[ratcheted.index], message.counter, address);
  if (!verifySignalMessageMac(message, taken.keys.macKey, state.remoteIdentityKey, state.localIdentityKey)) {
    throw new SignalError("bad_mac", `MAC of message ${message.counter} does not verify`, { address });
  }
  let plaintext: Uint8Array;
  try {
    plaintext = aesCbcDecrypt(taken.keys.cipherKey, taken.keys.iv, message.ciphertext);
  } catch (cause) {
    if (!(cause instanceof CryptoError)) throw cause;
    throw new SignalError(
      "invalid_message",
      `message ${message.counter} does not decrypt: ${cause.message}`,
      {
        address,
        cause,
      },
    );
  }
  const receiverChains = chains.with(ratcheted.index, taken.chain);
  return { state: ratcheted.state.with({ receiverChains, pendingPreKey: undefined }), value: plaintext };
}

/** Decrypts under the current state, then each previous one; returns the updated record. */
function decryptWithRecord(
  record: SessionRecord,
  message: ParsedSignalMessage,
  generate: () => KeyPair,
  address: string,
  currentOnly: boolean,
): { record: SessionRecord; plaintext: Uint8Array; state: SessionState } {
  let first: SignalError | undefined;
  const current = record.currentState;
  if (current !== undefined) {
    try {
      const r = decryptWithState(current, message, generate, address);
      return { record: record.withCurrentState(r.state), plaintext: r.value, state: r.state };
    } catch (e) {
      if (!(e instanceof SignalError) || e.code === "duplicate") throw e;
      first = e;
    }
  }
  if (!currentOnly) {
    for (let i = 0; i < record.previousStateCount; i++) {
      try {
        const r = decryptWithState(record.previousState(i), message, generate, address);
        return { record: record.withPromotedState(r.state, i), plaintext: r.value, state: r.state };
      } catch (e) {
        if (!(e instanceof SignalError) || e.code === "duplicate") throw e;
        first ??= e;
      }
    }
  }
  // The current state's failure says the most: it is the state the sender most likely used.
  throw first ?? new SignalError("no_session", "session record has no state to decrypt with", { address });
}

/**
 * Encrypts `plaintext` for `address` with the current session, advancing its sending chain.
 *
 * @returns `{ type: "pkmsg" }` while the session is unacknowledged, `{ type: "msg" }` after.
 * @throws {SignalError} `no_session` when there is no session; `untrusted_identity` when the stored identity
 * key of the address differs from the session's (nothing is changed).
 * @example
 * ```ts
 * import { decryptMessage, encryptMessage } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(alice: SignalContext, bob: SignalContext) {
 *   const sent = await encryptMessage(alice, "bob.0", new TextEncoder().encode("hi"));
 *   const plaintext = await decryptMessage(bob, "alice.0", sent.type, sent.ciphertext);
 * }
 * ```
 */
export async function encryptMessage(
  ctx: SignalContext,
  address: string,
  plaintext: Uint8Array,
): Promise<EncryptedMessage> {
  const record = await ctx.store.loadSession(address);
  const state = record?.currentState;
  if (record === undefined || state === undefined || state.senderChain === undefined) {
    throw new SignalError("no_session", "no session to encrypt with; process a prekey bundle first", {
      address,
    });
  }
  const identity = remoteIdentity(state, address);
  const known = checkTrust(address, identity, await ctx.store.loadIdentity(address));
  const r = encryptWithState(state, plaintext, address);
  await ctx.store.storeSession(address, record.withCurrentState(r.state));
  if (!known) await ctx.store.saveIdentity(address, identity);
  return r.value;
}

/** Per-address outcome of {@link encryptMessages}. */
export interface BatchEncryptResult {
  /** The messages, by address. */
  readonly messages: Map<string, EncryptedMessage>;
  /** Addresses that could not be encrypted for (no session, untrusted identity, ...), with the error. */
  readonly errors: Map<string, SignalError>;
}

/**
 * Encrypts for many addresses at once with one batched load and one batched store, for fan-outs such as a
 * group's sender-key distribution to every participant device. Each entry is encrypted exactly as
 * {@link encryptMessage} would; an address that fails is reported in `errors` and the others proceed.
 *
 * @example
 * ```ts
 * import { encryptMessages } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext, skdm: Uint8Array, devices: string[]) {
 *   const { messages, errors } = await encryptMessages(ctx, devices.map((d) => [d, skdm] as const));
 * }
 * ```
 */
export async function encryptMessages(
  ctx: SignalContext,
  entries: Iterable<readonly [address: string, plaintext: Uint8Array]>,
): Promise<BatchEncryptResult> {
  const list = [...entries];
  const addresses = list.map(([a]) => a);
  const [records, identities] = await Promise.all([
    ctx.store.loadSessions(addresses),
    ctx.store.loadIdentities(addresses),
  ]);
  const messages = new Map<string, EncryptedMessage>();
  const errors = new Map<string, SignalError>();
  const updated = new Map<string, SessionRecord>();
  const newIdentities: [string, Uint8Array][] = [];
  for (const [address, plaintext] of list) {
    try {
      const record = updated.get(address) ?? records.get(address);
      const state = record?.currentState;
      if (record === undefined || state === undefined || state.senderChain === undefined) {
        throw new SignalError("no_session", "no session to encrypt with; process a prekey bundle first", {
          address,
        });
      }
      const identity = remoteIdentity(state, address);
      if (!checkTrust(address, identity, identities.get(address))) {
        newIdentities.push([address, identity]);
        identities.set(address, identity);
      }
      const r = encryptWithState(state, plaintext, address);
      updated.set(address, record.withCurrentState(r.state));
      messages.set(address, r.value);
    } catch (e) {
      if (!(e instanceof SignalError)) throw e;
      errors.set(address, e);
    }
  }
  if (updated.size > 0) await ctx.store.storeSessions(updated);
  for (const [address, key] of newIdentities) await ctx.store.saveIdentity(address, key);
  return { messages, errors };
}

function remoteIdentity(state: SessionState, address: string): Uint8Array {
  try {
    return stripPublicKey(state.remoteIdentityKey);
  } catch (cause) {
    throw new SignalError("invalid_record", `session's remote identity key is malformed: ${cause}`, {
      address,
      cause,
    });
  }
}

/**
 * Decrypts a 1:1 message from `address`.
 *
 * For "pkmsg" (PreKeySignalMessage) a new session is set up from our prekeys unless one with the same base
 * key exists (the sender repeats prekey messages until we reply); the one-time prekey is removed only after
 * the message decrypted. For "msg" the current state is tried, then the previous ones.
 *
 * Nothing is stored when decryption fails. After success the session is stored, then the identity key on
 * first use, then the prekey removal. The identity check applies to whichever state decrypted: a late message
 * that only an archived session with an older identity key can read is reported as `untrusted_identity`.
 *
 * @throws {SignalError} `no_session`, `bad_mac`, `duplicate`, `too_far_future`, `invalid_message`,
 * `invalid_version`, `invalid_key`, `untrusted_identity` (the sender's identity key differs from the stored
 * one; the error carries the new key), `invalid_prekey_id`, `invalid_signed_prekey_id`.
 * @example
 * ```ts
 * import { decryptMessage, unpadMessage } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext, enc: { type: "pkmsg" | "msg"; bytes: Uint8Array }) {
 *   const message = unpadMessage(await decryptMessage(ctx, "15551234567@c.us.0", enc.type, enc.bytes));
 * }
 * ```
 */
export async function decryptMessage(
  ctx: SignalContext,
  address: string,
  type: MessageType,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const generate = ctx.generateKeyPair ?? generateKeyPair;
  if (type === "msg") {
    const message = parseSignalMessage(ciphertext);
    const record = await ctx.store.loadSession(address);
    if (record === undefined || (record.currentState === undefined && record.previousStateCount === 0)) {
      throw new SignalError("no_session", "no session to decrypt with", { address });
    }
    const r = decryptWithRecord(record, message, generate, address, false);
    const identity = remoteIdentity(r.state, address);
    const known = checkTrust(address, identity, await ctx.store.loadIdentity(address));
    await ctx.store.storeSession(address, r.record);
    if (!known) await ctx.store.saveIdentity(address, identity);
    return r.plaintext;
  }
  if (type !== "pkmsg") {
    throw new SignalError(
      "invalid_argument",
      `message type must be "pkmsg" or "msg", got ${JSON.stringify(type)}`,
      {
        address,
      },
    );
  }
  const message = parsePreKeySignalMessage(ciphertext);
  const identity = message.identityKey.subarray(1);
  const known = checkTrust(address, identity, await ctx.store.loadIdentity(address));
  let record = (await ctx.store.loadSession(address)) ?? new SessionRecord();
  let usedPreKey: number | undefined;
  const existing = record.findState(SESSION_VERSION, message.baseKey);
  if (existing !== undefined) {
    // The peer is repeating a prekey message of a session we already have: no prekey is needed again.
    const state = existing >= 0 ? record.previousState(existing) : record.currentState!;
    // The MAC binds the session's identity keys, not this unauthenticated copy; they must agree.
    if (!sameKey(state.remoteIdentityKey, message.identityKey)) {
      throw new SignalError(
        "invalid_message",
        "prekey message names another identity key than the session with its base key",
        { address },
      );
    }
    if (existing >= 0) record = record.withPromotedState(state, existing);
  } else {
    const signed = await ctx.store.loadSignedPreKey(message.signedPreKeyId);
    if (signed === undefined) {
      throw new SignalError(
        "invalid_signed_prekey_id",
        `prekey message names signed prekey ${message.signedPreKeyId}, which this device does not have`,
        { address },
      );
    }
    let oneTime: KeyPair | undefined;
    if (message.preKeyId !== undefined) {
      const pre = await ctx.store.loadPreKey(message.preKeyId);
      if (pre === undefined) {
        throw new SignalError(
          "invalid_prekey_id",
          `prekey message names one-time prekey ${message.preKeyId}, which this device does not have (used already?)`,
          { address },
        );
      }
      oneTime = pre.keyPair;
      usedPreKey = message.preKeyId;
    }
    const state = initializeBobSession({
      identityKeyPair: ctx.identity.identityKeyPair,
      signedPreKeyPair: signed.keyPair,
      oneTimePreKeyPair: oneTime,
      theirIdentityKey: identity,
      theirBaseKey: message.baseKey.subarray(1),
    }).with({
      localRegistrationId: ctx.identity.registrationId,
      remoteRegistrationId: message.registrationId,
    });
    record = record.withPromotedState(state);
  }
  // A prekey message belongs to exactly one session: older states are not tried (as in libsignal).
  const r = decryptWithRecord(record, message.message, generate, address, true);
  await ctx.store.storeSession(address, r.record);
  if (!known) await ctx.store.saveIdentity(address, identity.slice());
  if (usedPreKey !== undefined) await ctx.store.removePreKey(usedPreKey);
  return r.plaintext;
}

/**
 * Whether `address` has a session to encrypt with.
 *
 * @example
 * ```ts
 * import { hasSession } from "./mod.ts";
 * import type { SignalContext } from "./mod.ts";
 * // Type-checked, not run: the inputs come from a real session.
 * export async function example(ctx: SignalContext) {
 *   if (!(await hasSession(ctx, "15551234567@c.us.0"))) {
 *     // fetch the device's prekey bundle and call processPreKeyBundle
 *   }
 * }
 * ```
 */
export async function hasSession(ctx: SignalContext, address: string): Promise<boolean> {
  const record = await ctx.store.loadSession(address);
  return record?.hasCurrentState ?? false;
}
