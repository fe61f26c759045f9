import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { BudgetHold, BudgetLedger, ReserveOutcome } from "../core/ports";
import { tableSchema } from "./table-schema";

/**
 * Open holds one month item may carry: each is two attributes of about 70 bytes together, so 4,000 keep the item
 * near 280 KB, well inside DynamoDB's 400 KB. Settled batches leave the item, so this bounds the budgeted batches a
 * key has in progress at once, not the batches of a month.
 */
export const maxOpenHolds = 4000;

const spendKey = (tenant: string, month: string) => `spend#${tenant}#${month}`;
/** The sparse watch index's partition for month items holding reservations (the reconciler's sweep reads it). */
const holdsWatch = "budget-holds";

/**
 * Budgets in the gateway's table: `budget#{tenant}` holds the monthly limit; `spend#{tenant}#{month}` the month's
 * `committed` total and, for each batch whose reservation is still open, `b_{id}` (the amount) and `t_{id}` (when it
 * was made). A reservation is one conditional write that adds to the total and opens the hold; settling is one that
 * swaps the hold for the actual cost and removes it. The item carries only what is in progress, so a month of any
 * number of batches fits it; while it holds any, it is in the watch index, where the reconciler finds holds whose
 * batch was never written (a create that died between the reservation and the batch) and releases them.
 */
export class DynamoBudgetLedger implements BudgetLedger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly openHoldsCap = maxOpenHolds,
  ) {
    // The same options as every other document client (`from` writes them onto the shared client).
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async limitOf(tenant: string): Promise<number | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `budget#${tenant}` }, ConsistentRead: true }),
    );
    return Item?.monthlyLimit as number | undefined;
  }

  async setLimit(tenant: string, limit: number | undefined): Promise<void> {
    const Key = { pk: `budget#${tenant}` };
    if (limit === undefined) await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key }));
    else
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: { ...Key, kind: "budget", monthlyLimit: limit } }),
      );
  }

  async reserve(
    tenant: string,
    month: string,
    batchId: string,
    amount: number,
    limit: number,
    now = Date.now(),
  ): Promise<ReserveOutcome> {
    if (amount > limit) return { reserved: false, committed: await this.committed(tenant, month) };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: spendKey(tenant, month) },
          UpdateExpression: "SET #b = :amount, #t = :now, #k = :kind, #w = :watch, #s = :sort ADD #c :amount, #o :one",
          ConditionExpression:
            "(attribute_not_exists(#c) OR #c <= :room) AND (attribute_not_exists(#o) OR #o < :cap) AND attribute_not_exists(#b)",
          ExpressionAttributeNames: {
            "#b": `b_${batchId}`,
            "#t": `t_${batchId}`,
            "#c": "committed",
            "#o": "open",
            "#k": "kind",
            "#w": tableSchema.watchIndexPartitionKey,
            "#s": tableSchema.tenantIndexSortKey,
          },
          ExpressionAttributeValues: {
            ":amount": amount,
            ":now": now,
            ":room": limit - amount,
            ":cap": this.openHoldsCap,
            ":one": 1,
            ":kind": "spend",
            ":watch": holdsWatch,
            ":sort": `${month}#${tenant}`,
          },
        }),
      );
      return { reserved: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: spendKey(tenant, month) }, ConsistentRead: true }),
      );
      // Reserved already (a retried create): the reservation stands.
      if (Item?.[`b_${batchId}`] !== undefined) return { reserved: true };
      const open = (Item?.open as number | undefined) ?? 0;
      if (open >= this.openHoldsCap) return { reserved: false, open };
      return { reserved: false, committed: (Item?.committed as number | undefined) ?? 0 };
    }
  }

  async settle(tenant: string, month: string, batchId: string, reserved: number, actual: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: spendKey(tenant, month) },
          UpdateExpression: "REMOVE #b, #t ADD #c :delta, #o :less",
          ConditionExpression: "#b = :reserved",
          ExpressionAttributeNames: { "#b": `b_${batchId}`, "#t": `t_${batchId}`, "#c": "committed", "#o": "open" },
          ExpressionAttributeValues: { ":delta": actual - reserved, ":reserved": reserved, ":less": -1 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return; // settled already
    }
    // The last open hold gone: the month leaves the reconciler's sweep (a reservation racing in puts it back).
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: spendKey(tenant, month) },
          UpdateExpression: "REMOVE #w",
          ConditionExpression: "#o = :none",
          ExpressionAttributeNames: { "#w": tableSchema.watchIndexPartitionKey, "#o": "open" },
          ExpressionAttributeValues: { ":none": 0 },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async committed(tenant: string, month: string): Promise<number> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: spendKey(tenant, month) }, ConsistentRead: true }),
    );
    return (Item?.committed as number | undefined) ?? 0;
  }

  async *openHolds(): AsyncGenerator<BudgetHold> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: tableSchema.watchIndex,
          KeyConditionExpression: "#w = :w",
          ExpressionAttributeNames: { "#w": tableSchema.watchIndexPartitionKey },
          ExpressionAttributeValues: { ":w": holdsWatch },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const [, tenant, month] = String(item.pk).split("#");
        for (const [name, amount] of Object.entries(item)) {
          if (!name.startsWith("b_")) continue;
          const batchId = name.slice(2);
          const reservedAt = item[`t_${batchId}`];
          // A hold without its time predates open holds (a settled batch's cost, kept by the old shape): not open.
          if (typeof reservedAt === "number")
            yield { tenant: tenant!, month: month!, batchId, amount: amount as number, reservedAt };
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
