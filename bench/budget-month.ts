/**
 * `npm run bench:budget-month`: one key's month of budgeted batches against the DynamoDB emulator (dynalite on this
 * disk): BATCHES (default 100,000) reservations and settlements through the gateway's own ledger, IN_FLIGHT (default
 * 50) batches open at any moment, then a reconciler sweep. Prints the month item's size and attributes along the
 * way (DynamoDB refuses an item over 400 KB; the ledger's former shape, one attribute per batch of the month, hit it
 * at about 14,100 batches) and the time per batch on this machine.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { newId } from "../lambdas/core/ids";
import { DynamoBudgetLedger, maxOpenHolds } from "../lambdas/state/dynamo-budget-ledger";
import { localNames, startEmulators } from "../local/emulators";

const batches = Number(process.env.BATCHES ?? 100_000);
const inFlight = Number(process.env.IN_FLIGHT ?? 50);
const tenant = "t-heavy";
const month = "2026-12";
const itemLimitBytes = 400 * 1024;

const dir = mkdtempSync(join(tmpdir(), "finops-bench-budget-"));
const emulators = await startEmulators(dir);
const ledger = new DynamoBudgetLedger(emulators.dynamo, localNames.table);

/** The month item as DynamoDB sizes it: attribute names plus values (numbers counted at their digits). */
const monthItem = async () => {
  const { Item } = await DynamoDBDocumentClient.from(emulators.dynamo).send(
    new GetCommand({ TableName: localNames.table, Key: { pk: `spend#${tenant}#${month}` } }),
  );
  const item: Record<string, unknown> = Item ?? {};
  const bytes = Object.entries(item).reduce((sum, [name, value]) => sum + name.length + String(value).length, 0);
  return { item, bytes, attributes: Object.keys(item).length };
};

try {
  const started = performance.now();
  let largest = 0;
  let next = 0;
  let done = 0;
  // IN_FLIGHT workers, each a batch's life: reserve at create, settle at its end (a tenth cost nothing, as cancelled).
  const worker = async () => {
    while (next < batches) {
      const n = next++;
      const id = newId();
      const reserved = 1_000 + (n % 500);
      const outcome = await ledger.reserve(tenant, month, id, reserved, 1e15);
      if (!outcome.reserved) throw new Error(`batch ${n} refused: ${JSON.stringify(outcome)}`);
      await ledger.settle(tenant, month, id, reserved, n % 10 === 0 ? 0 : Math.floor(reserved * 0.6));
      if (++done % 1_000 === 0) {
        const { bytes, attributes } = await monthItem();
        largest = Math.max(largest, bytes);
        if (done % 10_000 === 0) console.log(`${done} batches: month item ${bytes} bytes, ${attributes} attributes`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { item, bytes, attributes } = await monthItem();
  let open = 0;
  for await (const _ of ledger.openHolds()) open++;
  // The ceiling is on batches open at once: the month item with every hold open, sized the same way.
  const perHold = `b_${newId()}`.length + 4 + `t_${newId()}`.length + 13;
  console.log(`
${batches} budgeted batches in one month, ${inFlight} open at a time: ${seconds.toFixed(1)} s on dynalite (${((seconds * 1000) / batches).toFixed(2)} ms a batch: one reservation, one settlement)
month item at the end: ${bytes} bytes, ${attributes} attributes (committed ${item.committed} micro-USD, open holds ${item.open}); largest seen ${largest} bytes
open holds found by the reconciler's sweep: ${open}
a key's ceiling: ${maxOpenHolds} batches open at once ≈ ${Math.round((maxOpenHolds * perHold) / 1024)} KB of holds, under DynamoDB's ${itemLimitBytes / 1024} KB item limit (refused past it as 429, never a 500)`);
} finally {
  await emulators.close();
  rmSync(dir, { recursive: true, force: true });
}
