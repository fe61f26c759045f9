import { bedrockFilesDialect } from "../dialects/bedrock/s3-dialect";
import { createDialectHandler } from "../http/dialect-handler";
import { authenticatorFromEnv, limiterFromEnv, s3DepsFromEnv } from "../state/aws-deps";

/** Lambda entry point for `{GW}/bedrock/files` (the S3-compatible file API). */
export const handler = createDialectHandler(
  bedrockFilesDialect(s3DepsFromEnv()),
  authenticatorFromEnv(),
  limiterFromEnv(),
);
