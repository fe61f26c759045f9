import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { describe, expect, it } from "vitest";
import type { BatchRecord } from "../../lambdas/core/model";
import { DynamoRepository } from "../../lambdas/state/dynamo-repository";
import { tableSchema } from "../../lambdas/state/table-schema";
import { localDynamoClient, localNames, startEmulators } from "../../local/emulators";
import { waitUntil } from "../support/wait";

const batch = (id: string, status: BatchRecord["status"]): BatchRecord => ({
  id,
  kind: "batch",
  tenant: "t",
  dialect: "openai",
  provider: "openai",
  createdAt: Date.now(),
  status,
  endpoint: "/v1/chat/completions",
  completionWindow: "24h",
  inputBlobKey: "k",
  requestCounts: { total: 1, completed: 0, failed: 0 },
  statusTimes: {},
});

describe("the local emulators", () => {
  it("take a data directory from before the watch index: its table made again, unfinished batches watched", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "finops-old-data-"));
    try {
      // The table as an earlier version created it: the per-tenant index only.
      const server = dynalite({ path: join(dataDir, "dynamodb"), createTableMs: 0 });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const dynamo = localDynamoClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await dynamo.send(
        new CreateTableCommand({
          TableName: localNames.table,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [
            { AttributeName: tableSchema.partitionKey, AttributeType: "S" },
            { AttributeName: tableSchema.tenantIndexPartitionKey, AttributeType: "S" },
            { AttributeName: tableSchema.tenantIndexSortKey, AttributeType: "S" },
          ],
          KeySchema: [{ AttributeName: tableSchema.partitionKey, KeyType: "HASH" }],
          GlobalSecondaryIndexes: [
            {
              IndexName: tableSchema.tenantIndex,
              KeySchema: [
                { AttributeName: tableSchema.tenantIndexPartitionKey, KeyType: "HASH" },
                { AttributeName: tableSchema.tenantIndexSortKey, KeyType: "RANGE" },
              ],
              Projection: { ProjectionType: "ALL" },
            },
          ],
        }),
      );
      await waitUntil(async () => {
        const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: localNames.table }));
        return Table?.TableStatus === "ACTIVE"; // dynalite: a tick after CreateTable
      }, "the old table is active");
      const old = new DynamoRepository(dynamo, localNames.table);
      for (const [id, status] of [
        ["running", "in_progress"],
        ["ended", "completed"],
      ] as const)
        await old.create(batch(id, status));
      dynamo.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));

      const emulators = await startEmulators(dataDir);
      try {
        const repo = new DynamoRepository(emulators.dynamo, localNames.table);
        const watched: string[] = [];
        for await (const found of repo.watched()) watched.push(found.id);
        expect(watched).toEqual(["running"]);
        const listed = await repo.list("batch", "t", { limit: 10, order: "asc" });
        expect(listed.items.map((b) => b.id).sort()).toEqual(["ended", "running"]); // every item kept
      } finally {
        await emulators.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
