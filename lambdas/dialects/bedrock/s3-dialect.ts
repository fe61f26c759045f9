import { ErrorKind, type GatewayError } from "../../core/errors";
import type { DialectDefinition } from "../../http/dialect-handler";

const codeOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "InvalidRequest",
  [ErrorKind.authentication]: "InvalidAccessKeyId",
  [ErrorKind.permission]: "AccessDenied",
  [ErrorKind.notFound]: "NoSuchKey",
  [ErrorKind.conflict]: "OperationAborted",
  [ErrorKind.payloadTooLarge]: "EntityTooLarge",
  [ErrorKind.rateLimit]: "SlowDown",
  [ErrorKind.upstream]: "ServiceUnavailable",
  [ErrorKind.internal]: "InternalError",
};

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Renders an error as S3's XML `<Error><Code/><Message/></Error>`. */
export const renderS3Error = (error: GatewayError) => ({
  statusCode: error.statusCode,
  headers: { "content-type": "application/xml" },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${codeOf[error.kind]}</Code><Message>${escapeXml(error.message)}</Message></Error>`,
});

/** The S3-compatible file API at `{GW}/bedrock/files`; its object routes arrive with issue 6. */
export const bedrockFilesDialect = (): DialectDefinition => ({ name: "bedrock-files", renderError: renderS3Error, routes: [] });
