import {
  type BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  StopModelInvocationJobCommand,
} from "@aws-sdk/client-bedrock";
import {
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  type ImageFormat,
} from "@aws-sdk/client-bedrock-runtime";
import { upstreamKey } from "../../core/ids";
import { JsonlBlobWriter } from "../../core/jsonl-blob-writer";
import { stagingPrefix } from "../../core/layout";
import type { BatchRecord, BatchStatus, NeutralResult, UpstreamRef } from "../../core/model";
import type { BlobStore, ProviderAdapter, SubmitInput, UpstreamStatus } from "../../core/ports";
import { resultFromBedrockRecord, toBedrockRecord, type toConverseInput } from "../../formats/bedrock-records";
import { isBlank, parseObjectLine, readLines } from "../../formats/jsonl";
import { bedrockCall, bedrockError } from "./errors";

/** What the Bedrock provider needs to know about its account and limits. */
export interface BedrockSettings {
  /** The staging bucket, where inputs are staged and Bedrock writes outputs. */
  bucket: string;
  /** The stack's service role that Bedrock assumes for batch jobs. */
  roleArn: string;
  /** Bedrock's minimum records per batch job; smaller batches run on demand. @default 100 */
  minRecords: number;
  /** Concurrent on-demand Converse calls for small batches. @default 4 */
  onDemandConcurrency: number;
}

/** Bedrock job statuses in the neutral set (PartiallyCompleted keeps its results). */
const statusMap: Record<string, BatchStatus> = {
  Submitted: "validating",
  Validating: "validating",
  Scheduled: "queued",
  InProgress: "in_progress",
  Stopping: "cancelling",
  Completed: "completed",
  PartiallyCompleted: "expired",
  Failed: "failed",
  Stopped: "cancelled",
  Expired: "expired",
};

/** A Bedrock job status in the neutral set. */
export const bedrockStatus = (status: string | undefined): BatchStatus => statusMap[status ?? ""] ?? "in_progress";

const inputFileName = "input.jsonl";
const keys = (batch: BatchRecord) => ({
  input: `${stagingPrefix.bedrockInput}${batch.id}/${inputFileName}`,
  output: `${stagingPrefix.bedrockOutput}${batch.id}/`,
});

/** The job id Bedrock uses as the output folder: the last segment of the job ARN. */
const jobIdOf = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

/**
 * Bedrock batch inference as a provider: stage Converse records in the staging bucket, run a model invocation
 * job with the stack's role, read `{output}/{jobId}/input.jsonl.out`. Batches under Bedrock's minimum record
 * count run through on-demand Converse calls instead, writing the same output layout.
 */
