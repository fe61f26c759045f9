/**
 * The neutral embeddings request: the texts of an OpenAI `/v1/embeddings` body, and how the caller wants the
 * vectors back. OpenAI runs the body as uploaded; Bedrock runs it on Titan Text Embeddings V2, one record a text.
 */
export interface EmbeddingRequest {
  /** The texts in order; undefined where the body holds token arrays (OpenAI's tokens, which no other model reads). */
  texts?: string[];
  dimensions?: number;
  encoding: "float" | "base64";
}

export const embeddingsEndpoint = "/v1/embeddings";

/** The Bedrock embedding model the gateway writes records for, and the vector sizes it takes. */
export const titanEmbedding = {
  name: "Titan Text Embeddings V2",
  models: /(^|\.)amazon\.titan-embed-text-v2/,
  dimensions: [256, 512, 1024],
} as const;

/** Why an embeddings request cannot run on Bedrock's `model`, or undefined when it can. */
export const bedrockEmbeddingRefusal = (request: EmbeddingRequest, model: string): string | undefined => {
  if (!titanEmbedding.models.test(model))
    return (
      `bedrock runs /v1/embeddings batches on ${titanEmbedding.name} (amazon.titan-embed-text-v2:0), not ` +
      `${JSON.stringify(model)}: name that model, or run the batch on openai`
    );
  if (!request.texts)
    return "token arrays are OpenAI's tokens, which Titan does not read: send the texts, or run the batch on openai";
  if (request.texts.some((text) => text.length === 0)) return "an input is empty, which Titan cannot embed";
  if (
    request.dimensions !== undefined &&
    !(titanEmbedding.dimensions as readonly number[]).includes(request.dimensions)
  )
    return (
      `${titanEmbedding.name} gives vectors of ${titanEmbedding.dimensions.join(", ")} dimensions, not ` +
      `${request.dimensions}: ask for one of those, or run the batch on openai`
    );
  return undefined;
};

/** Gemini's embedding models, the largest vector they give, and what one batch of inline requests may hold. */
export const geminiEmbedding = {
  name: "Gemini's embedding models",
  models: /(^|\/)(gemini-embedding|text-embedding-00|embedding-00)/,
  maxDimensions: 3072,
  /** Gemini takes embeddings batches as inline requests, under 20 MB in all. */
  maxInlineBytes: 19 * 1024 * 1024,
} as const;

/** Why an embeddings request cannot run on Gemini's `model`, or undefined when it can. */
export const geminiEmbeddingRefusal = (request: EmbeddingRequest, model: string): string | undefined => {
  if (!geminiEmbedding.models.test(model))
    return (
      `gemini runs /v1/embeddings batches on ${geminiEmbedding.name} (gemini-embedding-001), not ` +
      `${JSON.stringify(model)}: name one, or run the batch on openai`
    );
  if (!request.texts)
    return "token arrays are OpenAI's tokens, which Gemini does not read: send the texts, or run the batch on openai";
  if (request.dimensions !== undefined && request.dimensions > geminiEmbedding.maxDimensions)
    return `Gemini gives vectors of at most ${geminiEmbedding.maxDimensions} dimensions, not ${request.dimensions}`;
  return undefined;
};

/** Why embedding records of another format cannot run on OpenAI's `model`, or undefined when they can. */
export const openAiEmbeddingRefusal = (model: string): string | undefined =>
  /^text-embedding-/.test(model)
    ? undefined
    : `openai runs embeddings on its text-embedding models (text-embedding-3-small, …), not ${JSON.stringify(model)}`;

/** Why an embeddings request cannot run on `provider`'s `model` (a provider that converts them), or undefined. */
export const embeddingRefusalOn = (provider: string, request: EmbeddingRequest, model: string): string | undefined =>
  provider === "gemini"
    ? geminiEmbeddingRefusal(request, model)
    : provider === "openai"
      ? openAiEmbeddingRefusal(model)
      : bedrockEmbeddingRefusal(request, model);
