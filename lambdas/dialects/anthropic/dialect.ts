import { ErrorKind, type GatewayError } from "../../core/errors";
import type { DialectDefinition } from "../../http/dialect-handler";
import { json } from "../../http/response";

const typeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "invalid_request_error",
  [ErrorKind.authentication]: "authentication_error",
  [ErrorKind.permission]: "permission_error",
  [ErrorKind.notFound]: "not_found_error",
  [ErrorKind.conflict]: "invalid_request_error",
  [ErrorKind.payloadTooLarge]: "request_too_large",
  [ErrorKind.rateLimit]: "rate_limit_error",
  [ErrorKind.upstream]: "api_error",
  [ErrorKind.internal]: "api_error",
};

/** Renders an error as Anthropic's `{type:"error", error:{type, message}}`. */
export const renderAnthropicError = (error: GatewayError) =>
  json(error.statusCode, { type: "error", error: { type: typeOf[error.kind], message: error.message } });

/** The Anthropic SDK's front door at `{GW}/anthropic`; its Files and Message Batches routes arrive with issue 5. */
export const anthropicDialect = (): DialectDefinition => ({ name: "anthropic", renderError: renderAnthropicError, routes: [] });
