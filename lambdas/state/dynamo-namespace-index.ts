import { createHash } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type NamespaceEntry, type NamespaceIndex, type NamespaceListing, successorOf } from "../core/ports";
import { tableSchema } from "./table-schema";

const kind = "s3object";

const pkOf = (tenant: string, bucket: string, key: string): string =>
  `s3#${createHash("sha256").update(`${tenant}\0${bucket}\0${key}`).digest("hex")}`;
const partitionOf = (tenant: string, bucket: string): string => `${tenant}#${kind}#${bucket}`;

type Item = NamespaceEntry & { pk: string; kind: string; gsi1pk: string; gsi1sk: string };

const toEntry = ({ pk: _pk, kind: _kind, gsi1pk: _p, gsi1sk: _s, ...entry }: Item): NamespaceEntry => entry;

/** The S3 namespace in the gateway's table: one item per key, listed through the per-tenant index sorted by key. */
export class DynamoNamespaceIndex implements NamespaceIndex {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async put(entry: NamespaceEntry): Promise<NamespaceEntry | undefined> {
    const item: Item = {
      ...entry,
      pk: pkOf(entry.tenant, entry.bucket, entry.key),
      kind,
      gsi1pk: partitionOf(entry.tenant, entry.bucket),
      gsi1sk: entry.key,
    };
    const { Attributes: old } = await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: item, ReturnValues: "ALL_OLD" }),
    );
    return old ? toEntry(old as Item) : undefined;
  }

  async get(tenant: string, bucket: string, key: string): Promise<NamespaceEntry | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pkOf(tenant, bucket, key) }, ConsistentRead: true }),
    );
    return item ? toEntry(item as Item) : undefined;
  }

  async delete(tenant: string, bucket: string, key: string): Promise<NamespaceEntry | undefined> {
    const { Attributes: old } = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: pkOf(tenant, bucket, key) }, ReturnValues: "ALL_OLD" }),
    );
    return old ? toEntry(old as Item) : undefined;
  }

  async list(tenant: string, bucket: string, options: NamespaceListing) {
    // From the later of the prefix and the cursor (U+0000 is the smallest code point: "after" is that appended).
    const from = options.startAt ?? (options.startAfter === undefined ? undefined : `${options.startAfter}\0`);
    const low = from !== undefined && from > options.prefix ? from : options.prefix;
    // Up to the prefix's successor, no sentinel character (a key may hold any); with none, to the end.
    const high = successorOf(options.prefix);
    const entries: NamespaceEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: tableSchema.tenantIndex,
          KeyConditionExpression:
            high === undefined ? "#p = :p AND #s >= :low" : "#p = :p AND #s BETWEEN :low AND :high",
          ExpressionAttributeNames: { "#p": tableSchema.tenantIndexPartitionKey, "#s": tableSchema.tenantIndexSortKey },
          ExpressionAttributeValues: {
            ":p": partitionOf(tenant, bucket),
            ":low": low,
            ...(high !== undefined && { ":high": high }),
          },
          Limit: options.limit + 1 - entries.length,
          ExclusiveStartKey: startKey,
        }),
      );
      // BETWEEN is inclusive: the successor itself is past the prefix.
      for (const item of page.Items ?? []) {
        const entry = toEntry(item as Item);
        if (entry.key.startsWith(options.prefix)) entries.push(entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && entries.length <= options.limit);
    return { entries: entries.slice(0, options.limit), truncated: entries.length > options.limit };
  }
}
