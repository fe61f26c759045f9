import { defaultPartSettings, type PartSettings, partSettingsFromEnv } from "./part-settings";
/** Settings the handlers read once at cold start (Lambda environment or the local server). */
export interface GatewayConfig {
  /** Days an uploaded file lives unless the caller asks for less; the bucket lifecycle matches it. */
  fileTtlDays: number;
  /** Largest file body returned inline; larger downloads redirect to a presigned S3 URL. */
  maxInlineDownloadBytes: number;
  /** Seconds a download redirect stays valid. */
  presignTtlSeconds: number;
  /**
   * The account's own S3 buckets (and key prefixes) that batch jobs may read their input from and write their
   * outputs to (BEDROCK_JOB_BUCKETS, `bucket` or `bucket/prefix/`, comma-separated); none by default.
   */
  jobBuckets: readonly ObjectPlace[];
  /** How batches are cut into upstream jobs and how often a failed row may run (core/parts.ts). */
  parts: PartSettings;
}

/** A bucket, and the key prefix under it ("" for the whole bucket). */
export interface ObjectPlace {
  bucket: string;
  prefix: string;
}

/** One `bucket`, `bucket/prefix` or `s3://bucket/prefix` entry as a place (no prefix: the whole bucket). */
export const placeOf = (text: string): ObjectPlace => {
  const entry = text.trim().replace(/^s3:\/\//, "");
  const slash = entry.indexOf("/");
  return slash < 0 ? { bucket: entry, prefix: "" } : { bucket: entry.slice(0, slash), prefix: entry.slice(slash + 1) };
};

/** `bucket` or `bucket/prefix` entries, comma-separated, as the stack setting and BEDROCK_JOB_BUCKETS give them. */
export const parseJobBuckets = (value: string | undefined): ObjectPlace[] =>
  (value ?? "")
    .split(",")
    .filter((entry) => entry.trim().replace(/^s3:\/\//, "") !== "")
    .map(placeOf);

/**
 * Lambda returns at most 6 MiB of JSON and binary bodies travel base64-encoded (4 bytes per 3), so about
 * 4.5 MB of raw bytes fit in one response with room left for headers.
 */
export const lambdaPayloadLimitBytes = 6 * 1024 * 1024;
export const maxInlineBodyBytes = Math.floor(((lambdaPayloadLimitBytes - 16 * 1024) * 3) / 4);

export const defaultConfig: GatewayConfig = {
  fileTtlDays: 30,
  maxInlineDownloadBytes: maxInlineBodyBytes,
  presignTtlSeconds: 300,
  jobBuckets: [],
  parts: defaultPartSettings,
};

const positiveNumber = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
};

/** Reads the config from environment variables, each optional (see README "Configuration"). */
export const configFromEnv = (env: NodeJS.ProcessEnv): GatewayConfig => ({
  fileTtlDays: positiveNumber(env.FILE_TTL_DAYS, defaultConfig.fileTtlDays),
  maxInlineDownloadBytes: positiveNumber(env.MAX_INLINE_DOWNLOAD_BYTES, defaultConfig.maxInlineDownloadBytes),
  presignTtlSeconds: positiveNumber(env.PRESIGN_TTL_SECONDS, defaultConfig.presignTtlSeconds),
  jobBuckets: parseJobBuckets(env.BEDROCK_JOB_BUCKETS),
  parts: partSettingsFromEnv(env),
});
