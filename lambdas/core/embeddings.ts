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
