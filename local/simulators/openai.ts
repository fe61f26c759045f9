import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { chatEndpoint, textOf } from "../../lambdas/core/chat";
import { chatRequestFromOpenAi } from "../../lambdas/formats/openai-request";
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
} from "./common";
import { simulatedOpenAiBody } from "./openai-endpoints";

interface SimFile {
  id: string;
  bytes: Buffer;
  filename: string;
  purpose: string;
  created_at: number;
}

interface SimBatch {
  id: string;
  input_file_id: string;
  endpoint: string;
  createdMs: number;
  metadata: Record<string, string> | null;
  total: number;
  fate: "complete" | "fail" | "expire";
  failReason?: string;
  failCode?: string;
  /** Its input tokens (a quarter of its bytes), held of the enqueued-token quota until it ends. */
  tokens?: number;
  cancelledMs?: number;
  ended?: { status: string; output_file_id: string | null; error_file_id: string | null; at: number };
}

const id = (prefix: string) => `${prefix}${randomBytes(8).toString("hex")}`;
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * The OpenAI Files and Batches API, simulated on its real wire format: a batch moves validating → in_progress →
 * finalizing → completed over `jobLatencyMs`, then its output and error files hold one line per request.
 */
export const startOpenAiSimulator = async (options: SimulatorOptions = {}): Promise<Simulator> => {
  const latency = options.jobLatencyMs ?? 1500;
  const faults: Faults = { failNextCalls: [] };
  const flaky = new FlakyRows();
  const limits = { jobRequests: 50_000, jobBytes: 200 * 1000 * 1000, ...options.quotas };
  const quota = new QuotaGauge(options.quotas?.concurrent);
  const files = new SimStore<SimFile>(options.stateDir, "openai-files");
  const batches = new SimStore<SimBatch>(options.stateDir, "openai-batches");

  const storeFile = (bytes: Buffer, filename: string, purpose: string): SimFile => {
    const file = { id: id("file-sim"), bytes, filename, purpose, created_at: seconds(Date.now()) };
    files.set(file.id, file);
    return file;
  };

  /** Writes the output and error files for the first `done` requests; the rest get `notRun` error lines. */
  const finish = (batch: SimBatch, status: string, done: number, notRun?: { code: string; message: string }) => {
    const lines = files
      .get(batch.input_file_id)!
      .bytes.toString("utf8")
      .split("\n")
      .filter((l) => l.trim());
    const output: string[] = [];
    const errors: string[] = [];
    lines.forEach((text, index) => {
      const line = JSON.parse(text) as { custom_id: string; body: Parameters<typeof chatRequestFromOpenAi>[0] };
      const requestId = id("req_");
      if (index >= done) {
        if (notRun)
          errors.push(
            JSON.stringify({ id: id("batch_req_"), custom_id: line.custom_id, response: null, error: notRun }),
          );
        return;
      }
      if (batch.endpoint !== chatEndpoint) {
        const body = simulatedOpenAiBody(batch.endpoint, line.body as unknown as Record<string, unknown>);
        const response = { status_code: 200, request_id: requestId, body };
        output.push(JSON.stringify({ id: id("batch_req_"), custom_id: line.custom_id, response, error: null }));
        return;
      }
      const request = chatRequestFromOpenAi(line.body);
      const prompt = textOf(request.messages.at(-1)?.content ?? []);
      if (flaky.failsNow(prompt)) {
        const body = {
          error: {
            message: "Simulated rate limit.",
            type: "rate_limit_error",
            param: null,
            code: "rate_limit_exceeded",
          },
        };
        const response = { status_code: 429, request_id: requestId, body };
        errors.push(JSON.stringify({ id: id("batch_req_"), custom_id: line.custom_id, response, error: null }));
        return;
      }
      const reply = simulatedReply(request);
      if (prompt.includes(errorMarker) || "error" in reply) {
        const message = "error" in reply ? reply.error : "Simulated invalid request.";
        const body = { error: { message, type: "invalid_request_error", param: null, code: null } };
        errors.push(
          JSON.stringify({
            id: id("batch_req_"),
            custom_id: line.custom_id,
            response: { status_code: 400, request_id: requestId, body },
            error: null,
          }),
        );
        return;
      }
      const answer = reply;
      // A forced tool (tool_choice naming a function, or "required") is called, as OpenAI answers it.
      const tool = reply.toolCalls.length > 0;
      const message = tool
        ? {
            role: "assistant",
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: reply.toolCalls.map((call) => ({
              id: id("call_"),
              type: "function",
              function: { name: call.name, arguments: JSON.stringify(call.args) },
            })),
          }
        : { role: "assistant", content: answer.text, refusal: null, annotations: [] };
      const body = {
        id: id("chatcmpl-"),
        object: "chat.completion",
        created: seconds(Date.now()),
        model: request.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: tool ? "tool_calls" : "stop" }],
        usage: {
          prompt_tokens: answer.inputTokens,
          completion_tokens: answer.outputTokens + (request.reasoning ? 8 : 0),
          total_tokens: answer.inputTokens + answer.outputTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          // A reasoning effort is spent (and billed) as reasoning tokens within the completion tokens.
          completion_tokens_details: { reasoning_tokens: request.reasoning ? 8 : 0, audio_tokens: 0 },
        },
        service_tier: "default",
        system_fingerprint: "fp_simulated",
      };
      output.push(
        JSON.stringify({
          id: id("batch_req_"),
          custom_id: line.custom_id,
          response: { status_code: 200, request_id: requestId, body },
          error: null,
        }),
      );
    });
    const out = output.length
      ? storeFile(Buffer.from(`${output.join("\n")}\n`), "output.jsonl", "batch_output").id
      : null;
    const err = errors.length
      ? storeFile(Buffer.from(`${errors.join("\n")}\n`), "errors.jsonl", "batch_output").id
      : null;
    batch.ended = { status, output_file_id: out, error_file_id: err, at: Date.now() };
  };

  /** The batch as OpenAI would show it now. */
  const view = (batch: SimBatch) => {
    const now = Date.now();
    const elapsed = now - batch.createdMs;
    if (!batch.ended) {
      if (batch.cancelledMs !== undefined && now - batch.cancelledMs >= latency * 0.2)
        finish(batch, "cancelled", Math.floor(batch.total / 2), {
          code: "batch_cancelled",
          message: "Batch was cancelled.",
        });
      else if (batch.fate === "fail" && elapsed >= latency * 0.2)
        batch.ended = { status: "failed", output_file_id: null, error_file_id: null, at: now };
      else if (batch.fate === "expire" && elapsed >= latency)
        finish(batch, "expired", Math.floor(batch.total / 2), {
          code: "batch_expired",
          message: "This request could not be executed before the completion window expired.",
        });
      else if (batch.fate === "complete" && elapsed >= latency) finish(batch, "completed", batch.total);
      if (batch.ended) batches.save(batch.id);
    }
    const progress = Math.min(1, elapsed / latency);
    const status =
      batch.ended?.status ??
      (batch.cancelledMs !== undefined
        ? "cancelling"
        : elapsed < latency * 0.2
          ? "validating"
          : elapsed < latency * 0.8
            ? "in_progress"
            : "finalizing");
    const completed = batch.ended
      ? batch.ended.status === "failed"
        ? 0
        : Math.floor(batch.total / (batch.ended.status === "completed" ? 1 : 2))
      : Math.floor(progress * batch.total);
    return {
      id: batch.id,
      object: "batch",
      endpoint: batch.endpoint,
      errors:
        batch.ended?.status === "failed"
          ? {
              object: "list",
              data: [{ code: batch.failCode ?? "invalid_request", message: batch.failReason, param: null, line: null }],
            }
          : null,
      input_file_id: batch.input_file_id,
      completion_window: "24h",
      status,
      output_file_id: batch.ended?.output_file_id ?? null,
      error_file_id: batch.ended?.error_file_id ?? null,
      created_at: seconds(batch.createdMs),
      request_counts: { total: batch.total, completed, failed: 0 },
      metadata: batch.metadata,
    };
  };

  const fault = (response: ServerResponse, status: number) =>
    sendJson(response, status, {
      error: {
        message: `Simulated ${status}`,
        type: status === 429 ? "rate_limit_error" : "server_error",
        param: null,
        code: null,
      },
    });

  const { url, server, seenKeys, calls } = await serveSimulator(faults, fault, async (request, response, url) => {
    const path = url.pathname;
    const method = request.method ?? "GET";
    if (!/^Bearer \S+/.test(request.headers.authorization ?? ""))
      return sendJson(response, 401, {
        error: { message: "Missing API key", type: "invalid_request_error", param: null, code: "invalid_api_key" },
      });
    if (method === "POST" && path === "/v1/files") {
      const form = await new Response((await readBody(request)) as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": request.headers["content-type"] ?? "" },
      }).formData();
      const file = form.get("file");
      if (!(file instanceof File))
        return sendJson(response, 400, {
          error: { message: "file is required", type: "invalid_request_error", param: "file", code: null },
        });
      const stored = storeFile(Buffer.from(await file.arrayBuffer()), file.name, String(form.get("purpose")));
      return sendJson(response, 200, {
        id: stored.id,
        object: "file",
        bytes: stored.bytes.byteLength,
        created_at: stored.created_at,
        filename: stored.filename,
        purpose: stored.purpose,
        status: "processed",
      });
    }
    const content = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
    if (method === "GET" && content) {
      const file = files.get(decodeURIComponent(content[1]!));
      if (!file)
        return sendJson(response, 404, {
          error: { message: "No such file", type: "invalid_request_error", param: null, code: null },
        });
      response
        .writeHead(200, { "content-type": "application/octet-stream", "content-length": file.bytes.byteLength })
        .end(file.bytes);
      return;
    }
    if (method === "POST" && path === "/v1/batches") {
      const body = JSON.parse((await readBody(request)).toString("utf8")) as {
        input_file_id: string;
        endpoint: string;
        metadata?: Record<string, string>;
      };
      const input = files.get(body.input_file_id);
      if (!input)
        return sendJson(response, 400, {
          error: {
            message: `Invalid input_file_id ${body.input_file_id}`,
            type: "invalid_request_error",
            param: "input_file_id",
            code: null,
          },
        });
      const total = input.bytes
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim()).length;
      const tokens = Math.ceil(input.bytes.byteLength / 4);
      // OpenAI takes the batch, then fails it: past the per-batch limits, or past the enqueued-token limit.
      const held = [...batches.values()]
        .filter((b) => !["completed", "failed", "expired", "cancelled"].includes(view(b).status))
        .reduce((sum, b) => sum + (b.tokens ?? 0), 0);
      const refusal =
        total > limits.jobRequests || input.bytes.byteLength > limits.jobBytes
          ? {
              code: "invalid_request",
              message: `The batch input file holds ${total} requests in ${input.bytes.byteLength} bytes; a batch takes at most ${limits.jobRequests} requests and ${limits.jobBytes} bytes.`,
            }
          : !quota.admits(held, tokens)
            ? {
                code: "token_limit_exceeded",
                message: `Enqueued token limit reached in organization org-sim. Limit: ${quota.limit} enqueued tokens. Please try submitting your batch again later.`,
              }
            : undefined;
      const fate = faults.failNextJob || refusal ? "fail" : faults.expireNextJob ? "expire" : "complete";
      const batch: SimBatch = {
        id: id("batch_sim"),
        input_file_id: input.id,
        endpoint: body.endpoint,
        createdMs: Date.now(),
        metadata: body.metadata ?? null,
        total,
        fate,
        failReason: refusal?.message ?? faults.failNextJob,
        failCode: refusal?.code,
        tokens: refusal ? 0 : tokens,
      };
      faults.failNextJob = undefined;
      faults.expireNextJob = undefined;
      batches.set(batch.id, batch);
      return sendJson(response, 200, view(batch));
    }
    if (method === "GET" && path === "/v1/batches") {
      const limit = Number(url.searchParams.get("limit") ?? 20);
      const data = [...batches.values()].reverse().slice(0, limit).map(view);
      return sendJson(response, 200, {
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: batches.size > limit,
      });
    }
    const one = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    const batch = one ? batches.get(decodeURIComponent(one[1]!)) : undefined;
    if (one && !batch)
      return sendJson(response, 404, {
        error: { message: "No such batch", type: "invalid_request_error", param: null, code: null },
      });
    if (batch && method === "GET" && !one![2]) return sendJson(response, 200, view(batch));
    if (batch && method === "POST" && one![2]) {
      request.resume();
      if (!batch.ended && batch.cancelledMs === undefined) batch.cancelledMs = Date.now();
      batches.save(batch.id);
      return sendJson(response, 200, view(batch));
    }
    sendJson(response, 404, {
      error: { message: `Unknown route ${method} ${path}`, type: "invalid_request_error", param: null, code: null },
    });
  });
  return { url: `${url}/v1`, faults, seenKeys, calls, quota, close: () => closeServer(server) };
};
