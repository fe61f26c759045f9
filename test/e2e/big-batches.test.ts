import OpenAI from "openai";
import type { BatchCreateParams } from "openai/resources/batches";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provider } from "../../lambdas/core/model";
import { defaultModels } from "../../local/default-models";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startPartsGateway, type startTestGateway } from "../support/gateway";

/** Creates a chat batch on `provider` through the OpenAI SDK: one request per id, its text `prefix id`. */
const createOn = async (client: OpenAI, provider: Provider, ids: string[], prefix: string) => {
  const lines = chatLines(
    defaultModels[provider],
    ids.map((id) => `${prefix} ${id}`),
    ids,
  );
  const file = await uploadBatchInput(client, lines, provider);
  return client.batches.create({
    input_file_id: file.id,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
    provider,
  } as BatchCreateParams);
};

/**
 * Batches of any size (issue 27), with every provider's per-job limit lowered by setting to 10 requests so a batch of
 * 45 runs as 5 upstream jobs: each read back as one batch — one id, one output file in input order with every
 * custom_id once, counts summed — while the provider quotas (set low, and enforced by the simulators as the real
 * providers enforce them) are respected, never hit.
 */
describe("batches larger than a provider's per-job limit", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;
  const rows = 45;

  beforeAll(async () => {
    gateway = await startPartsGateway({
      env: {
        // Two jobs at a time (OpenAI: a part of 9 lines holds about 600 enqueued tokens).
        OPENAI_ENQUEUED_TOKENS: "1300",
        ANTHROPIC_QUEUED_REQUESTS: "18",
        GEMINI_CONCURRENT_BATCHES: "2",
        BEDROCK_JOBS_PER_MODEL: "2",
      },
      simulatorQuotas: {
        openai: { jobRequests: 10, concurrent: 1300 },
        anthropic: { jobRequests: 10, concurrent: 18 },
        gemini: { jobRequests: 10, concurrent: 2 },
        bedrock: { jobRequests: 10, concurrent: 2 },
      },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "big-key", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  const ids = Array.from({ length: rows }, (_, i) => `row-${String(i + 1).padStart(3, "0")}`);
  const linesOf = async (fileId: string | null | undefined) =>
    fileId
      ? (await (await client.files.content(fileId)).text())
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number } | null })
      : [];

  it.each(["openai", "anthropic", "gemini", "bedrock"] as const)(
    "on %s: 45 requests run as 5 jobs within the quota, read back whole, in input order",
    async (provider) => {
      const created = await createOn(client, provider, ids, "question");
      const batch = await waitForBatch(client, created.id, 60_000);
      expect(batch).toMatchObject({
        id: created.id,
        status: "completed",
        request_counts: { total: rows, completed: rows, failed: 0 },
        error_file_id: null,
      });
      expect(batch.metadata).toMatchObject({
        finops_parts: "5",
        finops_rows_done: String(rows),
        finops_attempts: "45",
      });
      const output = await linesOf(batch.output_file_id);
      expect(output.map((line) => line.custom_id)).toEqual(ids);
      expect(output.every((line) => line.response?.status_code === 200)).toBe(true);
      // The quota held: at most two jobs (or their requests, or tokens) at once, and no create refused for room.
      const quota = gateway.gateway.simulators[provider]!.quota!;
      expect(quota.refused).toBe(0);
      expect(quota.peak).toBeGreaterThan(0);
      expect(quota.peak).toBeLessThanOrEqual(quota.limit!);
      expect(Number(batch.metadata?.finops_cost_usd)).toBeGreaterThan(0);
    },
  );

  it("a cancel in the middle ends every part: running ones stopped, waiting ones never started", async () => {
    const many = Array.from({ length: 60 }, (_, i) => `cancel-${String(i + 1).padStart(3, "0")}`);
    const created = await createOn(client, "bedrock", many, "question");
    // Six parts, two running at a time: cancel once the first have started.
    for (let seen = await client.batches.retrieve(created.id); ; seen = await client.batches.retrieve(created.id)) {
      if (Number(seen.metadata?.finops_parts_waiting ?? 6) < 6) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.batches.cancel(created.id);
    const batch = await waitForBatch(client, created.id, 60_000);
    expect(batch.status).toBe("cancelled");
    expect(batch.metadata).toMatchObject({ finops_parts: "6", finops_parts_waiting: "0" });
    const lines = [...(await linesOf(batch.output_file_id)), ...(await linesOf(batch.error_file_id))];
    // Every request once across the two files; those of parts that never started are named as not run.
    expect(lines.map((line) => line.custom_id).sort()).toEqual(many);
    expect(batch.request_counts?.total).toBe(60);
    expect(batch.request_counts?.failed).toBeGreaterThan(0);
  });
});

/**
 * The same quotas enforced upstream with the gateway told nothing of them: each provider refuses a create past its
 * quota in its own way (OpenAI fails the batch with `token_limit_exceeded`, Anthropic and Gemini answer 429, Bedrock
 * ServiceQuotaExceededException), and the refused part goes back to the gateway's queue instead of failing its rows.
 */
describe("a part the provider refuses for queue room", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startPartsGateway({
      env: {
        ANTHROPIC_QUEUED_REQUESTS: "0",
        GEMINI_CONCURRENT_BATCHES: "0",
        BEDROCK_JOBS_PER_MODEL: "0",
      },
      simulatorQuotas: {
        openai: { concurrent: 1300 },
        anthropic: { concurrent: 18 },
        gemini: { concurrent: 2 },
        bedrock: { concurrent: 2 },
      },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "refused-key", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  it.each(["openai", "anthropic", "gemini", "bedrock"] as const)(
    "on %s: refused parts wait and run later; every row is answered",
    async (provider) => {
      const ids = Array.from({ length: 45 }, (_, i) => `r${i + 1}`);
      const created = await createOn(client, provider, ids, "ask");
      const batch = await waitForBatch(client, created.id, 60_000);
      expect(batch).toMatchObject({ status: "completed", request_counts: { total: 45, completed: 45, failed: 0 } });
      expect(gateway.gateway.simulators[provider]!.quota!.refused).toBeGreaterThan(0);
    },
  );
});
