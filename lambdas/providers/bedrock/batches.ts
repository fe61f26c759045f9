import {
  type BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  StopModelInvocationJobCommand,
} from "@aws-sdk/client-bedrock";
import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  InvokeModelCommand,
  type Message,
} from "@aws-sdk/client-bedrock-runtime";
import { estimateTokens } from "../../core/chat";
import { cohereEmbedding, embeddingsEndpoint } from "../../core/embeddings";
import { upstreamKey } from "../../core/ids";
import { JsonlBlobWriter } from "../../core/jsonl-blob-writer";
import { stagingPrefix } from "../../core/layout";
import type { BatchRecord, BatchStatus, NeutralResult, UpstreamRef } from "../../core/model";
import type { BlobStore, ProviderAdapter, QuotaClaim, SubmitInput, UpstreamStatus } from "../../core/ports";
import { resultFromBedrockRecord } from "../../formats/bedrock-records";
import { cohereRecord, titanRecords, titanResults } from "../../formats/embeddings";
import { isBlank, parseObjectLine, readLines } from "../../formats/jsonl";
import { readableResult } from "../../formats/readable-results";
import type { PerModel } from "../quotas";
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
  /**
   * Seconds of on-demand work one poll starts: each poll runs the next records for about this long, keeps their
   * results, and reports the counts; the next poll goes on where it stopped. @default 60
   */
  onDemandSliceSeconds: number;
  /** Batch inference jobs (submitted or in progress) each model may have at once; 0 or absent: not counted. */
  jobsPerModel?: PerModel;
}

/** How far the gateway's own run of a small batch has come; kept in the staging bucket after every slice. */
interface OnDemandProgress {
  /** Records done (answered or errored), a prefix of the input. */
  done: number;
  /** Part files written: `part-00000.jsonl`, … in input order. */
  parts: number;
  success: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

type ConverseRecord = { recordId: string; modelInput: Record<string, unknown> };
/** One record's outcome, as Bedrock writes it in the `.out` file, and what it adds to the counts. */
type Answered = { line: unknown; ok: boolean; inputTokens: number; outputTokens: number };

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
  /** Requests go up under the gateway's mapped keys (custom_ids that are not alphanumeric are not allowed there). */
  readonly requestKeys = "mapped";
  constructor(
    private readonly control: BedrockClient,
    private readonly runtime: BedrockRuntimeClient,
    private readonly blobs: BlobStore,
    private readonly settings: BedrockSettings,
  ) {}

