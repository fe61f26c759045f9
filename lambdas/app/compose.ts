import type { TagStore } from "../core/allocation";
import { type BatchEngine, createBatchEngine, type EngineDeps } from "../core/batch-engine";
import type { GatewayConfig } from "../core/config";
import type { SecretSealer } from "../core/credentials";
import type { Deployment, GatewayDeps } from "../core/deps";
import { ConfigurationError } from "../core/errors";
import { type JobPlaces, noJobPlaces } from "../core/job-places";
import type { Limiter } from "../core/limits";
import { type Dialect, providers } from "../core/model";
import type {
  BatchRunner,
  BlobStore,
  BudgetLedger,
  ConsoleFiles,
  EventBus,
  NamespaceIndex,
  ObjectRepository,
  ResultSinks,
} from "../core/ports";
import type { PriceBook } from "../core/pricing";
import { busBatchEvents } from "../dialects/batch-events";
import type { DialectModule, DialectRegistry, StagedRoutesOf } from "../dialects/dialect-module";
import { type FrontDoorId, type FrontDoorsOf, frontDoors } from "../dialects/front-doors";
import { type StagedRouteId, stagedRoutes } from "../dialects/staged-routes";
import { inputCodec } from "../formats/detect";
import { inProcessConverter } from "../formats/line-conversions";
import type { Authenticator } from "../http/authenticator";
import { createDialectHandler, type FrontDoor, type ProxyHandler, type RequestObserver } from "../http/dialect-handler";
import { type Admitter, createStagedAuthorizer, type StagedAuthorizer } from "../http/staged-authorizer";

/**
 * The composition root. The Lambda handlers (app/aws.ts), the local server (local/server.ts) and the tests build
 * the gateway from the same parts here, so what runs in AWS is what the tests drive; only the parts differ
 * (DynamoDB and S3 or their emulators or in-memory fakes, Step Functions or the local runner).
 */
export interface GatewayParts {
  repo: ObjectRepository;
  blobs: BlobStore;
  namespace: NamespaceIndex;
  config: GatewayConfig;
  runner: BatchRunner;
  limiter: Limiter;
  /** Seals callers' own provider keys (pass-through mode only). */
  sealer?: SecretSealer;
  /** The price list batches are estimated and settled with. */
  prices?: PriceBook;
  /** Monthly budgets per key. */
  budgets?: BudgetLedger;
  /** Cost allocation tags per key. */
  tags?: TagStore;
  /** Which of the account's own buckets each key's jobs may use. @default none, whatever `jobBuckets` says */
  jobPlaces?: JobPlaces;
  deployment: Deployment;
  /** The console's files, where this Lambda serves them (the FinOps door). */
  consoleFiles?: ConsoleFiles;
  now?: () => number;
}

/** What core's operations need, from the parts. */
export const gatewayDeps = (parts: GatewayParts): GatewayDeps => ({
  ...parts,
  jobPlaces: parts.jobPlaces ?? noJobPlaces,
  codec: inputCodec,
  providers,
});

const notHere = async (): Promise<never> => {
  throw new ConfigurationError("This Lambda does not start or cancel batches.");
};
/** For what never starts a batch (the task, the doors whose row says so): a runner that says so if it is asked. */
export const noRunner: BatchRunner = { start: notHere, cancel: notHere, running: notHere, resume: notHere };

const noFiles = async (): Promise<never> => {
  throw new ConfigurationError("This Lambda does not store or read files.");
};
/** For what never stores or reads a file (the doors whose row says so): a store that says so if it is asked. */
export const noBlobs: BlobStore = {
  put: noFiles,
  putStream: noFiles,
  exists: noFiles,
  stream: noFiles,
  read: noFiles,
  delete: noFiles,
  deletePrefix: noFiles,
  list: noFiles,
  metadata: noFiles,
  copyIn: noFiles,
  copyOut: noFiles,
  concat: noFiles,
  presignGet: noFiles,
};

/**
 * A front door's deps as its row in front-doors.ts grants them: no runner where it starts no batch, no store
 * where it keeps no file. Locally as in AWS, where its Lambda bundles no client for what it is not given.
 */
