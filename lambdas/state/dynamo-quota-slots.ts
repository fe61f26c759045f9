import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { QuotaClaim, QuotaSlots } from "../core/ports";

/**
 * Provider quotas held by running parts, one counter item per scope in the gateway's table, each change one
 * conditional write (no transactions): two batches can never take the same last slot.
 */
export class DynamoQuotaSlots implements QuotaSlots {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async acquire({ scope, amount, limit }: QuotaClaim): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `quota#${scope}` },
          UpdateExpression: "ADD #n :amount SET #k = :kind",
          // Room for the claim, or nothing held at all (a claim larger than the limit alone).
          ConditionExpression: "attribute_not_exists(#n) OR #n <= :room OR #n <= :zero",
          ExpressionAttributeNames: { "#n": "held", "#k": "kind" },
          ExpressionAttributeValues: { ":amount": amount, ":room": limit - amount, ":zero": 0, ":kind": "quota" },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(scope: string, amount: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `quota#${scope}` },
        UpdateExpression: "ADD #n :minus",
        ExpressionAttributeNames: { "#n": "held" },
        ExpressionAttributeValues: { ":minus": -amount },
      }),
    );
  }
}
