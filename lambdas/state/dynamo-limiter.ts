import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { RateLimitError } from "../core/errors";
import type { Limiter, LimitSettings } from "../core/limits";

/**
 * Limits kept in the gateway's table with single-item conditional writes: a counter per tenant per minute (the
 * item expires by TTL), and a counter of the tenant's batches that have not ended.
 */
export class DynamoLimiter implements Limiter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly settings: LimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    // Same options as every other document client: `from` writes them onto the shared client's config, so a
    // client built without them would switch off `removeUndefinedValues` for the repository too.
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private async increment(pk: string, limit: number, ttl?: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: ttl ? "ADD #n :one SET #k = :kind, #t = :ttl" : "ADD #n :one SET #k = :kind",
          ConditionExpression: "attribute_not_exists(#n) OR #n < :limit",
          ExpressionAttributeNames: { "#n": "count", "#k": "kind", ...(ttl && { "#t": "ttl" }) },
          ExpressionAttributeValues: { ":one": 1, ":limit": limit, ":kind": "limit", ...(ttl && { ":ttl": ttl }) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async request(tenant: string): Promise<void> {
    const limit = this.settings.requestsPerMinute;
    if (limit <= 0) return;
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    if (!(await this.increment(`rate#${tenant}#${minute}`, limit, (minute + 2) * 60))) {
      throw new RateLimitError(
        `Rate limit reached: at most ${limit} requests per minute per key.`,
        Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000)),
      );
    }
  }

  async batchStarted(tenant: string): Promise<void> {
    const limit = this.settings.concurrentBatches;
    if (limit <= 0) return;
    if (!(await this.increment(`active#${tenant}`, limit))) {
      throw new RateLimitError(`Too many batches in progress: at most ${limit} per key until some end.`, 60);
    }
  }

  async batchEnded(tenant: string): Promise<void> {
    if (this.settings.concurrentBatches <= 0) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `active#${tenant}` },
          UpdateExpression: "ADD #n :minus",
          ConditionExpression: "#n > :zero",
          ExpressionAttributeNames: { "#n": "count" },
          ExpressionAttributeValues: { ":minus": -1, ":zero": 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
