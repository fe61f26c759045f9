import { setTimeout as delay } from "node:timers/promises";
import { type BudgetDeps, settleBudget } from "./budgets";
import type { InputFormat, Usage } from "./chat";
import type { SecretSealer } from "./credentials";
import { ConfigurationError } from "./errors";
import { type FileDeps, readInputRequests } from "./files";
import { upstreamKey } from "./ids";
import type { Limiter } from "./limits";
import {
  type BatchRecord,
  type BatchStatus,
  isTerminal,
  type NeutralResult,
  type Provider,
  statusRank,
  terminalBatchStatuses,
  type UpstreamRef,
} from "./model";
import type {
  BatchEvents,
  EngineMetrics,
  LineConverter,
  ProviderAdapter,
  ProviderAdapters,
  ResultSink,
  ResultSinks,
  SubmitInput,
} from "./ports";
import { addUsage, CostMeter } from "./pricing";

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
}

/** Attempts to record an upstream job before it is cancelled instead (100 ms, doubling: about 3 s in all). */
const recordAttempts = 5;

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

/** The batch engine's four tasks, run by the state machine (Step Functions in AWS, the local executor locally). */
export const createBatchEngine = (deps: EngineDeps) => {
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
  const stamp = (batch: BatchRecord, status: BatchStatus) =>
    batch.statusTimes[status] ? batch.statusTimes : { ...batch.statusTimes, [status]: Date.now() };

  /**
   * Records an upstream job the moment it exists, before anything else can fail: the write is retried, and a job
   * that still cannot be recorded is cancelled before the error goes up, so no job runs (and bills) unobserved.
   */
  const recordUpstream = async (batch: BatchRecord, upstream: UpstreamRef, adapter: ProviderAdapter) => {
    const sleep = deps.sleep ?? delay;
    let failure: unknown;
    for (let attempt = 0; attempt < recordAttempts; attempt++) {
      try {
        if (await deps.repo.update("batch", batch.id, { upstream }, { statusIn: nonTerminal })) return;
        failure = new ConfigurationError(`Batch ${batch.id} ended while its upstream job was being created.`);
        break;
      } catch (error) {
        failure = error;
        await sleep(100 * 2 ** attempt);
      }
    }
    await adapter.cancel({ ...batch, upstream }).catch(() => undefined);
    throw failure;
  };

  /**
   * After a batch ended: its end is published, then it leaves the reconciler's watch. Run again (a retried task,
   * the reconciler) while the batch is still watched, so a publish that failed is made good.
   */
  const publishEnd = async (batch: BatchRecord) => {
    if (!batch.watch) return;
    await deps.events?.ended(batch);
    await deps.repo.update("batch", batch.id, { watch: undefined });
  };

  /** What a batch that just ended frees and settles: its slot, its budget, its metrics, then its event. */
  const settleEnded = async (ended: BatchRecord) => {
    await deps.limiter?.batchEnded(ended.tenant);
    await settleBudget(deps, ended);
    deps.metrics?.settled(ended);
    await publishEnd(ended);
  };

  const submitInput = (batch: BatchRecord, format: InputFormat): SubmitInput => ({
    format,
    requests: async function* () {
      for await (const request of readInputRequests(deps, batch.inputBlobKey)) yield request;
    },
    raw: () => deps.blobs.stream(batch.inputBlobKey),
    convert: (conversion) => {
      const converter = deps.converter;
      if (!converter) throw new ConfigurationError("This gateway has no line converter.");
      return (async function* () {
        yield* converter.convert(await deps.blobs.stream(batch.inputBlobKey), conversion);
      })();
    },
  });

  const firstFormat = async (batch: BatchRecord): Promise<InputFormat> => {
    for await (const request of readInputRequests(deps, batch.inputBlobKey)) return request.format;
    return "openai";
  };

  /**
   * Renders every request of the batch exactly once: the upstream's results first (ids restored), then a
   * not-executed line for each request the upstream did not answer. Returns the counts, usage and files.
   */
  const writeResults = async (
    batch: BatchRecord,
    results: AsyncIterable<NeutralResult> | undefined,
    missing: Pick<NeutralResult, "outcome" | "error">,
    requestKeys: ProviderAdapter["requestKeys"] = "custom_id",
  ) => {
    // Each result is found by the key its upstream names it by, and by nothing else (a mapped key may equal another
    // request's custom_id only in a batch whose upstream never sees custom_ids).
    const keyOf = requestKeys === "mapped" ? upstreamKey : (customId: string) => customId;
    const byKey = new Map<string, string>();
    const pending = new Set<string>();
    for await (const request of readInputRequests(deps, batch.inputBlobKey)) {
      pending.add(request.customId);
      byKey.set(keyOf(request.customId), request.customId);
    }
    const sink = sinkFor(batch);
    const outcomes: Record<NeutralResult["outcome"], number> = { succeeded: 0, errored: 0, cancelled: 0, expired: 0 };
    const usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
    const meter = new CostMeter((await deps.prices?.rates(batch.provider, batch.model ?? "")) ?? noPrices);
    for await (const result of results ?? []) {
      const customId = byKey.get(result.customId);
      if (customId === undefined || !pending.delete(customId)) continue;
      outcomes[result.outcome]++;
      if (result.response) {
        addUsage(usage, result.response.usage);
        meter.add(result.response.usage);
      }
      await sink.write({ ...result, customId });
    }
    for (const customId of pending) await sink.write({ customId, ...missing });
    outcomes[missing.outcome] += pending.size;
    const files = await sink.close();
    const total = batch.requestCounts.total;
    return {
      files,
      counts: { total, completed: outcomes.succeeded, failed: total - outcomes.succeeded },
      outcomes,
      usage,
      // What ran is priced, whatever the batch's end; one the gateway ran itself costs on-demand rates.
      cost: meter.settle(batch.upstream?.mode === "on_demand"),
    };
  };

  return {
    /** Converts and hands the input to the provider (once, even when retried), then starts polling. */
    async submit(input: TaskInput): Promise<Route> {
      const batch = await load(input);
      if (isTerminal(batch.status)) return route("done");
      if (batch.cancelRequested && !batch.upstream) return route("collect");
      let upstream = batch.upstream;
      if (!upstream) {
        const adapter = await adapterFor(batch);
        const started = now();
        upstream = await adapter.submit(batch, submitInput(batch, await firstFormat(batch)));
        await recordUpstream(batch, upstream, adapter);
        deps.metrics?.converted(batch, "in", batch.requestCounts.total, (now() - started) / 1000);
        deps.metrics?.started({ ...batch, upstream });
      }
      // The gateway's own run of a small batch starts at once; an upstream batch is first polled after the backoff.
      if (upstream.mode === "on_demand") return { next: "wait", attempt: 0, waitSeconds: busyPollSeconds };
      return route("wait", 0);
    },

    /** Reads the upstream status and counts; forwards a pending cancel; moves on to collect once the upstream ended. */
    async poll(input: TaskInput): Promise<Route> {
      const batch = await load(input);
      if (isTerminal(batch.status)) return route("done");
      if (!batch.upstream) return route("collect");
      const adapter = await adapterFor(batch);
      if (batch.cancelRequested) await adapter.cancel(batch);
      const upstream = await adapter.status(batch);
      const requestCounts = { ...upstream.counts, total: batch.requestCounts.total };
      if (isTerminal(upstream.status)) {
        const status = batch.status === "cancelling" ? "cancelling" : "finalizing";
        await deps.repo.update(
          "batch",
          batch.id,
          {
            status,
            requestCounts,
            upstreamOutcome: { status: upstream.status, message: upstream.message },
            statusTimes: stamp(batch, status),
          },
          { statusIn: nonTerminal },
        );
        return route("collect");
      }
      const status =
        batch.status === "cancelling" || statusRank[upstream.status] <= statusRank[batch.status]
          ? batch.status
          : upstream.status;
      await deps.repo.update(
        "batch",
        batch.id,
        { status, requestCounts, statusTimes: stamp(batch, status) },
        { statusIn: [batch.status] },
      );
      // A provider doing the work itself with more to do now is polled again at once, the backoff kept for later.
      if (upstream.busy) return { next: "wait", attempt: input.attempt ?? 0, waitSeconds: busyPollSeconds };
      const attempt = (input.attempt ?? 0) + 1;
      return route("wait", attempt, batch);
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
      // A batch the caller saw cancelling ends cancelled, whatever the upstream managed first (a small batch may
      // finish before the stop reaches it): the results that were ready are kept, the rest are "not run".
      const outcome = batch.cancelRequested ? "cancelled" : (batch.upstreamOutcome?.status ?? "completed");
      const missing: Pick<NeutralResult, "outcome" | "error"> =
        outcome === "cancelled"
          ? {
              outcome: "cancelled",
              error: { code: "batch_cancelled", message: "The batch was cancelled before this request ran." },
            }
          : outcome === "expired"
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
                  code: outcome === "failed" ? "batch_failed" : "missing_result",
                  message: batch.upstreamOutcome?.message ?? "The provider returned no result for this request.",
                },
              };
      const adapter = batch.upstream ? await adapterFor(batch) : undefined;
      const started = now();
      const { files, counts, outcomes, usage, cost } = await writeResults(
        batch,
        adapter?.results(batch),
        missing,
        adapter?.requestKeys,
      );
      deps.metrics?.converted(batch, "out", counts.total, (now() - started) / 1000);
      const status = outcome === "failed" ? "failed" : outcome;
      const ended = await deps.repo.update(
        "batch",
        batch.id,
        {
          status,
          ...files,
          requestCounts: counts,
          outcomeCounts: outcomes,
          usage,
          // Settled in the same conditional write that ends the batch: once, however often collect runs.
          cost,
          failureReason:
            status === "failed" ? (batch.upstreamOutcome?.message ?? "The provider failed the batch.") : undefined,
          statusTimes: stamp(batch, status),
        },
        { statusIn: ["finalizing", "cancelling", "validating", "queued", "in_progress"] },
      );
      if (ended) await settleEnded(ended);
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
      // An upstream job still running would go on billing with nobody to collect it: it is stopped, if it can be.
      if (batch.upstream && !batch.upstreamOutcome) {
        await adapterFor(batch)
          .then((adapter) => adapter.cancel(batch))
          .catch(() => undefined);
      }
      const failed = { outcome: "errored" as const, error: { code: "batch_failed", message: reason } };
      // The error file names every request of the input; an input that is gone (deleted right after create) leaves
      // the batch failed without one, never stranded in the failure path itself.
      const written = await writeResults(batch, undefined, failed).catch(() => undefined);
      const total = batch.requestCounts.total;
      const { files, counts, outcomes, usage, cost } = written ?? {
        files: {},
        counts: { total, completed: 0, failed: total },
        outcomes: { succeeded: 0, errored: total, cancelled: 0, expired: 0 },
        usage: { inputTokens: 0, outputTokens: 0 },
        // Nothing ran: nothing is priced.
        cost: new CostMeter(
          (await deps.prices?.rates(batch.provider, batch.model ?? "").catch(() => undefined)) ?? noPrices,
        ).settle(false),
      };
      const ended = await deps.repo.update(
        "batch",
        batch.id,
        {
          status: "failed",
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
      if (batch.upstream && !isTerminal(batch.status)) await (await adapterFor(batch)).cancel(batch);
      return route("done");
    },
  };
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
