import { Aws, type RemovalPolicy, Validations } from "aws-cdk-lib";
import type { RestApi } from "aws-cdk-lib/aws-apigateway";
import type { ICertificate } from "aws-cdk-lib/aws-certificatemanager";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import type { EventBus } from "aws-cdk-lib/aws-events";
import { type IGrantable, PolicyStatement, type Role } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct, type IConstruct } from "constructs";
import { parseJobBuckets } from "../lambdas/core/config";
import { stagingPrefix } from "../lambdas/core/layout";
import type { BatchSettingName } from "../lambdas/core/part-settings";
import { type FrontDoorId, type FrontDoorSpec, frontDoors } from "../lambdas/dialects/front-doors";
import { BatchEngine } from "./constructs/batch-engine";
import { BatchEvents } from "./constructs/batch-events";
import { BedrockBatchRole } from "./constructs/bedrock-batch-role";
import { FocusReports } from "./constructs/focus-reports";
import {
  type FrontDoorFunctions,
  GatewayApi,
  mapFrontDoors,
  mapStagedRoutes,
  streamingTimeout,
} from "./constructs/gateway-api";
import { GatewayFront } from "./constructs/gateway-front";
import { GatewayFunction } from "./constructs/gateway-function";
import { GatewayMonitoring } from "./constructs/gateway-monitoring";
import { grantJobBuckets } from "./constructs/job-buckets";
import { StagingStorage } from "./constructs/staging-storage";

/** Props of {@link FinOpsGateway}. */
export interface FinOpsGatewayProps {
  /**
   * Days uploaded files and staged objects are kept.
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * Removal policy of the bucket and table (RETAIN keeps data when the stack is deleted).
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /** API Gateway stage throttling, requests per second. @default 100 */
  readonly throttlingRateLimit?: number;
  /**
   * Admit only gateway credentials (`npm run keys -- create`) and verify SigV4. Turning it off lets any key in,
   * each key its own tenant — for a private network only.
   * @default true
   */
  readonly requireAuth?: boolean;
  /**
   * Pass-through: a key that is not a gateway key is taken as the caller's own provider key (sealed with the
   * gateway's KMS key, its batches run with it), and its hash is the tenant.
   * @default false
   */
  readonly passThrough?: boolean;
  /** Requests per minute per gateway credential (429 with retry-after beyond; 0 = none). @default 600 */
  readonly rateLimitPerMinute?: number;
  /** Batches in progress per gateway credential (0 = none). @default 20 */
  readonly maxConcurrentBatches?: number;
  /**
   * Batch sizes, row retries and provider quotas (docs/configuration.md), by name: each provider's per-job limits
   * (`BEDROCK_JOB_MAX_REQUESTS`, …), the quotas parts wait for (`BEDROCK_JOBS_PER_MODEL`, `OPENAI_ENQUEUED_TOKENS`,
   * …), `ROW_ATTEMPTS` and `MAX_BATCH_REQUESTS`.
   * @default the providers' documented limits and default quotas; failed rows not run again
   */
  readonly batchSettings?: Partial<Record<BatchSettingName, string>>;
  /**
   * Set API Gateway's account-level CloudWatch role in this region (one per stack, retained on delete). A fresh
   * account has none, and a stage with access logs cannot be created without it.
   * @default true
   */
  readonly setAccountCloudWatchRole?: boolean;
  /**
   * Let the batch task subscribe the account to a third-party (AWS Marketplace) model on its first use, as Bedrock
   * requires of the caller. Without it, an account admin enables each such model once in the Bedrock console.
   * @default true
   */
  readonly allowMarketplaceSubscriptions?: boolean;
  /**
   * The account's own S3 buckets, each `bucket` or `bucket/prefix/`, that Bedrock jobs created through the gateway
   * may read their input from and write their outputs to (as `s3://…` URIs in CreateModelInvocationJob). The
   * Bedrock front door may read and the batch task may write exactly these, nothing wider.
   * @default none
   */
  readonly jobBuckets?: readonly string[];
  /**
   * Model ids the gateway takes though the genai-prices catalogue does not list them for their provider (fine-tuned
   * models, models newer than the pinned dataset); every other id must be one the provider serves. @default none
   */
  readonly modelAllowlist?: readonly string[];
  /**
   * The owner's prices, over the genai-prices dataset: negotiated prices, or models the dataset lacks. Keys are
   * `provider:model` (or a bare model id); values in USD per million tokens, with the batch rate where known.
   * @default none
   */
  readonly priceOverrides?: Readonly<
    Record<string, { input_mtok: number; output_mtok: number; batch_input_mtok?: number; batch_output_mtok?: number }>
  >;
  /**
   * Where the gateway's alarms notify (5xx rate, failed batches, task errors, state machine failures, throttling,
   * the reconciler's findings, undeliverable webhooks). @default alarms show on the dashboard only
   */
  readonly alarmTopic?: ITopic;
  /**
   * Your own domain names for the gateway (CNAMEs or alias records to the distribution). @default the
   * distribution's `*.cloudfront.net` domain
   */
  readonly domainNames?: readonly string[];
  /** The ACM certificate (us-east-1) for `domainNames`. @default none: required with `domainNames` */
  readonly certificate?: ICertificate;
  /** Serve the gateway under a path of its domain (`/batch`). @default "" (at the root) */
  readonly basePath?: string;
}

