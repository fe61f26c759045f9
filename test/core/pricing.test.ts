import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runTask } from "../../lambdas/app/task";
import { defaultPollSchedule } from "../../lambdas/core/batch-engine";
import { createBatch } from "../../lambdas/core/batches";
import type { NeutralResult } from "../../lambdas/core/model";
import type { ProviderAdapter } from "../../lambdas/core/ports";
import { CostMeter } from "../../lambdas/core/pricing";
import { chatResponseFromAnthropic, renderAnthropicMessage } from "../../lambdas/formats/anthropic-messages";
import { engineMetrics } from "../../lambdas/metrics";
import { priceBook, priceOverridesFromEnv } from "../../lambdas/pricing/price-book";
import { batchInputFile, memoryGateway, runToEnd } from "../support/memory";

const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

describe("prices from the maintained dataset, settled at batch rates", () => {
  it("prices gpt-4o-mini as worked out by hand: $0.15 / $0.60 per million tokens, batch derived at 50 %", async () => {
    const meter = new CostMeter(await priceBook().rates("openai", "gpt-4o-mini"));
    meter.add(usage(1_000_000, 200_000)); // 0.15 + 0.12 = $0.27 on demand
    meter.add(usage(600_000, 100_000)); // 0.09 + 0.06 = $0.15 on demand
    expect(meter.settle(false)).toEqual({
      currency: "USD",
      onDemand: 0.42,
      batch: 0.21,
      saved: 0.21,
      pricing: "derived",
      source: "genai-prices openai/gpt-4o-mini",
    });
  });

  it("prices cached input at the cache-read rate: 600k of 1M input tokens cached on gpt-4o-mini ($0.075 per million)", async () => {
    const meter = new CostMeter(await priceBook().rates("openai", "gpt-4o-mini"));
    meter.add({ inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 600_000 });
    // 400k × $0.15 / 1M + 600k × $0.075 / 1M = $0.06 + $0.045
    expect(meter.settle(false)).toMatchObject({ onDemand: 0.105, batch: 0.0525 });
  });

  it("counts Anthropic's cache reads and writes, which its input_tokens leaves out, each at its own rate", async () => {
    const response = chatResponseFromAnthropic(
      {
        id: "msg_1",
        model: "claude-3-5-haiku-latest",
        content: [],
        usage: {
          input_tokens: 100_000,
          output_tokens: 0,
          cache_read_input_tokens: 500_000,
          cache_creation_input_tokens: 200_000,
        },
      },
      0,
    );
    expect(response.usage).toEqual({
      inputTokens: 800_000,
      outputTokens: 0,
      cachedInputTokens: 500_000,
      cacheWriteTokens: 200_000,
    });
    // Rendered back for the Anthropic SDK exactly as Anthropic reported it.
    expect((renderAnthropicMessage(response) as { usage: unknown }).usage).toMatchObject({
      input_tokens: 100_000,
      cache_read_input_tokens: 500_000,
      cache_creation_input_tokens: 200_000,
    });
    const meter = new CostMeter(await priceBook().rates("anthropic", "claude-3-5-haiku-latest"));
    meter.add(response.usage);
    // (100k × $0.80 + 500k × $0.08 cache read + 200k × $1.00 cache write) per million
    expect(meter.settle(false)).toMatchObject({ onDemand: 0.32, batch: 0.16 });
  });

  it("prices tiered models per request (Gemini 1.5 Flash: $0.075 per million up to 128k prompt tokens, $0.15 above)", async () => {
    const meter = new CostMeter(await priceBook().rates("gemini", "gemini-1.5-flash"));
    meter.add(usage(100_000, 0)); // 100k × 0.075 / 1M = $0.0075
    meter.add(usage(200_000, 0)); // 200k × 0.15 / 1M = $0.03 (300k summed would have been $0.045)
    expect(meter.settle(false)).toMatchObject({ onDemand: 0.0375, batch: 0.01875, pricing: "derived" });
  });

  it("finds Bedrock cross-region inference profiles, and prices a batch the gateway ran itself at on-demand rates", async () => {
    const meter = new CostMeter(await priceBook().rates("bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0"));
    meter.add(usage(1_000_000, 100_000)); // $0.80 + $0.40 per Bedrock's Claude 3.5 Haiku price
    expect(meter.settle(true)).toMatchObject({ onDemand: 1.2, batch: 1.2, saved: 0, pricing: "on_demand" });
  });

  it("reads overrides from the file beside the bundle (PRICE_OVERRIDES_FILE in the task root), however long", async () => {
    const root = await mkdtemp(join(tmpdir(), "task-root-"));
    const many = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`openai:ft:model-${i}`, { input_mtok: i + 1, output_mtok: 2 }]),
    );
    expect(JSON.stringify(many).length).toBeGreaterThan(4096); // more than Lambda's whole environment holds
    await writeFile(join(root, "price-overrides.json"), JSON.stringify(many));
    const read = priceOverridesFromEnv({ PRICE_OVERRIDES_FILE: "price-overrides.json", LAMBDA_TASK_ROOT: root });
    expect(read).toEqual(many);
    const missing = priceOverridesFromEnv({ PRICE_OVERRIDES_FILE: "gone.json", LAMBDA_TASK_ROOT: root });
    expect(missing).toMatchObject({ invalid: expect.stringMatching(/not valid/) });
    await rm(root, { recursive: true });
  });

  it("takes the owner's overrides, a published batch rate among them, and never prices an unknown model at 0", async () => {
    const book = priceBook(
      priceOverridesFromEnv({
        PRICE_OVERRIDES: JSON.stringify({
          "openai:ft:gpt-4o-mini:acme": {
            input_mtok: 0.3,
            output_mtok: 1.2,
            batch_input_mtok: 0.1,
            batch_output_mtok: 0.4,
          },
        }),
      }),
    );
    const own = new CostMeter(await book.rates("openai", "ft:gpt-4o-mini:acme"));
    own.add(usage(1_000_000, 1_000_000));
    expect(own.settle(false)).toEqual({
      currency: "USD",
      onDemand: 1.5,
      batch: 0.5,
      saved: 1,
      pricing: "published",
      source: "owner override",
    });
    const unknown = new CostMeter(await book.rates("openai", "no-such-model"));
    unknown.add(usage(10, 10));
    expect(unknown.settle(false)).toMatchObject({ batch: null, onDemand: null, saved: null, pricing: "unpriced" });
    expect(unknown.settle(false).source).toMatch(/no price for openai model no-such-model.*PRICE_OVERRIDES/);
    const broken = priceBook(priceOverridesFromEnv({ PRICE_OVERRIDES: "{not json" }));
    expect(await broken.rates("openai", "gpt-4o-mini")).toEqual({
      unpriced: expect.stringMatching(/PRICE_OVERRIDES is not valid/),
    });
  });
});

