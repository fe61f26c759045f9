import type { Deployment } from "../core/deps";
import { type BatchRecord, Dialect } from "../core/model";
import type { BatchEvents, BusEvent, EventBus } from "../core/ports";
import type { WebhookMessage } from "../core/webhooks";
import type { DialectRegistry } from "./dialect-module";
import { batchEndedType, eventSource } from "./event-names";

export { batchEndedType, eventSource };

/**
 * The detail of a batch-ended event: the batch's id in every SDK's form (whichever SDK created it, each can read
 * it), how it ended, its counts, token usage and cost. Documented in the README ("Events and webhooks").
 */
export interface BatchEndedDetail {
  /** Unique per batch end: the `webhook-id` of its webhook deliveries, for receivers to drop repeats. */
  eventId: string;
  batchId: string;
  ids: Record<Dialect, string>;
  /** The SDK that created the batch, and the provider that ran it. */
  dialect: Dialect;
  provider: string;
  model: string | null;
  status: BatchRecord["status"];
  failureReason: string | null;
  requestCounts: BatchRecord["requestCounts"];
  outcomeCounts: BatchRecord["outcomeCounts"] | null;
  usage: BatchRecord["usage"] | null;
  cost: BatchRecord["cost"] | null;
  metadata: Record<string, string>;
  /** The tenant: a hash of the gateway credential, as in logs and metrics (each credential's webhook gets its own). */
  tenant: string;
  createdAt: string;
  endedAt: string;
}

/** The event of a batch's end. */
export const batchEndedEvent = (batch: BatchRecord, registry: DialectRegistry, deployment: Deployment): BusEvent => {
  const ids = Object.fromEntries(
    Object.values(Dialect).map((dialect) => [dialect, registry[dialect].batchId(batch, deployment)]),
  ) as Record<Dialect, string>;
  const endedAt = batch.statusTimes[batch.status] ?? Date.now();
  const detail: BatchEndedDetail = {
    eventId: `${batch.id}.ended`,
    batchId: batch.id,
    ids,
    dialect: batch.dialect,
    provider: batch.provider,
    model: batch.model ?? null,
    status: batch.status,
    failureReason: batch.failureReason ?? null,
    requestCounts: batch.requestCounts,
    outcomeCounts: batch.outcomeCounts ?? null,
    usage: batch.usage ?? null,
    cost: batch.cost ?? null,
    metadata: batch.metadata ?? {},
    tenant: batch.tenant,
    createdAt: new Date(batch.createdAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
  };
  return {
    source: eventSource,
    detailType: batchEndedType,
    detail: detail as unknown as Record<string, unknown>,
    resources: [ids.bedrock],
  };
};

/** The engine's batch events, published on a bus. */
export const busBatchEvents = (bus: EventBus, registry: DialectRegistry, deployment: Deployment): BatchEvents => ({
  ended: (batch) => bus.put(batchEndedEvent(batch, registry, deployment)),
});

/** The webhook message of an event the gateway published (undefined for events no webhook gets). */
export const webhookMessageOf = (
  event: Pick<BusEvent, "detailType" | "detail">,
): { tenant: string; message: WebhookMessage } | undefined => {
  if (event.detailType !== batchEndedType) return undefined;
  const detail = event.detail as unknown as BatchEndedDetail;
  // The Standard Webhooks payload shape: a type, a timestamp and the data.
  const body = JSON.stringify({ type: "batch.ended", timestamp: detail.endedAt, data: detail });
  return { tenant: detail.tenant, message: { id: detail.eventId, body } };
};
