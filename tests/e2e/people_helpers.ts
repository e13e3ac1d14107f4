/** Shared setup for the people end-to-end tests: event collectors and a paired bot with phones. */

import type { Client } from "../../src/client/client.ts";
import type { ClientEvents } from "../../src/client/events.ts";
import { messageText } from "../../src/features/message_builders.ts";
import type { MessageEvent } from "../../src/features/message_info.ts";
import type { FakeWhatsApp } from "../../src/testing/mod.ts";
import { deadline, newClient, pairByQr, Recorded, startServer } from "./helpers.ts";

/** Collects one event of a client; `next` resolves with the first (past or future) that matches. */
export class Collected<K extends keyof ClientEvents> extends Recorded<ClientEvents[K]> {
  readonly #name: K;

  constructor(client: Client, name: K) {
    super();
    this.#name = name;
    client.on(name, (e) => this.push(e));
  }

  next(match: (e: ClientEvents[K]) => boolean = () => true, signal = deadline()): Promise<ClientEvents[K]> {
    return this.waitFor(
      match,
      signal,
      () => `no matching ${String(this.#name)} event in time (have ${this.all.length})`,
    );
  }
}

/** Matches a message event by its text. */
export const withText = (t: string) => (e: MessageEvent) => messageText(e.message) === t;

/** A server with a paired bot (push name `Bot`) and the phones of other accounts. */
export async function botWithPhones(
  numbers: string[],
  botNumber = "15557000099",
): Promise<{ wa: FakeWhatsApp; bot: Client; phones: Client[]; [Symbol.asyncDispose](): Promise<void> }> {
  const wa = await startServer();
  const phones = await Promise.all(numbers.map((n) => wa.phone(n).client()));
  const bot = await newClient(wa, { pushName: "Bot" });
  await pairByQr(bot, wa.phone(botNumber));
  return {
    wa,
    bot,
    phones,
    async [Symbol.asyncDispose]() {
      await bot.disconnect();
      await wa.stop();
    },
  };
}

/** Makes two accounts contacts on the server (as exchanging a message does). */
export function befriend(wa: FakeWhatsApp, a: string, b: string): void {
  wa.phone(a).account.contacts.add(b);
  wa.phone(b).account.contacts.add(a);
}
