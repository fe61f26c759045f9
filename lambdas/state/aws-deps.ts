import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { configFromEnv } from "../core/config";
import type { FileDeps } from "../core/files";
import { DynamoRepository } from "./dynamo-repository";
import { S3BlobStore } from "./s3-blob-store";

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
};

/** The handlers' dependencies in AWS, from the environment the stack sets (TABLE_NAME, BUCKET_NAME). */
export const depsFromEnv = (env: NodeJS.ProcessEnv = process.env): FileDeps => ({
  repo: new DynamoRepository(new DynamoDBClient({}), required(env, "TABLE_NAME")),
  blobs: new S3BlobStore(new S3Client({}), required(env, "BUCKET_NAME")),
  config: configFromEnv(env),
});
