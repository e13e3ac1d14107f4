/**
 * The `ClientPayload` a companion sends in the Noise ClientFinish: the registration payload for a new
 * device (carrying the keys the phone will see) and the login payload for a paired one. Shapes from
 * reference/protocol-facts.md ("ClientPayload"): registration has passive=false, pull=false and
 * `devicePairingData`; login has username, device, passive=true, pull=true, lidDbMigrated=true.
 *
 * @module
 */

import { type Jid, uintBytes } from "../binary/mod.ts";
import type { Device } from "../store/mod.ts";
import { DJB_KEY_TYPE, md5, utf8 } from "../crypto/mod.ts";
import {
  ClientPayload,
  ClientPayloadConnectReason,
  ClientPayloadConnectType,
  DeviceProps,
  DevicePropsPlatformType,
  type HistorySyncConfig,
  UserAgentPlatform,
  UserAgentReleaseChannel,
  WebInfoSubPlatform,
} from "../proto/mod.ts";

/** A WhatsApp Web version, e.g. `[2, 3000, 1045649367]`. */
export type WaVersion = readonly [number, number, number];

/** The WhatsApp Web version wadeno announces unless told otherwise (whatsmeow's current default). */
export const DEFAULT_WA_VERSION: WaVersion = [2, 3000, 1045649367];

/** How the companion shows up in the phone's Linked devices list. */
export interface DevicePropsOptions {
  /** Operating system name shown on the phone. Default `wadeno`. */
  os?: string;
  /** Version of that OS/app. Default `0.1.0`. */
  version?: readonly [number, number, number];
  /** Platform type (Chrome, Firefox, Desktop, ...). Default `UNKNOWN`. */
  platformType?: DevicePropsPlatformType;
  /** Ask the phone for a full history sync. Default false. */
  requireFullSync?: boolean;
  /** History-sync limits to announce, merged over the defaults (storage quota, inline bootstrap). */
  historySyncConfig?: HistorySyncConfig;
}

/** Builds the `DeviceProps` sent at registration. */
export function buildDeviceProps(options: DevicePropsOptions = {}): DeviceProps {
  const v = options.version ?? [0, 1, 0];
  return {
    os: options.os ?? "wadeno",
    version: { primary: v[0], secondary: v[1], tertiary: v[2] },
    platformType: options.platformType ?? DevicePropsPlatformType.UNKNOWN,
    requireFullSync: options.requireFullSync ?? false,
    historySyncConfig: {
      storageQuotaMb: 10240,
      inlineInitialPayloadInE2eeMsg: true,
      thumbnailSyncDaysLimit: 60,
      ...options.historySyncConfig,
    },
  };
}

/** The MD5 of the version string, the `buildHash` WhatsApp expects at registration. */
export function versionBuildHash(version: WaVersion): Uint8Array {
  return md5(utf8(version.join(".")));
}

function basePayload(version: WaVersion): ClientPayload {
  return {
    userAgent: {
      platform: UserAgentPlatform.WEB,
      releaseChannel: UserAgentReleaseChannel.RELEASE,
      appVersion: { primary: version[0], secondary: version[1], tertiary: version[2] },
      mcc: "000",
      mnc: "000",
      osVersion: "0.1",
      manufacturer: "",
      device: "Desktop",
      osBuildNumber: "0.1",
      localeLanguageIso6391: "en",
      localeCountryIso31661Alpha2: "US",
    },
    webInfo: { webSubPlatform: WebInfoSubPlatform.WEB_BROWSER },
    connectType: ClientPayloadConnectType.WIFI_UNKNOWN,
    connectReason: ClientPayloadConnectReason.USER_ACTIVATED,
  };
}

/** What a registration payload needs from an unpaired device. */
export interface RegistrationInput {
  /** Signal registration id. */
  registrationId: number;
  /** Identity public key (32 bytes). */
  identityPublicKey: Uint8Array;
  /** Signed prekey id. */
  signedPreKeyId: number;
  /** Signed prekey public key (32 bytes). */
  signedPreKeyPublic: Uint8Array;
  /** Its XEdDSA signature (64 bytes). */
  signedPreKeySignature: Uint8Array;
  /** Announced version. */
  version: WaVersion;
  /** Device props shown on the phone. */
  deviceProps: DeviceProps;
  /** Push name, when set. */
  pushName?: string;
}

/** Encodes the registration payload for a device that is not paired yet. */
export function buildRegistrationPayload(input: RegistrationInput): Uint8Array {
  const payload = basePayload(input.version);
  payload.passive = false;
  payload.pull = false;
  if (input.pushName) payload.pushName = input.pushName;
  payload.devicePairingData = {
    eRegid: uintBytes(input.registrationId, 4),
    eKeytype: new Uint8Array([DJB_KEY_TYPE]),
    eIdent: input.identityPublicKey,
    eSkeyId: uintBytes(input.signedPreKeyId, 3),
    eSkeyVal: input.signedPreKeyPublic,
    eSkeySig: input.signedPreKeySignature,
    buildHash: versionBuildHash(input.version),
    deviceProps: DeviceProps.encode(input.deviceProps),
  };
  return ClientPayload.encode(payload);
}

/** Encodes the login payload for a paired device. */
export function buildLoginPayload(jid: Jid, version: WaVersion, pushName?: string): Uint8Array {
  const payload = basePayload(version);
  payload.username = BigInt(jid.user);
  payload.device = jid.device;
  payload.passive = true;
  payload.pull = true;
  payload.lidDbMigrated = true;
  payload.lc = 1;
  if (pushName) payload.pushName = pushName;
  return ClientPayload.encode(payload);
}

/** The payload for a device: login when it is paired, registration otherwise. */
export function buildClientPayload(device: Device, version: WaVersion): Uint8Array {
  if (device.pn && device.account) return buildLoginPayload(device.pn, version, device.pushName || undefined);
  return buildRegistrationPayload({
    registrationId: device.registrationId,
    identityPublicKey: device.identityKey.publicKey,
    signedPreKeyId: device.signedPreKey.keyId,
    signedPreKeyPublic: device.signedPreKey.keyPair.publicKey,
    signedPreKeySignature: device.signedPreKey.signature,
    version,
    deviceProps: device.deviceProps,
    pushName: device.pushName || undefined,
  });
}
