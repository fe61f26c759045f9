import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { type Provider, providers } from "../core/model";
import type { BlobStore, ProviderAdapter, ProviderAdapters } from "../core/ports";
import { AnthropicProvider } from "./anthropic/batches";
import { BedrockProvider } from "./bedrock/batches";
import { GeminiProvider } from "./gemini/batches";
import { OpenAiProvider } from "./openai/batches";
import type { ProviderSettings } from "./settings";

/** The providers batches can run on. */
export const batchProviders = ["openai", "anthropic", "gemini", "bedrock"] as const satisfies readonly Provider[];

/** What building an adapter may use beyond its own settings. */
interface ProviderContext {
  blobs: BlobStore;
  /** AWS clients for Bedrock. */
  aws: { region: string; credentials?: AwsCredentialIdentity; maxAttempts: number; retryMode: "adaptive" };
  /** A fresh HTTP handler whose hung calls time out (one per AWS client). */
  requestHandler: () => NodeHttpHandler;
}

/**
 * Every provider, one line each: how its adapter is built from the settings (undefined while it has no key).
 * Total over `Provider`, so a provider without an adapter does not compile.
 */
const providerModules: {
  readonly [P in Provider]: (settings: ProviderSettings, context: ProviderContext) => ProviderAdapter | undefined;
} = {
  openai: (settings) => (settings.openai ? new OpenAiProvider(settings.openai) : undefined),
  anthropic: (settings) => (settings.anthropic ? new AnthropicProvider(settings.anthropic) : undefined),
  gemini: (settings, { blobs }) => (settings.gemini ? new GeminiProvider(settings.gemini, blobs) : undefined),
  bedrock: ({ bedrock }, { aws, blobs, requestHandler }) =>
    new BedrockProvider(
      new BedrockClient({ ...aws, endpoint: bedrock.endpoint, requestHandler: requestHandler() }),
      // Converse is a unary call: HTTP/1.1 serves it as well as the default HTTP/2, and works with any endpoint.
      new BedrockRuntimeClient({ ...aws, endpoint: bedrock.runtimeEndpoint, requestHandler: requestHandler() }),
      blobs,
      bedrock,
    ),
};

/** The adapters of the configured providers. */
export const createProviders = (
  settings: ProviderSettings,
  blobs: BlobStore,
  credentials?: AwsCredentialIdentity,
): ProviderAdapters => {
  // A hung upstream call must fail (and be retried), not hold the task until Lambda's own timeout.
  const requestTimeout = Number(process.env.UPSTREAM_TIMEOUT_MS) || 120_000;
  const context: ProviderContext = {
    blobs,
    aws: { region: settings.bedrock.region ?? "us-east-1", credentials, maxAttempts: 6, retryMode: "adaptive" },
    requestHandler: () =>
      new NodeHttpHandler({
        requestTimeout,
        connectionTimeout: Math.min(requestTimeout, 10_000),
        throwOnRequestTimeout: true,
      }),
  };
  return Object.fromEntries(
    providers.map((provider) => [provider, providerModules[provider](settings, context)]),
  ) as ProviderAdapters;
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
