import { describe, expect, it } from "vitest";
import { type FocusRow, focusColumns } from "../../lambdas/core/focus-layout";
import { focusParquet, focusRowsOfParquet } from "../../lambdas/formats/focus-parquet";

/** A row with every column null but those given. */
const row = (fields: Partial<FocusRow>): FocusRow =>
  ({ ...Object.fromEntries(focusColumns.map((name) => [name, null])), ...fields }) as FocusRow;

describe("FOCUS Parquet files", () => {
  // More rows than a row group holds, so the file has several.
  const rows = Array.from({ length: 25_000 }, (_, i) =>
    row({
      x_BatchId: `b${i}`,
      x_CostStatus: i % 10 === 0 ? "estimate" : "settled",
      BilledCost: i / 1000,
      ChargePeriodStart: "2026-12-03T00:00:00Z",
      Tags: i === 7 ? '{"team":"a, \\"b\\""}' : null,
    }),
  );
  const file = focusParquet(rows);

  it("reads back the rows it keeps, whole and in order, across row groups and gaps", async () => {
    const wanted = new Set(["b3", "b7", "b24001"]);
    const kept = await focusRowsOfParquet(file, ({ batchId }) => wanted.has(batchId));
    expect(kept).toEqual([rows[3], rows[7], rows[24_001]]);
  });

  it("reads by cost status too, and nothing when it keeps nothing (an empty file as well)", async () => {
    const estimates = await focusRowsOfParquet(file, ({ status }) => status === "estimate");
    expect(estimates).toHaveLength(2_500);
    expect(estimates.every((r) => r.x_CostStatus === "estimate")).toBe(true);
    expect(await focusRowsOfParquet(file, () => false)).toEqual([]);
    expect(await focusRowsOfParquet(focusParquet([]))).toEqual([]);
  });
});
