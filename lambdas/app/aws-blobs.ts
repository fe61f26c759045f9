import { S3Client } from "@aws-sdk/client-s3";
import type { BlobStore } from "../core/ports";
import { S3BlobStore } from "../state/s3-blob-store";
import { required } from "./lambda-runtime";

/**
 * The staging bucket (BUCKET_NAME), for the Lambdas that store or read files: passed in by their handlers, so a
 * Lambda that never touches a file (the FinOps door) bundles no S3 client.
 */
export const blobsFromEnv = (env: NodeJS.ProcessEnv): BlobStore =>
  new S3BlobStore(new S3Client({}), required(env, "BUCKET_NAME"));
