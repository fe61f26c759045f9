import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModels } from "../../local/default-models";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

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
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 150 },
      runner: { pollWaitMs: 30, retryWaitMs: 20 },
      bedrockMinRecords: 5,
      env: {
        OPENAI_JOB_MAX_REQUESTS: "10",
        ANTHROPIC_JOB_MAX_REQUESTS: "10",
        GEMINI_JOB_MAX_REQUESTS: "10",
        BEDROCK_JOB_MAX_REQUESTS: "10",
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
      const prompts = ids.map((id) => `question ${id}`);
      const file = await uploadBatchInput(client, chatLines(defaultModels[provider], prompts, ids), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        // @ts-expect-error the gateway's extra body field
        provider,
      });
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
});
