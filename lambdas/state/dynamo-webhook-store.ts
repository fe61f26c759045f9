import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Webhook, WebhookStore } from "../core/webhooks";

const kind = "webhook";
const keyOf = (tenant: string) => `webhook#${tenant}`;

/** Each tenant's webhook, one item in the gateway's table. */
export class DynamoWebhookStore implements WebhookStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(tenant: string): Promise<Webhook | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keyOf(tenant) } }),
    );
    if (item?.kind !== kind) return undefined;
    return {
      tenant: item.tenant,
      url: item.url,
      sealedSecret: item.sealedSecret,
      ...(item.shape && { shape: item.shape }),
    };
  }

  async put(webhook: Webhook): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...webhook, pk: keyOf(webhook.tenant), kind } }),
    );
  }

  async remove(tenant: string): Promise<boolean> {
    const { Attributes: old } = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: keyOf(tenant) }, ReturnValues: "ALL_OLD" }),
    );
    return old !== undefined;
  }
}
