/**
 * The real Baileys 7 client against FakeWhatsApp, for the footprint, start-up and throughput comparisons:
 * the same peer the tests build their Baileys fixtures with (tests/_peers/baileys_client.ts), so the
 * baseline the benches measure is the client the import tests prove compatible.
 *
 * @module
 */

export {
  type BaileysPeer,
  type BaileysSocket,
  connectBaileys,
  type ConnectBaileysOptions,
  muteConsole,
  startBaileys,
  trustRoot,
} from "../../tests/_peers/baileys_client.ts";
