/**
 * How batches are cut into upstream jobs, as settings: pure constants (the stack reads them too), each with the
 * provider's documented value.
 */
import type { Provider } from "./model";

/** What one upstream job may hold: requests, and bytes of input lines. */
export interface JobLimits {
  requests: number;
  bytes: number;
}

/** How batches are cut into parts and how often a row may run; each a setting (docs/configuration.md). */
export interface PartSettings {
  /** Most requests one batch takes. */
  maxRequests: number;
  /** Each provider's per-job limits, as documented. */
  jobs: Record<Provider, JobLimits>;
  /** Most parts a batch may have, retries included (they are kept in the batch's record). */
  maxParts: number;
  /** Runs a row gets when the batch does not say (1: failed rows are not run again). */
  defaultAttempts: number;
}

/** The most runs a batch may ask for a row. */
export const maxRowAttempts = 5;

const MB = 1000 * 1000;

/**
 * Today's documented per-job limits: OpenAI 50,000 requests and 200 MB per input file, Anthropic 100,000 requests
 * or 256 MB per message batch, Gemini 2 GB per input file (no request limit), Bedrock 50,000 records and 1 GB per
 * input file.
 */
export const defaultPartSettings: PartSettings = {
  maxRequests: 1_000_000,
  jobs: {
    openai: { requests: 50_000, bytes: 200 * MB },
    anthropic: { requests: 100_000, bytes: 256 * MB },
    gemini: { requests: Number.POSITIVE_INFINITY, bytes: 2000 * MB },
    bedrock: { requests: 50_000, bytes: 1000 * MB },
  },
  maxParts: 200,
  defaultAttempts: 1,
};

/** A part's input is cut at this share of the byte limit: the rest is room for what conversion adds to a line. */
export const convertedRoom = 0.9;

const setting = (value: string | undefined, fallback: number, min = 1): number => {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(parsed) && parsed >= min ? parsed : fallback;
};

/** The settings from the environment: `{PROVIDER}_JOB_MAX_REQUESTS`, `{PROVIDER}_JOB_MAX_BYTES`, and the rest. */
export const partSettingsFromEnv = (env: NodeJS.ProcessEnv): PartSettings => {
  const jobs = Object.fromEntries(
    Object.entries(defaultPartSettings.jobs).map(([provider, limits]) => {
      const name = provider.toUpperCase();
      return [
        provider,
        {
          requests: setting(env[`${name}_JOB_MAX_REQUESTS`], limits.requests),
          bytes: setting(env[`${name}_JOB_MAX_BYTES`], limits.bytes),
        },
      ];
    }),
  ) as Record<Provider, JobLimits>;
  return {
    maxRequests: setting(env.MAX_BATCH_REQUESTS, defaultPartSettings.maxRequests),
    jobs,
    maxParts: setting(env.MAX_BATCH_PARTS, defaultPartSettings.maxParts),
    defaultAttempts: Math.min(maxRowAttempts, setting(env.ROW_ATTEMPTS, defaultPartSettings.defaultAttempts)),
  };
};

/** How many input parts `rows` requests need at least, by the request limit alone. */
export const partsNeeded = (rows: number, limits: JobLimits): number => Math.max(1, Math.ceil(rows / limits.requests));

/**
 * The settings of batch sizes, row retries and provider quotas, by their environment names: the stack sets those
 * given to it (`cdk deploy -c BEDROCK_JOBS_PER_MODEL=10`) on the functions that read them.
 */
export const batchSettingNames = [
  "MAX_BATCH_REQUESTS",
  "MAX_BATCH_PARTS",
  "ROW_ATTEMPTS",
  "OPENAI_JOB_MAX_REQUESTS",
  "OPENAI_JOB_MAX_BYTES",
  "ANTHROPIC_JOB_MAX_REQUESTS",
  "ANTHROPIC_JOB_MAX_BYTES",
  "GEMINI_JOB_MAX_REQUESTS",
  "GEMINI_JOB_MAX_BYTES",
  "BEDROCK_JOB_MAX_REQUESTS",
  "BEDROCK_JOB_MAX_BYTES",
  "OPENAI_ENQUEUED_TOKENS",
  "ANTHROPIC_QUEUED_REQUESTS",
  "GEMINI_CONCURRENT_BATCHES",
  "BEDROCK_JOBS_PER_MODEL",
] as const;
export type BatchSettingName = (typeof batchSettingNames)[number];
