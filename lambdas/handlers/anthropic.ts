import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { runnerFromEnv } from "../app/aws-runner";
import { spendingFromEnv } from "../app/aws-spending";
import { anthropicDialect } from "../dialects/anthropic/dialect";

/** Lambda entry point of the `anthropic` front door (lambdas/dialects/front-doors.ts). */
export const handler = lambdaFrontDoor(anthropicDialect, "anthropic", {
  runner: runnerFromEnv,
  spending: spendingFromEnv,
  blobs: blobsFromEnv,
});
