import * as z from "zod";
import { BadRequestError } from "./errors";

/**
 * Validates an untrusted payload with a schema. The first problem becomes a 400 naming the field
 * (`param`), so every dialect reports it the same way.
 */
export const parseWith = <S extends z.ZodType>(schema: S, value: unknown, where = "request"): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = deepest(result.error.issues[0]);
  const at = issue?.path.map(String).join(".") || undefined;
  if (issue?.code === "unrecognized_keys" && issue.keys?.length) {
    // A field it does not know is refused by name, never dropped; at the top, with what it does take.
    const param = at ? `${at}.${issue.keys[0]}` : issue.keys[0];
    const known = !at && schema instanceof z.ZodObject ? `: it takes ${Object.keys(schema.shape).join(", ")}` : "";
    throw new BadRequestError(`Unknown ${where} field '${param}'${known}.`, { param });
  }
  const field = at ? `'${at}'` : where;
  throw new BadRequestError(`Invalid ${field}: ${issue?.message ?? "malformed"}.`, { param: at });
};

/** A zod issue, as `parseWith` reads it: its path, its message, and for a union the issues of each alternative. */
interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  errors?: Issue[][];
  /** The fields an `unrecognized_keys` issue names. */
  keys?: string[];
}

/**
 * For a union (`Invalid input.` says nothing), the issue of the alternative that got furthest — the deepest path —
 * with the union's own path before it: what the caller most likely meant, and what it lacks.
 */
const deepest = (issue: Issue | undefined): Issue | undefined => {
  if (issue?.code !== "invalid_union" || !issue.errors?.length) return issue;
  const candidates = issue.errors.flatMap((alternative) => alternative.slice(0, 1)).map(deepest);
  // Deepest first; at equal depth, the alternative whose field the caller did send (not "received undefined").
  const absent = (c: Issue) => (c.message.includes("received undefined") ? 1 : 0);
  const best = candidates
    .filter((c): c is Issue => c !== undefined)
    .sort((a, b) => b.path.length - a.path.length || absent(a) - absent(b))[0];
  return best ? { ...best, path: [...issue.path, ...best.path] } : issue;
};
