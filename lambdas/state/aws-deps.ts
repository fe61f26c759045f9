import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { defaultPollSchedule, type EngineDeps, type PollSchedule } from "../core/batch-engine";
import type { BatchDeps } from "../core/batches";
import { configFromEnv } from "../core/config";
import type { FileDeps } from "../core/files";
import { type Limiter, limitsFromEnv } from "../core/limits";
import type { S3Deps } from "../core/s3-objects";
import { anthropicResultSink } from "../dialects/anthropic/results";
import type { BedrockJobDeps } from "../dialects/bedrock/jobs";
import { bedrockResultSink } from "../dialects/bedrock/results";
import { genAiResultSink } from "../dialects/genai/results";
import { openAiResultSink } from "../dialects/openai/results";
import {
  type Authenticator,
  keyAuthenticator,
  openAuthenticator,
  passThroughAuthenticator,
} from "../http/authenticator";
import { batchProviders, createProviders, providerWithKey } from "../providers/registry";
import { providerSettingsFromEnv } from "../providers/settings";
import { DynamoCredentialStore } from "./dynamo-credential-store";
import { DynamoLimiter } from "./dynamo-limiter";
import { DynamoRepository } from "./dynamo-repository";
import { DynamoS3Index } from "./dynamo-s3-index";
import { S3BlobStore } from "./s3-blob-store";
import { KmsSealer } from "./sealers";
import { StepFunctionsRunner } from "./sfn-runner";

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
};

/** State access in AWS, from the environment the stack sets (TABLE_NAME, BUCKET_NAME). */
export const fileDepsFromEnv = (env: NodeJS.ProcessEnv = process.env): FileDeps => ({
  repo: new DynamoRepository(new DynamoDBClient({}), required(env, "TABLE_NAME")),
  blobs: new S3BlobStore(new S3Client({}), required(env, "BUCKET_NAME")),
  config: configFromEnv(env),
});

/** The S3-compatible namespace's dependencies: state plus the key index in the same table. */
export const s3DepsFromEnv = (env: NodeJS.ProcessEnv = process.env): S3Deps => ({
  ...fileDepsFromEnv(env),
  s3: new DynamoS3Index(new DynamoDBClient({}), required(env, "TABLE_NAME")),
});

/** The Bedrock control plane's dependencies: batches, the S3 namespace, and the account ARNs carry (ACCOUNT_ID). */
export const bedrockDepsFromEnv = (env: NodeJS.ProcessEnv = process.env): BedrockJobDeps => ({
  ...batchDepsFromEnv(env),
  s3: new DynamoS3Index(new DynamoDBClient({}), required(env, "TABLE_NAME")),
  accountId: env.ACCOUNT_ID ?? "000000000000",
  region: env.AWS_REGION ?? "us-east-1",
});

/** Per-key limits in the table, from RATE_LIMIT_PER_MINUTE and MAX_CONCURRENT_BATCHES (the stack sets both). */
export const limiterFromEnv = (env: NodeJS.ProcessEnv = process.env): Limiter =>
  new DynamoLimiter(new DynamoDBClient({}), required(env, "TABLE_NAME"), limitsFromEnv(env));

/** A dialect Lambda's dependencies: state plus the Step Functions runner (STATE_MACHINE_ARN, TASK_FUNCTION_NAME). */
export const batchDepsFromEnv = (env: NodeJS.ProcessEnv = process.env): BatchDeps => ({
  ...fileDepsFromEnv(env),
  limiter: limiterFromEnv(env),
  sealer: passThroughSealer(env),
  providers: batchProviders,
  runner: new StepFunctionsRunner(
    new SFNClient({}),
    required(env, "STATE_MACHINE_ARN"),
    new LambdaClient({}),
    required(env, "TASK_FUNCTION_NAME"),
  ),
});

/**
 * Who may call: FINOPS_AUTH=keys (the stack's default) admits only gateway credentials, with AWS secrets unsealed
 * by the stack's KMS key (CREDENTIALS_KMS_KEY); FINOPS_AUTH=open keeps every key apart without checking it.
 */
export const authenticatorFromEnv = (env: NodeJS.ProcessEnv = process.env): Authenticator => {
  const passThrough = env.FINOPS_PASSTHROUGH === "on";
  if (env.FINOPS_AUTH === "open") return passThrough ? passThroughAuthenticator : openAuthenticator;
  const store = new DynamoCredentialStore(new DynamoDBClient({}), required(env, "TABLE_NAME"));
  return keyAuthenticator(
    store,
    new KmsSealer(new KMSClient({}), required(env, "CREDENTIALS_KMS_KEY")),
    Date.now,
    passThrough,
  );
};

/** In pass-through mode, callers' provider keys are sealed with the stack's KMS key before they are stored. */
const passThroughSealer = (env: NodeJS.ProcessEnv) =>
  env.FINOPS_PASSTHROUGH === "on" ? new KmsSealer(new KMSClient({}), required(env, "CREDENTIALS_KMS_KEY")) : undefined;

/** The poll backoff, from POLL_BASE_SECONDS, POLL_FACTOR and POLL_CAP_SECONDS. */
export const pollScheduleFromEnv = (env: NodeJS.ProcessEnv): PollSchedule => ({
  baseSeconds: Number(env.POLL_BASE_SECONDS ?? defaultPollSchedule.baseSeconds),
  factor: Number(env.POLL_FACTOR ?? defaultPollSchedule.factor),
  capSeconds: Number(env.POLL_CAP_SECONDS ?? defaultPollSchedule.capSeconds),
});

/** The batch task Lambda's dependencies, with provider keys read once from the stack's secret. */
export const engineDepsFromEnv = async (env: NodeJS.ProcessEnv = process.env): Promise<EngineDeps> => {
  const files = s3DepsFromEnv(env);
  const secret = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: required(env, "PROVIDER_KEYS_SECRET_ARN") }),
  );
  const settings = providerSettingsFromEnv(env, parseKeys(secret.SecretString));
  return {
    ...files,
    limiter: limiterFromEnv(env),
    providers: createProviders(settings, files.blobs),
    providerWithKey: providerWithKey(settings, files.blobs),
    sealer: passThroughSealer(env),
    sinks: {
      openai: openAiResultSink(files),
      anthropic: anthropicResultSink(files),
      bedrock: bedrockResultSink(files),
      genai: genAiResultSink(files),
    },
    poll: pollScheduleFromEnv(env),
  };
};

/** The secret's JSON object of keys; anything else (e.g. the random value the secret starts with) holds none. */
const parseKeys = (text: string | undefined): Record<string, string> => {
  try {
    const value = JSON.parse(text ?? "{}") as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
};
