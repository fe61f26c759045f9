import { lambdaStagedAuthorizer } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { bedrockDialect } from "../dialects/bedrock/dialect";

/** Lambda authorizer of the `s3Bodies` staged route (lambdas/dialects/staged-routes.ts). */
export const handler = lambdaStagedAuthorizer(bedrockDialect, "s3Bodies", { blobs: blobsFromEnv });
