// importWhatsmeowStore on a fixture database with whatsmeow's published table layout (tulir/whatsmeow
// store/sqlstore/upgrades/00-latest-schema.sql, the tables this import reads, in SQLite types), whose rows
// are a real account: a wadeno client paired with a FakeWhatsApp phone that has exchanged messages, its
// state written the way whatsmeow stores it (private keys alone, libsignal protobuf records, addresses
// `user[_agent]:device`). After the import a new client logs in without pairing and the same conversation
// continues on the existing Signal sessions.
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../_assert.ts";
import { messageText } from "../../src/features/message_builders.ts";
import { MemoryStore, SqliteStore } from "../../src/store/mod.ts";
import { importWhatsmeowStore, whatsmeowAddressToSignal } from "../../src/store/import_whatsmeow.ts";
import { deadline, newClient, pairByQr, startServer } from "../e2e/helpers.ts";

// The whatsmeow tables the import reads (column names and meaning as in whatsmeow's schema file).
const WHATSMEOW_DDL = `
CREATE TABLE whatsmeow_device (
  jid TEXT PRIMARY KEY, lid TEXT, facebook_uuid TEXT,
  registration_id INTEGER NOT NULL, noise_key BLOB NOT NULL, identity_key BLOB NOT NULL,
  signed_pre_key BLOB NOT NULL, signed_pre_key_id INTEGER NOT NULL, signed_pre_key_sig BLOB NOT NULL,
  adv_key BLOB NOT NULL, adv_details BLOB NOT NULL, adv_account_sig BLOB NOT NULL,
  adv_account_sig_key BLOB NOT NULL, adv_device_sig BLOB NOT NULL,
  platform TEXT NOT NULL DEFAULT '', business_name TEXT NOT NULL DEFAULT '', push_name TEXT NOT NULL DEFAULT '',
  lid_migration_ts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE whatsmeow_identity_keys (our_jid TEXT, their_id TEXT, identity BLOB NOT NULL, PRIMARY KEY (our_jid, their_id));
CREATE TABLE whatsmeow_pre_keys (jid TEXT, key_id INTEGER, key BLOB NOT NULL, uploaded BOOLEAN NOT NULL, PRIMARY KEY (jid, key_id));
CREATE TABLE whatsmeow_sessions (our_jid TEXT, their_id TEXT, session BLOB, PRIMARY KEY (our_jid, their_id));
CREATE TABLE whatsmeow_sender_keys (our_jid TEXT, chat_id TEXT, sender_id TEXT, sender_key BLOB NOT NULL,
  PRIMARY KEY (our_jid, chat_id, sender_id));
CREATE TABLE whatsmeow_app_state_sync_keys (jid TEXT, key_id BLOB, key_data BLOB NOT NULL, timestamp INTEGER NOT NULL,
  fingerprint BLOB NOT NULL, PRIMARY KEY (jid, key_id));
CREATE TABLE whatsmeow_app_state_version (jid TEXT, name TEXT, version INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (jid, name));
CREATE TABLE whatsmeow_app_state_mutation_macs (jid TEXT, name TEXT, version INTEGER, index_mac BLOB, value_mac BLOB NOT NULL,
  PRIMARY KEY (jid, name, version, index_mac));
CREATE TABLE whatsmeow_message_secrets (our_jid TEXT, chat_jid TEXT, sender_jid TEXT, message_id TEXT, key BLOB NOT NULL,
  PRIMARY KEY (our_jid, chat_jid, sender_jid, message_id));
CREATE TABLE whatsmeow_privacy_tokens (our_jid TEXT, their_jid TEXT, token BLOB NOT NULL, timestamp INTEGER NOT NULL,
  PRIMARY KEY (our_jid, their_jid));
CREATE TABLE whatsmeow_lid_map (lid TEXT PRIMARY KEY, pn TEXT UNIQUE NOT NULL);
`;

/** wadeno's `user[:device]@server.0` as whatsmeow's `user[_agent]:device` (the inverse of the import's map). */
function toWhatsmeowAddress(address: string): string {
  const m = /^([^:@]+)(?::(\d+))?@(.+)\.0$/.exec(address)!;
  const agent = { "c.us": "", lid: "_1", hosted: "_128", "hosted.lid": "_129" }[m[3]];
  return `${m[1]}${agent}:${m[2] ?? "0"}`;
}

Deno.test("whatsmeow addresses map onto wadeno's (whatsmeow types/jid.go SignalAddress)", () => {
  assertEquals(whatsmeowAddressToSignal("15551234567:0"), "15551234567@c.us.0");
  assertEquals(whatsmeowAddressToSignal("15551234567:12"), "15551234567:12@c.us.0");
  assertEquals(whatsmeowAddressToSignal("100000012345678_1:3"), "100000012345678:3@lid.0");
  assertEquals(whatsmeowAddressToSignal("15551234567.0"), undefined);
  assertEquals(toWhatsmeowAddress("100000012345678:3@lid.0"), "100000012345678_1:3");
});

