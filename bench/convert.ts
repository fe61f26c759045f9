/**
 * `npm run bench:convert`: streams a 200 MB, 50,000-line OpenAI batch file through the gateway's codecs to
 * Bedrock records, and a matching Bedrock output file back to OpenAI output lines, printing MB/s and the
 * peak RSS growth of each direction. Targets: RSS growth < 150 MB, ≥ 50 MB/s per core.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { upstreamKey } from "../lambdas/core/ids";
import { JsonlBlobWriter } from "../lambdas/core/jsonl-blob-writer";
import { renderOpenAiResultLine } from "../lambdas/dialects/openai/results";
import { resultFromBedrockRecord, toBedrockRecord } from "../lambdas/formats/bedrock-records";
import { readRequests } from "../lambdas/formats/detect";
import { isBlank, parseObjectLine, readLines } from "../lambdas/formats/jsonl";
import { FileBlobStore } from "./file-blob-store";

const lines = 50_000;
const targetBytes = 200 * 1024 * 1024;
const root = await mkdtemp(join(tmpdir(), "finops-bench-convert-"));
const blobs = new FileBlobStore(root);

/** Writes `count` lines made by `line(i)` to a file, streaming. */
const writeFile = async (key: string, count: number, line: (i: number) => string) => {
  const out = createWriteStream(join(root, key));
  for (let i = 0; i < count; i++) if (!out.write(`${line(i)}\n`)) await once(out, "drain");
  out.end();
  await once(out, "finish");
  return (await stat(join(root, key))).size;
};

const padding = "lorem ipsum dolor sit amet ".repeat(Math.ceil(targetBytes / lines / 27));
const prompt = (i: number) => `Question ${i}: ${padding.slice(0, Math.floor(targetBytes / lines) - 220)}`;

/** Runs `work`, sampling RSS, and reports throughput over `bytes` and the peak RSS above the starting point. */
const measure = async (label: string, bytes: number, work: () => Promise<void>) => {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const mb = bytes / 1024 / 1024;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${label.padEnd(34)} ${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(1)} MB/s wall, ` +
      `${(mb / cpuSeconds).toFixed(1)} MB/s per CPU-second; peak RSS growth ${((peak - base) / 1024 / 1024).toFixed(1)} MB`,
  );
};

const inputBytes = await writeFile("input.jsonl", lines, (i) =>
  JSON.stringify({
    custom_id: `request-${i}`,
    method: "POST",
    url: "/v1/chat/completions",
    body: {
      model: "anthropic.claude-3-sonnet-20240229-v1:0",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: prompt(i) },
      ],
      max_tokens: 100,
    },
  }),
);

await measure("OpenAI batch lines → Bedrock records", inputBytes, async () => {
  const writer = new JsonlBlobWriter(blobs, "bedrock/input.jsonl");
  let count = 0;
  for await (const request of readRequests(await blobs.stream("input.jsonl"))) {
    await writer.write(toBedrockRecord(upstreamKey(request.customId), request.request));
    count++;
  }
  await writer.close();
  if (count !== lines) throw new Error(`converted ${count} of ${lines}`);
});

const outputBytes = await writeFile("bedrock/input.jsonl.out", lines, (i) =>
  JSON.stringify({
    recordId: `request-${i}`,
    modelInput: { messages: [{ role: "user", content: [{ text: prompt(i) }] }], inferenceConfig: { maxTokens: 100 } },
    modelOutput: {
      output: { message: { role: "assistant", content: [{ text: `Answer ${i}` }] } },
      stopReason: "end_turn",
      usage: { inputTokens: 1000, outputTokens: 3, totalTokens: 1003 },
    },
  }),
);

await measure("Bedrock output → OpenAI output lines", outputBytes, async () => {
  const writer = new JsonlBlobWriter(blobs, "openai/output.jsonl");
  const created = Math.floor(Date.now() / 1000);
  for await (const line of readLines(await blobs.stream("bedrock/input.jsonl.out"))) {
    if (isBlank(line)) continue;
    const result = resultFromBedrockRecord(
      parseObjectLine(line),
      line.lineNumber,
      "anthropic.claude-3-sonnet-20240229-v1:0",
      created,
    );
    await writer.write(renderOpenAiResultLine(result).line);
  }
  const { lines: written } = await writer.close();
  if (written !== lines) throw new Error(`converted ${written} of ${lines}`);
});

await rm(root, { recursive: true, force: true });