const doorDeps = (id: FrontDoorId, deps: GatewayDeps): GatewayDeps => ({
  ...deps,
  runner: frontDoors[id].startsBatches ? deps.runner : noRunner,
  blobs: frontDoors[id].storesFiles ? deps.blobs : noBlobs,
});

/** The Lambda handler (or local mount) of one front door of a dialect, at the mount its row declares. */
export const frontDoorHandler = <D extends Dialect>(
  dialect: DialectModule<D>,
  id: FrontDoorsOf<D>,
  deps: GatewayDeps,
  authenticator: Authenticator,
  observer?: RequestObserver,
): ProxyHandler =>
  createDialectHandler(
    dialect.frontDoors[id](doorDeps(id as FrontDoorId, deps)),
    frontDoors[id].mount,
    authenticator,
    deps.limiter,
    observer,
  );

/**
 * The handler of any front door, found through the registry (the local server mounts them all). The Lambda
 * entry points use {@link frontDoorHandler} with their own dialect instead, so each bundles only that dialect.
 */
export const registeredFrontDoorHandler = (
  registry: DialectRegistry,
  id: FrontDoorId,
  deps: GatewayDeps,
  authenticator: Authenticator,
): ProxyHandler => {
  const door = frontDoors[id];
  // A row's dialect owns the row's id (FrontDoorsOf), which TypeScript cannot follow through the lookup.
  const dialect = registry[door.dialect] as DialectModule<Dialect>;
  const build = (dialect.frontDoors as Record<FrontDoorId, (deps: GatewayDeps) => FrontDoor>)[id];
  return createDialectHandler(build(doorDeps(id, deps)), door.mount, authenticator, deps.limiter);
};

/** The Lambda authorizer of one staged route of a dialect (its front door renders the refusals). */
export const stagedAuthorizer = <D extends Dialect>(
  dialect: DialectModule<D>,
  id: StagedRoutesOf<D>,
  deps: GatewayDeps,
  authenticator: Authenticator,
): StagedAuthorizer => {
  const route = stagedRoutes[id as StagedRouteId];
  const build = (dialect.frontDoors as Record<FrontDoorId, (deps: GatewayDeps) => FrontDoor>)[route.frontDoor];
  const admit = (dialect.stagedRoutes as Record<StagedRouteId, (deps: GatewayDeps) => Admitter>)[id as StagedRouteId];
  return createStagedAuthorizer(route, build(deps), admit(deps), authenticator);
};

/** The authorizer of any staged route, found through the registry (the local server runs them all). */
export const registeredStagedAuthorizer = (
  registry: DialectRegistry,
  id: StagedRouteId,
  deps: GatewayDeps,
  authenticator: Authenticator,
): StagedAuthorizer => {
  const dialect = registry[frontDoors[stagedRoutes[id].frontDoor].dialect] as DialectModule<Dialect>;
  return stagedAuthorizer(dialect, id as StagedRoutesOf<Dialect>, deps, authenticator);
};

/** What the batch engine needs beyond the gateway's deps. */
export type EngineParts = Pick<
  EngineDeps,
  | "providers"
  | "providerWithKey"
  | "poll"
  | "prices"
  | "metrics"
  | "events"
  | "sleep"
  | "converter"
  | "quotas"
  | "taskBudgetSeconds"
> & {
  /** Where batch-ended events go (busBatchEvents builds them from each dialect's ids). @default none */
  bus?: EventBus;
};

/** The batch engine, with every registered dialect's result sink. */
export const composeEngine = (deps: GatewayDeps, dialects: DialectRegistry, parts: EngineParts): BatchEngine => {
  const sinks = Object.fromEntries(
    Object.values(dialects).map((dialect) => [dialect.dialect, dialect.resultSink(deps)]),
  ) as ResultSinks;
  const events = parts.events ?? (parts.bus && busBatchEvents(parts.bus, dialects, deps.deployment));
  return createBatchEngine({ converter: inProcessConverter, ...deps, ...parts, sinks, events });
};
