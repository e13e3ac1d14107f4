// Real Signal records for store tests and benches: sessions made by X3DH + encryption through the signal
// layer (so the bytes the store keeps are what a client would keep), sender keys made by the group cipher.
import {
  createSenderKeyDistributionMessage,
  encryptMessage,
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  groupEncrypt,
  makePreKeyBundle,
  MemorySignalStore,
  processPreKeyBundle,
  type SenderKeyRecord,
  type SessionRecord,
  type SignalContext,
} from "../../src/signal/mod.ts";

/** A fresh local Signal context on a MemorySignalStore. */
export function signalContext(): SignalContext & { store: MemorySignalStore } {
  return {
    store: new MemorySignalStore(),
    identity: { identityKeyPair: generateIdentityKeyPair(), registrationId: generateRegistrationId() },
  };
}

/** The address of test peer `i`. */
export const peer = (i: number): string => `1555000${String(i).padStart(4, "0")}:1@c.us.0`;

/**
 * Sessions with `count` peers, each after `messages` sent messages (a realistic record of a chat in use:
 * a sending chain and, for a peer that never answered, the pending prekey).
 */
export async function makeSessions(count: number, messages = 3): Promise<Map<string, SessionRecord>> {
  const alice = signalContext();
  const text = new TextEncoder().encode("hello from the store tests, a message of typical length");
  for (let i = 0; i < count; i++) {
    const bob = signalContext().identity;
    const bundle = makePreKeyBundle(
      bob,
      generateSignedPreKey(bob.identityKeyPair, 1),
      generatePreKeys(i + 1, 1)[0],
    );
    await processPreKeyBundle(alice, peer(i), bundle);
    for (let m = 0; m < messages; m++) await encryptMessage(alice, peer(i), text);
  }
  return new Map(alice.store.sessions);
}

/**
 * `updates` successive session records for `peers` peers, as a burst of outgoing messages produces them
 * (each record is the previous one ratcheted forward by one message), in send order, round-robin.
 */
export async function sessionBurst(
  peers: number,
  updates: number,
): Promise<Array<readonly [string, SessionRecord]>> {
  const alice = signalContext();
  for (const [address, record] of await makeSessions(peers, 1)) alice.store.sessions.set(address, record);
  const text = new TextEncoder().encode("burst message");
  const out: Array<readonly [string, SessionRecord]> = [];
  for (let u = 0; u < updates; u++) {
    const address = peer(u % peers);
    await encryptMessage(alice, address, text);
    out.push([address, alice.store.sessions.get(address)!]);
  }
  return out;
}

/** A sender-key record for group `g`, after `messages` group messages. */
export async function makeSenderKey(name: string, messages = 2): Promise<SenderKeyRecord> {
  const ctx = signalContext();
  await createSenderKeyDistributionMessage(ctx, name);
  for (let m = 0; m < messages; m++) await groupEncrypt(ctx, name, new Uint8Array(32));
  return ctx.store.senderKeys.get(name)!;
}

/** Bytes 0..n-1 offset by `seed`, for recognisable payloads. */
export const fill = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

/** A small seeded PRNG (mulberry32), so a failing random case (a crash test's kill point) replays from its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock tests move by hand (milliseconds). */
export class ManualClock {
  now: number;
  constructor(start = 1_700_000_000_000) {
    this.now = start;
  }
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}
