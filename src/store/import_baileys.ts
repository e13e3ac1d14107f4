/**
 * Importing a Baileys multi-file auth state folder (`useMultiFileAuthState`) into any wadeno
 * {@linkcode Backend}, so an account linked with Baileys logs in with wadeno without linking the phone again
 * and keeps talking to its contacts on the same Signal sessions.
 *
 * The folder's files (Baileys `src/Utils/use-multi-file-auth-state.ts`; names have `/` written `__` and
 * `:` written `-`; values are JSON whose bytes are `{ "type": "Buffer", "data": "<base64>" }`):
 * - `creds.json`: `noiseKey`, `signedIdentityKey`, `signedPreKey` (`keyPair`, `signature`, `keyId`),
 *   `registrationId`, `advSecretKey` (base64), `me` (`id`, `lid`, `name`), `account` (the decoded
 *   `ADVSignedDeviceIdentity`; a paired Baileys writes its bytes as base64 text, protobufjs' toJSON),
 *   `platform`, `nextPreKeyId`, `routingInfo`, `lastPropHash`; key pairs are `{ private, public }` with
 *   32-byte public keys.
 * - `pre-key-<id>.json`: `{ private, public }` (a paired Baileys holds its whole first upload, 812 keys).
 * - `session-<user>[_<domain>].<device>.json`: a libsignal-node `SessionRecord.serialize()` object,
 *   converted by the signal layer's {@linkcode sessionRecordFromLibsignalNode}.
 * - `identity-key-<address>.json`: the contact's identity key (33 bytes, 0x05-prefixed).
 * - `sender-key-<group>::<user>[_<domain>]::<device>.json`: UTF-8 JSON of Baileys' sender-key states,
 *   oldest first (wadeno keeps them newest first).
 * - `app-state-sync-key-<keyId base64>.json`: `AppStateSyncKeyData` (`keyData`, `fingerprint`, `timestamp`).
 * - `app-state-sync-version-<collection>.json`: `{ version, hash, indexValueMap }`.
 * - `lid-mapping-<pn user>.json`: the LID user (the `_reverse` files are the same pairs backwards).
 * - `tctoken-<jid>.json`: `{ token, timestamp, senderTimestamp }`; `tctoken-__index.json` is Baileys'
 *   list of those JIDs, not a token.
 *
 * Baileys' Signal address `user[_domain].device` (domain 0 = `s.whatsapp.net`, 1 = `lid`, 128 = `hosted`,
 * 129 = `hosted.lid`; Baileys `src/Signal/libsignal.ts`) becomes wadeno's `user[:device]@server.0`.
 * Baileys 7 keeps a contact's sessions under its LID but its sender keys under whatever address the group
 * message named (the phone number in a phone-number group); wadeno looks for both under the LID once the
 * mapping is known, so a phone-number session, identity or sender key whose number the folder maps is
 * stored under the LID (and left out when the folder holds the LID one too).
 * Files Baileys keeps that wadeno does not (`sender-key-memory`, `device-list`) are counted as skipped.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import type { KeyPair } from "../crypto/mod.ts";
import { AppStateSyncKeyFingerprint } from "../proto/mod.ts";
import {
  PreKeyRecord,
  SenderKeyRecord,
  SenderKeyState,
  sessionRecordFromLibsignalNode,
  SignedPreKeyRecord,
} from "../signal/mod.ts";
import type { Backend } from "./backend.ts";
import { createDevice, type Device } from "./device.ts";
import { StoreError } from "./errors.ts";

/** What {@linkcode importBaileysAuthState} imported, by kind, and the files it skipped. */
export interface BaileysImportReport {
  /** Counts of imported items: `sessions`, `preKeys`, `identities`, `senderKeys`, `syncKeys`, ... */
  imported: Record<string, number>;
  /** Files left out (kinds wadeno does not keep), by name. */
  skipped: string[];
}

