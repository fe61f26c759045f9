import * as z from "zod";
import { parseTags, tagsHeader } from "../../core/allocation";
import { type BatchDeps, cancelBatch, createBatch, deleteBatch, getBatch, listBatches } from "../../core/batches";
import { chatEndpoint } from "../../core/chat";
import { embeddingsEndpoint } from "../../core/embeddings";
import { BadRequestError } from "../../core/errors";
import { findFile, readFileBytes } from "../../core/files";
import { isId, parseId, renderId } from "../../core/ids";
import { type BatchRecord, isTerminal, lastStatusTime } from "../../core/model";
import { askedAttempts, progressSentence, retryField } from "../../core/parts";
import { intString } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { isBlank, parseObjectLine, readLines } from "../../formats/jsonl";
import { type HttpRequest, jsonBody } from "../../http/request";
import { type HttpResponse, json } from "../../http/response";
import { fileIdFromName, genAiPrefix, genAiProvider, genAiTenant, rfc3339 } from "./files";

/** Inline outputs are returned inside the batch; past this size the batch points at a responses file instead. */
const inlineOutputLimitBytes = 3 * 1024 * 1024;

/** The neutral status as Gemini's REST `BATCH_STATE_*` (an expired batch with results reads as succeeded, §6.3). */
const batchState = (batch: BatchRecord): string => {
  switch (batch.status) {
    case "validating":
    case "queued":
      return "BATCH_STATE_PENDING";
    case "in_progress":
    case "finalizing":
    case "cancelling":
      return "BATCH_STATE_RUNNING";
    case "completed":
      return "BATCH_STATE_SUCCEEDED";
    case "failed":
      return "BATCH_STATE_FAILED";
    case "cancelled":
      return "BATCH_STATE_CANCELLED";
    case "expired":
      return batch.requestCounts.completed > 0 ? "BATCH_STATE_SUCCEEDED" : "BATCH_STATE_EXPIRED";
  }
};

/** The inline responses of an ended inline batch, in input order, each with the metadata its request had. */
const inlinedResponses = async (deps: BatchDeps, batch: BatchRecord) => {
  const file = batch.outputFileId ? await findFile(deps, batch.tenant, batch.outputFileId) : undefined;
  if (!file || file.bytes > inlineOutputLimitBytes) return undefined;
  const out: unknown[] = [];
  for await (const line of readLines([await readFileBytes(deps, file)])) {
    if (isBlank(line)) continue;
    const { key, ...rest } = parseObjectLine(line) as { key: string };
    out.push({ ...rest, metadata: { key } });
  }
  return out;
};

/**
 * A batch wrapped as Google's long-running Operation: `name` at the top, the batch in `metadata` (camelCase,
 * `BATCH_STATE_*`, `batchStats` as int64 strings), and `metadata.output` once it has ended (a responses file, or
 * the inline responses for an inline batch), which the SDKs read as `batch_job.dest`.
 */
export const renderOperation = async (deps: BatchDeps, batch: BatchRecord) => {
  const name = renderId(genAiPrefix.batch, batch.id);
  const ended = isTerminal(batch.status);
  const inline = batch.metadata?.finops_input === "inline";
  let output: Record<string, unknown> | undefined;
  if (ended && batch.outputFileId) {
    const responses = inline ? await inlinedResponses(deps, batch) : undefined;
    output = responses
      ? { inlinedResponses: { inlinedResponses: responses } }
      : { responsesFile: renderId(genAiPrefix.file, batch.outputFileId) };
  }
  const total = batch.requestCounts.total;
  return {
    name,
    metadata: {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
      name,
      model: `models/${batch.model ?? ""}`,
      displayName: batch.metadata?.displayName ?? name,
      inputConfig: inline
        ? { requests: {} }
        : { fileName: batch.inputFileId ? renderId(genAiPrefix.file, batch.inputFileId) : undefined },
      createTime: rfc3339(batch.createdAt),
      updateTime: rfc3339(lastStatusTime(batch)),
      ...(ended && { endTime: rfc3339(lastStatusTime(batch)) }),
      batchStats: {
        requestCount: String(total),
        successfulRequestCount: String(batch.requestCounts.completed),
        failedRequestCount: String(ended ? total - batch.requestCounts.completed : batch.requestCounts.failed),
        pendingRequestCount: String(ended ? 0 : total - batch.requestCounts.completed - batch.requestCounts.failed),
      },
      state: batchState(batch),
      // Beside Google's fields (the GenAI SDKs read none of these counts; the FinOps API has them too).
      ...(progressSentence(batch) && { finopsProgress: progressSentence(batch) }),
      ...(output && { output }),
    },
    done: ended,
    ...(batch.status === "failed" && {
      error: { code: 13, message: batch.failureReason ?? "The batch failed.", status: "INTERNAL" },
    }),
    ...(output && {
      response: {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
        ...output,
      },
    }),
  };
};

