import { ErrorKind, type GatewayError } from "../../core/errors";
import type { DialectDefinition } from "../../http/dialect-handler";
import { type BedrockJobDeps, bedrockJobRoutes } from "./jobs";
import { json } from "../../http/response";

const typeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "ValidationException",
  [ErrorKind.authentication]: "UnrecognizedClientException",
  [ErrorKind.permission]: "AccessDeniedException",
  [ErrorKind.notFound]: "ResourceNotFoundException",
  [ErrorKind.conflict]: "ConflictException",
  [ErrorKind.precondition]: "ConflictException",
  [ErrorKind.payloadTooLarge]: "ValidationException",
  [ErrorKind.rateLimit]: "ThrottlingException",
  [ErrorKind.upstream]: "ServiceUnavailableException",
  [ErrorKind.internal]: "InternalServerException",
};

/** Renders an error as AWS JSON: `x-amzn-ErrorType` names the exception the SDK throws. */
export const renderBedrockError = (error: GatewayError) =>
  json(error.statusCode, { message: error.message }, { "x-amzn-errortype": typeOf[error.kind] });

/** The Bedrock control plane's front door at `{GW}/bedrock`: model invocation jobs on any provider. */
export const bedrockDialect = (deps: BedrockJobDeps): DialectDefinition => {
  const jobs = bedrockJobRoutes(deps);
  return {
    name: "bedrock",
    renderError: renderBedrockError,
    routes: [
      { method: "POST", path: "/bedrock/model-invocation-job", handler: jobs.create },
      { method: "GET", path: "/bedrock/model-invocation-job/{jobIdentifier}", handler: jobs.get },
      { method: "POST", path: "/bedrock/model-invocation-job/{jobIdentifier}/stop", handler: jobs.stop },
      { method: "GET", path: "/bedrock/model-invocation-jobs", handler: jobs.list },
    ],
  };
};
