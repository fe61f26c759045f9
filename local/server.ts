import { existsSync, readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import "./awslambda";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  composeEngine,
  gatewayDeps,
  registeredFrontDoorHandler,
  registeredStagedAuthorizer,
} from "../lambdas/app/compose";
import { deliverFocus, type FocusMonthDelivered } from "../lambdas/app/focus-delivery";
import { runTask, type TaskEvent } from "../lambdas/app/task";
import type { BatchEngine, PollSchedule, Route } from "../lambdas/core/batch-engine";
import { microUsd, monthOf } from "../lambdas/core/budgets";
import { userMetadataBytes, userMetadataLimitBytes } from "../lambdas/core/chunk-encoding";
import { configFromEnv, type GatewayConfig } from "../lambdas/core/config";
import {
  type CredentialStore,
  createCredential,
  credentialNames,
  type NewCredential,
} from "../lambdas/core/credentials";
import { everyJobPlace, grantedJobPlaces, parseGrant } from "../lambdas/core/job-places";
import { chunkMetaName, stagedChunkKey } from "../lambdas/core/layout";
import { type LimitSettings, limitsFromEnv } from "../lambdas/core/limits";
import type { Provider } from "../lambdas/core/model";
import type { ProviderAdapters } from "../lambdas/core/ports";
import { type ReconcileReport, reconcile } from "../lambdas/core/reconcile";
import { setWebhook, type WebhookShape } from "../lambdas/core/webhooks";
import { frontDoorIds, frontDoors } from "../lambdas/dialects/front-doors";
import { dialects } from "../lambdas/dialects/registry";
import { type StagedRouteId, stagedRoutes } from "../lambdas/dialects/staged-routes";
import {
  type Authenticator,
  keyAuthenticator,
  openAuthenticator,
  passThroughAuthenticator,
} from "../lambdas/http/authenticator";
import { streamingHandler } from "../lambdas/http/streaming";
import { modelAllowlistFromEnv, priceBook, priceOverridesFromEnv } from "../lambdas/pricing/price-book";
import { createProviders, providerWithKey } from "../lambdas/providers/registry";
import { providerSettingsFromEnv } from "../lambdas/providers/settings";
import { DynamoBudgetLedger } from "../lambdas/state/dynamo-budget-ledger";
import { DynamoJobGrantStore } from "../lambdas/state/dynamo-job-grant-store";
import { DynamoLimiter } from "../lambdas/state/dynamo-limiter";
import { DynamoNamespaceIndex } from "../lambdas/state/dynamo-namespace-index";
import { DynamoQuotaSlots } from "../lambdas/state/dynamo-quota-slots";
import { DynamoRepository } from "../lambdas/state/dynamo-repository";
import { DynamoTagStore } from "../lambdas/state/dynamo-tag-store";
import { DynamoWebhookStore } from "../lambdas/state/dynamo-webhook-store";
import { FileConsoleFiles } from "../lambdas/state/file-console-files";
import { S3BlobStore } from "../lambdas/state/s3-blob-store";
import { localCredentialStore, localSealer } from "./credentials";
import { localNames, startEmulators } from "./emulators";
import { localFront } from "./front";
import { type Mount, type StagedMount, type StagedStore, serveThroughHandler } from "./http-adapter";
import { type DeliveryAttempt, deliverLocalWebhooks, LocalBus, type LocalWebhookOptions } from "./local-bus";
import { LocalRunner, type LocalRunnerOptions } from "./local-runner";
import { startAnthropicSimulator } from "./simulators/anthropic";
import { startBedrockSimulator } from "./simulators/bedrock";
import type { SimQuotas, Simulator, SimulatorOptions } from "./simulators/common";
import { startGeminiSimulator } from "./simulators/gemini";
import { startOpenAiSimulator } from "./simulators/openai";

