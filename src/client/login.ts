/**
 * What happens at and after login: `<success>` (server time, LID, prekeys, active, key-bundle digest,
 * `connected`), `<failure>` at login, and `<stream:error>` at any time, each mapped to what the run loop
 * does next. The stream-error table is the seed's (reference/seed/09_api_client.md):
 *
 * | code | event | next |
 * | --- | --- | --- |
 * | 401 | loggedOut | stop (pair again) |
 * | 409 / conflict replaced | streamReplaced | stop |
 * | 429 | none | reconnect, 5 extra backoff steps |
 * | 503 | none | reconnect with backoff |
 * | 515 | none | reconnect at once |
 * | 516 | loggedOut | stop |
 * | other | streamError | reconnect with backoff (an unknown code is treated as transient, as the real clients do) |
 *
 * @module
 */

import {
  childBytes,
  getChild,
  type Jid,
  type Node,
  optAttrInt,
  optAttrJid,
  readUint,
} from "../binary/mod.ts";
import { equalBytes } from "../crypto/mod.ts";
import { ConnectionError } from "../features/errors.ts";
import type { ClientCore, ConnectionOutcome } from "./core.ts";
import { ConnectFailureReason, isLoggedOutReason } from "./events.ts";
import { ensurePreKeys, uploadPreKeys } from "./prekeys.ts";
import { RATE_LIMIT_BACKOFF_STEPS } from "./backoff.ts";

/** Maps a `<stream:error>` to events and the next step. */
export function handleStreamError(core: ClientCore, node: Node): ConnectionOutcome {
  const code = node.attrs.code ?? "";
  const conflict = getChild(node, "conflict");
  const conflictType = conflict?.attrs.type ?? "";
  const log = core.log.child("Client/Stream");
  if (code === "515") {
    log.info("server asked for a restart (515), reconnecting at once");
    return { action: "reconnect_now", reason: "stream error 515" };
  }
  if (code === "401" || code === "516" || conflictType === "device_removed") {
    const reason = code === "516" ? 516 : 401;
    log.warn(`device was logged out (stream error ${code || conflictType})`);
    core.emit("loggedOut", { onConnect: false, reason });
    return {
      action: "stop",
      reason: `stream error ${code || conflictType}`,
      error: new ConnectionError("logged_out", "the device was logged out; pair it again", reason),
    };
  }
  if (code === "409" || conflictType === "replaced") {
    log.warn("another client connected with this device's credentials");
    core.emit("streamReplaced", {});
    return {
      action: "stop",
      reason: "stream replaced",
      error: new ConnectionError("stream_replaced", "another client replaced this connection", 409),
    };
  }
  if (code === "429") {
    log.warn("rate limited (429), backing off");
    return { action: "backoff", reason: "stream error 429", extraSteps: RATE_LIMIT_BACKOFF_STEPS };
  }
  if (code === "503") {
    log.warn("service unavailable (503), reconnecting with backoff");
    return { action: "backoff", reason: "stream error 503" };
  }
  log.warn(`unknown stream error ${code || "(no code)"}; reconnecting with backoff`, { attrs: node.attrs });
  core.emit("streamError", { code, raw: node });
  return { action: "backoff", reason: `stream error ${code || "(no code)"}` };
}

