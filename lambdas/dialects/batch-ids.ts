import type { Deployment } from "../core/deps";
import { renderId } from "../core/ids";
import type { BatchRecord, Dialect } from "../core/model";
import { jobSpecOf } from "./bedrock/jobs-model";

/** How each SDK's batch ids begin (Bedrock's are job ARNs). */
export const batchPrefix = { openai: "batch_", anthropic: "msgbatch_", genai: "batches/" } as const;

/** A batch's id as each SDK shows it: every dialect's `batchId`, and the FOCUS rows' `x_BatchIds`. */
export const batchIdIn: { readonly [D in Dialect]: (batch: BatchRecord, deployment: Deployment) => string } = {
  openai: (batch) => renderId(batchPrefix.openai, batch.id),
  anthropic: (batch) => renderId(batchPrefix.anthropic, batch.id),
  genai: (batch) => renderId(batchPrefix.genai, batch.id),
  bedrock: (batch, deployment) =>
    `arn:aws:bedrock:${jobSpecOf(batch)?.region ?? deployment.region}:${deployment.accountId}:model-invocation-job/${batch.id}`,
};

/** A batch's id in every SDK's form. */
export const everySdkBatchId = (batch: BatchRecord, deployment: Deployment): Record<Dialect, string> => ({
  openai: batchIdIn.openai(batch, deployment),
  anthropic: batchIdIn.anthropic(batch, deployment),
  genai: batchIdIn.genai(batch, deployment),
  bedrock: batchIdIn.bedrock(batch, deployment),
});
