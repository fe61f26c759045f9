import type { SecretSealer } from "../core/credentials";
import type { BusEvent } from "../core/ports";
import { webhookRetryDelaySeconds } from "../core/webhook-policy";
import { deliverWebhook, type WebhookStore } from "../core/webhooks";
import { webhookMessageOf, webhookTenantOf } from "../dialects/batch-events";

/** What delivering an event to its tenant's webhook needs. */
export interface WebhookDeps {
  webhooks: WebhookStore;
  sealer: SecretSealer;
  now?: () => number;
  /** Deliver to loopback receivers too (local mode only: in a Lambda, loopback is the runtime API). @default false */
  allowLoopback?: boolean;
}

/**
 * Delivers one published event to the webhook of the credential it is about, signed; "none" when that credential
 * has no webhook. Throws RetryableError when the receiver did not take it, for the caller to retry with backoff.
 */
export const deliverToWebhook = async (
  deps: WebhookDeps,
  event: Pick<BusEvent, "detailType" | "detail">,
): Promise<"delivered" | "none"> => {
  const tenant = webhookTenantOf(event);
  const webhook = tenant === undefined ? undefined : await deps.webhooks.get(tenant);
  if (!webhook) return "none";
  const message = webhookMessageOf(event, webhook.shape);
  await deliverWebhook(webhook, deps.sealer, message, deps.now, { allowLoopback: deps.allowLoopback });
  return "delivered";
};

/** One message of the webhook queue: an event as the EventBridge rule put it there. */
export interface QueuedEvent {
  messageId: string;
  body: string;
  /** How often the queue has handed this message out, this time included. */
  receiveCount: number;
}

/**
 * The webhook queue's consumer: delivers each queued event; one whose receiver did not take it is hidden for the
 * backoff of its attempt (`retryLater`) and reported failed, so the queue hands it out again then, until its
 * redrive policy moves it to the dead-letter queue. Returns the ids of the messages to keep.
 */
export const deliverQueuedEvents = async (
  deps: WebhookDeps,
  messages: readonly QueuedEvent[],
  retryLater: (message: QueuedEvent, delaySeconds: number) => Promise<void>,
  log: (message: string, fields: Record<string, unknown>) => void,
): Promise<string[]> => {
  const failed: string[] = [];
  for (const message of messages) {
    const event = JSON.parse(message.body) as { "detail-type": string; detail: Record<string, unknown> };
    const eventId = event.detail.eventId;
    try {
      const outcome = await deliverToWebhook(deps, { detailType: event["detail-type"], detail: event.detail });
      log("webhook delivery", { eventId, outcome, attempt: message.receiveCount });
    } catch (error) {
      const delaySeconds = webhookRetryDelaySeconds(message.receiveCount);
      log("webhook delivery failed", { eventId, attempt: message.receiveCount, retryInSeconds: delaySeconds, error });
      await retryLater(message, delaySeconds);
      failed.push(message.messageId);
    }
  }
  return failed;
};
