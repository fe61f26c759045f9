import { Readable } from "node:stream";
import { estimateTokens } from "../../core/chat";
import { embeddingPurposes, embeddingsEndpoint } from "../../core/embeddings";
import { upstreamKey } from "../../core/ids";
import { JsonlBlobWriter } from "../../core/jsonl-blob-writer";
import { stagingPrefix } from "../../core/layout";
import type { BatchRecord, BatchStatus, NeutralResult, UpstreamRef } from "../../core/model";
import type { BlobStore, ProviderAdapter, QuotaClaim, SubmitInput, UpstreamStatus } from "../../core/ports";
import { type EmbeddedPart, embeddingParts, joinEmbeddings } from "../../formats/embeddings";
import { resultFromGeminiLine, toGeminiRequest } from "../../formats/gemini";
import { isBlank, readLines } from "../../formats/jsonl";
import { readableResult } from "../../formats/readable-results";
import { upstreamFetch } from "../http";

/** Where the Gemini Developer API is; `baseUrl` is the host root (the gateway adds `/v1beta`, `/upload/v1beta`). */
export interface GeminiSettings {
  apiKey: string;
  baseUrl: string;
  /** Batch jobs the project may run at once; 0 or absent: not counted. */
  concurrentBatches?: number;
}

/** Gemini batch states (REST `BATCH_STATE_*`, and the SDK's `JOB_STATE_*` spelling) in the neutral set. */
export const geminiStatus = (state: string | undefined): BatchStatus => {
  const name = (state ?? "").replace(/^(BATCH|JOB)_STATE_/, "");
  const map: Record<string, BatchStatus> = {
    UNSPECIFIED: "queued",
    PENDING: "queued",
    QUEUED: "queued",
    RUNNING: "in_progress",
    PAUSED: "in_progress",
    UPDATING: "in_progress",
    CANCELLING: "cancelling",
    SUCCEEDED: "completed",
    PARTIALLY_SUCCEEDED: "completed",
    FAILED: "failed",
    CANCELLED: "cancelled",
    EXPIRED: "expired",
  };
  return map[name] ?? "in_progress";
};

interface Operation {
  name: string;
  done?: boolean;
  error?: { code?: number; message?: string };
  metadata?: {
    state?: string;
    batchStats?: { requestCount?: string; successfulRequestCount?: string; failedRequestCount?: string };
    output?: { responsesFile?: string; inlinedResponses?: { inlinedResponses?: unknown[] } };
  };
  response?: { responsesFile?: string; output?: { responsesFile?: string } };
}

/**
 * The Gemini Batch API as a provider: convert to `{key, request}` lines, stage them (the resumable upload must
 * announce its length), upload with the Files API, `batchGenerateContent` on the batch's one model, poll, cancel,
 * download the responses file.
 */
export class GeminiProvider implements ProviderAdapter {
  constructor(
    private readonly settings: GeminiSettings,
    private readonly blobs: BlobStore,
  ) {}