  /** A job holds one of the model's concurrent jobs; one the gateway runs itself (under the minimum) holds none. */
  quota(batch: BatchRecord, job: { rows: number }): QuotaClaim | undefined {
    const limit = this.settings.jobsPerModel?.(batch.model ?? "") ?? 0;
    if (limit <= 0 || job.rows < this.settings.minRecords) return undefined;
    return { scope: `bedrock#jobs#${batch.model}`, amount: 1, limit };
  }

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    const { input: inputKey, output } = keys(batch);
    const writer = new JsonlBlobWriter(this.blobs, inputKey);
    const embeddings = batch.endpoint === embeddingsEndpoint;
    if (embeddings) {
      // Titan embeds one text a record: a request of N texts is N records (formats/embeddings.ts).
      const cohere = cohereEmbedding.models.test(batch.model ?? "");
      for await (const request of input.requests()) {
        const key = upstreamKey(request.customId);
        const embedding = request.embedding ?? { encoding: "float" as const };
        // A Bedrock record reaches Bedrock as written (normalize, truncate, …); other formats are converted: a
        // Cohere record a request (its texts together), a Titan record a text.
        const record = cohere ? cohereRecord(key, embedding) : undefined;
        if (input.format === "bedrock" && request.native)
          await writer.write({ recordId: record?.recordId ?? `${key}x0n1`, modelInput: request.native });
        else if (record) await writer.write(record);
        else for (const titan of titanRecords(key, embedding)) await writer.write(titan);
      }
    } else {
      for await (const { bytes, lines } of input.convert("bedrock-records")) await writer.writeChunk(bytes, lines);
    }
    const { lines } = await writer.close();
    // Too few records for a job: the gateway runs them itself, a slice per poll (see runOnDemandSlice).
    if (lines < this.settings.minRecords) return { id: `on-demand/${batch.id}`, inputRef: inputKey, mode: "on_demand" };
    const created = await bedrockCall(() =>
      this.control.send(
        new CreateModelInvocationJobCommand({
          jobName: `finops-${batch.id}`,
          clientRequestToken: batch.id,
          roleArn: this.settings.roleArn,
          modelId: batch.model,
          modelInvocationType: embeddings ? "InvokeModel" : "Converse",
          inputDataConfig: {
            s3InputDataConfig: { s3Uri: `s3://${this.settings.bucket}/${inputKey}`, s3InputFormat: "JSONL" },
          },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${this.settings.bucket}/${output}` } },
          timeoutDurationInHours: 24,
          // The batch's cost allocation tags on the job, so the account's own cost reports allocate it too.
          ...(batch.tags && { tags: Object.entries(batch.tags).map(([key, value]) => ({ key, value })) }),
        }),
      ),
    );
    if (!created.jobArn) throw new Error("Bedrock created no job ARN");
    return { id: created.jobArn, inputRef: inputKey, mode: "batch" };
  }

  async status(batch: BatchRecord): Promise<UpstreamStatus> {
    if (batch.upstream?.mode === "on_demand") return this.runOnDemandSlice(batch);
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
    if (batch.endpoint === embeddingsEndpoint) {
      yield* titanResults(outputRecords(await this.blobs.stream(key)), batch.model ?? "");
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    for await (const line of readLines(await this.blobs.stream(key))) {
      if (isBlank(line)) continue;
      const result = readableResult(line, "Bedrock", (value, n) =>
        resultFromBedrockRecord(value, n, batch.model ?? "", created),
      );
      if (result) yield result;
    }
  }

  private jobArn(batch: BatchRecord): string {
    if (!batch.upstream) throw new Error(`Batch ${batch.id} has no upstream job`);
    return batch.upstream.id;
  }

  /**
   * Runs the next slice of a small batch through on-demand Converse calls, a few at a time (the SDK retries
   * throttling), for about `onDemandSliceSeconds`. Every finished record is kept before the task returns or fails
   * (a part file, then the progress), so a retry or the next poll starts where this one stopped, and the counts
   * move while the batch runs. Once every record is done — or the batch is being cancelled — Bedrock's own output
   * records and manifest are written, so the results read exactly like a job's.
   */
  private async runOnDemandSlice(batch: BatchRecord): Promise<UpstreamStatus> {
    const { input: inputKey, output } = keys(batch);
    const folder = `${output}on-demand/`;
    const progressKey = `${folder}progress.json`;
    const progress: OnDemandProgress = (await this.blobs.exists(progressKey))
      ? (JSON.parse(Buffer.from(await this.blobs.read(progressKey)).toString()) as OnDemandProgress)
      : { done: 0, parts: 0, success: 0, errors: 0, inputTokens: 0, outputTokens: 0 };
    const records: ConverseRecord[] = [];
    for await (const line of readLines(await this.blobs.stream(inputKey))) {
      if (!isBlank(line)) records.push(parseObjectLine(line) as ConverseRecord);
    }
    const counts = () => ({ total: records.length, completed: progress.success, failed: progress.errors });
    if (progress.done < records.length && !batch.cancelRequested) {
      const outputs: (Answered | undefined)[] = [];
      let failure: unknown;
      const started = Date.now();
      let next = progress.done;
      const worker = async () => {
        // Always at least one record per slice; no new record once the slice's time is up or a call failed.
        while (next < records.length && failure === undefined) {
          if (next > progress.done && Date.now() - started >= this.settings.onDemandSliceSeconds * 1000) return;
          const index = next++;
          try {
            const record = records[index]!;
            outputs[index - progress.done] =
              batch.endpoint === embeddingsEndpoint
                ? await this.embed(batch, record)
                : await this.converse(batch, record);
          } catch (error) {
            failure ??= error;
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(this.settings.onDemandConcurrency, records.length - progress.done) }, worker),
      );
      // Keep the finished prefix (calls after a failure may have finished too, but a gap cannot be kept).
      let finished = 0;
      while (finished < outputs.length && outputs[finished] !== undefined) finished++;
      if (finished > 0) {
        const part = new JsonlBlobWriter(this.blobs, `${folder}part-${String(progress.parts).padStart(5, "0")}.jsonl`);
        for (const answered of outputs.slice(0, finished) as Answered[]) {
          await part.write(answered.line);
          if (answered.ok) progress.success++;
          else progress.errors++;
          progress.inputTokens += answered.inputTokens;
          progress.outputTokens += answered.outputTokens;
        }
        await part.close();
        progress.done += finished;
        progress.parts++;
        await this.blobs.put(progressKey, Buffer.from(JSON.stringify(progress)), "application/json");
      }
      if (failure !== undefined) throw bedrockError(failure);
      if (progress.done < records.length) return { status: "in_progress", counts: counts(), busy: true };
    }
    await this.finishOnDemand(folder, progress, records.length);
    return {
      status: batch.cancelRequested && progress.done < records.length ? "cancelled" : "completed",
      counts: counts(),
    };
  }

  /** One record's Converse call: its output record, or its error record for a refusal that will not pass. */
  private async converse(batch: BatchRecord, record: ConverseRecord): Promise<Answered> {
    try {
      const response = await this.runtime.send(
        new ConverseCommand(converseCommandInput(batch.model ?? "", record.modelInput)),
      );
      const { $metadata: _m, ...modelOutput } = response;
      return {
        line: { recordId: record.recordId, modelInput: record.modelInput, modelOutput },
        ok: true,
        inputTokens: response.usage?.inputTokens ?? 0,
        outputTokens: response.usage?.outputTokens ?? 0,
      };
    } catch (error) {
      return refusedRecord(record, error);
    }
  }

  /** One Titan record's InvokeModel call, answered as Bedrock's job would write it (or its error record). */
  private async embed(batch: BatchRecord, record: ConverseRecord): Promise<Answered> {
    try {
      const response = await this.runtime.send(
        new InvokeModelCommand({
          modelId: batch.model ?? "",
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify(record.modelInput),
        }),
      );
      const modelOutput = JSON.parse(Buffer.from(response.body).toString("utf8")) as { inputTextTokenCount?: number };
      // Cohere reports no tokens: its texts are counted as the gateway estimates text.
      const texts = (record.modelInput.texts ?? []) as string[];
      return {
        line: { recordId: record.recordId, modelInput: record.modelInput, modelOutput },
        ok: true,
        inputTokens: modelOutput.inputTextTokenCount ?? texts.reduce((sum, text) => sum + estimateTokens(text), 0),
        outputTokens: 0,
      };
    } catch (error) {
      return refusedRecord(record, error);
    }
  }

  /** Joins the part files into Bedrock's `{input}.out` (streamed) and writes its manifest. */
  private async finishOnDemand(folder: string, progress: OnDemandProgress, total: number): Promise<void> {
    const out = new JsonlBlobWriter(this.blobs, `${folder}${inputFileName}.out`);
    for (let part = 0; part < progress.parts; part++) {
      const key = `${folder}part-${String(part).padStart(5, "0")}.jsonl`;
      for await (const line of readLines(await this.blobs.stream(key))) {
        if (!isBlank(line)) await out.write(parseObjectLine(line));
      }
    }
    await out.close();
    const manifest = {
      totalRecordCount: total,
      processedRecordCount: progress.done,
      successRecordCount: progress.success,
      errorRecordCount: progress.errors,
      inputTokenCount: progress.inputTokens,
      outputTokenCount: progress.outputTokens,
    };
    await this.blobs.put(`${folder}manifest.json.out`, Buffer.from(JSON.stringify(manifest)), "application/json");
  }
}

/**
 * A record the runtime refused, as its error record; throttling, 5xx or the network throw instead, so the slice
 * stops there and the record runs again on the retry.
 */
const refusedRecord = (record: ConverseRecord, error: unknown): Answered => {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === undefined || status === 429 || status >= 500) throw error;
  const line = {
    recordId: record.recordId,
    modelInput: record.modelInput,
    error: { errorCode: status, errorMessage: (error as Error).message },
  };
  return { line, ok: false, inputTokens: 0, outputTokens: 0 };
};

/** The records of a `.out` file, parsed. */
async function* outputRecords(source: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of readLines(source)) if (!isBlank(line)) yield parseObjectLine(line);
}

/** A content block with the base64 `source.bytes` of a record (image, document, video) decoded for the client. */
const decodedBlock = (block: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(block).map(([kind, value]) => {
      const source = (value as { source?: { bytes?: unknown } } | null)?.source;
      return typeof source?.bytes === "string"
        ? [kind, { ...(value as object), source: { ...source, bytes: Buffer.from(source.bytes, "base64") } }]
        : [kind, value];
    }),
  );

/**
 * A Converse record's modelInput as the runtime client's input: every field as the record has it (a record in
 * Converse's shape is Converse's own request body), with bytes decoded from base64.
 */
const converseCommandInput = (modelId: string, input: Record<string, unknown>): ConverseCommandInput => {
  const messages = (input.messages ?? []) as { role: string; content: Record<string, unknown>[] }[];
  return {
    ...(input as Omit<ConverseCommandInput, "modelId">),
    modelId,
    // The record's blocks are Converse's wire form, which the client's union types describe.
    messages: messages.map((m) => ({ ...m, content: m.content.map(decodedBlock) })) as unknown as Message[],
  };
};
