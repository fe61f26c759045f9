import type { ChatResponse } from "../core/chat";
import type { EmbeddingRequest } from "../core/embeddings";
import type { NeutralResult } from "../core/model";

/**
 * OpenAI embeddings lines as Titan Text Embeddings V2 records, and Titan's answers as OpenAI embedding responses.
 * Titan embeds one text a record, so a line of N texts is N records, whose ids carry the line's key, the text's
 * index, the count and the encoding asked for: `{key}x{i}n{count}` (and `b` for base64); the answers are joined
 * back into one response per line.
 */

/** The records of one request, under its upstream key. */
export const titanRecords = (key: string, request: EmbeddingRequest) => {
  const texts = request.texts ?? [];
  const suffix = request.encoding === "base64" ? "b" : "";
  return texts.map((inputText, i) => ({
    recordId: `${key}x${i}n${texts.length}${suffix}`,
    modelInput: {
      inputText,
      ...(request.dimensions !== undefined && { dimensions: request.dimensions }),
      normalize: true,
    },
  }));
};

const recordIdShape = /^(.+)x(\d+)n(\d+)(b?)$/;

/** One Titan output line, as Bedrock writes it in the `.out` file. */
interface TitanLine {
  recordId?: string;
  modelOutput?: { embedding?: number[]; inputTextTokenCount?: number };
  error?: { errorCode?: number; errorMessage?: string };
}

/** A vector as OpenAI's `encoding_format: "base64"` gives it: little-endian float32s. */
const base64Of = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString("base64");

interface Group {
  count: number;
  base64: boolean;
  vectors: (number[] | undefined)[];
  tokens: number;
  arrived: number;
  failed?: { code: string; message: string; statusCode?: number };
}

/**
 * Titan's output lines joined into one neutral result per request: an OpenAI embeddings body with the vectors in
 * input order once every text of the line has arrived (the first error fails the line); a line whose texts did not
 * all come back (a stopped job) ends errored, naming how many did. Holds only lines still incomplete.
 */
export async function* titanResults(lines: AsyncIterable<unknown>, model: string): AsyncGenerator<NeutralResult> {
  const open = new Map<string, Group>();
  const done = (key: string, group: Group): NeutralResult => {
    open.delete(key);
    if (group.failed) return { customId: key, outcome: "errored", error: group.failed };
    const data = group.vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: group.base64 ? base64Of(vector ?? []) : (vector ?? []),
    }));
    const body = {
      object: "list",
      data,
      model,
      usage: { prompt_tokens: group.tokens, total_tokens: group.tokens },
    };
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
  for await (const value of lines) {
    const line = value as TitanLine;
    const match = recordIdShape.exec(line.recordId ?? "");
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
    if (line.modelOutput?.embedding) {
      group.vectors[Number(index)] = line.modelOutput.embedding;
      group.tokens += line.modelOutput.inputTextTokenCount ?? 0;
    } else
      group.failed ??= {
        code: "upstream_error",
        message: line.error?.errorMessage ?? "Titan did not embed this input.",
        ...(line.error?.errorCode !== undefined && { statusCode: line.error.errorCode }),
      };
    if (group.arrived === group.count) yield done(key, group);
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
