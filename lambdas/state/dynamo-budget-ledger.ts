import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { BudgetLedger } from "../core/ports";

/**
 * Budgets in the gateway's table: `budget#{tenant}` holds the monthly limit, `spend#{tenant}#{month}` the month's
 * `committed` total and one attribute per batch (`b_{id}`: its reservation, then its actual cost), so a reservation
 * and its settlement are each one conditional write on that one item.
 */
export class DynamoBudgetLedger implements BudgetLedger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
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

  async reserve(tenant: string, month: string, batchId: string, amount: number, limit: number) {
    if (amount > limit) return { reserved: false as const, committed: await this.committed(tenant, month) };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `spend#${tenant}#${month}` },
          UpdateExpression: "SET #b = :amount, #k = :kind ADD #c :amount",
          ConditionExpression: "(attribute_not_exists(#c) OR #c <= :room) AND attribute_not_exists(#b)",
          ExpressionAttributeNames: { "#b": `b_${batchId}`, "#c": "committed", "#k": "kind" },
          ExpressionAttributeValues: { ":amount": amount, ":room": limit - amount, ":kind": "spend" },
        }),
      );
      return { reserved: true as const };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: `spend#${tenant}#${month}` }, ConsistentRead: true }),
      );
      // Reserved already (a retried create): the reservation stands.
      if (Item?.[`b_${batchId}`] !== undefined) return { reserved: true as const };
      return { reserved: false as const, committed: (Item?.committed as number | undefined) ?? 0 };
    }
  }

  async settle(tenant: string, month: string, batchId: string, reserved: number, actual: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `spend#${tenant}#${month}` },
          UpdateExpression: "SET #b = :actual ADD #c :delta",
          ConditionExpression: "#b = :reserved",
          ExpressionAttributeNames: { "#b": `b_${batchId}`, "#c": "committed" },
          ExpressionAttributeValues: { ":actual": actual, ":delta": actual - reserved, ":reserved": reserved },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // settled already
    }
  }

  async committed(tenant: string, month: string): Promise<number> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `spend#${tenant}#${month}` }, ConsistentRead: true }),
    );
    return (Item?.committed as number | undefined) ?? 0;
  }
}
