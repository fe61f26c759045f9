import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { textOf } from "../../lambdas/core/chat";
import { chatRequestFromGemini } from "../../lambdas/formats/gemini-request";
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
  simulatedVector,
} from "./common";

interface SimBatch {
  id: string;
  model: string;
  displayName: string;
  inputFile: string;
  /** An embeddings batch's inline requests: the text and vector size of each, answered in order. */
  embeds?: { text: string; dimensions?: number }[];
  createdMs: number;
  fate: "complete" | "fail" | "expire";
  failReason?: string;
  cancelMs?: number;
  ended?: {
    at: number;
    state: string;
    responsesFile?: string;
    inlined?: unknown[];
    success: number;
    failed: number;
  };
}

/**
 * The Gemini Developer API's Files (resumable upload, download) and Batch API, simulated on the wire format:
 * batches are Operations with `BATCH_STATE_*` in `metadata.state` and a responses file of `{key, response}` lines.
 */
export const startGeminiSimulator = async (options: SimulatorOptions = {}): Promise<Simulator> => {
  const latency = options.jobLatencyMs ?? 1500;
  const faults: Faults = { failNextCalls: [] };
  const flaky = new FlakyRows();
  const limits = { jobRequests: Number.POSITIVE_INFINITY, jobBytes: 2000 * 1000 * 1000, ...options.quotas };
  const quota = new QuotaGauge(options.quotas?.concurrent);
  const files = new SimStore<Buffer>(options.stateDir, "gemini-files");
  const uploads = new SimStore<string>(options.stateDir, "gemini-uploads");
  const batches = new SimStore<SimBatch>(options.stateDir, "gemini-batches");
  let baseUrl = "";

  const rpcError = (response: ServerResponse, status: number, message: string, code = "INVALID_ARGUMENT") =>
    sendJson(response, status, { error: { code: status, message, status: code } });

  const finish = (batch: SimBatch, state: string, done: number) => {
    if (batch.embeds) {
      // gemini-embedding-001 gives 3,072 dimensions unless asked for fewer.
      const inlined = batch.embeds.slice(0, done).map(({ text, dimensions }) => ({
        response: { embedding: { values: simulatedVector(text, dimensions ?? 3072) } },
      }));
      batch.ended = { at: Date.now(), state, inlined, success: inlined.length, failed: 0 };
      return;
    }
    const lines = files
      .get(batch.inputFile)!
      .toString("utf8")
      .split("\n")
      .filter((l) => l.trim());
    let success = 0;
    let failed = 0;
    const output = lines.slice(0, done).map((text) => {
      const line = JSON.parse(text) as { key: string; request: Parameters<typeof chatRequestFromGemini>[0] };
      const request = chatRequestFromGemini(line.request);
      const prompt = textOf(request.messages.at(-1)?.content ?? []);
      if (flaky.failsNow(prompt)) {
        failed++;
        return JSON.stringify({ key: line.key, error: { code: 8, message: "Simulated resource exhausted." } });
      }
      const reply = simulatedReply(request);
      if (prompt.includes(errorMarker) || "error" in reply) {
        failed++;
        const message = "error" in reply ? reply.error : "Simulated invalid argument.";
        return JSON.stringify({ key: line.key, error: { code: 3, message } });
      }
      success++;
      const config = (line.request as { generationConfig?: { thinkingConfig?: { includeThoughts?: boolean } } })
        .generationConfig;
      // Thought summaries, asked for with `thinkingConfig.includeThoughts`, come first as `thought` parts.
      const thoughts = config?.thinkingConfig?.includeThoughts
        ? [{ text: simulatedThinking(prompt), thought: true }]
        : [];
      const parts = [
        ...thoughts,
        ...(reply.text ? [{ text: reply.text }] : []),
        ...reply.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.args } })),
      ];
      const response = {
        candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
        usageMetadata: {
          promptTokenCount: reply.inputTokens,
          candidatesTokenCount: reply.outputTokens,
          ...(thoughts.length > 0 && { thoughtsTokenCount: 8 }),
          totalTokenCount: reply.inputTokens + reply.outputTokens + (thoughts.length > 0 ? 8 : 0),
        },
        modelVersion: batch.model,
        responseId: randomBytes(8).toString("hex"),
      };
      return JSON.stringify({ key: line.key, response });
    });
    const responsesFile = `files/batch-${batch.id}`;
    files.set(responsesFile, Buffer.from(output.join("\n") + (output.length ? "\n" : "")));
    batch.ended = { at: Date.now(), state, responsesFile: done > 0 ? responsesFile : undefined, success, failed };
  };

  const view = (batch: SimBatch) => {
    const now = Date.now();
    const total =
      batch.embeds?.length ??
      files
        .get(batch.inputFile)!
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim()).length;
    if (!batch.ended) {
      if (batch.cancelMs !== undefined && now - batch.cancelMs >= latency * 0.2)
        finish(batch, "BATCH_STATE_CANCELLED", Math.floor(total / 2));
      else if (batch.fate === "fail" && now - batch.createdMs >= latency * 0.2)
        batch.ended = { at: now, state: "BATCH_STATE_FAILED", success: 0, failed: 0 };
      else if (batch.fate === "expire" && now - batch.createdMs >= latency)
        batch.ended = { at: now, state: "BATCH_STATE_EXPIRED", success: 0, failed: 0 };
      else if (batch.fate === "complete" && now - batch.createdMs >= latency)
        finish(batch, "BATCH_STATE_SUCCEEDED", total);
      if (batch.ended) batches.save(batch.id);
    }
    const state =
      batch.ended?.state ?? (now - batch.createdMs < latency * 0.2 ? "BATCH_STATE_PENDING" : "BATCH_STATE_RUNNING");
    const iso = (ms: number) => new Date(ms).toISOString();
    const output = batch.ended?.responsesFile
      ? { responsesFile: batch.ended.responsesFile }
      : batch.ended?.inlined
        ? { inlinedResponses: { inlinedResponses: batch.ended.inlined } }
        : undefined;
    return {
      name: `batches/${batch.id}`,
      metadata: {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
        model: `models/${batch.model}`,
        displayName: batch.displayName,
        inputConfig: { fileName: batch.inputFile },
        state,
        createTime: iso(batch.createdMs),
        updateTime: iso(batch.ended?.at ?? now),
        ...(batch.ended && { endTime: iso(batch.ended.at) }),
        batchStats: {
          requestCount: String(total),
          successfulRequestCount: String(batch.ended?.success ?? 0),
          failedRequestCount: String(batch.ended?.failed ?? 0),
          pendingRequestCount: String(batch.ended ? 0 : total),
        },
        ...(output && { output }),
      },
      done: Boolean(batch.ended),
      ...(batch.ended?.state === "BATCH_STATE_FAILED" && { error: { code: 13, message: batch.failReason } }),
      ...(output && {
        response: {
          "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
          ...output,
        },
      }),
    };
  };

  const fault = (response: ServerResponse, status: number) =>
    rpcError(response, status, `Simulated ${status}`, status === 429 ? "RESOURCE_EXHAUSTED" : "INTERNAL");

  const { url, server, seenKeys, calls } = await serveSimulator(faults, fault, async (request, response, url) => {
    const method = request.method ?? "GET";
    const path = url.pathname;
    const uploadId = url.searchParams.get("upload_id");
    if (method === "POST" && path === "/upload/v1beta/files" && uploadId) {
      const name = uploads.get(uploadId);
      if (!name) return rpcError(response, 404, "Unknown upload", "NOT_FOUND");
      files.set(name, await readBody(request));
      response.setHeader("x-goog-upload-status", "final");
      return sendJson(response, 200, {
        file: { name, mimeType: "application/jsonl", sizeBytes: String(files.get(name)!.byteLength), state: "ACTIVE" },
      });
    }
    if (!request.headers["x-goog-api-key"]) return rpcError(response, 401, "API key not valid.", "UNAUTHENTICATED");
    if (method === "POST" && path === "/upload/v1beta/files") {
      request.resume();
      const id = randomBytes(8).toString("hex");
      uploads.set(id, `files/${randomBytes(6).toString("hex")}`);
      response.setHeader("x-goog-upload-url", `${baseUrl}/upload/v1beta/files?upload_id=${id}`);
      response.setHeader("x-goog-upload-status", "active");
      return sendJson(response, 200, {});
    }
    const download = /^\/download\/v1beta\/(files\/[^:]+):download$/.exec(path);
    if (method === "GET" && download) {
      const file = files.get(download[1]!);
      if (!file) return rpcError(response, 404, "File not found", "NOT_FOUND");
      response
        .writeHead(200, { "content-type": "application/octet-stream", "content-length": file.byteLength })
        .end(file);
      return;
    }
    const create = /^\/v1beta\/models\/([^:]+):batchGenerateContent$/.exec(path);
    if (method === "POST" && create) {
      const body = JSON.parse((await readBody(request)).toString("utf8")) as {
        batch: { displayName: string; inputConfig: { fileName: string } };
      };
      const input = files.get(body.batch.inputConfig.fileName);
      if (!input) return rpcError(response, 400, `File ${body.batch.inputConfig.fileName} not found`);
      const lines = input
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim()).length;
      if (lines > limits.jobRequests || input.byteLength > limits.jobBytes)
        return rpcError(response, 400, `The input file passes the batch limits (${limits.jobBytes} bytes).`);
      const running = [...batches.values()].filter((b) => !view(b).done).length;
      if (!quota.admits(running, 1))
        return rpcError(
          response,
          429,
          `Too many concurrent batch jobs (at most ${quota.limit}).`,
          "RESOURCE_EXHAUSTED",
        );
      const batch: SimBatch = {
        id: randomBytes(8).toString("hex"),
        model: decodeURIComponent(create[1]!),
        displayName: body.batch.displayName,
        inputFile: body.batch.inputConfig.fileName,
        createdMs: Date.now(),
        fate: faults.failNextJob ? "fail" : faults.expireNextJob ? "expire" : "complete",
        failReason: faults.failNextJob,
      };
      faults.failNextJob = undefined;
      faults.expireNextJob = undefined;
      batches.set(batch.id, batch);
      return sendJson(response, 200, view(batch));
    }
    const embed = /^\/v1beta\/models\/([^:]+):asyncBatchEmbedContent$/.exec(path);
    if (method === "POST" && embed) {
      const body = JSON.parse((await readBody(request)).toString("utf8")) as {
        batch: {
          displayName: string;
          inputConfig: {
            requests: {
              requests: { request: { content: { parts: { text: string }[] }; outputDimensionality?: number } }[];
            };
          };
        };
      };
      const batch: SimBatch = {
        id: randomBytes(8).toString("hex"),
        model: decodeURIComponent(embed[1]!),
        displayName: body.batch.displayName,
        inputFile: "",
        embeds: body.batch.inputConfig.requests.requests.map(({ request: r }) => ({
          text: r.content.parts.map((part) => part.text).join(""),
          dimensions: r.outputDimensionality,
        })),
        createdMs: Date.now(),
        fate: "complete",
      };
      batches.set(batch.id, batch);
      return sendJson(response, 200, view(batch));
    }
    const one = /^\/v1beta\/batches\/([^:/]+)(:cancel)?$/.exec(path);
    const batch = one ? batches.get(one[1]!) : undefined;
    if (!batch) return rpcError(response, 404, `Unknown ${method} ${path}`, "NOT_FOUND");
    request.resume();
    if (method === "GET" && !one![2]) return sendJson(response, 200, view(batch));
    if (method === "POST" && one![2]) {
      if (!batch.ended) batch.cancelMs ??= Date.now();
      batches.save(batch.id);
      return sendJson(response, 200, {});
    }
    rpcError(response, 404, `Unknown ${method} ${path}`, "NOT_FOUND");
  });
  baseUrl = url;
  return { url, faults, seenKeys, calls, quota, close: () => closeServer(server) };
};
