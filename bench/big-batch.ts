/**
 * `npm run bench:big-batch`: one big batch per provider through the OpenAI SDK on a local gateway: the input
 * (default 200 MB, 50,000 requests; BIG_BATCH_MB and BIG_BATCH_REQUESTS change it) sent with the Uploads API in
 * 4 MiB parts, a batch created on it, polled to its end, the results counted. Prints per provider: upload MB/s, time
 * to completed, results counted, and the peak RSS of this process (gateway, emulators and simulators all run here).
 * The other SDKs' routes for files this size (S3 multipart, GenAI resumable) are not built yet.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import type { Provider } from "../lambdas/core/model";
import { startLocalGateway } from "../local/server";

const megabytes = Number(process.env.BIG_BATCH_MB ?? 200);
const requests = Number(process.env.BIG_BATCH_REQUESTS ?? 50_000);
const providers = (process.env.BIG_BATCH_PROVIDERS?.split(",") ?? [
  "openai",
  "anthropic",
  "gemini",
  "bedrock",
]) as Provider[];
const models: Record<Provider, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
  gemini: "gemini-2.0-flash",
  bedrock: "anthropic.claude-3-haiku-20240307-v1:0",
};
const partBytes = 4 * 1024 * 1024;

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

/** The input: `requests` lines of about equal size, `megabytes` MB in all. */
const input = (model: string): Buffer => {
  const padding = Math.max(1, Math.floor((megabytes * 1_000_000) / requests) - 170);
  const lines: string[] = [];
  for (let i = 0; i < requests; i++) {
    lines.push(
      JSON.stringify({
        custom_id: `req-${i}`,
        method: "POST",
        url: "/v1/chat/completions",
        body: { model, messages: [{ role: "user", content: `${i} ${"x".repeat(padding)}` }], max_tokens: 16 },
      }),
    );
  }
  return Buffer.from(`${lines.join("\n")}\n`);
};

const dataDir = mkdtempSync(join(tmpdir(), "finops-big-"));
const gateway = await startLocalGateway({
  port: 0,
  dataDir,
  simulators: { jobLatencyMs: 1000 },
  runner: { pollWaitMs: 500, retryWaitMs: 200 },
});
const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-big", maxRetries: 3, timeout: 600_000 });
const rows: string[] = [];
try {
  for (const provider of providers) {
    const body = input(models[provider]);
    const started = performance.now();
    const upload = await client.uploads.create({
      filename: "big.jsonl",
      purpose: "batch",
      bytes: body.byteLength,
      mime_type: "application/jsonl",
      provider,
    } as never);
    const partIds: string[] = [];
    for (let offset = 0; offset < body.byteLength; offset += partBytes) {
      const part = await client.uploads.parts.create(upload.id, {
        data: await toFile(body.subarray(offset, offset + partBytes), "part"),
      });
      partIds.push(part.id);
    }
    const done = await client.uploads.complete(upload.id, { part_ids: partIds });
    const uploadSeconds = (performance.now() - started) / 1000;
    const batchStarted = performance.now();
    const created = await client.batches.create({
      input_file_id: done.file!.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider,
    } as never);
    let batch = created;
    while (!["completed", "failed", "expired", "cancelled"].includes(batch.status)) {
      await new Promise((r) => setTimeout(r, 1000));
      batch = await client.batches.retrieve(created.id);
    }
    const batchSeconds = (performance.now() - batchStarted) / 1000;
    let results = 0;
    if (batch.output_file_id) {
      const text = await (await client.files.content(batch.output_file_id)).text();
      results = text.split("\n").filter(Boolean).length;
    }
    rows.push(
      `${provider.padEnd(10)} ${(body.byteLength / 1e6).toFixed(1).padStart(7)} MB  upload ${(body.byteLength / 1e6 / uploadSeconds).toFixed(1).padStart(6)} MB/s  ` +
        `${batch.status.padEnd(10)} in ${batchSeconds.toFixed(1).padStart(6)} s  results ${String(results).padStart(6)}/${requests}` +
        `${batch.errors ? `  (${batch.errors.data?.[0]?.message})` : ""}  peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
    );
    console.log(rows.at(-1));
  }
} catch (error) {
  console.error("big batch failed:", error);
  process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}
