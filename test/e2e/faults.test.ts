import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchRecord, NeutralResult } from "../../lambdas/core/model";
import type { ProviderAdapter, ProviderAdapters } from "../../lambdas/core/ports";
import { chatLines, resultLines, terminal, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";
import { waitUntil } from "../support/wait";

/** Every request id of a batch ends in exactly one place, and the counts add up. */
const expectEachIdOnce = async (client: OpenAI, batch: Awaited<ReturnType<typeof waitForBatch>>, ids: string[]) => {
  const output = await resultLines(client, batch.output_file_id);
  const errors = await resultLines(client, batch.error_file_id);
  expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual([...ids].sort());
  expect(batch.request_counts?.total).toBe(ids.length);
  expect((batch.request_counts?.completed ?? 0) + (batch.request_counts?.failed ?? 0)).toBe(ids.length);
  expect(batch.request_counts?.completed).toBe(output.length);
};

/**
 * The OpenAI adapter, with its result stream cut off half way the first time it is read: the task Lambda timing
 * out mid-conversion, which Step Functions reports as `Sandbox.Timedout` and retries.
 */
const crashOnceMidResults = (providers: ProviderAdapters): ProviderAdapters => {
  const inner = providers.openai!;
  let crashed = false;
  const flaky: ProviderAdapter = {
    submit: (b, i) => inner.submit(b, i),
    status: (b) => inner.status(b),
    cancel: (b) => inner.cancel(b),
    async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
      let n = 0;
      for await (const result of inner.results(batch)) {
        if (!crashed && ++n === 3) {
          crashed = true;
          throw Object.assign(new Error("simulated timeout of the task mid-conversion"), { name: "Sandbox.Timedout" });
        }
        yield result;
      }
    },
  };
  return { ...providers, openai: flaky };
};

describe("faults lose nothing", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;
  const ids = Array.from({ length: 6 }, (_, i) => `req-${i + 1}`);
  const prompts = ids.map((id) => `question ${id}`);

  beforeAll(async () => {
    process.env.UPSTREAM_TIMEOUT_MS = "300";
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 400 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 5,
      wrapProviders: crashOnceMidResults,
    });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-faults", maxRetries: 0 });
  });
  afterAll(async () => {
    delete process.env.UPSTREAM_TIMEOUT_MS;
    await gateway.stop();
  });

  const run = async (provider: string, model: string) => {
    const file = await uploadBatchInput(client, chatLines(model, prompts, ids), provider);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider,
    } as never);
    return waitForBatch(client, created.id);
  };

  it("a task crashing mid-conversion is retried and every request still lands once", async () => {
    const batch = await run("openai", "gpt-4o-mini");
    expect(batch.status).toBe("completed");
    await expectEachIdOnce(client, batch, ids);
  });

  it.each([
    ["openai", "gpt-4o-mini"],
    ["anthropic", "claude-3-5-haiku-latest"],
    ["gemini", "gemini-1.5-flash"],
    ["bedrock", "anthropic.claude-3-sonnet-20240229-v1:0"],
  ])("%s: hung upstream calls time out and are retried", async (provider, model) => {
    const sim = gateway.gateway.simulators[provider as "openai"]!;
    sim.faults.hangNextCalls = 2;
    sim.faults.failNextCalls.push(500);
    const batch = await run(provider, model);
    expect(sim.faults.hangNextCalls).toBe(0);
    expect(batch.status).toBe("completed");
    await expectEachIdOnce(client, batch, ids);
  });

  it.each([
    ["openai", "gpt-4o-mini"],
    ["anthropic", "claude-3-5-haiku-latest"],
    ["gemini", "gemini-1.5-flash"],
    ["bedrock", "anthropic.claude-3-sonnet-20240229-v1:0"],
  ])(
    "%s: an upstream 4xx fails the batch at once, with the upstream's reason, and is not retried",
    async (provider, model) => {
      const sim = gateway.gateway.simulators[provider as "openai"]!;
      const callsBefore = sim.calls.length;
      sim.faults.failNextCalls.push(400);
      const batch = await run(provider, model);
      expect(batch.status).toBe("failed");
      expect(batch.errors?.data?.[0]?.message ?? "").toMatch(
        new RegExp(`^The batch failed: ${provider} answered 400: .*Simulated 400`, "i"),
      );
      expect(sim.faults.failNextCalls).toEqual([]);
      expect(sim.calls.length).toBe(callsBefore); // the 400 was the only call: nothing retried it
      const errors = await resultLines(client, batch.error_file_id);
      expect(errors.map((l) => l.custom_id).sort()).toEqual([...ids].sort());
    },
  );

  it("a cancel racing completion ends the batch once, completed or cancelled, with every request accounted for", async () => {
    const simulator = gateway.gateway.simulators.openai!;
    const creates = () => simulator.calls.filter((c) => c === "POST /v1/batches").length;
    // Cancel at each stage of the batch's life, up to the moment it ends (the cancel then loses the race: a 400).
    const stages: [string, (id: string, createsBefore: number) => Promise<void>][] = [
      ["before the upstream job exists", async () => undefined],
      ["once the upstream job exists", (_, before) => waitUntil(() => creates() > before, "the upstream batch exists")],
      [
        "while requests complete",
        (id) =>
          waitUntil(
            async () => ((await client.batches.retrieve(id)).request_counts?.completed ?? 0) > 0,
            "a request has completed",
          ),
      ],
      [
        "as the batch ends",
        (id) =>
          waitUntil(
            async () => ["finalizing", ...terminal].includes((await client.batches.retrieve(id)).status),
            "the upstream batch has ended",
          ),
      ],
    ];
    for (const [stage, reached] of stages) {
      const file = await uploadBatchInput(client, chatLines("gpt-4o-mini", prompts, ids), "openai");
      const before = creates();
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      await reached(created.id, before);
      await client.batches.cancel(created.id).catch((e: unknown) => {
        expect(e, stage).toBeInstanceOf(OpenAI.BadRequestError); // already ended: "Cannot cancel a batch with status …"
      });
      const batch = await waitForBatch(client, created.id);
      expect(["completed", "cancelled"], stage).toContain(batch.status);
      await expectEachIdOnce(client, batch, ids);
    }
  });
});
