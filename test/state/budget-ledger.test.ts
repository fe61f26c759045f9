import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoBudgetLedger } from "../../lambdas/state/dynamo-budget-ledger";
import { type Emulators, localNames, startEmulators } from "../../local/emulators";

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
