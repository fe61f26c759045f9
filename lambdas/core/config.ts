/** Settings the handlers read once at cold start (Lambda environment or the local server). */
export interface GatewayConfig {
  /** Days an uploaded file lives unless the caller asks for less; the bucket lifecycle matches it. */
  fileTtlDays: number;
  /** Largest file body returned inline; larger downloads redirect to a presigned S3 URL. */
  maxInlineDownloadBytes: number;
  /** Seconds a download redirect stays valid. */
  presignTtlSeconds: number;
}

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
});