/** Options of the local gateway; every one has an embedded default. */
/**
 * The simulated providers' per-job limits and quotas from `FINOPS_SIM_{PROVIDER}_JOB_MAX_REQUESTS`,
 * `…_JOB_MAX_BYTES` and `…_QUOTA` (jobs at once; Anthropic queued requests; OpenAI enqueued tokens).
 */
const simulatorQuotasFromEnv = (env: NodeJS.ProcessEnv): Partial<Record<Provider, SimQuotas>> => {
  const read = (name: string) => (env[name] === undefined ? undefined : Number(env[name]) || undefined);
  return Object.fromEntries(
    (["openai", "anthropic", "gemini", "bedrock"] as const).map((provider) => {
      const prefix = `FINOPS_SIM_${provider.toUpperCase()}_`;
      const quotas: SimQuotas = {
        jobRequests: read(`${prefix}JOB_MAX_REQUESTS`),
        jobBytes: read(`${prefix}JOB_MAX_BYTES`),
        concurrent: read(`${prefix}QUOTA`),
      };
      return [provider, Object.fromEntries(Object.entries(quotas).filter(([, value]) => value !== undefined))];
    }),
  );
};

export interface LocalGatewayOptions {
  /** @default 8080 (0 picks a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Where the emulated DynamoDB and S3 keep their state. @default ".finops-local" */
  dataDir?: string;
  /** Overrides of the handlers' config. @default from the environment */
  config?: Partial<GatewayConfig>;
  /** How the simulated upstreams behave. @default jobs take 1.5 s */
  simulators?: SimulatorOptions;
  /** Each simulated provider's per-job limits and quota. @default the real providers' per-job limits, no quota */
  simulatorQuotas?: Partial<Record<Provider, SimQuotas>>;
  /** Runs around each task of the batch engine (a bench measures them). @default none */
  observeTask?: (event: TaskEvent, run: () => Promise<Route>) => Promise<Route>;
  /** Settings as the environment gives them, over this process's (`ROW_ATTEMPTS`, `OPENAI_JOB_MAX_REQUESTS`, …). */
  env?: Record<string, string>;
  /** How fast the local state machine polls and retries. @default 200 ms polls */
  runner?: LocalRunnerOptions;
  /** Bedrock's minimum records per job, as the simulator enforces it. @default BEDROCK_MIN_RECORDS, else 100 */
  bedrockMinRecords?: number;
  /**
   * `open` accepts any key (each key is its own tenant); `keys` admits only gateway keys and verifies SigV4, as a
   * deployed stack does. @default process.env.FINOPS_AUTH or "open"
   */
  auth?: "open" | "keys";
  /** Per-key limits (0 = none). @default from RATE_LIMIT_PER_MINUTE and MAX_CONCURRENT_BATCHES, else none */
  limits?: Partial<LimitSettings>;
  /**
   * Pass-through: a key that is not a gateway key is the caller's own provider key, and its batches run with it.
   * @default process.env.FINOPS_PASSTHROUGH === "on"
   */
  passThrough?: boolean;
  /**
   * Serve under this base path (`/gw` → `{url}/gw/openai/…`), as the deployed front does with its `basePath`: the
   * CloudFront Function takes it off the path. @default process.env.FINOPS_BASE_PATH or "" (at the root)
   */
  basePath?: string;
  /** Wraps the provider adapters, for fault-injection tests. @default none */
  wrapProviders?: (providers: ProviderAdapters) => ProviderAdapters;
  /** How webhook deliveries retry. @default the stack's schedule in real time */
  webhooks?: LocalWebhookOptions;
}

/**
 * The owner's price overrides in local mode: `prices.json` in the data directory (the same JSON as the stack's
 * `priceOverrides` setting), else the PRICE_OVERRIDES environment variable.
 */
const localPriceOverrides = (dataDir: string): NodeJS.ProcessEnv => {
  const file = join(dataDir, "prices.json");
  return existsSync(file) ? { PRICE_OVERRIDES: readFileSync(file, "utf8") } : process.env;
};

