import { setTimeout as delay } from "node:timers/promises";
import { type BudgetDeps, charactersPerToken, settleBudget } from "./budgets";
import type { InputFormat, Usage } from "./chat";
import type { SecretSealer } from "./credentials";
import { ConfigurationError, RetryableError } from "./errors";
import type { FileDeps } from "./files";
import { upstreamKey } from "./ids";
import { JsonlBlobWriter } from "./jsonl-blob-writer";
import type { Limiter } from "./limits";
import {
  type BatchCost,
  type BatchPart,
  type BatchRecord,
  type BatchStatus,
  isTerminal,
  type NeutralResult,
  type Provider,
  statusRank,
  terminalBatchStatuses,
} from "./model";
import {
  inRowOrder,
  isTransient,
  type KeptResult,
  lastOutcomes,
  partId,
  partKeys,
  planParts,
  retryPart,
} from "./parts";
import type {
  BatchEvents,
  EngineMetrics,
  InputRequest,
  LineConverter,
  ProviderAdapter,
  ProviderAdapters,
  QuotaSlots,
  ResultSink,
  ResultSinks,
  SubmitInput,
} from "./ports";
import { addUsage, CostMeter, usd } from "./pricing";

/**
 * When the upstream is polled next: a share of the time the batch has run so far, between a floor and a cap. A
 * batch's results are so collected at most `fraction` of its run time after it ended (and never later than the
 * cap), and polls thin out as a long batch goes on, where a fixed backoff keeps polling at its cap.
 */
export interface PollSchedule {
  minSeconds: number;
  /** The wait as a share of the time since the batch was created. */
  fraction: number;
  capSeconds: number;
}

/**
 * In AWS: every 30 s for the first 2.5 min, then a fifth of the batch's age, at most 20 min: 93 polls and 283 state
 * transitions for a 24 h batch (test/lib/batch-definition.test.ts runs one on the state machine and counts them),
 * 23 polls for a 1 h batch.
 */
export const defaultPollSchedule: PollSchedule = { minSeconds: 30, fraction: 0.2, capSeconds: 1200 };

/** The wait before the next slice of work a provider runs itself (small Bedrock batches, on demand). */
export const busyPollSeconds = 1;

/** The wait before the next poll of a batch that has run `ageSeconds`. */
export const pollDelaySeconds = (schedule: PollSchedule, ageSeconds: number): number =>
  Math.min(schedule.capSeconds, Math.max(schedule.minSeconds, Math.round(schedule.fraction * ageSeconds)));

/** What the engine needs: state, the provider adapters, and each dialect's result sink. */
export interface EngineDeps extends FileDeps, BudgetDeps {
  /** Pass-through mode: an adapter for a batch that runs with the caller's own provider key. */
  providerWithKey?: (provider: Provider, key: string) => Promise<ProviderAdapter | undefined>;
  /** Unseals callers' provider keys (pass-through mode). */
  sealer?: SecretSealer;
  /** Told when a batch ends, to free its slot. @default no limit */
  limiter?: Limiter;
  /**
   * The provider adapters, or how to load them on first use (in AWS they need the provider keys secret, which
   * the `fail` task must not depend on).
   */
  providers: ProviderAdapters | (() => Promise<ProviderAdapters>);
  sinks: ResultSinks;
  poll: PollSchedule;
  /** Publishes each settled batch's cost and usage. @default none */
  metrics?: EngineMetrics;
  /** Publishes each batch's end (EventBridge, the local bus). @default none */
  events?: BatchEvents;
  /** Runs line conversions of inputs (in process, or on worker threads). @default none: conversions fail */
  converter?: LineConverter;
  /** Waits between attempts to record a new upstream job. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** What running parts hold of each provider quota, shared by every batch. @default none counted */
  quotas?: QuotaSlots;
  /** Seconds of part submissions one task runs before handing on. @default {@link defaultTaskBudgetSeconds} */
  taskBudgetSeconds?: number;
}

/** Attempts to record an upstream job before it is cancelled instead (100 ms, doubling: about 3 s in all). */
const recordAttempts = 5;

/** Seconds of part submissions one task runs before it hands on to the next (a Lambda's time is bounded). */
export const defaultTaskBudgetSeconds = 120;

