import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Provider } from "../core/model";
import type { BlobStore, ProviderAdapter } from "../core/ports";
import { BedrockProvider } from "./bedrock/batches";
import { OpenAiProvider } from "./openai/batches";
import type { ProviderSettings } from "./settings";

/** The providers that have an adapter (Anthropic and Gemini arrive with their own issue). */
export const batchProviders = ["openai", "bedrock"] as const satisfies readonly Provider[];

/** The adapters of the configured providers. */
export const createProviders = (
  settings: ProviderSettings,
  blobs: BlobStore,
  credentials?: AwsCredentialIdentity,
): Partial<Record<Provider, ProviderAdapter>> => {
  const { bedrock } = settings;
  const aws = { region: bedrock.region ?? "us-east-1", credentials, maxAttempts: 6, retryMode: "adaptive" as const };
  return {
    openai: settings.openai ? new OpenAiProvider(settings.openai) : undefined,
    bedrock: new BedrockProvider(
      new BedrockClient({ ...aws, endpoint: bedrock.endpoint }),
      // Converse is a unary call: HTTP/1.1 serves it as well as the client's default HTTP/2, and works with any endpoint.
      new BedrockRuntimeClient({ ...aws, endpoint: bedrock.runtimeEndpoint, requestHandler: new NodeHttpHandler() }),
      blobs,
      bedrock,
    ),
  };
};
