import { genAiDialect } from "../dialects/genai/dialect";
import { createDialectHandler } from "../http/dialect-handler";

/** Lambda entry point for `{GW}/genai`. */
export const handler = createDialectHandler(genAiDialect());
