import { chatEndpoint } from "../../core/chat";
import { embeddingsEndpoint } from "../../core/embeddings";
import { type BatchRecord, type BatchStatus, isTerminal, type NeutralResult, type UpstreamRef } from "../../core/model";
import type { ProviderAdapter, QuotaClaim, SubmitInput, UpstreamStatus } from "../../core/ports";
import { isBlank, parseObjectLine, readLines } from "../../formats/jsonl";
import { passedThroughResultLine, resultFromOpenAiLine, toOpenAiChatBody } from "../../formats/openai-batch";
import { readableResult } from "../../formats/readable-results";
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
  errors?: { data?: { code?: string; message?: string; line?: number | null }[] } | null;
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
    // Embedding records of another format (Titan's, Gemini's) as embeddings lines: the texts and the size.
    const body =
      batch.endpoint === embeddingsEndpoint
        ? {
            model,
            input: request.embedding?.texts ?? [],
            ...(request.embedding?.dimensions !== undefined && { dimensions: request.embedding.dimensions }),
          }
        : toOpenAiChatBody(request.request, model);
    const line = {
      custom_id: request.customId,
      method: "POST",
      url: batch.endpoint === embeddingsEndpoint ? embeddingsEndpoint : chatEndpoint,
      body,
    };
    yield encoder.encode(`${JSON.stringify(line)}\n`);
  }
}

/** Several parts' statuses as one: running while any part runs; once all ended, the most telling end. */
const combined = (statuses: BatchStatus[]): BatchStatus => {
  const running = statuses.filter((status) => !isTerminal(status));
  if (running.length > 0) {
    if (running.includes("cancelling")) return "cancelling";
    if (running.every((status) => status === "validating")) return "validating";
    return running.includes("in_progress") || running.includes("validating") ? "in_progress" : "finalizing";
  }
  if (statuses.includes("cancelled")) return "cancelled";
  if (statuses.includes("expired")) return "expired";
  return statuses.every((status) => status === "failed") ? "failed" : "completed";
};

/** The error codes of a batch OpenAI ended for want of queue room (its enqueued-token limit), not for its lines. */
const noRoomCodes = new Set(["token_limit_exceeded", "request_limit_exceeded", "batch_limit_exceeded"]);

/**
 * The OpenAI Batch API as a provider: upload the input, create, poll, cancel, read the output and error files. The
 * gateway's parts keep each job within OpenAI's per-batch limits; the upstream id may still list several batches
 * (space-separated), as batches made before parts did, and they are polled, cancelled and read together.
 */
export class OpenAiProvider implements ProviderAdapter {
  private readonly client: OpenAiClient;

  constructor(private readonly settings: OpenAiSettings) {
    this.client = new OpenAiClient(settings);
  }

  /** A job holds its input tokens of the model's enqueued-token limit, where the owner set one (it is per tier). */
  quota(batch: BatchRecord, job: { tokens: number }): QuotaClaim | undefined {
    const limit = this.settings.enqueuedTokens?.(batch.model ?? "") ?? 0;
    return limit > 0 ? { scope: `openai#tokens#${batch.model}`, amount: job.tokens, limit } : undefined;
  }

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    // A retried submit may follow a create whose answer was lost: that batch is found again, not made twice.
    const [found] = await this.findCreated(batch.id);
    if (found) return { id: found.id, inputRef: found.input_file_id ?? "", mode: "batch" };
    const file = await this.client.uploadBatchFile(`finops_${batch.id}.jsonl`, openAiLines(batch, input));
    const created = await this.client.json<OpenAiBatch>("POST", "/batches", {
      input_file_id: file.id,
      endpoint: batch.endpoint,
      completion_window: "24h",
      metadata: { finops_batch_id: batch.id },
    });
    return { id: created.id, inputRef: file.id, mode: "batch" };
  }

  /** The upstream batches of the gateway's batch, as OpenAI answers them now. */
  private parts(batch: BatchRecord): Promise<OpenAiBatch[]> {
    if (!batch.upstream) throw new Error(`Batch ${batch.id} has no upstream job`);
    const ids = batch.upstream.id.split(" ").filter(Boolean);
    return Promise.all(ids.map((id) => this.client.json<OpenAiBatch>("GET", `/batches/${encodeURIComponent(id)}`)));
  }

  async status(batch: BatchRecord): Promise<UpstreamStatus> {
    const parts = await this.parts(batch);
    const sum = (key: "completed" | "failed") => parts.reduce((total, p) => total + (p.request_counts?.[key] ?? 0), 0);
    const codes = parts.flatMap((p) => p.errors?.data?.map((e) => e.code ?? "") ?? []);
    return {
      noRoom: codes.some((code) => noRoomCodes.has(code)),
      status: combined(parts.map((p) => openAiStatus(p.status))),
      counts: { total: batch.requestCounts.total, completed: sum("completed"), failed: sum("failed") },
      message:
        parts
          .flatMap((p) => p.errors?.data?.map((e) => e.message) ?? [])
          .filter(Boolean)
          .join("; ") || undefined,
    };
  }

  async cancel(batch: BatchRecord): Promise<void> {
    for (const part of await this.parts(batch)) {
      if (["validating", "in_progress", "finalizing"].includes(part.status))
        await this.client.json("POST", `/batches/${encodeURIComponent(part.id)}/cancel`);
    }
  }

  async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
    // Chat answers are read into the neutral response; every other endpoint's body is kept as OpenAI gave it.
    const reader = batch.endpoint === chatEndpoint ? resultFromOpenAiLine : passedThroughResultLine;
    for (const part of await this.parts(batch)) {
      for (const fileId of [part.output_file_id, part.error_file_id]) {
        if (!fileId) continue;
        for await (const line of readLines(await this.client.download(fileId))) {
          if (isBlank(line)) continue;
          const result = readableResult(line, "OpenAI", reader);
          if (result) yield result;
        }
      }
    }
  }

  /** The upstream batches created for this gateway batch, among the most recent ones (tagged in their metadata). */
  private async findCreated(batchId: string): Promise<OpenAiBatch[]> {
    const page = await this.client.json<{ data: OpenAiBatch[] }>("GET", "/batches?limit=100");
    // One the gateway cancelled (it could not record it) is not found again: its retry creates a new one.
    const stopped = new Set(["cancelling", "cancelled", "failed", "expired"]);
    return page.data.filter((b) => b.metadata?.finops_batch_id === batchId && !stopped.has(b.status));
  }
}