export class BedrockProvider implements ProviderAdapter {
  constructor(
    private readonly control: BedrockClient,
    private readonly runtime: BedrockRuntimeClient,
    private readonly blobs: BlobStore,
    private readonly settings: BedrockSettings,
  ) {}

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    const { input: inputKey, output } = keys(batch);
    const writer = new JsonlBlobWriter(this.blobs, inputKey);
    for await (const request of input.requests())
      await writer.write(toBedrockRecord(upstreamKey(request.customId), request.request));
    const { lines } = await writer.close();
    if (lines < this.settings.minRecords) {
      await this.runOnDemand(batch, inputKey, `${output}on-demand/`);
      return { id: `on-demand/${batch.id}`, inputRef: inputKey, mode: "on_demand" };
    }
    const created = await bedrockCall(() =>
      this.control.send(
        new CreateModelInvocationJobCommand({
          jobName: `finops-${batch.id}`,
          clientRequestToken: batch.id,
          roleArn: this.settings.roleArn,
          modelId: batch.model,
          modelInvocationType: "Converse",
          inputDataConfig: {
            s3InputDataConfig: { s3Uri: `s3://${this.settings.bucket}/${inputKey}`, s3InputFormat: "JSONL" },
          },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${this.settings.bucket}/${output}` } },
          timeoutDurationInHours: 24,
        }),
      ),
    );
    if (!created.jobArn) throw new Error("Bedrock created no job ARN");
    return { id: created.jobArn, inputRef: inputKey, mode: "batch" };
  }

  async status(batch: BatchRecord): Promise<UpstreamStatus> {
    if (batch.upstream?.mode === "on_demand") return { status: "completed", counts: batch.requestCounts };
    const job = await bedrockCall(() =>
      this.control.send(new GetModelInvocationJobCommand({ jobIdentifier: this.jobArn(batch) })),
    );
    return {
      status: bedrockStatus(job.status),
      counts: {
        total: job.totalRecordCount ?? batch.requestCounts.total,
        completed: job.successRecordCount ?? 0,
        failed: job.errorRecordCount ?? 0,
      },
      message: job.message,
    };
  }

  async cancel(batch: BatchRecord): Promise<void> {
    if (batch.upstream?.mode === "on_demand") return;
    const job = await bedrockCall(() =>
      this.control.send(new GetModelInvocationJobCommand({ jobIdentifier: this.jobArn(batch) })),
    );
    if (!["Submitted", "Validating", "Scheduled", "InProgress"].includes(job.status ?? "")) return;
    await bedrockCall(() =>
      this.control.send(new StopModelInvocationJobCommand({ jobIdentifier: this.jobArn(batch) })),
    );
  }

  async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
    const { output } = keys(batch);
    const folder = batch.upstream?.mode === "on_demand" ? "on-demand" : jobIdOf(this.jobArn(batch));
    const key = `${output}${folder}/${inputFileName}.out`;
    if (!(await this.blobs.exists(key))) return;
    const created = Math.floor(Date.now() / 1000);
    for await (const line of readLines(await this.blobs.stream(key))) {
      if (!isBlank(line))
        yield resultFromBedrockRecord(parseObjectLine(line), line.lineNumber, batch.model ?? "", created);
    }
  }

  private jobArn(batch: BatchRecord): string {
    if (!batch.upstream) throw new Error(`Batch ${batch.id} has no upstream job`);
    return batch.upstream.id;
  }

  /**
   * Runs a small batch through on-demand Converse calls, a few at a time (the SDK retries throttling), and
   * writes Bedrock's own output records and manifest so the results read exactly like a job's.
   */
  private async runOnDemand(batch: BatchRecord, inputKey: string, outputFolder: string): Promise<void> {
    const records: { recordId: string; modelInput: ReturnType<typeof toConverseInput> }[] = [];
    for await (const line of readLines(await this.blobs.stream(inputKey))) {
      if (!isBlank(line)) records.push(parseObjectLine(line) as (typeof records)[number]);
    }
    const outputs: unknown[] = new Array(records.length);
    let next = 0;
    const tokens = { input: 0, output: 0, errors: 0 };
    const worker = async () => {
      while (next < records.length) {
        const index = next++;
        const record = records[index]!;
        try {
          const response = await this.runtime.send(
            new ConverseCommand(converseCommandInput(batch.model ?? "", record.modelInput)),
          );
          tokens.input += response.usage?.inputTokens ?? 0;
          tokens.output += response.usage?.outputTokens ?? 0;
          const { $metadata: _m, ...modelOutput } = response;
          outputs[index] = { recordId: record.recordId, modelInput: record.modelInput, modelOutput };
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          // Transient or network: the whole task is retried.
          if (status === undefined || status === 429 || status >= 500) throw bedrockError(error);
          tokens.errors++;
          outputs[index] = {
            recordId: record.recordId,
            modelInput: record.modelInput,
            error: { errorCode: status, errorMessage: (error as Error).message },
          };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.onDemandConcurrency, records.length) }, worker));
    const writer = new JsonlBlobWriter(this.blobs, `${outputFolder}${inputFileName}.out`);
    for (const output of outputs) await writer.write(output);
    await writer.close();
    const manifest = {
      totalRecordCount: records.length,
      processedRecordCount: records.length,
      successRecordCount: records.length - tokens.errors,
      errorRecordCount: tokens.errors,
      inputTokenCount: tokens.input,
      outputTokenCount: tokens.output,
    };
    await this.blobs.put(`${outputFolder}manifest.json.out`, Buffer.from(JSON.stringify(manifest)), "application/json");
  }
}

/** A Converse record's modelInput as the runtime client's input (image bytes decoded from base64). */
const converseCommandInput = (modelId: string, input: ReturnType<typeof toConverseInput>): ConverseCommandInput => ({
  modelId,
  messages: input.messages.map((m) => ({
    role: m.role,
    content: m.content.map(
      (block): ContentBlock =>
        "text" in block
          ? { text: block.text }
          : {
              image: {
                format: block.image.format as ImageFormat,
                source: { bytes: Buffer.from(block.image.source.bytes, "base64") },
              },
            },
    ),
  })),
  system: input.system,
  inferenceConfig: input.inferenceConfig,
});
