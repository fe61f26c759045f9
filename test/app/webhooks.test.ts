import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook as Verifier } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverQueuedEvents, type QueuedEvent } from "../../lambdas/app/webhooks";
import type { Webhook, WebhookStore } from "../../lambdas/core/webhooks";
import { setWebhook } from "../../lambdas/core/webhooks";
import { batchEndedType } from "../../lambdas/dialects/batch-events";
import { AesGcmSealer } from "../../lambdas/state/sealers";

class MemoryWebhooks implements WebhookStore {
  readonly hooks = new Map<string, Webhook>();
  get = async (tenant: string) => this.hooks.get(tenant);
  put = async (hook: Webhook) => void this.hooks.set(hook.tenant, hook);
  remove = async (tenant: string) => this.hooks.delete(tenant);
}

/** An event as the stack's EventBridge rule puts it on the webhook queue. */
const queued = (tenant: string, receiveCount: number): QueuedEvent => ({
  messageId: `m-${tenant}-${receiveCount}`,
  receiveCount,
  body: JSON.stringify({
    version: "0",
    "detail-type": batchEndedType,
    source: "finops.gateway",
    detail: { eventId: "b1.ended", batchId: "b1", tenant, status: "completed", endedAt: "2026-12-02T10:00:00.000Z" },
  }),
});

describe("the webhook queue's consumer", () => {
  const statuses: number[] = [];
  const bodies: { headers: Record<string, string>; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      bodies.push({ headers: request.headers as Record<string, string>, body });
      response.writeHead(statuses.shift() ?? 200).end();
    });
  });
  const sealer = new AesGcmSealer(randomBytes(32));
  const webhooks = new MemoryWebhooks();
  let secret: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    secret = (await setWebhook(webhooks, sealer, "team", url))!;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("delivers signed, skips tenants without a webhook, and backs off a refused delivery", async () => {
    statuses.push(503);
    const retries: [string, number][] = [];
    const logged: string[] = [];
    const failed = await deliverQueuedEvents(
      { webhooks, sealer, allowLoopback: true }, // this test's receiver listens on loopback
      [queued("team", 3), queued("nobody", 1), queued("team", 4)],
      async (message, delay) => void retries.push([message.messageId, delay]),
      (message) => void logged.push(message),
    );
    expect(failed).toEqual(["m-team-3"]); // the 503: back on the queue, hidden for the third attempt's backoff
    expect(retries).toEqual([["m-team-3", 120]]);
    expect(bodies).toHaveLength(2);
    const last = bodies[1]!;
    expect(new Verifier(secret).verify(last.body, last.headers)).toMatchObject({
      type: "batch.ended",
      data: { batchId: "b1", status: "completed" },
    });
    expect(logged).toEqual(["webhook delivery failed", "webhook delivery", "webhook delivery"]);
  });
});
