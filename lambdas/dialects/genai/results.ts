import { argumentsObject, type ChatResponse, chatEndpoint } from "../../core/chat";
import { embeddingsEndpoint } from "../../core/embeddings";
import { type FileDeps, readInputRequests } from "../../core/files";
import { GeneratedFile } from "../../core/generated-files";
import type { BatchRecord, NeutralResult } from "../../core/model";
import type { ResultSink } from "../../core/ports";

const finishReasons: Record<ChatResponse["finishReason"], string> = {
  stop: "STOP",
  length: "MAX_TOKENS",
  content_filter: "SAFETY",
  tool_calls: "STOP",
};
const rpc: Record<number, { code: number; status: string }> = {
  400: { code: 3, status: "INVALID_ARGUMENT" },
  401: { code: 16, status: "UNAUTHENTICATED" },
  403: { code: 7, status: "PERMISSION_DENIED" },
  404: { code: 5, status: "NOT_FOUND" },
  429: { code: 8, status: "RESOURCE_EXHAUSTED" },
  504: { code: 4, status: "DEADLINE_EXCEEDED" },
};

/** A neutral response as a Gemini GenerateContentResponse; one Gemini answered is rendered as it answered. */
export const renderGenerateContentResponse = (response: ChatResponse) =>
  response.native?.format === "gemini" ? response.native.body : neutralResponse(response);

const neutralResponse = (response: ChatResponse) => ({
  candidates: [
    {
      content: {
        role: "model",
        parts: [
          ...(response.reasoning ? [{ text: response.reasoning, thought: true }] : []),
          ...(response.text !== "" || !response.toolCalls ? [{ text: response.text }] : []),
          ...(response.toolCalls ?? []).map((call) => ({
            functionCall: { id: call.id, name: call.name, args: argumentsObject(call.arguments) },
          })),
        ],
      },
      finishReason: finishReasons[response.finishReason],
      index: 0,
    },
  ],
  usageMetadata: {
    promptTokenCount: response.usage.inputTokens,
    candidatesTokenCount: response.usage.outputTokens,
    totalTokenCount: response.usage.inputTokens + response.usage.outputTokens,
  },
  modelVersion: response.model,
  responseId: response.id,
});

/**
 * An embeddings answer as Gemini's EmbedContentResponse: the request's one vector (the gateway's embeddings answers
 * are OpenAI embedding bodies, whichever provider embedded).
 */
const renderEmbedContentResponse = (response: ChatResponse) => {
  const body = response.native?.body as { data?: { embedding?: number[] | string }[] } | undefined;
  const vector = body?.data?.[0]?.embedding;
  return { embedding: { values: Array.isArray(vector) ? vector : [] } };
};

/** One neutral result as a Gemini result line `{key, response}` or `{key, error}` (google.rpc.Status). */
export const renderGeminiResultLine = (result: NeutralResult, endpoint: string = chatEndpoint) => {
  if (result.outcome === "succeeded" && result.response)
    return {
      key: result.customId,
      response:
        endpoint === embeddingsEndpoint
          ? renderEmbedContentResponse(result.response)
          : renderGenerateContentResponse(result.response),
    };
  const status = result.error?.statusCode;
  const { code, status: name } =
    result.outcome === "cancelled"
      ? { code: 1, status: "CANCELLED" }
      : result.outcome === "expired"
        ? { code: 4, status: "DEADLINE_EXCEEDED" }
        : (rpc[status ?? 0] ?? { code: 13, status: "INTERNAL" });
  return {
    key: result.customId,
    error: { code, message: result.error?.message ?? "The request failed.", status: name },
  };
};

/**
 * Writes a batch's results as Gemini's responses file, in input order (Gemini clients may rely on it). Results
 * are written as soon as every earlier request's result is in; only those that arrive ahead of an earlier one are
 * held, so an upstream that answers in order (most do) keeps memory flat however large the batch.
 */
export const genAiResultSink =
  (deps: FileDeps) =>
  (batch: BatchRecord): ResultSink => {
    const file = new GeneratedFile(deps, batch, "responses", `batch-${batch.id}.jsonl`);
    const ahead = new Map<string, ReturnType<typeof renderGeminiResultLine>>();
    let order: Promise<string[]> | undefined;
    let next = 0;
    const inputOrder = async (): Promise<string[]> => {
      const ids: string[] = [];
      for await (const request of readInputRequests(deps, batch.inputBlobKey)) ids.push(request.customId);
      return ids;
    };
    const flush = async (ids: string[]) => {
      for (let line = ahead.get(ids[next] ?? ""); line !== undefined; line = ahead.get(ids[next] ?? "")) {
        ahead.delete(ids[next]!);
        next++;
        await file.write(line);
      }
    };
    return {
      async write(result) {
        order ??= inputOrder();
        const ids = await order;
        ahead.set(result.customId, renderGeminiResultLine(result, batch.endpoint));
        await flush(ids);
      },
      async close() {
        // The engine writes every request once, so nothing is left ahead; a request it never wrote is skipped.
        const ids = await (order ?? inputOrder());
        while (next < ids.length) {
          if (!ahead.has(ids[next]!)) next++;
          else await flush(ids);
        }
        return { outputFileId: await file.close() };
      },
    };
  };
