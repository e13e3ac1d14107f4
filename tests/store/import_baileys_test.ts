// importBaileysAuthState against folders written by Baileys' own code (the npm `baileys` package, a test-only
// peer): its useMultiFileAuthState, its libsignal repository (sessions started both ways, sender keys, LID
// mappings), and its key store for app state keys and versions. After the import, the same conversations
// continue through wadeno's signal layer with the peers that Baileys talked to. Logging in from a folder a
// real Baileys client wrote while paired and chatting is import_baileys_live_test.ts.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { proto, useMultiFileAuthState } from "npm:baileys@7.0.0-rc14";
import { addTransactionCapability } from "npm:/baileys@7.0.0-rc14/lib/Utils/auth-utils.js";
import { makeLibSignalRepository } from "npm:/baileys@7.0.0-rc14/lib/Signal/libsignal.js";
import { prefixPublicKey } from "../../src/crypto/mod.ts";
import {
  createSenderKeyDistributionMessage,
  decryptMessage,
  encryptMessage,
  generatePreKeys,
  generateSignedPreKey,
  groupDecrypt,
  groupEncrypt,
  makePreKeyBundle,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  senderKeyName,
  type SignalContext,
} from "../../src/signal/mod.ts";
import { AppStateSyncKeyFingerprint } from "../../src/proto/mod.ts";
import { type Device, MemoryStore, StoreError } from "../../src/store/mod.ts";
import { baileysAddressToSignal, importBaileysAuthState } from "../../src/store/import_baileys.ts";
import { signalContext } from "./fixtures.ts";

