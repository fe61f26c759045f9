import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { spendingFromEnv } from "../app/aws-spending";
import { openAiDialect } from "../dialects/openai/dialect";

/** Lambda entry point of the `finops` front door (lambdas/dialects/front-doors.ts): estimates read files and price. */
export const handler = lambdaFrontDoor(openAiDialect, "finops", { spending: spendingFromEnv, blobs: blobsFromEnv });
