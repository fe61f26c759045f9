import { ErrorKind, type GatewayError } from "../../core/errors";
import { json } from "../../http/response";

const statusOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "INVALID_ARGUMENT",
  [ErrorKind.authentication]: "UNAUTHENTICATED",
  [ErrorKind.permission]: "PERMISSION_DENIED",
  [ErrorKind.notFound]: "NOT_FOUND",
  [ErrorKind.conflict]: "FAILED_PRECONDITION",
  [ErrorKind.precondition]: "FAILED_PRECONDITION",
  [ErrorKind.payloadTooLarge]: "INVALID_ARGUMENT",
  [ErrorKind.rateLimit]: "RESOURCE_EXHAUSTED",
  [ErrorKind.quota]: "RESOURCE_EXHAUSTED",
  [ErrorKind.upstream]: "UNAVAILABLE",
  [ErrorKind.internal]: "INTERNAL",
};

/** Renders an error as Google's `{error:{code, message, status}}`. */
export const renderGenAiError = (error: GatewayError) =>
  json(error.statusCode, { error: { code: error.statusCode, message: error.message, status: statusOf[error.kind] } });
