import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { textOf } from "../../lambdas/core/chat";
import { chatRequestFromAnthropic } from "../../lambdas/formats/anthropic-request";
import {
  closeServer,
  errorMarker,
  type Faults,
  FlakyRows,
  QuotaGauge,
  readBody,
  SimStore,
  type Simulator,
  type SimulatorOptions,
  sendJson,
  serveSimulator,
  simulatedReply,
  simulatedThinking,
} from "./common";

type Params = Parameters<typeof chatRequestFromAnthropic>[0];

interface SimBatch {
  id: string;
  requests: { custom_id: string; params: Params }[];
  createdMs: number;
  fate: "complete" | "fail" | "expire";
  cancelMs?: number;
  ended?: { at: number; results: string[]; counts: Record<string, number> };
}

const counts0 = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };

/**
 * Anthropic's Message Batches API, simulated on its wire format: `in_progress` for `jobLatencyMs`, then `ended`
 * with results at an absolute `results_url`; counts other than `processing` stay 0 until the batch ends.
 */
export const startAnthropicSimulator = async (options: SimulatorOptions = {}): Promise<Simulator> => {
  const latency = options.jobLatencyMs ?? 1500;
  const faults: Faults = { failNextCalls: [] };
  const flaky = new FlakyRows();
  const limits = { jobRequests: 100_000, jobBytes: 256 * 1000 * 1000, ...options.quotas };
  const quota = new QuotaGauge(options.quotas?.concurrent);
  const batches = new SimStore<SimBatch>(options.stateDir, "anthropic-batches");
  let baseUrl = "";

  const apiError = (response: ServerResponse, status: number, type: string, message: string) =>
    sendJson(response, status, { type: "error", error: { type, message } });

  /** Ends a batch: the first `done` requests run, the rest become `notRun` results. */
  const end = (batch: SimBatch, done: number, notRun: "canceled" | "expired") => {
    const counts = { ...counts0 };
    const results = batch.requests.map((r, index) => {
      if (index >= done) {
        counts[notRun]++;
        return JSON.stringify({ custom_id: r.custom_id, result: { type: notRun } });
      }
      const request = chatRequestFromAnthropic(r.params);
      const prompt = textOf(request.messages.at(-1)?.content ?? []);
      if (flaky.failsNow(prompt)) {
        counts.errored++;
        const error = { type: "error", error: { type: "overloaded_error", message: "Overloaded" }, request_id: null };
        return JSON.stringify({ custom_id: r.custom_id, result: { type: "errored", error } });
      }
      const reply = simulatedReply(request);
      if (batch.fate === "fail" || prompt.includes(errorMarker) || "error" in reply) {
        counts.errored++;
        const type = batch.fate === "fail" ? "api_error" : "invalid_request_error";
        const text = "error" in reply ? reply.error : "Simulated error.";
        return JSON.stringify({
          custom_id: r.custom_id,
          result: {
            type: "errored",
            error: { type: "error", error: { type, message: text }, request_id: null },
          },
        });
      }
      counts.succeeded++;
      const message = {
        id: `msg_${randomBytes(8).toString("hex")}`,
        type: "message",
        role: "assistant",
        model: r.params.model,
        content: [
          // Extended thinking, asked for with `thinking` (which reaches Anthropic only as written), comes first.
          ...((r.params as { thinking?: { type?: string } }).thinking?.type === "enabled"
            ? [{ type: "thinking", thinking: simulatedThinking(prompt), signature: "sim-signature" }]
            : []),
          ...(reply.text ? [{ type: "text", text: reply.text }] : []),
          ...reply.toolCalls.map((call) => ({
            type: "tool_use",
            id: `toolu_${randomBytes(8).toString("hex")}`,
            name: call.name,
            input: call.args,
          })),
        ],
        stop_reason: reply.toolCalls.length > 0 ? "tool_use" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: reply.inputTokens, output_tokens: reply.outputTokens, service_tier: "batch" },
      };
      return JSON.stringify({ custom_id: r.custom_id, result: { type: "succeeded", message } });
    });
    batch.ended = { at: Date.now(), results, counts };
    batches.save(batch.id);
  };

  const view = (batch: SimBatch) => {
    const now = Date.now();
    if (!batch.ended) {
      if (batch.cancelMs !== undefined && now - batch.cancelMs >= latency * 0.2)
        end(batch, Math.floor(batch.requests.length / 2), "canceled");
      else if (now - batch.createdMs >= latency)
        end(batch, batch.fate === "expire" ? Math.floor(batch.requests.length / 2) : batch.requests.length, "expired");
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: batch.id,
      type: "message_batch",
      processing_status: batch.ended ? "ended" : batch.cancelMs !== undefined ? "canceling" : "in_progress",
      request_counts: batch.ended?.counts ?? { ...counts0, processing: batch.requests.length },
      created_at: iso(batch.createdMs),
      expires_at: iso(batch.createdMs + 86_400_000),
      ended_at: batch.ended ? iso(batch.ended.at) : null,
      archived_at: null,
      cancel_initiated_at: batch.cancelMs !== undefined ? iso(batch.cancelMs) : null,
      results_url: batch.ended ? `${baseUrl}/v1/messages/batches/${batch.id}/results` : null,
    };
  };

  const fault = (response: ServerResponse, status: number) =>
    apiError(response, status, status === 429 ? "rate_limit_error" : "api_error", `Simulated ${status}`);

  const { url, server, seenKeys, calls } = await serveSimulator(faults, fault, async (request, response, url) => {
    if (!request.headers["x-api-key"] && !/^Bearer /.test(request.headers.authorization ?? ""))
      return apiError(response, 401, "authentication_error", "x-api-key header is required");
    const method = request.method ?? "GET";
    if (method === "POST" && url.pathname === "/v1/messages/batches") {
      const raw = await readBody(request);
      const body = JSON.parse(raw.toString("utf8")) as { requests?: SimBatch["requests"] };
      const requests = body.requests ?? [];
      if (requests.length > limits.jobRequests || raw.byteLength > limits.jobBytes)
        return apiError(
          response,
          400,
          "invalid_request_error",
          `requests: a message batch takes at most ${limits.jobRequests} requests and ${limits.jobBytes} bytes`,
        );
      // Requests in the processing queue: those of batches not yet ended.
      const queued = [...batches.values()]
        .filter((b) => view(b).processing_status !== "ended")
        .reduce((sum, b) => sum + b.requests.length, 0);
      if (!quota.admits(queued, requests.length))
        return apiError(
          response,
          429,
          "rate_limit_error",
          `Number of batch requests in the processing queue would exceed the limit of ${quota.limit}.`,
        );
      if (requests.length === 0)
        return apiError(response, 400, "invalid_request_error", "requests: at least one request is required");
      const seen = new Set<string>();
      for (const [index, r] of requests.entries()) {
        if (!/^[a-zA-Z0-9_-]{1,64}$/.test(r.custom_id))
          return apiError(
            response,
            400,
            "invalid_request_error",
            `requests.${index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
          );
        if (seen.has(r.custom_id))
          return apiError(response, 400, "invalid_request_error", `requests.${index}.custom_id: duplicate`);
        seen.add(r.custom_id);
        if (typeof r.params?.max_tokens !== "number")
          return apiError(
            response,
            400,
            "invalid_request_error",
            `requests.${index}.params.max_tokens: Field required`,
          );
      }
      const batch: SimBatch = {
        id: `msgbatch_${randomBytes(12).toString("hex")}`,
        requests,
        createdMs: Date.now(),
        fate: faults.failNextJob ? "fail" : faults.expireNextJob ? "expire" : "complete",
      };
      faults.failNextJob = undefined;
      faults.expireNextJob = undefined;
      batches.set(batch.id, batch);
      return sendJson(response, 200, view(batch));
    }
    const match = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(url.pathname);
    const batch = match ? batches.get(decodeURIComponent(match[1]!)) : undefined;
    if (!batch) return apiError(response, 404, "not_found_error", `No batch at ${url.pathname}`);
    request.resume();
    if (method === "GET" && !match![2]) return sendJson(response, 200, view(batch));
    if (method === "POST" && match![2] === "/cancel") {
      if (!batch.ended) batch.cancelMs ??= Date.now();
      batches.save(batch.id);
      return sendJson(response, 200, view(batch));
    }
    if (method === "GET" && match![2] === "/results") {
      view(batch);
      if (!batch.ended) return apiError(response, 400, "invalid_request_error", "Batch has not ended");
      const text = `${batch.ended.results.join("\n")}\n`;
      response
        .writeHead(200, { "content-type": "application/binary", "content-length": Buffer.byteLength(text) })
        .end(text);
      return;
    }
    apiError(response, 404, "not_found_error", `Unknown route ${method} ${url.pathname}`);
  });
  baseUrl = url;
  return { url, faults, seenKeys, calls, quota, close: () => closeServer(server) };
};
