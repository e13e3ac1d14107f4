/**
 * Compares the field numbers, types and enum values of `src/proto/*.proto` with reference schemas (for
 * example whatsmeow's `proto/*\/*.proto` and Baileys' `WAProto.proto`, fetched separately; they are not part
 * of this repository). A maintenance aid, not a test: it prints each mismatch for a human to judge.
 *
 * Usage: `deno run --allow-read tools/proto_compare.ts <label>=<dir-or-file> [<label>=<dir-or-file> ...]`
 *
 * Types are matched by name: the reference type whose flattened name (`CertChain.NoiseCertificate` ->
 * `CertChainNoiseCertificate`) or leaf name equals ours, or an alias listed below; among several candidates the
 * one sharing the most field numbers wins.
 *
 * @module
 */
import protobuf from "npm:protobufjs@7.6.6";
import { readSources } from "./proto_gen.ts";

const ALIASES: Record<string, string[]> = {
  GroupSenderKeyDistributionMessage: ["MessageSenderKeyDistributionMessage", "SenderKeyDistributionMessage"],
  CertChainCertificate: ["CertChainNoiseCertificate"],
  CertChainCertificateDetails: ["CertChainNoiseCertificateDetails"],
  NoiseCertificateDetails: ["NoiseCertificateDetails"],
  SessionChain: ["SessionStructureChain"],
  SessionChainKey: ["SessionStructureChainChainKey", "ChainKey"],
  SessionMessageKey: ["SessionStructureChainMessageKey"],
  PollOption: ["PollCreationMessageOption", "MessagePollCreationMessageOption"],
  DnsSource: ["ClientPayloadDNSSource", "DNSSource"],
  WebdPayload: ["ClientPayloadWebInfoWebdPayload", "WebInfoWebdPayload"],
  AppVersion: ["ClientPayloadUserAgentAppVersion", "UserAgentAppVersion", "DevicePropsAppVersion"],
  HistorySyncConfig: ["DevicePropsHistorySyncConfig"],
  PollCreationMessageType: ["PollType", "MessagePollType"],
  PollCreationMessageContentType: ["PollContentType", "MessagePollContentType"],
  WebInfoSubPlatform: ["ClientPayloadWebInfoWebSubPlatform", "WebInfoWebSubPlatform"],
  DnsSourceResolutionMethod: ["ClientPayloadDNSSourceDNSResolutionMethod", "DNSSourceDNSResolutionMethod"],
};

type Def = protobuf.Type | protobuf.Enum;

function load(paths: string[]): Map<string, Def[]> {
  const byName = new Map<string, Def[]>();
  const root = new protobuf.Root();
  for (const p of paths) {
    try {
      protobuf.parse(Deno.readTextFileSync(p), root, { keepCase: true, alternateCommentMode: true });
    } catch (e) {
      console.error(`skipping ${p}: ${e instanceof Error ? e.message : e}`);
    }
  }
  const add = (k: string, d: Def) => {
    const key = k.toLowerCase();
    if (!byName.has(key)) byName.set(key, []);
    byName.get(key)!.push(d);
  };
  const walk = (ns: protobuf.NamespaceBase, prefix: string[]) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type || n instanceof protobuf.Enum) {
        add(n.name, n);
        add([...prefix, n.name].join(""), n);
      }
      if (n instanceof protobuf.Type) walk(n, [...prefix, n.name]);
      else if (n instanceof protobuf.Namespace) walk(n, []);
    }
  };
  walk(root, []);
  return byName;
}

function files(spec: string): string[] {
  const st = Deno.statSync(spec);
  if (st.isFile) return [spec];
  const out: string[] = [];
  for (const e of Deno.readDirSync(spec)) {
    const p = `${spec}/${e.name}`;
    if (e.isDirectory) out.push(...files(p));
    else if (e.name.endsWith(".proto")) out.push(p);
  }
  return out;
}

const norm = (s: string) => s.toLowerCase().replace(/_/g, "");
const leaf = (t: string) => t.split(".").pop()!;

if (import.meta.main) {
  const ours = new protobuf.Root();
  for (const s of await readSources("src/proto")) {
    protobuf.parse(s.text, ours, { keepCase: true, alternateCommentMode: true });
  }
  const refs = Deno.args.map((a) => {
    const [label, path] = a.split("=");
    return { label, defs: load(files(path)) };
  });
  const mine: Def[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type || n instanceof protobuf.Enum) mine.push(n);
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) walk(n);
    }
  };
  walk(ours);
  for (const def of mine) {
    const flat = def.fullName.replace(/^\.wadeno\.proto\./, "").split(".").join("");
    for (const ref of refs) {
      const names = [flat, def.name, ...(ALIASES[flat] ?? [])];
      const cands = names.flatMap((n) => ref.defs.get(n.toLowerCase()) ?? []).filter((c) =>
        (c instanceof protobuf.Type) === (def instanceof protobuf.Type)
      );
      if (!cands.length) {
        console.log(`${ref.label}: ${flat}: no counterpart`);
        continue;
      }
      if (def instanceof protobuf.Enum) {
        const score = (c: Def) =>
          Object.keys((c as protobuf.Enum).values).filter((k) => k in def.values).length;
        const best = cands.sort((a, b) => score(b) - score(a))[0] as protobuf.Enum;
        for (const [k, v] of Object.entries(def.values)) {
          if (!(k in best.values)) console.log(`${ref.label}: ${flat}.${k}: not in ${best.fullName}`);
          else if (best.values[k] !== v) {
            console.log(`${ref.label}: ${flat}.${k} = ${v} but ${best.values[k]}`);
          }
        }
        for (const [k, v] of Object.entries(best.values)) {
          if (!(k in def.values)) console.log(`${ref.label}: ${flat}: missing value ${k} = ${v}`);
        }
        continue;
      }
      const t = def as protobuf.Type;
      const score = (c: Def) =>
        (c as protobuf.Type).fieldsArray.filter((f) =>
          t.fieldsById[f.id] && norm(t.fieldsById[f.id].name) === norm(f.name)
        ).length;
      const best = cands.sort((a, b) => score(b) - score(a))[0] as protobuf.Type;
      for (const f of t.fieldsArray) {
        const r = best.fieldsById[f.id];
        const where = `${ref.label}: ${flat}.${f.name} (${f.id})`;
        if (!r) {
          console.log(`${where}: not in ${best.fullName}`);
          continue;
        }
        if (norm(r.name) !== norm(f.name)) console.log(`${where}: named ${r.name} there`);
        const ft = leaf(f.type), rtype = leaf(r.type);
        const scalar = /^(u?int|s?fixed|sint)(32|64)$|^(bool|string|bytes|float|double)$/;
        if ((scalar.test(ft) || scalar.test(rtype)) ? ft !== rtype : false) {
          console.log(`${where}: type ${ft} vs ${rtype}`);
        }
        if (f.repeated !== r.repeated) console.log(`${where}: repeated ${f.repeated} vs ${r.repeated}`);
        if (f.repeated && Boolean(f.options?.packed) !== Boolean(r.options?.packed)) {
          console.log(`${where}: packed ${Boolean(f.options?.packed)} vs ${Boolean(r.options?.packed)}`);
        }
      }
    }
  }
}