/**
 * The FinOps batch gateway as one construct: API Gateway with a mount per SDK front door, one Lambda each,
 * DynamoDB + S3 staging, the batch state machine and its task, Bedrock's batch role, the provider keys secret and
 * the KMS key that seals gateway credentials. Add it to any stack; several can share one.
 */
export class FinOpsGateway extends Construct {
  /** The REST API every SDK calls. */
  public readonly api: RestApi;
  /**
   * The gateway's base URL, `{GW}`: its CloudFront front (without a trailing slash). SigV4 callers must use it: the
   * API's own stage URL drops their signatures (see {@link GatewayFront}).
   */
  public readonly url: string;
  /** The CloudFront distribution every SDK calls. */
  public readonly front: GatewayFront;
  /** The table of files, batches, credentials and limits. */
  public readonly table: Table;
  /** The staging bucket: uploads, staged inputs, results. */
  public readonly bucket: Bucket;
  /** One Standard execution per batch. */
  public readonly stateMachine: StateMachine;
  /** The Lambda running the state machine's tasks. */
  public readonly taskFunction: IFunction;
  /** The Lambda behind each front door. */
  public readonly functions: FrontDoorFunctions;
  /** The role Bedrock assumes for the gateway's batch jobs. */
  public readonly bedrockRole: Role;
  /** Seals gateway credentials' AWS secrets (and pass-through provider keys). */
  public readonly credentialsKey: Key;
  /** The provider API keys, as a JSON object (`{}` at first). */
  public readonly providerKeys: Secret;
  /** The gateway's event bus: one `FinOps Batch Ended` event (source `finops.gateway`) per batch end. */
  public readonly eventBus: EventBus;
  /** The dashboard and alarms (cdk-monitoring-constructs). */
  public readonly monitoring: GatewayMonitoring;
  /** The FOCUS files delivered each day, and the Glue table Athena reads them through. */
  public readonly focusReports: FocusReports;
  private readonly storage: StagingStorage;

