import * as z from "zod";
import { tagsAmong } from "../../core/allocation";
import { type BatchDeps, cancelBatch, createBatch, getBatch, listBatches } from "../../core/batches";
import { BadRequestError } from "../../core/errors";
import { parseId, renderId } from "../../core/ids";
import type { BatchRecord } from "../../core/model";
import { askedAttempts, progressOf, retryField } from "../../core/parts";
import { intString, providerSchema } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { type HttpRequest, jsonBody, unflattenBrackets } from "../../http/request";
import { type HttpResponse, json } from "../../http/response";
import { openAiPrefix, openAiTenant, seconds } from "./files";

const dayMs = 86_400_000;

/**
 * How far a batch of several parts (or with retries) has come, as metadata entries: its parts, rows done, rows
 * waiting to run again and runs in all. A batch of one part that never retried shows nothing more.
 */
const progressMetadata = (batch: BatchRecord): Record<string, string> => {
  const progress = progressOf(batch);
  if (progress.parts <= 1) return {};
  return {
    finops_parts: String(progress.parts),
    finops_parts_waiting: String(progress.partsWaiting),
    finops_rows_done: String(progress.rowsDone),
    finops_rows_retrying: String(progress.rowsRetrying),
    finops_attempts: String(progress.attempts),
  };
};

/** A batch as OpenAI's Batch object (neutral `queued` has no OpenAI state and shows as `validating`). */
export const renderBatch = (batch: BatchRecord) => {
  const t = batch.statusTimes;
  // What the batch cost and saved, once settled, as metadata entries (OpenAI's SDKs take any string pairs there).
  const cost = batch.cost && {
    finops_pricing: batch.cost.pricing,
    ...(batch.cost.batch !== null && { finops_cost_usd: String(batch.cost.batch) }),
    ...(batch.cost.saved !== null && { finops_saved_usd: String(batch.cost.saved) }),
  };
  const ranOnDemand = (batch.parts ?? []).some((part) => part.upstream?.mode === "on_demand");
  const extra = {
    ...(ranOnDemand && { finops_execution: "on_demand" }),
    ...progressMetadata(batch),
    ...cost,
    ...(batch.cost?.retries !== undefined && { finops_retry_cost_usd: String(batch.cost.retries) }),
  };
  const metadata = Object.keys(extra).length > 0 ? { ...batch.metadata, ...extra } : (batch.metadata ?? null);
  return {
    id: renderId(openAiPrefix.batch, batch.id),
    object: "batch",
    endpoint: batch.endpoint,
    model: batch.model ?? null,
    errors:
      batch.status === "failed"
        ? {
            object: "list",
            data: [
              { code: "batch_failed", message: batch.failureReason ?? "The batch failed.", param: null, line: null },
            ],
          }
        : null,
    input_file_id: batch.inputFileId ? renderId(openAiPrefix.file, batch.inputFileId) : "",
    completion_window: batch.completionWindow,
    status: batch.status === "queued" ? "validating" : batch.status,
    output_file_id: batch.outputFileId ? renderId(openAiPrefix.file, batch.outputFileId) : null,
    error_file_id: batch.errorFileId ? renderId(openAiPrefix.file, batch.errorFileId) : null,
    created_at: seconds(batch.createdAt),
    in_progress_at: seconds(t.in_progress),
    expires_at: seconds(batch.createdAt + dayMs),
    finalizing_at: seconds(t.finalizing),
    completed_at: seconds(t.completed),
    failed_at: seconds(t.failed),
    expired_at: seconds(t.expired),
    cancelling_at: seconds(t.cancelling),
    cancelled_at: seconds(t.cancelled),
    request_counts: batch.requestCounts,
    metadata,
    usage: batch.usage
      ? {
          input_tokens: batch.usage.inputTokens,
          input_tokens_details: { cached_tokens: batch.usage.cachedInputTokens ?? 0 },
          output_tokens: batch.usage.outputTokens,
          output_tokens_details: { reasoning_tokens: batch.usage.reasoningTokens ?? 0 },
          total_tokens: batch.usage.inputTokens + batch.usage.outputTokens,
        }
      : null,
  };
};

