import { ErrorKind, type GatewayError } from "../../core/errors";
import type { S3Deps } from "../../core/s3-objects";
import type { DialectDefinition } from "../../http/dialect-handler";
import { escapeXml } from "../../http/xml";
import { awsPresented } from "./auth";
import { s3ObjectRoutes } from "./s3-objects";

const codeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "InvalidRequest",
  [ErrorKind.authentication]: "InvalidAccessKeyId",
  [ErrorKind.permission]: "AccessDenied",
  [ErrorKind.notFound]: "NoSuchKey",
  [ErrorKind.conflict]: "OperationAborted",
  [ErrorKind.precondition]: "PreconditionFailed",
  [ErrorKind.payloadTooLarge]: "EntityTooLarge",
  [ErrorKind.rateLimit]: "SlowDown",
  [ErrorKind.upstream]: "ServiceUnavailable",
  [ErrorKind.internal]: "InternalError",
};

/** Renders an error as S3's XML `<Error><Code/><Message/></Error>` (S3 answers every auth failure with 403). */
export const renderS3Error = (error: GatewayError) => {
  const auth = error.kind === ErrorKind.authentication;
  return {
    statusCode: auth ? 403 : error.statusCode,
    headers: { "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${auth ? "AccessDenied" : (error.code ?? codeOf[error.kind])}</Code><Message>${escapeXml(error.message)}</Message></Error>`,
  };
};

/** The S3-compatible file API at `{GW}/bedrock/files`: a per-tenant bucket/key namespace over gateway files. */
export const bedrockFilesDialect = (deps: S3Deps): DialectDefinition => {
  const objects = s3ObjectRoutes(deps);
  return {
    name: "bedrock-files",
    renderError: renderS3Error,
    presented: awsPresented,
    routes: [
      { method: "ANY", path: "/bedrock/files", handler: objects.handle },
      { method: "ANY", path: "/bedrock/files/{proxy+}", handler: objects.handle },
    ],
  };
};
