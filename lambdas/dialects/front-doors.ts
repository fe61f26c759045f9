import type { Dialect } from "../core/model";

/**
 * How one front door of a dialect is deployed: the API path it is mounted at, the Lambda entry point that serves
 * it (`lambdas/handlers/{entry}.ts`), and what that Lambda may do. Pure data: the CDK app, the local server and
 * the dialect registry all read this table, so a front door is declared exactly once.
 */
export interface FrontDoorSpec {
  /** The dialect whose routes and envelopes this front door serves. */
  readonly dialect: Dialect;
  /** Path under the stage, without slashes at either end (`bedrock/files` nests under `bedrock`). */
  readonly mount: string;
  /** File name (without `.ts`) of the Lambda entry point in `lambdas/handlers/`. */
  readonly entry: string;
  /** Whether it creates and cancels batches (Step Functions start, the task Lambda's cancel). */
  readonly startsBatches: boolean;
  /** Whether it stores or reads files (the staging bucket): a door without gets no bucket, its Lambda no S3 client. */
  readonly storesFiles: boolean;
  /** Whether it prices batches (estimates them against the budget): the price dataset ships with its Lambda. */
  readonly pricesBatches: boolean;
  /** Whether it writes the account id into what it answers (Bedrock job ARNs). */
  readonly needsAccountId: boolean;
  /**
   * Whether its Lambda streams responses (an API Gateway `STREAM` integration): objects of any size are read
   * through it. The others answer large downloads with a redirect to a presigned S3 URL, which their SDKs follow.
   */
  readonly streamsResponses: boolean;
  /** Whether it serves the console (`/finops/console`): the console's files ship in its Lambda's asset. */
  readonly servesConsole?: boolean;
  /**
   * A streaming door's entry point for HEAD: the same door with buffered (proxy) responses, whose `Content-Length`
   * API Gateway passes as documented; a streamed HEAD's is not documented to survive (boto3 `download_file` plans
   * its ranges from it).
   */
  readonly headEntry?: string;
  /** Its SDK reads errors as S3's XML (`<Error><Code>`), not JSON: what the front answers there too. @default JSON */
  readonly xmlErrors?: boolean;
  /** Who calls it, as a path outside every mount names it. */
  readonly callers: string;
}

/** Every front door of the gateway, one row each. */
export const frontDoors = {
  openai: {
    dialect: "openai",
    mount: "openai",
    entry: "openai",
    startsBatches: true,
    pricesBatches: true,
    storesFiles: true,
    needsAccountId: false,
    streamsResponses: false,
    callers: "the OpenAI SDK (base URL {GW}/openai or {GW}/openai/v1)",
  },
  anthropic: {
    dialect: "anthropic",
    mount: "anthropic",
    entry: "anthropic",
    startsBatches: true,
    pricesBatches: true,
    storesFiles: true,
    needsAccountId: false,
    streamsResponses: false,
    callers: "the Anthropic SDK (base URL {GW}/anthropic)",
  },
  genai: {
    dialect: "genai",
    mount: "genai",
    entry: "genai",
    startsBatches: true,
    pricesBatches: true,
    storesFiles: true,
    needsAccountId: false,
    streamsResponses: false,
    callers: "the Google GenAI SDK (base URL {GW}/genai)",
  },
  bedrock: {
    dialect: "bedrock",
    mount: "bedrock",
    entry: "bedrock",
    startsBatches: true,
    pricesBatches: true,
    storesFiles: true,
    needsAccountId: true,
    streamsResponses: false,
    callers: "the AWS SDK's Bedrock client (endpoint {GW}/bedrock)",
  },
  bedrockFiles: {
    dialect: "bedrock",
    mount: "bedrock/files",
    entry: "bedrock-files",
    startsBatches: false,
    pricesBatches: false,
    storesFiles: true,
    needsAccountId: false,
    streamsResponses: true,
    headEntry: "bedrock-files-head",
    xmlErrors: true,
    callers: "the AWS SDK's S3 client (endpoint {GW}/bedrock/files, path style)",
  },
  /** The FinOps API (costs of the caller's batches), served with OpenAI's error envelope. */
  finops: {
    dialect: "openai",
    mount: "finops",
    entry: "finops",
    startsBatches: false,
    pricesBatches: true,
    storesFiles: true,
    needsAccountId: false,
    streamsResponses: false,
    servesConsole: true,
    callers: "the FinOps API (costs, estimates, budgets; any SDK's key) and its console",
  },
} as const satisfies Record<string, FrontDoorSpec>;

export type FrontDoorId = keyof typeof frontDoors;

/** The front doors of one dialect (what its registry entry must implement, no more and no fewer). */
export type FrontDoorsOf<D extends Dialect> = {
  [K in FrontDoorId]: (typeof frontDoors)[K]["dialect"] extends D ? K : never;
}[FrontDoorId];

/**
 * The answer to a path outside every mount (a wrong base URL): 404 naming each mount and who calls it, in an
 * envelope the OpenAI, Anthropic and Google SDKs all read (`error.message`; `error.type`; `error.code`/`status`).
 * The API answers it from a mock integration on its root, and the local adapter the same.
 */
export const unknownPathAnswer = {
  status: 404,
  body: JSON.stringify({
    type: "error",
    error: {
      type: "not_found_error",
      code: 404,
      status: "NOT_FOUND",
      message: `No route at this path: the gateway serves ${Object.values(frontDoors)
        .map((door) => `/${door.mount} for ${door.callers}`)
        .join("; ")}. {GW} is the gateway's URL.`,
    },
  }),
} as const;

/** Front door ids, most specific mount first (as API Gateway matches `/bedrock/files` before `/bedrock`). */
export const frontDoorIds = (Object.keys(frontDoors) as FrontDoorId[]).sort(
  (a, b) => frontDoors[b].mount.length - frontDoors[a].mount.length,
);
