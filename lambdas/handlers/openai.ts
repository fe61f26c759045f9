import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { runnerFromEnv } from "../app/aws-runner";
import { spendingFromEnv } from "../app/aws-spending";
import { openAiDialect } from "../dialects/openai/dialect";

/** Lambda entry point of the `openai` front door (lambdas/dialects/front-doors.ts). */
export const handler = lambdaFrontDoor(openAiDialect, "openai", {
  runner: runnerFromEnv,
  spending: spendingFromEnv,
  blobs: blobsFromEnv,
});
