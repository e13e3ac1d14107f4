/**
 * The `Device` model: everything this linked device is (its keys, its ids, what the server told it), as
 * plain data, plus {@linkcode createDevice} for a fresh unpaired device and the versioned byte encoding the
 * backends store it in.
 *
 * The signed account identity (`account`) is kept as the decoded `ADVSignedDeviceIdentity` proto: the
 * client reads `accountSignatureKey`/`details` from it and re-encodes it for the `device-identity` node,
 * and the generated codec keeps the signed `details` bytes and any unknown fields verbatim, so nothing
 * the signatures cover is lost in the round trip.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { generateKeyPair, type KeyPair, prefixPublicKey, randomBytes, xeddsaSign } from "../crypto/mod.ts";
import { ADVSignedDeviceIdentity, DeviceProps } from "../proto/mod.ts";
import { StoreError } from "./errors.ts";

/** Length of the ADV secret key, used to verify the primary's HMAC at pairing. */
export const ADV_SECRET_KEY_LENGTH = 32;
/** Largest registration id libsignal generates (ids are 1..16380). */
export const MAX_REGISTRATION_ID = 16380;
/** The id of the first signed prekey of a fresh device. */
export const FIRST_SIGNED_PRE_KEY_ID = 1;

/** A signed prekey: a key pair whose 0x05-prefixed public key the identity key signed with XEdDSA. */
export interface SignedPreKey {
  /** The signed prekey id (24-bit on the wire). */
  keyId: number;
  /** The Curve25519 key pair. */
  keyPair: KeyPair;
  /** The 64-byte XEdDSA signature by the identity key over `prefixPublicKey(keyPair.publicKey)`. */
  signature: Uint8Array;
}

/** The WhatsApp Web version this device announces, and when it was last looked up. */
export interface DeviceAppVersion {
  /** e.g. 2 in 2.3000.1023456789. */
  primary: number;
  /** e.g. 3000. */
  secondary: number;
  /** e.g. 1023456789. */
  tertiary: number;
  /** When the version was last fetched, Unix milliseconds; 0 for never. */
  lastFetchedMs: number;
}

/**
 * Everything a linked device must remember between runs. Plain data: change a copy and hand it to
 * `DeviceStore.saveDevice`.
 */
export interface Device {
  /** The Noise static key pair (the transport identity). */
  noiseKey: KeyPair;
  /** The Signal identity key pair. */
  identityKey: KeyPair;
  /** The current signed prekey. */
  signedPreKey: SignedPreKey;
  /** The Signal registration id, 1..{@linkcode MAX_REGISTRATION_ID}. */
  registrationId: number;
  /** The 32-byte ADV secret key shared with the primary through the QR code. */
  advSecretKey: Uint8Array;
  /** Our phone-number JID with device, e.g. `15551234567:12@s.whatsapp.net`; unset until paired. */
  pn?: Jid;
  /** Our LID with device, e.g. `100000012345678:12@lid`; unset until paired (or if the server sent none). */
  lid?: Jid;
  /** The account-signed device identity from pair-success, as the decoded proto; unset until paired. */
  account?: ADVSignedDeviceIdentity;
  /** Our display name. */
  pushName: string;
  /** The primary's platform from pair-success, e.g. `android`. */
  platform: string;
  /** The business name from pair-success, if a business account. */
  businessName: string;
  /** The next prekey id to hand out. Only grows; never reused even after keys are consumed. */
  nextPreKeyId: number;
  /** The announced app version. */
  appVersion: DeviceAppVersion;
  /** The device description shown in the phone's linked devices list. */
  deviceProps: DeviceProps;
  /** Edge routing info the server sent, replayed in the next connection's header. */
  edgeRoutingInfo?: Uint8Array;
  /** The server's props hash (A/B props), if any. */
  propsHash?: string;
}

