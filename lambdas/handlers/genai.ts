import { genAiDialect } from "../dialects/genai/dialect";
import { createDialectHandler } from "../http/dialect-handler";
import { authenticatorFromEnv, batchDepsFromEnv, limiterFromEnv } from "../state/aws-deps";

/** Lambda entry point for `{GW}/genai`. */
export const handler = createDialectHandler(genAiDialect(batchDepsFromEnv()), authenticatorFromEnv(), limiterFromEnv());
