import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { CredentialRecord, CredentialStore } from "../core/credentials";
import { tableSchema } from "./table-schema";

const kind = "credential";
/** Three items per credential, one per way it is looked up; each holds the whole record. */
const keysOf = (r: Pick<CredentialRecord, "name" | "apiKeyHash" | "accessKeyId">) => [
  `cred-name#${r.name}`,
  `cred-key#${r.apiKeyHash}`,
  `cred-akid#${r.accessKeyId}`,
];

type Item = CredentialRecord & { pk: string; kind: string; gsi1pk?: string; gsi1sk?: string };
const strip = ({ pk: _pk, kind: _k, gsi1pk: _p, gsi1sk: _s, ...record }: Item): CredentialRecord => record;

/** Gateway credentials in the gateway's table (the name item is also indexed, so credentials can be listed). */
export class DynamoCredentialStore implements CredentialStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private async read(pk: string): Promise<CredentialRecord | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    return item?.kind === kind ? strip(item as Item) : undefined;
  }

  async put(record: CredentialRecord): Promise<void> {
    const [nameKey, ...lookups] = keysOf(record);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...record, pk: nameKey, kind, gsi1pk: "credentials", gsi1sk: record.name },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    for (const pk of lookups)
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...record, pk, kind } }));
  }

  byApiKeyHash = (hash: string) => this.read(`cred-key#${hash}`);
  byAccessKeyId = (accessKeyId: string) => this.read(`cred-akid#${accessKeyId}`);
  byName = (name: string) => this.read(`cred-name#${name}`);

  async list(): Promise<CredentialRecord[]> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: tableSchema.tenantIndex,
        KeyConditionExpression: "#p = :p",
        ExpressionAttributeNames: { "#p": tableSchema.tenantIndexPartitionKey },
        ExpressionAttributeValues: { ":p": "credentials" },
      }),
    );
    return Items.map((item) => strip(item as Item));
  }

  async setStatus(name: string, status: CredentialRecord["status"]): Promise<boolean> {
    const record = await this.byName(name);
    if (!record) return false;
    for (const pk of keysOf(record)) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: "SET #s = :s",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": status },
        }),
      );
    }
    return true;
  }

  async delete(name: string): Promise<boolean> {
    const record = await this.byName(name);
    if (!record) return false;
    for (const pk of keysOf(record).reverse())
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk } }));
    return true;
  }
}
