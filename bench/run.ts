/**
 * `npm run bench`: the figures the issues ask for, measured on this machine.
 *   1. `cdk synth` wall time (offline, local esbuild bundling, cdk-nag on) and each Lambda bundle's size.
 *   2. OpenAI SDK file round trips against the local gateway (upload + download), median of several runs.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import OpenAI, { toFile } from "openai";
import { startLocalGateway } from "../local/server";

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const synth = () => {
  const out = mkdtempSync(join(tmpdir(), "finops-bench-synth-"));
  const started = performance.now();
  execFileSync("npx", ["cdk", "synth", "--quiet", "--output", out], { stdio: ["ignore", "ignore", "pipe"] });
  const seconds = (performance.now() - started) / 1000;
  const template = JSON.parse(readFileSync(join(out, "FinOpsGateway.template.json"), "utf8")) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  console.log(`cdk synth: ${seconds.toFixed(1)} s`);
  console.log("Lambda bundles (index.js, minified; gzip ≈ deployed zip):");
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const file = join(out, resource.Metadata?.["aws:asset:path"] ?? "", "index.js");
    const bytes = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).byteLength;
    console.log(
      `  ${id.replace(/[0-9A-F]{8}$/, "").padEnd(40)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KiB`,
    );
  }
  rmSync(out, { recursive: true, force: true });
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

synth();
await roundTrips();
