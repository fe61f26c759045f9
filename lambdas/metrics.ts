import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { CostMetrics } from "./core/ports";

/**
 * Each settled batch's cost, on-demand equivalent, saving and tokens as CloudWatch metrics in embedded metric
 * format (Powertools), per tenant hash and model, under the `FinOps` namespace — one EMF record per batch, written
 * with the task Lambda's logs. A batch without a price counts as `UnpricedBatches`, never as a cost of 0.
 */
export const costMetrics = (options: ConstructorParameters<typeof Metrics>[0] = {}): CostMetrics => ({
  settled(batch) {
    const record = new Metrics({ namespace: "FinOps", serviceName: "finops-gateway", ...options });
    record.addDimensions({ tenant: batch.tenant, model: batch.model ?? "unknown" });
    record.addMetric("Batches", MetricUnit.Count, 1);
    record.addMetric("InputTokens", MetricUnit.Count, batch.usage?.inputTokens ?? 0);
    record.addMetric("OutputTokens", MetricUnit.Count, batch.usage?.outputTokens ?? 0);
    const cost = batch.cost;
    if (cost && cost.batch !== null && cost.onDemand !== null && cost.saved !== null) {
      record.addMetric("CostUsd", MetricUnit.NoUnit, cost.batch);
      record.addMetric("OnDemandUsd", MetricUnit.NoUnit, cost.onDemand);
      record.addMetric("SavedUsd", MetricUnit.NoUnit, cost.saved);
    } else {
      record.addMetric("UnpricedBatches", MetricUnit.Count, 1);
    }
    record.addMetadata("batchId", batch.id);
    record.publishStoredMetrics();
  },
});
