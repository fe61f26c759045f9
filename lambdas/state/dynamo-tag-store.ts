import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { TagStore, Tags } from "../core/allocation";

/** Each tenant's cost allocation tags in the gateway's table: one item, `tags#{tenant}`, holding them as a map. */
export class DynamoTagStore implements TagStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async of(tenant: string): Promise<Tags> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: `tags#${tenant}` } }));
    return (Item?.tags as Tags | undefined) ?? {};
  }

  async set(tenant: string, tags: Tags): Promise<void> {
    const Key = { pk: `tags#${tenant}` };
    if (Object.keys(tags).length === 0) {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key }));
      return;
    }
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...Key, kind: "tags", tags } }));
  }
}
