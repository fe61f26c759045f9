import { ErrorKind, Field, type GatewayError } from "../../core/errors";
import { type HttpResponse, json } from "../../http/response";

/** OpenAI's `error.type` and `error.code` for each neutral kind (the SDK picks its error class from the status). */
const typeOf: Record<ErrorKind, { type: string; code: string | null }> = {
  [ErrorKind.invalidRequest]: { type: "invalid_request_error", code: null },
  [ErrorKind.authentication]: { type: "invalid_request_error", code: "invalid_api_key" },
  [ErrorKind.permission]: { type: "invalid_request_error", code: "permission_denied" },
  [ErrorKind.notFound]: { type: "invalid_request_error", code: null },
  [ErrorKind.conflict]: { type: "invalid_request_error", code: "conflict" },
  [ErrorKind.precondition]: { type: "invalid_request_error", code: "precondition_failed" },
  [ErrorKind.payloadTooLarge]: { type: "invalid_request_error", code: "request_too_large" },
  [ErrorKind.rateLimit]: { type: "requests", code: "rate_limit_exceeded" },
  [ErrorKind.quota]: { type: "insufficient_quota", code: "insufficient_quota" },
  [ErrorKind.upstream]: { type: "server_error", code: "upstream_error" },
  [ErrorKind.internal]: { type: "server_error", code: null },
};

/** OpenAI's names for core's neutral fields. */
const paramOf: Record<string, string> = { [Field.input]: "input_file_id" };

/** Renders any gateway error as OpenAI's `{error:{message,type,param,code}}`. */
export const renderOpenAiError = (error: GatewayError): HttpResponse => {
  const { type, code } = typeOf[error.kind];
  // The param may be a name the caller chose: read the map's own entries only, never its prototype's.
  const param =
    error.param === undefined ? null : Object.hasOwn(paramOf, error.param) ? paramOf[error.param] : error.param;
  return json(error.statusCode, { error: { message: error.message, type, param, code } });
};
