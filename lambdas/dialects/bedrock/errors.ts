import { ErrorKind, type GatewayError } from "../../core/errors";
import { PartProblem } from "../../core/object-uploads";
import { json } from "../../http/response";
import { escapeXml } from "../../http/xml";

const typeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "ValidationException",
  [ErrorKind.authentication]: "UnrecognizedClientException",
  [ErrorKind.permission]: "AccessDeniedException",
  [ErrorKind.notFound]: "ResourceNotFoundException",
  [ErrorKind.conflict]: "ConflictException",
  [ErrorKind.precondition]: "ConflictException",
  [ErrorKind.payloadTooLarge]: "ValidationException",
  [ErrorKind.rateLimit]: "ThrottlingException",
  [ErrorKind.quota]: "ServiceQuotaExceededException",
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
  // Bedrock answers an exceeded quota 400, as ServiceQuotaExceededException.
  const status = error.kind === ErrorKind.quota ? 400 : error.statusCode;
  return json(status, { message: error.message }, { "x-amzn-errortype": type });
};

const codeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "InvalidRequest",
  [ErrorKind.authentication]: "InvalidAccessKeyId",
  [ErrorKind.permission]: "AccessDenied",
  [ErrorKind.notFound]: "NoSuchKey",
  [ErrorKind.conflict]: "OperationAborted",
  [ErrorKind.precondition]: "PreconditionFailed",
  [ErrorKind.payloadTooLarge]: "EntityTooLarge",
  [ErrorKind.rateLimit]: "SlowDown",
  [ErrorKind.quota]: "AccessDenied",
  [ErrorKind.upstream]: "ServiceUnavailable",
  [ErrorKind.internal]: "InternalError",
};

/** S3's words for core's neutral reasons a parted upload cannot be completed. */
const partCodes: Record<string, string> = {
  [PartProblem.noUpload]: "NoSuchUpload",
  [PartProblem.missing]: "InvalidPart",
  [PartProblem.order]: "InvalidPartOrder",
  [PartProblem.tooSmall]: "EntityTooSmall",
};

/** Renders an error as S3's XML `<Error><Code/><Message/></Error>` (S3 answers every auth failure with 403). */
export const renderS3Error = (error: GatewayError) => {
  const auth = error.kind === ErrorKind.authentication;
  const code = error.code && (partCodes[error.code] ?? error.code);
  return {
    statusCode: auth ? 403 : error.statusCode,
    headers: { "content-type": "application/xml" },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${auth ? "AccessDenied" : (code ?? codeOf[error.kind])}` +
      `</Code><Message>${escapeXml(error.message)}</Message></Error>`,
  };
};