const createBody = z.object({
  // Strict: a field the gateway does not carry (`priority`, `webhookConfig` — whose calls would name the upstream's
  // batch, not the caller's) is refused by name, never dropped; the gateway's own webhooks stand in for the latter.
  batch: z.strictObject({
    displayName: z.string().optional(),
    inputConfig: z.union([
      z.object({ fileName: z.string() }),
      // The SDKs' embeddings converter writes the file's name in snake case.
      z.object({ file_name: z.string() }),
      z.object({
        requests: z.object({
          requests: z
            .array(
              z
                .object({
                  request: z.record(z.string(), z.unknown()),
                  metadata: z.record(z.string(), z.unknown()).optional(),
                })
                .loose(),
            )
            .min(1, "at least one request is required"),
        }),
      }),
    ]),
  }),
});

const listQuery = z.object({ pageSize: intString(1, 100).default(10), pageToken: z.string().optional() });

const batchIdOf = (request: HttpRequest, suffix = "") => {
  const raw = (request.params.batchId ?? "").replace(new RegExp(`${suffix}$`), "");
  return { shown: `batches/${raw}`, id: parseId(genAiPrefix.batch, `batches/${raw}`) };
};

/** The Batches routes of the GenAI dialect. */
export const genAiBatchRoutes = (deps: BatchDeps) => ({
  /** `batches.create`: `models/{model}:batchGenerateContent` with a file name or inline requests. */
  async create(request: HttpRequest): Promise<HttpResponse> {
    const tenant = genAiTenant(request);
    const raw = request.params.model ?? "";
    const cut = raw.lastIndexOf(":"); // model ids may hold ':' themselves (Bedrock's `…-v1:0`)
    const [model, verb] = cut < 0 ? [raw, ""] : [raw.slice(0, cut), raw.slice(cut + 1)];
    // `create_embeddings` sends `asyncBatchEmbedContent`: its requests are EmbedContentRequests, answered in order.
    const embeddings = verb === "asyncBatchEmbedContent";
    if ((verb !== "batchGenerateContent" && !embeddings) || !model)
      throw new BadRequestError(
        `Unknown method ${request.path}; batches are created with models/{model}:batchGenerateContent, ` +
          "embeddings batches with models/{model}:asyncBatchEmbedContent.",
      );
    const body = parseWith(createBody, jsonBody(request), "body");
    const input = body.batch.inputConfig;
    const metadata: Record<string, string> = { ...(body.batch.displayName && { displayName: body.batch.displayName }) };
    let inputFile: { id: string | undefined; shown: string } | undefined;
    let inlineRequests: Record<string, unknown>[] | undefined;
    if ("fileName" in input || "file_name" in input) {
      const fileName = "fileName" in input ? input.fileName : input.file_name;
      inputFile = { id: fileIdFromName(fileName), shown: fileName };
    } else {
      // Inline requests are answered in input order; a request without metadata.key is keyed by its position.
      inlineRequests = input.requests.requests.map((entry, index) => ({
        key: String(entry.metadata?.key ?? index),
        request: entry.request,
      }));
      metadata.finops_input = "inline";
    }
    const batch = await createBatch(deps, {
      providerKey: request.providerKey,
      tenant,
      dialect: "genai",
      provider: genAiProvider(request),
      endpoint: embeddings ? embeddingsEndpoint : chatEndpoint,
      completionWindow: "24h",
      model: model.replace(/^models\//, ""),
      metadata,
      inputFile,
      inlineRequests,
      inlineField: "batch.inputConfig.requests.requests",
      anyPurpose: true,
      maxAttempts: askedAttempts(request.headers[retryField.header]),
      tags: parseTags(request.headers[tagsHeader] ?? "", tagsHeader),
    });
    return json(200, await renderOperation(deps, batch));
  },

  async get(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    return json(200, await renderOperation(deps, await getBatch(deps, genAiTenant(request), id, shown)));
  },

  async list(request: HttpRequest): Promise<HttpResponse> {
    const tenant = genAiTenant(request);
    const q = parseWith(listQuery, request.query, "query");
    if (q.pageToken !== undefined && !isId(q.pageToken))
      throw new BadRequestError("Invalid pageToken.", { param: "pageToken" });
    const page = await listBatches(deps, tenant, {
      limit: q.pageSize,
      order: "desc",
      after: q.pageToken,
      cursorName: "pageToken",
    });
    const operations = await Promise.all(page.items.map((b) => renderOperation(deps, b)));
    return json(200, { operations, ...(page.hasMore && { nextPageToken: page.items.at(-1)!.id }) });
  },

  async cancel(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request, ":cancel");
    await cancelBatch(deps, genAiTenant(request), id, shown);
    return json(200, {});
  },

  async delete(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    await deleteBatch(deps, genAiTenant(request), id, shown);
    return json(200, {});
  },
});
