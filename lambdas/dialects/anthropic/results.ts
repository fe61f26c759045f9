import { argumentsObject, type ChatResponse, uncachedInputTokens } from "../../core/chat";
import type { FileDeps } from "../../core/files";
import { GeneratedFile } from "../../core/generated-files";
import { newId } from "../../core/ids";
import type { BatchRecord, NeutralResult } from "../../core/model";
import type { ResultSink } from "../../core/ports";

const stopReasons: Record<ChatResponse["finishReason"], string> = {
  stop: "end_turn",
  length: "max_tokens",
  content_filter: "refusal",
  tool_calls: "tool_use",
};

/** A neutral response as an Anthropic Messages `message`; one Anthropic answered is rendered as it answered. */
export const renderAnthropicMessage = (response: ChatResponse) =>
  response.native?.format === "anthropic" ? response.native.body : neutralMessage(response);

const neutralMessage = (response: ChatResponse) => ({
  id: response.id.startsWith("msg_") ? response.id : `msg_${newId()}`,
  type: "message",
  role: "assistant",
  model: response.model,
  content: [
    // Reasoning another provider showed, as a thinking block (no signature: it cannot be sent back to Anthropic).
    ...(response.reasoning ? [{ type: "thinking", thinking: response.reasoning, signature: "" }] : []),
    ...(response.text !== "" || !response.toolCalls ? [{ type: "text", text: response.text }] : []),
    ...(response.toolCalls ?? []).map((call) => ({
      type: "tool_use",
      id: call.id,
      name: call.name,
      input: argumentsObject(call.arguments),
    })),
  ],
  stop_reason: stopReasons[response.finishReason],
  stop_sequence: null,
  usage: {
    input_tokens: uncachedInputTokens(response.usage),
    output_tokens: response.usage.outputTokens,
    cache_creation_input_tokens: response.usage.cacheWriteTokens ?? 0,
    cache_read_input_tokens: response.usage.cachedInputTokens ?? 0,
    service_tier: "batch",
  },
});

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** One neutral result as an Anthropic results line `{custom_id, result}`. */
export const renderAnthropicResultLine = (result: NeutralResult) => {
  if (result.outcome === "succeeded" && result.response)
    return {
      custom_id: result.customId,
      result: { type: "succeeded", message: renderAnthropicMessage(result.response) },
    };
  if (result.outcome === "cancelled") return { custom_id: result.customId, result: { type: "canceled" } };
  if (result.outcome === "expired") return { custom_id: result.customId, result: { type: "expired" } };
  const status = result.error?.statusCode ?? 500;
  const type = errorTypes[status] ?? "api_error";
  return {
    custom_id: result.customId,
    result: {
      type: "errored",
      error: {
        type: "error",
        error: { type, message: result.error?.message ?? "The request failed." },
        request_id: null,
      },
    },
  };
};

/** Writes a batch's results as Anthropic's one results JSONL file (every outcome in the same file). */
export const anthropicResultSink =
  (deps: FileDeps) =>
  (batch: BatchRecord): ResultSink => {
    const file = new GeneratedFile(deps, batch, "results", `msgbatch_${batch.id}_results.jsonl`);
    return {
      write: (result) => file.write(renderAnthropicResultLine(result)),
      close: async () => ({ outputFileId: await file.close() }),
    };
  };
