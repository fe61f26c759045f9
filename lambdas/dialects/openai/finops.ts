import * as z from "zod";
import { estimateBatch, getBatch, listBatches } from "../../core/batches";
import { budgetOf, charactersPerToken, defaultOutputTokens, monthOf } from "../../core/budgets";
import { chatEndpoint } from "../../core/chat";
import { batchesSince, costGroupings, costReport, isCostGrouping } from "../../core/costs";
import type { GatewayDeps } from "../../core/deps";
import { BadRequestError, NotFoundError } from "../../core/errors";
import { focusRows, mayChargeIn, rowsCharged } from "../../core/focus";
import { idFromAnyRendering } from "../../core/ids";
import type { BatchRecord } from "../../core/model";
import { estimatedEnd, progressOf } from "../../core/parts";
import { intString, providerSchema } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { focusCsv } from "../../formats/focus-csv";
import { focusParquet } from "../../formats/focus-parquet";
import { requireTenant } from "../../http/auth";
import type { Presented } from "../../http/authenticator";
import { type HttpRequest, jsonBody } from "../../http/request";
import { bytes, type HttpResponse, json } from "../../http/response";
import { everySdkBatchId } from "../batch-ids";

/**
 * The FinOps API takes the key of any SDK where that SDK puts it: `Authorization: Bearer` (OpenAI), `x-api-key`
 * (Anthropic) or `x-goog-api-key` (Google) — the same key is the same tenant.
 */
export const finOpsPresented = (request: HttpRequest): Presented => {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1];
  const key = bearer ?? request.headers["x-api-key"] ?? request.headers["x-goog-api-key"];
  return key ? { type: "key", key } : { type: "none", hint: "'Authorization: Bearer <key>' (or x-api-key)" };
};

/**
 * A batch or file id in any dialect's rendering (`batch_…`, `msgbatch_…`, `batches/…`, a Bedrock job ARN, `file-…`,
 * `files/…`) or bare.
 */
const idOf = (shown: string): string | undefined =>
  idFromAnyRendering(shown) ?? idFromAnyRendering(shown.slice(shown.lastIndexOf("/") + 1));

/** A batch's usage and cost as the FinOps API answers them, with its parts and when it should end. */
const renderCost = (batch: BatchRecord) => ({
  id: batch.id,
  status: batch.status,
  progress: renderProgress(batch),
  provider: batch.provider,
  model: batch.model ?? null,
  tags: batch.tags ?? {},
  usage: batch.usage
    ? {
        input_tokens: batch.usage.inputTokens,
        cached_input_tokens: batch.usage.cachedInputTokens ?? 0,
        output_tokens: batch.usage.outputTokens,
        reasoning_tokens: batch.usage.reasoningTokens ?? 0,
      }
    : null,
  cost: batch.cost
    ? {
        currency: batch.cost.currency,
        batch: batch.cost.batch,
        on_demand: batch.cost.onDemand,
        saved: batch.cost.saved,
        retries: batch.cost.retries ?? 0,
        pricing: batch.cost.pricing,
        source: batch.cost.source,
      }
    : null,
});

/** A batch in the console's list: its cost view, its id in every SDK's form, its states' times and counts. */
const renderListed = (batch: BatchRecord, deployment: GatewayDeps["deployment"]) => ({
  ...renderCost(batch),
  dialect: batch.dialect,
  ids: everySdkBatchId(batch, deployment),
  created_at: isoTime(batch.createdAt),
  request_counts: batch.requestCounts,
  status_times: Object.fromEntries(
    Object.entries(batch.statusTimes)
      .filter(([, at]) => at !== undefined)
      .sort(([, a], [, b]) => (a as number) - (b as number))
      .map(([status, at]) => [status, isoTime(at)]),
  ),
});

const isoTime = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Its parts (each upstream job: rows, run, state, counts, times), the rows' progress, and an estimated end. */
const renderProgress = (batch: BatchRecord) => {
  const progress = progressOf(batch);
  return {
    parts: (batch.parts ?? []).map((part) => ({
      part: part.n,
      attempt: part.attempt,
      rows: part.rows,
      state: part.state,
      upstream_status: part.status ?? null,
      completed: part.completed,
      failed: part.failed,
      retried: part.retried ?? 0,
      message: part.message ?? null,
      submitted_at: isoTime(part.submittedAt),
      ended_at: isoTime(part.endedAt),
    })),
    rows_done: progress.rowsDone,
    rows_retrying: progress.rowsRetrying,
    attempts: progress.attempts,
    estimated_end_at: isoTime(estimatedEnd(batch, Date.now())),
  };
};

