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
});
