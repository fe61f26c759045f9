import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import S3rver, { type S3rverContext } from "s3rver";
import type { CredentialRecord } from "../lambdas/core/credentials";
import { type BatchStatus, isTerminal } from "../lambdas/core/model";
import { keyAuthenticator } from "../lambdas/http/authenticator";
import type { HttpRequest } from "../lambdas/http/request";
import { escapeXml } from "../lambdas/http/xml";
import { tableSchema } from "../lambdas/state/table-schema";

/** The names local mode gives the table and bucket the stack would create. */
export const localNames = {
  table: "finops-local",
  bucket: "finops-staging-local",
  /** The FOCUS reports bucket (the stack's FocusReports). */
  reports: "finops-reports-local",
  region: "us-east-1",
} as const;

/** A DynamoDB client for an emulator endpoint. */
export const localDynamoClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: localNames.region, credentials: localCredentials });

// Local tooling runs on the machine's Node 20; the deployed Lambdas run Node 22+, where the warning does not apply.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const localCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** DynamoDB (dynalite) and S3 (s3rver) running in this process, persisted under `dataDir`. */
export interface Emulators {
  dynamo: DynamoDBClient;
  /** Where the emulated DynamoDB listens (the keys command connects to a running gateway's emulator). */
  dynamoEndpoint: string;
  s3: S3Client;
  /** Where the emulated S3 listens (the buckets standing in for a team's own are there). */
  s3Endpoint: string;
  close(): Promise<void>;
}

/** The watch index (lambdas/state/table-schema.ts), as the CDK storage construct adds it. */
const watchIndex: GlobalSecondaryIndex = {
  IndexName: tableSchema.watchIndex,
  KeySchema: [
    { AttributeName: tableSchema.watchIndexPartitionKey, KeyType: "HASH" },
    { AttributeName: tableSchema.tenantIndexSortKey, KeyType: "RANGE" },
  ],
  Projection: { ProjectionType: "ALL" },
};

/**
 * A data directory from before the watch index: dynalite cannot add an index to a table, so the table is made again
 * with it and every item written back, unfinished batches marked watched, so a restart resumes them too.
 */
const rebuildWithWatchIndex = async (dynamo: DynamoDBClient): Promise<void> => {
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: localNames.table, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await dynamo.send(new DeleteTableCommand({ TableName: localNames.table }));
  for (let gone = false; !gone; ) {
    gone = await dynamo.send(new DescribeTableCommand({ TableName: localNames.table })).then(
      () => false,
      (error: unknown) => error instanceof ResourceNotFoundException || Promise.reject(error),
    );
    if (!gone) await sleep(25);
  }
  await createTable(dynamo);
  await waitActive(dynamo);
  for (const item of items) {
    const unfinished = item.kind === "batch" && !isTerminal(item.status as BatchStatus);
    const written = unfinished ? { ...item, [tableSchema.watchIndexPartitionKey]: "batch" } : item;
    await doc.send(new PutCommand({ TableName: localNames.table, Item: written }));
  }
};

/** dynalite flips a new table or index to ACTIVE on a later tick; a write before then finds none. */
const waitActive = async (dynamo: DynamoDBClient): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: localNames.table }));
    if (
      Table?.TableStatus === "ACTIVE" &&
      Table.GlobalSecondaryIndexes?.every((index) => index.IndexStatus === "ACTIVE")
    )
      return;
    await sleep(25);
  }
  throw new Error(`The emulated table ${localNames.table} never became active`);
};

/** Creates the table exactly as the CDK storage construct does (same keys and indexes), unless it exists. */
const createTable = async (dynamo: DynamoDBClient): Promise<void> => {
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: localNames.table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: tableSchema.partitionKey, AttributeType: "S" },
          { AttributeName: tableSchema.tenantIndexPartitionKey, AttributeType: "S" },
          { AttributeName: tableSchema.tenantIndexSortKey, AttributeType: "S" },
          { AttributeName: tableSchema.watchIndexPartitionKey, AttributeType: "S" },
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
          watchIndex,
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
};

/** The table, made if missing (or made again, for a data directory from before the watch index). */
const ensureTable = async (dynamo: DynamoDBClient): Promise<void> => {
  await createTable(dynamo);
  await waitActive(dynamo);
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: localNames.table }));
  if (!Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === tableSchema.watchIndex))
    await rebuildWithWatchIndex(dynamo);
};

