import type { z } from "zod";
import { BadRequestError } from "./errors";

/**
 * Validates an untrusted payload with a schema. The first problem becomes a 400 naming the field
 * (`param`), so every dialect reports it the same way.
 */
export const parseWith = <S extends z.ZodType>(schema: S, value: unknown, where = "request"): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.map(String).join(".") || undefined;
  const field = param ? `'${param}'` : `the ${where}`;
  throw new BadRequestError(`Invalid ${field}: ${issue?.message ?? "malformed"}.`, { param });
};
