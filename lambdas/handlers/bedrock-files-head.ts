import { lambdaFrontDoor } from "../app/aws";
import { blobsFromEnv } from "../app/aws-blobs";
import { bedrockDialect } from "../dialects/bedrock/dialect";

/** Lambda entry point of the `bedrockFiles` front door's HEAD method: buffered, so `Content-Length` survives. */
export const handler = lambdaFrontDoor(bedrockDialect, "bedrockFiles", { blobs: blobsFromEnv }, { buffered: true });
