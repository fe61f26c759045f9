/**
 * `npm run bench:big-batch -- --requests 1000000 [--compare 50000] [--provider openai]`: one batch of each size on a
 * local gateway (the batch engine's tasks run by the state machine's own definition, against the S3 and DynamoDB
 * emulators and a simulated provider), uploaded with the OpenAI SDK's Uploads API and polled to its end. Prints,
 * per size: wall time; per task (Submit, Poll, Collect) the runs, their seconds and the process's peak memory
 * while one ran; the S3 and DynamoDB calls the tasks made, per 1,000 requests; the state transitions; and from
 * those counts the gateway's own AWS cost per 1,000,000 requests at published us-east-1 prices (Lambda GB-seconds
 * and requests at the task function's 1,769 MB on Arm, Step Functions standard transitions, S3 and DynamoDB
 * on-demand requests). Calls are counted inside the tasks only (the upload is not the gateway's batch work). The
 * simulated OpenAI runs in a process of its own (bench/simulator-process.ts); the emulators run in this one, so task
 * seconds and peak memory include them serving the tasks' calls (an upper bound of the gateway's own).
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import OpenAI, { toFile } from "openai";
import { defaultPollSchedule, pollDelaySeconds } from "../lambdas/core/batch-engine";
import type { Provider } from "../lambdas/core/model";
import { defaultModels } from "../local/default-models";
import { startLocalGateway } from "../local/server";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1000000" },
    compare: { type: "string", default: "50000" },
    provider: { type: "string", default: "openai" },
  },
  allowPositionals: true,
});
const provider = values.provider as Provider;
const sizes = [Number(values.compare), Number(values.requests)].filter((n) => n > 0);

/** Published prices, us-east-1 (USD). */
const prices = {
  lambdaGbSecond: 0.0000133334, // Arm
  lambdaRequest: 0.2 / 1e6,
  transition: 0.025 / 1000, // Step Functions standard
  s3Write: 0.005 / 1000, // PUT, COPY, POST, LIST
  s3Read: 0.0004 / 1000, // GET and the rest
  dynamoWriteUnit: 0.625 / 1e6, // on demand
  dynamoReadUnit: 0.125 / 1e6,
};
const taskMemoryGb = 1769 / 1024;

/**
 * Whether a task is running (the one batch's tasks run one at a time, and nothing else calls S3 or DynamoDB
 * meanwhile: the bench waits on the runner, not on the API). A flag, not AsyncLocalStorage, whose promise hooks
 * would slow every task down.
 */
let inTask: string | undefined;
const calls = new Map<string, number>();
/** Patches a client class's `send` to count each command made inside a task, by service and name. */
const countCalls = (client: { prototype: { send: (...args: never[]) => unknown } }, service: string) => {
  const send = client.prototype.send;
  client.prototype.send = function (this: unknown, ...args: never[]) {
    if (inTask) {
      const command = (args[0] as unknown as { constructor: { name: string } }).constructor.name;
      const name = `${service} ${command.replace(/Command$/, "")}`;
      calls.set(name, (calls.get(name) ?? 0) + 1);
    }
    return send.apply(this, args);
  } as typeof send;
};
countCalls(S3Client as never, "S3");
countCalls(DynamoDBClient as never, "DynamoDB");
countCalls(DynamoDBDocumentClient as never, "DynamoDB");

/**
 * The simulated provider runs in a process of its own, so the tasks' seconds are the gateway's work (and the
 * in-process S3 and DynamoDB emulators serving its calls), not the simulator's.
 */
