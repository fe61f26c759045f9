/**
 * `npm run bench`: the figures the issues ask for, measured on this machine.
 *   1. `cdk synth` wall time (offline, local esbuild bundling, cdk-nag on), each Lambda bundle's size and its cold
 *      init: loading the bundle and its first handler call with a representative event, in a fresh Node process
 *      (bench/cold-init-child.cjs), against the local DynamoDB emulator; median of 5. Target: < 300 ms.
 *   2. OpenAI SDK file round trips against the local gateway (upload + download), median of several runs.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import OpenAI, { toFile } from "openai";
import { frontDoorIds, frontDoors } from "../lambdas/dialects/front-doors";
import { startEmulators } from "../local/emulators";
import { toProxyEvent } from "../local/http-adapter";
import { startLocalGateway } from "../local/server";
import { benchLambdaEnv } from "./lambda-env";

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A request through a front door, as API Gateway hands it to the door's Lambda (the local adapter builds it). */
const doorEvent = (door: (typeof frontDoorIds)[number], path: string, method = "GET") => {
  const request = {
    method,
    httpVersion: "1.1",
    headers: { host: "bench.local" },
    rawHeaders: [
      ...["Host", "bench.local", "Authorization", "Bearer sk-bench"],
      ...["x-api-key", "sk-bench", "x-goog-api-key", "sk-bench"],
    ],
    socket: { remoteAddress: "127.0.0.1", localPort: 443 },
  } as unknown as IncomingMessage;
  const prefix = `/${frontDoors[door].mount}`;
  const [pathOnly, query] = path.split("?");
  const headers = request.rawHeaders.flatMap((v, i, all) => (i % 2 ? [] : [[v, all[i + 1]!] as [string, string]]));
  return toProxyEvent(
    request,
    { headers },
    Buffer.alloc(0),
    { mount: { prefix }, path: `${prefix}${pathOnly}` },
    new URLSearchParams(query),
  );
};

/** A cheap, representative first call per front door: a list that reads the table. */
const doorPaths: Record<(typeof frontDoorIds)[number], string> = {
  openai: "/files",
  anthropic: "/v1/messages/batches",
  genai: "/v1beta/batches",
  bedrock: "/model-invocation-jobs",
  bedrockFiles: "/bench-bucket",
  finops: "/v1/costs?from=2026-12-01",
};

/** The first event each function gets, by its logical id. */
const firstEvent = (id: string): unknown => {
  // A streaming door's HEAD twin gets a HEAD of a key (the table read behind HeadObject).
  const head = frontDoorIds.find((d) => id.toLowerCase().includes(`${d.toLowerCase()}headdialect`));
  if (head) return doorEvent(head, `${doorPaths[head]}/none.jsonl`, "HEAD");
  const door = frontDoorIds.find((d) => id.toLowerCase().includes(`${d.toLowerCase()}dialect`));
  if (door) return doorEvent(door, doorPaths[door]);
  if (id.includes("Authorizer"))
    return {
      type: "REQUEST",
      methodArn: "arn:aws:execute-api:us-east-1:000000000000:api/v1/PUT/bedrock/files/b/k",
      resource: "/bedrock/files/{proxy+}",
      path: "/bedrock/files/b/k",
      httpMethod: "PUT",
      headers: { authorization: "Bearer sk-bench" },
      queryStringParameters: {},
      pathParameters: { proxy: "b/k", session: "s" },
      requestContext: { requestId: "bench" },
    };
  if (id.includes("Task")) return { action: "poll", batchId: "no-such-batch", tenant: "t" };
  if (id.includes("Webhook")) return { Records: [] };
  return { "detail-type": "Scheduled Event", source: "aws.events", detail: {} }; // the reconciler
};

/** Cold init of every bundle in a synthesized assembly: median of 5 fresh processes each (this VM's timings scatter). */
const coldInits = async (out: string, bundles: { id: string; file: string }[]) => {
  const emulatorDir = mkdtempSync(join(tmpdir(), "finops-bench-cold-"));
  const emulators = await startEmulators(emulatorDir);
  const env = {
    ...benchLambdaEnv(),
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
  };
  try {
    console.log("Cold init (load + first call, fresh process, median of 5; target < 300 ms):");
    for (const { id, file } of bundles) {
      const runs: { loadMs: number; firstCallMs: number; outcome: unknown }[] = [];
      for (let i = 0; i < 5; i++) {
        // Asynchronously: the emulator the call reaches runs in this process.
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ["bench/cold-init-child.cjs", file, JSON.stringify(firstEvent(id))],
          { env, encoding: "utf8" },
        );
        runs.push(JSON.parse(stdout.trim().split("\n").at(-1)!));
      }
      const total = median(runs.map((r) => r.loadMs + r.firstCallMs));
      const load = median(runs.map((r) => r.loadMs));
      console.log(
        `  ${id.padEnd(40)} ${total.toFixed(0).padStart(5)} ms  (load ${load.toFixed(0)} ms, first call → ${String(runs[0]!.outcome)})`,
      );
    }
  } finally {
    await emulators.close();
    rmSync(emulatorDir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
};

const synth = () => {
  const out = mkdtempSync(join(tmpdir(), "finops-bench-synth-"));
  const started = performance.now();
  execFileSync("npx", ["cdk", "synth", "--quiet", "--output", out], { stdio: ["ignore", "ignore", "pipe"] });
  const seconds = (performance.now() - started) / 1000;
  const template = JSON.parse(readFileSync(join(out, "FinOpsGateway.template.json"), "utf8")) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  console.log(`cdk synth: ${seconds.toFixed(1)} s`);
  console.log("Lambda bundles (index.js, minified; gzip ≈ deployed zip; the price dataset ships beside it):");
  const bundles: { id: string; file: string }[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const file = join(out, resource.Metadata?.["aws:asset:path"] ?? "", "index.js");
    bundles.push({ id: id.replace(/[0-9A-F]{8}$/, ""), file });
    const bytes = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).byteLength;
    console.log(
      `  ${id.replace(/[0-9A-F]{8}$/, "").padEnd(40)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB = ${(bytes / 1000).toFixed(0).padStart(4)} kB ${bytes <= 500_000 ? "≤" : ">"} 500 kB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KiB`,
    );
  }
  return { out, bundles };
};

const roundTrips = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "finops-bench-"));
  const gateway = await startLocalGateway({ port: 0, dataDir });
  const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-bench", maxRetries: 0 });
  try {
    for (const size of [10 * 1024, 1024 * 1024, 4_400_000]) {
      const payload = randomBytes(size);
      const up: number[] = [];
      const down: number[] = [];
      for (let i = 0; i < 7; i++) {
        let t = performance.now();
        const file = await client.files.create({ file: await toFile(payload, "bench.bin"), purpose: "user_data" });
        up.push(performance.now() - t);
        t = performance.now();
        const back = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
        down.push(performance.now() - t);
        if (!back.equals(payload)) throw new Error("round trip changed the bytes");
      }
      console.log(
        `local files round trip ${String(size).padStart(8)} B: upload p50 ${median(up).toFixed(1)} ms, download p50 ${median(down).toFixed(1)} ms`,
      );
    }
  } finally {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const { out, bundles } = synth();
await coldInits(out, bundles);
if (!process.env.BENCH_SKIP_ROUND_TRIPS) await roundTrips();
