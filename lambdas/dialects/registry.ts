import { anthropicDialect } from "./anthropic/dialect";
import { bedrockDialect } from "./bedrock/dialect";
import type { DialectRegistry } from "./dialect-module";
import { genAiDialect } from "./genai/dialect";
import { openAiDialect } from "./openai/dialect";

/**
 * Every dialect, one line each. Total over `Dialect`: a dialect that is declared but not registered (or
 * registered without its sink or one of its front doors) is a compile error.
 */
export const dialects: DialectRegistry = {
  openai: openAiDialect,
  anthropic: anthropicDialect,
  genai: genAiDialect,
  bedrock: bedrockDialect,
};