/** A calendar day as `YYYY-MM-DD` that exists (`2026-13-45` is refused, not rolled over). */
const day = z.string().refine((text) => {
  const date = new Date(`${text}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}, "a calendar date, YYYY-MM-DD, such as 2026-12-01");
/** The first day of the current month (UTC): what a period without `from` starts at. */
const monthStart = () => `${monthOf(Date.now())}-01`;
const costsQuery = z.strictObject({
  from: day.optional(),
  to: day.optional(),
  group_by: z
    .string()
    .refine(isCostGrouping, `one of ${costGroupings.join(", ")}, or tag:KEY (a cost allocation tag, tag:team)`)
    .default("day"),
});

/** The FinOps API at `{GW}/finops`: a batch's cost, and the caller's costs over a period. */
/** The fields of `POST /v1/estimate`: a batch create's, on a file uploaded through any SDK. */
const estimateBody = z.strictObject({
  input_file_id: z.string({ error: "input_file_id is required: the file the batch would run" }),
  endpoint: z.string().default(chatEndpoint),
  provider: providerSchema.default("openai"),
  model: z.string().min(1).optional(),
});

const usdOf = (micro: number) => micro / 1e6;

const batchesQuery = z.strictObject({
  limit: intString(1, 100).default(20),
  after: z.string().optional(),
});

/** `GET /v1/focus`: a period (`to` exclusive; this month by default), as CSV or JSON rows. */
const focusQuery = z.strictObject({
  from: day.optional(),
  to: day.optional(),
  format: z.enum(["csv", "parquet", "json"]).default("csv"),
  /** Rows of batches still running, at their estimate (`x_CostStatus` `estimate`); `false` for settled rows alone. */
  estimates: z
    .enum(["true", "false"], { error: "estimates is true or false" })
    .default("true")
    .transform((text) => text === "true"),
});

export const finOpsRoutes = (deps: GatewayDeps) => ({
  /**
   * `GET /console` and `GET /console/{file}`: the console, a page that draws what this API answers (its script asks
   * for the key and keeps it in the tab's session storage). The files hold no data, so no key is asked for them.
   */
  async console(request: HttpRequest): Promise<HttpResponse> {
    const name = request.params.file ?? "console";
    const file = await deps.consoleFiles?.read(name);
    if (!file) throw new NotFoundError(`The console has no file '${name}'.`);
    return bytes(200, file.body, file.contentType, {
      "cache-control": "no-cache",
      // Its own script, style and API only: nothing inline, nothing from elsewhere, never framed.
      "content-security-policy":
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
  },

  /** `GET /v1/batches?limit=&after=`: the caller's batches of every SDK, newest first, each with its cost view. */
  async batches(request: HttpRequest): Promise<HttpResponse> {
    const q = parseWith(batchesQuery, request.query, "query");
    const after = q.after === undefined ? undefined : idOf(q.after);
    if (q.after !== undefined && !after)
      throw new BadRequestError(`Invalid 'after': ${q.after} is not a batch id.`, { param: "after" });
    const page = await listBatches(deps, requireTenant(request), { limit: q.limit, order: "desc", after });
    const data = page.items.map((batch) => renderListed(batch, deps.deployment));
    return json(200, { object: "list", data, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore });
  },

  /** `GET /v1/budget`: the key's budget this month (`monthly` null without one) and what is spent or reserved. */
  async budget(request: HttpRequest): Promise<HttpResponse> {
    const budget = await budgetOf(deps, requireTenant(request));
    return json(200, {
      object: "finops.budget",
      credential: request.credentialName ?? null,
      month: budget?.month ?? monthOf(Date.now()),
      monthly: budget?.limit === undefined ? null : usdOf(budget.limit),
      committed: usdOf(budget?.committed ?? 0),
    });
  },

  /**
   * `GET /v1/focus?from=YYYY-MM-DD&to=YYYY-MM-DD&format=csv|json`: the caller's settled batches of the period as
   * FOCUS rows (core/focus.ts), as a CSV file or a JSON list.
   */
  async focus(request: HttpRequest): Promise<HttpResponse> {
    const q = parseWith(focusQuery, request.query, "query");
    const from = q.from ?? monthStart();
    const period = {
      from: Date.parse(`${from}T00:00:00Z`),
      to: q.to ? Date.parse(`${q.to}T00:00:00Z`) : Date.now() + 1,
    };
    if (!(period.from < period.to)) throw new BadRequestError("'from' must be before 'to'.", { param: "from" });
    const batches = await batchesSince(deps, requireTenant(request), period.from, (batch) =>
      mayChargeIn(batch, period, q.estimates),
    );
    const all = await focusRows(batches, {
      estimates: q.estimates,
      deployment: deps.deployment,
      prices: deps.prices,
      ids: (batch) => everySdkBatchId(batch, deps.deployment),
      accountName: () => request.credentialName,
    });
    const rows = rowsCharged(all, period);
    if (q.format === "json") return json(200, { object: "list", from, to: q.to ?? null, data: rows });
    const name = `focus-${from}${q.to ? `-to-${q.to}` : ""}.${q.format}`;
    const disposition = { "content-disposition": `attachment; filename="${name}"` };
    return q.format === "parquet"
      ? bytes(200, focusParquet(rows), "application/vnd.apache.parquet", disposition)
      : bytes(200, Buffer.from(focusCsv(rows)), "text/csv; charset=utf-8", disposition);
  },

  /**
   * `POST /v1/estimate`: what a batch of the file would cost, its on-demand equivalent and saving, the key's budget
   * left after it, and what the estimate assumed. Nothing is created.
   */
  async estimate(request: HttpRequest): Promise<HttpResponse> {
    const body = parseWith(estimateBody, jsonBody(request), "body");
    const shown = body.input_file_id;
    const estimated = await estimateBatch(deps, {
      tenant: requireTenant(request),
      dialect: "openai",
      provider: body.provider,
      endpoint: body.endpoint,
      model: body.model,
      inputFile: { id: idOf(shown), shown },
    });
    return json(200, {
      object: "finops.estimate",
      provider: body.provider,
      model: estimated.model,
      endpoint: body.endpoint,
      requests: estimated.requests,
      usage: { input_tokens: estimated.usage.inputTokens, output_tokens: estimated.usage.outputTokens },
      cost: {
        currency: estimated.cost.currency,
        batch: estimated.cost.batch,
        on_demand: estimated.cost.onDemand,
        saved: estimated.cost.saved,
        pricing: estimated.cost.pricing,
        source: estimated.cost.source,
      },
      budget: estimated.budget
        ? {
            month: estimated.budget.month,
            monthly: usdOf(estimated.budget.limit),
            committed: usdOf(estimated.budget.committed),
            left_after: usdOf(estimated.budget.leftAfter),
          }
        : null,
      assumptions: {
        input_tokens: `the text of every message (and system prompt) at ${charactersPerToken} characters a token`,
        output_tokens: `each request's max_tokens (max_completion_tokens, maxOutputTokens), ${defaultOutputTokens} where none is set`,
        prices: "the batch rate the price list publishes, or the provider's batch discount off on-demand rates",
      },
    });
  },

  /** `GET /v1/batches/{id}`: usage and cost, `cost` null until the batch has settled. */
  async batch(request: HttpRequest): Promise<HttpResponse> {
    const shown = request.params.batchId ?? "";
    return json(200, renderCost(await getBatch(deps, requireTenant(request), idOf(shown), shown)));
  },

  /**
   * `GET /v1/costs?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=day|model|provider|dialect` (`to` exclusive; `from` is the
   * first of this month, UTC, when not given).
   */
  async costs(request: HttpRequest): Promise<HttpResponse> {
    const parsed = parseWith(costsQuery, request.query, "query");
    const q = { ...parsed, from: parsed.from ?? monthStart() };
    const from = Date.parse(`${q.from}T00:00:00Z`);
    const to = q.to ? Date.parse(`${q.to}T00:00:00Z`) : Date.now() + 1;
    const groups = await costReport(deps, requireTenant(request), { from, to, groupBy: q.group_by });
    return json(200, {
      object: "list",
      from: q.from,
      to: q.to ?? null,
      group_by: q.group_by,
      currency: "USD",
      data: groups.map((g) => ({
        group: g.group,
        batches: g.batches,
        unpriced_batches: g.unpricedBatches,
        input_tokens: g.inputTokens,
        output_tokens: g.outputTokens,
        cost: g.cost,
        on_demand: g.onDemand,
        saved: g.saved,
        retries: g.retries,
      })),
    });
  },
});
