import { chatEndpoint } from "./chat";
import { embeddingsEndpoint } from "./embeddings";
import type { Dialect, Provider } from "./model";

/**
 * The endpoints a batch may target (OpenAI's Batch API list). The gateway converts chat and Responses across every
 * provider; the others run on OpenAI, their lines sent as uploaded and their answers returned as OpenAI gave them.
 */
export const batchEndpoints = [
  chatEndpoint,
  "/v1/responses" as const,
  "/v1/embeddings",
  "/v1/completions",
  "/v1/moderations",
  "/v1/images/generations",
  "/v1/images/edits",
  "/v1/videos",
] as const;
export type BatchEndpoint = (typeof batchEndpoints)[number];

/** The Responses API, converted like chat: its lines read into the neutral request, answers written as `response`s. */
export const responsesEndpoint = "/v1/responses";

/** OpenAI's cap on the inputs of one embeddings batch, across all its requests. */
export const maxEmbeddingInputs = 50_000;

/** Model ids of embedding models (OpenAI's, Gemini's, Titan and Cohere Embed on Bedrock): they answer no chat. */
const embeddingModels = /(^|[./])(text-embedding|gemini-embedding|embedding-\d|amazon\.titan-embed|cohere\.embed)/;

/** Whether a model id names an embedding model. */
export const isEmbeddingModel = (model: string): boolean => embeddingModels.test(model);

/**
 * Why a chat or Responses batch cannot run on `model`, or undefined: an embedding model answers no chat (embeddings
 * batches are `/v1/embeddings` batches of the OpenAI SDK).
 */
export const embeddingModelRefusal = (endpoint: string, model: string): string | undefined =>
  passesThrough(endpoint) || !embeddingModels.test(model)
    ? undefined
    : `${model} is an embeddings model, which answers no ${endpoint} request. Embeddings batches run through the ` +
      "OpenAI SDK (endpoint /v1/embeddings) on openai, gemini or bedrock, or the GenAI SDK's create_embeddings on " +
      "gemini or bedrock; the gateway does not yet take Bedrock jobs of embedding records.";

/** Whether an endpoint's lines go to OpenAI as uploaded, with no neutral form to run anywhere else. */
export const passesThrough = (endpoint: string): boolean => endpoint !== chatEndpoint && endpoint !== responsesEndpoint;

/**
 * Why a batch for `endpoint` cannot run as asked, or undefined when it can: an endpoint OpenAI's Batch API does not
 * take, or one the gateway passes through, asked of another provider or through an SDK whose results it has no
 * form for.
 */
export const endpointRefusal = (endpoint: string, provider: Provider, dialect: Dialect): string | undefined => {
  if (!(batchEndpoints as readonly string[]).includes(endpoint))
    return (
      `Unsupported endpoint ${JSON.stringify(endpoint)}: a batch targets one of ${batchEndpoints.join(", ")} ` +
      `(the gateway converts ${chatEndpoint} and ${responsesEndpoint} batches for every provider).`
    );
  if (!passesThrough(endpoint)) return undefined;
  if (endpoint === embeddingsEndpoint && provider === "anthropic")
    return (
      `${endpoint} batches run on openai (as uploaded), gemini or bedrock (Titan Text Embeddings V2): Anthropic ` +
      "has no embeddings model. Create this batch with provider openai, gemini or bedrock."
    );
  if (provider !== "openai" && endpoint !== embeddingsEndpoint)
    return (
      `${endpoint} batches run on openai, their lines sent as uploaded; the gateway converts ${chatEndpoint} and ` +
      `${responsesEndpoint} batches across providers. Create this batch with provider openai, or write it as ` +
      `${chatEndpoint} lines to run it on ${provider}.`
    );
  // A Bedrock job of Titan embedding records runs on every provider that embeds.
  if (endpoint === embeddingsEndpoint && dialect === "bedrock") return undefined;
  // The GenAI SDK's create_embeddings: Gemini embed requests, converted for Bedrock (not sent to OpenAI yet).
  if (endpoint === embeddingsEndpoint && dialect === "genai")
    return provider === "openai"
      ? "GenAI embeddings batches run on gemini or bedrock; on openai, run them through the OpenAI SDK's /v1/embeddings."
      : undefined;
  if (dialect !== "openai")
    return `${endpoint} batches are created through the OpenAI SDK, whose result files hold their answers as OpenAI gives them.`;
  return undefined;
};
