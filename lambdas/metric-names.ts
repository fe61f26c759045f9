/**
 * The gateway's custom metrics (lambdas/metrics.ts writes them; the stack's dashboard and alarms read them):
 * namespace `FinOps`, each with the `service` dimension Powertools adds.
 */
export const metricNames = {
  namespace: "FinOps",
  service: "finops-gateway",
  /** Per status, dialect and provider, and in all (`BatchesEndedAll`, `BatchesFailed`: no dimension but service). */
  batchesEnded: "BatchesEnded",
  batchesEndedAll: "BatchesEndedAll",
  batchesFailed: "BatchesFailed",
  batchesStarted: "BatchesStarted",
  costUsd: "CostUsd",
  savedUsd: "SavedUsd",
  requests: "Requests",
  errors5xx: "Errors5xx",
  latency: "Latency",
  upstreamRetries: "UpstreamRetries",
  upstreamErrors: "UpstreamErrors",
  /** Each upstream HTTP call, ms to its answer: where an X-Ray subsegment per call used to show it. */
  upstreamLatency: "UpstreamLatency",
  conversionRate: "ConversionRate",
  watchedBatches: "WatchedBatches",
  resumedBatches: "ResumedBatches",
  lostBatches: "LostBatches",
  lateEvents: "LateEvents",
  /** Budget reservations the reconciler released because their batch was never written. */
  releasedHolds: "ReleasedBudgetHolds",
} as const;
