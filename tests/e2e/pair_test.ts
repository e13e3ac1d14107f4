import { assert, assertEquals, assertInstanceOf, assertRejects } from "../_assert.ts";
import { ConnectionError } from "../../src/features/errors.ts";
import { PairError } from "../../src/client/pair_crypto.ts";
import { deadline, newClient, pairByQr, startServer } from "./helpers.ts";

Deno.test("QR pairing then login: the phone scans, the client countersigns, restarts on 515 and logs in", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15551234567");
  await using client = await newClient(wa);
  const events: string[] = [];
  client.on("pairingQrCode", () => void events.push("qr"));
  client.on("pairSuccess", () => void events.push("pairSuccess"));
  client.on("disconnected", (e) => void events.push(`disconnected:${e.willReconnect}`));
  client.on("connected", () => void events.push("connected"));
  const paired = client.waitFor("pairSuccess", { signal: deadline() });
  await pairByQr(client, phone);
  const success = await paired;
  assertEquals(success.jid.user, "15551234567");
  assertEquals(success.jid.device, 1);
  assert(client.isLoggedIn);
  assertEquals(client.jid?.toString(), "15551234567:1@s.whatsapp.net");
  assertEquals(client.lid?.user, phone.lid.user);
  assertEquals(events, ["qr", "pairSuccess", "disconnected:true", "connected"]);
  // The server registered the companion with the keys the client generated.
  const linked = phone.linkedDevices();
  assertEquals(linked.length, 1);
  assertEquals(linked[0].identityKey, client.device.identityKey.publicKey);
  // Prekeys were uploaded after the first login (812, the server had none).
  assertEquals(linked[0].preKeys.size, 812);
  // The phone's identity is trusted for its device-0 addresses.
  assertEquals(await client.store.loadIdentity(phone.jid.toSignalAddress()), phone.identityKey);
});

Deno.test("pair code: the client shows an 8-character code, the phone enters it, the client logs in", async () => {
  await using wa = await startServer();
  const phone = wa.phone("+44 7700 900123");
  await using client = await newClient(wa);
  const connected = client.connect({ signal: deadline() });
  const code = await client.pairWithCode({ phoneNumber: "+44 7700 900123", signal: deadline() });
  assertEquals(code.length, 8);
  const pairing = await phone.enterPairCode(code);
  await connected;
  assertEquals(pairing.jid.toString(), client.jid?.toString());
  assert(client.isLoggedIn);
});

Deno.test("pair code: a wrong code typed on the phone does not pair", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15550001111");
  await using client = await newClient(wa);
  const connecting = client.connect({ signal: deadline() }).catch((e) => e);
  const code = await client.pairWithCode({ phoneNumber: "15550001111", signal: deadline() });
  const wrong = code === "ABCDEFGH" ? "HGFEDCBA" : "ABCDEFGH";
  await assertRejects(() => phone.enterPairCode(wrong), PairError, "cannot open");
  assertEquals(phone.linkedDevices().length, 0);
  assert(!client.isPaired);
  await client.disconnect();
  assertInstanceOf(await connecting, ConnectionError);
});

Deno.test("a forged account signature is refused: PairError event, error reply, nothing stored", async () => {
  await using wa = await startServer();
  const phone = wa.phone("15552223333");
  await using client = await newClient(wa);
  const pairError = client.waitFor("pairError", { signal: deadline() });
  const connecting = client.connect({ signal: deadline() }).catch((e) => e);
  const { code } = await client.waitFor("pairingQrCode", { signal: deadline() });
  const refused = await assertRejects(() => phone.scanQr(code, { forgeAccountSignature: true }), PairError);
  assertEquals([refused.status, refused.text], [401, "signature-mismatch"]);
  const event = await pairError;
  assertEquals((event.error as PairError).text, "signature-mismatch");
  const err = await connecting;
  assertInstanceOf(err, ConnectionError);
  assertEquals(err.code, "pair_error");
  assert(!client.isPaired, "the device must not be marked paired");
  assertEquals(phone.linkedDevices().length, 0);
});
