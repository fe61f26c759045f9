import * as z from "zod";
import { parseTags, tagsHeader } from "../../core/allocation";
import { type BatchDeps, cancelBatch, createBatch, deleteBatch, getBatch, listBatches } from "../../core/batches";
import { chatEndpoint } from "../../core/chat";
import { BadRequestError } from "../../core/errors";
import { getFile, readFileContent } from "../../core/files";
import { parseId, renderId } from "../../core/ids";
import { type BatchRecord, isTerminal, lastStatusTime } from "../../core/model";
import { askedAttempts, progressOf, retryField } from "../../core/parts";
import { providerSchema } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { type HttpRequest, jsonBody } from "../../http/request";
import { bytes, type HttpResponse, json, redirect } from "../../http/response";
import { anthropicPage, anthropicPrefix, anthropicTenant, rfc3339 } from "./files";

const dayMs = 86_400_000;

/**
 * A batch as Anthropic's MessageBatch: only `in_progress | canceling | ended`, and every count but `processing`
 * stays 0 until the batch has ended (a gateway-level failure ends with every request errored).
 */
export const renderMessageBatch = (batch: BatchRecord, baseUrl: string) => {
  const ended = isTerminal(batch.status);
  const total = batch.requestCounts.total;
  const outcomes = batch.outcomeCounts ?? {
    succeeded: batch.requestCounts.completed,
    errored: batch.requestCounts.failed,
    cancelled: 0,
    expired: 0,
  };
  const id = renderId(anthropicPrefix.batch, batch.id);
  const endedAt = ended ? lastStatusTime(batch) : undefined;
  const progress = progressOf(batch);
  return {
    id,
    type: "message_batch",
    processing_status: ended ? "ended" : batch.status === "cancelling" ? "canceling" : "in_progress",
    request_counts: ended
      ? {
          processing: 0,
          succeeded: outcomes.succeeded,
          errored: outcomes.errored,
          canceled: outcomes.cancelled,
          expired: outcomes.expired,
        }
      : { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    created_at: rfc3339(batch.createdAt),
    expires_at: rfc3339(batch.createdAt + dayMs),
    ended_at: rfc3339(endedAt),
    archived_at: null,
    cancel_initiated_at: rfc3339(batch.statusTimes.cancelling),
    results_url: ended && batch.outputFileId ? `${baseUrl}/anthropic/v1/messages/batches/${id}/results` : null,
    // Anthropic counts requests only once a batch ended; a batch of several parts shows how far it has come.
    ...(progress.parts > 1 && {
      finops_progress: {
        parts: progress.parts,
        parts_running: progress.partsRunning,
        parts_waiting: progress.partsWaiting,
        rows_done: progress.rowsDone,
        rows_retrying: progress.rowsRetrying,
        attempts: progress.attempts,
      },
    }),
  };
};

const customId = /^[a-zA-Z0-9_-]{1,64}$/;
const createBody = z.object({
  requests: z
    .array(z.record(z.string(), z.unknown()), { error: "requests must be a list of {custom_id, params}" })
    .min(1, "at least one request is required"),
  provider: providerSchema.optional(),
});

/** Anthropic's own checks on a batch request list, so each bad request is a 400 naming its index. */
const checkRequests = (requests: Record<string, unknown>[]): void => {
  const seen = new Set<string>();
  requests.forEach((request, index) => {
    const at = `requests.${index}`;
    const id = request.custom_id;
    if (typeof id !== "string" || !customId.test(id)) {
      throw new BadRequestError(`${at}.custom_id: ${JSON.stringify(id)} must match ^[a-zA-Z0-9_-]{1,64}$.`, {
        param: `${at}.custom_id`,
      });
    }
    if (seen.has(id))
      throw new BadRequestError(
        `${at}.custom_id: duplicate custom_id ${JSON.stringify(id)}; each request needs its own.`,
        { param: `${at}.custom_id` },
      );
    seen.add(id);
    const params = request.params as Record<string, unknown> | undefined;
    if (typeof params !== "object" || params === null)
      throw new BadRequestError(`${at}.params: field required.`, { param: `${at}.params` });
    if (params.max_tokens === undefined)
      throw new BadRequestError(`${at}.params.max_tokens: field required.`, { param: `${at}.params.max_tokens` });
  });
};

const batchIdOf = (request: HttpRequest) => {
  const shown = request.params.batchId ?? "";
  return { shown, id: parseId(anthropicPrefix.batch, shown) };
};

/** The Message Batches routes of the Anthropic dialect (`messages.batches` and `beta.messages.batches`). */
export const anthropicBatchRoutes = (deps: BatchDeps) => ({
  /** `batches.create`: inline requests; the provider comes from `x-model-provider` (default `anthropic`). */
  async create(request: HttpRequest): Promise<HttpResponse> {
    const tenant = anthropicTenant(request);
    const body = parseWith(createBody, jsonBody(request), "body");
    checkRequests(body.requests);
    const provider =
      parseWith(providerSchema.optional(), request.headers["x-model-provider"], "x-model-provider header") ??
      body.provider ??
      "anthropic";
    const batch = await createBatch(deps, {
      providerKey: request.providerKey,
      tenant,
      dialect: "anthropic",
      provider,
      endpoint: chatEndpoint,
      completionWindow: "24h",
      inlineRequests: body.requests,
      inlineField: "requests",
      maxAttempts: askedAttempts(request.headers[retryField.header]),
      tags: parseTags(request.headers[tagsHeader] ?? "", tagsHeader),
    });
    return json(200, renderMessageBatch(batch, request.baseUrl));
  },

  async retrieve(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    return json(200, renderMessageBatch(await getBatch(deps, anthropicTenant(request), id, shown), request.baseUrl));
  },

  async list(request: HttpRequest): Promise<HttpResponse> {
    const tenant = anthropicTenant(request);
    const page = await anthropicPage(
      request,
      anthropicPrefix.batch,
      (query) => listBatches(deps, tenant, query),
      (b) => renderMessageBatch(b, request.baseUrl),
    );
    const { next_page: _next, ...rest } = page;
    return json(200, rest);
  },

  async cancel(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    return json(200, renderMessageBatch(await cancelBatch(deps, anthropicTenant(request), id, shown), request.baseUrl));
  },

  async delete(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    await deleteBatch(deps, anthropicTenant(request), id, shown);
    return json(200, { id: shown, type: "message_batch_deleted" });
  },

  /** The results JSONL (the `results_url`): one line per request, whichever provider ran them. */
  async results(request: HttpRequest): Promise<HttpResponse> {
    const tenant = anthropicTenant(request);
    const { shown, id } = batchIdOf(request);
    const batch = await getBatch(deps, tenant, id, shown);
    if (!isTerminal(batch.status) || !batch.outputFileId) {
      throw new BadRequestError(`Batch ${shown} has not ended; its results are not ready.`, { param: "batch_id" });
    }
    const file = await getFile(deps, tenant, batch.outputFileId, shown);
    const content = await readFileContent(deps, file);
    return content.kind === "redirect" ? redirect(content.url) : bytes(200, content.body, "application/binary");
  },
});
