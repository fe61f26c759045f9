/** Where the gateway's CloudFront Function lives, and how its base path is set (at synth, and by the local front). */
export const viewerRequestFile = "lambdas/edge/viewer-request.js";

/** The function's code for a base path ("" serves at the root). */
export const viewerRequestCode = (source: string, basePath: string): string =>
  source.replace('"__FINOPS_BASE_PATH__"', JSON.stringify(basePath));
