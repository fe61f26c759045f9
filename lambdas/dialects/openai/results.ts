import { type ChatResponse, chatEndpoint } from "../../core/chat";
import { responsesEndpoint } from "../../core/endpoints";
import type { FileDeps } from "../../core/files";
import { GeneratedFile } from "../../core/generated-files";
import { newId } from "../../core/ids";
import type { BatchRecord, NeutralResult } from "../../core/model";
import type { ResultSink } from "../../core/ports";
import { renderChatCompletion } from "../../formats/openai-batch";
import { renderResponse } from "../../formats/openai-responses";

const errorType = (status: number): string =>
  status === 401
    ? "authentication_error"
    : status === 429
      ? "rate_limit_error"
      : status >= 500
        ? "server_error"
        : "invalid_request_error";

/** An answer as the endpoint's body: OpenAI's own where OpenAI ran it, else a `response` or a `chat.completion`. */
const bodyOf = (response: ChatResponse, endpoint: string) =>
  endpoint === responsesEndpoint && response.native?.format !== "openai"
    ? renderResponse(response, newId)
    : renderChatCompletion(response);

/** One neutral result as an OpenAI `BatchRequestOutput` line; `isError` says which file it belongs in. */
export const renderOpenAiResultLine = (result: NeutralResult, endpoint: string = chatEndpoint) => {
  const id = `batch_req_${newId()}`;
  const requestId = `req_${newId()}`;
  if (result.outcome === "succeeded" && result.response) {
    return {
      isError: false,
      line: {
        id,
        custom_id: result.customId,
        response: { status_code: 200, request_id: requestId, body: bodyOf(result.response, endpoint) },
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
        const { isError, line } = renderOpenAiResultLine(result, batch.endpoint);
        await (isError ? errors : output).write(line);
      },
      async close() {
        const [outputFileId, errorFileId] = await Promise.all([output.close(), errors.close()]);
        return { outputFileId, errorFileId };
      },
    };
  };
