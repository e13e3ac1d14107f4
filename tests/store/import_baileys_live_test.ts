// The Baileys import against a folder the real Baileys 7 client (npm baileys@7.0.0-rc14, a test-only peer)
// wrote while it was linked to a virtual phone through FakeWhatsApp and chatting with a contact, 1:1 and in
// a group. The folder is imported into a SqliteStore, a wadeno Client logs in from it without pairing,
// and the same conversations go on: the contact's next messages decrypt on the session and sender key
// Baileys made (the server is watched: no new session or sender key was needed), wadeno's replies decrypt
// on the contact's side on the session Baileys made, and the app state key the phone shared with Baileys
// decrypts the phone's next chat action.
import { assert, assertEquals } from "../_assert.ts";
import { getChild, getChildren, Jid, type Node } from "../../src/binary/mod.ts";
import type { Client } from "../../src/client/client.ts";
import { messageText } from "../../src/features/message_builders.ts";
import { senderKeyName } from "../../src/signal/mod.ts";
import { SqliteStore } from "../../src/store/mod.ts";
import { importBaileysAuthState } from "../../src/store/import_baileys.ts";
import type { FakeWhatsApp, VirtualPhone } from "../../src/testing/mod.ts";
import { deadline, newClient, startServer } from "../e2e/helpers.ts";
import {
  baileysReceived,
  muteConsole,
  nextBaileysEvent,
  startBaileys,
  trustRoot,
} from "../_peers/baileys_client.ts";

/** The `enc` types a message stanza carries for one device (`users`: its account's PN and LID users). */
function encTypesFor(node: Node, users: ReadonlySet<string>, deviceId: number): string[] {
  const types: string[] = [];
  for (const to of getChildren(getChild(node, "participants") ?? node, "to")) {
    const jid = Jid.tryParse(to.attrs.jid ?? "");
    if (jid && users.has(jid.user) && jid.device === deviceId) {
      for (const enc of getChildren(to, "enc")) types.push(enc.attrs.type ?? "");
    }
  }
  return types;
}

/** What Baileys was when it closed: its own JIDs, the group it was in, and the app state key it got. */
interface BaileysRun {
  me: { id: string; lid: string };
  group: Jid;
  appStateKeyId: string;
}

/**
 * Links a real Baileys client to `owner`'s phone by QR, lets it get the phone's app state key, chats
 * with `contact` both ways 1:1 and in a group the contact made, then closes it: its folder is then what a
 * Baileys bot that has been running a while leaves behind.
 */
async function runBaileys(
  wa: FakeWhatsApp,
  owner: VirtualPhone,
  contact: Client,
  folder: string,
): Promise<BaileysRun> {
  let scanned: Promise<unknown> | undefined;
  const baileys = await startBaileys({
    url: wa.url,
    authDir: folder,
    onQr: (qr) => void (scanned ??= owner.scanQr(qr)),
    signal: deadline(),
  });
  try {
    await scanned;
    const { sock } = baileys;
    const keyShared = sock.authState.creds.myAppStateKeyId
      ? Promise.resolve()
      : nextBaileysEvent(sock, "creds.update", (u) => u.myAppStateKeyId !== undefined, deadline());
    const contactJid = contact.jid!.toNonAd();

    const got = baileysReceived(sock, "hello from a phone", deadline());
    await contact.sendText(owner.jid, "hello from a phone");
    await got;
    const answered = contact.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "hello from Baileys",
    });
    await sock.sendMessage(contactJid.toString(), { text: "hello from Baileys" });
    await answered;

    const { group } = await contact.groups.create({ subject: "Import", participants: [owner.jid] });
    const groupGot = baileysReceived(sock, "group hello", deadline());
    await contact.sendText(group.jid, "group hello");
    await groupGot;
    const groupAnswered = contact.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "group hello from Baileys",
    });
    await sock.sendMessage(group.jid.toString(), { text: "group hello from Baileys" });
    await groupAnswered;
    await keyShared;
    const { me, myAppStateKeyId } = sock.authState.creds;
    assert(me?.lid && myAppStateKeyId, "Baileys knows its LID and holds the phone's key");
    return { me: { id: me.id, lid: me.lid }, group: group.jid, appStateKeyId: myAppStateKeyId };
  } finally {
    await baileys.close();
  }
}