/** The largest file the import reads (a session with long history is tens of KB). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const DOMAIN_SERVERS: Readonly<Record<string, string>> = {
  "0": "c.us",
  "1": "lid",
  "128": "hosted",
  "129": "hosted.lid",
};

function bad(file: string, message: string, cause?: unknown): StoreError {
  return new StoreError("corrupt", `Baileys auth state ${file}: ${message}`, {
    table: "baileys",
    key: file,
    cause,
  });
}

/** JSON.parse with Baileys' BufferJSON reviver: `{type:"Buffer",data}` and byte-indexed objects become bytes. */
function parseBufferJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text, (_key, value) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
      if (value.type === "Buffer") {
        if (typeof value.data === "string") return Uint8Array.fromBase64(value.data);
        if (Array.isArray(value.data)) return Uint8Array.from(value.data as number[]);
      }
      const keys = Object.keys(value);
      if (
        keys.length > 0 && keys.every((k) => /^\d+$/.test(k)) &&
        Object.values(value).every((v) => typeof v === "number")
      ) {
        return Uint8Array.from(keys.map((k) => value[k] as number));
      }
      return value;
    });
  } catch (e) {
    throw bad(file, `not valid JSON: ${e instanceof Error ? e.message : e}`, e);
  }
}

function bytes(value: unknown, file: string, what: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw bad(file, `${what}: expected bytes, got ${typeof value}`);
  if (length !== undefined && value.length !== length) {
    throw bad(file, `${what}: expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

function base64(text: string, file: string, what: string): Uint8Array {
  try {
    return Uint8Array.fromBase64(text);
  } catch (e) {
    throw bad(file, `${what}: expected base64 text, got ${JSON.stringify(text.slice(0, 20))}`, e);
  }
}

/** Bytes, or the base64 text protobufjs' toJSON writes for them. */
function bytesOrBase64(value: unknown, file: string, what: string, length?: number): Uint8Array {
  return bytes(typeof value === "string" ? base64(value, file, what) : value, file, what, length);
}

/** A 32-byte public key, dropping the 0x05 type byte libsignal adds. */
function publicKey(value: unknown, file: string, what: string): Uint8Array {
  const b = bytes(value, file, what);
  if (b.length === 33 && b[0] === 5) return b.slice(1);
  if (b.length !== 32) {
    throw bad(file, `${what}: expected a 32- or 33-byte public key, got ${b.length} bytes`);
  }
  return b;
}

function keyPair(value: unknown, file: string, what: string): KeyPair {
  const v = value as { private?: unknown; public?: unknown } | null;
  if (typeof v !== "object" || v === null) throw bad(file, `${what}: expected a key pair`);
  return {
    privateKey: bytes(v.private, file, `${what}.private`, 32),
    publicKey: publicKey(v.public, file, `${what}.public`),
  };
}

function int(value: unknown, file: string, what: string): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw bad(file, `${what}: expected an integer, got ${value}`);
  }
  return n;
}

/** Baileys' `user[_domain].device` Signal address as wadeno's `user[:device]@server.0`. */
export function baileysAddressToSignal(address: string): string | undefined {
  const m = /^([^_.@]+)(?:_(\d+))?\.(\d+)$/.exec(address);
  if (!m) return undefined;
  const server = DOMAIN_SERVERS[m[2] ?? "0"];
  if (server === undefined) return undefined;
  return m[3] === "0" ? `${m[1]}@${server}.0` : `${m[1]}:${m[3]}@${server}.0`;
}

/** The device of `creds.json`, on top of a fresh device's defaults for what Baileys does not keep. */
function deviceFromCreds(creds: Record<string, unknown>): Device {
  const f = "creds.json";
  const device = createDevice();
  device.noiseKey = keyPair(creds.noiseKey, f, "noiseKey");
  device.identityKey = keyPair(creds.signedIdentityKey, f, "signedIdentityKey");
  const spk = creds.signedPreKey as { keyPair?: unknown; signature?: unknown; keyId?: unknown } | undefined;
  if (!spk) throw bad(f, "signedPreKey missing");
  device.signedPreKey = {
    keyId: int(spk.keyId, f, "signedPreKey.keyId"),
    keyPair: keyPair(spk.keyPair, f, "signedPreKey.keyPair"),
    signature: bytes(spk.signature, f, "signedPreKey.signature", 64),
  };
  device.registrationId = int(creds.registrationId, f, "registrationId");
  if (typeof creds.advSecretKey !== "string") throw bad(f, "advSecretKey: expected base64 text");
  device.advSecretKey = base64(creds.advSecretKey, f, "advSecretKey");
  const me = creds.me as { id?: unknown; lid?: unknown; name?: unknown } | undefined;
  try {
    if (typeof me?.id === "string") device.pn = Jid.parse(me.id);
    if (typeof me?.lid === "string") device.lid = Jid.parse(me.lid);
  } catch (e) {
    throw bad(f, `me: not a JID: ${e instanceof Error ? e.message : e}`, e);
  }
  if (typeof me?.name === "string") device.pushName = me.name;
  const account = creds.account as Record<string, unknown> | undefined;
  if (account) {
    // A paired Baileys keeps the decoded protobufjs message, whose toJSON writes bytes as base64 text.
    device.account = {
      details: bytesOrBase64(account.details, f, "account.details"),
      accountSignatureKey: bytesOrBase64(account.accountSignatureKey, f, "account.accountSignatureKey"),
      accountSignature: bytesOrBase64(account.accountSignature, f, "account.accountSignature", 64),
      deviceSignature: bytesOrBase64(account.deviceSignature, f, "account.deviceSignature", 64),
    };
  }
  if (typeof creds.platform === "string") device.platform = creds.platform;
  if (creds.nextPreKeyId !== undefined) device.nextPreKeyId = int(creds.nextPreKeyId, f, "nextPreKeyId");
  if (creds.routingInfo instanceof Uint8Array) device.edgeRoutingInfo = creds.routingInfo;
  if (typeof creds.lastPropHash === "string") device.propsHash = creds.lastPropHash;
  return device;
}

interface BaileysSenderKeyState {
  senderKeyId?: unknown;
  senderChainKey?: { iteration?: unknown; seed?: unknown };
  senderSigningKey?: { public?: unknown; private?: unknown };
  senderMessageKeys?: Array<{ iteration?: unknown; seed?: unknown }>;
}

function senderKeyFrom(value: unknown, file: string): SenderKeyRecord {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes(value, file, "sender key"));
  const states = parseBufferJson(text, file);
  if (!Array.isArray(states)) throw bad(file, "expected an array of sender-key states");
  // Baileys appends new chains (oldest first); wadeno keeps newest first.
  return new SenderKeyRecord(
    (states as BaileysSenderKeyState[]).reverse().map((s) => {
      const priv = s.senderSigningKey?.private;
      return new SenderKeyState({
        keyId: int(s.senderKeyId, file, "senderKeyId"),
        iteration: int(s.senderChainKey?.iteration, file, "iteration"),
        chainKey: bytes(s.senderChainKey?.seed, file, "chain key", 32),
        signingPublicKey: publicKey(s.senderSigningKey?.public, file, "signing key"),
        signingPrivateKey: priv instanceof Uint8Array && priv.length === 32 ? priv : undefined,
        messageKeys: (s.senderMessageKeys ?? []).map((k) => ({
          iteration: int(k.iteration, file, "message key iteration"),
          seed: bytes(k.seed, file, "message key seed", 32),
        })),
        extras: {},
      });
    }),
  );
}

/** The folder's files as (kind, id) pairs: `session-1555.0.json` → ["session", "1555.0"]. */
const KINDS = [
  "app-state-sync-version",
  "app-state-sync-key",
  "sender-key-memory",
  "identity-key",
  "lid-mapping",
  "device-list",
  "sender-key",
  "pre-key",
  "session",
  "tctoken",
] as const;

function classify(name: string): { kind: string; id: string } | undefined {
  if (!name.endsWith(".json")) return undefined;
  const base = name.slice(0, -5);
  for (const kind of KINDS) {
    if (base.startsWith(`${kind}-`)) {
      // Undo Baileys' fixFileName ("/" → "__", ":" → "-"); only sender-key names contain "::".
      let id = base.slice(kind.length + 1).replaceAll("__", "/");
      if (kind === "sender-key") id = id.replace(/--([^-]+)--(\d+)$/, "::$1::$2");
      return { kind, id };
    }
  }
  return undefined;
}

/** Baileys' index of the contacts it holds tokens for (`TC_TOKEN_INDEX_KEY`), not a token. */
function isTcTokenIndex(file: { kind: string; name: string }): boolean {
  return file.kind === "tctoken" && file.name === "tctoken-__index.json";
}

/** A phone-number Signal address moved to the contact's LID when the mapping is known. */
function preferLid(
  address: string,
  lidByPn: ReadonlyMap<string, string>,
): { address: string; moved: boolean } {
  const m = /^([^:@]+)(:\d+)?@c\.us\.0$/.exec(address);
  const lid = m && lidByPn.get(m[1]);
  return lid ? { address: `${lid}${m[2] ?? ""}@lid.0`, moved: true } : { address, moved: false };
}

/**
 * The wadeno address (or sender-key name) each session, identity and sender-key file goes to: under the
 * LID when the folder maps the phone number to one, as wadeno keeps them (it finds a LID-addressed sender
 * key only under the LID). `null`: a phone-number file whose LID twin is in the folder too (the newer one,
 * Baileys migrated it), left out.
 */
function planAddresses(
  files: ReadonlyArray<{ name: string; kind: string; id: string }>,
  lidByPn: ReadonlyMap<string, string>,
): Map<string, string | null> {
  const planned: Array<{ name: string; key: string; target: string; moved: boolean }> = [];
  for (const { name, kind, id } of files) {
    if (kind === "session" || kind === "identity-key") {
      const address = baileysAddressToSignal(id);
      if (address === undefined) throw bad(name, `not a Baileys Signal address: ${id}`);
      const to = preferLid(address, lidByPn);
      planned.push({ name, key: `${kind} ${to.address}`, target: to.address, moved: to.moved });
    } else if (kind === "sender-key") {
      const m = /^(.+)::([^:]+)::(\d+)$/.exec(id);
      const address = m && baileysAddressToSignal(`${m[2]}.${m[3]}`);
      if (!m || !address) throw bad(name, `not a Baileys sender-key name: ${id}`);
      const to = preferLid(address, lidByPn);
      const target = `${m[1]}::${to.address}`;
      planned.push({ name, key: `${kind} ${target}`, target, moved: to.moved });
    }
  }
  const native = new Set(planned.filter((p) => !p.moved).map((p) => p.key));
  return new Map(planned.map((p) => [p.name, p.moved && native.has(p.key) ? null : p.target]));
}

/**
 * Imports the Baileys auth state in `folder` into `store` (the store's own account), then flushes it.
 * Bytes that do not decode reject with `StoreError` kind `corrupt` naming the file; nothing is flushed
 * then, but writes already made stay pending in `store` (import into a fresh store).
 *
 * @example
 * ```ts
 * import { importBaileysAuthState, SqliteStore } from "@wadeno/client";
 * export async function example() {
 *   await using store = await SqliteStore.open("bot.db");
 *   const report = await importBaileysAuthState("./auth_info_baileys", store);
 *   console.log(report.imported, "left out:", report.skipped); // { sessions: 42, preKeys: 30, ... }
 * }
 * ```
 */
export async function importBaileysAuthState(folder: string, store: Backend): Promise<BaileysImportReport> {
  const read = async (name: string) => {
    const path = `${folder}/${name}`;
    const info = await Deno.stat(path);
    if (info.size > MAX_FILE_BYTES) {
      throw bad(name, `${info.size} bytes, more than the ${MAX_FILE_BYTES} accepted`);
    }
    return parseBufferJson(await Deno.readTextFile(path), name);
  };
  let creds: Record<string, unknown>;
  try {
    creds = await read("creds.json") as Record<string, unknown>;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new StoreError("invalid_input", `${folder} holds no creds.json: not a Baileys auth state folder`);
    }
    throw e;
  }
  const device = deviceFromCreds(creds);
  const local = { identityPublicKey: device.identityKey.publicKey, registrationId: device.registrationId };
  const imported: Record<string, number> = {};
  const count = (kind: string, n = 1) => (imported[kind] = (imported[kind] ?? 0) + n);
  const skipped: string[] = [];
  const files: Array<{ name: string; kind: string; id: string }> = [];
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile || entry.name === "creds.json") continue;
    const file = classify(entry.name);
    if (file === undefined) skipped.push(entry.name);
    else files.push({ name: entry.name, ...file });
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  await store.saveDevice(device);
  await store.storeSignedPreKey(
    new SignedPreKeyRecord(
      device.signedPreKey.keyId,
      device.signedPreKey.keyPair,
      device.signedPreKey.signature,
      0,
    ),
  );

  // LID mappings first: wadeno keeps a contact's sessions and sender keys under its LID once known.
  const lidByPn = new Map<string, string>();
  if (device.pn && device.lid) lidByPn.set(device.pn.user, device.lid.user);
  const now = Math.floor(Date.now() / 1000);
  for (const file of files) {
    if (file.kind !== "lid-mapping" || file.id.endsWith("_reverse")) continue; // _reverse: LID → PN
    const value = await read(file.name);
    if (typeof value !== "string") throw bad(file.name, "expected the LID user as a string");
    lidByPn.set(file.id, value);
    // Baileys keeps no dates: createdAt 0 lets any mapping learned later take precedence.
    await store.putLidMapping({
      lid: value,
      phoneNumber: file.id,
      createdAt: 0,
      updatedAt: now,
      learningSource: "baileys_import",
    });
    count("lidMappings");
  }
  const targets = planAddresses(files, lidByPn);

  const preKeys: PreKeyRecord[] = [];
  for (const file of files) {
    const { name } = file;
    if (file.kind === "lid-mapping") continue;
    if (file.kind === "device-list" || file.kind === "sender-key-memory" || isTcTokenIndex(file)) {
      skipped.push(name);
      continue;
    }
    const target = targets.get(name);
    if (target === null) {
      skipped.push(name); // a phone-number copy of a state the folder also keeps under the LID
      continue;
    }
    const value = await read(name);
    switch (file.kind) {
      case "pre-key": {
        preKeys.push(new PreKeyRecord(int(file.id, name, "pre-key id"), keyPair(value, name, "pre-key")));
        break;
      }
      case "session": {
        let record;
        try {
          record = sessionRecordFromLibsignalNode(value as never, local);
        } catch (e) {
          throw bad(name, `session does not convert: ${e instanceof Error ? e.message : e}`, e);
        }
        await store.storeSession(target!, record);
        count("sessions");
        break;
      }
      case "identity-key": {
        await store.saveIdentity(target!, publicKey(value, name, "identity key"));
        count("identities");
        break;
      }
      case "sender-key": {
        await store.storeSenderKey(target!, senderKeyFrom(value, name));
        count("senderKeys");
        break;
      }
      case "app-state-sync-key": {
        const v = value as { keyData?: unknown; fingerprint?: Record<string, unknown>; timestamp?: unknown };
        const fp = v.fingerprint ?? {};
        await store.setSyncKey(base64(file.id, name, "key id"), {
          // Baileys stores the protobufjs message, whose toJSON writes bytes as base64 text.
          keyData: bytesOrBase64(v.keyData, name, "keyData", 32),
          fingerprint: AppStateSyncKeyFingerprint.encode({
            rawId: fp.rawId === undefined ? undefined : int(fp.rawId, name, "rawId"),
            currentIndex: fp.currentIndex === undefined
              ? undefined
              : int(fp.currentIndex, name, "currentIndex"),
            deviceIndexes: Array.isArray(fp.deviceIndexes)
              ? fp.deviceIndexes.map((d) => int(d, name, "deviceIndexes"))
              : [],
          }),
          timestamp: int(v.timestamp ?? 0, name, "timestamp"),
        });
        count("syncKeys");
        break;
      }
      case "app-state-sync-version": {
        const v = value as {
          version?: unknown;
          hash?: unknown;
          indexValueMap?: Record<string, { valueMac?: unknown }>;
        };
        const version = int(v.version, name, "version");
        await store.setAppStateVersion(file.id, { version, hash: bytes(v.hash, name, "hash", 128) });
        const macs = Object.entries(v.indexValueMap ?? {}).map(([indexMac, e]) => ({
          indexMac: base64(indexMac, name, "index MAC"),
          valueMac: bytes(e.valueMac, name, "valueMac", 32),
        }));
        if (macs.length > 0) await store.putMutationMacs(file.id, version, macs);
        count("appStateVersions");
        break;
      }
      case "tctoken": {
        const v = value as { token?: unknown; timestamp?: unknown; senderTimestamp?: unknown };
        const entry = {
          token: bytes(v.token, name, "token"),
          tokenTimestamp: int(v.timestamp ?? 0, name, "timestamp"),
        };
        await store.putTcToken(
          file.id,
          v.senderTimestamp === undefined
            ? entry
            : { ...entry, senderTimestamp: int(v.senderTimestamp, name, "senderTimestamp") },
        );
        count("tcTokens");
        break;
      }
      default:
        skipped.push(name);
    }
  }
  // One write for the prekeys: a paired Baileys folder holds its whole upload (812 of them).
  if (preKeys.length > 0) {
    await store.storePreKeys(preKeys);
    count("preKeys", preKeys.length);
  }
  await store.flush();
  return { imported, skipped };
}
