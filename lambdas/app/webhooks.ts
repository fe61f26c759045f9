import type { SecretSealer } from "../core/credentials";
import type { BusEvent } from "../core/ports";
import { deliverWebhook, type WebhookStore } from "../core/webhooks";
import { webhookMessageOf } from "../dialects/batch-events";

/** What delivering an event to its tenant's webhook needs. */
export interface WebhookDeps {
  webhooks: WebhookStore;
  sealer: SecretSealer;
  now?: () => number;
}

/**
 * Delivers one published event to the webhook of the credential it is about, signed; "none" when that credential
 * has no webhook. Throws RetryableError when the receiver did not take it, for the caller to retry with backoff.
 */
export const deliverToWebhook = async (
  deps: WebhookDeps,
  event: Pick<BusEvent, "detailType" | "detail">,
): Promise<"delivered" | "none"> => {
  const found = webhookMessageOf(event);
  const webhook = found && (await deps.webhooks.get(found.tenant));
  if (!found || !webhook) return "none";
  await deliverWebhook(webhook, deps.sealer, found.message, deps.now);
  return "delivered";
};
