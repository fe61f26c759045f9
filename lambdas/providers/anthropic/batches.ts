import { Readable } from "node:stream";
import type { NeutralRequest } from "../../core/chat";
import { upstreamKey } from "../../core/ids";
import type { BatchRecord, BatchStatus, NeutralResult, UpstreamRef } from "../../core/model";
import type { ProviderAdapter, SubmitInput, UpstreamStatus } from "../../core/ports";
import { resultFromAnthropicLine, toAnthropicParams } from "../../formats/anthropic-messages";
import { isBlank, readLines } from "../../formats/jsonl";
import { readableResult } from "../../formats/readable-results";
import { upstreamFetch } from "../http";

/** Where the Anthropic API is; `baseUrl` has no `/v1`, as the Anthropic SDK reads ANTHROPIC_BASE_URL. */
export interface AnthropicSettings {
  apiKey: string;
  baseUrl: string;
}

/** Anthropic's per-batch limits: 100,000 requests or 256 MB; parts stay well under the size. */
export const anthropicLimits = { requests: 100_000, bytes: 200 * 1024 * 1024 };

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
 * streams the requests inline into one or more message batches (split at Anthropic's limits).
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

  async submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef> {
    const requests = input.requests()[Symbol.asyncIterator]();
    let next = await requests.next();
    const ids: string[] = [];
    const model = batch.model ?? "";
    while (!next.done) {
      // Each part streams requests until a limit is reached; the next part goes on from the same iterator.
      const body = async function* (): AsyncGenerator<Buffer> {
        yield Buffer.from('{"requests":[');
        let count = 0;
        let bytes = 0;
        while (!next.done && count < anthropicLimits.requests && bytes < anthropicLimits.bytes) {
          const request: NeutralRequest = next.value;
          // Anthropic params reach Anthropic as written (cache_control, thinking, …); other formats are converted.
          const params =
            input.format === "anthropic" && request.native
              ? { ...request.native, model: request.native.model ?? model }
              : toAnthropicParams(request.request, model);
          const line = { custom_id: upstreamKey(request.customId), params };
          const text = `${count > 0 ? "," : ""}${JSON.stringify(line)}`;
          bytes += text.length;
          count++;
          yield Buffer.from(text);
          next = await requests.next();
        }
        yield Buffer.from("]}");
      };
      const response = await upstreamFetch("Anthropic", this.url("/v1/messages/batches"), {
        method: "POST",
        headers: this.headers(true),
        body: Readable.from(body()) as unknown as RequestInit["body"],
        duplex: "half",
      } as RequestInit);
      ids.push(((await response.json()) as MessageBatch).id);
    }
    return { id: ids.join(" "), mode: "batch" };
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