/**
 * The staging bucket is private, as the stack's is: every request to it must be signed with the emulator's key —
 * in its headers or as a presigned URL, checked by the gateway's own SigV4 verifier, expiry included. s3rver checks
 * no Signature Version 4 at all, so without this any local process that learnt its port (every download redirect
 * shows it) would read any tenant's files. Other buckets stand in for the account's own and stay open to any
 * client, as the README says.
 */
const privateStagingBucket = () => {
  const emulatorKey: CredentialRecord = {
    name: "s3rver",
    tenant: "emulator",
    status: "enabled",
    createdAt: 0,
    apiKeyHash: "",
    accessKeyId: localCredentials.accessKeyId,
    sealedSecret: localCredentials.secretAccessKey,
  };
  const verifier = keyAuthenticator(
    {
      byAccessKeyId: async (id) => (id === emulatorKey.accessKeyId ? emulatorKey : undefined),
      byApiKeyHash: async () => undefined,
      byName: async () => undefined,
      list: async () => [emulatorKey],
      put: async () => undefined,
      setStatus: async () => false,
      delete: async () => false,
    },
    { seal: async (plain) => plain, unseal: async (sealed) => sealed },
  );
  return async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const [bucket] = ctx.path.slice(1).split("/");
    if (bucket !== localNames.bucket) return next();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(ctx.headers)) if (typeof value === "string") headers[name] = value;
    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(ctx.query))
      query[name] = String(Array.isArray(value) ? value.at(-1) : value);
    const request: HttpRequest = {
      method: ctx.method,
      path: ctx.path,
      rawPath: ctx.path,
      params: {},
      query,
      headers,
      body: new Uint8Array(),
      bodyUnseen: true,
      baseUrl: "",
    };
    try {
      await verifier.tenantFor(request, { type: "aws", v2Resource: ctx.path });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "AccessDenied";
      ctx.status = 403;
      ctx.type = "application/xml";
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${code}</Code><Message>${escapeXml((error as Error).message)}</Message></Error>`;
      return;
    }
    return next();
  };
};

/** Starts both emulators on free loopback ports. */
/**
 * UploadPartCopy, as S3 does it (a part copied from an object, or a range of it), for s3rver: the source is read
 * through the emulator and stored as the part.
 */
const uploadPartCopy =
  (emulator: S3rver, client: () => S3Client) =>
  async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const source = ctx.headers["x-amz-copy-source"];
    const { uploadId, partNumber } = ctx.query;
    if (ctx.method !== "PUT" || !source || !uploadId || !partNumber) return next();
    const [bucket = ""] = ctx.path.slice(1).split("/");
    const [fromBucket = "", ...fromKey] = decodeURIComponent(source.replace(/^\//, "")).split("/");
    const { Body } = await client().send(
      new GetObjectCommand({
        Bucket: fromBucket,
        Key: fromKey.join("/"),
        Range: ctx.headers["x-amz-copy-source-range"],
      }),
    );
    const bytes = Buffer.from((await Body?.transformToByteArray()) ?? []);
    const { md5 } = await emulator.store.putPart(bucket, uploadId, partNumber, Readable.from([bytes]));
    ctx.type = "application/xml";
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult>' +
      `<LastModified>${new Date().toISOString()}</LastModified><ETag>"${md5}"</ETag></CopyPartResult>`;
  };

export const startEmulators = async (dataDir: string): Promise<Emulators> => {
  await mkdir(join(dataDir, "s3"), { recursive: true });
  const dynamoServer = dynalite({
    path: join(dataDir, "dynamodb"),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => dynamoServer.listen(0, "127.0.0.1", resolve).once("error", reject));
  const s3rver = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: join(dataDir, "s3"),
    configureBuckets: [{ name: localNames.bucket }],
  });
  // s3rver answers UploadPartCopy NotImplemented; S3 joins large uploads with it (BlobStore.concat).
  s3rver.middleware.unshift(uploadPartCopy(s3rver, () => s3));
  s3rver.middleware.unshift(privateStagingBucket());
  const s3Address = await s3rver.run();
  const dynamoPort = (dynamoServer.address() as AddressInfo).port;
  const dynamo = localDynamoClient(`http://127.0.0.1:${dynamoPort}`);
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${s3Address.port}`,
    region: localNames.region,
    credentials: localCredentials,
    forcePathStyle: true,
    // s3rver mangles bodies sent with flexible checksums (aws-chunked trailers); send plain bodies.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  await ensureTable(dynamo);
  return {
    dynamo,
    dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3,
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    async close() {
      dynamo.destroy();
      s3.destroy();
      await s3rver.close();
      await new Promise<void>((resolve) => dynamoServer.close(() => resolve()));
    },
  };
};
