/**
 * The neutral embeddings request: the texts of an OpenAI `/v1/embeddings` body, a Gemini EmbedContentRequest, a
 * Titan or Cohere Embed record, and how the caller wants the vectors back. OpenAI runs OpenAI lines as uploaded;
 * Bedrock runs Titan Text Embeddings V2 (a record a text) and Cohere Embed (a record a request); Gemini an inline
 * embed request a text.
 */
export interface EmbeddingRequest {
  /** The texts in order; undefined where the body holds token arrays (OpenAI's tokens, which no other model reads). */
  texts?: string[];
  dimensions?: number;
  encoding: "float" | "base64";
  /** What the vectors are for, where the caller said (Cohere's `input_type`, Gemini's `taskType`). */
  purpose?: EmbeddingPurpose;
}

/** What vectors are for, as Cohere's `input_type` names it; Gemini's `taskType` for each. */
export const embeddingPurposes = {
  search_query: "RETRIEVAL_QUERY",
  search_document: "RETRIEVAL_DOCUMENT",
  classification: "CLASSIFICATION",
  clustering: "CLUSTERING",
} as const;
export type EmbeddingPurpose = keyof typeof embeddingPurposes;

/** A Gemini `taskType` as a purpose, where it names one Cohere has. */
export const purposeOfTaskType = (taskType: string): EmbeddingPurpose | undefined =>
  (Object.keys(embeddingPurposes) as EmbeddingPurpose[]).find((purpose) => embeddingPurposes[purpose] === taskType);

/** Cohere Embed on Bedrock: a record holds up to 96 texts and must say what they are for. */
export const cohereEmbedding = {
  name: "Cohere Embed",
  models: /(^|\.)cohere\.embed/,
  maxTexts: 96,
} as const;

export const embeddingsEndpoint = "/v1/embeddings";

/** The Bedrock embedding model the gateway writes records for, and the vector sizes it takes. */
export const titanEmbedding = {
  name: "Titan Text Embeddings V2",
  models: /(^|\.)amazon\.titan-embed-text-v2/,
  dimensions: [256, 512, 1024],
} as const;

/** Why an embeddings request cannot run on Cohere Embed, or undefined when it can. */
const cohereRefusal = (request: EmbeddingRequest): string | undefined => {
  if (!request.texts)
    return "token arrays are OpenAI's tokens, which Cohere does not read: send the texts, or run the batch on openai";
  if (request.texts.length > cohereEmbedding.maxTexts)
    return `${cohereEmbedding.name} takes at most ${cohereEmbedding.maxTexts} texts a request, not ${request.texts.length}`;
  if (!request.purpose)
    return (
      `${cohereEmbedding.name} needs to know what the vectors are for (input_type: ` +
      `${Object.keys(embeddingPurposes).join(", ")}), which this request does not say: use Titan, or write Cohere records`
    );
  if (request.dimensions !== undefined)
    return `${cohereEmbedding.name} gives vectors of its own size: remove dimensions, or use Titan`;
  return undefined;
};

/** Why an embeddings request cannot run on Bedrock's `model`, or undefined when it can. */
export const bedrockEmbeddingRefusal = (request: EmbeddingRequest, model: string): string | undefined => {
  if (cohereEmbedding.models.test(model)) return cohereRefusal(request);
  if (!titanEmbedding.models.test(model))
    return (
      `bedrock runs embeddings on ${titanEmbedding.name} (amazon.titan-embed-text-v2:0) or ${cohereEmbedding.name} ` +
      `(cohere.embed-…), not ${JSON.stringify(model)}: name one, or run the batch on openai`
    );
  if (request.purpose)
    return `${titanEmbedding.name} has no input_type or taskType (${request.purpose}): remove it, or use Cohere Embed or Gemini`;
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
export const openAiEmbeddingRefusal = (request: EmbeddingRequest, model: string): string | undefined =>
  !/^text-embedding-/.test(model)
    ? `openai runs embeddings on its text-embedding models (text-embedding-3-small, …), not ${JSON.stringify(model)}`
    : request.purpose
      ? `OpenAI's embeddings have no input_type or taskType (${request.purpose}): remove it, or run on gemini or bedrock`
      : undefined;

/** Why an embeddings request cannot run on `provider`'s `model` (a provider that converts them), or undefined. */
export const embeddingRefusalOn = (provider: string, request: EmbeddingRequest, model: string): string | undefined =>
  provider === "gemini"
    ? geminiEmbeddingRefusal(request, model)
    : provider === "openai"
      ? openAiEmbeddingRefusal(request, model)
      : bedrockEmbeddingRefusal(request, model);
