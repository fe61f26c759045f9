import { describe, expect, it } from "vitest";
import type { BatchPart, NeutralResult } from "../../lambdas/core/model";
import { partSettingsFromEnv } from "../../lambdas/core/part-settings";
import {
  estimatedEnd,
  inRowOrder,
  isTransient,
  type KeptResult,
  lastOutcomes,
  planParts,
  progressSentence,
} from "../../lambdas/core/parts";

const lines = (count: number, size = 20) =>
  Array.from({ length: count }, (_, i) => `{"n":${i},"pad":"${"x".repeat(size)}"}`).join("\n");
/** The bytes in chunks of `chunk`, as a stream delivers them (line ends fall anywhere). */
const chunks = (text: string, chunk = 7) => {
  const bytes = Buffer.from(text);
  return Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
};
const slice = (text: string, part: BatchPart) => Buffer.from(text).subarray(part.start, part.end).toString();

describe("cutting an input into parts", () => {
  it("cuts at the request limit into parts as even as it allows, each part whole lines", async () => {
    const text = lines(25);
    const parts = await planParts(chunks(text), 25, { requests: 10, bytes: 1e9 });
    expect(parts.map((p) => [p.firstRow, p.rows])).toEqual([
      [0, 9],
      [9, 9],
      [18, 7],
    ]);
    expect(parts.map((p) => slice(text, p)).join("")).toBe(text);
    expect(slice(text, parts[1]!).split("\n")[0]).toBe(text.split("\n")[9]);
  });

  it("cuts earlier where the bytes would pass the byte limit (less the room kept for conversion)", async () => {
    const text = `${lines(10, 80)}\n`;
    const lineBytes = Buffer.byteLength(text.split("\n")[0]!) + 1;
    // Room for 3 lines in 90 % of the limit.
    const parts = await planParts(chunks(text, 64), 10, { requests: 100, bytes: Math.ceil((lineBytes * 3.5) / 0.9) });
    expect(parts.map((p) => p.rows)).toEqual([3, 3, 3, 1]);
    expect(parts.every((p) => p.end - p.start <= lineBytes * 3.5)).toBe(true);
    expect(parts.map((p) => slice(text, p)).join("")).toBe(text);
  });

  it("counts no blank line and no byte order mark as a request, and keeps every byte in some part", async () => {
    const text = `\ufeff{"a":1}\n\n  \r\n{"a":2}\r\n{"a":3}\n\n`;
    const parts = await planParts(chunks(text, 3), 3, { requests: 2, bytes: 1e9 });
    expect(parts.map((p) => p.rows)).toEqual([2, 1]);
    expect(parts.map((p) => slice(text, p)).join("")).toBe(text);
    expect(slice(text, parts[1]!).trim()).toBe('{"a":3}');
  });
});

describe("a part's results in row order", () => {
  const result = (row: number): NeutralResult => ({ customId: `c${row}`, outcome: "succeeded" });
  const gather = async <T>(items: AsyncIterable<T>) => {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all;
  };
  async function* stream<T>(items: T[]) {
    yield* items;
  }

  it("sorts answers that came out of order, and names the rows never answered in their place", async () => {
    const rows = [3, 5, 8, 9];
    const answers = [9, 3, 8].map((row) => ({ row, result: result(row) }));
    const sorted = await gather(
      inRowOrder(rows, stream(answers), (row) => ({ customId: `c${row}`, outcome: "expired" })),
    );
    expect(sorted.map((s) => [s.row, s.result.outcome])).toEqual([
      [3, "succeeded"],
      [5, "expired"],
      [8, "succeeded"],
      [9, "succeeded"],
    ]);
  });

  it("merges a part with its retries: each row once, the latest run winning", async () => {
    const kept = (row: number, attempt: number, outcome: NeutralResult["outcome"]): KeptResult => ({
      row,
      attempt,
      result: { customId: `c${row}`, outcome },
    });
    const first = [kept(0, 1, "succeeded"), kept(1, 1, "errored"), kept(2, 1, "expired"), kept(3, 1, "errored")];
    const second = [kept(1, 2, "succeeded"), kept(2, 2, "errored")];
    const third = [kept(2, 3, "succeeded")];
    const merged = await gather(lastOutcomes([stream(first), stream(second), stream(third)]));
    expect(merged.map((m) => [m.row, m.attempt, m.result.outcome])).toEqual([
      [0, 1, "succeeded"],
      [1, 2, "succeeded"],
      [2, 3, "succeeded"],
      [3, 1, "errored"],
    ]);
  });
});

describe("what runs again", () => {
  it("retries rate limits, 5xx, overload and expiry; never a 400 or a cancel", () => {
    const errored = (statusCode?: number, code = "x") => ({
      outcome: "errored" as const,
      error: { code, message: "m", statusCode },
    });
    expect(isTransient(errored(429))).toBe(true);
    expect(isTransient(errored(529))).toBe(true);
    expect(isTransient(errored(503))).toBe(true);
    expect(isTransient(errored(408))).toBe(true);
    expect(isTransient(errored(undefined, "overloaded_error"))).toBe(true);
    expect(isTransient({ outcome: "expired" })).toBe(true);
    expect(isTransient(errored(400))).toBe(false);
    expect(isTransient(errored(undefined, "invalid_request_error"))).toBe(false);
    expect(isTransient({ outcome: "cancelled" })).toBe(false);
  });

  it("reads the settings from the environment, with the documented limits by default", () => {
    expect(partSettingsFromEnv({})).toMatchObject({
      maxRequests: 1_000_000,
      jobs: { openai: { requests: 50_000, bytes: 200_000_000 }, bedrock: { requests: 50_000, bytes: 1_000_000_000 } },
      defaultAttempts: 1,
    });
    const set = partSettingsFromEnv({ OPENAI_JOB_MAX_REQUESTS: "10", ROW_ATTEMPTS: "9", MAX_BATCH_PARTS: "x" });
    expect(set.jobs.openai.requests).toBe(10);
    expect(set.defaultAttempts).toBe(5); // at most 5 runs a row
    expect(set.maxParts).toBe(200); // an unreadable setting keeps its default
  });
});

describe("progress and an estimated end", () => {
  const part = (n: number, state: BatchPart["state"], times: Partial<BatchPart> = {}): BatchPart => ({
    n,
    root: n,
    attempt: 1,
    rows: 10,
    firstRow: n * 10,
    start: 0,
    end: 1,
    tokens: 1,
    state,
    completed: state === "ended" ? 10 : 0,
    failed: 0,
    ...times,
  });

  it("estimates from the parts that ended: running ones end after the mean run, waiting ones in rounds", () => {
    const batch = {
      status: "in_progress" as const,
      statusTimes: { validating: 0 },
      requestCounts: { total: 50, completed: 20, failed: 0 },
      parts: [
        part(0, "ended", { submittedAt: 0, endedAt: 100 }),
        part(1, "ended", { submittedAt: 0, endedAt: 300 }),
        part(2, "running", { submittedAt: 300 }),
        part(3, "running", { submittedAt: 300 }),
        part(4, "waiting"),
      ],
    };
    // Mean run 200: the running parts end at 500, the waiting one a round later.
    expect(estimatedEnd(batch, 350)).toBe(700);
    expect(estimatedEnd({ ...batch, parts: batch.parts.slice(2) }, 350)).toBeUndefined();
    expect(progressSentence(batch)).toBe(
      "5 parts (2 running, 1 waiting); 20 of 50 rows done, 0 waiting to run again; 50 runs",
    );
  });
});
