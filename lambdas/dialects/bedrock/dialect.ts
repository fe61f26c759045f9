import { ErrorKind, type GatewayError } from "../../core/errors";
import type { DialectDefinition } from "../../http/dialect-handler";
import { json } from "../../http/response";
import { awsPresented } from "./auth";
import { type BedrockJobDeps, bedrockJobRoutes } from "./jobs";

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
export const renderBedrockError = (error: GatewayError) => {
  // AWS services answer an unknown key or a bad signature with these codes, which the SDKs raise by name.
  const awsAuth: Record<string, string> = {
    InvalidAccessKeyId: "UnrecognizedClientException",
    SignatureDoesNotMatch: "InvalidSignatureException",
  };
  const type = error.code
    ? (awsAuth[error.code] ?? (error.kind === ErrorKind.permission ? error.code : typeOf[error.kind]))
    : typeOf[error.kind];
  return json(error.statusCode, { message: error.message }, { "x-amzn-errortype": type });
};

/** The Bedrock control plane's front door at `{GW}/bedrock`: model invocation jobs on any provider. */
export const bedrockDialect = (deps: BedrockJobDeps): DialectDefinition => {
  const jobs = bedrockJobRoutes(deps);
  return {
    name: "bedrock",
    renderError: renderBedrockError,
    presented: awsPresented,
    routes: [
      { method: "POST", path: "/bedrock/model-invocation-job", handler: jobs.create },
      { method: "GET", path: "/bedrock/model-invocation-job/{jobIdentifier}", handler: jobs.get },
      { method: "POST", path: "/bedrock/model-invocation-job/{jobIdentifier}/stop", handler: jobs.stop },
      { method: "GET", path: "/bedrock/model-invocation-jobs", handler: jobs.list },
    ],
  };
};
