import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { configFromEnv } from "../core/config";
import type { GatewayDeps } from "../core/deps";
import { ConfigurationError } from "../core/errors";
import { limitsFromEnv } from "../core/limits";
import type { Dialect } from "../core/model";
import type { BatchRunner } from "../core/ports";
import type { DialectModule, StagedRoutesOf } from "../dialects/dialect-module";
import { type FrontDoorId, type FrontDoorsOf, frontDoors } from "../dialects/front-doors";
import {
  type Authenticator,
  keyAuthenticator,
  openAuthenticator,
  passThroughAuthenticator,
} from "../http/authenticator";
import type { ProxyHandler } from "../http/dialect-handler";
import type { StagedAuthorizer } from "../http/staged-authorizer";
import { type StreamingHandler, streamingHandler } from "../http/streaming";
import { logger } from "../logger";
import { requestMetric } from "../metrics";
import { DynamoCredentialStore } from "../state/dynamo-credential-store";
import { DynamoLimiter } from "../state/dynamo-limiter";
import { DynamoNamespaceIndex } from "../state/dynamo-namespace-index";
import { DynamoRepository } from "../state/dynamo-repository";
import { S3BlobStore } from "../state/s3-blob-store";
import { KmsSealer } from "../state/sealers";
import { frontDoorHandler, type GatewayParts, gatewayDeps, stagedAuthorizer } from "./compose";
import { observed, required } from "./lambda-runtime";

/** In pass-through mode, callers' provider keys are sealed with the stack's KMS key (CREDENTIALS_KMS_KEY). */
const passThroughSealer = (env: NodeJS.ProcessEnv) =>
  env.FINOPS_PASSTHROUGH === "on" ? new KmsSealer(new KMSClient({}), required(env, "CREDENTIALS_KMS_KEY")) : undefined;

/** For Lambdas that never start a batch (the task): a runner that says so if it is ever asked. */
const notHere = async (): Promise<never> => {
  throw new ConfigurationError("This Lambda does not start or cancel batches.");
};
export const noRunner: BatchRunner = { start: notHere, cancel: notHere, running: notHere, resume: notHere };

/**
 * The gateway's deps in AWS, from the environment the stack sets (TABLE_NAME, BUCKET_NAME, …). The runner is
 * passed in, so a Lambda that starts no batch does not bundle the Step Functions and Lambda clients.
 */
export const awsDeps = (
  env: NodeJS.ProcessEnv,
  runner: BatchRunner,
  spending: Pick<GatewayParts, "prices" | "budgets"> = {},
): GatewayDeps => {
  const dynamo = new DynamoDBClient({});
  const table = required(env, "TABLE_NAME");
  return gatewayDeps({
    repo: new DynamoRepository(dynamo, table),
    blobs: new S3BlobStore(new S3Client({}), required(env, "BUCKET_NAME")),
    namespace: new DynamoNamespaceIndex(dynamo, table),
    config: configFromEnv(env),
    runner,
    limiter: new DynamoLimiter(dynamo, table, limitsFromEnv(env)),
    sealer: passThroughSealer(env),
    ...spending,
    deployment: { accountId: env.ACCOUNT_ID ?? "000000000000", region: env.AWS_REGION ?? "us-east-1" },
  });
};

/**
 * Who may call: FINOPS_AUTH=keys (the stack's default) admits only gateway credentials, with AWS secrets unsealed
 * by the stack's KMS key (CREDENTIALS_KMS_KEY); FINOPS_AUTH=open keeps every key apart without checking it.
 */
export const authenticatorFromEnv = (env: NodeJS.ProcessEnv = process.env): Authenticator => {
  const passThrough = env.FINOPS_PASSTHROUGH === "on";
  if (env.FINOPS_AUTH === "open") return passThrough ? passThroughAuthenticator : openAuthenticator;
  const store = new DynamoCredentialStore(new DynamoDBClient({}), required(env, "TABLE_NAME"));
  const sealer = new KmsSealer(new KMSClient({}), required(env, "CREDENTIALS_KMS_KEY"));
  return keyAuthenticator(store, sealer, Date.now, passThrough);
};

/**
 * The Lambda entry point of one front door of a dialect (each handler file is this one call): a streaming handler
 * where the door's row says it streams its responses.
 */
export const lambdaFrontDoor = <D extends Dialect>(
  dialect: DialectModule<D>,
  id: FrontDoorsOf<D>,
  // Passed in by the doors that create batches, so the others bundle no Step Functions or Lambda client.
  parts: {
    runner?: (env: NodeJS.ProcessEnv) => BatchRunner;
    spending?: (env: NodeJS.ProcessEnv) => Pick<GatewayParts, "prices" | "budgets">;
  } = {},
): ProxyHandler | StreamingHandler => {
  const deps = awsDeps(process.env, parts.runner?.(process.env) ?? noRunner, parts.spending?.(process.env));
  const handler = observed(
    frontDoorHandler(dialect, id, deps, authenticatorFromEnv(), {
      // One invocation at a time in Lambda: the keys go on every line until the next invocation resets them.
      identified: (keys) => logger.appendKeys(keys),
      answered: (route, status, milliseconds) => requestMetric(id, route, status, milliseconds),
    }),
  );
  return frontDoors[id as FrontDoorId].streamsResponses ? streamingHandler(handler) : handler;
};

/** The Lambda entry point of a staged route's authorizer (each handler file is this one call). */
export const lambdaStagedAuthorizer = <D extends Dialect>(
  dialect: DialectModule<D>,
  id: StagedRoutesOf<D>,
): StagedAuthorizer =>
  observed(stagedAuthorizer(dialect, id, awsDeps(process.env, noRunner), authenticatorFromEnv())) as StagedAuthorizer;
