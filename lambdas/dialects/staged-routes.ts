import type { FrontDoorId } from "./front-doors";

/**
 * A route whose request body never passes through a Lambda: API Gateway stores it straight into the staging bucket
 * (an S3 service integration), once a Lambda authorizer has admitted the request from its headers and named where
 * the bytes go. This is how chunks larger than a Lambda event (6 MB) arrive. The stack deploys each row
 * (lib/constructs/gateway-api.ts) and the local server runs the same rows (local/http-adapter.ts), so the tests
 * drive what AWS runs.
 *
 * What the authorizer answers is the contract both read (lambdas/http/staged-contract.ts).
 */
export interface StagedRouteSpec {
  /** The front door whose SDK sends these requests (its envelope renders the errors). */
  readonly frontDoor: FrontDoorId;
  /** Resource path under the front door's mount, with `{name}` parameters. */
  readonly path: string;
  readonly method: "POST" | "PUT";
  /** File name (without `.ts`) of the authorizer's entry point in `lambdas/handlers/`. */
  readonly authorizerEntry: string;
  /** Response headers the authorizer sets. */
  readonly responseHeaders: readonly string[];
  /**
   * Headers of the bucket's answer passed on when the authorizer leaves them out, named as S3 sends them (`ETag`):
   * API Gateway maps integration response headers case-sensitively.
   */
  readonly storeHeaders: readonly string[];
}

/** Every staged route, one row each. */
export const stagedRoutes = {
  genaiChunks: {
    frontDoor: "genai",
    path: "upload-sessions/{session}",
    method: "POST",
    authorizerEntry: "genai-chunks",
    responseHeaders: ["x-goog-upload-status", "content-type"],
    storeHeaders: [],
  },
  /** S3 PutObject and UploadPart: the same PUT on an object's path (only the query tells them apart). */
  s3Bodies: {
    frontDoor: "bedrockFiles",
    path: "{proxy+}",
    method: "PUT",
    authorizerEntry: "bedrock-files-bodies",
    responseHeaders: ["etag", "content-type"],
    storeHeaders: ["ETag"],
  },
} as const satisfies Record<string, StagedRouteSpec>;

export type StagedRouteId = keyof typeof stagedRoutes;
