import { createHash } from "node:crypto";

const safe = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The id a request carries upstream. Anthropic requires `^[a-zA-Z0-9_-]{1,64}$` and Bedrock record ids are
 * safest in the same alphabet, so any other `custom_id` is replaced by a hash of it; the collector maps it
 * back from the input file.
 */
export const upstreamKey = (customId: string): string =>
  safe.test(customId) ? customId : `h-${createHash("sha256").update(customId).digest("hex").slice(0, 40)}`;
