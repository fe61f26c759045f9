/**
 * `npm run costs -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--group-by day|model|provider|dialect|credential] [--json]`: the
 * owner's view of what batches cost and saved across every key, from each batch's settled cost (nothing is priced
 * again). Deployed: `--stack NAME` (or TABLE_NAME, a stack output) and AWS credentials; locally FINOPS_DATA_DIR.
 * `--focus [--format csv|parquet|json] [--out FILE]`: the FOCUS rows charged in the period (this month by default;
 * lambdas/core/focus.ts), every key's, each named by its credential; batches still running at their estimate.
 */

import { writeFile } from "node:fs/promises";
import { monthOf } from "../lambdas/core/budgets";
import { type CostGrouping, costGroupings, groupCosts, groupOf, isCostGrouping } from "../lambdas/core/costs";
import { credentialNames } from "../lambdas/core/credentials";
import { focusRows, mayChargeIn, rowsCharged } from "../lambdas/core/focus";
import type { BatchRecord } from "../lambdas/core/model";
import { everySdkBatchId } from "../lambdas/dialects/batch-ids";
import { focusCsv } from "../lambdas/formats/focus-csv";
import { focusParquet } from "../lambdas/formats/focus-parquet";
import { modelAllowlistFromEnv, priceBook, priceOverridesFromEnv } from "../lambdas/pricing/price-book";
import { DynamoCredentialStore } from "../lambdas/state/dynamo-credential-store";
import { DynamoRepository } from "../lambdas/state/dynamo-repository";
import { commandLine, printerFor } from "./cli";
import { openTable } from "./table";

const { values } = commandLine(
  {
    options: {
      from: { type: "string" },
      to: { type: "string" },
      "group-by": { type: "string", default: "credential" },
      stack: { type: "string" },
      json: { type: "boolean" },
      focus: { type: "boolean" },
      format: { type: "string", default: "csv" },
      out: { type: "string" },
    },
  },
  "Usage: npm run costs -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] " +
    "[--group-by credential|day|model|provider|dialect|tag:KEY] [--stack NAME] [--json] " +
    "[--focus [--format csv|parquet|json] [--out FILE]]",
);
const groupings = [...costGroupings, "credential"] as const;
const groupBy = values["group-by"] as (typeof groupings)[number] | `tag:${string}`;
const day = (text: string | undefined, fallback: number) =>
  text === undefined ? fallback : Date.parse(`${text}T00:00:00Z`);
const from = day(values.from, 0);
const to = day(values.to, Date.now() + 1);

/**
 * The FOCUS rows charged in the period (this month when `--from` is not given) — settled batches', and running
 * ones' estimates — written to `--out` or printed.
 */
const writeFocus = async (table: Awaited<ReturnType<typeof openTable>>, names: Map<string, string>) => {
  if (!["csv", "parquet", "json"].includes(values.format ?? "")) throw new Error("--format is csv, parquet or json.");
  const start = values.from ? from : Date.parse(`${monthOf(Date.now())}-01T00:00:00Z`);
  const settled: BatchRecord[] = [];
  for await (const batch of new DynamoRepository(table.dynamo, table.tableName).scanAll("batch"))
    if (mayChargeIn(batch, { from: start, to }, true)) settled.push(batch);
  const prices = priceBook(priceOverridesFromEnv(process.env), modelAllowlistFromEnv(process.env));
  const deployment = {
    accountId: process.env.CDK_DEFAULT_ACCOUNT ?? "000000000000",
    region: table.region ?? "us-east-1",
  };
  const all = await focusRows(settled, {
    estimates: true,
    deployment,
    prices,
    ids: (batch) => everySdkBatchId(batch, deployment),
    accountName: (tenant) => names.get(tenant),
  });
  const rows = rowsCharged(all, { from: start, to });
  const text =
    values.format === "parquet"
      ? focusParquet(rows)
      : values.format === "csv"
        ? focusCsv(rows)
        : `${JSON.stringify(rows, null, 2)}\n`;
  if (values.format === "parquet" && !values.out) throw new Error("A Parquet file needs --out FILE.");
  if (!values.out) {
    process.stdout.write(text);
    return;
  }
  await writeFile(values.out, text);
  const batches = new Set(rows.map((row) => row.x_BatchId)).size;
  console.error(`Wrote ${rows.length} FOCUS rows of ${batches} batches to ${values.out}.`);
};

const table = await openTable(values.stack);
try {
  if (groupBy !== "credential" && !isCostGrouping(groupBy))
    throw new Error(`--group-by is one of ${groupings.join(", ")}, or tag:KEY (a cost allocation tag).`);
  if (!(from < to)) throw new Error("--from must be a date (YYYY-MM-DD) before --to.");
  const names = await credentialNames(new DynamoCredentialStore(table.dynamo, table.tableName));
  if (values.focus) {
    await writeFocus(table, names);
    process.exit(0);
  }
  const batches: BatchRecord[] = [];
  for await (const batch of new DynamoRepository(table.dynamo, table.tableName).scanAll("batch"))
    if (batch.createdAt >= from && batch.createdAt < to) batches.push(batch);
  const groups = groupCosts(batches, (batch) =>
    groupBy === "credential"
      ? (names.get(batch.tenant) ?? `key ${batch.tenant.slice(0, 8)}… (no gateway credential)`)
      : groupOf(batch, groupBy as CostGrouping),
  );
  const money = (value: number) => `$${value.toFixed(6)}`;
  const rows = [
    [groupBy, "batches", "unpriced", "input tokens", "output tokens", "cost", "on demand", "saved", "retries"],
    ...groups.map((g) => [
      g.group,
      String(g.batches),
      String(g.unpricedBatches),
      String(g.inputTokens),
      String(g.outputTokens),
      money(g.cost),
      money(g.onDemand),
      money(g.saved),
      money(g.retries),
    ]),
  ];
  const total = groupCosts(batches, () => "total")[0];
  if (total)
    rows.push([
      "total",
      String(total.batches),
      String(total.unpricedBatches),
      String(total.inputTokens),
      String(total.outputTokens),
      money(total.cost),
      money(total.onDemand),
      money(total.saved),
      money(total.retries),
    ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const period = `${values.from ?? "the first batch"} to ${values.to ? `${values.to} (exclusive)` : "now"}`;
  const text =
    batches.length === 0
      ? `No batches in ${table.where} from ${period}. Run one (npm start prints a first batch) and it shows here.`
      : [
          `Settled batches in ${table.where}, by ${groupBy}, from ${period} (USD at batch rates; on demand = the ` +
            "same usage live):",
          ...rows.map((row) =>
            row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
          ),
        ].join("\n");
  printerFor(values.json).result(text, {
    groupBy,
    from: values.from ?? null,
    to: values.to ?? null,
    currency: "USD",
    groups,
    total: total ?? null,
  });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await table.close();
}