const quiet = {
  level: "silent",
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const ME = "15550009999:7@s.whatsapp.net";
const ME_ADDRESS = "15550009999:7@c.us.0";
const PEER = "15550001111@s.whatsapp.net";
const PEER_ADDRESS = "15550001111@c.us.0";
// Where wadeno keeps PEER's and its own state once their LIDs are known (the folder maps both).
const PEER_LID_ADDRESS = "100000001111@lid.0";
const ME_LID_ADDRESS = "100000009999:7@lid.0";
const PEER2 = "15550002222@s.whatsapp.net";
const PEER2_ADDRESS = "15550002222@c.us.0";
const GROUP = "120363000000000777@g.us";

Deno.test("Baileys addresses map onto wadeno's (Baileys src/Signal/libsignal.ts jidToSignalProtocolAddress)", () => {
  assertEquals(baileysAddressToSignal("15551234567.0"), "15551234567@c.us.0");
  assertEquals(baileysAddressToSignal("15551234567.12"), "15551234567:12@c.us.0");
  assertEquals(baileysAddressToSignal("100000012345678_1.3"), "100000012345678:3@lid.0");
  assertEquals(baileysAddressToSignal("100000012345678_129.99"), "100000012345678:99@hosted.lid.0");
  assertEquals(baileysAddressToSignal("1555_7.0"), undefined);
  assertEquals(baileysAddressToSignal("not an address"), undefined);
});

Deno.test("a folder written by Baileys imports, and its conversations continue in wadeno", async () => {
  const folder = await Deno.makeTempDir({ prefix: "wadeno-baileys-" });
  try {
    // --- Baileys side -----------------------------------------------------------------------------
    const { state, saveCreds } = await useMultiFileAuthState(folder);
    const keys = addTransactionCapability(state.keys, quiet as never, {
      maxCommitRetries: 1,
      delayBetweenTriesMs: 1,
    });
    const repo = makeLibSignalRepository({ creds: state.creds, keys }, quiet as never, undefined as never);
    state.creds.me = { id: ME, lid: "100000009999:7@lid", name: "Baileys Bot" };
    state.creds.account = {
      details: Buffer.alloc(40, 1),
      accountSignatureKey: Buffer.alloc(32, 2),
      accountSignature: Buffer.alloc(64, 3),
      deviceSignature: Buffer.alloc(64, 4),
    };
    state.creds.platform = "android";
    // Prekeys the way Baileys makes them for an upload.
    const preKeys: Record<string, { private: Uint8Array; public: Uint8Array }> = {};
    for (let id = 1; id <= 5; id++) {
      preKeys[id] = (await import("npm:baileys@7.0.0-rc14")).Curve.generateKeyPair();
    }
    await keys.set({ "pre-key": preKeys });
    state.creds.nextPreKeyId = 6;

    // PEER: Baileys starts the session from PEER's bundle; two messages each way.
    const peer = signalContext();
    const peerSigned = generateSignedPreKey(peer.identity.identityKeyPair, 3);
    const [peerPreKey] = generatePreKeys(40, 1);
    await peer.store.storeSignedPreKey(peerSigned);
    await peer.store.storePreKeys([peerPreKey]);
    await repo.injectE2ESession({
      jid: PEER,
      session: {
        registrationId: peer.identity.registrationId,
        identityKey: Buffer.from(prefixPublicKey(peer.identity.identityKeyPair.publicKey)),
        signedPreKey: {
          keyId: 3,
          publicKey: Buffer.from(prefixPublicKey(peerSigned.keyPair.publicKey)),
          signature: Buffer.from(peerSigned.signature),
        },
        preKey: { keyId: 40, publicKey: Buffer.from(prefixPublicKey(peerPreKey.keyPair.publicKey)) },
      },
    });
    const talk = async (n: number) => {
      const out = await repo.encryptMessage({ jid: PEER, data: Buffer.from(enc(`baileys ${n}`)) });
      assertEquals(dec(await decryptMessage(peer, ME_ADDRESS, out.type, out.ciphertext)), `baileys ${n}`);
      const back = await encryptMessage(peer, ME_ADDRESS, enc(`peer ${n}`));
      assertEquals(
        dec(
          await repo.decryptMessage({ jid: PEER, type: back.type, ciphertext: Buffer.from(back.ciphertext) }),
        ),
        `peer ${n}`,
      );
    };
    await talk(1);
    await talk(2);

    // PEER2 starts the session from Baileys' bundle (consuming prekey 2).
    const peer2 = signalContext();
    const baileysIdentity = {
      identityKeyPair: {
        publicKey: state.creds.signedIdentityKey.public,
        privateKey: state.creds.signedIdentityKey.private,
      },
      registrationId: state.creds.registrationId,
    };
    const spk = state.creds.signedPreKey;
    await processPreKeyBundle(
      peer2,
      ME_ADDRESS,
      {
        ...makePreKeyBundle(baileysIdentity, {
          keyId: spk.keyId,
          publicKey: spk.keyPair.public,
          signature: spk.signature,
        } as never),
        preKey: { keyId: 2, publicKey: preKeys[2].public },
      },
    );
    const first = await encryptMessage(peer2, ME_ADDRESS, enc("hello from peer2"));
    assertEquals(first.type, "pkmsg");
    assertEquals(
      dec(
        await repo.decryptMessage({ jid: PEER2, type: "pkmsg", ciphertext: Buffer.from(first.ciphertext) }),
      ),
      "hello from peer2",
    );

    // The group: Baileys' own sender key (distributed to PEER) and PEER's (distributed to Baileys).
    const sent = await repo.encryptGroupMessage({
      group: GROUP,
      meId: ME,
      data: Buffer.from(enc("group from baileys")),
    });
    await processSenderKeyDistributionMessage(
      peer,
      senderKeyName(GROUP, ME_ADDRESS),
      sent.senderKeyDistributionMessage,
    );
    assertEquals(
      dec(await groupDecrypt(peer, senderKeyName(GROUP, ME_ADDRESS), sent.ciphertext)),
      "group from baileys",
    );
    const peerName = senderKeyName(GROUP, PEER_ADDRESS);
    const peerSkdm = await createSenderKeyDistributionMessage(peer, peerName);
    await repo.processSenderKeyDistributionMessage({
      item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: Buffer.from(peerSkdm) },
      authorJid: PEER,
    });
    assertEquals(
      dec(
        await repo.decryptGroupMessage({
          group: GROUP,
          authorJid: PEER,
          msg: Buffer.from(await groupEncrypt(peer, peerName, enc("g1"))),
        }),
      ),
      "g1",
    );

    // App state keys and versions, a LID mapping, a trusted-contact token, as Baileys stores them.
    const syncKeyId = Uint8Array.from([0, 0, 0, 9, 1, 2]);
    await keys.set({
      "app-state-sync-key": {
        [Buffer.from(syncKeyId).toString("base64")]: proto.Message.AppStateSyncKeyData.fromObject({
          keyData: Buffer.alloc(32, 7),
          fingerprint: { rawId: 5, currentIndex: 2, deviceIndexes: [0, 7] },
          timestamp: 1_700_000_000_000,
        }),
      },
      "app-state-sync-version": {
        regular: {
          version: 4,
          hash: Buffer.alloc(128, 9),
          indexValueMap: { [Buffer.alloc(32, 1).toString("base64")]: { valueMac: Buffer.alloc(32, 2) } },
        },
      },
      tctoken: { [PEER]: { token: Buffer.from([1, 2, 3]), timestamp: "1700000000" } },
    } as never);
    await repo.lidMapping.storeLIDPNMappings([{ lid: "100000001111@lid", pn: PEER }]);
    await saveCreds();
    // PEER's sender key also under its LID name, as a Baileys that learned the LID first keeps it: the
    // phone-number file is then the older copy and is left out.
    await Deno.copyFile(
      `${folder}/sender-key-${GROUP}--15550001111--0.json`,
      `${folder}/sender-key-${GROUP}--100000001111_1--0.json`,
    );

    // --- import ------------------------------------------------------------------------------------
    const store = new MemoryStore();
    const report = await importBaileysAuthState(folder, store);
    assertEquals(report.imported.sessions, 2);
    assertEquals(report.imported.preKeys, 4, "prekey 2 was consumed by PEER2's message");
    assertEquals(report.imported.senderKeys, 2);
    assert(report.skipped.includes(`sender-key-${GROUP}--15550001111--0.json`), "its LID twin supersedes it");
    assert(await store.loadIdentity(PEER2_ADDRESS), "no mapping for PEER2: its PN address stays");
    // PEER's session moved to its LID, as wadeno keeps it once the mapping is known.
    assertEquals(await store.loadSession(PEER_ADDRESS), undefined);
    assert(await store.loadSession(PEER_LID_ADDRESS));
    const device = (await store.loadDevice()) as Device;
    assertEquals(device.pn?.toString(), ME);
    assertEquals(device.lid?.toString(), "100000009999:7@lid");
    assertEquals(device.pushName, "Baileys Bot");
    assertEquals(device.registrationId, state.creds.registrationId);
    assertEquals(device.identityKey.publicKey, new Uint8Array(state.creds.signedIdentityKey.public));
    assertEquals(device.noiseKey.privateKey, new Uint8Array(state.creds.noiseKey.private));
    assertEquals(device.advSecretKey.toBase64(), state.creds.advSecretKey);
    assertEquals(device.account?.deviceSignature, new Uint8Array(64).fill(4));
    assert((await store.loadPreKey(2)) === undefined && (await store.loadPreKey(5)) !== undefined);

    // --- the conversations continue -----------------------------------------------------------------
    const me: SignalContext = {
      store,
      identity: { identityKeyPair: device.identityKey, registrationId: device.registrationId },
    };
    for (const [ctx, address] of [[peer, PEER_LID_ADDRESS], [peer2, PEER2_ADDRESS]] as const) {
      const out = await encryptMessage(me, address, enc("wadeno now"));
      assertEquals(out.type, "msg", `${address}: the session was acknowledged under Baileys`);
      assertEquals(dec(await decryptMessage(ctx, ME_ADDRESS, out.type, out.ciphertext)), "wadeno now");
      const back = await encryptMessage(ctx, ME_ADDRESS, enc("still here"));
      assertEquals(dec(await decryptMessage(me, address, back.type, back.ciphertext)), "still here");
    }
    // Both sender keys are under the LID names wadeno's group cipher looks up.
    const ownName = senderKeyName(GROUP, ME_LID_ADDRESS);
    assertEquals(
      dec(
        await groupDecrypt(
          peer,
          senderKeyName(GROUP, ME_ADDRESS),
          await groupEncrypt(me, ownName, enc("g from wadeno")),
        ),
      ),
      "g from wadeno",
    );
    const peerLidName = senderKeyName(GROUP, PEER_LID_ADDRESS);
    assertEquals(
      dec(await groupDecrypt(me, peerLidName, await groupEncrypt(peer, peerName, enc("g2")))),
      "g2",
    );

    const syncKey = await store.getSyncKey(syncKeyId);
    assertEquals(syncKey?.keyData, new Uint8Array(32).fill(7));
    assertEquals(syncKey?.timestamp, 1_700_000_000_000);
    assertEquals(AppStateSyncKeyFingerprint.decode(syncKey!.fingerprint).deviceIndexes, [0, 7]);
    assertEquals((await store.getAppStateVersion("regular")).version, 4);
    assertEquals(
      await store.getMutationMac("regular", new Uint8Array(32).fill(1)),
      new Uint8Array(32).fill(2),
    );
    assertEquals((await store.getPnMapping("15550001111"))?.lid, "100000001111");
    assertEquals((await store.getTcToken(PEER))?.tokenTimestamp, 1_700_000_000);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("a creds.json whose account bytes are not base64 is refused, naming the file and the field", async () => {
  const folder = await Deno.makeTempDir({ prefix: "wadeno-baileys-" });
  try {
    const { state, saveCreds } = await useMultiFileAuthState(folder);
    // A paired Baileys writes the account (a protobufjs message) with its bytes as base64 text.
    state.creds.account = {
      details: "not base64!",
      accountSignatureKey: Buffer.alloc(32, 2).toString("base64"),
      accountSignature: Buffer.alloc(64, 3).toString("base64"),
      deviceSignature: Buffer.alloc(64, 4).toString("base64"),
    } as never;
    await saveCreds();
    const e = await assertRejects(() => importBaileysAuthState(folder, new MemoryStore()), StoreError);
    assertEquals(e.kind, "corrupt");
    assert(e.message.includes("creds.json") && e.message.includes("account.details"), e.message);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
