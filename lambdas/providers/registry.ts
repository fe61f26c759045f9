import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Provider } from "../core/model";
import type { BlobStore, ProviderAdapter } from "../core/ports";
import { AnthropicProvider } from "./anthropic/batches";
import { BedrockProvider } from "./bedrock/batches";
import { GeminiProvider } from "./gemini/batches";
import { OpenAiProvider } from "./openai/batches";
import type { ProviderSettings } from "./settings";

/** The providers batches can run on. */
export const batchProviders = ["openai", "anthropic", "gemini", "bedrock"] as const satisfies readonly Provider[];

/** The adapters of the configured providers. */
export const createProviders = (
  settings: ProviderSettings,
  blobs: BlobStore,
  credentials?: AwsCredentialIdentity,
): Partial<Record<Provider, ProviderAdapter>> => {
  const { bedrock } = settings;
  // A hung upstream call must fail (and be retried), not hold the task until Lambda's own timeout.
  const requestTimeout = Number(process.env.UPSTREAM_TIMEOUT_MS) || 120_000;
  const requestHandler = () =>
    new NodeHttpHandler({
      requestTimeout,
      connectionTimeout: Math.min(requestTimeout, 10_000),
      throwOnRequestTimeout: true,
    });
  const aws = { region: bedrock.region ?? "us-east-1", credentials, maxAttempts: 6, retryMode: "adaptive" as const };
  return {
    openai: settings.openai ? new OpenAiProvider(settings.openai) : undefined,
    anthropic: settings.anthropic ? new AnthropicProvider(settings.anthropic) : undefined,
    gemini: settings.gemini ? new GeminiProvider(settings.gemini, blobs) : undefined,
    bedrock: new BedrockProvider(
      new BedrockClient({ ...aws, endpoint: bedrock.endpoint, requestHandler: requestHandler() }),
      // Converse is a unary call: HTTP/1.1 serves it as well as the client's default HTTP/2, and works with any endpoint.
      new BedrockRuntimeClient({ ...aws, endpoint: bedrock.runtimeEndpoint, requestHandler: requestHandler() }),
      blobs,
      bedrock,
    ),
  };
};

/**
 * Pass-through mode: an adapter for one provider that authenticates with the caller's own key (Bedrock has no
 * API key here: it always runs under the stack's role).
 */
export const providerWithKey =
  (settings: ProviderSettings, blobs: BlobStore) =>
  (provider: Provider, apiKey: string): ProviderAdapter | undefined => {
    const defaults = {
      openai: "https://api.openai.com/v1",
      anthropic: "https://api.anthropic.com",
      gemini: "https://generativelanguage.googleapis.com",
    } as const;
    if (provider === "bedrock") return undefined;
    const baseUrl = settings[provider]?.baseUrl ?? defaults[provider];
    return createProviders({ ...settings, [provider]: { apiKey, baseUrl } }, blobs)[provider];
  };
