import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { credentialNames } from "../core/credentials";
import { modelAllowlistFromEnv, priceBook, priceOverridesFromEnv } from "../pricing/price-book";
import { DynamoCredentialStore } from "../state/dynamo-credential-store";
import { DynamoRepository } from "../state/dynamo-repository";
import { S3BlobStore } from "../state/s3-blob-store";
import type { FocusDeliveryDeps } from "./focus-delivery";
import { required } from "./lambda-runtime";

/** The daily FOCUS delivery's deps in AWS: the gateway's table, the reports bucket (REPORTS_BUCKET), the prices. */
export const awsFocusDeliveryDeps = (env: NodeJS.ProcessEnv): FocusDeliveryDeps => {
  const dynamo = new DynamoDBClient({});
  const table = required(env, "TABLE_NAME");
  return {
    batches: () => new DynamoRepository(dynamo, table).scanAll("batch"),
    accountNames: () => credentialNames(new DynamoCredentialStore(dynamo, table)),
    reports: new S3BlobStore(new S3Client({}), required(env, "REPORTS_BUCKET")),
    prices: priceBook(priceOverridesFromEnv(env), modelAllowlistFromEnv(env)),
    deployment: { accountId: required(env, "ACCOUNT_ID"), region: required(env, "AWS_REGION") },
  };
};
