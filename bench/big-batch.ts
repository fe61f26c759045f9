/**
 * `npm run bench:big-batch`: one big batch per SDK × provider on a local gateway: the input (default 200 MB, 50,000
 * requests; BIG_BATCH_MB and BIG_BATCH_REQUESTS change it) sent the SDK's chunked way — the OpenAI SDK's Uploads API
 * in 4 MiB parts, the AWS SDK's lib-storage `Upload` in 5 MB parts (S3 multipart), the GenAI SDK's resumable upload
 * in 8 MiB chunks — a batch created on it, polled to its end, the results read back and counted. Prints per row:
 * upload MB/s, time to its end, results counted, and the peak RSS of this process (gateway, emulators and simulators
 * all run here). BIG_BATCH_SDKS (openai,aws,genai) and BIG_BATCH_PROVIDERS choose the rows.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { GoogleGenAI } from "@google/genai";
import OpenAI, { toFile } from "openai";
import type { Provider } from "../lambdas/core/model";
import { defaultModels } from "../local/default-models";
import { startLocalGateway } from "../local/server";

// `--requests N`: the cost and scale of one batch of N requests against one of 50,000 (bench/big-batch-cost.ts).
if (process.argv.includes("--requests")) {
  await import("./big-batch-cost");
  process.exit(0);
}

const megabytes = Number(process.env.BIG_BATCH_MB ?? 200);
const requests = Number(process.env.BIG_BATCH_REQUESTS ?? 50_000);
const providers = (process.env.BIG_BATCH_PROVIDERS?.split(",") ?? [
  "openai",
  "anthropic",
  "gemini",
  "bedrock",
]) as Provider[];
const models: Record<Provider, string> = defaultModels;
const partBytes = 4 * 1024 * 1024;
const sdks = process.env.BIG_BATCH_SDKS?.split(",") ?? ["openai", "aws", "genai"];

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
/** Lines in a stream of bytes, counted as they come (never held whole). */
const countLines = async (body: Readable): Promise<number> => {
  let lines = 0;
  for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) if (line) lines++;
  return lines;
};

interface Run {
  uploadSeconds: number;
  status: string;
  batchSeconds: number;
  results: number;
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The OpenAI SDK: Uploads API (4 MiB parts), `batches.create`, the output file's content. */
const viaOpenAi = async (provider: Provider, body: Buffer): Promise<Run> => {
  const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-big", maxRetries: 3, timeout: 600_000 });
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
    await sleep(1000);
    batch = await client.batches.retrieve(created.id);
  }
  const batchSeconds = (performance.now() - batchStarted) / 1000;
  const results = batch.output_file_id
    ? await countLines(Readable.fromWeb((await client.files.content(batch.output_file_id)).body as never))
    : 0;
  return { uploadSeconds, status: batch.status, batchSeconds, results, note: batch.errors?.data?.[0]?.message };
};

/** The AWS SDK: lib-storage `Upload` (S3 multipart, 5 MB parts), a Bedrock job, its output read with GetObject. */
const viaAws = async (provider: Provider, body: Buffer): Promise<Run> => {
  const credentials = { accessKeyId: "AKIDBIGBATCH", secretAccessKey: "secret" };
  const s3 = new S3Client({
    endpoint: `${gateway.url}/bedrock/files`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
  });
  const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
  bedrock.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers["x-model-provider"] = provider;
      return next(args);
    },
    { step: "build", name: "modelProvider" },
  );
  const key = `in/${provider}.jsonl`;
  const started = performance.now();
  await new Upload({
    client: s3,
    params: { Bucket: "big", Key: key, Body: Readable.from([body]), ContentType: "application/jsonl" },
    queueSize: 4,
  }).done();
  const uploadSeconds = (performance.now() - started) / 1000;
  const batchStarted = performance.now();
  const { jobArn } = await bedrock.send(
    new CreateModelInvocationJobCommand({
      jobName: `big-${provider}`,
      modelId: models[provider],
      roleArn: "arn:aws:iam::123456789012:role/any",
      inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://big/${key}` } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://big/out/" } },
    }),
  );
  let job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
  while (!["Completed", "Failed", "Stopped", "PartiallyCompleted", "Expired"].includes(job.status ?? "")) {
    await sleep(1000);
    job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
  }
  const batchSeconds = (performance.now() - batchStarted) / 1000;
  const jobId = jobArn!.slice(jobArn!.lastIndexOf("/") + 1);
  const output = await s3.send(new GetObjectCommand({ Bucket: "big", Key: `out/${jobId}/${provider}.jsonl.out` }));
  const results = await countLines(output.Body as Readable);
  return { uploadSeconds, status: job.status ?? "?", batchSeconds, results, note: job.message };
};

/** The GenAI SDK: the resumable upload (8 MiB chunks), `batches.create` on the file, the responses file downloaded. */
const viaGenAi = async (provider: Provider, body: Buffer): Promise<Run> => {
  const ai = new GoogleGenAI({
    apiKey: "AIza-big",
    httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-model-provider": provider }, timeout: 600_000 },
  });
  const started = performance.now();
  const file = await ai.files.upload({
    file: new Blob([body], { type: "application/jsonl" }),
    config: { mimeType: "application/jsonl", displayName: "big.jsonl" },
  });
  const uploadSeconds = (performance.now() - started) / 1000;
  const batchStarted = performance.now();
  let job = await ai.batches.create({ model: models[provider], src: file.name! });
  while (!["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(job.state ?? "")) {
    await sleep(1000);
    job = await ai.batches.get({ name: job.name! });
  }
  const batchSeconds = (performance.now() - batchStarted) / 1000;
  const out = join(dataDir, `${provider}.out`);
  if (job.dest?.fileName) await ai.files.download({ file: job.dest.fileName, downloadPath: out });
  const { createReadStream } = await import("node:fs");
  const results = job.dest?.fileName ? await countLines(createReadStream(out)) : 0;
  return { uploadSeconds, status: job.state ?? "?", batchSeconds, results, note: job.error?.message };
};

const runs = { openai: viaOpenAi, aws: viaAws, genai: viaGenAi } as Record<string, typeof viaOpenAi>;
const rows: string[] = [];
try {
  for (const sdk of sdks) {
    for (const provider of providers) {
      const body = input(models[provider]);
      const run = await runs[sdk]!(provider, body);
      rows.push(
        `${sdk.padEnd(7)} ${provider.padEnd(10)} ${(body.byteLength / 1e6).toFixed(1).padStart(7)} MB  ` +
          `upload ${(body.byteLength / 1e6 / run.uploadSeconds).toFixed(1).padStart(6)} MB/s  ` +
          `${run.status.padEnd(19)} in ${run.batchSeconds.toFixed(1).padStart(6)} s  results ${String(run.results).padStart(6)}/${requests}` +
          `${run.note ? `  (${run.note})` : ""}  peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
      );
      console.log(rows.at(-1));
    }
  }
} catch (error) {
  console.error("big batch failed:", error);
  process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}
