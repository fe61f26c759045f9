import type { Deployment } from "../core/deps";
import { type BatchRecord, Dialect } from "../core/model";
import type { BatchEvents, BusEvent, EventBus } from "../core/ports";
import type { WebhookMessage, WebhookShape } from "../core/webhooks";
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

/** The tenant an event the gateway published is about, when a webhook may get it (batch ends only). */
export const webhookTenantOf = (event: Pick<BusEvent, "detailType" | "detail">): string | undefined =>
  event.detailType === batchEndedType ? (event.detail as unknown as BatchEndedDetail).tenant : undefined;

/** OpenAI's event type for each way a batch ends (only ended batches are published). */
const openAiEventTypes: Partial<Record<BatchEndedDetail["status"], string>> = {
  completed: "batch.completed",
  failed: "batch.failed",
  expired: "batch.expired",
  cancelled: "batch.cancelled",
};

/**
 * The webhook message of a batch-ended event, in the webhook's shape: the gateway's own (a Standard Webhooks
 * payload: a type, a timestamp and the detail with every SDK's ids), or OpenAI's batch event, whose id is also the
 * message id, as OpenAI sends it.
 */
export const webhookMessageOf = (
  event: Pick<BusEvent, "detailType" | "detail">,
  shape: WebhookShape = "finops",
): WebhookMessage => {
  const detail = event.detail as unknown as BatchEndedDetail;
  if (shape === "openai") {
    const id = `evt_${detail.batchId}`;
    const body = {
      object: "event",
      id,
      type: openAiEventTypes[detail.status] ?? "batch.failed",
      created_at: Math.floor(Date.parse(detail.endedAt) / 1000),
      data: { id: detail.ids.openai },
    };
    return { id, body: JSON.stringify(body) };
  }
  return {
    id: detail.eventId,
    body: JSON.stringify({ type: "batch.ended", timestamp: detail.endedAt, data: detail }),
  };
};
