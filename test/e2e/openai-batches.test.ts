import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatLines, resultLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";
import { waitForUpstreamBatch } from "../support/wait";

const bedrockModel = "anthropic.claude-3-sonnet-20240229-v1:0";
/** Each provider, with how its upstream ends a batch on expiry (requests done before) and on failure. */
const providers = [
  { provider: "openai", model: "gpt-4o-mini", doneBeforeExpiry: 3, failsWholeBatch: true },
  { provider: "anthropic", model: "claude-3-sonnet-20240229", doneBeforeExpiry: 3, failsWholeBatch: false },
  { provider: "gemini", model: "gemini-1.5-flash", doneBeforeExpiry: 0, failsWholeBatch: true },
  { provider: "bedrock", model: bedrockModel, doneBeforeExpiry: 3, failsWholeBatch: true },
] as const;
type ProviderName = (typeof providers)[number]["provider"];

describe("OpenAI SDK batches through the local gateway", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    // Bedrock's minimum is lowered to 5 so a 6-line file runs as a real (simulated) job and 3 lines run on demand.
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 600 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 5,
    });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-batches", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  describe.each(providers)("the seeds' workflow on $provider", ({ provider, model }) => {
    it("uploads, creates, polls to completed and returns every custom_id once with the generated text", async () => {
      const prompts = [
        "What is 2+2?",
        "What is the capital of France?",
        "Name a colour.",
        "Say hi.",
        "Count to 3.",
        "Pick a fruit.",
      ];
      const file = await uploadBatchInput(client, chatLines(model, prompts), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        metadata: { project: "demo" },
        provider,
        model,
      } as never);
      expect(created).toMatchObject({
        object: "batch",
        status: "validating",
        input_file_id: file.id,
        request_counts: { total: 6, completed: 0, failed: 0 },
      });
      expect(created.id).toMatch(/^batch_[a-z2-7]{24}$/);

      const batch = await waitForBatch(client, created.id);
      expect(batch.status).toBe("completed");
      expect(batch.request_counts).toEqual({ total: 6, completed: 6, failed: 0 });
      // The caller's metadata, and what the batch cost and saved at batch rates (half the on-demand price).
      const perMillion: Record<string, [number, number]> = {
        "gpt-4o-mini": [0.15, 0.6],
        "claude-3-sonnet-20240229": [3, 15],
        "anthropic.claude-3-sonnet-20240229-v1:0": [3, 15],
      };
      expect(batch.metadata).toMatchObject({ project: "demo", finops_pricing: "derived" });
      const rates = perMillion[model];
      if (rates && batch.usage) {
        const onDemand = (batch.usage.input_tokens * rates[0] + batch.usage.output_tokens * rates[1]) / 1e6;
        expect(Number(batch.metadata?.finops_cost_usd)).toBeCloseTo(onDemand / 2, 6);
        expect(Number(batch.metadata?.finops_saved_usd)).toBeCloseTo(onDemand / 2, 6);
      }
      expect(batch.completed_at).toBeGreaterThanOrEqual(batch.created_at);
      expect(batch.finalizing_at).not.toBeNull();
      expect(batch.error_file_id).toBeNull();
      expect(batch.usage?.total_tokens).toBeGreaterThan(0);

      const lines = await resultLines(client, batch.output_file_id);
      expect(lines.map((l) => l.custom_id).sort()).toEqual(prompts.map((_, i) => `req-${i + 1}`).sort());
      for (const line of lines) {
        const prompt = prompts[Number(line.custom_id.slice(4)) - 1];
        expect(line.id).toMatch(/^batch_req_/);
        expect(line.error).toBeNull();
        expect(line.response?.status_code).toBe(200);
        expect(line.response?.body.object).toBe("chat.completion");
        expect(line.response?.body.choices[0]?.message.content).toBe(`Simulated reply to: ${prompt}`);
        expect(line.response?.body.usage.total_tokens).toBeGreaterThan(0);
      }
      const output = await client.files.retrieve(batch.output_file_id!);
      expect(output.purpose).toBe("batch_output");
    });
  });

  it("runs a Bedrock batch under the minimum record count on demand, and says so in the metadata", async () => {
    const file = await uploadBatchInput(client, chatLines(bedrockModel, ["one", "two", "three"]), "bedrock");
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "bedrock",
      model: bedrockModel,
      output_s3_uri: "s3://your-bucket/batch-output",
    } as never);
    const batch = await waitForBatch(client, created.id);
    expect(batch.status).toBe("completed");
    expect(batch.metadata).toMatchObject({
      finops_execution: "on_demand",
      finops_pricing: "on_demand",
      finops_saved_usd: "0",
    });
    expect(
      (await resultLines(client, batch.output_file_id)).map((l) => l.response?.body.choices[0]?.message.content).sort(),
    ).toEqual(["Simulated reply to: one", "Simulated reply to: three", "Simulated reply to: two"]);
  });

  it.each(providers)(
    "keeps failed requests in the error file with their custom_id ($provider)",
    async ({ provider, model }) => {
      const ids = ["ok-1", "bad one/ü", "ok-2", "ok-3", "ok-4", "ok-5"];
      const prompts = ["fine", "please fail [[sim:error]]", "fine too", "a", "b", "c"];
      const file = await uploadBatchInput(client, chatLines(model, prompts, ids), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider,
      } as never);
      const batch = await waitForBatch(client, created.id);
      expect(batch.status).toBe("completed");
      expect(batch.request_counts).toEqual({ total: 6, completed: 5, failed: 1 });
      const errors = await resultLines(client, batch.error_file_id);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ custom_id: "bad one/ü", response: { status_code: 400 }, error: null });
      expect((await resultLines(client, batch.output_file_id)).map((l) => l.custom_id).sort()).toEqual([
        "ok-1",
        "ok-2",
        "ok-3",
        "ok-4",
        "ok-5",
      ]);
    },
  );

  it("leaves no file behind when it refuses inline requests (F15)", async () => {
    const own = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-inline-refused", maxRetries: 0 });
    const refused = own.batches.create({
      input_file_id: "",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "anthropic",
      requests: [{ custom_id: "no-max-tokens", params: { model: "claude-haiku-4-5", messages: [] } }],
    } as never);
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect((await own.files.list()).data).toEqual([]);
  });

  it.each([
    ["openai", "gpt-4o-mini"],
    ["anthropic", "claude-3-sonnet-20240229"],
  ])("takes inline requests with an empty input_file_id, as the seeds send them (%s)", async (provider, model) => {
    const requests = ["What is 15 * 7?", "What is the largest ocean?"].map((content, i) => ({
      custom_id: `inline-${i}`,
      params: { model, max_tokens: 100, messages: [{ role: "user", content }] },
    }));
    const created = await client.batches.create({
      input_file_id: "",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider,
      requests,
    } as never);
    expect(created.input_file_id).toMatch(/^file-/);
    const batch = await waitForBatch(client, created.id);
    expect(batch.status).toBe("completed");
    const lines = await resultLines(client, batch.output_file_id);
    expect(lines.map((l) => [l.custom_id, l.response?.body.choices[0]?.message.content]).sort()).toEqual([
      ["inline-0", "Simulated reply to: What is 15 * 7?"],
      ["inline-1", "Simulated reply to: What is the largest ocean?"],
    ]);
  });

  it.each(providers)(
    "cancels to cancelled, keeping the partial results and every custom_id once ($provider)",
    async ({ provider, model }) => {
      const prompts = Array.from({ length: 6 }, (_, i) => `question ${i}`);
      const slow = await startTestGateway({
        simulators: { jobLatencyMs: 4000 },
        runner: { pollWaitMs: 50, retryWaitMs: 20 },
        bedrockMinRecords: 5,
      });
      try {
        const c = new OpenAI({ baseURL: `${slow.url}/openai`, apiKey: "sk-cancel", maxRetries: 0 });
        const file = await uploadBatchInput(c, chatLines(model, prompts), provider);
        const created = await c.batches.create({
          input_file_id: file.id,
          endpoint: "/v1/chat/completions",
          completion_window: "24h",
          provider,
        } as never);
        await waitForUpstreamBatch(slow.gateway.simulators, provider);
        const cancelling = await c.batches.cancel(created.id);
        expect(cancelling.status).toBe("cancelling");
        expect(cancelling.cancelling_at).not.toBeNull();
        const batch = await waitForBatch(c, created.id);
        expect(batch.status).toBe("cancelled");
        expect(batch.cancelled_at).not.toBeNull();
        const done = await resultLines(c, batch.output_file_id);
        const notRun = await resultLines(c, batch.error_file_id);
        expect(done).toHaveLength(3);
        expect(notRun.every((l) => l.error?.code === "batch_cancelled")).toBe(true);
        expect([...done, ...notRun].map((l) => l.custom_id).sort()).toEqual(
          prompts.map((_, i) => `req-${i + 1}`).sort(),
        );
        expect(batch.request_counts).toEqual({ total: 6, completed: 3, failed: 3 });
      } finally {
        await slow.stop();
      }
    },
  );

  const simulatorOf = (provider: ProviderName) => gateway.gateway.simulators[provider]!;

  it.each(providers)(
    "reports an upstream failure with its reason, every request in the error file ($provider)",
    async ({ provider, model, failsWholeBatch }) => {
      simulatorOf(provider).faults.failNextJob = "Simulated upstream outage";
      const file = await uploadBatchInput(client, chatLines(model, ["a", "b", "c", "d", "e", "f"]), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider,
      } as never);
      const batch = await waitForBatch(client, created.id);
      const lines = await resultLines(client, batch.error_file_id);
      expect(lines.map((l) => l.custom_id).sort()).toEqual(["req-1", "req-2", "req-3", "req-4", "req-5", "req-6"]);
      if (failsWholeBatch) {
        expect(batch.status).toBe("failed");
        expect(batch.errors?.data?.[0]?.message).toMatch(/Simulated upstream outage/);
        expect(batch.failed_at).not.toBeNull();
      } else {
        // Anthropic has no batch-level failure: the batch ends and each request is errored.
        expect(batch.status).toBe("completed");
        expect(lines.every((l) => l.response?.status_code === 500)).toBe(true);
      }
    },
  );

  it.each(providers)(
    "ends expired with partial results and batch_expired lines when the upstream runs out of time ($provider)",
    async ({ provider, model, doneBeforeExpiry }) => {
      simulatorOf(provider).faults.expireNextJob = true;
      const file = await uploadBatchInput(client, chatLines(model, ["a", "b", "c", "d", "e", "f"]), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider,
      } as never);
      const batch = await waitForBatch(client, created.id);
      expect(batch.status).toBe("expired");
      expect(batch.expired_at).not.toBeNull();
      const done = await resultLines(client, batch.output_file_id);
      const notRun = await resultLines(client, batch.error_file_id);
      expect(done).toHaveLength(doneBeforeExpiry);
      expect(notRun.map((l) => l.error?.code)).toEqual(Array(6 - doneBeforeExpiry).fill("batch_expired"));
    },
  );

  it.each(providers)(
    "retries upstream 429 and 500 answers and still completes ($provider)",
    async ({ provider, model }) => {
      const sim = simulatorOf(provider);
      sim.faults.failNextCalls.push(429, 500, 429);
      const file = await uploadBatchInput(client, chatLines(model, ["a", "b", "c", "d", "e", "f"]), provider);
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider,
      } as never);
      const batch = await waitForBatch(client, created.id);
      expect(sim.faults.failNextCalls).toEqual([]);
      expect(batch.status).toBe("completed");
      expect(batch.request_counts?.completed).toBe(6);
    },
  );

  it("lets an Anthropic batch mix models, and refuses mixed models for Gemini", async () => {
    const mixed = `${chatLines("claude-3-5-haiku-latest", ["a"])}\n${chatLines("claude-3-sonnet-20240229", ["b"], ["req-2"])}`;
    const anthropicFile = await uploadBatchInput(client, mixed, "anthropic");
    const created = await client.batches.create({
      input_file_id: anthropicFile.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "anthropic",
    } as never);
    const batch = await waitForBatch(client, created.id);
    expect(batch.status).toBe("completed");
    expect((await resultLines(client, batch.output_file_id)).map((l) => l.response?.body.model).sort()).toEqual([
      "claude-3-5-haiku-latest",
      "claude-3-sonnet-20240229",
    ]);
    const geminiFile = await uploadBatchInput(
      client,
      `${chatLines("gemini-1.5-flash", ["a"])}\n${chatLines("gemini-2.0-flash", ["b"], ["req-2"])}`,
      "gemini",
    );
    const error = await client.batches
      .create({
        input_file_id: geminiFile.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider: "gemini",
      } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/a gemini batch runs one model/);
  });

  it("lists batches newest first with cursor pages and the seeds' provider/model filters", async () => {
    const c = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-list-batches", maxRetries: 0 });
    const ids: string[] = [];
    for (const { provider, model } of [providers[0], providers[3], providers[0], providers[3]]) {
      const file = await uploadBatchInput(c, chatLines(model, ["x"]), provider);
      ids.push(
        (
          await c.batches.create({
            input_file_id: file.id,
            endpoint: "/v1/chat/completions",
            completion_window: "24h",
            provider,
          } as never)
        ).id,
      );
    }
    const all: string[] = [];
    for await (const batch of c.batches.list({ limit: 3 })) all.push(batch.id);
    expect(all).toEqual([...ids].reverse());
    const bedrock = await c.batches.list({ limit: 10 }, { query: { provider: "bedrock", model: bedrockModel } });
    expect(bedrock.data.map((b) => b.id)).toEqual([ids[3], ids[1]]);
    for (const id of ids) await waitForBatch(c, id);
  });

  describe("bad input is a clear 4xx and creates nothing", () => {
    const create = (body: Record<string, unknown>, c = client) =>
      c.batches
        .create({ endpoint: "/v1/chat/completions", completion_window: "24h", ...body } as never)
        .catch((e: unknown) => e);

    it("unknown input file → 404", async () => {
      expect(await create({ input_file_id: "file-aaaaaaaaaaaaaaaaaaaaaaaa" })).toBeInstanceOf(OpenAI.NotFoundError);
    });

    it("another tenant's file → 404", async () => {
      const file = await uploadBatchInput(client, chatLines("gpt-4o-mini", ["mine"]), "openai");
      const other = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-intruder", maxRetries: 0 });
      expect(await create({ input_file_id: file.id }, other)).toBeInstanceOf(OpenAI.NotFoundError);
      expect((await other.batches.list()).data).toEqual([]);
    });

    it("a file of the wrong purpose → 400", async () => {
      const file = await client.files.create({
        file: new File([chatLines("gpt-4o-mini", ["x"])], "x.jsonl"),
        purpose: "user_data",
      });
      const error = await create({ input_file_id: file.id });
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).toMatch(/purpose 'user_data'.*needs purpose 'batch'/);
    });

    it.each([
      [
        "a request without messages",
        '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini"}}',
        /Line 1: 'messages'/,
      ],
      ["a line in no known format", '{"hello":"world"}', /Line 1: not a batch request in a known format/],
      [
        "a duplicate custom_id",
        `${chatLines("gpt-4o-mini", ["a"])}\n${chatLines("gpt-4o-mini", ["b"])}`,
        /Line 2: duplicate custom_id "req-1"/,
      ],
      [
        "mixed models for a one-model provider",
        `${chatLines("gpt-4o-mini", ["a"])}\n${chatLines("gpt-4o", ["b"], ["req-2"])}`,
        /Line 2: model "gpt-4o" differs from "gpt-4o-mini" \(line 1\)/,
      ],
      [
        "a request for another endpoint",
        '{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x"}}',
        /Line 1: the request targets \/v1\/embeddings/,
      ],
    ])("%s → 400 naming the line", async (_, text, message) => {
      const c = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-bad-batches", maxRetries: 0 });
      const file = await uploadBatchInput(c, text, "openai");
      const error = await create({ input_file_id: file.id }, c);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).toMatch(message);
      expect((await c.batches.list()).data).toEqual([]);
    });

    it("an unsupported endpoint, an unknown provider → 400", async () => {
      const file = await uploadBatchInput(client, chatLines("gpt-4o-mini", ["x"]), "openai");
      expect(((await create({ input_file_id: file.id, endpoint: "/v1/audio/speech" })) as Error).message).toMatch(
        /Unsupported endpoint "\/v1\/audio\/speech": a batch targets one of/,
      );
      const unknown = await create({ input_file_id: file.id, provider: "mistral" });
      expect((unknown as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("provider");
    });

    it("an unknown batch → 404; cancelling an ended batch → 400", async () => {
      await expect(client.batches.retrieve("batch_aaaaaaaaaaaaaaaaaaaaaaaa")).rejects.toBeInstanceOf(
        OpenAI.NotFoundError,
      );
      const file = await uploadBatchInput(client, chatLines("gpt-4o-mini", ["x"]), "openai");
      const created = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      await waitForBatch(client, created.id);
      const error = await client.batches.cancel(created.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).toMatch(/Cannot cancel a batch with status 'completed'/);
    });
  });
});
