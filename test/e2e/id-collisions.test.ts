import { createHash } from "node:crypto";
import fc from "fast-check";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upstreamKey } from "../../lambdas/core/ids";
import { chatLines, resultLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/** The key the gateway once gave `a b` upstream: what a caller may choose as an id of its own (F5). */
const lookalike = `h${createHash("sha256").update("a b").digest("hex").slice(0, 40)}`;

describe("ids the gateway maps never meet ids the caller chose", () => {
  it("upstream keys of distinct custom_ids are distinct, whatever the ids (property)", () => {
    const id = fc.oneof(
      fc.string({ minLength: 1, maxLength: 70 }),
      fc.stringMatching(/^[A-Za-z0-9]{1,64}$/),
      fc.string({ minLength: 1 }).map((s) => `h${createHash("sha256").update(s).digest("hex").slice(0, 40)}`),
    );
    fc.assert(
      fc.property(id, id, (a, b) => a === b || upstreamKey(a) !== upstreamKey(b)),
      { numRuns: 5000 },
    );
    expect(upstreamKey(lookalike)).not.toBe(lookalike);
    expect(upstreamKey("plain42")).toBe("plain42");
  });

  describe("end to end on the providers that map ids (F5)", () => {
    let gateway: Awaited<ReturnType<typeof startTestGateway>>;
    beforeAll(async () => {
      gateway = await startTestGateway({ simulators: { jobLatencyMs: 100 }, runner: { pollWaitMs: 30 } });
    });
    afterAll(() => gateway.stop());

    it.each(["anthropic", "bedrock"])("%s: each answer reaches its own custom_id", async (provider) => {
      const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: `sk-ids-${provider}`, maxRetries: 0 });
      const model = provider === "bedrock" ? "amazon.nova-micro-v1:0" : "claude-haiku-4-5";
      const text = chatLines(model, ["hi a b", "hi other", "hi plain"], ["a b", lookalike, "plain"]);
      const file = await uploadBatchInput(client, text, provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider,
      } as never);
      const batch = await waitForBatch(client, created.id);
      expect(batch.status).toBe("completed");
      const answers = Object.fromEntries(
        (await resultLines(client, batch.output_file_id)).map((line) => [
          line.custom_id,
          (line.response!.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content,
        ]),
      );
      expect(Object.keys(answers).sort()).toEqual(["a b", lookalike, "plain"].sort());
      expect(answers["a b"]).toContain("hi a b");
      expect(answers[lookalike]).toContain("hi other");
    });
  });
});
