import { ErrorKind, type GatewayError } from "../../core/errors";
import { type HttpResponse, json } from "../../http/response";

/** Anthropic's `error.type` for each neutral kind (the SDK picks its error class from the status). */
export const anthropicErrorType: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "invalid_request_error",
  [ErrorKind.authentication]: "authentication_error",
  [ErrorKind.permission]: "permission_error",
  [ErrorKind.notFound]: "not_found_error",
  [ErrorKind.conflict]: "invalid_request_error",
  [ErrorKind.precondition]: "invalid_request_error",
  [ErrorKind.payloadTooLarge]: "request_too_large",
  [ErrorKind.rateLimit]: "rate_limit_error",
  [ErrorKind.quota]: "billing_error",
  [ErrorKind.upstream]: "api_error",
  [ErrorKind.internal]: "api_error",
};

/** Renders an error as Anthropic's `{type:"error", error:{type, message}, request_id}`. */
export const renderAnthropicError = (error: GatewayError): HttpResponse =>
  // A spending limit is Anthropic's billing error, which it answers 402.
  json(error.kind === ErrorKind.quota ? 402 : error.statusCode, {
    type: "error",
    error: { type: anthropicErrorType[error.kind], message: error.message },
    request_id: null,
  });