function randomRegistrationId(): number {
  // Uniform in 1..16380 by rejection sampling over 14 random bits.
  for (;;) {
    const b = randomBytes(2);
    const v = ((b[0] << 8) | b[1]) & 0x3fff;
    if (v < MAX_REGISTRATION_ID) return v + 1;
  }
}

/**
 * Makes a fresh, unpaired device: new Noise and identity key pairs, signed prekey 1 signed by the
 * identity key, a random registration id (1..16380) and 32 random bytes of ADV secret.
 *
 * @example
 * ```ts
 * import { createDevice } from "@wadeno/client/store";
 * const device = createDevice();
 * device.pn; // undefined until paired
 * device.signedPreKey.keyId; // 1
 * ```
 */
export function createDevice(): Device {
  const identityKey = generateKeyPair();
  const signedKeyPair = generateKeyPair();
  return {
    noiseKey: generateKeyPair(),
    identityKey,
    signedPreKey: {
      keyId: FIRST_SIGNED_PRE_KEY_ID,
      keyPair: signedKeyPair,
      signature: xeddsaSign(identityKey.privateKey, prefixPublicKey(signedKeyPair.publicKey)),
    },
    registrationId: randomRegistrationId(),
    advSecretKey: randomBytes(ADV_SECRET_KEY_LENGTH),
    pushName: "",
    platform: "",
    businessName: "",
    nextPreKeyId: 1,
    appVersion: { primary: 0, secondary: 0, tertiary: 0, lastFetchedMs: 0 },
    deviceProps: { os: "wadeno" },
  };
}

/** True once pairing stored our JID and the signed account identity. */
export function isPaired(device: Device): boolean {
  return device.pn !== undefined && device.account !== undefined;
}

const copyKeyPair = (k: KeyPair): KeyPair => ({
  publicKey: k.publicKey.slice(),
  privateKey: k.privateKey.slice(),
});

/**
 * A deep copy of a device, so a stored device and the caller's object never share mutable state. JIDs are
 * immutable and shared.
 */
export function cloneDevice(d: Device): Device {
  const copy: Device = {
    noiseKey: copyKeyPair(d.noiseKey),
    identityKey: copyKeyPair(d.identityKey),
    signedPreKey: {
      keyId: d.signedPreKey.keyId,
      keyPair: copyKeyPair(d.signedPreKey.keyPair),
      signature: d.signedPreKey.signature.slice(),
    },
    registrationId: d.registrationId,
    advSecretKey: d.advSecretKey.slice(),
    pushName: d.pushName,
    platform: d.platform,
    businessName: d.businessName,
    nextPreKeyId: d.nextPreKeyId,
    appVersion: { ...d.appVersion },
    deviceProps: structuredClone(d.deviceProps),
  };
  if (d.pn !== undefined) copy.pn = d.pn;
  if (d.lid !== undefined) copy.lid = d.lid;
  if (d.account !== undefined) copy.account = structuredClone(d.account);
  if (d.edgeRoutingInfo !== undefined) copy.edgeRoutingInfo = d.edgeRoutingInfo.slice();
  if (d.propsHash !== undefined) copy.propsHash = d.propsHash;
  return copy;
}

type Fail = (message: string) => never;

function bytesOf(v: unknown, len: number | undefined, what: string, fail: Fail): Uint8Array {
  if (!(v instanceof Uint8Array)) return fail(`${what}: expected bytes, got ${typeof v}`);
  if (len !== undefined && v.length !== len) return fail(`${what}: expected ${len} bytes, got ${v.length}`);
  return v;
}