Deno.test("a folder the real Baileys client wrote imports; wadeno goes on talking without pairing", async () => {
  const unmute = muteConsole();
  const root = await Deno.makeTempDir({ prefix: "wadeno-baileys-live-" });
  const folder = `${root}/auth_info_baileys`;
  await using wa = await startServer();
  const untrust = trustRoot(wa.rootPublicKey);
  try {
    const owner = wa.phone("15550600001");
    const friend = wa.phone("15550600002");
    // The owner's phone runs, so it shares its app state key with the companion it links.
    const phone = await owner.client();
    const contact = await friend.client();
    const run = await runBaileys(wa, owner, contact, folder);

    // --- import ---------------------------------------------------------------------------------------
    await using store = await SqliteStore.open(`${root}/wadeno.db`);
    const report = await importBaileysAuthState(folder, store);
    assertEquals(report.imported.sessions, 2, "the contact's device and the owner's phone");
    assertEquals(report.imported.senderKeys, 2, "the contact's in the group, and Baileys' own");
    assertEquals(report.imported.syncKeys, 1, "the key the owner's phone shared");
    assertEquals(report.imported.lidMappings, 2, "the owner's and the contact's");
    assert((report.imported.preKeys ?? 0) > 0);
    // Left out: only what wadeno does not keep, and each of those kinds was in the folder.
    const kinds = [/^device-list-/, /^sender-key-memory-/, /^tctoken-__index\.json$/];
    for (const name of report.skipped) assert(kinds.some((k) => k.test(name)), `${name} left out`);
    for (const k of kinds) assert(report.skipped.some((n) => k.test(n)), `no file matching ${k} left out`);
    const device = (await store.loadDevice())!;
    assertEquals([device.pn?.toString(), device.lid?.toString()], [run.me.id, run.me.lid]);
    assertEquals([device.pn?.user, device.lid?.user], [owner.jid.user, owner.lid.user]);
    assert(await store.getSyncKey(Uint8Array.fromBase64(run.appStateKeyId)));
    assertEquals(report.imported.tcTokens, 1, "the token the contact gave");
    assert(await store.getTcToken(Jid.lid(friend.lid.user).toString()));
    // Baileys' own sender key in the group, where wadeno's group cipher looks for it (under the LID).
    const ownKeyName = senderKeyName(run.group.toString(), device.lid!.toSignalAddress());
    const ownKey = (await store.loadSenderKey(ownKeyName))?.states[0];
    assert(ownKey && ownKey.iteration > 0, "Baileys sent one group message on it");

    // --- wadeno logs in from it -----------------------------------------------------------------------
    await using bot = await newClient(wa, { store });
    let pairing = 0;
    bot.on("pairingQrCode", () => void pairing++);
    bot.on("pairingCode", () => void pairing++);
    const undecryptable: unknown[] = [];
    bot.on("undecryptableMessage", (e) => void undecryptable.push(e));
    const botUsers = new Set([owner.jid.user, owner.lid.user]);
    const friendUsers = new Set([friend.jid.user, friend.lid.user]);
    const botId = device.pn!.device;
    const fromContact: Node[] = [];
    const fromBot: Node[] = [];
    const stopWatching = wa.onStanza((node, sender) => {
      if (node.tag !== "message" || !sender) return;
      if (friendUsers.has(sender.user)) fromContact.push(node);
      if (botUsers.has(sender.user) && sender.device === botId) fromBot.push(node);
    });
    await bot.connect({ signal: deadline() });
    assertEquals([bot.jid?.toString(), bot.lid?.toString()], [run.me.id, run.me.lid]);

    // --- the 1:1 conversation goes on, both ways, on Baileys' sessions --------------------------------
    const received = bot.waitFor("message", {
      signal: deadline(),
      filter: (e) => messageText(e.message) === "still there?",
    });
    await contact.sendText(owner.jid, "still there?");
    assertEquals((await received).info.source.sender.user, friend.jid.user);
    assertEquals(
      fromContact.flatMap((n) => encTypesFor(n, botUsers, botId)),
      ["msg"],
      "the contact went on with the session Baileys had: no new prekey message",
    );
    const reply = contact.waitFor("message", {
      signal: deadline(),
      filter: (m) => messageText(m.message) === "yes, now on wadeno",
    });
    await bot.sendText(friend.jid, "yes, now on wadeno");
    await reply;
    assertEquals(
      fromBot.flatMap((n) => encTypesFor(n, friendUsers, 0)),
      ["msg"],
      "wadeno went on with the session Baileys had",
    );

    // --- and in the group, on the sender key Baileys received ------------------------------------------
    fromContact.length = 0;
    const groupReceived = bot.waitFor("message", {
      signal: deadline(),
      filter: (m) => messageText(m.message) === "group, after the move",
    });
    await contact.sendText(run.group, "group, after the move");
    assertEquals((await groupReceived).info.source.chat.toString(), run.group.toString());
    assertEquals(
      fromContact.flatMap((n) => encTypesFor(n, botUsers, botId)),
      [],
      "no sender key sent again: the one Baileys received decrypted it",
    );
    const groupReply = contact.waitFor("message", {
      signal: deadline(),
      filter: (m) => messageText(m.message) === "group reply from wadeno",
    });
    await bot.sendText(run.group, "group reply from wadeno");
    await groupReply;
    const ownAfter = (await store.loadSenderKey(ownKeyName))?.states[0];
    assertEquals(ownAfter?.keyId, ownKey.keyId, "wadeno went on with Baileys' own sender key");
    assertEquals(ownAfter?.iteration, ownKey.iteration + 1);

    // --- the phone's next chat action decrypts with the app state key Baileys was given ---------------
    fromBot.length = 0;
    const archived = bot.waitFor("archiveUpdate", {
      signal: deadline(),
      filter: (e) => e.jid.user === friend.jid.user && e.action.archived === true,
    });
    await phone.chats.archive(friend.jid);
    await archived;
    assertEquals(
      fromBot.filter((n) => botUsers.has(Jid.tryParse(n.attrs.to ?? "")?.user ?? "")).length,
      0,
      "wadeno asked its phone for no key",
    );

    stopWatching();
    assertEquals(pairing, 0, "no pairing");
    assertEquals(undecryptable, []);
  } finally {
    untrust();
    unmute();
    await Deno.remove(root, { recursive: true });
  }
});