/** The input of every task state: which batch, and (for polls) how many polls came before. */
export interface TaskInput {
  batchId: string;
  tenant: string;
  attempt?: number;
  /** The error a Catch caught, as Step Functions passes it. */
  error?: { Error?: string; Cause?: string };
}

/** The rates of a gateway without a price list: every batch is `unpriced`, never 0. */
const noPrices = { unpriced: "no price list is configured" } as const;

/** Where the state machine goes next: wait and poll again, collect the results, or stop. */
export interface Route {
  next: "wait" | "collect" | "done";
  waitSeconds: number;
  attempt: number;
}

const nonTerminal: readonly BatchStatus[] = ["validating", "queued", "in_progress", "finalizing", "cancelling"];

/** How long a batch's parts may wait and run: its completion window (OpenAI's `24h`; the others run a day too). */
const windowMs = (batch: BatchRecord): number => {
  const hours = /^(\d+)h$/.exec(batch.completionWindow)?.[1];
  return (hours ? Number(hours) : 24) * 3_600_000;
};

/** The result of a request that did not run to an answer, as the way its part (or the batch) ended says. */
const notRun = (
  status: BatchStatus | undefined,
  message: string | undefined,
): Pick<NeutralResult, "outcome" | "error"> =>
  status === "cancelled"
    ? {
        outcome: "cancelled",
        error: { code: "batch_cancelled", message: "The batch was cancelled before this request ran." },
      }
    : status === "expired"
      ? {
          outcome: "expired",
          error: {
            code: "batch_expired",
            message: "This request could not be executed before the completion window expired.",
          },
        }
      : {
          outcome: "errored",
          error: {
            code: status === "failed" ? "batch_failed" : "missing_result",
            message: message ?? "The provider returned no result for this request.",
          },
        };

