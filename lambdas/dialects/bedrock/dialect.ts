import type { GatewayDeps } from "../../core/deps";
import type { FrontDoor } from "../../http/dialect-handler";
import { batchIdIn } from "../batch-ids";
import type { DialectModule } from "../dialect-module";
import { awsPresented } from "./auth";
import { renderBedrockError, renderS3Error } from "./errors";
import { bedrockJobRoutes } from "./jobs";
import { bedrockResultSink } from "./results";
import { signedResourceOf } from "./s3-location";
import { s3BodyAdmitter } from "./s3-multipart";
import { s3ObjectRoutes } from "./s3-objects";

/** The Bedrock control plane's front door at `{GW}/bedrock`: model invocation jobs on any provider. */
const bedrockFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const jobs = bedrockJobRoutes(deps);
  return {
    name: "bedrock",
    renderError: renderBedrockError,
    presented: awsPresented,
    routes: [
      { method: "POST", path: "/model-invocation-job", handler: jobs.create },
      { method: "GET", path: "/model-invocation-job/{jobIdentifier}", handler: jobs.get },
      { method: "POST", path: "/model-invocation-job/{jobIdentifier}/stop", handler: jobs.stop },
      { method: "GET", path: "/model-invocation-jobs", handler: jobs.list },
    ],
  };
};

/** The S3-compatible file API at `{GW}/bedrock/files`: a per-tenant bucket/key namespace over gateway files. */
const bedrockFilesFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const objects = s3ObjectRoutes(deps);
  return {
    name: "bedrock-files",
    renderError: renderS3Error,
    presented: (request) => ({ type: "aws", v2Resource: signedResourceOf(request) }),
    routes: [
      { method: "ANY", path: "", handler: objects.handle },
      { method: "ANY", path: "/{proxy+}", handler: objects.handle },
    ],
  };
};

/** The AWS SDK dialect: S3 objects and Bedrock model invocation jobs, outputs where Bedrock puts them. */
export const bedrockDialect: DialectModule<"bedrock"> = {
  dialect: "bedrock",
  frontDoors: { bedrock: bedrockFrontDoor, bedrockFiles: bedrockFilesFrontDoor },
  stagedRoutes: { s3Bodies: s3BodyAdmitter },
  resultSink: bedrockResultSink,
  batchId: batchIdIn.bedrock,
};
