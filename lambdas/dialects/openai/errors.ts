import { ErrorKind, type GatewayError } from "../../core/errors";
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
  [ErrorKind.upstream]: { type: "server_error", code: "upstream_error" },
  [ErrorKind.internal]: { type: "server_error", code: null },
};

/** Renders any gateway error as OpenAI's `{error:{message,type,param,code}}`. */
export const renderOpenAiError = (error: GatewayError): HttpResponse => {
  const { type, code } = typeOf[error.kind];
  return json(error.statusCode, { error: { message: error.message, type, param: error.param ?? null, code } });
};
