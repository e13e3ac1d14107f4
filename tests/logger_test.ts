import { assertEquals } from "./_assert.ts";
import { createLogger, type LogRecord, parseLogFilter } from "../src/logger.ts";

Deno.test("filter spec: default level plus per-target overrides, unknown levels ignored", () => {
  const f = parseLogFilter("info,Client/Recv=debug,Client=error,bogus,X=loud");
  assertEquals(f.defaultLevel, "info");
  assertEquals([...f.targets], [["Client/Recv", "debug"], ["Client", "error"]]);
});

Deno.test("longest matching target prefix wins; records carry target and fields", () => {
  const records: LogRecord[] = [];
  const root = createLogger({
    filter: "warn,Client=error,Client/Recv=debug",
    sink: (r) => void records.push(r),
  });
  root.child("Client/Recv").debug("kept", { n: 1 });
  root.child("Client/Recv/Deep").debug("kept too");
  root.child("Client/Send").warn("dropped: Client=error");
  root.child("Client/Send").error("kept error");
  root.child("Other").info("dropped: default warn");
  root.child("Other").warn("kept warn");
  assertEquals(records.map((r) => [r.target, r.message]), [
    ["Client/Recv", "kept"],
    ["Client/Recv/Deep", "kept too"],
    ["Client/Send", "kept error"],
    ["Other", "kept warn"],
  ]);
  assertEquals(records[0].fields, { n: 1 });
  assertEquals(root.child("Client/Send").enabled("warn"), false);
});
