import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { runnerFromEnv } from "../app/aws-runner";
import { spendingFromEnv } from "../app/aws-spending";
import { bedrockDialect } from "../dialects/bedrock/dialect";

/** Lambda entry point of the `bedrock` front door (lambdas/dialects/front-doors.ts). */
export const handler = lambdaFrontDoor(bedrockDialect, "bedrock", {
  runner: runnerFromEnv,
  spending: spendingFromEnv,
  blobs: blobsFromEnv,
});
