import type { AnthropicSettings } from "./anthropic/batches";
import type { BedrockSettings } from "./bedrock/batches";
import type { GeminiSettings } from "./gemini/batches";
import type { OpenAiSettings } from "./openai/client";
import { perModel } from "./quotas";

/** Every upstream's settings; a provider without its key is not configured. */
export interface ProviderSettings {
  openai?: OpenAiSettings;
  anthropic?: AnthropicSettings;
  gemini?: GeminiSettings;
  bedrock: BedrockSettings & { region?: string; endpoint?: string; runtimeEndpoint?: string };
}

const number = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
};

const nonNegative = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
};

/**
 * Reads provider settings the way each provider's own SDK reads them: keys from the environment (or the
 * stack's secret, passed as `keys`), `OPENAI_BASE_URL` with `/v1`, AWS endpoints from `AWS_ENDPOINT_URL_*`.
 */
export const providerSettingsFromEnv = (
  env: NodeJS.ProcessEnv,
  keys: Record<string, string | undefined> = {},
): ProviderSettings => {
  const key = (name: string) => keys[name] || env[name] || undefined;
  const openAiKey = key("OPENAI_API_KEY");
  const anthropicKey = key("ANTHROPIC_API_KEY");
  const geminiKey = key("GEMINI_API_KEY");
  return {
    openai: openAiKey
      ? {
          apiKey: openAiKey,
          baseUrl: env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
          enqueuedTokens: perModel(env.OPENAI_ENQUEUED_TOKENS, 0),
        }
      : undefined,
    anthropic: anthropicKey
      ? {
          apiKey: anthropicKey,
          baseUrl: env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com",
          queuedRequests: nonNegative(env.ANTHROPIC_QUEUED_REQUESTS, 100_000),
        }
      : undefined,
    gemini: geminiKey
      ? {
          apiKey: geminiKey,
          baseUrl: env.GEMINI_BASE_URL ?? "https://generativelanguage.googleapis.com",
          concurrentBatches: nonNegative(env.GEMINI_CONCURRENT_BATCHES, 100),
        }
      : undefined,
    bedrock: {
      bucket: env.BUCKET_NAME ?? "",
      roleArn: env.BEDROCK_ROLE_ARN ?? "",
      minRecords: number(env.BEDROCK_MIN_RECORDS, 100),
      onDemandConcurrency: number(env.BEDROCK_ON_DEMAND_CONCURRENCY, 4),
      onDemandSliceSeconds: nonNegative(env.BEDROCK_ON_DEMAND_SLICE_SECONDS, 60),
      jobsPerModel: perModel(env.BEDROCK_JOBS_PER_MODEL, 20),
      region: env.AWS_REGION,
      endpoint: env.AWS_ENDPOINT_URL_BEDROCK,
      runtimeEndpoint: env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
    },
  };
};
