// Child process of media_memory_test.ts: downloads blobs to files through the media server, one after the
// other, and reports its resident memory. Input: one JSON document on stdin. Output: one JSON line.
import { createFetchHttpClient } from "../../src/features/media/http.ts";
import { downloadAndDecryptToFile } from "../../src/features/media/transport.ts";

interface Blob {
  directPath: string;
  mediaKey: string;
  fileSha256: string;
  fileEncSha256: string;
  fileLength: number;
  path: string;
}

interface Job {
  caCert: string;
  hosts: string[];
  blobs: Blob[];
}

/** A field of /proc/self/status in bytes (Linux); `fallback` elsewhere. */
function procStatus(field: "VmHWM" | "VmRSS", fallback: number): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(
      Deno.readTextFileSync("/proc/self/status"),
    );
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return fallback;
}

const job: Job = JSON.parse(await new Response(Deno.stdin.readable).text());
// HTTP/1.1, as the Client's media HTTP client (src/features/media/media_http.ts).
using http = createFetchHttpClient({ caCerts: [job.caCert], http2: false });
// A one-byte ranged request warms up TLS and fetch: what is resident then is the floor of any HTTPS
// download in this runtime, before media code streams anything.
const first = job.blobs[0];
const probe = await http.request({
  method: "GET",
  url: `https://${job.hosts[0]}${first.directPath}`,
  headers: { Range: "bytes=0-0" },
});
await probe.arrayBuffer();
const warmRss = procStatus("VmRSS", Deno.memoryUsage().rss);

let sampled = 0;
const timer = setInterval(() => sampled = Math.max(sampled, Deno.memoryUsage().rss), 20);
const downloads = [];
for (const blob of job.blobs) {
  const started = performance.now();
  const { fileLength } = await downloadAndDecryptToFile({
    directPath: blob.directPath,
    hosts: job.hosts,
    http,
    mediaType: "video",
    mediaKey: Uint8Array.fromHex(blob.mediaKey),
    fileSha256: Uint8Array.fromHex(blob.fileSha256),
    fileEncSha256: Uint8Array.fromHex(blob.fileEncSha256),
    fileLength: blob.fileLength,
    path: blob.path,
  });
  sampled = Math.max(sampled, Deno.memoryUsage().rss);
  downloads.push({ fileLength, peakRss: procStatus("VmHWM", sampled), ms: performance.now() - started });
}
clearInterval(timer);
console.log(JSON.stringify({ warmRss, downloads }));
