import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { ObjectPlace } from "../core/config";
import type { JobGrantStore } from "../core/job-places";

const kind = "job-places";
const keyOf = (tenant: string) => `jobplaces#${tenant}`;

/** Each credential's job places (`npm run keys -- buckets`), one item per tenant in the gateway's table. */
export class DynamoJobGrantStore implements JobGrantStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async get(tenant: string): Promise<readonly ObjectPlace[]> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keyOf(tenant) }, ConsistentRead: true }),
    );
    if (item?.kind !== kind) return [];
    return (item.places as { bucket: string; prefix: string }[]).map(({ bucket, prefix }) => ({ bucket, prefix }));
  }

  async set(tenant: string, places: readonly ObjectPlace[]): Promise<void> {
    if (places.length === 0) {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: keyOf(tenant) } }));
      return;
    }
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: keyOf(tenant), kind, tenant, places: places.map(({ bucket, prefix }) => ({ bucket, prefix })) },
      }),
    );
  }
}
