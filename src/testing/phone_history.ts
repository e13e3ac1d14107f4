/**
 * A virtual phone's chat history and how it reaches companions, as a real phone's does: after a
 * companion links and logs in, the phone's own client (a real wadeno `Client`, device 0) sends the chunks
 * planned by phone_history_plan.ts, one `historySyncNotification` peer message each, the first bootstrap
 * chunk inline and the others uploaded to the media server as `history` blobs (encrypted with their own
 * media key, which only the notification carries). It answers on-demand requests
 * (`PEER_DATA_OPERATION_REQUEST_MESSAGE` of type `HISTORY_SYNC_ON_DEMAND`) with an `ON_DEMAND` chunk that
 * names the request's message id in `peerDataRequestSessionId`.
 *
 * Every companion that logs in after `setHistory` gets the history once (the server's login hook, below);
 * `sendHistory` sends it again on request.
 *
 * @module
 */

import { Jid } from "../binary/mod.ts";
import { type Client, clientInternals } from "../client/client.ts";
import {
  type HistorySyncNotification,
  HistorySyncType,
  PeerDataOperationRequestType,
  type ProtocolMessage,
  ProtocolMessageType,
} from "../proto/mod.ts";
import type { MessageEvent } from "../features/message_info.ts";
import type { Account } from "./accounts.ts";
import type { FakeWhatsApp } from "./fake_whatsapp.ts";
import type { ServerFeature } from "./server_feature.ts";
import {
  onDemandAnswer,
  type PhoneHistoryOptions,
  type PhoneHistorySpec,
  planHistory,
  type PlannedChunk,
} from "./phone_history_plan.ts";

export type {
  CompanionHistoryWishes,
  HistoryChunkFault,
  PhoneHistoryOptions,
  PhoneHistorySpec,
  PlannedChunk,
  RawHistoryChunk,
} from "./phone_history_plan.ts";

/** What a phone sent one companion. */
export interface PhoneHistoryReport {
  /** The companion device. */
  device: Jid;
  /** The chunks, in the order sent, with the id of the message that carried each. */
  chunks: (Omit<PlannedChunk, "payload"> & { messageId: string; directPath?: string; size: number })[];
}

interface HistoryState {
  spec: PhoneHistorySpec;
  options: PhoneHistoryOptions;
  /** Sends by companion device id: the first login's, or the last `sendHistory`. */
  sent: Map<number, Promise<PhoneHistoryReport>>;
  /** Waiters for a send that has not started yet, by device id. */
  waiting: Map<number, PromiseWithResolvers<PhoneHistoryReport>>;
}

const STATES = new WeakMap<Account, HistoryState>();
const RESPONDERS = new WeakSet<Client>();

/** Gives the account's phone a history; companions that log in from now on receive it. */
export function setPhoneHistory(
  account: Account,
  spec: PhoneHistorySpec,
  options: PhoneHistoryOptions = {},
): void {
  STATES.set(account, { spec, options, sent: new Map(), waiting: new Map() });
}

/** The history the account's phone holds, if one was given. */
export function phoneHistory(account: Account): PhoneHistorySpec | undefined {
  return STATES.get(account)?.spec;
}

/**
 * Sends the account's history to one of its companions now, through the phone's client; resolves once
 * the server accepted every notification.
 */
export function sendPhoneHistory(
  wa: FakeWhatsApp,
  account: Account,
  device: Jid,
): Promise<PhoneHistoryReport> {
  const state = STATES.get(account);
  if (state === undefined) {
    return Promise.reject(new Error(`the phone of ${account.phone} holds no history (setHistory first)`));
  }
  const sending = wa.track(send(wa, account, state, device));
  state.sent.set(device.device, sending);
  const waiter = state.waiting.get(device.device);
  state.waiting.delete(device.device);
  waiter?.resolve(sending);
  sending.catch((error) =>
    wa.log.child("FakeWA/History").warn(`sending history to ${device} failed`, { error })
  );
  return sending;
}

/**
 * The send of the history to `device` that its login started (or the last `sendHistory`), waiting for
 * it to start when it has not yet; rejects when the phone holds no history.
 */
export function phoneHistorySent(account: Account, device: Jid): Promise<PhoneHistoryReport> {
  const state = STATES.get(account);
  if (state === undefined) {
    return Promise.reject(new Error(`the phone of ${account.phone} holds no history (setHistory first)`));
  }
  const sending = state.sent.get(device.device);
  if (sending !== undefined) return sending;
  let waiter = state.waiting.get(device.device);
  if (waiter === undefined) state.waiting.set(device.device, waiter = Promise.withResolvers());
  return waiter.promise;
}

