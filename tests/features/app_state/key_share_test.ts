// App state key shares and requests, and which messages the send pipeline sends as peer messages. Field
// layout: reference/protocol-facts-features.md 2.1 (tulir/whatsmeow proto waE2E AppStateSyncKey*,
// appstate.go requestAppStateKeys); a peer message goes to one of our own devices only (whatsmeow send.go
// SendRequestExtra{Peer: true} -> preparePeerMessageNode; protocol-facts-features.md 3.3).
import { assert, assertEquals } from "../../_assert.ts";
import { Jid } from "../../../src/binary/mod.ts";
import { isPeerMessage } from "../../../src/client/messaging/send.ts";
import {
  generateSyncKey,
  keyRequestMessage,
  keyShareMessage,
  MAX_KEYS_PER_MESSAGE,
  MAX_SYNC_KEY_ID_LENGTH,
  readKeyRequest,
  readKeyShare,
} from "../../../src/features/app_state/key_share.ts";
import { AppStateSyncKeyFingerprint, Message, ProtocolMessageType } from "../../../src/proto/mod.ts";

Deno.test("a key share survives the wire: ids, data, fingerprint and timestamp", () => {
  const a = generateSyncKey({ nowMs: 1_700_000_000_123, deviceIndexes: [0, 3] });
  const b = generateSyncKey({ nowMs: 1_700_000_000_456 });
  const message = Message.decode(Message.encode(keyShareMessage([a, b])));
  assertEquals(message.protocolMessage?.type, ProtocolMessageType.APP_STATE_SYNC_KEY_SHARE);
  const { keys, skipped } = readKeyShare(message.protocolMessage?.appStateSyncKeyShare);
  assertEquals(skipped, 0);
  assertEquals(keys, [a, b]);
  assertEquals(AppStateSyncKeyFingerprint.decode(keys[0].fingerprint).deviceIndexes, [0, 3]);
});

Deno.test("generated keys: 6-byte ids with two zero bytes first, 32 random bytes of data, all distinct", () => {
  const keys = Array.from({ length: 16 }, () => generateSyncKey());
  for (const k of keys) {
    assertEquals([k.keyId.length, k.keyId[0], k.keyId[1], k.keyData.length], [6, 0, 0, 32]);
  }
  assertEquals(new Set(keys.map((k) => k.keyData.toHex())).size, 16);
});

Deno.test("a hostile share: entries without an id, with a long id or short data are skipped, and the count is bounded", () => {
  const good = { keyId: { keyId: new Uint8Array([1]) }, keyData: { keyData: new Uint8Array(32) } };
  const share = {
    keys: [
      { keyData: { keyData: new Uint8Array(32) } },
      {
        keyId: { keyId: new Uint8Array(MAX_SYNC_KEY_ID_LENGTH + 1) },
        keyData: { keyData: new Uint8Array(32) },
      },
      { keyId: { keyId: new Uint8Array([2]) }, keyData: { keyData: new Uint8Array(31) } },
      { keyId: { keyId: new Uint8Array([3]) }, keyData: { keyData: new Uint8Array(32), timestamp: -5n } },
      ...Array.from({ length: MAX_KEYS_PER_MESSAGE + 2 }, () => good),
    ],
  };
  const { keys, skipped } = readKeyShare(share);
  assertEquals(keys.length, MAX_KEYS_PER_MESSAGE);
  assertEquals(skipped, 3 + 3);
  assertEquals(keys[0].timestamp, 0, "a negative timestamp reads as none");
  assertEquals(readKeyShare(undefined), { keys: [], skipped: 0 });
});

Deno.test("a key request lists distinct, well-formed ids only", () => {
  const one = new Uint8Array([0, 0, 0, 0, 0, 1]);
  const m = Message.decode(Message.encode(keyRequestMessage([one, new Uint8Array([7])])));
  assertEquals(m.protocolMessage?.type, ProtocolMessageType.APP_STATE_SYNC_KEY_REQUEST);
  assertEquals(readKeyRequest(m.protocolMessage?.appStateSyncKeyRequest), [one, new Uint8Array([7])]);
  assertEquals(
    readKeyRequest({ keyIds: [{ keyId: one }, { keyId: one.slice() }, {}, { keyId: new Uint8Array(0) }] }),
    [one],
  );
});

Deno.test("peer messages: plumbing protocol messages to our own account, by PN or LID, and nothing else", () => {
  const me = { pn: Jid.pn("15550001", 4), lid: Jid.lid("88880001", 4) };
  const request = keyRequestMessage([new Uint8Array([1])]);
  const share = keyShareMessage([generateSyncKey()]);
  assert(isPeerMessage(Jid.pn("15550001"), request, me));
  assert(isPeerMessage(Jid.pn("15550001", 7), share, me));
  assert(isPeerMessage(Jid.lid("88880001"), share, me));
  assert(!isPeerMessage(Jid.pn("15550002"), share, me), "not to another account");
  assert(!isPeerMessage(Jid.lid("15550001"), share, me), "a LID with our phone number is someone else");
  assert(!isPeerMessage(Jid.pn("15550001"), { conversation: "hi" }, me), "a text to ourselves is not");
  const revoke: Message = { protocolMessage: { type: ProtocolMessageType.REVOKE } };
  assert(!isPeerMessage(Jid.pn("15550001"), revoke, me), "user-visible protocol messages are not");
});
