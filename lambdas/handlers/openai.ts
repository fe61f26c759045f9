import { openAiDialect } from "../dialects/openai/dialect";
import { createDialectHandler } from "../http/dialect-handler";
import { authenticatorFromEnv, batchDepsFromEnv, limiterFromEnv } from "../state/aws-deps";

/** Lambda entry point for `{GW}/openai`. */
export const handler = createDialectHandler(
  openAiDialect(batchDepsFromEnv()),
  authenticatorFromEnv(),
  limiterFromEnv(),
);
