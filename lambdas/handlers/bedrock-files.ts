import { bedrockFilesDialect } from "../dialects/bedrock/s3-dialect";
import { createDialectHandler } from "../http/dialect-handler";

/** Lambda entry point for `{GW}/bedrock/files`. */
export const handler = createDialectHandler(bedrockFilesDialect());
