import { describe, expect, it } from "vitest";
import { createBatch } from "../../lambdas/core/batches";
import type { Provider } from "../../lambdas/core/model";
import { priceBook } from "../../lambdas/pricing/price-book";
import { chatLines } from "../support/batches";
import { batchInputFile, memoryGateway } from "../support/memory";

/** A batch of one line naming `model`, created on `provider` with the catalogue and an owner's allow-list. */
const create = async (provider: Provider, model: string) => {
  const gateway = memoryGateway({ providers: {} } as never, {
    prices: priceBook({}, ["ft:gpt-4o-mini:acme::abc123"]),
  });
  const file = await batchInputFile(gateway.deps, chatLines(model, ["hi"]));
  return createBatch(gateway.deps, {
    tenant: "t",
    dialect: "openai",
    provider,
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    inputFile: { id: file.id, shown: file.id },
  });
};

describe("models checked at create, against what the provider serves", () => {
  it("takes models the catalogue lists for the provider", async () => {
    expect((await create("openai", "gpt-4o-mini")).status).toBe("validating");
    expect((await create("anthropic", "claude-3-5-haiku-latest")).status).toBe("validating");
    expect((await create("bedrock", "anthropic.claude-3-haiku-20240307-v1:0")).status).toBe("validating");
  });

  it("refuses a typo with the nearest ids", async () => {
    await expect(create("openai", "gpt-4o-mimi")).rejects.toThrow(
      /^Model "gpt-4o-mimi" is not one openai serves \(genai-prices catalogue\)\. Did you mean gpt-4o-mini/,
    );
  });

  it("refuses another provider's model, naming the provider that serves it", async () => {
    await expect(create("openai", "claude-3-5-haiku-latest")).rejects.toThrow(
      /anthropic serves it: run the batch with provider anthropic\./,
    );
  });

  it("takes an id the owner allowed (a fine-tuned model the catalogue cannot list)", async () => {
    expect((await create("openai", "ft:gpt-4o-mini:acme::abc123")).status).toBe("validating");
    await expect(create("openai", "ft:gpt-4o-mini:acme::other")).rejects.toThrow(/MODEL_ALLOWLIST/);
  });
});