const simulator = spawn(process.execPath, ["--import", "tsx", "bench/simulator-process.ts"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const simulatorUrl = await new Promise<string>((resolve, reject) => {
  simulator.stdout.once("data", (data: Buffer) => resolve(data.toString().trim()));
  simulator.once("exit", () => reject(new Error("the simulator did not start")));
});
if (provider === "openai") {
  process.env.OPENAI_API_KEY = "sk-simulated";
  process.env.OPENAI_BASE_URL = simulatorUrl;
}

const s3Writes = new Set(["PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject"]);
const s3Lists = new Set(["ListObjectsV2"]);

/** `requests` lines of about 180 bytes. */
const input = (requests: number): Buffer => {
  const model = defaultModels[provider];
  const lines: string[] = [];
  for (let i = 0; i < requests; i++)
    lines.push(
      JSON.stringify({
        custom_id: `r${i}`,
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          model,
          messages: [{ role: "user", content: `Question number ${i}: what is ${i} + 1?` }],
          max_tokens: 16,
        },
      }),
    );
  return Buffer.from(`${lines.join("\n")}\n`);
};

/** Uploads the input with the OpenAI SDK's Uploads API (4 MiB parts); its bytes are unreachable once it returns. */
const upload = async (client: OpenAI, requests: number) => {
  const body = input(requests);
  const created = await client.uploads.create({
    filename: "big.jsonl",
    purpose: "batch",
    bytes: body.byteLength,
    mime_type: "application/jsonl",
  });
  const parts: string[] = [];
  const partBytes = 4 * 1024 * 1024;
  for (let offset = 0; offset < body.byteLength; offset += partBytes) {
    const data = await toFile(body.subarray(offset, offset + partBytes));
    parts.push((await client.uploads.parts.create(created.id, { data })).id);
  }
  const file = (await client.uploads.complete(created.id, { part_ids: parts })).file!;
  return { fileId: file.id, bytes: body.byteLength };
};

interface TaskFigures {
  runs: number;
  seconds: number;
  /** CPU seconds of this process while it ran (the task, and the emulators serving its calls). */
  cpuSeconds: number;
  /** The most the process's memory grew while one ran, over what it held when that one started. */
  growth: number;
  peakRss: number;
}

const measure = async (requests: number) => {
  calls.clear();
  const tasks = new Map<string, TaskFigures>();
  let transitions = 0;
  let busyRoutes = 0;
  let rss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
  }, 25);
  const dataDir = mkdtempSync(join(tmpdir(), "finops-big-cost-"));
  const gateway = await startLocalGateway({
    port: 0,
    dataDir,
    simulators: { jobLatencyMs: 500 },
    runner: {
      pollWaitMs: 20,
      retryWaitMs: 20,
      onTransition: (_batch, _state, kind) => {
        if (kind === "entered") transitions++;
      },
    },
    observeTask: async (event, run) => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const before = process.memoryUsage().rss;
      rss = before;
      try {
        inTask = event.action;
        const route = await run().finally(() => {
          inTask = undefined;
        });
        // A route back at once (more parts to start, a slice of work) keeps its attempt, and loops whatever the
        // upstream's pace; a backed-off one counts the attempt on.
        if (route.next === "wait" && route.attempt === (event.attempt ?? 0)) busyRoutes++;
        return route;
      } finally {
        const figures = tasks.get(event.action) ?? { runs: 0, seconds: 0, cpuSeconds: 0, peakRss: 0, growth: 0 };
        figures.runs++;
        figures.seconds += (performance.now() - started) / 1000;
        const used = process.cpuUsage(cpu);
        figures.cpuSeconds += (used.user + used.system) / 1e6;
        figures.peakRss = Math.max(figures.peakRss, rss, process.memoryUsage().rss);
        figures.growth = Math.max(figures.growth, figures.peakRss - before);
        tasks.set(event.action, figures);
      }
    },
  });
  try {
    const client = new OpenAI({
      baseURL: `${gateway.url}/openai`,
      apiKey: "sk-bench",
      maxRetries: 3,
      timeout: 900_000,
    });
    const { fileId, bytes } = await upload(client, requests);
    // The input's bytes are the bench's, not the gateway's: dropped before the batch runs.
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    const created = await client.batches.create({
      input_file_id: fileId,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider,
    } as never);
    const createSeconds = (performance.now() - started) / 1000;
    // The execution's end, seen from the runner (an API call meanwhile would count among the tasks' calls).
    const execution = { id: created.id.replace(/^batch_/, "") } as never;
    while (await gateway.runner.running(execution)) await new Promise((resolve) => setTimeout(resolve, 200));
    const batch = await client.batches.retrieve(created.id);
    const wall = (performance.now() - started) / 1000;
    // The batch record's size, about: the FinOps API's view holds what the item holds (its parts, counts, cost).
    const view = await fetch(`${gateway.url}/finops/v1/batches/${created.id}`, {
      headers: { authorization: "Bearer sk-bench" },
    });
    const itemBytes = Buffer.byteLength(await view.text());
    const counted = new Map(calls);
    return {
      requests,
      bytes,
      batch,
      createSeconds,
      wall,
      tasks,
      transitions,
      calls: counted,
      itemBytes,
      busyRoutes,
    };
  } finally {
    clearInterval(sampler);
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Polls of a batch that runs `seconds` on the deployed schedule. */
const pollsOver = (seconds: number): number => {
  let polls = 0;
  for (let t = 0; t < seconds; t += pollDelaySeconds(defaultPollSchedule, t)) polls++;
  return polls;
};
for (const requests of sizes) {
  const run = await measure(requests);
  const per1000 = (count: number) => ((count / run.requests) * 1000).toFixed(2);
  const sum = (names: (name: string) => boolean) =>
    [...run.calls].filter(([name]) => names(name)).reduce((total, [, count]) => total + count, 0);
  const s3Write = sum((n) => n.startsWith("S3 ") && s3Writes.has(n.slice(3)));
  const s3List = sum((n) => n.startsWith("S3 ") && s3Lists.has(n.slice(3)));
  const s3Read = sum((n) => n.startsWith("S3 ")) - s3Write - s3List;
  const dynamoWrite = sum((n) => /^DynamoDB (Update|Put|Delete)/.test(n));
  const dynamoRead = sum((n) => n.startsWith("DynamoDB ")) - dynamoWrite;
  // Every write and read of the batch item is charged for its final size (1 KB write units, 4 KB read units).
  const writeUnits = Math.ceil(run.itemBytes / 1024);
  const readUnits = Math.ceil(run.itemBytes / 4096);
  const taskSeconds = [...run.tasks.values()].reduce((total, t) => total + t.seconds, 0);
  const cpuSeconds = [...run.tasks.values()].reduce((total, t) => total + t.cpuSeconds, 0);
  // In AWS the upstream jobs run for hours, not the simulator's half second: the polls of a batch of 24 hours on the
  // deployed schedule (each Wait, Poll and Route a transition, each poll a Lambda run of a tenth of a second while
  // nothing ended) come on top of what ran here, and the routes back at once loop as they did here.
  const awsPolls = pollsOver(24 * 3600);
  const awsTransitions = 4 + 3 * (awsPolls + run.busyRoutes) + 2;
  const taskRuns = awsPolls + [...run.tasks.values()].reduce((total, t) => total + t.runs, 0);
  const cost = {
    lambda: (taskSeconds + awsPolls * 0.1) * taskMemoryGb * prices.lambdaGbSecond + taskRuns * prices.lambdaRequest,
    stepFunctions: awsTransitions * prices.transition,
    s3: (s3Write + s3List) * prices.s3Write + s3Read * prices.s3Read,
    dynamo: dynamoWrite * writeUnits * prices.dynamoWriteUnit + dynamoRead * readUnits * prices.dynamoReadUnit,
  };
  const total = cost.lambda + cost.stepFunctions + cost.s3 + cost.dynamo;
  const perMillion = (usd: number) => `$${((usd / run.requests) * 1e6).toFixed(4)}`;
  console.log(
    [
      `\n${run.requests.toLocaleString("en-US")} requests (${mb(run.bytes)}) on ${provider}: ${run.batch.status}, ` +
        `${run.batch.request_counts?.completed} answered, ${run.batch.metadata?.finops_parts ?? 1} parts; ` +
        `create ${run.createSeconds.toFixed(1)} s, create to end ${run.wall.toFixed(1)} s`,
      ...[...run.tasks].map(
        ([task, t]) =>
          `  ${task.padEnd(8)} ${String(t.runs).padStart(4)} runs ${t.seconds.toFixed(1).padStart(7)} s ` +
          `(CPU ${t.cpuSeconds.toFixed(1)} s)   peak RSS ${mb(t.peakRss)}, grew ${mb(t.growth)} in one run`,
      ),
      `  task seconds ${taskSeconds.toFixed(1)} (${((taskSeconds / run.requests) * 1e6).toFixed(1)} s per 1,000,000 ` +
        `requests), CPU ${cpuSeconds.toFixed(1)} s (${((cpuSeconds / run.requests) * 1e6).toFixed(1)} s per 1,000,000)`,
      `  state transitions ${run.transitions} here (${run.busyRoutes} routes back at once); in AWS for a 24 h batch ${awsTransitions}`,
      `  S3 calls per 1,000 requests: ${per1000(s3Write)} writes, ${per1000(s3List)} lists, ${per1000(s3Read)} reads`,
      `  DynamoDB calls per 1,000 requests: ${per1000(dynamoWrite)} writes, ${per1000(dynamoRead)} reads (item ${writeUnits} KB)`,
      `  calls: ${[...run.calls].map(([name, count]) => `${name} ${count}`).join(", ")}`,
      `  the gateway's AWS cost per 1,000,000 requests: ${perMillion(total)} ` +
        `(Lambda ${perMillion(cost.lambda)}, Step Functions ${perMillion(cost.stepFunctions)}, ` +
        `S3 ${perMillion(cost.s3)}, DynamoDB ${perMillion(cost.dynamo)})`,
    ].join("\n"),
  );
}
simulator.kill();
process.exit(0);