async function send(
  wa: FakeWhatsApp,
  account: Account,
  state: HistoryState,
  device: Jid,
): Promise<PhoneHistoryReport> {
  const record = account.devices.get(device.device);
  if (record === undefined || device.device === 0) {
    throw new Error(`${device} is not a companion of ${account.phone}`);
  }
  const phone = await phoneClient(wa, account);
  const plan = planHistory(state.spec, {
    requireFullSync: record.deviceProps?.requireFullSync,
    config: record.deviceProps?.historySyncConfig,
  }, state.options);
  const target = Jid.pn(account.phone, device.device);
  const report: PhoneHistoryReport = { device: target, chunks: [] };
  for (const chunk of plan) {
    const notification: HistorySyncNotification = {
      syncType: HistorySyncType[chunk.syncType],
      chunkOrder: chunk.chunkOrder,
      progress: chunk.progress,
    };
    if (chunk.oldestMessageTime !== undefined) {
      notification.oldestMsgInChunkTimestampSec = BigInt(chunk.oldestMessageTime);
    }
    let directPath: string | undefined;
    if (chunk.inline) {
      notification.initialHistBootstrapInlinePayload = chunk.payload;
    } else {
      directPath = await upload(wa, phone, chunk.payload, notification, chunk.corruptBlob === true);
    }
    const sent = await clientInternals(phone).messaging.sendPeerMessage(notificationMessage(notification), {
      device: target,
    });
    const { payload: _payload, ...rest } = chunk;
    report.chunks.push({ ...rest, messageId: sent.id, directPath, size: chunk.payload.length });
  }
  return report;
}

async function upload(
  wa: FakeWhatsApp,
  phone: Client,
  payload: Uint8Array,
  notification: HistorySyncNotification,
  corrupt: boolean,
): Promise<string> {
  const uploaded = await phone.media.upload(payload, "history", { keepForReupload: false });
  notification.directPath = uploaded.directPath;
  notification.mediaKey = uploaded.mediaKey;
  notification.fileSha256 = uploaded.fileSha256;
  notification.fileEncSha256 = uploaded.fileEncSha256;
  notification.fileLength = BigInt(uploaded.fileLength);
  // Flips the MAC's last byte on the CDN, as a bit flip in storage would.
  if (corrupt) await wa.media.corrupt(uploaded.directPath, -1);
  return uploaded.directPath;
}

function notificationMessage(notification: HistorySyncNotification) {
  return {
    protocolMessage: {
      type: ProtocolMessageType.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: notification,
    },
  };
}

/** The phone's client, answering on-demand history requests. */
async function phoneClient(wa: FakeWhatsApp, account: Account): Promise<Client> {
  const client = await wa.phone(account.phone).client();
  if (!RESPONDERS.has(client)) {
    RESPONDERS.add(client);
    clientInternals(client).messaging.protocol.on(
      "PEER_DATA_OPERATION_REQUEST_MESSAGE",
      (pm, event) => void wa.track(answer(wa, account, client, pm, event)),
    );
  }
  return client;
}

async function answer(
  wa: FakeWhatsApp,
  account: Account,
  phone: Client,
  pm: ProtocolMessage,
  event: MessageEvent,
): Promise<void> {
  const request = pm.peerDataOperationRequestMessage;
  const onDemand = request?.historySyncOnDemandRequest;
  if (
    request?.peerDataOperationRequestType !== PeerDataOperationRequestType.HISTORY_SYNC_ON_DEMAND ||
    onDemand === undefined
  ) {
    return;
  }
  const log = wa.log.child("FakeWA/History");
  try {
    const payload = onDemandAnswer(STATES.get(account)?.spec ?? {}, onDemand);
    const notification: HistorySyncNotification = {
      syncType: HistorySyncType.ON_DEMAND,
      chunkOrder: 1,
      progress: 100,
      peerDataRequestSessionId: event.info.id,
    };
    if (onDemand.supportInlineResponse) notification.initialHistBootstrapInlinePayload = payload;
    else await upload(wa, phone, payload, notification, false);
    await clientInternals(phone).messaging.sendPeerMessage(notificationMessage(notification), {
      device: event.info.source.sender.isLid()
        ? Jid.pn(account.phone, event.info.source.sender.device)
        : event.info.source.sender,
    });
  } catch (error) {
    log.warn(`answering history request ${event.info.id} failed`, { error });
  }
}

/**
 * History sync's server side: when a companion of an account whose phone holds a history logs in for the
 * first time, the phone sends it the history.
 */
export const historyFeature: ServerFeature = {
  name: "history",
  onLogin(wa, _conn, device) {
    if (device.device === 0) return;
    const found = wa.accounts.device(device);
    const state = found && STATES.get(found.account);
    if (!found || !state || state.sent.has(device.device)) return;
    void sendPhoneHistory(wa, found.account, device).catch(() => {});
  },
};
