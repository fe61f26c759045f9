import { BadRequestError } from "../../core/errors";
import type { BatchRecord } from "../../core/model";

/** What a Bedrock-dialect caller said about its model invocation job, echoed back by Get/List. */
export interface BedrockJobSpec {
  name: string;
  roleArn?: string;
  clientRequestToken?: string;
  inputUri: string;
  outputUri: string;
  /** The input object's file name, which names the `.out` file. */
  inputFileName: string;
  region: string;
  timeoutHours: number;
  invocationType?: string;
  tags?: { key: string; value: string }[];
}

/** The job spec a batch created through this dialect keeps (undefined for batches of other dialects). */
export const jobSpecOf = (batch: BatchRecord): BedrockJobSpec | undefined =>
  batch.dialectFields as BedrockJobSpec | undefined;

/** Bucket and key of an `s3://bucket/key` URI. */
export const parseS3Uri = (uri: string): { bucket: string; key: string } => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new BadRequestError(`${JSON.stringify(uri)} is not an s3:// URI.`, { param: "s3Uri" });
  return { bucket: match[1]!, key: match[2]! };
};

/** The job ARN Bedrock would give this batch. */
export const jobArnOf = (batch: BatchRecord, account: string): string =>
  `arn:aws:bedrock:${jobSpecOf(batch)?.region ?? "us-east-1"}:${account}:model-invocation-job/${batch.id}`;

/** A job identifier (the ARN or the bare id) as the gateway id. */
export const jobIdOf = (identifier: string): string => identifier.slice(identifier.lastIndexOf("/") + 1);

/** The neutral status as Bedrock's job status (an expired batch with results is PartiallyCompleted). */
export const bedrockJobStatus = (batch: BatchRecord): string => {
  switch (batch.status) {
    case "validating":
      return batch.parts?.some((part) => part.upstream) ? "Validating" : "Submitted";
    case "queued":
      return "Scheduled";
    case "in_progress":
    case "finalizing":
      return "InProgress";
    case "cancelling":
      return "Stopping";
    case "completed":
      return "Completed";
    case "failed":
      return "Failed";
    case "cancelled":
      return "Stopped";
    case "expired":
      return (batch.outcomeCounts?.succeeded ?? batch.requestCounts.completed) > 0 ? "PartiallyCompleted" : "Expired";
  }
};
