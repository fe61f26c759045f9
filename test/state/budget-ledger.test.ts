import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchRecord } from "../../lambdas/core/model";
import type { BatchRunner, BudgetHold } from "../../lambdas/core/ports";
import { type ReconcileDeps, reconcile } from "../../lambdas/core/reconcile";
import { DynamoBudgetLedger } from "../../lambdas/state/dynamo-budget-ledger";
import { type Emulators, localNames, startEmulators } from "../../local/emulators";
import { MemoryRepository } from "../support/memory";

describe("budget ledger on DynamoDB (dynalite: single-item conditional writes, no transactions)", () => {
  let emulators: Emulators;
  let dir: string;
  let ledger: DynamoBudgetLedger;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "finops-budget-"));
    emulators = await startEmulators(dir);
    ledger = new DynamoBudgetLedger(emulators.dynamo, localNames.table);
  });
  afterAll(async () => {
    await emulators.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("never lets concurrent reservations pass the limit: ten at once at $0.30 against $1.00, three get in", async () => {
    await ledger.setLimit("team", 1_000_000);
    expect(await ledger.limitOf("team")).toBe(1_000_000);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.reserve("team", "2026-12", `b${i}`, 300_000, 1_000_000)),
    );
    expect(outcomes.filter((o) => o.reserved)).toHaveLength(3);
    expect(await ledger.committed("team", "2026-12")).toBe(900_000);
    const refused = outcomes.find((o) => !o.reserved);
    expect(refused).toEqual({ reserved: false, committed: 900_000 });
    // A retried create of a reserved batch keeps its one reservation.
    const first = outcomes.findIndex((o) => o.reserved);
    expect(await ledger.reserve("team", "2026-12", `b${first}`, 300_000, 1_000_000)).toEqual({ reserved: true });
    expect(await ledger.committed("team", "2026-12")).toBe(900_000);
  });

  it("replaces a reservation with the actual cost exactly once, however often settlement runs", async () => {
    await ledger.reserve("settle", "2026-12", "b", 500_000, 2_000_000);
    for (let i = 0; i < 3; i++) await ledger.settle("settle", "2026-12", "b", 500_000, 120_000);
    expect(await ledger.committed("settle", "2026-12")).toBe(120_000);
    await ledger.setLimit("settle", undefined);
    expect(await ledger.limitOf("settle")).toBeUndefined();
  });
});

describe("budget ledger: open holds only, so no month of use reaches DynamoDB's item size (F11), and orphans end (F10)", () => {
  let emulators: Emulators;
  let dir: string;
  let ledger: DynamoBudgetLedger;
  const rawMonth = async (tenant: string, month: string) =>
    (
      await emulators.dynamo.send(
        new GetItemCommand({ TableName: localNames.table, Key: { pk: { S: `spend#${tenant}#${month}` } } }),
      )
    ).Item ?? {};
  const holds = async () => {
    const all: BudgetHold[] = [];
    for await (const hold of ledger.openHolds()) all.push(hold);
    return all;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "finops-budget-"));
    emulators = await startEmulators(dir);
    ledger = new DynamoBudgetLedger(emulators.dynamo, localNames.table, 3);
  });
  afterAll(async () => {
    await emulators.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps a settled batch off the month's item: 300 batches leave only the running total", async () => {
    for (let i = 0; i < 300; i++) {
      await ledger.reserve("heavy", "2026-12", `b${i}`, 10, 1e12);
      await ledger.settle("heavy", "2026-12", `b${i}`, 10, 7);
    }
    expect(await ledger.committed("heavy", "2026-12")).toBe(2100);
    const item = await rawMonth("heavy", "2026-12");
    expect(Object.keys(item).filter((name) => name.startsWith("b_") || name.startsWith("t_"))).toEqual([]);
    expect(item.open?.N).toBe("0");
    expect((await holds()).filter((h) => h.tenant === "heavy")).toEqual([]);
  });

  it("lists open holds with their time, and refuses a key past its cap of holds in progress by saying so", async () => {
    for (let i = 0; i < 3; i++)
      expect(await ledger.reserve("busy", "2026-12", `o${i}`, 5, 1e12, 1000 + i)).toEqual({ reserved: true });
    expect(await ledger.reserve("busy", "2026-12", "o3", 5, 1e12)).toEqual({ reserved: false, open: 3 });
    expect((await holds()).filter((h) => h.tenant === "busy").sort((a, b) => a.reservedAt - b.reservedAt)).toEqual([
      { tenant: "busy", month: "2026-12", batchId: "o0", amount: 5, reservedAt: 1000 },
      { tenant: "busy", month: "2026-12", batchId: "o1", amount: 5, reservedAt: 1001 },
      { tenant: "busy", month: "2026-12", batchId: "o2", amount: 5, reservedAt: 1002 },
    ]);
    await ledger.settle("busy", "2026-12", "o0", 5, 0);
    expect(await ledger.reserve("busy", "2026-12", "o3", 5, 1e12)).toEqual({ reserved: true });
  });

  it("the reconciler releases a hold whose batch never appeared, and keeps one whose batch runs", async () => {
    const repo = new MemoryRepository();
    const running = {
      id: "running",
      kind: "batch",
      tenant: "crash",
      status: "in_progress",
      createdAt: 0,
    } as BatchRecord;
    await repo.create(running);
    await ledger.setLimit("crash", 1_000_000);
    await ledger.reserve("crash", "2026-11", "running", 300, 1_000_000, 1_000);
    await ledger.reserve("crash", "2026-11", "never-written", 400, 1_000_000, 1_000);
    await ledger.reserve("crash", "2026-11", "just-now", 500, 1_000_000, 9_000);
    const idle = async () => false;
    const report = await reconcile(
      {
        repo,
        budgets: ledger,
        runner: { start: idle, cancel: idle, running: idle, resume: idle } as unknown as BatchRunner,
        engine: { collect: idle, fail: idle } as unknown as ReconcileDeps["engine"],
        now: () => 10_000,
      },
      { graceMs: 5_000 },
    );
    // (The other tests' holds have no batch either: released too.)
    expect(report.released).toContain("never-written");
    expect(report.released).not.toContain("running");
    expect(report.released).not.toContain("just-now");
    expect(await ledger.committed("crash", "2026-11")).toBe(800);
    expect(
      (await holds())
        .filter((h) => h.tenant === "crash")
        .map((h) => h.batchId)
        .sort(),
    ).toEqual(["just-now", "running"]);
  });
});