describe("settlement", () => {
  /** An upstream whose two requests each used 1M input and 200k output tokens. */
  const upstream: ProviderAdapter = {
    submit: async (batch) => ({ id: `up-${batch.id}`, mode: "batch" }),
    status: async (batch) => ({ status: "completed", counts: batch.requestCounts }),
    cancel: async () => undefined,
    async *results(): AsyncIterable<NeutralResult> {
      for (const customId of ["a", "b"]) {
        yield {
          customId,
          outcome: "succeeded",
          response: {
            id: customId,
            model: "gpt-4o-mini",
            text: "ok",
            finishReason: "stop",
            usage: usage(1_000_000, 200_000),
            created: 0,
          },
        };
      }
    },
  };

  it("settles once with the results, however often collect runs (a retried task, a duplicate delivery)", async () => {
    // EMF records, as the task Lambda writes them to its standard output (its logs).
    const emitted: Record<string, unknown>[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk, ...rest) => {
      const text = String(chunk);
      if (text.includes('"_aws"')) emitted.push(JSON.parse(text) as Record<string, unknown>);
      else return write(chunk, ...(rest as []));
      return true;
    });
    const gateway = memoryGateway({
      providers: { openai: upstream, anthropic: undefined, gemini: undefined, bedrock: undefined },
      poll: defaultPollSchedule,
      prices: priceBook(),
      metrics: engineMetrics(),
    });
    const lines = ["a", "b"].map((id) =>
      JSON.stringify({
        custom_id: id,
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: id }] },
      }),
    );
    const file = await batchInputFile(gateway.deps, lines.join("\n"));
    const batch = await createBatch(gateway.deps, {
      tenant: "t",
      dialect: "openai",
      provider: "openai",
      endpoint: "/v1/chat/completions",
      completionWindow: "24h",
      inputFile: { id: file.id, shown: file.id },
    });
    await runToEnd(gateway.engine, batch);
    const settled = await gateway.deps.repo.get("batch", "t", batch.id);
    // 2 × ($0.15 + $0.12) = $0.54 on demand; half at batch rates.
    expect(settled?.cost).toMatchObject({ onDemand: 0.54, batch: 0.27, saved: 0.27, pricing: "derived" });
    expect(settled?.usage).toMatchObject(usage(2_000_000, 400_000));
    for (let i = 0; i < 2; i++) await runTask(gateway.engine, { action: "collect", batchId: batch.id, tenant: "t" });
    expect((await gateway.deps.repo.get("batch", "t", batch.id))?.cost).toEqual(settled?.cost);
    spy.mockRestore();
    // One cost record for the batch, however often collect ran: per tenant and model, in the FinOps namespace;
    // and one end of the batch, per status, dialect and provider.
    const costs = emitted.filter((record) => "CostUsd" in record);
    expect(costs).toHaveLength(1);
    expect(emitted.filter((record) => "BatchesEnded" in record)).toEqual([
      expect.objectContaining({ status: "completed", dialect: "openai", provider: "openai", BatchesEnded: 1 }),
    ]);
    expect(costs[0]).toMatchObject({
      tenant: "t",
      model: "gpt-4o-mini",
      Batches: 1,
      InputTokens: 2_000_000,
      OutputTokens: 400_000,
      CostUsd: 0.27,
      OnDemandUsd: 0.54,
      SavedUsd: 0.27,
      batchId: batch.id,
      _aws: { CloudWatchMetrics: [{ Namespace: "FinOps", Dimensions: [["service", "tenant", "model"]] }] },
    });
  });
});
