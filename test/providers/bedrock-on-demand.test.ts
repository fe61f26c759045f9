import type { BedrockClient } from "@aws-sdk/client-bedrock";
import type { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { RetryableError } from "../../lambdas/core/errors";
import { upstreamKey } from "../../lambdas/core/ids";
import type { BatchRecord, NeutralResult } from "../../lambdas/core/model";
import type { InputRequest } from "../../lambdas/core/ports";
import { BedrockProvider } from "../../lambdas/providers/bedrock/batches";
import { MemoryBlobStore, submitInputOf } from "../support/memory";

const prompts = ["q0", "q1", "q2", "q3", "q4"];

/** A Converse endpoint that answers at once, counting calls per prompt, failing the prompts in `failOnce` once. */
const runtime = (failOnce: Set<string>) => {
  const calls = new Map<string, number>();
  const client = {
    async send(command: ConverseCommand) {
      const text = (command.input.messages?.[0]?.content?.[0] as { text?: string } | undefined)?.text ?? "";
      calls.set(text, (calls.get(text) ?? 0) + 1);
      if (failOnce.delete(text)) {
        throw Object.assign(new Error("Service unavailable"), {
          name: "ServiceUnavailableException",
          $fault: "server",
          $metadata: { httpStatusCode: 503 },
        });
      }
      return {
        $metadata: {},
        output: { message: { role: "assistant", content: [{ text: `answer to ${text}` }] } },
        stopReason: "end_turn",
        usage: { inputTokens: 2, outputTokens: 3, totalTokens: 5 },
      };
    },
  };
  return { client: client as unknown as BedrockRuntimeClient, calls };
};

const setup = (failOnce = new Set<string>()) => {
  const blobs = new MemoryBlobStore();
  const { client, calls } = runtime(failOnce);
  const provider = new BedrockProvider({} as BedrockClient, client, blobs, {
    bucket: "b",
    roleArn: "r",
    minRecords: 100,
    onDemandConcurrency: 2,
    onDemandSliceSeconds: 0, // one record per poll, to watch the counts move
  });
  const batch = {
    id: "aaaaaaaaaaaaaaaaaaaaaaaa",
    model: "anthropic.claude-3-haiku-20240307-v1:0",
    requestCounts: { total: prompts.length, completed: 0, failed: 0 },
  } as BatchRecord;
  const input = submitInputOf("openai", async function* (): AsyncIterable<InputRequest> {
    for (const [i, text] of prompts.entries())
      yield {
        format: "openai",
        customId: `req-${i}`,
        lineNumber: i + 1,
        endpoint: "/v1/chat/completions",
        request: { model: batch.model, messages: [{ role: "user", content: [{ type: "text", text }] }] },
      };
  });
  return { provider, batch, input, calls };
};

/** The results with their request ids restored (Bedrock saw only alphanumeric record ids), as the engine does. */
const results = async (provider: BedrockProvider, batch: BatchRecord) => {
  const byKey = new Map(prompts.map((_, i) => [upstreamKey(`req-${i}`), `req-${i}`]));
  const out: NeutralResult[] = [];
  for await (const result of provider.results(batch)) out.push({ ...result, customId: byKey.get(result.customId)! });
  return out;
};

describe("Bedrock batches under the minimum run on demand, durably, a slice per poll", () => {
  it("submits without calling the model, then keeps results as they arrive and moves the counts each poll", async () => {
    const { provider, batch, input, calls } = setup();
    batch.upstream = await provider.submit(batch, input);
    expect(batch.upstream.mode).toBe("on_demand");
    expect(calls.size).toBe(0);
    const seen: string[] = [];
    for (let poll = 0; poll < 10; poll++) {
      const status = await provider.status(batch);
      seen.push(`${status.status}:${status.counts.completed}${status.busy ? "+" : ""}`);
      if (status.status === "completed") break;
    }
    expect(seen).toEqual(["in_progress:1+", "in_progress:2+", "in_progress:3+", "in_progress:4+", "completed:5"]);
    expect([...calls.values()]).toEqual([1, 1, 1, 1, 1]);
    const answers = await results(provider, batch);
    expect(answers.map((r) => [r.customId, r.outcome])).toEqual(prompts.map((_, i) => [`req-${i}`, "succeeded"]));
  });

  it("a transient failure keeps what finished; the retried poll goes on without calling those again", async () => {
    const { provider, batch, input, calls } = setup(new Set(["q3"]));
    batch.upstream = await provider.submit(batch, input);
    (provider as unknown as { settings: { onDemandSliceSeconds: number } }).settings.onDemandSliceSeconds = 60;
    await expect(provider.status(batch)).rejects.toBeInstanceOf(RetryableError);
    const after = await provider.status(batch); // the state machine's retry
    expect(after).toMatchObject({ status: "completed", counts: { total: 5, completed: 5, failed: 0 } });
    expect(calls.get("q0")).toBe(1);
    expect(calls.get("q1")).toBe(1);
    expect(calls.get("q3")).toBe(2);
    expect((await results(provider, batch)).map((r) => r.customId)).toEqual(prompts.map((_, i) => `req-${i}`));
  });

  it("stops at once when the batch is being cancelled, ending cancelled with the results that were ready", async () => {
    const { provider, batch, input, calls } = setup();
    batch.upstream = await provider.submit(batch, input);
    await provider.status(batch);
    await provider.status(batch);
    batch.cancelRequested = true;
    await provider.cancel(batch);
    expect(await provider.status(batch)).toMatchObject({ status: "cancelled", counts: { completed: 2 } });
    expect(calls.size).toBe(2);
    expect((await results(provider, batch)).map((r) => r.customId)).toEqual(["req-0", "req-1"]);
  });
});
