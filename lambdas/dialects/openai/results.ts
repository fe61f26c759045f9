import type { FileDeps } from "../../core/files";
import { GeneratedFile } from "../../core/generated-files";
import { newId } from "../../core/ids";
import type { BatchRecord, NeutralResult } from "../../core/model";
import type { ResultSink } from "../../core/ports";
import { renderChatCompletion } from "../../formats/openai-batch";

const errorType = (status: number): string =>
  status === 401
    ? "authentication_error"
    : status === 429
      ? "rate_limit_error"
      : status >= 500
        ? "server_error"
        : "invalid_request_error";

/** One neutral result as an OpenAI `BatchRequestOutput` line; `isError` says which file it belongs in. */
export const renderOpenAiResultLine = (result: NeutralResult) => {
  const id = `batch_req_${newId()}`;
  const requestId = `req_${newId()}`;
  if (result.outcome === "succeeded" && result.response) {
    return {
      isError: false,
      line: {
        id,
        custom_id: result.customId,
        response: { status_code: 200, request_id: requestId, body: renderChatCompletion(result.response) },
        error: null,
      },
    };
  }
  const error = result.error ?? { code: "unknown_error", message: "The request failed." };
  if (error.statusCode !== undefined) {
    const body = {
      error: { message: error.message, type: errorType(error.statusCode), param: null, code: error.code },
    };
    return {
      isError: true,
      line: {
        id,
        custom_id: result.customId,
        response: { status_code: error.statusCode, request_id: requestId, body },
        error: null,
      },
    };
  }
  return {
    isError: true,
    line: { id, custom_id: result.customId, response: null, error: { code: error.code, message: error.message } },
  };
};

/** Writes a batch's results as OpenAI's output file (successes) and error file (everything else). */
export const openAiResultSink =
  (deps: FileDeps) =>
  (batch: BatchRecord): ResultSink => {
    const output = new GeneratedFile(deps, batch, "output", `batch_${batch.id}_output.jsonl`);
    const errors = new GeneratedFile(deps, batch, "error", `batch_${batch.id}_error.jsonl`);
    return {
      async write(result) {
        const { isError, line } = renderOpenAiResultLine(result);
        await (isError ? errors : output).write(line);
      },
      async close() {
        const [outputFileId, errorFileId] = await Promise.all([output.close(), errors.close()]);
        return { outputFileId, errorFileId };
      },
    };
  };
