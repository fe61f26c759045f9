/**
 * `npm run bench:convert`: the gateway's conversions against a bare JSON loop, on the same 200 MB, 50,000-line
 * files, each measurement in a fresh Node process, alternating, medians of five (this VM's timings scatter by ±30 %
 * from run to run, the same work in one process as well):
 *   in   OpenAI batch input lines → Bedrock records (the input conversion, every line validated)
 *   out  Bedrock output records → OpenAI output lines (the result conversion)
 *   embed Titan embedding output records (1,024 floats each, two texts a request) → OpenAI embedding responses
 *        (10,000 records, about 200 MB: the records are joined per request, the vectors written again)
 *   bare node:readline over a file read stream, JSON.parse and JSON.stringify of each line, a write stream with a
 *        1 MiB buffer — the same file, the same direction
 * Prints MB/s per CPU-second (all threads), MB/s wall, the ratio to the bare loop and the peak RSS growth.
 * Targets (issue 16): ≥ 150 MB/s per CPU-second and ≥ 0.9× the bare loop, RSS growth < 150 MB.
 * `BENCH_WORKERS=1,2` also runs the input conversion on that many worker threads; `BENCH_DIRECTIONS=embed` runs only
 * the directions named.
 */

import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { JsonlBlobWriter } from "../lambdas/core/jsonl-blob-writer";
import { renderOpenAiResultLine } from "../lambdas/dialects/openai/results";
import { resultFromBedrockRecord } from "../lambdas/formats/bedrock-records";
import { titanResults } from "../lambdas/formats/embeddings";
import { isBlank, parseObjectLine, readLines } from "../lambdas/formats/jsonl";
import { inProcessConverter } from "../lambdas/formats/line-conversions";
import { bundleOptions } from "../lib/bundling";
import { FileBlobStore } from "./file-blob-store";
import { workerConverter } from "./line-workers";

const lines = 50_000;
const targetBytes = 200 * 1024 * 1024;
const model = "anthropic.claude-3-haiku-20240307-v1:0";
const files = { in: "input.jsonl", out: "bedrock/input.jsonl.out", embed: "bedrock/embed.jsonl.out" } as const;
const embedRecords = 10_000;
const embedModel = "amazon.titan-embed-text-v2:0";
type Direction = keyof typeof files;

interface Figures {
  mb: number;
  wallSeconds: number;
  cpuSeconds: number;
  rssGrowthMb: number;
}

/** Runs `work` once, sampling RSS; CPU time is the whole process's (every thread). */
const measure = async (bytes: number, work: () => Promise<void>): Promise<Figures> => {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    mb: bytes / 1024 / 1024,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssGrowthMb: (peak - base) / 1024 / 1024,
  };
};