/** A running local gateway. */
export interface LocalGateway {
  url: string;
  /** Whether callers must present gateway keys. */
  auth: "open" | "keys";
  /** Creates a gateway credential in this gateway's store (what `npm run keys -- create` does). */
  createCredential(name: string): Promise<NewCredential>;
  /** The gateway's credential store (to disable or delete credentials in tests). */
  credentials: CredentialStore;
  /** Points a credential's batch events at a URL; returns the signing secret (what `npm run keys -- webhook` does). */
  setWebhook(name: string, url: string | undefined, shape?: WebhookShape): Promise<string | undefined>;
  /** The local event bus: every event the gateway published, in order. */
  bus: LocalBus;
  /** Every webhook delivery attempt so far. */
  webhookAttempts: DeliveryAttempt[];
  /** The stack's ceiling for job places (BEDROCK_JOB_BUCKETS), buckets of the S3 emulator standing in. */
  jobBuckets: GatewayConfig["jobBuckets"];
  /** Grants a credential's jobs places in the account's buckets, `bucket/prefix/` each (`npm run keys -- buckets`). */
  setJobPlaces(name: string, places: string[]): Promise<void>;
  /** Sets a credential's monthly budget in US dollars (what `npm run keys -- budget` does). */
  setBudget(name: string, monthlyUsd: number | undefined): Promise<void>;
  /** What a credential has spent or reserved this month, in US dollars (what `npm run keys -- list` shows). */
  budgetUsed(name: string): Promise<number>;
  server: Server;
  /** What starting found: the batches a stopped gateway left running, resumed. */
  recovered: ReconcileReport;
  /** The simulated upstreams in use (absent for a provider with a real key), for fault injection in tests. */
  simulators: { openai?: Simulator; anthropic?: Simulator; gemini?: Simulator; bedrock: Simulator };
  runner: LocalRunner;
  /** The S3 emulator, where the buckets standing in for the account's own (BEDROCK_JOB_BUCKETS) live. */
  s3: S3Client;
  /** Monthly budgets per key, on the gateway's table. */
  budgets: DynamoBudgetLedger;
  /** Cost allocation tags per key, on the gateway's table. */
  tags: DynamoTagStore;
  /**
   * Runs the daily FOCUS delivery now (what the stack's schedule runs at 02:00 UTC, and this gateway each day it
   * runs): the previous and current month's files in the reports bucket, `localNames.reports` of the S3 emulator.
   */
  deliverFocus(now?: number): Promise<FocusMonthDelivered[]>;
  close(): Promise<void>;
}

/**
 * Starts the gateway on a local port: the same dialect handlers as in Lambda behind an adapter that builds
 * API Gateway events, with DynamoDB and S3 emulated in-process.
 */
