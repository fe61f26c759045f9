import { lambdaStagedAuthorizer } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { genAiDialect } from "../dialects/genai/dialect";

/** Lambda authorizer of the `genaiChunks` staged route (lambdas/dialects/staged-routes.ts). */
export const handler = lambdaStagedAuthorizer(genAiDialect, "genaiChunks", { blobs: blobsFromEnv });
