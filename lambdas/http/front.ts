/**
 * The other half of the gateway's CloudFront Function (lambdas/edge/viewer-request.js): the headers it copied at the
 * edge, before API Gateway dropped or rewrote them, put back as the client sent them.
 */

/** Prefix of the copies the function makes (it removes any a client sent). */
export const viewerHeaderPrefix = "x-finops-viewer-";

/** The headers the function copies: what a SigV4 verifier and absolute URLs need and API Gateway does not pass. */
export const viewerHeaders = ["authorization", "host", "content-length", "content-md5"] as const;

/** What a request looked like to the client, where it came through the front. */
export interface Viewer {
  /** The path prefix the client used before the API's own paths ("" at the root). */
  basePath: string;
}

/**
 * Puts the copied headers back in place of what API Gateway passed (lowercased names, changed in place), and says
 * whether the request came through the front at all (a direct call to the API has no copies).
 */
export const restoreViewerHeaders = (headers: Record<string, string>): Viewer | undefined => {
  const host = headers[`${viewerHeaderPrefix}host`];
  if (host === undefined) return undefined;
  const basePath = headers[`${viewerHeaderPrefix}base-path`] ?? "";
  for (const name of viewerHeaders) {
    const copy = headers[`${viewerHeaderPrefix}${name}`];
    if (copy === undefined) delete headers[name];
    else headers[name] = copy;
  }
  for (const name of Object.keys(headers)) if (name.startsWith(viewerHeaderPrefix)) delete headers[name];
  return { basePath };
};
