import { bedrockDialect } from "../dialects/bedrock/dialect";
import { createDialectHandler } from "../http/dialect-handler";
import { authenticatorFromEnv, bedrockDepsFromEnv, limiterFromEnv } from "../state/aws-deps";

/** Lambda entry point for `{GW}/bedrock` (model invocation jobs). */
export const handler = createDialectHandler(
  bedrockDialect(bedrockDepsFromEnv()),
  authenticatorFromEnv(),
  limiterFromEnv(),
);
