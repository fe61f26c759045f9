import { chatEndpoint } from "../../core/chat";
import { embeddingsEndpoint } from "../../core/embeddings";
import { type BatchRecord, type BatchStatus, isTerminal, type NeutralResult, type UpstreamRef } from "../../core/model";
import type { ProviderAdapter, SubmitInput, UpstreamStatus } from "../../core/ports";
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

/** OpenAI's per-batch limits: 50,000 requests and 200 MB per input file; parts stay under the size. */
export const openAiLimits = { requests: 50_000, bytes: 190 * 1024 * 1024 };

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

/**
 * The OpenAI Batch API as a provider: upload the input, create, poll, cancel, read the output and error files. An
 * input beyond one OpenAI batch's limits (200 MB per file) is split into several batches, each a part of the
 * gateway's batch: polled, cancelled and read together (the upstream id lists them, space-separated).
 */
export class OpenAiProvider implements ProviderAdapter {
  private readonly client: OpenAiClient;

  constructor(
    settings: OpenAiSettings,
    private readonly limits = openAiLimits,
  ) {
    this.client = new OpenAiClient(settings);
  }

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    // A retried submit may follow creates whose answers were lost: those parts are found again, not made twice.
    const created = new Map((await this.findCreated(batch.id)).map((b) => [Number(b.metadata?.finops_part ?? 0), b]));
    const lines = openAiLines(batch, input)[Symbol.asyncIterator]();
    let next = await lines.next();
    const limits = this.limits;
    const parts: OpenAiBatch[] = [];
    for (let part = 0; !next.done; part++) {
      // Each part takes lines until a limit would be passed; the next part goes on from the same iterator.
      const take = async function* (): AsyncGenerator<Uint8Array> {
        let count = 0;
        let bytes = 0;
        while (
          !next.done &&
          count < limits.requests &&
          (count === 0 || bytes + next.value.byteLength <= limits.bytes)
        ) {
          bytes += next.value.byteLength;
          count++;
          yield next.value;
          next = await lines.next();
        }
      };
      const found = created.get(part);
      if (found) {
        for await (const _ of take());
        parts.push(found);
        continue;
      }
      const file = await this.client.uploadBatchFile(`finops_${batch.id}_${part}.jsonl`, take());
      parts.push(
        await this.client.json<OpenAiBatch>("POST", "/batches", {
          input_file_id: file.id,
          endpoint: batch.endpoint,
          completion_window: "24h",
          metadata: { finops_batch_id: batch.id, finops_part: String(part) },
        }),
      );
    }
    return {
      id: parts.map((p) => p.id).join(" "),
      inputRef: parts.map((p) => p.input_file_id ?? "").join(" "),
      mode: "batch",
    };
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
    return {
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
