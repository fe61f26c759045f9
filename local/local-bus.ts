import { randomUUID } from "node:crypto";
import { appendFile } from "node:fs/promises";
import { deliverToWebhook, type WebhookDeps } from "../lambdas/app/webhooks";
import type { BusEvent, EventBus } from "../lambdas/core/ports";
import { webhookMaxAttempts, webhookRetryDelaySeconds } from "../lambdas/core/webhook-policy";
import { logger } from "../lambdas/logger";

/** An event as EventBridge delivers it to a rule's target. */
export interface DeliveredEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/**
 * Local mode's event bus: each event in EventBridge's envelope, kept in order for tests to read (`events`,
 * `next`), appended to `events.jsonl` in the data directory for a person to read, and handed to subscribers.
 */
export class LocalBus implements EventBus {
  readonly events: DeliveredEvent[] = [];
  private readonly subscribers = new Set<(event: DeliveredEvent) => void>();

  constructor(
    private readonly file: string,
    private readonly where: { account: string; region: string },
  ) {}

  async put(event: BusEvent): Promise<void> {
    const delivered: DeliveredEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": event.detailType,
      source: event.source,
      account: this.where.account,
      time: new Date().toISOString(),
      region: this.where.region,
      resources: event.resources ?? [],
      detail: event.detail,
    };
    this.events.push(delivered);
    await appendFile(this.file, `${JSON.stringify(delivered)}\n`);
    for (const subscriber of this.subscribers) subscriber(delivered);
  }

  subscribe(subscriber: (event: DeliveredEvent) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
}

/** How local webhook deliveries retry. */
export interface LocalWebhookOptions {
  /** Delivery attempts per event, the first included. @default webhookMaxAttempts (as the stack's queue) */
  maxAttempts?: number;
  /** Scales the stack's backoff (30 s doubling): 1 is real time. @default 1 */
  retryScale?: number;
}

/** One attempt to deliver an event, as tests read them. */
export interface DeliveryAttempt {
  eventId: string;
  attempt: number;
  outcome: "delivered" | "none" | "retry" | "gave up";
  error?: string;
}

/**
 * Delivers every event on the local bus to its credential's webhook, as the stack's webhook queue and function do:
 * asynchronously (a slow or failing receiver never holds up a batch), retried with backoff, then given up on.
 */
export const deliverLocalWebhooks = (bus: LocalBus, deps: WebhookDeps, options: LocalWebhookOptions = {}) => {
  const attempts: DeliveryAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const maxAttempts = options.maxAttempts ?? webhookMaxAttempts;
  const scale = options.retryScale ?? 1;
  const attempt = async (event: DeliveredEvent, n: number): Promise<void> => {
    const eventId = String(event.detail.eventId ?? event.id);
    try {
      const outcome = await deliverToWebhook(deps, { detailType: event["detail-type"], detail: event.detail });
      attempts.push({ eventId, attempt: n, outcome });
    } catch (error) {
      const gaveUp = n >= maxAttempts;
      attempts.push({ eventId, attempt: n, outcome: gaveUp ? "gave up" : "retry", error: String(error) });
      logger.warn("webhook delivery failed", { eventId, attempt: n, gaveUp, error: error as Error });
      if (gaveUp) return;
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          track(event, n + 1);
        },
        webhookRetryDelaySeconds(n) * 1000 * scale,
      );
      timers.add(timer);
    }
  };
  // Attempts under way: `stop` waits for them, so none reads a table the gateway is closing.
  const running = new Set<Promise<void>>();
  const track = (event: DeliveredEvent, n: number) => {
    const run = attempt(event, n).finally(() => running.delete(run));
    running.add(run);
  };
  const unsubscribe = bus.subscribe((event) => track(event, 1));
  return {
    attempts,
    async stop() {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      await Promise.allSettled(running);
    },
  };
};
