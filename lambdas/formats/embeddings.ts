import { type ChatResponse, estimateTokens } from "../core/chat";
import type { EmbeddingRequest } from "../core/embeddings";
import type { NeutralResult } from "../core/model";

/**
 * OpenAI embeddings lines as one upstream item a text (Titan Text Embeddings V2 records, Gemini embed requests),
 * and the answers as OpenAI embedding responses. A line of N texts is N items, whose ids carry the line's key, the
 * text's index, the count and the encoding asked for: `{key}x{i}n{count}` (and `b` for base64); the answers are
 * joined back into one response per line.
 */

/** A request's texts, one upstream item each, under ids that say how to join the answers back. */
export const embeddingParts = (key: string, request: EmbeddingRequest): { id: string; text: string }[] => {
  const texts = request.texts ?? [];
  const suffix = request.encoding === "base64" ? "b" : "";
  return texts.map((text, i) => ({ id: `${key}x${i}n${texts.length}${suffix}`, text }));
};

/** The Titan records of one request, under its upstream key. */
export const titanRecords = (key: string, request: EmbeddingRequest) =>
  embeddingParts(key, request).map(({ id, text }) => ({
    recordId: id,
    modelInput: {
      inputText: text,
      ...(request.dimensions !== undefined && { dimensions: request.dimensions }),
      normalize: true,
    },
  }));

/** One embedded text as an upstream answered it: its vector and tokens, or why it was not embedded. */
export interface EmbeddedPart {
  id: string;
  vector?: number[];
  tokens: number;
  error?: { message: string; statusCode?: number };
}

/** One Titan output line, as Bedrock writes it in the `.out` file. */
interface TitanLine {
  recordId?: string;
  modelOutput?: { embedding?: number[]; inputTextTokenCount?: number };
  error?: { errorCode?: number; errorMessage?: string };
}

/**
 * The Cohere Embed record of one request, under its upstream key: all its texts in one record, whose id says how
 * many (`{key}y{count}`, and `b` for base64), and what they are for.
 */
export const cohereRecord = (key: string, request: EmbeddingRequest) => {
  const texts = request.texts ?? [];
  return {
    recordId: `${key}y${texts.length}${request.encoding === "base64" ? "b" : ""}`,
    modelInput: { texts, input_type: request.purpose, embedding_types: ["float"] },
  };
};

/** A record id that names a Cohere record of one request, and its parts'. */
const cohereIdShape = /^(.+)y(\d+)(b?)$/;

/** Cohere's vectors, as its InvokeModel answer gives them (a list, or by type when `embedding_types` was sent). */
const cohereVectors = (output: unknown): number[][] | undefined => {
  const embeddings = (output as { embeddings?: unknown } | undefined)?.embeddings;
  if (Array.isArray(embeddings)) return embeddings as number[][];
  const float = (embeddings as { float?: unknown } | undefined)?.float;
  return Array.isArray(float) ? (float as number[][]) : undefined;
};

/** Bedrock's embedding output lines (Titan's a text each, Cohere's a request each) as embedded parts. */
async function* titanParts(lines: AsyncIterable<unknown>): AsyncGenerator<EmbeddedPart> {
  for await (const value of lines) {
    const line = value as TitanLine & { modelInput?: { texts?: string[] } };
    const cohere = cohereIdShape.exec(line.recordId ?? "");
    if (cohere) {
      const [, key, count = "0", encoding = ""] = cohere;
      const vectors = cohereVectors(line.modelOutput);
      const texts = line.modelInput?.texts ?? [];
      for (let i = 0; i < Number(count); i++) {
        const id = `${key}x${i}n${count}${encoding}`;
        const vector = vectors?.[i];
        yield vector
          ? { id, vector, tokens: estimateTokens(texts[i] ?? "") }
          : { id, tokens: 0, error: { message: line.error?.errorMessage ?? "Cohere did not embed this input." } };
      }
      continue;
    }
    const vector = line.modelOutput?.embedding;
    yield vector
      ? { id: line.recordId ?? "", vector, tokens: line.modelOutput?.inputTextTokenCount ?? 0 }
      : {
          id: line.recordId ?? "",
          tokens: 0,
          error: {
            message: line.error?.errorMessage ?? "Titan did not embed this input.",
            ...(line.error?.errorCode !== undefined && { statusCode: line.error.errorCode }),
          },
        };
  }
}

/** Bedrock's embedding output lines joined into one neutral result per request (see joinEmbeddings). */
export const titanResults = (lines: AsyncIterable<unknown>, model: string) => joinEmbeddings(titanParts(lines), model);

const partIdShape = /^(.+)x(\d+)n(\d+)(b?)$/;

/** A vector as OpenAI's `encoding_format: "base64"` gives it: little-endian float32s. */
export const base64Of = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString("base64");

interface Group {
  count: number;
  base64: boolean;
  vectors: (number[] | undefined)[];
  tokens: number;
  arrived: number;
  failed?: { code: string; message: string; statusCode?: number };
}

/** A request's vectors as OpenAI's embeddings body, in the neutral response the OpenAI dialect writes untouched. */
const joined = (key: string, group: Group, model: string): NeutralResult => {
  if (group.failed) return { customId: key, outcome: "errored", error: group.failed };
  const data = group.vectors.map((vector, index) => ({
    object: "embedding",
    index,
    embedding: group.base64 ? base64Of(vector ?? []) : (vector ?? []),
  }));
  const body = { object: "list", data, model, usage: { prompt_tokens: group.tokens, total_tokens: group.tokens } };
  const response: ChatResponse = {
    id: "",
    model,
    created: Math.floor(Date.now() / 1000),
    text: "",
    finishReason: "stop",
    usage: { inputTokens: group.tokens, outputTokens: 0 },
    native: { format: "openai", body },
  };
  return { customId: key, outcome: "succeeded", response };
};

/**
 * Embedded parts joined into one neutral result per request: an OpenAI embeddings body with the vectors in input
 * order once every text of the request has arrived (the first error fails the request); a request whose texts did
 * not all come back (a stopped job) ends errored, naming how many did. Holds only requests still incomplete.
 */
export async function* joinEmbeddings(
  parts: AsyncIterable<EmbeddedPart> | Iterable<EmbeddedPart>,
  model: string,
): AsyncGenerator<NeutralResult> {
  const open = new Map<string, Group>();
  for await (const part of parts) {
    const match = partIdShape.exec(part.id);
    if (!match) continue;
    const [, key = "", index, count, encoding] = match;
    const group: Group = open.get(key) ?? {
      count: Number(count),
      base64: encoding === "b",
      vectors: [],
      tokens: 0,
      arrived: 0,
    };
    open.set(key, group);
    group.arrived++;
    if (part.vector) {
      group.vectors[Number(index)] = part.vector;
      group.tokens += part.tokens;
    } else
      group.failed ??= {
        code: "upstream_error",
        message: part.error?.message ?? "The input was not embedded.",
        ...(part.error?.statusCode !== undefined && { statusCode: part.error.statusCode }),
      };
    if (group.arrived === group.count) {
      open.delete(key);
      yield joined(key, group, model);
    }
  }
  for (const [key, group] of open)
    yield {
      customId: key,
      outcome: "errored",
      error: {
        code: "batch_incomplete",
        message: `${group.arrived} of the request's ${group.count} inputs were embedded before the job ended.`,
      },
    };
}