  private url(path: string): string {
    return `${this.settings.baseUrl.replace(/\/$/, "")}${path}`;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await upstreamFetch("Gemini", this.url(path), {
      method,
      headers: {
        "x-goog-api-key": this.settings.apiKey,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  /** A job holds one of the project's concurrent batch jobs, where a limit is set. */
  quota(): QuotaClaim | undefined {
    const limit = this.settings.concurrentBatches ?? 0;
    return limit > 0 ? { scope: "gemini#batches", amount: 1, limit } : undefined;
  }

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    if (batch.endpoint === embeddingsEndpoint) return this.submitEmbeddings(batch, input);
    const key = `${stagingPrefix.staged}${batch.tenant}/${batch.id}/gemini-input.jsonl`;
    const writer = new JsonlBlobWriter(this.blobs, key);
    for await (const request of input.requests())
      await writer.write({
        key: request.customId,
        // A Gemini request reaches Gemini as written (thinkingConfig, fileData, …); other formats are converted.
        request: input.format === "gemini" && request.native ? request.native : toGeminiRequest(request.request),
      });
    const { bytes } = await writer.close();

    const start = await upstreamFetch("Gemini", this.url("/upload/v1beta/files"), {
      method: "POST",
      headers: {
        "x-goog-api-key": this.settings.apiKey,
        "content-type": "application/json",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(bytes),
        "x-goog-upload-header-content-type": "application/jsonl",
      },
      body: JSON.stringify({ file: { displayName: `finops-${batch.id}` } }),
    });
    const uploadUrl = start.headers.get("x-goog-upload-url");
    if (!uploadUrl) throw new Error("Gemini returned no upload URL");
    const uploaded = await upstreamFetch("Gemini", uploadUrl, {
      method: "POST",
      headers: {
        "content-length": String(bytes),
        "x-goog-upload-offset": "0",
        "x-goog-upload-command": "upload, finalize",
      },
      body: (await this.blobs.stream(key)) as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
    const file = ((await uploaded.json()) as { file: { name: string } }).file.name;
    const model = (batch.model ?? "").replace(/^models\//, "");
    const operation = await this.call<Operation>(
      "POST",
      `/v1beta/models/${encodeURIComponent(model)}:batchGenerateContent`,
      {
        batch: { displayName: `finops-${batch.id}`, inputConfig: { fileName: file } },
      },
    );
    return { id: operation.name, inputRef: file, mode: "batch" };
  }

  async status(batch: BatchRecord): Promise<UpstreamStatus> {
    const operation = await this.operation(batch);
    const stats = operation.metadata?.batchStats;
    return {
      status: geminiStatus(operation.metadata?.state),
      counts: {
        total: batch.requestCounts.total,
        completed: Number(stats?.successfulRequestCount ?? 0),
        failed: Number(stats?.failedRequestCount ?? 0),
      },
      message: operation.error?.message,
    };
  }

  async cancel(batch: BatchRecord): Promise<void> {
    const operation = await this.operation(batch);
    if (["queued", "in_progress"].includes(geminiStatus(operation.metadata?.state)))
      await this.call("POST", `/v1beta/${operation.name}:cancel`, {});
  }

  async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
    const operation = await this.operation(batch);
    if (batch.endpoint === embeddingsEndpoint) {
      yield* joinEmbeddings(await this.embeddedParts(batch, operation), batch.model ?? "");
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    const file =
      operation.metadata?.output?.responsesFile ??
      operation.response?.responsesFile ??
      operation.response?.output?.responsesFile;
    if (!file) return;
    const response = await upstreamFetch("Gemini", this.url(`/download/v1beta/${file}:download?alt=media`), {
      headers: { "x-goog-api-key": this.settings.apiKey },
    });
    if (!response.body) return;
    for await (const line of readLines(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream))) {
      if (isBlank(line)) continue;
      const result = readableResult(line, "Gemini", (value, n) =>
        resultFromGeminiLine(value, n, batch.model ?? "", created),
      );
      if (result) yield result;
    }
  }

  /**
   * An embeddings batch: one inline embed request a text (Gemini takes embeddings batches inline, in input order),
   * created with `asyncBatchEmbedContent`; the texts' ids are kept in the bucket to name the answers, which come
   * back in the same order.
   */
  private async submitEmbeddings(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    const kept: { id: string; tokens: number }[] = [];
    const requests: unknown[] = [];
    for await (const request of input.requests()) {
      const embedding = request.embedding ?? { encoding: "float" as const };
      for (const { id, text } of embeddingParts(upstreamKey(request.customId), embedding)) {
        kept.push({ id, tokens: estimateTokens(text) });
        // A Gemini embed request reaches Gemini as written (taskType, title); OpenAI lines are one request a text.
        requests.push({
          request:
            input.format === "gemini" && request.native
              ? request.native
              : {
                  content: { parts: [{ text }] },
                  ...(embedding.dimensions !== undefined && { outputDimensionality: embedding.dimensions }),
                  ...(embedding.purpose && { taskType: embeddingPurposes[embedding.purpose] }),
                },
        });
      }
    }
    const idsKey = `${stagingPrefix.staged}${batch.tenant}/${batch.id}/gemini-embedding-ids.json`;
    await this.blobs.put(idsKey, Buffer.from(JSON.stringify(kept)), "application/json");
    const model = (batch.model ?? "").replace(/^models\//, "");
    const operation = await this.call<Operation>(
      "POST",
      `/v1beta/models/${encodeURIComponent(model)}:asyncBatchEmbedContent`,
      { batch: { displayName: `finops-${batch.id}`, inputConfig: { requests: { requests } } } },
    );
    return { id: operation.name, inputRef: idsKey, mode: "batch" };
  }

  /**
   * The answers of an embeddings batch, named by the kept ids. Gemini reports no token counts for embeddings, so a
   * text counts as its characters over four, as the gateway estimates text elsewhere.
   */
  private async embeddedParts(batch: BatchRecord, operation: Operation): Promise<EmbeddedPart[]> {
    const answers = operation.metadata?.output?.inlinedResponses?.inlinedResponses ?? [];
    if (answers.length === 0 || !batch.upstream?.inputRef) return [];
    const kept = JSON.parse(Buffer.from(await this.blobs.read(batch.upstream.inputRef)).toString("utf8")) as {
      id: string;
      tokens: number;
    }[];
    return answers.map((answer, i): EmbeddedPart => {
      const { response, error } = answer as {
        response?: { embedding?: { values?: number[] } };
        error?: { code?: number; message?: string };
      };
      const { id = "", tokens = 0 } = kept[i] ?? {};
      const values = response?.embedding?.values;
      return values
        ? { id, vector: values, tokens }
        : { id, tokens: 0, error: { message: error?.message ?? "Gemini did not embed this input." } };
    });
  }

  private operation(batch: BatchRecord): Promise<Operation> {
    if (!batch.upstream) throw new Error(`Batch ${batch.id} has no upstream job`);
    return this.call<Operation>("GET", `/v1beta/${batch.upstream.id}`);
  }
}
