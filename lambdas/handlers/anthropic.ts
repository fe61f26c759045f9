import { anthropicDialect } from "../dialects/anthropic/dialect";
import { createDialectHandler } from "../http/dialect-handler";
import { authenticatorFromEnv, batchDepsFromEnv, limiterFromEnv } from "../state/aws-deps";

/** Lambda entry point for `{GW}/anthropic`. */
export const handler = createDialectHandler(
  anthropicDialect(batchDepsFromEnv()),
  authenticatorFromEnv(),
  limiterFromEnv(),
);