export const startLocalGateway = async (options: LocalGatewayOptions = {}): Promise<LocalGateway> => {
  const dataDir = resolve(options.dataDir ?? ".finops-local");
  const emulators = await startEmulators(dataDir);
  // Simulated upstreams stand in for every provider without a key (Bedrock always: its jobs read the local S3).
  // They keep their jobs in the data directory, as a provider keeps them while a gateway restarts.
  const simulation = { stateDir: join(dataDir, "simulators"), ...options.simulators };
  const quotas = options.simulatorQuotas ?? simulatorQuotasFromEnv({ ...process.env, ...options.env });
  // The simulated Bedrock's minimum and the gateway's agree: the option, else BEDROCK_MIN_RECORDS, else Bedrock's 100.
  const bedrockMinRecords =
    options.bedrockMinRecords ?? (Number({ ...process.env, ...options.env }.BEDROCK_MIN_RECORDS) || 100);
  const openaiSim = process.env.OPENAI_API_KEY
    ? undefined
    : await startOpenAiSimulator({ ...simulation, quotas: quotas.openai });
  const anthropicSim = process.env.ANTHROPIC_API_KEY
    ? undefined
    : await startAnthropicSimulator({ ...simulation, quotas: quotas.anthropic });
  const geminiSim = process.env.GEMINI_API_KEY
    ? undefined
    : await startGeminiSimulator({ ...simulation, quotas: quotas.gemini });
  const bedrockSim = await startBedrockSimulator({
    ...simulation,
    quotas: quotas.bedrock,
    s3: emulators.s3,
    minRecords: bedrockMinRecords,
    region: localNames.region,
  });
  const settings = providerSettingsFromEnv({
    ...process.env,
    ...options.env,
    ...(openaiSim && { OPENAI_API_KEY: "sk-simulated", OPENAI_BASE_URL: openaiSim.url }),
    ...(anthropicSim && { ANTHROPIC_API_KEY: "sk-ant-simulated", ANTHROPIC_BASE_URL: anthropicSim.url }),
    ...(geminiSim && { GEMINI_API_KEY: "gemini-simulated", GEMINI_BASE_URL: geminiSim.url }),
    BUCKET_NAME: localNames.bucket,
    BEDROCK_ROLE_ARN: "arn:aws:iam::000000000000:role/finops-bedrock-batch",
    BEDROCK_MIN_RECORDS: String(bedrockMinRecords),
    AWS_REGION: localNames.region,
    AWS_ENDPOINT_URL_BEDROCK: bedrockSim.url,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrockSim.url,
  });
  const poll: PollSchedule = { minSeconds: 1, fraction: 0, capSeconds: 1 }; // the local runner overrides the wait anyway
  const credentials = localCredentialStore(emulators.dynamo);
  const sealer = await localSealer(dataDir);
  // The runner runs the engine's tasks, and the engine is built from deps that hold the runner.
  let engine: BatchEngine | undefined;
  const observe = options.observeTask ?? ((_event, run) => run());
  const runner = new LocalRunner((event) => observe(event, () => runTask(engine!, event)), options.runner);
  const mode = options.auth ?? (process.env.FINOPS_AUTH === "keys" ? "keys" : "open");
  const passThrough = options.passThrough ?? process.env.FINOPS_PASSTHROUGH === "on";
  const auth: Authenticator =
    mode === "keys"
      ? keyAuthenticator(credentials, sealer, Date.now, passThrough)
      : passThrough
        ? passThroughAuthenticator
        : openAuthenticator;
  // The account's own buckets jobs may use (BEDROCK_JOB_BUCKETS): locally, buckets of the S3 emulator stand in.
  const config = { ...configFromEnv({ ...process.env, ...options.env }), ...options.config };
  for (const { bucket } of [...config.jobBuckets, { bucket: localNames.reports }]) {
    await emulators.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
      if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
    });
  }
  const tags = new DynamoTagStore(emulators.dynamo, localNames.table);
  const budgets = new DynamoBudgetLedger(emulators.dynamo, localNames.table);
  const jobGrants = new DynamoJobGrantStore(emulators.dynamo, localNames.table);
  const repo = new DynamoRepository(emulators.dynamo, localNames.table);
  const prices = priceBook(priceOverridesFromEnv(localPriceOverrides(dataDir)), modelAllowlistFromEnv(process.env));
  const deps = gatewayDeps({
    repo,
    blobs: new S3BlobStore(emulators.s3, localNames.bucket),
    namespace: new DynamoNamespaceIndex(emulators.dynamo, localNames.table),
    config,
    runner,
    limiter: new DynamoLimiter(emulators.dynamo, localNames.table, {
      ...limitsFromEnv(process.env),
      ...options.limits,
    }),
    sealer,
    prices,
    budgets,
    tags,
    jobPlaces: mode === "keys" ? grantedJobPlaces(jobGrants, config.jobBuckets) : everyJobPlace(config.jobBuckets),
    deployment: { accountId: "000000000000", region: localNames.region },
    // The console's files where the stack's asset has them: the project's console/ and chart.js in node_modules.
    consoleFiles: new FileConsoleFiles(fileURLToPath(new URL("../", import.meta.url))),
  });
  const adapters = createProviders(settings, deps.blobs, { accessKeyId: "local", secretAccessKey: "local" });
  const bus = new LocalBus(join(dataDir, "events.jsonl"), { account: "000000000000", region: localNames.region });
  const webhooks = new DynamoWebhookStore(emulators.dynamo, localNames.table);
  // Local receivers listen on loopback (`npm run webhooks:listen`); the deployed sender never calls one.
  const delivery = deliverLocalWebhooks(bus, { webhooks, sealer, allowLoopback: true }, options.webhooks);
  engine = composeEngine(deps, dialects, {
    bus,
    providers: (options.wrapProviders ?? ((p) => p))(adapters),
    providerWithKey: async (provider, key) => providerWithKey(settings, deps.blobs)(provider, key),
    poll,
    quotas: new DynamoQuotaSlots(emulators.dynamo, localNames.table),
  });
  const basePath = (options.basePath ?? process.env.FINOPS_BASE_PATH ?? "")
    .replace(/\/+$/, "")
    .replace(/^(?=[^/])/, "/");
  // The deployed distribution's CloudFront Function, from the same file, serves under the same base path.
  const front = localFront(basePath);
  // Every front door of the registry, most specific mount first, as API Gateway matches them.
  const mounts: Mount[] = frontDoorIds.map((id) => {
    const handler = registeredFrontDoorHandler(dialects, id, deps, auth);
    const streaming = frontDoors[id].streamsResponses ? streamingHandler(handler) : undefined;
    return { prefix: `/${frontDoors[id].mount}`, handler, streaming };
  });
  // Every staged route, run as the stack deploys it: its authorizer, then the body stored in the bucket.
  const staged: StagedMount[] = (Object.keys(stagedRoutes) as StagedRouteId[]).map((id) => {
    const route = stagedRoutes[id];
    return {
      method: route.method,
      resource: `/${frontDoors[route.frontDoor].mount}/${route.path}`,
      authorizer: registeredStagedAuthorizer(dialects, id, deps, auth),
      responseHeaders: route.responseHeaders,
      storeHeaders: route.storeHeaders,
    };
  });
  // S3 replaces an object whole: of two bodies sent to one key at once (a part sent twice), one wins. The emulator
  // writes an object's bytes and its metadata apart, so two writers would mix them; here they take turns.
  const writing = new Map<string, Promise<unknown>>();
  const oneWriterPerKey = <T>(key: string, write: () => Promise<T>): Promise<T> => {
    const turn = (writing.get(key) ?? Promise.resolve()).catch(() => undefined).then(write);
    writing.set(key, turn);
    return turn.finally(() => {
      if (writing.get(key) === turn) writing.delete(key);
    });
  };
  // Where the S3 integration puts a staged body: the authorizer's key, its `meta` as the object's metadata.
  const store: StagedStore = async (session, chunk, body, meta) => {
    const metadata = { [chunkMetaName]: meta };
    if (userMetadataBytes(metadata) > userMetadataLimitBytes) {
      throw new Error(`MetadataTooLarge: ${userMetadataBytes(metadata)} bytes of user metadata; S3 takes 2 KB.`);
    }
    const key = stagedChunkKey(session, chunk);
    const { ETag } = await oneWriterPerKey(key, () =>
      emulators.s3.send(new PutObjectCommand({ Bucket: localNames.bucket, Key: key, Body: body, Metadata: metadata })),
    );
    const answered: Record<string, string> = {};
    if (ETag !== undefined) answered.ETag = ETag;
    return answered;
  };
  const server = createServer((request, response) => {
    if (request.url === "/health") {
      response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    const served = serveThroughHandler(request, response, mounts, front, { routes: staged, store })
      .catch((error: unknown) => {
        console.error("local adapter failure", error);
        if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
        response.end('{"message":"Internal server error"}');
      })
      .finally(() => inFlight.delete(served));
    inFlight.add(served);
  });
  /** Requests still being handled: `close` lets them finish before the stores under them close. */
  const inFlight = new Set<Promise<void>>();
  // Idle keep-alive connections stay open well past a busy moment of this one process (emulators, simulators and
  // the gateway share its event loop), so a client never reuses a socket the server is closing.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject).listen(options.port ?? 8080, options.host ?? "127.0.0.1", resolveListen);
  });
  const { address, port } = server.address() as AddressInfo;
  // Lets `npm run keys` reach this gateway's emulated table while it runs (LevelDB allows one process).
  const endpointsFile = join(dataDir, "endpoints.json");
  // (and lets it say when what it sets applies only with FINOPS_AUTH=keys).
  await writeFile(
    endpointsFile,
    JSON.stringify({ dynamodb: emulators.dynamoEndpoint, s3: emulators.s3Endpoint, auth: mode }),
  );
  // Every batch a stopped gateway left unfinished runs on (nothing runs yet, so each is resumed at once); one that
  // ended without its end published is published now.
  const recovered = await reconcile(
    { repo: deps.repo, runner, engine: engine!, budgets: deps.budgets },
    { graceMs: 0, maxResumes: Number.POSITIVE_INFINITY },
  );
  const focusDelivery = (now?: number) =>
    deliverFocus({
      batches: () => repo.scanAll("batch"),
      accountNames: () => credentialNames(credentials),
      reports: new S3BlobStore(emulators.s3, localNames.reports),
      prices,
      deployment: deps.deployment,
      now: now === undefined ? undefined : () => now,
    });
  // The stack's daily schedule, while this gateway runs.
  const daily = setInterval(() => {
    focusDelivery().catch((error: unknown) => console.error("The daily FOCUS delivery failed:", error));
  }, 86_400_000).unref();
  return {
    url: `http://${address}:${port}${basePath}`,
    auth: mode,
    createCredential: (name) => createCredential(credentials, sealer, name),
    async setWebhook(name, url, shape) {
      const record = await credentials.byName(name);
      if (!record) throw new Error(`No credential named ${name}.`);
      return setWebhook(webhooks, sealer, record.tenant, url, shape);
    },
    bus,
    webhookAttempts: delivery.attempts,
    jobBuckets: config.jobBuckets,
    async setJobPlaces(name, places) {
      const record = await credentials.byName(name);
      if (!record) throw new Error(`No credential named ${name}.`);
      await jobGrants.set(record.tenant, places.map(parseGrant));
    },
    async setBudget(name, monthlyUsd) {
      const record = await credentials.byName(name);
      if (!record) throw new Error(`No credential named ${name}.`);
      await deps.budgets?.setLimit(record.tenant, monthlyUsd === undefined ? undefined : microUsd(monthlyUsd));
    },
    async budgetUsed(name) {
      const record = await credentials.byName(name);
      if (!record || !deps.budgets) return 0;
      return (await deps.budgets.committed(record.tenant, monthOf(Date.now()))) / 1e6;
    },
    credentials,
    recovered,
    server,
    simulators: { openai: openaiSim, anthropic: anthropicSim, gemini: geminiSim, bedrock: bedrockSim },
    runner,
    s3: emulators.s3,
    budgets,
    tags,
    deliverFocus: focusDelivery,
    async close() {
      clearInterval(daily);
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await Promise.allSettled(inFlight);
      await runner.drain(true);
      await delivery.stop();
      await rm(endpointsFile, { force: true });
      await Promise.all([openaiSim?.close(), anthropicSim?.close(), geminiSim?.close(), bedrockSim.close()]);
      await emulators.close();
    },
  };
};
