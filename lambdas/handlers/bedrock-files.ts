import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { bedrockDialect } from "../dialects/bedrock/dialect";

/** Lambda entry point of the `bedrockFiles` front door (lambdas/dialects/front-doors.ts). */
export const handler = lambdaFrontDoor(bedrockDialect, "bedrockFiles", { blobs: blobsFromEnv });
