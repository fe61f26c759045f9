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

/**
 * A line's keys beside its payload are refused by name: an unknown one (a typo of `custom_id`, a field meant for
 * the body) would be dropped by the conversion, or refused by the provider only after the batch was created.
 */
export const refuseOtherKeys = (
  value: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
  lineNumber: number,
): void => {
  const other = Object.keys(value).find((key) => !allowed.includes(key));
  if (other === undefined) return;
  throw new BadRequestError(
    `Line ${lineNumber}: '${other}' is not a field of ${what}, which holds ${allowed.join(", ")}.`,
    { param: Field.input },
  );
};
