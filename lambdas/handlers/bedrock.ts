import { bedrockDialect } from "../dialects/bedrock/dialect";
import { createDialectHandler } from "../http/dialect-handler";

/** Lambda entry point for `{GW}/bedrock`. */
export const handler = createDialectHandler(bedrockDialect());
