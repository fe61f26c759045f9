import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { configFromEnv } from "../core/config";
import type { GatewayDeps } from "../core/deps";
import { everyJobPlace, grantedJobPlaces, type JobPlaces } from "../core/job-places";
import { limitsFromEnv } from "../core/limits";
import type { Dialect } from "../core/model";
import type { BatchRunner, BlobStore, ConsoleFiles } from "../core/ports";
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
import { DynamoJobGrantStore } from "../state/dynamo-job-grant-store";
import { DynamoLimiter } from "../state/dynamo-limiter";
import { DynamoNamespaceIndex } from "../state/dynamo-namespace-index";
import { DynamoRepository } from "../state/dynamo-repository";
import { KmsSealer } from "../state/sealers";
import { frontDoorHandler, type GatewayParts, gatewayDeps, noBlobs, noRunner, stagedAuthorizer } from "./compose";
import { observed, required } from "./lambda-runtime";

/** In pass-through mode, callers' provider keys are sealed with the stack's KMS key (CREDENTIALS_KMS_KEY). */
const passThroughSealer = (env: NodeJS.ProcessEnv) =>
  env.FINOPS_PASSTHROUGH === "on" ? new KmsSealer(new KMSClient({}), required(env, "CREDENTIALS_KMS_KEY")) : undefined;

/** What a handler passes in beyond the defaults, so a Lambda bundles only the clients it calls. */
export interface AwsParts {
  /** The Step Functions runner: the doors that create and cancel batches. @default noRunner */
  runner?: (env: NodeJS.ProcessEnv) => BatchRunner;
  /** Prices and budgets: the Lambdas that create or settle batches. @default none */
  spending?: (env: NodeJS.ProcessEnv) => Pick<GatewayParts, "prices" | "budgets" | "tags">;
  /** The staging bucket: every Lambda that stores or reads a file. @default noBlobs */
  blobs?: (env: NodeJS.ProcessEnv) => BlobStore;
  /** The console's files (the FinOps door, whose asset holds them). @default none */
  consoleFiles?: (env: NodeJS.ProcessEnv) => ConsoleFiles;
}

/**
 * The gateway's deps in AWS, from the environment the stack sets (TABLE_NAME, …) and the parts the handler passed
 * in.
 */
export const awsDeps = (env: NodeJS.ProcessEnv, parts: AwsParts = {}): GatewayDeps => {
  const dynamo = new DynamoDBClient({});
  const table = required(env, "TABLE_NAME");
  return gatewayDeps({
    repo: new DynamoRepository(dynamo, table),
    blobs: parts.blobs?.(env) ?? noBlobs,
    namespace: new DynamoNamespaceIndex(dynamo, table),
    config: configFromEnv(env),
    runner: parts.runner?.(env) ?? noRunner,
    limiter: new DynamoLimiter(dynamo, table, limitsFromEnv(env)),
    sealer: passThroughSealer(env),
    ...parts.spending?.(env),
    jobPlaces: jobPlacesFromEnv(env, dynamo, table),
    deployment: { accountId: env.ACCOUNT_ID ?? "000000000000", region: env.AWS_REGION ?? "us-east-1" },
    consoleFiles: parts.consoleFiles?.(env),
  });
};

/**
 * The account's buckets each key's jobs may use: its grants under the stack's `jobBuckets` with credentials; the
 * whole ceiling in open mode, where nothing tells callers apart but the key they send.
 */
const jobPlacesFromEnv = (env: NodeJS.ProcessEnv, dynamo: DynamoDBClient, table: string): JobPlaces => {
  const ceiling = configFromEnv(env).jobBuckets;
  return env.FINOPS_AUTH === "open"
    ? everyJobPlace(ceiling)
    : grantedJobPlaces(new DynamoJobGrantStore(dynamo, table), ceiling);
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
  parts: AwsParts = {},
  /** Answer buffered even where the door streams (its `headEntry`). */
  options: { buffered?: boolean } = {},
): ProxyHandler | StreamingHandler => {
  const deps = awsDeps(process.env, parts);
  const handler = observed(
    frontDoorHandler(dialect, id, deps, authenticatorFromEnv(), {
      // One invocation at a time in Lambda: the keys go on every line until the next invocation resets them.
      identified: (keys) => logger.appendKeys(keys),
      answered: (route, status, milliseconds) => requestMetric(id, route, status, milliseconds),
    }),
  );
  return frontDoors[id as FrontDoorId].streamsResponses && !options.buffered ? streamingHandler(handler) : handler;
};

/** The Lambda entry point of a staged route's authorizer (each handler file is this one call). */
export const lambdaStagedAuthorizer = <D extends Dialect>(
  dialect: DialectModule<D>,
  id: StagedRoutesOf<D>,
  parts: Required<Pick<AwsParts, "blobs">>,
): StagedAuthorizer =>
  observed(stagedAuthorizer(dialect, id, awsDeps(process.env, parts), authenticatorFromEnv())) as StagedAuthorizer;
