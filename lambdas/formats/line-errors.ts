import type * as z from "zod";
import { BadRequestError, Field } from "../core/errors";

/** Validates one input line with a schema; the first problem becomes a 400 naming the line and the field. */
export const parseLine = <S extends z.ZodType>(schema: S, value: unknown, lineNumber: number): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join(".");
  throw new BadRequestError(`Line ${lineNumber}: ${path ? `'${path}' ` : ""}${issue?.message ?? "is malformed"}.`, {
    param: Field.input,
  });
};
