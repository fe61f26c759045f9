import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModels } from "../../local/default-models";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/**
 * The simulators' flaky rows (issue 27): a request whose text holds `[[sim:flaky:N]]` fails for a transient reason —
 * a rate limit or overload, in the provider's own batch output — in its first N batches, then answers. Through the
 * gateway the row lands in the error file the first time and in the output file when run again; Bedrock's on-demand
 * path retries the throttled call within the batch, so there it answers at once.
 */
describe("flaky rows in the simulated providers", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 200 },
      runner: { pollWaitMs: 30, retryWaitMs: 20 },
      // Bedrock runs jobs of 5 records and more, so its flaky rows fail in a job (on demand, calls are retried).
      bedrockMinRecords: 5,
    });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "flaky-key", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  /** Runs the two rows on `provider`; which custom_ids came back answered and which in the error file. */
  const run = async (provider: keyof typeof defaultModels, prompts: string[]) => {
    const file = await uploadBatchInput(client, chatLines(defaultModels[provider], prompts), provider);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      // @ts-expect-error the gateway's extra body field
      provider,
    });
    const batch = await waitForBatch(client, created.id);
    expect(batch.status).toBe("completed");
    const ids = async (fileId: string | null | undefined) =>
      fileId
        ? (await (await client.files.content(fileId)).text())
            .trim()
            .split("\n")
            .map((line) => (JSON.parse(line) as { custom_id: string }).custom_id)
            .sort()
        : [];
    return { answered: await ids(batch.output_file_id), failed: await ids(batch.error_file_id) };
  };

  it.each(["openai", "anthropic", "gemini"] as const)(
    "on %s a [[sim:flaky:1]] row fails its first batch and answers in the next",
    async (provider) => {
      const prompts = ["steady", `[[sim:flaky:1]] wobbly on ${provider}`];
      expect(await run(provider, prompts)).toEqual({ answered: ["req-1"], failed: ["req-2"] });
      expect(await run(provider, prompts)).toEqual({ answered: ["req-1", "req-2"], failed: [] });
    },
  );

  it("on Bedrock's on-demand path the throttled call is retried within the batch", async () => {
    expect(await run("bedrock", ["steady", "[[sim:flaky:1]] wobbly on bedrock"])).toEqual({
      answered: ["req-1", "req-2"],
      failed: [],
    });
  });

  it.each(["openai", "anthropic", "gemini", "bedrock"] as const)(
    "on %s a batch asking finops_retry runs its transient failures again: each row once, the retry cost shown",
    async (provider) => {
      const prompts = [
        "first",
        `[[sim:flaky:1]] retried once on ${provider}`,
        "third",
        `[[sim:flaky:2]] retried twice on ${provider}`,
        "[[sim:error]] refused as bad: never retried",
        "sixth",
      ];
      const ids = prompts.map((_, i) => `req-${i + 1}`);
      const file = await uploadBatchInput(client, chatLines(defaultModels[provider], prompts), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        metadata: { finops_retry: "3" },
        // @ts-expect-error the gateway's extra body field
        provider,
      });
      const batch = await waitForBatch(client, created.id);
      expect(batch).toMatchObject({ status: "completed", request_counts: { total: 6, completed: 5, failed: 1 } });
      const read = async (fileId: string | null | undefined) =>
        fileId
          ? (await (await client.files.content(fileId)).text())
              .trim()
              .split("\n")
              .map((line) => JSON.parse(line) as { custom_id: string; response: { body: unknown } | null })
          : [];
      // Every row once: answered ones in input order, the bad one in the error file, run once.
      expect((await read(batch.output_file_id)).map((line) => line.custom_id)).toEqual(
        ids.filter((id) => id !== "req-5"),
      );
      const errors = await read(batch.error_file_id);
      expect(errors.map((line) => line.custom_id)).toEqual(["req-5"]);
      expect(JSON.stringify(errors[0])).not.toMatch(/ran \d times/);
      // Six first runs, then the two flaky rows again, then the twice-flaky one a third time (Bedrock runs the two
      // again on demand, under its 5-record minimum, where its SDK retries a throttled call within the run).
      const attempts = provider === "bedrock" ? "8" : "9";
      expect(batch.metadata).toMatchObject({ finops_attempts: attempts, finops_rows_retrying: "0", finops_retry: "3" });
      expect(Number(batch.metadata?.finops_retry_cost_usd)).toBeGreaterThan(0);
      expect(Number(batch.metadata?.finops_retry_cost_usd)).toBeLessThan(Number(batch.metadata?.finops_cost_usd));
    },
  );

  it("a row still failing after its last run is in the error file, saying how often it ran", async () => {
    const file = await uploadBatchInput(
      client,
      chatLines(defaultModels.openai, ["steady", "[[sim:flaky:5]] never recovers"]),
      "openai",
    );
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { finops_retry: "2" },
    });
    const batch = await waitForBatch(client, created.id);
    expect(batch.request_counts).toMatchObject({ total: 2, completed: 1, failed: 1 });
    const errors = (await (await client.files.content(batch.error_file_id!)).text()).trim();
    expect(errors).toMatch(/"custom_id":"req-2"/);
    expect(errors).toMatch(/\(ran 2 times\)/);
  });

  it("refuses a finops_retry that is not a whole number of runs from 1 to 5, by name", async () => {
    const file = await uploadBatchInput(client, chatLines(defaultModels.openai, ["x"]), "openai");
    const refused = client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { finops_retry: "9" },
    });
    await expect(refused).rejects.toThrow(
      /finops_retry must be a whole number of runs per row from 1 \(no retry\) to 5, not 9/,
    );
  });
});