/** The batch engine's tasks, run by the state machine (Step Functions in AWS, the local executor locally). */
export const createBatchEngine = (deps: EngineDeps) => {
  const settings = deps.config.parts;
  const load = async ({ tenant, batchId }: TaskInput): Promise<BatchRecord> => {
    const batch = await deps.repo.get("batch", tenant, batchId);
    if (!batch) throw new ConfigurationError(`Batch ${batchId} no longer exists.`);
    return batch;
  };
  const adapterFor = async (batch: BatchRecord): Promise<ProviderAdapter> => {
    const own =
      batch.sealedProviderKey &&
      deps.sealer &&
      (await deps.providerWithKey?.(batch.provider, await deps.sealer.unseal(batch.sealedProviderKey)));
    const adapters = typeof deps.providers === "function" ? await deps.providers() : deps.providers;
    const adapter = own || adapters[batch.provider];
    if (!adapter) {
      throw new ConfigurationError(
        `Provider ${batch.provider} is not configured on this gateway: its API key is missing from the provider keys.`,
      );
    }
    return adapter;
  };
  const sinkFor = (batch: BatchRecord): ResultSink => deps.sinks[batch.dialect](batch);
  const now = () => deps.now?.() ?? Date.now();
  const route = (next: Route["next"], attempt = 0, batch?: BatchRecord): Route => ({
    next,
    attempt,
    waitSeconds: pollDelaySeconds(deps.poll, batch ? Math.max(0, (now() - batch.createdAt) / 1000) : 0),
  });
  const busy = (attempt: number): Route => ({ next: "wait", attempt, waitSeconds: busyPollSeconds });
  const stamp = (batch: BatchRecord, status: BatchStatus) =>
    batch.statusTimes[status] ? batch.statusTimes : { ...batch.statusTimes, [status]: Date.now() };
  const ratesOf = async (batch: BatchRecord) =>
    (await deps.prices?.rates(batch.provider, batch.model ?? "").catch(() => undefined)) ?? noPrices;

  /** One part as its provider adapter sees a batch: its own id, input, counts and upstream job. */
  const viewOf = (batch: BatchRecord, part: BatchPart): BatchRecord => ({
    ...batch,
    id: partId(batch, part),
    inputBlobKey: part.attempt > 1 ? partKeys(batch, part).input : batch.inputBlobKey,
    requestCounts: { total: part.rows, completed: part.completed, failed: part.failed },
    upstream: part.upstream,
    parts: undefined,
  });

  /** A part's input lines as bytes: its range of the batch's input, or a retry's own file. */
  const partBytes = (batch: BatchRecord, part: BatchPart) =>
    part.attempt > 1
      ? deps.blobs.stream(partKeys(batch, part).input)
      : deps.blobs.stream(batch.inputBlobKey, { start: part.start, end: part.end - 1 });

  async function* partRequests(batch: BatchRecord, part: BatchPart): AsyncGenerator<InputRequest> {
    yield* deps.codec.requests(await partBytes(batch, part));
  }

  /** The row of each of a part's requests, in its input order. */
  const rowsOf = async (batch: BatchRecord, part: BatchPart): Promise<number[]> =>
    part.attempt > 1
      ? (JSON.parse(Buffer.from(await deps.blobs.read(partKeys(batch, part).rows)).toString("utf8")) as number[])
      : Array.from({ length: part.rows }, (_, i) => part.firstRow + i);

  const submitInput = async (batch: BatchRecord, part: BatchPart): Promise<SubmitInput> => {
    let format: InputFormat = "openai";
    for await (const request of partRequests(batch, part)) {
      format = request.format;
      break;
    }
    return {
      format,
      requests: () => partRequests(batch, part),
      raw: () => partBytes(batch, part),
      convert: (conversion) => {
        const converter = deps.converter;
        if (!converter) throw new ConfigurationError("This gateway has no line converter.");
        return (async function* () {
          yield* converter.convert(await partBytes(batch, part), conversion);
        })();
      },
    };
  };

  /** Saves the parts and the counts they add up to; the status only moves forward, and never past a cancel. */
  const saveParts = async (batch: BatchRecord, parts: BatchPart[]): Promise<void> => {
    const requestCounts = {
      total: batch.requestCounts.total,
      completed: parts.reduce((sum, part) => sum + part.completed, 0),
      failed: parts.reduce((sum, part) => sum + part.failed - (part.retried ?? 0), 0),
    };
    const saved = await deps.repo.update("batch", batch.id, { parts, requestCounts }, { statusIn: nonTerminal });
    if (!saved) throw new ConfigurationError(`Batch ${batch.id} ended while its parts were being updated.`);
    const status = combinedStatus(parts);
    if (saved.status === "cancelling" || statusRank[status] <= statusRank[saved.status]) return;
    await deps.repo.update(
      "batch",
      batch.id,
      { status, statusTimes: stamp(saved, status) },
      { statusIn: [saved.status] },
    );
  };

  /**
   * Records a part's upstream job the moment it exists, before anything else can fail: the write is retried, and a
   * job that still cannot be recorded is cancelled before the error goes up, so no job runs (and bills) unobserved.
   */
  const recordUpstream = async (batch: BatchRecord, parts: BatchPart[], part: BatchPart, adapter: ProviderAdapter) => {
    const sleep = deps.sleep ?? delay;
    let failure: unknown;
    for (let attempt = 0; attempt < recordAttempts; attempt++) {
      try {
        if (await deps.repo.update("batch", batch.id, { parts }, { statusIn: nonTerminal })) return;
        failure = new ConfigurationError(`Batch ${batch.id} ended while its upstream job was being created.`);
        break;
      } catch (error) {
        failure = error;
        await sleep(100 * 2 ** attempt);
      }
    }
    await adapter.cancel(viewOf(batch, part)).catch(() => undefined);
    throw failure;
  };

  const release = async (part: BatchPart) => {
    if (part.hold) await deps.quotas?.release(part.hold.scope, part.hold.amount);
    part.hold = undefined;
  };

  /**
   * Reads an ended part's results once: each request's result (ids restored) sorted into row order and kept for
   * the batch's merge, what it used and cost, and — when the batch asks for more runs — a retry part of the rows
   * that failed for a transient reason. Returns the retry, if there is one.
   */
  const endPart = async (
    batch: BatchRecord,
    parts: BatchPart[],
    part: BatchPart,
    adapter: ProviderAdapter | undefined,
    end: { status: BatchStatus; message?: string },
  ): Promise<void> => {
    const keyOf = adapter?.requestKeys === "mapped" ? upstreamKey : (customId: string) => customId;
    const rows = await rowsOf(batch, part);
    const customIds: string[] = [];
    const rowByKey = new Map<string, number>();
    for await (const request of partRequests(batch, part)) {
      rowByKey.set(keyOf(request.customId), rows[customIds.length]!);
      customIds.push(request.customId);
    }
    const customIdOf = new Map(rows.map((row, i) => [row, customIds[i]!]));
    const view = viewOf(batch, part);
    async function* answered(): AsyncGenerator<{ row: number; result: NeutralResult }> {
      if (!adapter || !part.upstream) return;
      const seen = new Set<number>();
      for await (const result of adapter.results(view)) {
        const row = rowByKey.get(result.customId);
        if (row === undefined || seen.has(row)) continue;
        seen.add(row);
        yield { row, result: { ...result, customId: customIdOf.get(row)! } };
      }
    }
    const missing = notRun(end.status, end.message);
    const writer = new JsonlBlobWriter(deps.blobs, partKeys(batch, part).results);
    const meter = new CostMeter(await ratesOf(batch));
    const usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
    const again: number[] = [];
    const mayRetry =
      adapter !== undefined &&
      (batch.maxAttempts ?? 1) > part.attempt &&
      !batch.cancelRequested &&
      parts.length < settings.maxParts;
    let completed = 0;
    for await (const { row, result } of inRowOrder(rows, answered(), (row) => ({
      customId: customIdOf.get(row)!,
      ...missing,
    }))) {
      if (result.response) {
        addUsage(usage, result.response.usage);
        meter.add(result.response.usage);
      }
      if (result.outcome === "succeeded") completed++;
      else if (mayRetry && isTransient(result)) again.push(row);
      await writer.write({ row, attempt: part.attempt, result } satisfies KeptResult);
    }
    await writer.close();
    const cost = meter.settle(part.upstream?.mode === "on_demand");
    Object.assign(part, {
      state: "ended",
      status: end.status,
      message: end.message,
      completed,
      failed: part.rows - completed,
      usage,
      cost: { batch: cost.batch, onDemand: cost.onDemand },
      endedAt: now(),
    } satisfies Partial<BatchPart>);
    await release(part);
    if (again.length === 0) return;
    const retry = retryPart(part, parts.length, again.length, 0);
    const keys = partKeys(batch, retry);
    const lines = new JsonlBlobWriter(deps.blobs, keys.input);
    const wanted = new Set(again);
    let index = 0;
    for await (const line of deps.codec.lines(await partBytes(batch, part)))
      if (wanted.has(rows[index++]!)) await lines.writeLine(line);
    const { bytes } = await lines.close();
    await deps.blobs.put(keys.rows, Buffer.from(JSON.stringify(again)), "application/json");
    part.retried = again.length;
    parts.push({ ...retry, tokens: Math.ceil(bytes / charactersPerToken) });
  };

  /**
   * Moves every part on: forwards a cancel, reads the running parts' upstream statuses, keeps the results of those
   * that ended (queueing retries), and starts waiting parts while the provider's quota has room — for at most the
   * task's time budget. Routes to collect once every part has ended.
   */
  const advance = async (loaded: BatchRecord, attempt: number): Promise<Route> => {
    const batch = loaded;
    const parts = (batch.parts ?? []).map((part) => ({ ...part }));
    const adapter = await adapterFor(batch);
    const started = now();
    const budgetOver = () => (now() - started) / 1000 > (deps.taskBudgetSeconds ?? defaultTaskBudgetSeconds);
    let more = false;
    for (const part of parts) {
      // Parts left for the next run once this one has worked its time (many may end together).
      if (budgetOver()) {
        more = true;
        break;
      }
      if (part.state === "waiting" && (batch.cancelRequested || now() - batch.createdAt > windowMs(batch))) {
        await endPart(batch, parts, part, undefined, { status: batch.cancelRequested ? "cancelled" : "expired" });
        continue;
      }
      if (part.state !== "running" || !part.upstream) continue;
      const view = viewOf(batch, part);
      if (batch.cancelRequested) await adapter.cancel(view);
      const upstream = await adapter.status(view);
      part.status = upstream.status;
      part.completed = upstream.counts.completed;
      part.failed = upstream.counts.failed;
      if (upstream.noRoom && !batch.cancelRequested) {
        // Refused for queue room, not for anything in it: back to the queue, to run again when there is room.
        await release(part);
        Object.assign(part, { state: "waiting", upstream: undefined, status: undefined, message: upstream.message });
        Object.assign(part, { completed: 0, failed: 0 });
      } else if (isTerminal(upstream.status)) {
        await endPart(batch, parts, part, adapter, upstream);
      } else if (upstream.busy) {
        more = true;
      }
    }
    if (!batch.cancelRequested) {
      for (const part of parts) {
        if (part.state === "ended" || (part.state === "running" && part.upstream)) continue;
        if (budgetOver()) {
          more = true;
          break;
        }
        const view = viewOf(batch, part);
        if (part.state === "waiting") {
          const claim = adapter.quota?.(view, part);
          if (claim && deps.quotas && !(await deps.quotas.acquire(claim))) {
            part.message = `Waiting for room in ${batch.provider}'s quota (${claim.scope}: at most ${claim.limit}).`;
            break;
          }
          // Held before the job exists: a task stopped here finds the part running without a job and submits it.
          Object.assign(part, { state: "running", hold: claim && { scope: claim.scope, amount: claim.amount } });
          await deps.repo.update("batch", batch.id, { parts }, { statusIn: nonTerminal });
        }
        const began = now();
        try {
          part.upstream = await adapter.submit(view, await submitInput(batch, part));
        } catch (error) {
          if (!(error instanceof RetryableError)) throw error;
          // No room upstream just now (a 429 at create, a quota refusal) or a passing failure: it waits its turn.
          await release(part);
          Object.assign(part, { state: "waiting", message: error.message });
          break;
        }
        // A part the gateway runs itself (on demand) is under way at once; an upstream job says when it is.
        Object.assign(part, {
          submittedAt: now(),
          message: undefined,
          ...(part.upstream.mode === "on_demand" && { status: "in_progress" as const }),
        });
        await recordUpstream(batch, parts, part, adapter);
        deps.metrics?.converted(batch, "in", part.rows, (now() - began) / 1000);
        deps.metrics?.started({ ...batch, upstream: part.upstream });
        if (part.upstream.mode === "on_demand") more = true;
      }
    }
    await saveParts(batch, parts);
    if (parts.every((part) => part.state === "ended")) return route("collect");
    return more ? busy(attempt) : route("wait", attempt + 1, batch);
  };

  /** Cuts a new batch's input into parts within the provider's per-job limits (once). */
  const plan = async (batch: BatchRecord): Promise<BatchRecord> => {
    const parts = await planParts(
      await deps.blobs.stream(batch.inputBlobKey),
      batch.requestCounts.total,
      settings.jobs[batch.provider],
    );
    const planned = await deps.repo.update("batch", batch.id, { parts }, { statusIn: nonTerminal, absent: ["parts"] });
    return planned ?? load({ tenant: batch.tenant, batchId: batch.id });
  };

  /**
   * Writes the batch's results, every request once and in input order: each input part's rows with their last
   * outcome (its retries merged in), rows of parts that never ran as `missing` says. Returns counts, usage, cost.
   */
  const mergeResults = async (batch: BatchRecord, parts: readonly BatchPart[], missing: BatchStatus) => {
    const sink = sinkFor(batch);
    const outcomes: Record<NeutralResult["outcome"], number> = { succeeded: 0, errored: 0, cancelled: 0, expired: 0 };
    const kept = async function* (part: BatchPart): AsyncGenerator<KeptResult> {
      if (part.state === "ended") {
        for await (const line of deps.codec.lines(await deps.blobs.stream(partKeys(batch, part).results)))
          yield JSON.parse(line) as KeptResult;
        return;
      }
      const rows = await rowsOf(batch, part);
      let i = 0;
      const result = notRun(missing, batch.failureReason);
      for await (const request of partRequests(batch, part))
        yield { row: rows[i++]!, attempt: part.attempt, result: { customId: request.customId, ...result } };
    };
    for (const root of parts.filter((part) => part.attempt === 1)) {
      const runs = parts.filter((part) => part.root === root.n).sort((a, b) => a.attempt - b.attempt);
      for await (const { result, attempt } of lastOutcomes(runs.map(kept))) {
        outcomes[result.outcome]++;
        // A row that failed again after being run again says how often it ran.
        const error = attempt > 1 && result.error;
        await sink.write(
          error ? { ...result, error: { ...error, message: `${error.message} (ran ${attempt} times)` } } : result,
        );
      }
    }
    const files = await sink.close();
    const usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
    for (const part of parts) if (part.usage) addUsage(usage, part.usage);
    const total = batch.requestCounts.total;
    return {
      files,
      counts: { total, completed: outcomes.succeeded, failed: total - outcomes.succeeded },
      outcomes,
      usage,
      cost: await costOf(batch, parts),
    };
  };

  /** The parts' costs summed, at the batch's rates; what runs after a row's first cost is named as retries. */
  const costOf = async (batch: BatchRecord, parts: readonly BatchPart[]): Promise<BatchCost> => {
    const ran = parts.filter((part) => part.cost && part.upstream);
    // The pricing basis and source the batch's rates give (what ran is priced, whatever the batch's end).
    const basis = new CostMeter(await ratesOf(batch)).settle(
      ran.length > 0 && ran.every((part) => part.upstream?.mode === "on_demand"),
    );
    if (basis.pricing === "unpriced") return basis;
    const sum = (of: readonly BatchPart[], key: "batch" | "onDemand") =>
      usd(of.reduce((total, part) => total + (part.cost?.[key] ?? 0), 0));
    const batchCost = sum(parts, "batch");
    const onDemand = sum(parts, "onDemand");
    const retries = sum(
      parts.filter((part) => part.attempt > 1),
      "batch",
    );
    return {
      ...basis,
      batch: batchCost,
      onDemand,
      saved: usd(onDemand - batchCost),
      ...(retries > 0 && { retries }),
    };
  };

  return {
    /** Cuts the input into parts (once, even when retried) and starts the first, then polls. */
    async submit(input: TaskInput): Promise<Route> {
      let batch = await load(input);
      if (isTerminal(batch.status)) return route("done");
      if (batch.cancelRequested && !batch.parts?.some((part) => part.upstream)) return route("collect");
      if (!batch.parts) batch = await plan(batch);
      return advance(batch, 0);
    },

    /** Reads the parts' upstream statuses and counts, keeps what ended, starts what waits; collects at the end. */
    async poll(input: TaskInput): Promise<Route> {
      const batch = await load(input);
      if (isTerminal(batch.status)) return route("done");
      if (!batch.parts?.some((part) => part.upstream || part.state === "ended")) {
        if (batch.cancelRequested || !batch.parts) return route("collect");
      }
      return advance(batch, input.attempt ?? 0);
    },

    /** Stores the results in the calling dialect's format, then marks the batch terminal. */
    async collect(input: TaskInput): Promise<Route> {
      const batch = await load(input);
      if (isTerminal(batch.status)) {
        // Ended by an earlier run that may have stopped before its budget settled: settling again is harmless.
        await settleBudget(deps, batch);
        await publishEnd(batch);
        return route("done");
      }
      // A batch cancelled before it was cut into parts is cut now, to name each of its requests as not run.
      const parts = batch.parts ?? (await plan(batch)).parts ?? [];
      const ended = parts.filter((part) => part.state === "ended");
      // A batch the caller saw cancelling ends cancelled, whatever the parts managed first: the results that were
      // ready are kept, the rest are "not run". Otherwise a batch whose every part failed has failed, and one with
      // rows left when its window ended has expired.
      const failedPart = ended.find((part) => part.status === "failed");
      const status: BatchStatus = batch.cancelRequested
        ? "cancelled"
        : ended.length > 0 && ended.every((part) => part.status === "failed")
          ? "failed"
          : "completed";
      const started = now();
      const written = await mergeResults(batch, parts, "cancelled");
      const outcome = status === "completed" && written.outcomes.expired > 0 ? "expired" : status;
      deps.metrics?.converted(batch, "out", written.counts.total, (now() - started) / 1000);
      const settled = await deps.repo.update(
        "batch",
        batch.id,
        {
          status: outcome,
          ...written.files,
          requestCounts: written.counts,
          outcomeCounts: written.outcomes,
          usage: written.usage,
          // Settled in the same conditional write that ends the batch: once, however often collect runs.
          cost: written.cost,
          failureReason: outcome === "failed" ? (failedPart?.message ?? "The provider failed the batch.") : undefined,
          statusTimes: stamp(batch, outcome),
        },
        { statusIn: ["finalizing", "cancelling", "validating", "queued", "in_progress"] },
      );
      if (settled) await settleEnded(settled);
      return route("done");
    },

    /** The state machine's Catch: the batch fails with a reason the caller can read, each request in the error file. */
    async fail(input: TaskInput): Promise<Route> {
      const batch = await load(input);
      if (terminalBatchStatuses.includes(batch.status)) {
        await settleBudget(deps, batch);
        await publishEnd(batch);
        return route("done");
      }
      const reason = describeFailure(input.error);
      // Parts still running would go on billing with nobody to collect them: they are stopped, if they can be,
      // and what they held of the quota is given back.
      const planned = batch.parts ?? (await plan(batch).catch(() => batch)).parts;
      const parts = (planned ?? []).map((part) => ({ ...part }));
      for (const part of parts.filter((p) => p.state !== "ended")) {
        if (part.upstream)
          await adapterFor(batch)
            .then((adapter) => adapter.cancel(viewOf(batch, part)))
            .catch(() => undefined);
        await release(part).catch(() => undefined);
      }
      // The error file names every request of the input (the rows of parts that ended keep their results); an input
      // that is gone (deleted right after create) leaves the batch failed without one, never stranded here.
      const failing = { ...batch, failureReason: reason };
      const written = planned ? await mergeResults(failing, parts, "failed").catch(() => undefined) : undefined;
      const total = batch.requestCounts.total;
      const { files, counts, outcomes, usage, cost } = written ?? {
        files: {},
        counts: { total, completed: 0, failed: total },
        outcomes: { succeeded: 0, errored: total, cancelled: 0, expired: 0 },
        usage: { inputTokens: 0, outputTokens: 0 },
        cost: await costOf(batch, parts),
      };
      const ended = await deps.repo.update(
        "batch",
        batch.id,
        {
          status: "failed",
          parts: planned && parts,
          failureReason: written ? reason : `${reason} (no error file: the batch's input could not be read)`,
          ...files,
          requestCounts: counts,
          outcomeCounts: outcomes,
          usage,
          cost,
          statusTimes: stamp(batch, "failed"),
        },
        { statusIn: nonTerminal },
      );
      if (ended) await settleEnded(ended);
      return route("done");
    },

    /** Forwards a cancel request now (called by the API right after the batch became `cancelling`). */
    async cancel(input: TaskInput): Promise<Route> {
      const batch = await load(input);
      if (isTerminal(batch.status)) return route("done");
      const running = (batch.parts ?? []).filter((part) => part.state === "running" && part.upstream);
      if (running.length === 0) return route("done");
      const adapter = await adapterFor(batch);
      for (const part of running) await adapter.cancel(viewOf(batch, part));
      return route("done");
    },
  };

  /** After a batch ended: its end is published, then it leaves the reconciler's watch (made good when run again). */
  async function publishEnd(batch: BatchRecord) {
    if (!batch.watch) return;
    await deps.events?.ended(batch);
    await deps.repo.update("batch", batch.id, { watch: undefined });
  }

  /** What a batch that just ended frees and settles: its slot, its budget, its metrics, then its event. */
  async function settleEnded(ended: BatchRecord) {
    await deps.limiter?.batchEnded(ended.tenant);
    await settleBudget(deps, ended);
    deps.metrics?.settled(ended);
    await publishEnd(ended);
  }
};

/** The parts' statuses as the batch's: queued while every part waits, running while any runs, then finalizing. */
const combinedStatus = (parts: readonly BatchPart[]): BatchStatus => {
  if (parts.every((part) => part.state === "ended")) return "finalizing";
  if (parts.some((part) => part.state === "ended")) return "in_progress";
  const running = parts.filter((part) => part.state === "running");
  if (running.length === 0) return "queued";
  return running.reduce<BatchStatus>(
    (status, part) => (statusRank[part.status ?? "validating"] > statusRank[status] ? (part.status ?? status) : status),
    "validating",
  );
};

export type BatchEngine = ReturnType<typeof createBatchEngine>;

/** The caught error as a sentence: Lambda errors arrive as JSON `{errorMessage}` in `Cause`. */
export const describeFailure = (error: TaskInput["error"]): string => {
  if (!error?.Cause) return `The batch failed (${error?.Error ?? "unknown error"}).`;
  try {
    const cause = JSON.parse(error.Cause) as { errorMessage?: string };
    if (cause.errorMessage) return `The batch failed: ${cause.errorMessage}`;
  } catch {
    // a plain-text cause
  }
  return `The batch failed: ${error.Cause}`;
};
