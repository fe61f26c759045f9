/**
 * `npm run bench:load`: a bounded load on a local gateway (loopback only; stops by itself). 50 concurrent clients
 * each run 20 batches through a mix of SDKs (OpenAI, Anthropic, GenAI, AWS), every batch polled to its end.
 * Prints throughput, p50/p99 latency of create and retrieve, errors and lost requests (both should be 0).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GoogleGenAI } from "@google/genai";
import OpenAI, { toFile } from "openai";
import { startLocalGateway } from "../local/server";

const clients = Number(process.env.LOAD_CLIENTS ?? 50);
const batchesPerClient = Number(process.env.LOAD_BATCHES ?? 20);
const deadline = Date.now() + Number(process.env.LOAD_TIMEOUT_MS ?? 8 * 60_000);

const dataDir = mkdtempSync(join(tmpdir(), "finops-load-"));
const gateway = await startLocalGateway({
  port: 0,
  dataDir,
  simulators: { jobLatencyMs: 300 },
  runner: { pollWaitMs: 250, retryWaitMs: 50 },
  bedrockMinRecords: 100,
});
const createMs: number[] = [];
const retrieveMs: number[] = [];
let errors = 0;
let lost = 0;
let completed = 0;
const firstErrors: string[] = [];

const timed = async <T>(bucket: number[], work: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  try {
    return await work();
  } finally {
    bucket.push(performance.now() - started);
  }
};
const pause = () => new Promise((r) => setTimeout(r, 200));
const prompts = ["What is 2+2?", "Name a colour."];

/** One batch through one SDK, to its end; returns how many results came back. */
const runners: ((client: number) => Promise<number>)[] = [
  async (c) => {
    const ai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: `sk-load-${c}`, maxRetries: 0 });
    const text = prompts
      .map((p, i) =>
        JSON.stringify({
          custom_id: `r${i}`,
          method: "POST",
          url: "/v1/chat/completions",
          body: { model: "gpt-4o-mini", messages: [{ role: "user", content: p }] },
        }),
      )
      .join("\n");
    const file = await ai.files.create({ file: await toFile(Buffer.from(text), "in.jsonl"), purpose: "batch" });
    let batch = await timed(createMs, () =>
      ai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }),
    );
    while (!["completed", "failed", "expired", "cancelled"].includes(batch.status) && Date.now() < deadline) {
      await pause();
      batch = await timed(retrieveMs, () => ai.batches.retrieve(batch.id));
    }
    const out = batch.output_file_id
      ? (await (await ai.files.content(batch.output_file_id)).text()).trim().split("\n")
      : [];
    return out.length;
  },
  async (c) => {
    const ai = new Anthropic({
      baseURL: `${gateway.url}/anthropic`,
      apiKey: `sk-load-${c}`,
      maxRetries: 0,
      defaultHeaders: { "x-model-provider": "gemini" },
    });
    const requests = prompts.map((p, i) => ({
      custom_id: `r${i}`,
      params: { model: "gemini-2.5-flash", max_tokens: 50, messages: [{ role: "user" as const, content: p }] },
    }));
    let batch = await timed(createMs, () => ai.messages.batches.create({ requests }));
    while (batch.processing_status !== "ended" && Date.now() < deadline) {
      await pause();
      batch = await timed(retrieveMs, () => ai.messages.batches.retrieve(batch.id));
    }
    let n = 0;
    if (batch.results_url)
      for await (const r of await ai.messages.batches.results(batch.id)) n += r.result.type === "succeeded" ? 1 : 0;
    return n;
  },
  async (c) => {
    const ai = new GoogleGenAI({
      apiKey: `AIza-load-${c}`,
      httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-model-provider": "anthropic" } },
    });
    let job = await timed(createMs, () =>
      ai.batches.create({
        model: "claude-haiku-4-5",
        src: prompts.map((p) => ({ contents: [{ role: "user", parts: [{ text: p }] }] })),
      }),
    );
    while (
      !["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"].includes(
        job.state ?? "",
      ) &&
      Date.now() < deadline
    ) {
      await pause();
      job = await timed(retrieveMs, () => ai.batches.get({ name: job.name! }));
    }
    return (job.dest?.inlinedResponses ?? []).filter((r) => r.response).length;
  },
  async (c) => {
    const credentials = { accessKeyId: `AKIDLOAD${c}`, secretAccessKey: "s" };
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials,
      forcePathStyle: true,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
    const key = `in-${Math.random().toString(36).slice(2)}.jsonl`;
    await s3.send(
      new PutObjectCommand({
        Bucket: "load",
        Key: key,
        Body: prompts
          .map((p, i) =>
            JSON.stringify({ recordId: `r${i}`, modelInput: { messages: [{ role: "user", content: [{ text: p }] }] } }),
          )
          .join("\n"),
      }),
    );
    const { jobArn } = await timed(createMs, () =>
      bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "load",
          modelId: "amazon.nova-lite-v1:0",
          roleArn: "r",
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://load/${key}` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://load/out/" } },
        }),
      ),
    );
    let job = await timed(retrieveMs, () => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })));
    while (
      !["Completed", "Failed", "Stopped", "PartiallyCompleted", "Expired"].includes(job.status ?? "") &&
      Date.now() < deadline
    ) {
      await pause();
      job = await timed(retrieveMs, () => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })));
    }
    return job.successRecordCount ?? 0;
  },
];

const started = performance.now();
await Promise.all(
  Array.from({ length: clients }, async (_, client) => {
    for (let i = 0; i < batchesPerClient; i++) {
      try {
        const results = await runners[(client + i) % runners.length]!(client);
        completed++;
        if (results !== prompts.length) lost += prompts.length - results;
      } catch (error) {
        errors++;
        if (firstErrors.length < 3) firstErrors.push(String(error).slice(0, 200));
      }
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const pct = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? NaN;
console.log(
  `${clients} clients × ${batchesPerClient} batches (OpenAI, Anthropic→Gemini, GenAI→Anthropic, AWS→Bedrock on demand), 2 requests each`,
);
console.log(`batches ended: ${completed} in ${seconds.toFixed(1)} s = ${(completed / seconds).toFixed(1)} batches/s`);
console.log(
  `create   p50 ${pct(createMs, 50).toFixed(0)} ms  p99 ${pct(createMs, 99).toFixed(0)} ms  (${createMs.length} calls)`,
);
console.log(
  `retrieve p50 ${pct(retrieveMs, 50).toFixed(0)} ms  p99 ${pct(retrieveMs, 99).toFixed(0)} ms  (${retrieveMs.length} calls)`,
);
console.log(
  `errors: ${errors}   lost requests: ${lost}${firstErrors.length ? `\n  first errors: ${firstErrors.join("\n  ")}` : ""}`,
);
await gateway.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(errors === 0 && lost === 0 ? 0 : 1);
