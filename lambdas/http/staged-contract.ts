import { chunkMetaName } from "../core/layout";

/*
 * What a staged route's Lambda authorizer answers (lambdas/http/staged-authorizer.ts), read both by the deployed
 * API's mapping templates (lib/constructs/gateway-api.ts) and by the local adapter (local/http-adapter.ts):
 * - allowed: `session` and `chunk` (the body is stored at `staged/uploads/{session}/chunks/{chunk}`), `meta` (stored
 *   with it as its `x-amz-meta-finops` metadata), `status` and `body` (the response), and one entry per name of the
 *   route's `responseHeaders` (its value, or "" to leave it out);
 * - denied: `body`, the error in the front door's envelope, answered with status 403.
 */

/** The context key of a response header in the authorizer's answer (`x-goog-upload-status` → `x_goog_upload_status`). */
export const headerContextKey = (header: string): string => header.replace(/-/g, "_");

/**
 * Every status a staged route's answer can carry: an admission's (200) or a refusal's (lambdas/core/errors.ts). The
 * deployed mapping template sets the response status from this list; the authorizer answers no other.
 */
export const stagedStatuses = [200, 400, 401, 403, 404, 409, 412, 413, 429, 500, 502, 503] as const;

/** The metadata header the stored body carries (what the authorizer's `meta` holds). */
export const stagedMetaHeader = `x-amz-meta-${chunkMetaName}`;
