import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { runnerFromEnv } from "../app/aws-runner";
import { spendingFromEnv } from "../app/aws-spending";
import { genAiDialect } from "../dialects/genai/dialect";

/** Lambda entry point of the `genai` front door (lambdas/dialects/front-doors.ts). */
export const handler = lambdaFrontDoor(genAiDialect, "genai", {
  runner: runnerFromEnv,
  spending: spendingFromEnv,
  blobs: blobsFromEnv,
});
