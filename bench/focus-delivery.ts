/**
 * `npm run bench:focus-delivery`: the daily FOCUS delivery (lambdas/app/focus-delivery.ts) over a month of BATCHES
 * (default 100,000) settled batches of four providers, each of one to three upstream jobs, some past midnight, with
 * tags — the rows rendered with the real price list, written as Parquet and CSV to files on this disk, then the same
 * again with the month's earlier file read back (as every later day runs), then next month's run with half the
 * batches gone from the table (their rows carried over from the file). Prints each run's time and CPU, the peak
 * RSS, the files' sizes, and what a run costs in AWS: the delivery Lambda (arm64, 3,008 MB) and the table scan
 * (eventually consistent, by the records' size).
 */

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliverFocus } from "../lambdas/app/focus-delivery";
import type { BatchPart, BatchRecord, Provider } from "../lambdas/core/model";
import { modelAllowlistFromEnv, priceBook } from "../lambdas/pricing/price-book";
import { defaultModels } from "../local/default-models";
import { FileBlobStore } from "./file-blob-store";

const batches = Number(process.env.BATCHES ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "finops-bench-focus-"));
const now = Date.UTC(2026, 11, 28, 2);
const models: Record<Provider, string> = defaultModels;
const providers = Object.keys(models) as Provider[];

/** A settled batch like the engine leaves it: jobs with their usage and cost, the batch's sums. */
const settledBatch = (i: number): BatchRecord => {
  const provider = providers[i % providers.length]!;
  const created = Date.UTC(2026, 11, 1) + Math.floor((i / batches) * 26 * 86_400_000);
  const jobs = 1 + (i % 3);
  const parts: BatchPart[] = Array.from({ length: jobs }, (_, n) => {
    const usage = { inputTokens: 40_000 + n, outputTokens: 9_000, cachedInputTokens: i % 5 === 0 ? 4_000 : 0 };
    return {
      n,
      root: n,
      attempt: 1,
      rows: 100,
      firstRow: n * 100,
      start: 0,
      end: 0,
      tokens: usage.inputTokens,
      state: "ended",
      completed: 100,
      failed: 0,
      usage,
      cost: { batch: 0.01, onDemand: 0.02 },
      submittedAt: created,
      endedAt: created + (n + 1) * 5 * 3_600_000,
    };
  });
  const usage = parts.reduce(
    (sum, part) => ({
      inputTokens: sum.inputTokens + part.usage!.inputTokens,
      outputTokens: sum.outputTokens + part.usage!.outputTokens,
      cachedInputTokens: (sum.cachedInputTokens ?? 0) + (part.usage!.cachedInputTokens ?? 0),
    }),
    { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
  );
  const ended = created + jobs * 5 * 3_600_000 + 60_000;
  return {
    id: `b${String(i).padStart(8, "0")}`,
    kind: "batch",
    tenant: `tenant-${i % 20}`,
    dialect: (["openai", "anthropic", "genai", "bedrock"] as const)[i % 4]!,
    provider,
    createdAt: created,
    status: "completed",
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    model: models[provider],
    inputFileId: "f",
    inputBlobKey: "k",
    requestCounts: { total: jobs * 100, completed: jobs * 100, failed: 0 },
    statusTimes: { validating: created, in_progress: created + 1_000, completed: ended },
    usage,
    cost: {
      currency: "USD",
      batch: 0.01 * jobs,
      onDemand: 0.02 * jobs,
      saved: 0.01 * jobs,
      pricing: "derived",
      source: "bench",
    },
    tags: { team: `team-${i % 7}`, project: "atlas" },
    parts,
  };
};

const records = Array.from({ length: batches }, (_, i) => settledBatch(i));
const itemBytes = records.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0);
const reports = new FileBlobStore(dir);
/** The third run's table has forgotten every other batch (past its retention): their rows come from the file. */
let forgetting = false;
const deps = {
  batches: async function* () {
    for (const [i, record] of records.entries()) if (!forgetting || i % 2 === 0) yield record;
  },
  accountNames: async () => new Map(Array.from({ length: 20 }, (_, i) => [`tenant-${i}`, `team-${i}`] as const)),
  reports,
  prices: priceBook({}, modelAllowlistFromEnv({})),
  deployment: { accountId: "123456789012", region: "us-east-1" },
  now: () => (forgetting ? Date.UTC(2027, 0, 3, 2) : now),
};

global.gc?.();
const baseline = process.memoryUsage().rss;
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
try {
  for (const run of [
    "first delivery of the month",
    "a later day (the month's file read back)",
    "next month, half the batches forgotten (their rows kept from the file)",
  ]) {
    forgetting = run.startsWith("next month");
    global.gc?.();
    peakRss = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const delivered = await deliverFocus(deps);
    const month = forgetting ? delivered[0] : delivered[1];
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
    const [parquet = 0, csv = 0] = month!.keys.map((key) => statSync(join(dir, key)).size);
    console.log(
      `${run}: ${month!.rows.toLocaleString()} rows of ${month!.batches.toLocaleString()} batches in ` +
        `${seconds.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s); Parquet ${mb(parquet)}, CSV ${mb(csv)}; ` +
        `peak RSS ${mb(peakRss)}`,
    );
    const lambdaUsd = seconds * 2.9375 * 0.0000133334;
    const scanUsd = ((itemBytes / 4096) * 0.5 * 0.125) / 1e6;
    console.log(
      `  in AWS: Lambda ≈ $${lambdaUsd.toFixed(5)} (3,008 MB × ${seconds.toFixed(1)} s, arm64), table scan ≈ ` +
        `$${scanUsd.toFixed(5)} (${mb(itemBytes)} of batch records at 0.5 RRU per 4 KB); a month of daily runs ≈ ` +
        `$${(30 * (lambdaUsd + scanUsd)).toFixed(3)}`,
    );
  }
  clearInterval(sampler);
  console.log(`RSS before the runs ${mb(baseline)} (the batch records the scan yields, held here)`);
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
