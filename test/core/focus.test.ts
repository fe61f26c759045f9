import { describe, expect, it } from "vitest";
import { chargeDays, focusRows, rowsCharged } from "../../lambdas/core/focus";
import type { BatchPart, BatchRecord } from "../../lambdas/core/model";

const day = (iso: string) => Date.parse(`${iso}Z`);

const part = (n: number, endedAt: string, usage: BatchPart["usage"], batch: number): BatchPart => ({
  n,
  root: n,
  attempt: 1,
  rows: 10,
  firstRow: n * 10,
  start: 0,
  end: 0,
  tokens: 0,
  state: "ended",
  completed: 10,
  failed: 0,
  usage,
  cost: { batch, onDemand: batch * 2 },
  submittedAt: day("2026-11-30T20:00:00"),
  endedAt: day(endedAt),
});

/** A batch of three jobs: two ended before midnight, one after; it settled the next morning. */
const batch = (parts: BatchPart[], usage = { inputTokens: 3000, outputTokens: 600 }): BatchRecord => ({
  id: "b1",
  kind: "batch",
  tenant: "t",
  dialect: "openai",
  provider: "openai",
  createdAt: day("2026-11-30T20:00:00"),
  status: "completed",
  endpoint: "/v1/chat/completions",
  completionWindow: "24h",
  model: "gpt-4.1-mini",
  inputFileId: "f",
  inputBlobKey: "k",
  requestCounts: { total: 30, completed: 30, failed: 0 },
  statusTimes: { validating: day("2026-11-30T20:00:00"), completed: day("2026-12-01T08:00:00") },
  usage,
  cost: { currency: "USD", batch: 0.3, onDemand: 0.6, saved: 0.3, pricing: "derived", source: "test" },
  parts,
});

const deployment = { accountId: "123456789012", region: "us-east-1" };

describe("FOCUS rows by UTC day", () => {
  const jobs = [
    part(0, "2026-11-30T22:00:00", { inputTokens: 1000, outputTokens: 200 }, 0.1),
    part(1, "2026-11-30T23:30:00", { inputTokens: 1000, outputTokens: 200 }, 0.1),
    part(2, "2026-12-01T01:00:00", { inputTokens: 1000, outputTokens: 200 }, 0.1),
  ];

  it("charges each job's usage to the day it ended, the batch's cost split by the days' jobs, adding up exactly", () => {
    const days = chargeDays(batch(jobs), 0.3, 0.6);
    expect(days.map((d) => new Date(d.day).toISOString())).toEqual([
      "2026-11-30T00:00:00.000Z",
      "2026-12-01T00:00:00.000Z",
    ]);
    expect(days.map((d) => d.usage.inputTokens)).toEqual([2000, 1000]);
    expect(days[0]!.billed).toBeCloseTo(0.2, 10);
    expect(days[0]!.billed + days[1]!.billed).toBeCloseTo(0.3, 12);
    expect(days[0]!.onDemand + days[1]!.onDemand).toBeCloseTo(0.6, 12);
  });

  it("puts a batch whose jobs do not account for all its usage on the day it settled, whole", () => {
    const days = chargeDays(batch(jobs, { inputTokens: 9999, outputTokens: 600 }), 0.3, 0.6);
    expect(days).toEqual([
      { day: day("2026-12-01T00:00:00"), usage: { inputTokens: 9999, outputTokens: 600 }, billed: 0.3, onDemand: 0.6 },
    ]);
  });

  it("makes rows in two billing periods that a period's query takes apart, and that together are the ledger", async () => {
    const rows = await focusRows([batch(jobs)], { deployment, ids: () => ({ openai: "batch_b1" }) });
    const november = rowsCharged(rows, { from: day("2026-11-01T00:00:00"), to: day("2026-12-01T00:00:00") });
    const december = rowsCharged(rows, { from: day("2026-12-01T00:00:00"), to: day("2027-01-01T00:00:00") });
    expect(november.length + december.length).toBe(rows.length);
    expect(new Set(november.map((row) => row.BillingPeriodStart))).toEqual(new Set(["2026-11-01T00:00:00Z"]));
    expect(new Set(december.map((row) => row.ChargePeriodStart))).toEqual(new Set(["2026-12-01T00:00:00Z"]));
    const billed = (list: typeof rows) => list.reduce((sum, row) => sum + Number(row.BilledCost), 0);
    expect(billed(november)).toBeCloseTo(0.2, 10);
    expect(billed(rows)).toBeCloseTo(0.3, 12);
    const tokens = (list: typeof rows) => list.reduce((sum, row) => sum + Number(row.ConsumedQuantity), 0);
    expect(tokens(december)).toBe(1200);
  });
});
