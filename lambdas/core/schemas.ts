import * as z from "zod";
import { providers } from "./model";

/** A provider name; the message lists the valid ones. */
export const providerSchema = z.enum(providers, {
  error: (issue) => `unknown provider ${JSON.stringify(issue.input)}; use one of ${providers.join(", ")}`,
});

/** An integer given as a query or form string. */
export const intString = (min: number, max: number) =>
  z.string().regex(/^\d+$/, "expected an integer").transform(Number).pipe(z.number().int().min(min).max(max));