Deno.test("a whatsmeow database imports; the client logs in without pairing and the conversation continues", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wadeno-whatsmeow-" });
  try {
    await using wa = await startServer();
    const phone = wa.phone("15550400001");
    const primary = await phone.client();
    const original = await SqliteStore.open(`${dir}/wadeno.db`);
    const linked = await newClient(wa, { store: original });
    await pairByQr(linked, phone);
    // A conversation both ways, so there are established sessions to carry over.
    const first = linked.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "one",
    });
    await primary.sendText(linked.jid!.toNonAd(), "one");
    await first;
    const second = primary.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "two",
    });
    await linked.sendText(phone.jid.toNonAd(), "two");
    await second;
    const device = (await original.loadDevice())!;
    await linked.disconnect();
    await original.close();

    // --- the fixture: the account's rows in whatsmeow's layout ---------------------------------------
    const raw = new DatabaseSync(`${dir}/wadeno.db`, { readOnly: true });
    const fixture = new DatabaseSync(`${dir}/whatsmeow.db`);
    fixture.exec(WHATSMEOW_DDL);
    const jid = device.pn!.toString();
    const a = device.account!;
    fixture.prepare(
      "INSERT INTO whatsmeow_device (jid, lid, registration_id, noise_key, identity_key, signed_pre_key, " +
        "signed_pre_key_id, signed_pre_key_sig, adv_key, adv_details, adv_account_sig, adv_account_sig_key, " +
        "adv_device_sig, platform, push_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      jid,
      device.lid?.toString() ?? null,
      device.registrationId,
      device.noiseKey.privateKey,
      device.identityKey.privateKey,
      device.signedPreKey.keyPair.privateKey,
      device.signedPreKey.keyId,
      device.signedPreKey.signature,
      device.advSecretKey,
      a.details!,
      a.accountSignature!,
      a.accountSignatureKey!,
      a.deviceSignature!,
      device.platform,
      device.pushName,
    );
    let sessions = 0;
    for (const r of raw.prepare("SELECT address, record FROM sessions").all()) {
      fixture.prepare("INSERT INTO whatsmeow_sessions VALUES (?, ?, ?)").run(
        jid,
        toWhatsmeowAddress(String(r.address)),
        r.record as Uint8Array,
      );
      sessions++;
    }
    assert(sessions > 0, "the conversation left sessions");
    for (const r of raw.prepare("SELECT address, key FROM identities").all()) {
      fixture.prepare("INSERT INTO whatsmeow_identity_keys VALUES (?, ?, ?)").run(
        jid,
        toWhatsmeowAddress(String(r.address)),
        r.key as Uint8Array,
      );
    }
    // whatsmeow keeps a prekey's private key alone; the record's first field holds the pair.
    const { PreKeyRecord } = await import("../../src/signal/mod.ts");
    let preKeys = 0;
    for (const r of raw.prepare("SELECT prekey_id, record FROM prekeys").all()) {
      const key = PreKeyRecord.deserialize(r.record as Uint8Array);
      fixture.prepare("INSERT INTO whatsmeow_pre_keys VALUES (?, ?, ?, 1)").run(
        jid,
        Number(r.prekey_id),
        key.keyPair.privateKey,
      );
      preKeys++;
    }
    fixture.prepare("INSERT INTO whatsmeow_app_state_version VALUES (?, 'regular', 5, ?)").run(
      jid,
      new Uint8Array(128).fill(3),
    );
    fixture.prepare("INSERT INTO whatsmeow_app_state_mutation_macs VALUES (?, 'regular', 5, ?, ?)").run(
      jid,
      new Uint8Array(32).fill(1),
      new Uint8Array(32).fill(2),
    );
    fixture.prepare("INSERT INTO whatsmeow_lid_map VALUES ('100000004444', '15550404444')").run();
    fixture.prepare(
      "INSERT INTO whatsmeow_privacy_tokens VALUES (?, '15550400001@s.whatsapp.net', ?, 1700000000)",
    ).run(
      jid,
      new Uint8Array([9, 9]),
    );
    raw.close();
    fixture.close();

    // --- import, log in, continue ----------------------------------------------------------------------
    const imported = new MemoryStore();
    const report = await importWhatsmeowStore({ sqlite: `${dir}/whatsmeow.db` }, imported);
    assertEquals(report.jid, jid);
    assertEquals(report.imported.sessions, sessions);
    assertEquals(report.imported.preKeys, preKeys);
    assertEquals((await imported.getAppStateVersion("regular")).version, 5);
    assertEquals(
      await imported.getMutationMac("regular", new Uint8Array(32).fill(1)),
      new Uint8Array(32).fill(2),
    );
    assertEquals((await imported.getPnMapping("15550404444"))?.lid, "100000004444");
    assertEquals((await imported.getTcToken("15550400001@s.whatsapp.net"))?.tokenTimestamp, 1_700_000_000);
    const back = (await imported.loadDevice())!;
    assertEquals(
      back.identityKey.publicKey,
      device.identityKey.publicKey,
      "public keys derived from the private ones",
    );
    assertEquals(back.noiseKey.publicKey, device.noiseKey.publicKey);

    await using bot = await newClient(wa, { store: imported });
    let askedToPair = false;
    bot.on("pairingQrCode", () => {
      askedToPair = true;
    });
    await bot.connect({ signal: deadline() });
    assertEquals(bot.jid?.toString(), jid);
    const three = bot.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "three",
    });
    await primary.sendText(bot.jid!.toNonAd(), "three");
    await three;
    const four = primary.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "four",
    });
    await bot.sendText(phone.jid.toNonAd(), "four");
    await four;
    assertEquals(askedToPair, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