/** Maps a login `<failure reason=N>` to events and the next step. */
export function handleConnectFailure(core: ClientCore, node: Node): ConnectionOutcome {
  const reason = optAttrInt(node, "reason") ?? 0;
  const message = node.attrs.message ?? "";
  const log = core.log.child("Client/Login");
  if (isLoggedOutReason(reason)) {
    log.warn(`login refused: logged out (${reason})`);
    core.emit("loggedOut", { onConnect: true, reason });
    return {
      action: "stop",
      reason: `connect failure ${reason}`,
      error: new ConnectionError("logged_out", "the device was logged out; pair it again", reason),
    };
  }
  if (reason === ConnectFailureReason.TempBanned) {
    const code = optAttrInt(node, "code") ?? 0;
    const expireSeconds = optAttrInt(node, "expire") ?? 0;
    log.warn(`temporarily banned (code ${code}, ${expireSeconds} s)`);
    core.emit("temporaryBan", { code, expireSeconds });
    return {
      action: "stop",
      reason: "temporary ban",
      error: new ConnectionError(
        "temporary_ban",
        `temporarily banned for ${expireSeconds} s (code ${code})`,
        code,
      ),
    };
  }
  if (reason === ConnectFailureReason.ClientOutdated) {
    log.error("WhatsApp refused this client version (405)", { version: core.version.join(".") });
    core.emit("clientOutdated", {});
    return {
      action: "stop",
      reason: "client outdated",
      error: new ConnectionError(
        "client_outdated",
        `client version ${core.version.join(".")} is outdated`,
        405,
      ),
    };
  }
  const willReconnect = reason === ConnectFailureReason.InternalServerError ||
    reason === ConnectFailureReason.ServiceUnavailable;
  core.emit("connectFailure", { reason, message, raw: node, willReconnect });
  if (willReconnect) return { action: "backoff", reason: `connect failure ${reason}` };
  log.error(`login failed (${reason}${message ? `: ${message}` : ""})`);
  return {
    action: "stop",
    reason: `connect failure ${reason}`,
    error: new ConnectionError(
      "connect_failure",
      `login failed with reason ${reason}${message ? `: ${message}` : ""}`,
      reason,
    ),
  };
}

/** Reads the server time and our LID from `<success>`; returns the LID the server announced. */
export function readSuccess(core: ClientCore, node: Node, now = Date.now()): Jid | undefined {
  const t = optAttrInt(node, "t");
  if (t !== undefined) core.serverTimeOffsetMs = t * 1000 - now;
  return optAttrJid(node, "lid");
}

/**
 * Checks the server's copy of our key bundle (`iq xmlns=encrypt type=get <digest/>`): registration id,
 * identity and signed prekey must be ours. Re-uploads keys when the digest is missing or differs.
 * The digest's SHA-1 `hash` is not verified (its input layout is not published).
 * Returns true when the server's bundle matched.
 */
export async function checkKeyBundleDigest(core: ClientCore): Promise<boolean> {
  const res = await core.query({
    namespace: "encrypt",
    type: "get",
    content: [{ tag: "digest", attrs: {} }],
  });
  const digest = getChild(res, "digest");
  const device = core.device;
  const skey = digest && getChild(digest, "skey");
  const registration = digest && childBytes(digest, "registration");
  const matches = digest !== undefined && registration !== undefined &&
    readUint(registration) === device.registrationId &&
    equalBytes(childBytes(digest, "identity") ?? new Uint8Array(), device.identityKey.publicKey) &&
    skey !== undefined &&
    readUint(childBytes(skey, "id") ?? new Uint8Array()) === device.signedPreKey.keyId &&
    equalBytes(childBytes(skey, "value") ?? new Uint8Array(), device.signedPreKey.keyPair.publicKey);
  if (!matches) {
    core.log.child("Client/PreKeys").warn("server key bundle digest does not match ours, re-uploading keys");
    await uploadPreKeys(core);
  }
  return matches;
}

/** The post-login sequence: prekeys, active, digest. Errors are logged, never fatal to the session. */
export async function afterLogin(core: ClientCore): Promise<void> {
  const log = core.log.child("Client/Login");
  try {
    await ensurePreKeys(core);
  } catch (e) {
    log.warn("prekey check/upload failed", { error: e });
  }
  try {
    await core.query({ namespace: "passive", type: "set", content: [{ tag: "active", attrs: {} }] });
  } catch (e) {
    log.warn("setting the session active failed", { error: e });
  }
  try {
    await checkKeyBundleDigest(core);
  } catch (e) {
    log.warn("key bundle digest check failed", { error: e });
  }
}