  constructor(scope: Construct, id: string, props: FinOpsGatewayProps = {}) {
    super(scope, id);
    const storage = new StagingStorage(this, "Storage", {
      retentionDays: props.retentionDays,
      removalPolicy: props.dataRemovalPolicy,
    });
    this.storage = storage;
    this.table = storage.table;
    this.bucket = storage.bucket;
    this.bedrockRole = new BedrockBatchRole(this, "BedrockBatchRole", { bucket: storage.bucket }).role;
    this.providerKeys = new Secret(this, "ProviderKeys", {
      description:
        "FinOps provider API keys as JSON: " +
        '{"OPENAI_API_KEY": "...", "ANTHROPIC_API_KEY": "...", "GEMINI_API_KEY": "..."}',
      // Starts as an empty JSON object (no provider keys; Bedrock needs none), so anything that is not a JSON
      // object later is an owner's mistake the task reports, not a value it must guess about.
      secretObjectValue: {},
    });
    Validations.of(this.providerKeys).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "These are third-party provider API keys; they are rotated at the provider and put here by the owner, so " +
        "no rotation Lambda can rotate them.",
    });
    // Seals the AWS secrets of gateway credentials; the dialect Lambdas only ever decrypt.
    this.credentialsKey = new Key(this, "CredentialsKey", {
      description: "FinOps gateway: seals gateway credentials' AWS secrets",
      enableKeyRotation: true,
    });
    const environment = {
      TABLE_NAME: storage.table.tableName,
      BUCKET_NAME: storage.bucket.bucketName,
      FILE_TTL_DAYS: String(storage.retentionDays),
      FINOPS_AUTH: props.requireAuth === false ? "open" : "keys",
      CREDENTIALS_KMS_KEY: this.credentialsKey.keyArn,
      FINOPS_PASSTHROUGH: props.passThrough ? "on" : "off",
      RATE_LIMIT_PER_MINUTE: String(props.rateLimitPerMinute ?? 600),
      MAX_CONCURRENT_BATCHES: String(props.maxConcurrentBatches ?? 20),
      BEDROCK_JOB_BUCKETS: (props.jobBuckets ?? []).join(","),
      MODEL_ALLOWLIST: (props.modelAllowlist ?? []).join(","),
      ...props.batchSettings,
    };
    const jobPlaces = parseJobBuckets(environment.BEDROCK_JOB_BUCKETS);
    // A file beside the price dataset of each function that prices, not an environment variable (4 KB in all).
    const priceOverrides = props.priceOverrides && JSON.stringify(props.priceOverrides);
    const engine = new BatchEngine(this, "BatchEngine", {
      storage,
      providerKeys: this.providerKeys,
      bedrockRole: this.bedrockRole,
      environment,
      priceOverrides,
      allowMarketplaceSubscriptions: props.allowMarketplaceSubscriptions,
    });
    this.stateMachine = engine.stateMachine;
    this.focusReports = new FocusReports(this, "FocusReports", {
      table: storage.table,
      environment,
      priceOverrides,
      removalPolicy: storage.removalPolicy,
    });
    this.taskFunction = engine.taskFunction;
    const events = new BatchEvents(this, "Events", {
      storage,
      credentialsKey: this.credentialsKey,
      environment,
    });
    this.eventBus = events.bus;
    events.grantPublish(engine.taskFunction);
    if (props.passThrough) this.credentialsKey.grantDecrypt(engine.taskFunction);
    // Outputs of jobs whose output URI names one of the account's own buckets are copied there by the task.
    grantJobBuckets(engine.taskFunction, jobPlaces, "write");
    // One Lambda per front door of the registry (lambdas/dialects/front-doors.ts), granted what its row says; a
    // streaming door has a second, buffered one for HEAD.
    const doorFunction = (id: string, door: FrontDoorSpec, entry: string, streams: boolean) => {
      const fn = new GatewayFunction(this, id, {
        entry,
        environment,
        // A door that creates or estimates batches prices them against the budget.
        priceDataset: door.pricesBatches,
        priceOverrides,
        consoleFiles: door.servesConsole,
        ...(streams && { timeout: streamingTimeout }),
      }).function;
      storage.grantItemAccess(fn);
      this.credentialsKey.grantDecrypt(fn);
      if (props.passThrough) this.credentialsKey.grantEncrypt(fn);
      if (door.startsBatches) engine.grantStartBatches(fn);
      if (door.storesFiles) {
        storage.grantObjectAccess(fn, stagingPrefix.files);
        // Upload chunks and parts — every door that keeps files may be the first to read a file whose chunks API
        // Gateway stored, and joins them (listing also lets a missing part answer 404, not 403, and a cancel free
        // them all).
        storage.grantObjectAccess(fn, stagingPrefix.staged);
        storage.grantList(fn, stagingPrefix.uploads);
      }
      if (door.needsAccountId) fn.addEnvironment("ACCOUNT_ID", Aws.ACCOUNT_ID);
      // Creating a job reads (copies) its input from one of the account's own buckets.
      if (door.startsBatches && door.dialect === "bedrock") grantJobBuckets(fn, jobPlaces, "read");
      return fn;
    };
    this.functions = mapFrontDoors((doorId, door) =>
      doorFunction(`${upperFirst(doorId)}Dialect`, door, door.entry, door.streamsResponses),
    );
    const headFunctions = Object.fromEntries(
      (Object.entries(frontDoors) as [FrontDoorId, FrontDoorSpec][]).flatMap(([doorId, door]) =>
        door.headEntry ? [[doorId, doorFunction(`${upperFirst(doorId)}HeadDialect`, door, door.headEntry, false)]] : [],
      ),
    ) as Partial<Record<FrontDoorId, IFunction>>;
    // One authorizer per staged route (lambdas/dialects/staged-routes.ts): it reads the table and lists the chunks
    // that arrived, and may record the file a last chunk completes.
    const stagedAuthorizers = mapStagedRoutes((routeId, route) => {
      const fn = new GatewayFunction(this, `${upperFirst(routeId)}Authorizer`, {
        entry: route.authorizerEntry,
        environment,
      }).function;
      storage.grantObjectAccess(fn, stagingPrefix.staged);
      storage.grantList(fn, stagingPrefix.uploads);
      this.credentialsKey.grantDecrypt(fn);
      return fn;
    });
    this.api = new GatewayApi(this, "Api", {
      throttlingRateLimit: props.throttlingRateLimit,
      functions: this.functions,
      headFunctions,
      stagedAuthorizers,
      bucket: storage.bucket,
      setAccountCloudWatchRole: props.setAccountCloudWatchRole,
    }).api;
    this.front = new GatewayFront(this, "Front", {
      api: this.api,
      basePath: props.basePath,
      domainNames: props.domainNames,
      certificate: props.certificate,
    });
    this.url = this.front.url;
    this.monitoring = new GatewayMonitoring(this, "Monitoring", {
      api: this.api,
      functions: {
        ...Object.fromEntries(Object.entries(this.functions).map(([door, fn]) => [`${upperFirst(door)}Door`, fn])),
        ...Object.fromEntries(Object.entries(headFunctions).map(([door, fn]) => [`${upperFirst(door)}Head`, fn])),
        ...Object.fromEntries(
          Object.entries(stagedAuthorizers).map(([route, fn]) => [`${upperFirst(route)}Authorizer`, fn]),
        ),
      },
      taskFunction: engine.taskFunction,
      reconcilerFunction: engine.reconcilerFunction,
      webhookFunction: events.webhookFunction,
      focusDeliveryFunction: this.focusReports.deliveryFunction,
      stateMachine: engine.stateMachine,
      table: storage.table,
      webhookQueue: events.queue,
      webhookDeadLetterQueue: events.deadLetterQueue,
      alarmTopic: props.alarmTopic,
    });
  }

  /** The base URL one SDK is given (`{GW}/openai` for the OpenAI SDK, …). */
  urlOf(frontDoor: FrontDoorId): string {
    return `${this.url}/${frontDoors[frontDoor].mount}`;
  }

  /**
   * Lets a principal run `npm run keys` against this gateway: create, list, disable and delete gateway
   * credentials (the table's items, and sealing their AWS secrets with the gateway's key).
   */
  grantManageCredentials(grantee: IGrantable & IConstruct): void {
    this.storage.grantItemAccess(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["kms:Encrypt", "kms:Decrypt"], resources: [this.credentialsKey.keyArn] }),
    );
  }

  /** Lets a principal set the provider API keys (e.g. a pipeline that rotates them). */
  grantWriteProviderKeys(grantee: IGrantable): void {
    this.providerKeys.grantWrite(grantee);
  }
}

const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
