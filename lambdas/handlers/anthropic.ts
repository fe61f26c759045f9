import { anthropicDialect } from "../dialects/anthropic/dialect";
import { createDialectHandler } from "../http/dialect-handler";

/** Lambda entry point for `{GW}/anthropic`. */
export const handler = createDialectHandler(anthropicDialect());
