import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { chatLines, resultLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";
import { waitForUpstreamBatch } from "../support/wait";

const bedrockModel = "anthropic.claude-3-sonnet-20240229-v1:0";

/**
 * The report, replayed: a gateway stopped while an upstream batch ran and while a small Bedrock batch ran
 * on demand. Started again on the same data directory, it resumes both and each ends with every result.
 */
describe("a restarted local gateway", () => {
  let first: Awaited<ReturnType<typeof startTestGateway>> | undefined;
  let second: Awaited<ReturnType<typeof startTestGateway>> | undefined;
  afterAll(async () => {
    await first?.close();
    await second?.stop();
  });

  it("resumes the batches a stop left running, and they end with all their results", async () => {
    // Long enough upstream jobs that the stop surely falls while they run.
    first = await startTestGateway({ simulators: { jobLatencyMs: 2_500 }, runner: { pollWaitMs: 50 } });
    const client = new OpenAI({ baseURL: `${first.url}/openai`, apiKey: "sk-restart", maxRetries: 0 });
    const openaiPrompts = Array.from({ length: 8 }, (_, i) => `upstream ${i}`);
    const openaiFile = await uploadBatchInput(client, chatLines("gpt-4o-mini", openaiPrompts), "openai");
    const upstream = await client.batches.create({
      input_file_id: openaiFile.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "openai",
    } as never);
    const bedrockFile = await uploadBatchInput(client, chatLines(bedrockModel, ["one", "two", "three"]), "bedrock");
    const onDemand = await client.batches.create({
      input_file_id: bedrockFile.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "bedrock",
      model: bedrockModel,
    } as never);
    await waitForUpstreamBatch(first.gateway.simulators, "openai");
    expect((await client.batches.retrieve(upstream.id)).status).not.toBe("completed");
    await first.close(); // the gateway stops mid-batch

    second = await startTestGateway({
      dataDir: first.dataDir,
      simulators: { jobLatencyMs: 2_500 },
      runner: { pollWaitMs: 50 },
    });
    first = undefined;
    expect(second.gateway.recovered.resumed.length).toBe(2);
    const again = new OpenAI({ baseURL: `${second.url}/openai`, apiKey: "sk-restart", maxRetries: 0 });
    const upstreamDone = await waitForBatch(again, upstream.id);
    expect(upstreamDone.status).toBe("completed");
    expect((await resultLines(again, upstreamDone.output_file_id)).map((l) => l.custom_id).sort()).toEqual(
      openaiPrompts.map((_, i) => `req-${i + 1}`).sort(),
    );
    // The upstream job made before the stop was the one collected: none was created twice.
    expect(second.gateway.simulators.openai?.calls.filter((c) => c === "POST /v1/batches")).toEqual([]);
    const onDemandDone = await waitForBatch(again, onDemand.id);
    expect(onDemandDone.status).toBe("completed");
    expect(await resultLines(again, onDemandDone.output_file_id)).toHaveLength(3);
  }, 60_000);

  it("releases the budget a create held when it died before writing its batch (F10)", async () => {
    const before = await startTestGateway({ auth: "keys" });
    const team = await before.gateway.createCredential("team");
    await before.gateway.setBudget("team", 1);
    // What a create killed between its reservation and its batch write leaves: a hold no batch will settle.
    const record = await before.gateway.credentials.byName("team");
    const month = new Date().toISOString().slice(0, 7);
    await before.gateway.budgets.reserve(record!.tenant, month, "aaaaaaaaaaaaaaaaaaaaaaaa", 999_999, 1_000_000);
    expect(await before.gateway.budgetUsed("team")).toBe(0.999999); // $0.000001 left: any batch is refused
    await before.close();

    const after = await startTestGateway({ auth: "keys", dataDir: before.dataDir, runner: { pollWaitMs: 50 } });
    try {
      expect(after.gateway.recovered.released).toEqual(["aaaaaaaaaaaaaaaaaaaaaaaa"]);
      expect(await after.gateway.budgetUsed("team")).toBe(0);
      // The budget is whole again: a batch the leaked hold would have refused runs.
      const client = new OpenAI({ baseURL: `${after.url}/openai`, apiKey: team.apiKey, maxRetries: 0 });
      const file = await uploadBatchInput(client, chatLines("gpt-4o-mini", ["x".repeat(4_000)]), "openai");
      const batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      expect((await waitForBatch(client, batch.id)).status).toBe("completed");
    } finally {
      await after.stop();
    }
  }, 60_000);
});
