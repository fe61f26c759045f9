import { ErrorKind, type GatewayError } from "../../core/errors";
import type { DialectDefinition } from "../../http/dialect-handler";
import { json } from "../../http/response";

const typeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "ValidationException",
  [ErrorKind.authentication]: "UnrecognizedClientException",
  [ErrorKind.permission]: "AccessDeniedException",
  [ErrorKind.notFound]: "ResourceNotFoundException",
  [ErrorKind.conflict]: "ConflictException",
  [ErrorKind.payloadTooLarge]: "ValidationException",
  [ErrorKind.rateLimit]: "ThrottlingException",
  [ErrorKind.upstream]: "ServiceUnavailableException",
  [ErrorKind.internal]: "InternalServerException",
};

/** Renders an error as AWS JSON: `x-amzn-ErrorType` names the exception the SDK throws. */
export const renderBedrockError = (error: GatewayError) =>
  json(error.statusCode, { message: error.message }, { "x-amzn-errortype": typeOf[error.kind] });

/** The Bedrock control plane's front door at `{GW}/bedrock`; model invocation jobs arrive with issue 6. */
export const bedrockDialect = (): DialectDefinition => ({ name: "bedrock", renderError: renderBedrockError, routes: [] });
