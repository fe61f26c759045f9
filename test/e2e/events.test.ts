import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchEndedType, eventSource } from "../../lambdas/dialects/batch-events";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";
import { waitUntil } from "../support/wait";

/** A webhook receiver that answers 500 to the first `failures` deliveries, then 204. */
const startReceiver = async (failures: number) => {
  const received: { headers: IncomingHttpHeaders; body: string; status: number }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = received.length < failures ? 500 : 204;
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/finops`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

describe("batch-ended events and webhooks", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let client: OpenAI;
  let secret: string;

  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 300 },
      runner: { pollWaitMs: 50 },
      webhooks: { retryScale: 0.001 }, // 30 ms, 60 ms, … instead of 30 s, 60 s, …
    });
    receiver = await startReceiver(2);
    const credential = await gateway.gateway.createCredential("team-events");
    secret = (await gateway.gateway.setWebhook("team-events", receiver.url))!;
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: credential.apiKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway.stop();
    await receiver.close();
  });

  it("publishes each batch's end once, with its id in every SDK's form, counts, usage and cost", async () => {
    const file = await uploadBatchInput(client, chatLines("gpt-4o-mini", ["one", "two [[sim:error]]"]), "openai");
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "openai",
    } as never);
    const batch = await waitForBatch(client, created.id);
    expect(batch.status).toBe("completed");
    const id = created.id.replace(/^batch_/, "");
    await waitUntil(() => gateway.gateway.bus.events.length > 0, "the batch's end is published");
    const events = gateway.gateway.bus.events.filter((e) => e.detail.batchId === id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: eventSource, "detail-type": batchEndedType });
    expect(events[0]!.detail).toMatchObject({
      eventId: `${id}.ended`,
      ids: {
        openai: created.id,
        anthropic: `msgbatch_${id}`,
        genai: `batches/${id}`,
        bedrock: expect.stringMatching(new RegExp(`^arn:aws:bedrock:us-east-1:\\d{12}:model-invocation-job/${id}$`)),
      },
      dialect: "openai",
      provider: "openai",
      status: "completed",
      requestCounts: { total: 2, completed: 1, failed: 1 },
      usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
      cost: { currency: "USD", batch: expect.any(Number) },
    });
  });

  it("delivers it to the credential's webhook, signed per Standard Webhooks, retried until the receiver takes it", async () => {
    await waitUntil(() => receiver.received.some((r) => r.status === 204), "the receiver took a delivery");
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 204]);
    const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1); // the same message id on every retry
    const last = receiver.received.at(-1)!;
    // The reference implementation verifies the signature with the secret shown once.
    const payload = new Webhook(secret).verify(last.body, {
      "webhook-id": String(last.headers["webhook-id"]),
      "webhook-timestamp": String(last.headers["webhook-timestamp"]),
      "webhook-signature": String(last.headers["webhook-signature"]),
    }) as { type: string; data: { status: string; ids: { openai: string } } };
    expect(payload).toMatchObject({ type: "batch.ended", data: { status: "completed" } });
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(last.body, {
        "webhook-id": String(last.headers["webhook-id"]),
        "webhook-timestamp": String(last.headers["webhook-timestamp"]),
        "webhook-signature": String(last.headers["webhook-signature"]),
      }),
    ).toThrow();
    // The sender records an attempt once the receiver's answer is in, a moment after the receiver sent it.
    await waitUntil(
      () => gateway.gateway.webhookAttempts.some((a) => a.outcome === "delivered"),
      "the delivery is recorded",
    );
    expect(gateway.gateway.webhookAttempts.map((a) => a.outcome)).toEqual(["retry", "retry", "delivered"]);
  });

  it("sends OpenAI's own batch events where a credential asks, which the OpenAI SDK's webhooks.unwrap() verifies", async () => {
    const openAiReceiver = await startReceiver(0);
    try {
      const credential = await gateway.gateway.createCredential("team-openai-events");
      const signing = (await gateway.gateway.setWebhook("team-openai-events", openAiReceiver.url, "openai"))!;
      const caller = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: credential.apiKey, maxRetries: 0 });
      const file = await uploadBatchInput(caller, chatLines("gpt-4o-mini", ["one"]), "openai");
      const created = await caller.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      expect((await waitForBatch(caller, created.id)).status).toBe("completed");
      await waitUntil(() => openAiReceiver.received.length > 0, "the receiver got OpenAI's event");
      const [delivery] = openAiReceiver.received;
      const receiver = new OpenAI({ apiKey: "unused", webhookSecret: signing });
      const event = await receiver.webhooks.unwrap(delivery!.body, delivery!.headers as Record<string, string>);
      expect(event).toMatchObject({ object: "event", type: "batch.completed", data: { id: created.id } });
      expect(event.id).toBe(delivery!.headers["webhook-id"]);
      const tampered = delivery!.body.replace("batch.completed", "batch.failed");
      await expect(receiver.webhooks.unwrap(tampered, delivery!.headers as Record<string, string>)).rejects.toThrow();
    } finally {
      await openAiReceiver.close();
    }
  });

  it("refuses a webhook URL that is neither https nor a local receiver", async () => {
    await expect(gateway.gateway.setWebhook("team-events", "http://example.com/hook")).rejects.toThrow(/must be https/);
  });
});
