import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
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

describe("the local staging bucket is private, as the stack's is (F31)", () => {
  it("serves only requests signed with the emulator's key: presigned URLs are checked, query and expiry included", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "finops-private-"));
    const emulators = await startEmulators(dataDir);
    try {
      const Bucket = localNames.bucket;
      const Key = "files/tenant-a/secret";
      await emulators.s3.send(new PutObjectCommand({ Bucket, Key, Body: "TEAM-A PAYROLL" }));
      const url = new URL(await getSignedUrl(emulators.s3, new GetObjectCommand({ Bucket, Key }), { expiresIn: 60 }));
      expect(await (await fetch(url)).text()).toBe("TEAM-A PAYROLL");

      const changed = (edit: (u: URL) => void) => {
        const copy = new URL(url);
        edit(copy);
        return copy;
      };
      const refusals = [
        changed((u) => u.searchParams.set("X-Amz-Expires", "604800")),
        changed((u) => {
          u.pathname = u.pathname.replace("tenant-a", "tenant-b");
        }),
        changed((u) =>
          u.searchParams.set("X-Amz-Credential", u.searchParams.get("X-Amz-Credential")!.replace("S3RVER", "OTHER")),
        ),
        new URL(`${url.origin}${url.pathname}`), // unsigned
      ];
      for (const target of refusals) {
        const answer = await fetch(target);
        expect(answer.status).toBe(403);
        expect(await answer.text()).toMatch(
          /<Code>(SignatureDoesNotMatch|InvalidAccessKeyId|MissingAuthenticationToken)<\/Code>/,
        );
      }
      const expired = await getSignedUrl(emulators.s3, new GetObjectCommand({ Bucket, Key }), {
        expiresIn: 1,
        signingDate: new Date(Date.now() - 10_000),
      });
      const late = await fetch(expired);
      expect(late.status).toBe(403);
      expect(await late.text()).toContain("Request has expired");
      // The account's own buckets (stand-ins) stay open to any client, as the README says.
      await emulators.s3.send(new CreateBucketCommand({ Bucket: "team-data" }));
      await emulators.s3.send(new PutObjectCommand({ Bucket: "team-data", Key: "in.jsonl", Body: "x" }));
      expect((await fetch(`${url.origin}/team-data/in.jsonl`)).status).toBe(200);
    } finally {
      await emulators.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