const createBody = z.strictObject({
  input_file_id: z.string({ error: "input_file_id is required (empty for inline requests)" }),
  endpoint: z.string({ error: "endpoint is required" }),
  completion_window: z.literal("24h", { error: "completion_window must be '24h'" }),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, "at most 16 metadata pairs")
    .nullish(),
  provider: providerSchema.optional(),
  model: z.string().min(1).optional(),
  output_s3_uri: z.string().optional(),
  requests: z.array(z.record(z.string(), z.unknown())).optional(),
  /** The output and error files' lifetime: from an hour to 30 days after they are written. */
  output_expires_after: z
    .strictObject({
      anchor: z.literal("created_at", { error: "output_expires_after.anchor must be 'created_at'" }),
      seconds: z
        .number()
        .int()
        .min(3600, "output_expires_after.seconds is at least 3600 (an hour)")
        .max(2_592_000, "output_expires_after.seconds is at most 2592000 (30 days)"),
    })
    .optional(),
});

const listQuery = z.object({
  limit: intString(1, 100).default(20),
  after: z.string().optional(),
  provider: providerSchema.optional(),
  model: z.string().optional(),
});

const batchIdOf = (request: HttpRequest) => {
  const shown = request.params.batchId ?? "";
  return { shown, id: parseId(openAiPrefix.batch, shown) };
};

/** The Batch API routes of the OpenAI dialect. */
export const openAiBatchRoutes = (deps: BatchDeps) => ({
  /**
   * `batches.create`: an input file or the seeds' inline `requests`; `provider` from the body (extra_body) or the
   * query (extra_query); `model` and `output_s3_uri` are the seeds' extra fields (Bedrock outputs are staged by
   * the gateway, so `output_s3_uri` is accepted and not needed).
   */
  async create(request: HttpRequest): Promise<HttpResponse> {
    const tenant = openAiTenant(request);
    const query = unflattenBrackets(Object.entries(request.query));
    const body = parseWith(createBody, { provider: query.provider, ...(jsonBody(request) as object) }, "body");
    const shownFile = body.input_file_id;
    if (shownFile === "" && !body.requests?.length)
      throw new BadRequestError("Give an input_file_id, or inline 'requests' with an empty input_file_id.", {
        param: "input_file_id",
      });
    const batch = await createBatch(deps, {
      providerKey: request.providerKey,
      tenant,
      dialect: "openai",
      provider: body.provider ?? "openai",
      endpoint: body.endpoint,
      completionWindow: body.completion_window,
      metadata: body.metadata ?? undefined,
      model: body.model,
      inputFile: { id: parseId(openAiPrefix.file, shownFile), shown: shownFile },
      inlineRequests: body.requests,
      inlineField: "requests",
      outputExpiresAfterSeconds: body.output_expires_after?.seconds,
      maxAttempts: askedAttempts(body.metadata?.[retryField.key]),
      // Every metadata pair is an allocation tag (team, project, …) but the gateway's own `finops_…` settings.
      tags: tagsAmong(body.metadata ?? undefined, "metadata"),
    });
    return json(200, renderBatch(batch));
  },

  async retrieve(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    return json(200, renderBatch(await getBatch(deps, openAiTenant(request), id, shown)));
  },

  /** `batches.list`: newest first, cursor pages; the seeds' `provider` and `model` query fields filter. */
  async list(request: HttpRequest): Promise<HttpResponse> {
    const tenant = openAiTenant(request);
    const query = parseWith(listQuery, unflattenBrackets(Object.entries(request.query)), "query");
    let after: string | undefined;
    if (query.after !== undefined) {
      after = parseId(openAiPrefix.batch, query.after);
      if (!after) throw new BadRequestError(`Invalid 'after': ${query.after} is not a batch id.`, { param: "after" });
    }
    const page = await listBatches(deps, tenant, {
      limit: query.limit,
      order: "desc",
      after,
      where: { provider: query.provider, model: query.model },
    });
    const data = page.items.map(renderBatch);
    return json(200, {
      object: "list",
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    });
  },

  async cancel(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = batchIdOf(request);
    return json(200, renderBatch(await cancelBatch(deps, openAiTenant(request), id, shown)));
  },
});
