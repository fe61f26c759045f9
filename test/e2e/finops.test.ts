import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ServiceQuotaExceededException,
} from "@aws-sdk/client-bedrock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ApiError, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/** On-demand USD per million input and output tokens, from the pinned genai-prices dataset. */
const rates = {
  "gpt-4o-mini": [0.15, 0.6],
  "claude-3-5-haiku-latest": [0.8, 4],
  "amazon.nova-lite-v1:0": [0.06, 0.24],
} as const;
const onDemand = (model: keyof typeof rates, usage: { input_tokens: number; output_tokens: number }) =>
  (usage.input_tokens * rates[model][0] + usage.output_tokens * rates[model][1]) / 1e6;

interface BatchCostView {
  id: string;
  status: string;
  usage: { input_tokens: number; output_tokens: number };
  cost: { currency: string; batch: number; on_demand: number; saved: number; pricing: string };
}

describe("the FinOps API: each batch's cost, and costs over time, in any SDK's ids", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  const key = "team-finops-key";
  const get = async (path: string, headers: Record<string, string> = { authorization: `Bearer ${key}` }) => {
    const response = await fetch(`${gateway.url}/finops${path}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 200 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 3,
    });
  });
  afterAll(() => gateway.stop());

  it("prices batches from three SDKs once they settle, reads them by any rendering of their ids, and sums them", async () => {
    // OpenAI SDK, OpenAI upstream.
    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: key, maxRetries: 0 });
    const file = await uploadBatchInput(openai, chatLines("gpt-4o-mini", ["one", "two", "three"]), "openai");
    const created = await openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    await waitForBatch(openai, created.id);
    // Anthropic SDK (same key, so the same tenant), Anthropic upstream.
    const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: key, maxRetries: 0 });
    const message = await anthropic.messages.batches.create({
      requests: ["a", "b"].map((id) => ({
        custom_id: id,
        params: { model: "claude-3-5-haiku-latest", max_tokens: 16, messages: [{ role: "user", content: id }] },
      })),
    });
    while ((await anthropic.messages.batches.retrieve(message.id)).processing_status !== "ended")
      await new Promise((r) => setTimeout(r, 50));
    // AWS SDK (the key as the access key id: the same tenant in open mode), Bedrock upstream.
    const credentials = { accessKeyId: key, secretAccessKey: "x" };
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
    const records = ["x", "y", "z"].map((id) =>
      JSON.stringify({ recordId: id, modelInput: { messages: [{ role: "user", content: [{ text: id }] }] } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: "inputs", Key: "r.jsonl", Body: records.join("\n") }));
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "priced",
        modelId: "amazon.nova-lite-v1:0",
        roleArn: "arn:aws:iam::123456789012:role/any",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://inputs/r.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://outputs/" } },
      }),
    );
    while ((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status !== "Completed")
      await new Promise((r) => setTimeout(r, 50));

    const views: [string, keyof typeof rates, Record<string, string>][] = [
      [created.id, "gpt-4o-mini", { authorization: `Bearer ${key}` }],
      [message.id, "claude-3-5-haiku-latest", { "x-api-key": key }],
      [encodeURIComponent(jobArn!), "amazon.nova-lite-v1:0", { "x-goog-api-key": key }],
    ];
    let total = 0;
    for (const [id, model, headers] of views) {
      const { status, body } = await get(`/v1/batches/${id}`, headers);
      expect(status).toBe(200);
      const view = body as unknown as BatchCostView;
      expect(view.status).toBe("completed");
      expect(view.usage.input_tokens).toBeGreaterThan(0);
      const expected = onDemand(model, view.usage);
      expect(view.cost.on_demand).toBeCloseTo(expected, 6);
      expect(view.cost.batch).toBeCloseTo(expected / 2, 6);
      expect(view.cost).toMatchObject({ currency: "USD", pricing: "derived" });
      total += view.cost.batch;
    }
    const byProvider = await get("/v1/costs?from=2020-01-01&group_by=provider");
    expect(byProvider.status).toBe(200);
    const groups = byProvider.body.data as { group: string; batches: number; cost: number; saved: number }[];
    expect(groups.map((g) => [g.group, g.batches])).toEqual([
      ["anthropic", 1],
      ["bedrock", 1],
      ["openai", 1],
    ]);
    expect(groups.reduce((sum, g) => sum + g.cost, 0)).toBeCloseTo(total, 6);
    const byDay = await get(`/v1/costs?from=2020-01-01&group_by=day`);
    expect((byDay.body.data as { group: string; batches: number }[]).map((g) => [g.group, g.batches])).toEqual([
      [new Date().toISOString().slice(0, 10), 3],
    ]);
    const past = await get("/v1/costs?from=2020-01-01&to=2020-02-01");
    expect(past.body.data).toEqual([]);
  });

  it("answers what another key, no key and bad input get, in OpenAI's error envelope", async () => {
    const other = await get("/v1/costs?from=2020-01-01", { authorization: "Bearer someone-else" });
    expect(other.body.data).toEqual([]);
    const unknown = await get("/v1/batches/batch_aaaaaaaaaaaaaaaaaaaaaaaa");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { message: expect.stringContaining("No such Batch object") } });
    expect((await get("/v1/costs?from=2020-01-01", {})).status).toBe(401);
    const bad = await get("/v1/costs?from=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { message: expect.stringMatching(/from/) } });
    // An impossible date is refused as one, not rolled over (F28)…
    const impossible = await get("/v1/costs?from=2026-13-45");
    expect(impossible.status).toBe(400);
    expect(impossible.body).toMatchObject({ error: { message: expect.stringMatching(/from.*calendar date/) } });
    // …and a period without `from` is this month.
    const thisMonth = await get("/v1/costs");
    expect(thisMonth.status).toBe(200);
    expect(thisMonth.body.from).toBe(`${new Date().toISOString().slice(0, 7)}-01`);
  });
});

describe("npm run costs: the owner's view across every key", () => {
  it("groups every credential's settled batches by name, with the local state of a running gateway", async () => {
    const gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 200 },
      runner: { pollWaitMs: 50 },
    });
    try {
      const team = await gateway.gateway.createCredential("team-alpha");
      const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: team.apiKey, maxRetries: 0 });
      const file = await uploadBatchInput(openai, chatLines("gpt-4o-mini", ["one", "two"]), "openai");
      const created = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      const batch = await waitForBatch(openai, created.id);
      const { stdout } = await promisify(execFile)("npx", ["tsx", "local/costs.ts", "--group-by", "credential"], {
        env: { ...process.env, FINOPS_DATA_DIR: gateway.dataDir, TABLE_NAME: "" },
      });
      const row = stdout.split("\n").find((line) => line.startsWith("team-alpha"));
      expect(row?.split(/\s+/).slice(0, 2)).toEqual(["team-alpha", "1"]);
      expect(row).toContain(`$${Number(batch.metadata?.finops_cost_usd).toFixed(6)}`);
      expect(stdout).toMatch(/^total\s+1\s+0\s/m);
    } finally {
      await gateway.stop();
    }
  });
});

describe("monthly budgets per key: refused before anything is created, in each SDK's own quota error", () => {
  it("refuses a batch over what is left in all four SDKs, creates nothing upstream, and settles the real cost once", async () => {
    const gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 100 },
      runner: { pollWaitMs: 50 },
      bedrockMinRecords: 1,
    });
    try {
      const team = await gateway.gateway.createCredential("capped");
      await gateway.gateway.setBudget("capped", 0); // nothing may be spent this month
      const sims = gateway.gateway.simulators;
      const upstreamCalls = () => [sims.openai, sims.anthropic, sims.gemini, sims.bedrock].map((s) => s?.calls.length);
      const before = upstreamCalls();

      const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: team.apiKey, maxRetries: 0 });
      const file = await uploadBatchInput(openai, chatLines("gpt-4o-mini", ["one", "two"]), "openai");
      const create = () =>
        openai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
      const openAiError = await create().catch((e: unknown) => e);
      expect(openAiError).toBeInstanceOf(OpenAI.RateLimitError);
      expect(openAiError).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
      expect((openAiError as Error).message).toMatch(
        /Monthly budget exceeded: this key's budget is \$0\.00 for \d{4}-\d{2}, \$0\.00 is spent or reserved, and this batch of 2 requests is estimated at/,
      );

      const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: team.apiKey, maxRetries: 0 });
      const anthropicError = await anthropic.messages.batches
        .create({
          requests: [
            {
              custom_id: "a",
              params: { model: "claude-3-5-haiku-latest", max_tokens: 64, messages: [{ role: "user", content: "hi" }] },
            },
          ],
        })
        .catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
      expect(anthropicError).toMatchObject({ status: 402, error: { error: { type: "billing_error" } } });

      const ai = new GoogleGenAI({ apiKey: team.apiKey, httpOptions: { baseUrl: `${gateway.url}/genai` } });
      const genAiError = await ai.batches
        .create({ model: "gemini-2.0-flash", src: [{ contents: [{ parts: [{ text: "hi" }], role: "user" }] }] })
        .catch((e: unknown) => e);
      expect(genAiError).toBeInstanceOf(ApiError);
      expect(genAiError).toMatchObject({ status: 429 });
      expect((genAiError as Error).message).toMatch(/Monthly budget exceeded.*RESOURCE_EXHAUSTED/s);

      const credentials = { accessKeyId: team.record.accessKeyId, secretAccessKey: team.secretAccessKey };
      const s3 = new S3Client({
        endpoint: `${gateway.url}/bedrock/files`,
        region: "us-east-1",
        forcePathStyle: true,
        credentials,
      });
      const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
      await s3.send(
        new PutObjectCommand({
          Bucket: "capped",
          Key: "r.jsonl",
          Body: JSON.stringify({
            recordId: "1",
            modelInput: { messages: [{ role: "user", content: [{ text: "hi" }] }] },
          }),
        }),
      );
      const bedrockError = await bedrock
        .send(
          new CreateModelInvocationJobCommand({
            jobName: "capped",
            modelId: "amazon.nova-lite-v1:0",
            roleArn: "arn:aws:iam::123456789012:role/any",
            inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://capped/r.jsonl" } },
            outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://capped/out/" } },
          }),
        )
        .catch((e: unknown) => e);
      expect(bedrockError).toBeInstanceOf(ServiceQuotaExceededException);

      expect(upstreamCalls()).toEqual(before); // nothing was created upstream
      expect(await gateway.gateway.budgetUsed("capped")).toBe(0);

      // With room in the budget the same batch runs; once it settles, its actual cost replaces the estimate.
      await gateway.gateway.setBudget("capped", 10);
      const batch = await waitForBatch(openai, (await create()).id);
      expect(batch.status).toBe("completed");
      const settled = Number(batch.metadata?.finops_cost_usd);
      expect(settled).toBeGreaterThan(0);
      await expect.poll(() => gateway.gateway.budgetUsed("capped")).toBeCloseTo(settled, 6);
    } finally {
      await gateway.stop();
    }
  });
});

describe("the owner's local price file", () => {
  it("prices from .finops-local/prices.json over the dataset, a published batch rate marked so", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "finops-prices-"));
    await writeFile(
      join(dataDir, "prices.json"),
      JSON.stringify({
        "openai:gpt-4o-mini": { input_mtok: 1, output_mtok: 2, batch_input_mtok: 0.25, batch_output_mtok: 0.5 },
      }),
    );
    const gateway = await startTestGateway({ dataDir, simulators: { jobLatencyMs: 100 }, runner: { pollWaitMs: 50 } });
    try {
      const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-priced", maxRetries: 0 });
      const file = await uploadBatchInput(openai, chatLines("gpt-4o-mini", ["one"]), "openai");
      const created = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      const batch = await waitForBatch(openai, created.id);
      const usage = batch.usage!;
      expect(batch.metadata).toMatchObject({ finops_pricing: "published" });
      expect(Number(batch.metadata?.finops_cost_usd)).toBeCloseTo(
        (usage.input_tokens * 0.25 + usage.output_tokens * 0.5) / 1e6,
        9,
      );
    } finally {
      await gateway.stop();
    }
  });
});
