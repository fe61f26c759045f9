import { describe, expect, it } from "vitest";
import * as z from "zod";
import { createBatch } from "../../lambdas/core/batches";
import { BadRequestError } from "../../lambdas/core/errors";
import { parseWith } from "../../lambdas/core/validation";
import { batchInputFile, filesOnlyGateway } from "../support/memory";

/** One request line in each input format, with `tokens` output tokens, `temperature` and a message of `role`. */
const lines = (tokens: number, temperature: number, role: string) => ({
  openai: {
    custom_id: "r1",
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "m", max_tokens: tokens, temperature, messages: [{ role, content: "hi" }] },
  },
  anthropic: {
    custom_id: "r1",
    params: { model: "m", max_tokens: tokens, temperature, messages: [{ role, content: "hi" }] },
  },
  gemini: {
    key: "r1",
    request: {
      model: "m",
      contents: [{ role: role === "assistant" ? "model" : role, parts: [{ text: "hi" }] }],
      generationConfig: { maxOutputTokens: tokens, temperature },
    },
  },
  bedrock: {
    recordId: "r1",
    modelInput: {
      messages: [{ role, content: [{ text: "hi" }] }],
      inferenceConfig: { maxTokens: tokens, temperature },
    },
  },
});

const create = async (line: unknown) => {
  const gateway = filesOnlyGateway();
  const input = await batchInputFile(gateway.deps, `${JSON.stringify(line)}\n`);
  return createBatch(gateway.deps, {
    tenant: "t",
    dialect: "openai",
    provider: "openai",
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    model: "m",
    inputFile: { id: input.id, shown: input.id },
  });
};

describe("every format meets the same rules for the same request (F12)", () => {
  for (const format of ["openai", "anthropic", "gemini", "bedrock"] as const) {
    it.each([
      ["negative output tokens", -1, 0.5, "user"],
      ["zero output tokens", 0, 0.5, "user"],
      ["fractional output tokens", 1.5, 0.5, "user"],
      ["a temperature of 3", 10, 3, "user"],
      ["a role no provider knows", 10, 0.5, "wizard"],
    ])(`${format}: %s is a 400 naming the line`, async (_, tokens, temperature, role) => {
      const refused = await create(lines(tokens, temperature, role)[format]).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(BadRequestError);
      expect((refused as Error).message).toMatch(/^Line 1\b/);
    });
    it(`${format}: the same request within the rules is taken`, async () => {
      await expect(create(lines(10, 0.5, "user")[format])).resolves.toMatchObject({ status: "validating" });
    });
  }
});

describe("a union's refusal names what the caller most likely meant (F21)", () => {
  it("the alternative whose field was sent, at its own path, with what it expected", () => {
    const inputConfig = z.union([
      z.object({ fileName: z.string() }),
      z.object({ requests: z.object({ requests: z.array(z.unknown()) }) }),
    ]);
    const refusal = (value: unknown) => {
      try {
        parseWith(z.object({ batch: z.object({ inputConfig }) }), value, "body");
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refusal({ batch: { inputConfig: { requests: "x" } } })).toBe(
      "Invalid 'batch.inputConfig.requests': Invalid input: expected object, received string.",
    );
    expect(refusal({ batch: { inputConfig: {} } })).not.toBe("Invalid 'batch.inputConfig': Invalid input.");
  });
});
