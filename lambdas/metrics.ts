import { subscribe } from "node:diagnostics_channel";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EngineMetrics } from "./core/ports";
import type { ReconcileReport } from "./core/reconcile";
import { metricNames as n } from "./metric-names";
import { type UpstreamCall, upstreamChannel } from "./providers/http";

type Entry = readonly [name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number];

/** One EMF record (Powertools): its dimensions, metrics and searchable metadata, written to the function's logs. */
const emit = (dimensions: Record<string, string>, entries: readonly Entry[], metadata: Record<string, string> = {}) => {
  const record = new Metrics({ namespace: n.namespace, serviceName: n.service });
  record.addDimensions(dimensions);
  for (const [name, unit, value] of entries) record.addMetric(name, unit, value);
  for (const [key, value] of Object.entries(metadata)) record.addMetadata(key, value);
  record.publishStoredMetrics();
};

/**
 * The batch engine's metrics, in embedded metric format under `FinOps`: each settled batch's cost, on-demand
 * equivalent, saving and tokens per tenant hash and model (one record per batch; a batch without a price counts as
 * `UnpricedBatches`, never as a cost of 0); batches started and ended per dialect and provider (ended also per
 * status); and conversion throughput in requests per second, each way.
 */
export const engineMetrics = (): EngineMetrics => ({
  settled(batch) {
    const cost = batch.cost;
    const priced = cost && cost.batch !== null && cost.onDemand !== null && cost.saved !== null;
    emit(
      { tenant: batch.tenant, model: batch.model ?? "unknown" },
      [
        ["Batches", MetricUnit.Count, 1],
        ["InputTokens", MetricUnit.Count, batch.usage?.inputTokens ?? 0],
        ["OutputTokens", MetricUnit.Count, batch.usage?.outputTokens ?? 0],
        ...((priced
          ? [
              [n.costUsd, MetricUnit.NoUnit, cost.batch],
              ["OnDemandUsd", MetricUnit.NoUnit, cost.onDemand],
              [n.savedUsd, MetricUnit.NoUnit, cost.saved],
              ...(cost.retries ? [["RetriesUsd", MetricUnit.NoUnit, cost.retries]] : []),
            ]
          : [["UnpricedBatches", MetricUnit.Count, 1]]) as Entry[]),
      ],
      // Searchable with the record (CloudWatch Logs Insights: `filter tags like '"team":"search"'`), not a dimension:
      // a tag's values are unbounded.
      {
        batchId: batch.id,
        ...(batch.tags && { tags: JSON.stringify(batch.tags) }),
      },
    );
    emit(
      { status: batch.status, dialect: batch.dialect, provider: batch.provider },
      [[n.batchesEnded, MetricUnit.Count, 1]],
      {
        batchId: batch.id,
      },
    );
    // The same end once more without dimensions but the service, for the failed-batches alarm.
    emit({}, [
      [n.batchesEndedAll, MetricUnit.Count, 1],
      [n.batchesFailed, MetricUnit.Count, batch.status === "failed" ? 1 : 0],
    ]);
  },
  started(batch) {
    emit({ dialect: batch.dialect, provider: batch.provider }, [[n.batchesStarted, MetricUnit.Count, 1]], {
      batchId: batch.id,
      mode: batch.upstream?.mode ?? "unknown",
    });
  },
  converted(batch, direction, requests, seconds) {
    emit(
      { direction },
      [
        ["ConvertedRequests", MetricUnit.Count, requests],
        [n.conversionRate, MetricUnit.CountPerSecond, seconds > 0 ? requests / seconds : 0],
      ],
      { batchId: batch.id, provider: batch.provider, seconds: seconds.toFixed(3) },
    );
  },
});

/** One API request's outcome and latency: requests and errors per front door, latency per route. */
export const requestMetric = (frontDoor: string, route: string, status: number, milliseconds: number): void => {
  emit({ frontDoor }, [
    [n.requests, MetricUnit.Count, 1],
    ["Errors4xx", MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0],
    [n.errors5xx, MetricUnit.Count, status >= 500 ? 1 : 0],
  ]);
  emit({ frontDoor, route }, [[n.latency, MetricUnit.Milliseconds, milliseconds]]);
};

/**
 * Each upstream call's latency, and the retries and failures among them, per provider, as providers/http.ts reports
 * them on its diagnostics channel.
 */
export const publishUpstreamMetrics = (): void => {
  subscribe(upstreamChannel, (message) => {
    const call = message as UpstreamCall;
    const entries: Entry[] = [[n.upstreamLatency, MetricUnit.Milliseconds, call.milliseconds]];
    if (call.outcome !== "ok") {
      entries.push([call.outcome === "retry" ? n.upstreamRetries : n.upstreamErrors, MetricUnit.Count, 1]);
    }
    emit({ provider: call.provider }, entries, { status: String(call.status) });
  });
};

/**
 * What a reconciler pass found: batches watched and still running, resumed, failed, ends published late, and
 * budget reservations released.
 */
export const reconcileMetrics = (report: ReconcileReport): void =>
  emit({}, [
    [n.watchedBatches, MetricUnit.Count, report.watched],
    [n.resumedBatches, MetricUnit.Count, report.resumed.length],
    [n.lostBatches, MetricUnit.Count, report.failed.length],
    [n.lateEvents, MetricUnit.Count, report.published.length],
    [n.releasedHolds, MetricUnit.Count, report.released.length],
  ]);