/** The bare loop the issue compares with. */
const bare = async (dir: string, direction: Direction) => {
  const out = createWriteStream(join(dir, `bare-${direction}.jsonl`), { highWaterMark: 1024 * 1024 });
  for await (const line of createInterface({
    input: createReadStream(join(dir, files[direction])),
    crlfDelay: Infinity,
  })) {
    if (!out.write(`${JSON.stringify(JSON.parse(line))}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
};

/** The worker entry bundled as the stack bundles its Lambdas (lib/bundling.ts). */
const bundledWorker = async (dir: string): Promise<string> => {
  const outfile = join(dir, "convert-worker.js");
  await build({ ...bundleOptions(fileURLToPath(new URL("./convert-worker.ts", import.meta.url))), outfile });
  return outfile;
};

/**
 * The gateway's own conversion, as the Bedrock adapter and the OpenAI result sink run it; the input conversion in
 * process (`workers` 0, as on a 1-vCPU task Lambda) or on that many worker threads.
 */
const ours = async (dir: string, direction: Direction, workers: number) => {
  const blobs = new FileBlobStore(dir);
  if (direction === "in") {
    const converter =
      workers === 0 ? inProcessConverter : workerConverter({ threads: workers, script: await bundledWorker(dir) });
    const writer = new JsonlBlobWriter(blobs, "bedrock/converted.jsonl");
    for await (const { bytes, lines } of converter.convert(await blobs.stream(files.in), "bedrock-records"))
      await writer.writeChunk(bytes, lines);
    const { lines: written } = await writer.close();
    if (written !== lines) throw new Error(`converted ${written} of ${lines}`);
    return;
  }
  if (direction === "embed") {
    const writer = new JsonlBlobWriter(blobs, "openai/embeddings.jsonl", { sha256: true });
    const records = async function* () {
      for await (const line of readLines(await blobs.stream(files.embed)))
        if (!isBlank(line)) yield parseObjectLine(line);
    };
    for await (const result of titanResults(records(), embedModel))
      await writer.write(renderOpenAiResultLine(result, "/v1/embeddings").line);
    const { lines: written } = await writer.close();
    if (written !== embedRecords / 2) throw new Error(`joined ${written} of ${embedRecords / 2}`);
    return;
  }
  const writer = new JsonlBlobWriter(blobs, "openai/output.jsonl", { sha256: true });
  const created = Math.floor(Date.now() / 1000);
  for await (const line of readLines(await blobs.stream(files.out))) {
    if (isBlank(line)) continue;
    const result = resultFromBedrockRecord(parseObjectLine(line), line.lineNumber, model, created);
    await writer.write(renderOpenAiResultLine(result).line);
  }
  const { lines: written } = await writer.close();
  if (written !== lines) throw new Error(`converted ${written} of ${lines}`);
};

const { values } = parseArgs({
  options: {
    child: { type: "string" },
    direction: { type: "string" },
    dir: { type: "string" },
    workers: { type: "string", default: "0" },
  },
});

if (values.child) {
  // One measurement in this fresh process; the figures go back to the parent as JSON.
  const direction = values.direction as Direction;
  const dir = values.dir!;
  const bytes = (await stat(join(dir, files[direction]))).size;
  const workers = Number(values.workers);
  const figures = await measure(bytes, () =>
    values.child === "bare" ? bare(dir, direction) : ours(dir, direction, workers),
  );
  console.log(JSON.stringify(figures));
} else {
  const dir = join(tmpdir(), "finops-bench-convert");
  await mkdir(join(dir, "bedrock"), { recursive: true });
  const padding = "lorem ipsum dolor sit amet ".repeat(Math.ceil(targetBytes / lines / 27));
  const prompt = (i: number) => `Question ${i}: ${padding.slice(0, Math.floor(targetBytes / lines) - 220)}`;
  const writeFile = async (name: string, line: (i: number) => string) => {
    if (existsSync(join(dir, name))) return; // kept between runs: generating them is not what is measured
    const out = createWriteStream(join(dir, name));
    for (let i = 0; i < lines; i++) if (!out.write(`${line(i)}\n`)) await once(out, "drain");
    out.end();
    await once(out, "finish");
  };
  await writeFile(files.in, (i) =>
    JSON.stringify({
      custom_id: `request-${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: {
        model,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: prompt(i) },
        ],
        max_tokens: 100,
      },
    }),
  );
  await writeFile(files.out, (i) =>
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
  if (!existsSync(join(dir, files.embed))) {
    const out = createWriteStream(join(dir, files.embed));
    for (let i = 0; i < embedRecords; i++) {
      const embedding = Array.from({ length: 1024 }, (_, j) => Math.sin(i * 1024 + j) / 32);
      const record = {
        recordId: `request${Math.floor(i / 2)}x${i % 2}n2`,
        modelInput: { inputText: `Text ${i} to embed.`, dimensions: 1024, normalize: true },
        modelOutput: { embedding, inputTextTokenCount: 6 },
      };
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");
  }
  const run = (child: "bare" | "ours", direction: Direction, workers = 0): Figures =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          ...["--expose-gc", "--import", "tsx", "bench/convert.ts"],
          ...["--child", child, "--direction", direction, "--dir", dir, "--workers", String(workers)],
        ],
        { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
      ),
    ) as Figures;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const directions = (process.env.BENCH_DIRECTIONS ?? "in,out,embed").split(",") as Direction[];
  for (const direction of directions) {
    const results: Record<"bare" | "ours", Figures[]> = { bare: [], ours: [] };
    for (let round = 0; round < 5; round++) {
      for (const child of round % 2 === 0 ? (["bare", "ours"] as const) : (["ours", "bare"] as const))
        results[child].push(run(child, direction));
    }
    const perCpu = (child: "bare" | "ours") => median(results[child].map((f) => f.mb / f.cpuSeconds));
    const wall = (child: "bare" | "ours") => median(results[child].map((f) => f.mb / f.wallSeconds));
    const rss = (child: "bare" | "ours") => median(results[child].map((f) => f.rssGrowthMb));
    const label = {
      in: "OpenAI lines → Bedrock records",
      out: "Bedrock output → OpenAI lines",
      embed: "Titan embeddings → OpenAI lines",
    }[direction];
    console.log(
      `${label.padEnd(32)} ours ${perCpu("ours").toFixed(1)} MB/s per CPU-s (${wall("ours").toFixed(1)} wall), ` +
        `bare loop ${perCpu("bare").toFixed(1)} (${wall("bare").toFixed(1)} wall), ratio ${(perCpu("ours") / perCpu("bare")).toFixed(2)}×; ` +
        `peak RSS growth ${rss("ours").toFixed(1)} MB (bare ${rss("bare").toFixed(1)})`,
    );
  }
  // The input conversion on worker threads (the task Lambda uses one per vCPU when it has two or more).
  for (const workers of directions.includes("in") ? (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number) : []) {
    const runs = [0, 1, 2].map(() => run("ours", "in", workers));
    const perCpu = median(runs.map((f) => f.mb / f.cpuSeconds));
    const wall = median(runs.map((f) => f.mb / f.wallSeconds));
    const rss = median(runs.map((f) => f.rssGrowthMb));
    console.log(
      `OpenAI lines → Bedrock records on ${workers} worker${workers === 1 ? "" : "s"}: ${wall.toFixed(1)} MB/s wall, ` +
        `${perCpu.toFixed(1)} MB/s per CPU-s; peak RSS growth ${rss.toFixed(1)} MB`,
    );
  }
}
