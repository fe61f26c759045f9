import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AnyRecord, BatchRecord, ListQuery, ObjectKind, Page } from "../core/model";
import type { ObjectRepository, UpdateGuard } from "../core/ports";
import { tableSchema } from "./table-schema";

type Item = AnyRecord & { pk: string; gsi1pk: string; gsi1sk: string; ttl?: number };

const indexPartition = (tenant: string, kind: ObjectKind): string => `${tenant}#${kind}`;
/** Creation time first so the index sorts by age; the id breaks ties and makes the key unique. */
const indexSort = (record: AnyRecord): string => `${String(record.createdAt).padStart(15, "0")}#${record.id}`;

const toRecord = (item: Item): AnyRecord => {
  const { pk: _pk, gsi1pk: _p, gsi1sk: _s, ttl: _t, ...record } = item;
  return record as AnyRecord;
};

/** The object repository on DynamoDB: one item per object, a GSI per tenant and kind, newest first. */
export class DynamoRepository implements ObjectRepository {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(record: AnyRecord): Promise<boolean> {
    const item: Item = {
      ...record,
      pk: record.id,
      gsi1pk: indexPartition(record.tenant, record.kind),
      gsi1sk: indexSort(record),
      ttl: record.expiresAt === undefined ? undefined : Math.ceil(record.expiresAt / 1000),
    };
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get<K extends ObjectKind>(kind: K, tenant: string, id: string) {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: id }, ConsistentRead: true }),
    );
    if (!item || item.kind !== kind || item.tenant !== tenant || this.isExpired(item as Item)) return undefined;
    return toRecord(item as Item) as Extract<AnyRecord, { kind: K }>;
  }

  /** Every live record of a kind across all tenants (the owner's reports; never on a request path). */
  async *scanAll<K extends ObjectKind>(kind: K): AsyncGenerator<Extract<AnyRecord, { kind: K }>> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "#k = :k AND (attribute_not_exists(#e) OR #e > :now)",
          ExpressionAttributeNames: { "#k": "kind", "#e": "expiresAt" },
          ExpressionAttributeValues: { ":k": kind, ":now": this.now() },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield toRecord(item as Item) as Extract<AnyRecord, { kind: K }>;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async *watched(): AsyncGenerator<BatchRecord> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: tableSchema.watchIndex,
          KeyConditionExpression: "#w = :w",
          ExpressionAttributeNames: { "#w": tableSchema.watchIndexPartitionKey },
          ExpressionAttributeValues: { ":w": "batch" },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield toRecord(item as Item) as BatchRecord;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async getById<K extends ObjectKind>(kind: K, id: string) {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: id }, ConsistentRead: true }),
    );
    if (!item || item.kind !== kind || this.isExpired(item as Item)) return undefined;
    return toRecord(item as Item) as Extract<AnyRecord, { kind: K }>;
  }

  async list<K extends ObjectKind>(
    kind: K,
    tenant: string,
    query: ListQuery,
  ): Promise<Page<Extract<AnyRecord, { kind: K }>>> {
    const cursor = query.after === undefined ? undefined : await this.get(kind, tenant, query.after);
    const names: Record<string, string> = { "#p": tableSchema.tenantIndexPartitionKey, "#e": "expiresAt" };
    const values: Record<string, unknown> = { ":p": indexPartition(tenant, kind), ":now": this.now() };
    let keyCondition = "#p = :p";
    if (cursor) {
      keyCondition += query.order === "desc" ? " AND #s < :c" : " AND #s > :c";
      names["#s"] = tableSchema.tenantIndexSortKey;
      values[":c"] = indexSort(cursor);
    }
    const filters = ["(attribute_not_exists(#e) OR #e > :now)"];
    for (const [field, value] of Object.entries(query.where ?? {})) {
      if (value === undefined) continue;
      names[`#w_${field}`] = field;
      values[`:w_${field}`] = value;
      filters.push(`#w_${field} = :w_${field}`);
    }
    const items: AnyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    // A filter applies after DynamoDB's Limit, so keep reading until one more item than asked for is found.
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: tableSchema.tenantIndex,
          KeyConditionExpression: keyCondition,
          FilterExpression: filters.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: query.order === "asc",
          Limit: Math.min(1000, query.limit + 1),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(toRecord(item as Item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length <= query.limit);
    return {
      items: items.slice(0, query.limit) as Extract<AnyRecord, { kind: K }>[],
      hasMore: items.length > query.limit,
    };
  }

  async update<K extends ObjectKind>(
    kind: K,
    id: string,
    changes: Partial<Extract<AnyRecord, { kind: K }>>,
    guard: UpdateGuard = {},
  ) {
    const names: Record<string, string> = { "#kind": "kind" };
    const values: Record<string, unknown> = { ":kind": kind };
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries(changes).forEach(([field, value], index) => {
      names[`#f${index}`] = field;
      if (value === undefined) removes.push(`#f${index}`);
      else {
        values[`:v${index}`] = value;
        sets.push(`#f${index} = :v${index}`);
      }
    });
    let condition = "#kind = :kind";
    if (guard.statusIn) {
      names["#status"] = "status";
      const keys = guard.statusIn.map((status, index) => {
        values[`:s${index}`] = status;
        return `:s${index}`;
      });
      condition += ` AND #status IN (${keys.join(", ")})`;
    }
    for (const [index, field] of (guard.absent ?? []).entries()) {
      names[`#a${index}`] = field;
      condition += ` AND attribute_not_exists(#a${index})`;
    }
    const expression = [
      sets.length > 0 && `SET ${sets.join(", ")}`,
      removes.length > 0 && `REMOVE ${removes.join(", ")}`,
    ]
      .filter(Boolean)
      .join(" ");
    try {
      const { Attributes: item } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: id },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return item ? (toRecord(item as Item) as Extract<AnyRecord, { kind: K }>) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async delete<K extends ObjectKind>(kind: K, tenant: string, id: string) {
    try {
      const { Attributes: old } = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: id },
          ConditionExpression: "#k = :k AND #t = :t",
          ExpressionAttributeNames: { "#k": "kind", "#t": "tenant" },
          ExpressionAttributeValues: { ":k": kind, ":t": tenant },
          ReturnValues: "ALL_OLD",
        }),
      );
      if (!old || this.isExpired(old as Item)) return undefined;
      return toRecord(old as Item) as Extract<AnyRecord, { kind: K }>;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private isExpired(item: Pick<Item, "expiresAt">): boolean {
    return item.expiresAt !== undefined && item.expiresAt <= this.now();
  }
}