function intOf(v: unknown, min: number, max: number, what: string, fail: Fail): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    return fail(`${what}: expected an integer in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

function keyPairOf(v: unknown, what: string, fail: Fail): KeyPair {
  if (typeof v !== "object" || v === null) return fail(`${what}: expected a key pair`);
  const k = v as Record<string, unknown>;
  bytesOf(k.publicKey, 32, `${what}.publicKey`, fail);
  bytesOf(k.privateKey, 32, `${what}.privateKey`, fail);
  return k as unknown as KeyPair;
}

function checkDeviceWith(v: unknown, fail: Fail): Device {
  if (typeof v !== "object" || v === null) return fail("expected a Device object");
  const d = v as Record<string, unknown>;
  keyPairOf(d.noiseKey, "noiseKey", fail);
  keyPairOf(d.identityKey, "identityKey", fail);
  const spk = d.signedPreKey as Record<string, unknown> | undefined;
  if (typeof spk !== "object" || spk === null) return fail("signedPreKey: expected an object");
  intOf(spk.keyId, 0, 0xffffff, "signedPreKey.keyId", fail);
  keyPairOf(spk.keyPair, "signedPreKey.keyPair", fail);
  bytesOf(spk.signature, 64, "signedPreKey.signature", fail);
  intOf(d.registrationId, 1, MAX_REGISTRATION_ID, "registrationId", fail);
  bytesOf(d.advSecretKey, ADV_SECRET_KEY_LENGTH, "advSecretKey", fail);
  for (const name of ["pn", "lid"] as const) {
    if (d[name] !== undefined && !(d[name] instanceof Jid)) fail(`${name}: expected a Jid`);
  }
  if (d.account !== undefined && (typeof d.account !== "object" || d.account === null)) {
    fail("account: expected an ADVSignedDeviceIdentity");
  }
  for (const name of ["pushName", "platform", "businessName"] as const) {
    if (typeof d[name] !== "string") fail(`${name}: expected a string`);
  }
  intOf(d.nextPreKeyId, 1, 0xffffffff, "nextPreKeyId", fail);
  const av = d.appVersion as Record<string, unknown> | undefined;
  if (typeof av !== "object" || av === null) return fail("appVersion: expected an object");
  for (const part of ["primary", "secondary", "tertiary"] as const) {
    intOf(av[part], 0, 0xffffffff, `appVersion.${part}`, fail);
  }
  intOf(av.lastFetchedMs, 0, Number.MAX_SAFE_INTEGER, "appVersion.lastFetchedMs", fail);
  if (typeof d.deviceProps !== "object" || d.deviceProps === null) fail("deviceProps: expected an object");
  if (d.edgeRoutingInfo !== undefined) bytesOf(d.edgeRoutingInfo, undefined, "edgeRoutingInfo", fail);
  if (d.propsHash !== undefined && typeof d.propsHash !== "string") fail("propsHash: expected a string");
  return d as unknown as Device;
}

/**
 * Checks that `value` is a well-formed {@linkcode Device} (key lengths, id ranges, field types).
 *
 * @throws {StoreError} `invalid_input` naming the first bad field.
 */
export function checkDevice(value: unknown): Device {
  return checkDeviceWith(value, (message) => {
    throw new StoreError("invalid_input", `invalid device: ${message}`, { table: "device" });
  });
}

/** The current version of the device encoding written by {@linkcode encodeDevice}. */
export const DEVICE_FORMAT = 1;

/**
 * Encodes a device as versioned UTF-8 JSON (bytes as base64, protos as their encoded bytes). JSON keeps
 * the stored row readable with the sqlite3 shell when debugging a broken session.
 */
export function encodeDevice(d: Device): Uint8Array {
  const kp = (k: KeyPair) => ({ pub: k.publicKey.toBase64(), priv: k.privateKey.toBase64() });
  const json = {
    format: DEVICE_FORMAT,
    noiseKey: kp(d.noiseKey),
    identityKey: kp(d.identityKey),
    signedPreKey: {
      keyId: d.signedPreKey.keyId,
      keyPair: kp(d.signedPreKey.keyPair),
      signature: d.signedPreKey.signature.toBase64(),
    },
    registrationId: d.registrationId,
    advSecretKey: d.advSecretKey.toBase64(),
    pn: d.pn?.toString(),
    lid: d.lid?.toString(),
    account: d.account === undefined ? undefined : ADVSignedDeviceIdentity.encode(d.account).toBase64(),
    pushName: d.pushName,
    platform: d.platform,
    businessName: d.businessName,
    nextPreKeyId: d.nextPreKeyId,
    appVersion: d.appVersion,
    deviceProps: DeviceProps.encode(d.deviceProps).toBase64(),
    edgeRoutingInfo: d.edgeRoutingInfo?.toBase64(),
    propsHash: d.propsHash,
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/**
 * Decodes what {@linkcode encodeDevice} wrote and checks every field.
 *
 * @throws {StoreError} `corrupt` (with `table: "device"` and `key`) when the bytes are not a valid device.
 */
export function decodeDevice(bytes: Uint8Array, key = ""): Device {
  const fail: Fail = (message) => {
    throw new StoreError("corrupt", `stored device does not decode: ${message}`, { table: "device", key });
  };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new StoreError("corrupt", "stored device is not valid UTF-8 JSON", {
      table: "device",
      key,
      cause: e,
    });
  }
  if (typeof json !== "object" || json === null) return fail("expected a JSON object");
  if (json.format !== DEVICE_FORMAT) return fail(`unknown format ${String(json.format)}`);
  const b64 = (v: unknown, what: string): Uint8Array => {
    if (typeof v !== "string") return fail(`${what}: expected base64 text`);
    try {
      return Uint8Array.fromBase64(v);
    } catch {
      return fail(`${what}: not base64`);
    }
  };
  const kp = (v: unknown, what: string): KeyPair => {
    const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
    return { publicKey: b64(o.pub, `${what}.pub`), privateKey: b64(o.priv, `${what}.priv`) };
  };
  const jid = (v: unknown, what: string): Jid | undefined => {
    if (v === undefined) return undefined;
    const parsed = typeof v === "string" ? Jid.tryParse(v) : undefined;
    return parsed ?? fail(`${what}: not a JID`);
  };
  const proto = <T>(v: unknown, what: string, decode: (b: Uint8Array) => T): T => {
    const raw = b64(v, what);
    try {
      return decode(raw);
    } catch {
      return fail(`${what}: not a valid protobuf`);
    }
  };
  const spk =
    (typeof json.signedPreKey === "object" && json.signedPreKey !== null ? json.signedPreKey : {}) as Record<
      string,
      unknown
    >;
  const device: Device = {
    noiseKey: kp(json.noiseKey, "noiseKey"),
    identityKey: kp(json.identityKey, "identityKey"),
    signedPreKey: {
      keyId: spk.keyId as number,
      keyPair: kp(spk.keyPair, "signedPreKey.keyPair"),
      signature: b64(spk.signature, "signedPreKey.signature"),
    },
    registrationId: json.registrationId as number,
    advSecretKey: b64(json.advSecretKey, "advSecretKey"),
    pushName: json.pushName as string,
    platform: json.platform as string,
    businessName: json.businessName as string,
    nextPreKeyId: json.nextPreKeyId as number,
    appVersion: json.appVersion as DeviceAppVersion,
    deviceProps: proto(json.deviceProps, "deviceProps", (b) => DeviceProps.decode(b)),
  };
  const pn = jid(json.pn, "pn");
  if (pn !== undefined) device.pn = pn;
  const lid = jid(json.lid, "lid");
  if (lid !== undefined) device.lid = lid;
  if (json.account !== undefined) {
    device.account = proto(json.account, "account", (b) => ADVSignedDeviceIdentity.decode(b));
  }
  if (json.edgeRoutingInfo !== undefined) {
    device.edgeRoutingInfo = b64(json.edgeRoutingInfo, "edgeRoutingInfo");
  }
  if (json.propsHash !== undefined) device.propsHash = json.propsHash as string;
  return checkDeviceWith(device, fail);
}
