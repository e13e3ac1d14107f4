import { assertEquals, assertThrows } from "../_assert.ts";
import { memoryTransportPair, type TransportCloseInfo, TransportError } from "../../src/client/transport.ts";

Deno.test("memoryTransportPair: data flows both ways in order, a close reaches both ends once, sends after close throw", async () => {
  const pair = memoryTransportPair();
  const clientGot: number[] = [];
  const clientClosed: TransportCloseInfo[] = [];
  const client = await pair.factory(
    { onData: (c) => void clientGot.push(...c), onClose: (i) => void clientClosed.push(i) },
    AbortSignal.timeout(1000),
  );
  // Data sent before the server side attaches is buffered, not lost.
  client.send(new Uint8Array([1, 2]));
  const server = await pair.accept();
  const serverGot: number[] = [];
  const serverClosed = Promise.withResolvers<TransportCloseInfo>();
  const serverData = Promise.withResolvers<void>();
  server.setHandlers({
    onData: (c) => {
      serverGot.push(...c);
      if (serverGot.length === 4) serverData.resolve();
    },
    onClose: (i) => serverClosed.resolve(i),
  });
  client.send(new Uint8Array([3, 4]));
  await serverData.promise;
  assertEquals(serverGot, [1, 2, 3, 4]);
  const sent = new Uint8Array([9, 8, 7]);
  server.transport.send(sent);
  sent[0] = 0; // the transport copied the bytes
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(clientGot, [9, 8, 7]);
  client.close();
  assertEquals((await serverClosed.promise).code, 1000);
  await Promise.resolve();
  assertEquals(clientClosed.length, 1);
  assertThrows(() => client.send(new Uint8Array([1])), TransportError, "closed");
  assertThrows(() => server.transport.send(new Uint8Array([1])), TransportError, "closed");
  client.close();
  assertEquals(clientClosed.length, 1, "onClose fires once");
});
