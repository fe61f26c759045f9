import { Readable } from "node:stream";
import { upstreamKey } from "../../core/ids";
import type { BatchRecord, BatchStatus, NeutralResult, UpstreamRef } from "../../core/model";
import type { ProviderAdapter, QuotaClaim, SubmitInput, UpstreamStatus } from "../../core/ports";
import { resultFromAnthropicLine, toAnthropicParams } from "../../formats/anthropic-messages";
import { isBlank, readLines } from "../../formats/jsonl";
import { readableResult } from "../../formats/readable-results";
import { inPieces, upstreamFetch } from "../http";

/** Where the Anthropic API is; `baseUrl` has no `/v1`, as the Anthropic SDK reads ANTHROPIC_BASE_URL. */
export interface AnthropicSettings {
  apiKey: string;
  baseUrl: string;
  /** Requests the account may have in the batch processing queue (per tier); 0 or absent: not counted. */
  queuedRequests?: number;
}

interface MessageBatch {
  id: string;
  processing_status: "in_progress" | "canceling" | "ended";
  request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  cancel_initiated_at: string | null;
  results_url: string | null;
}

/**
 * Anthropic's processing status in the neutral set: an ended batch is
 * cancelled if a cancel was initiated, expired if requests expired, else completed.
 */
export const anthropicStatus = (
  batch: Pick<MessageBatch, "processing_status" | "cancel_initiated_at" | "request_counts">,
): BatchStatus => {
  if (batch.processing_status === "in_progress") return "in_progress";
  if (batch.processing_status === "canceling") return "cancelling";
  if (batch.cancel_initiated_at) return "cancelled";
  return batch.request_counts.expired > 0 ? "expired" : "completed";
};

/**
 * Anthropic Message Batches as a provider. Anthropic takes no input file, so the gateway reads the file and
 * streams the requests inline into a message batch. The upstream id may list several (space-separated), as batches
 * made before the gateway's parts did; they are polled, cancelled and read together.
 */
export class AnthropicProvider implements ProviderAdapter {
  /** Requests go up under the gateway's mapped keys (custom_ids that are not alphanumeric are not allowed there). */
  readonly requestKeys = "mapped";
  constructor(private readonly settings: AnthropicSettings) {}

  private headers(json = false): Record<string, string> {
    return {
      "x-api-key": this.settings.apiKey,
      "anthropic-version": "2023-06-01",
      ...(json && { "content-type": "application/json" }),
    };
  }

  private url(path: string): string {
    return `${this.settings.baseUrl.replace(/\/$/, "")}${path}`;
  }

  private async call<T>(method: string, path: string): Promise<T> {
    const response = await upstreamFetch("Anthropic", this.url(path), { method, headers: this.headers() });
    return (await response.json()) as T;
  }

  /** A job holds its requests of the account's processing queue, where a limit is set. */
  quota(_batch: BatchRecord, job: { rows: number }): QuotaClaim | undefined {
    const limit = this.settings.queuedRequests ?? 0;
    return limit > 0 ? { scope: "anthropic#queued-requests", amount: job.rows, limit } : undefined;
  }

  /** Streams the requests inline into one message batch (the gateway's parts keep it within Anthropic's limits). */
  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    const model = batch.model ?? "";
    const body = async function* (): AsyncGenerator<Buffer> {
      yield Buffer.from('{"requests":[');
      let count = 0;
      for await (const request of input.requests()) {
        // Anthropic params reach Anthropic as written (cache_control, thinking, …); other formats are converted.
        const params =
          input.format === "anthropic" && request.native
            ? { ...request.native, model: request.native.model ?? model }
            : toAnthropicParams(request.request, model);
        const line = { custom_id: upstreamKey(request.customId), params };
        yield Buffer.from(`${count++ > 0 ? "," : ""}${JSON.stringify(line)}`);
      }
      yield Buffer.from("]}");
    };
    const response = await upstreamFetch("Anthropic", this.url("/v1/messages/batches"), {
      method: "POST",
      headers: this.headers(true),
      body: Readable.from(inPieces(body())) as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
    return { id: ((await response.json()) as MessageBatch).id, mode: "batch" };
  }

  private async parts(batch: BatchRecord): Promise<MessageBatch[]> {
    const ids = batch.upstream?.id.split(" ").filter(Boolean) ?? [];
    return Promise.all(
      ids.map((id) => this.call<MessageBatch>("GET", `/v1/messages/batches/${encodeURIComponent(id)}`)),
    );
  }

  async status(batch: BatchRecord): Promise<UpstreamStatus> {
    const parts = await this.parts(batch);
    const statuses = parts.map(anthropicStatus);
    const sum = (key: keyof MessageBatch["request_counts"]) =>
      parts.reduce((total, p) => total + p.request_counts[key], 0);
    const status: BatchStatus = statuses.includes("in_progress")
      ? "in_progress"
      : statuses.includes("cancelling")
        ? "cancelling"
        : statuses.includes("cancelled")
          ? "cancelled"
          : statuses.includes("expired")
            ? "expired"
            : "completed";
    return {
      status,
      counts: {
        total: batch.requestCounts.total,
        completed: sum("succeeded"),
        failed: sum("errored") + sum("canceled") + sum("expired"),
      },
    };
  }

  async cancel(batch: BatchRecord): Promise<void> {
    for (const part of await this.parts(batch)) {
      if (part.processing_status === "in_progress")
        await this.call("POST", `/v1/messages/batches/${encodeURIComponent(part.id)}/cancel`);
    }
  }

  async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
    const created = Math.floor(Date.now() / 1000);
    for (const part of await this.parts(batch)) {
      if (!part.results_url) continue;
      const response = await upstreamFetch("Anthropic", new URL(part.results_url, this.url("/")).toString(), {
        headers: this.headers(),
      });
      if (!response.body) continue;
      for await (const line of readLines(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream))) {
        if (isBlank(line)) continue;
        const result = readableResult(line, "Anthropic", (value, n) => resultFromAnthropicLine(value, n, created));
        if (result) yield result;
      }
    }
  }
}
