import type { FileDeps } from "../../core/files";
import { GeneratedFile } from "../../core/generated-files";
import type { BatchRecord, NeutralResult } from "../../core/model";
import type { ResultSink } from "../../core/ports";
import { renderAnthropicMessage } from "../../formats/anthropic-messages";

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
