import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { microUsd } from "../../lambdas/core/budgets";
import { defaultModels } from "../../local/default-models";
import { uploadBatchInput, waitForBatch } from "../support/batches";
import { startKeysGateway, type startTestGateway } from "../support/gateway";

/**
 * An estimate before spending (issue 28): `POST /finops/v1/estimate` on an uploaded file answers what a batch of it
 * would cost, its on-demand equivalent and saving, the key's budget after it and what it assumed — within 1 % of what
 * the batch then settles at when the answers spend their max_tokens (the simulators' `[[sim:max_tokens]]`).
 */
describe("the FinOps API's estimate", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let key: string;
  let openai: OpenAI;
  const estimate = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gateway.url}/finops/v1/estimate`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const started = await startKeysGateway("estimates");
    ({ gateway, key } = started);
    const credential = started.credential;
    await gateway.gateway.budgets.setLimit(credential.record.tenant, microUsd(5));
    openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: key, maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  const lines = (model: string) =>
    ["a short question", "a somewhat longer question about batch pricing", "third"]
      .map((text, i) =>
        JSON.stringify({
          custom_id: `e${i}`,
          method: "POST",
          url: "/v1/chat/completions",
          body: { model, max_tokens: 40 + i, messages: [{ role: "user", content: `[[sim:max_tokens]] ${text}` }] },
        }),
      )
      .join("\n");

  it.each(["openai", "anthropic", "gemini", "bedrock"] as const)(
    "on %s: the estimate is within one percent of what the batch settles at, and says what it assumed",
    async (provider) => {
      const file = await uploadBatchInput(openai, lines(defaultModels[provider]), provider);
      const { status, body } = await estimate({ input_file_id: file.id, provider });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        object: "finops.estimate",
        provider,
        model: defaultModels[provider],
        requests: 3,
        usage: { output_tokens: 40 + 41 + 42 },
        cost: { currency: "USD" },
        budget: { monthly: 5 },
        assumptions: { input_tokens: expect.stringContaining("4 characters a token") },
      });
      const cost = body.cost as { batch: number; on_demand: number; saved: number };
      expect(cost.batch).toBeGreaterThan(0);
      expect(cost.saved).toBeCloseTo(cost.on_demand - cost.batch, 10);
      const budget = body.budget as { committed: number; left_after: number };
      expect(budget.left_after).toBeCloseTo(5 - budget.committed - cost.batch, 6);

      const created = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        // @ts-expect-error the gateway's extra body field
        provider,
      });
      const settled = await waitForBatch(openai, created.id);
      expect(settled.status).toBe("completed");
      const actual = Number(settled.metadata?.finops_cost_usd);
      expect(Math.abs(cost.batch - actual) / actual).toBeLessThan(0.01);
    },
  );

  it("takes any SDK's key, and names a file it cannot find in OpenAI's error envelope", async () => {
    const file = await uploadBatchInput(openai, lines(defaultModels.openai), "openai");
    const viaAnthropicKey = await estimate({ input_file_id: file.id }, { authorization: "", "x-api-key": key });
    expect(viaAnthropicKey.status).toBe(200);
    const missing = await estimate({ input_file_id: "file-nosuchfile" });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { message: expect.stringContaining("file-nosuchfile") } });
    const unknown = await estimate({ input_file_id: file.id, completion_window: "24h" });
    expect(unknown.status).toBe(400);
  });
});
