// The committed generated modules must be exactly what tools/proto_gen.ts produces from the committed .proto
// files; otherwise someone edited one without the other.
import { deepStrictEqual } from "node:assert/strict";
import { generate, readSources } from "../../tools/proto_gen.ts";

const dir = new URL("../../src/proto/", import.meta.url);

Deno.test("generated src/proto files are up to date (run `deno task proto` if this fails)", async () => {
  const expected = generate(await readSources(dir.pathname.replace(/\/$/, "")));
  const committed: Record<string, string> = {};
  for await (const e of Deno.readDir(new URL("gen/", dir))) {
    if (e.isFile && e.name.endsWith(".ts")) {
      committed[`gen/${e.name}`] = await Deno.readTextFile(new URL(`gen/${e.name}`, dir));
    }
  }
  committed["mod.ts"] = await Deno.readTextFile(new URL("mod.ts", dir));
  const stale = Object.keys({ ...expected, ...committed }).filter((k) => expected[k] !== committed[k]).sort();
  deepStrictEqual(
    stale,
    [],
    `src/proto is stale for ${stale.join(", ")}: run \`deno task proto\` and commit the result`,
  );
});

Deno.test("generator rejects a reference to a type from a file that is not imported", () => {
  let err: unknown;
  try {
    generate([
      { name: "a.proto", text: 'syntax = "proto2";\npackage t;\nmessage A { optional B b = 1; }\n' },
      { name: "b.proto", text: 'syntax = "proto2";\npackage t;\nmessage B { optional int32 x = 1; }\n' },
    ]);
  } catch (e) {
    err = e;
  }
  deepStrictEqual(err instanceof Error && /without importing/.test(err.message), true);
});

Deno.test("generator rejects two types that flatten to the same TypeScript name", () => {
  let err: unknown;
  try {
    generate([{
      name: "a.proto",
      text: 'syntax = "proto2";\npackage t;\nmessage A { message B {} }\nmessage AB {}\n',
    }]);
  } catch (e) {
    err = e;
  }
  deepStrictEqual(err instanceof Error && /used by both/.test(err.message), true);
});
