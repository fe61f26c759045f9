import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { spendingFromEnv } from "../app/aws-spending";
import { openAiDialect } from "../dialects/openai/dialect";
import { FileConsoleFiles } from "../state/file-console-files";

/**
 * Lambda entry point of the `finops` front door (lambdas/dialects/front-doors.ts): estimates read files and price,
 * and the console's files sit in its asset (lib/constructs/gateway-function.ts).
 */
export const handler = lambdaFrontDoor(openAiDialect, "finops", {
  spending: spendingFromEnv,
  blobs: blobsFromEnv,
  consoleFiles: (env) => new FileConsoleFiles(env.LAMBDA_TASK_ROOT ?? "."),
});
