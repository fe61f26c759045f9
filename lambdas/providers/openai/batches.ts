import { chatEndpoint } from "../../core/chat";
import type { BatchRecord, BatchStatus, NeutralResult, UpstreamRef } from "../../core/model";
import type { ProviderAdapter, SubmitInput, UpstreamStatus } from "../../core/ports";
import { isBlank, parseObjectLine, readLines } from "../../formats/jsonl";
import { resultFromOpenAiLine, toOpenAiChatBody } from "../../formats/openai-batch";
import { OpenAiClient, type OpenAiSettings } from "./client";

/** OpenAI's batch statuses in the neutral set. */
const statusMap: Record<string, BatchStatus> = {
  validating: "validating",
  in_progress: "in_progress",
  finalizing: "finalizing",
  completed: "completed",
  failed: "failed",
  expired: "expired",
  cancelling: "cancelling",
  cancelled: "cancelled",
};

/** An OpenAI batch status in the neutral set. */
export const openAiStatus = (status: string): BatchStatus => statusMap[status] ?? "in_progress";

interface OpenAiBatch {
  id: string;
  input_file_id?: string;
  metadata?: Record<string, string> | null;
  status: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
  request_counts?: { total: number; completed: number; failed: number };
  errors?: { data?: { message?: string; line?: number | null }[] } | null;
}

const encoder = new TextEncoder();

/**
 * The input as OpenAI batch lines. Lines already in OpenAI's format pass byte for byte (only a missing
 * `model` is filled in from the batch); other formats are converted from the neutral requests.
 */
async function* openAiLines(batch: BatchRecord, input: SubmitInput): AsyncGenerator<Uint8Array> {
  const model = batch.model ?? "";
  if (input.format === "openai") {
    for await (const line of readLines(await input.raw())) {
      if (isBlank(line)) continue;
      const value = parseObjectLine(line) as { body?: { model?: unknown } };
      if (value.body && value.body.model === undefined) {
        value.body.model = model;
        yield encoder.encode(`${JSON.stringify(value)}\n`);
      } else {
        yield encoder.encode(`${line.text}\n`);
      }
    }
    return;
  }
  for await (const request of input.requests()) {
    const line = {
      custom_id: request.customId,
      method: "POST",
      url: chatEndpoint,
      body: toOpenAiChatBody(request.request, model),
    };
    yield encoder.encode(`${JSON.stringify(line)}\n`);
  }
}

/** The OpenAI Batch API as a provider: upload the input, create, poll, cancel, read the output and error files. */
export class OpenAiProvider implements ProviderAdapter {
  private readonly client: OpenAiClient;

  constructor(settings: OpenAiSettings) {
    this.client = new OpenAiClient(settings);
  }

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    // A retried submit may follow a create whose answer was lost: find that batch instead of making a second.
    const existing = await this.findCreated(batch.id);
    if (existing) return { id: existing.id, inputRef: existing.input_file_id, mode: "batch" };
    const file = await this.client.uploadBatchFile(`finops_${batch.id}.jsonl`, openAiLines(batch, input));
    const created = await this.client.json<OpenAiBatch>("POST", "/batches", {
      input_file_id: file.id,
      endpoint: batch.endpoint,
      completion_window: "24h",
      metadata: { finops_batch_id: batch.id },
    });
    return { id: created.id, inputRef: file.id, mode: "batch" };
  }

  async status(batch: BatchRecord): Promise<UpstreamStatus> {
    const upstream = await this.client.json<OpenAiBatch>(
      "GET",
      `/batches/${encodeURIComponent(this.upstreamId(batch))}`,
    );
    const counts = upstream.request_counts ?? { total: 0, completed: 0, failed: 0 };
    return {
      status: openAiStatus(upstream.status),
      counts: { total: counts.total, completed: counts.completed, failed: counts.failed },
      message:
        upstream.errors?.data
          ?.map((e) => e.message)
          .filter(Boolean)
          .join("; ") || undefined,
    };
  }

  async cancel(batch: BatchRecord): Promise<void> {
    const current = await this.status(batch);
    if (["completed", "failed", "expired", "cancelled", "cancelling"].includes(current.status)) return;
    await this.client.json("POST", `/batches/${encodeURIComponent(this.upstreamId(batch))}/cancel`);
  }

  async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
    const upstream = await this.client.json<OpenAiBatch>(
      "GET",
      `/batches/${encodeURIComponent(this.upstreamId(batch))}`,
    );
    for (const fileId of [upstream.output_file_id, upstream.error_file_id]) {
      if (!fileId) continue;
      for await (const line of readLines(await this.client.download(fileId))) {
        if (!isBlank(line)) yield resultFromOpenAiLine(parseObjectLine(line), line.lineNumber);
      }
    }
  }

  /** The upstream batch created for this gateway batch, among the most recent ones (tagged in its metadata). */
  private async findCreated(batchId: string): Promise<OpenAiBatch | undefined> {
    const page = await this.client.json<{ data: OpenAiBatch[] }>("GET", "/batches?limit=100");
    return page.data.find((b) => b.metadata?.finops_batch_id === batchId);
  }

  private upstreamId(batch: BatchRecord): string {
    if (!batch.upstream) throw new Error(`Batch ${batch.id} has no upstream job`);
    return batch.upstream.id;
  }
}
