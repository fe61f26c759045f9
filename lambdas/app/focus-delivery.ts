import { Readable } from "node:stream";
import { monthOf } from "../core/budgets";
import type { Deployment } from "../core/deps";
import { focusRows, mayChargeIn } from "../core/focus";
import { type FocusRow, focusReportKey } from "../core/focus-layout";
import type { BatchRecord } from "../core/model";
import type { BlobStore } from "../core/ports";
import type { PriceBook } from "../core/pricing";
import { everySdkBatchId } from "../dialects/batch-ids";
import { focusCsvPieces } from "../formats/focus-csv";
import { focusParquet, focusRowsOfParquet } from "../formats/focus-parquet";

/** What the daily delivery reads and where it writes. */
export interface FocusDeliveryDeps {
  /** Every batch the table holds (settled or not; expired ones are gone). */
  batches: () => AsyncIterable<BatchRecord>;
  /** Each tenant's credential name, for `SubAccountName`. */
  accountNames: () => Promise<Map<string, string>>;
  /** The reports bucket: kept files, no expiry. */
  reports: BlobStore;
  prices: PriceBook;
  deployment: Deployment;
  now?: () => number;
}

/** What one delivery wrote for one billing month. */
export interface FocusMonthDelivered {
  month: string;
  rows: number;
  /** Batches with rows in the month that the table still holds, priced into rows now. */
  batches: number;
  /** Rows kept from the month's earlier file: batches that have since left the table (its retention). */
  keptRows: number;
  keys: string[];
}

/**
 * Writes the FOCUS files (Parquet and CSV) of the previous and the current billing month, whole, from the batches
 * that settled in them: run daily, so a batch that settles shows by the next day, and a batch that settles on the
 * 31st still reaches its month's file. Running it again writes the same files.
 *
 * The table forgets batches after the stack's retention (30 days by default), but a month's file must not: rows of
 * batches the table no longer holds are carried over from the month's earlier file, so the files are the ledger that
 * outlives the table.
 */
export const deliverFocus = async (deps: FocusDeliveryDeps): Promise<FocusMonthDelivered[]> => {
  const now = deps.now?.() ?? Date.now();
  const previousMonth = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() - 1, 1);
  const months = [monthOf(previousMonth), monthOf(now)];
  // Every batch that settled from the first of the previous month on (its rows fall on the days its jobs ended),
  // and those created since that still run (their estimate). Every batch the table holds is known by id.
  const settled: BatchRecord[] = [];
  const held = new Set<string>();
  for await (const batch of deps.batches()) {
    held.add(batch.id);
    if (mayChargeIn(batch, { from: previousMonth, to: Number.POSITIVE_INFINITY }, true)) settled.push(batch);
  }
  const names = await deps.accountNames();
  const all = await focusRows(settled, {
    estimates: true,
    deployment: deps.deployment,
    prices: deps.prices,
    ids: (batch) => everySdkBatchId(batch, deps.deployment),
    accountName: (tenant) => names.get(tenant),
  });
  const delivered: FocusMonthDelivered[] = [];
  for (const month of months) {
    const fresh = all.filter((row) => String(row.BillingPeriodStart).startsWith(month));
    const parquetKey = focusReportKey("parquet", month);
    // An estimate is never kept: its batch has since settled, or ended with nothing to charge.
    const kept = (await deps.reports.exists(parquetKey))
      ? await focusRowsOfParquet(
          await deps.reports.read(parquetKey),
          ({ batchId, status }) => !held.has(batchId) && status === "settled",
        )
      : [];
    const rows = [...kept, ...fresh].sort(byChargeTime);
    // The CSV first: a reader of the Parquet table never sees a month whose CSV lags behind it.
    const csvKey = focusReportKey("csv", month);
    await deps.reports.putStream(csvKey, Readable.from(focusCsvPieces(rows)), "text/csv; charset=utf-8");
    await deps.reports.put(parquetKey, focusParquet(rows), "application/vnd.apache.parquet");
    delivered.push({
      month,
      rows: rows.length,
      batches: new Set(fresh.map((row) => row.x_BatchId)).size,
      keptRows: kept.length,
      keys: [parquetKey, csvKey],
    });
  }
  return delivered;
};

/** Day, then batch, rows of a batch in the order they were made (a stable sort keeps it). */
const byChargeTime = (a: FocusRow, b: FocusRow) =>
  String(a.ChargePeriodStart).localeCompare(String(b.ChargePeriodStart)) ||
  String(a.x_BatchId).localeCompare(String(b.x_BatchId));
