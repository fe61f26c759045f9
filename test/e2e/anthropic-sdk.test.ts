import Anthropic, { toFile } from "@anthropic-ai/sdk";
import Anthropic0, { toFile as toFile0 } from "anthropic-sdk-0";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";
import { waitForUpstreamBatch } from "../support/wait";

/** The current major (Bearer auth, version 2026-10-21, no beta markers) and a 0.x (X-Api-Key, `anthropic-beta` headers, `after_id` paging). */
const sdks = [
  {
    name: "@anthropic-ai/sdk 1.12",
    make: (baseURL: string, apiKey: string, headers: Record<string, string> = {}) =>
      new Anthropic({ baseURL, apiKey, defaultHeaders: headers, maxRetries: 0 }),
    toFile,
    errors: { NotFound: Anthropic.NotFoundError, BadRequest: Anthropic.BadRequestError },
  },
  {
    name: "@anthropic-ai/sdk 0.60",
    make: (baseURL: string, apiKey: string, headers: Record<string, string> = {}) =>
      new Anthropic0({ baseURL, apiKey, defaultHeaders: headers, maxRetries: 0 }) as unknown as Anthropic,
    toFile: toFile0 as unknown as typeof toFile,
    errors: {
      NotFound: Anthropic0.NotFoundError as unknown as typeof Anthropic.NotFoundError,
      BadRequest: Anthropic0.BadRequestError as unknown as typeof Anthropic.BadRequestError,
    },
  },
];

/** The message inside an Anthropic error body. */
const bodyMessage = (error: unknown): string =>
  (error as { error?: { error?: { message?: string } } }).error?.error?.message ?? "";

const models = {
  anthropic: "claude-3-sonnet-20240229",
  openai: "gpt-4o-mini",
  gemini: "gemini-1.5-flash",
  bedrock: "anthropic.claude-3-sonnet-20240229-v1:0",
} as const;
type ProviderName = keyof typeof models;

const seedRequests = (
  model: string,
  questions = ["What is 15 * 7?", "What is the largest ocean?"],
  ids = ["math-question", "geography-question"],
) =>
  questions.map((content, i) => ({
    custom_id: ids[i]!,
    params: { model, max_tokens: 100, messages: [{ role: "user" as const, content }] },
  }));

const waitEnded = async (client: Anthropic, id: string) => {
  for (let i = 0; i < 300; i++) {
    const batch = await client.beta.messages.batches.retrieve(id);
    if (batch.processing_status === "ended") return batch;
    expect(
      batch.request_counts.succeeded +
        batch.request_counts.errored +
        batch.request_counts.canceled +
        batch.request_counts.expired,
    ).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("batch never ended");
};

const collectResults = async (client: Anthropic, id: string) => {
  const out: {
    custom_id: string;
    result: {
      type: string;
      message?: { content: { type: string; text?: string }[]; type: string; role: string };
      error?: unknown;
    };
  }[] = [];
  for await (const r of await client.beta.messages.batches.results(id)) out.push(r as (typeof out)[number]);
  return out;
};

describe.each(sdks)("Anthropic SDK ($name) through the local gateway", ({ make, toFile: makeFile, errors }) => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let base: string;

  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 400 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 5,
    });
    base = `${gateway.url}/anthropic`;
  });
  afterAll(() => gateway.stop());

  it.each(Object.keys(models) as ProviderName[])(
    "runs the seeds' batch workflow on %s and yields a real message per request",
    async (provider) => {
      const client = make(base, "sk-ant-workflow", { "x-model-provider": provider });
      const created = await client.beta.messages.batches.create({ requests: seedRequests(models[provider]) });
      expect(created).toMatchObject({
        type: "message_batch",
        processing_status: "in_progress",
        request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
        results_url: null,
        ended_at: null,
      });
      expect(created.id).toMatch(/^msgbatch_[a-z2-7]{24}$/);
      expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(86_400_000);

      const batch = await waitEnded(client, created.id);
      expect(batch.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 });
      expect(batch.results_url).toBe(`${base}/v1/messages/batches/${created.id}/results`);
      expect(batch.ended_at).not.toBeNull();
      const list = await client.beta.messages.batches.list({ limit: 20 });
      expect(list.data.map((b) => b.id)).toContain(batch.id);

      const results = await collectResults(client, batch.id);
      expect(results.map((r) => r.custom_id).sort()).toEqual(["geography-question", "math-question"]);
      for (const r of results) {
        expect(r.result.type).toBe("succeeded");
        expect(r.result.message).toMatchObject({ type: "message", role: "assistant", content: [{ type: "text" }] });
        const question = r.custom_id === "math-question" ? "What is 15 * 7?" : "What is the largest ocean?";
        expect(r.result.message?.content[0]?.text).toBe(`Simulated reply to: ${question}`);
      }
    },
  );

  it("works through the GA namespace too, and deletes an ended batch", async () => {
    const client = make(base, "sk-ant-ga");
    const created = await client.messages.batches.create({ requests: seedRequests(models.anthropic) });
    await waitEnded(client, created.id);
    // Ten racing deletes: one is answered as the delete, the others find it gone (F32).
    const racing = await Promise.allSettled(
      Array.from({ length: 10 }, () => client.messages.batches.delete(created.id)),
    );
    expect(racing.filter((r) => r.status === "fulfilled").map((r) => r.value)).toEqual([
      { id: created.id, type: "message_batch_deleted" },
    ]);
    for (const r of racing) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(errors.NotFound);
    await expect(client.messages.batches.retrieve(created.id)).rejects.toBeInstanceOf(errors.NotFound);
  });

  it("keeps errored requests with their custom_id, every custom_id once", async () => {
    const client = make(base, "sk-ant-errors", { "x-model-provider": "openai" });
    const requests = seedRequests(models.openai, ["fine", "please fail [[sim:error]]", "also fine"], ["a", "b", "c"]);
    const batch = await waitEnded(client, (await client.beta.messages.batches.create({ requests })).id);
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
    const results = await collectResults(client, batch.id);
    expect(results.map((r) => [r.custom_id, r.result.type]).sort()).toEqual([
      ["a", "succeeded"],
      ["b", "errored"],
      ["c", "succeeded"],
    ]);
    expect(results.find((r) => r.custom_id === "b")?.result.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
  });

  it("cancels: canceling at once, then ended with canceled requests in the results", async () => {
    const slow = await startTestGateway({
      simulators: { jobLatencyMs: 4000 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
    });
    try {
      const client = make(`${slow.url}/anthropic`, "sk-ant-cancel");
      const ids = ["r0", "r1", "r2", "r3"];
      const created = await client.beta.messages.batches.create({
        requests: seedRequests(models.anthropic, ["q0", "q1", "q2", "q3"], ids),
      });
      await waitForUpstreamBatch(slow.gateway.simulators, "anthropic");
      const canceling = await client.beta.messages.batches.cancel(created.id);
      expect(canceling.processing_status).toBe("canceling");
      expect(canceling.cancel_initiated_at).not.toBeNull();
      const batch = await waitEnded(client, created.id);
      expect(batch.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 0, canceled: 2, expired: 0 });
      const results = await collectResults(client, batch.id);
      expect(results.map((r) => r.custom_id).sort()).toEqual(ids);
      expect(results.filter((r) => r.result.type === "canceled")).toHaveLength(2);
    } finally {
      await slow.stop();
    }
  });

  it("keeps a broken .jsonl as a plain file, and a batch on it names the broken line", async () => {
    const client = make(base, "sk-ant-broken");
    const good = JSON.stringify({
      custom_id: "a",
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "claude-3-5-haiku-latest", messages: [{ role: "user", content: "hi" }] },
    });
    const file = await client.beta.files.upload({
      file: await makeFile(Buffer.from(`${good}\n${good.replace('"a"', '"b"')}\n{"custom_id": "c",`), "in.jsonl"),
    });
    // The same file id through the OpenAI SDK, as a team mixing SDKs would use it.
    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-ant-broken", maxRetries: 0 });
    const error = await openai.batches
      .create({
        input_file_id: file.id.replace(/^file_/, "file-"),
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider: "anthropic",
      } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/is not a batch input: Line 3: not valid JSON/);
  });

  it("uploads, lists across pages, reads, downloads and deletes files", async () => {
    const client = make(base, "sk-ant-files");
    const uploaded = [];
    for (const name of ["a.txt", "b.txt", "c.txt"]) {
      uploaded.push(
        await client.beta.files.upload({
          file: await makeFile(Buffer.from(`content of ${name}`), name, { type: "text/plain" }),
        }),
      );
    }
    expect(uploaded[0]).toMatchObject({
      type: "file",
      filename: "a.txt",
      mime_type: "text/plain",
      size_bytes: 16,
      downloadable: true,
    });
    expect(uploaded[0]!.id).toMatch(/^file_[a-z2-7]{24}$/);
    const seen: string[] = [];
    for await (const file of client.beta.files.list({ limit: 2 })) seen.push(file.id);
    expect(seen).toEqual(uploaded.map((f) => f.id).reverse());
    expect(await client.beta.files.retrieveMetadata(uploaded[1]!.id)).toEqual(uploaded[1]);
    expect(await (await client.beta.files.download(uploaded[1]!.id)).text()).toBe("content of b.txt");
    expect(await client.beta.files.delete(uploaded[1]!.id)).toEqual({ id: uploaded[1]!.id, type: "file_deleted" });
    await expect(client.beta.files.retrieveMetadata(uploaded[1]!.id)).rejects.toBeInstanceOf(errors.NotFound);
  });

  it("keeps tenants apart: another key cannot see a file or a batch", async () => {
    const owner = make(base, "sk-ant-owner");
    const intruder = make(base, "sk-ant-intruder");
    const file = await owner.beta.files.upload({
      file: await makeFile(Buffer.from("secret"), "s.txt", { type: "text/plain" }),
    });
    const batch = await owner.beta.messages.batches.create({ requests: seedRequests(models.anthropic) });
    await expect(intruder.beta.files.retrieveMetadata(file.id)).rejects.toBeInstanceOf(errors.NotFound);
    await expect(intruder.beta.files.download(file.id)).rejects.toBeInstanceOf(errors.NotFound);
    await expect(intruder.beta.messages.batches.retrieve(batch.id)).rejects.toBeInstanceOf(errors.NotFound);
    await expect(intruder.beta.messages.batches.cancel(batch.id)).rejects.toBeInstanceOf(errors.NotFound);
    expect((await intruder.beta.messages.batches.list()).data).toEqual([]);
    expect((await intruder.beta.files.list()).data).toEqual([]);
    await waitEnded(owner, batch.id);
  });

  it.each([
    [
      "a bad custom_id",
      [
        {
          custom_id: "has space",
          params: { model: "claude-3-haiku", max_tokens: 10, messages: [{ role: "user", content: "x" }] },
        },
      ],
      /requests\.0\.custom_id: "has space" must match/,
    ],
    [
      "a duplicate custom_id",
      [...seedRequests("claude-3-haiku", ["x"], ["dup"]), ...seedRequests("claude-3-haiku", ["y"], ["dup"])],
      /requests\.1\.custom_id: duplicate custom_id "dup"/,
    ],
    ["an empty request list", [], /at least one request is required/],
    [
      "a request without max_tokens",
      [{ custom_id: "a", params: { model: "claude-3-haiku", messages: [{ role: "user", content: "x" }] } }],
      /requests\.0\.params\.max_tokens: field required/,
    ],
  ])("refuses %s with a 400 in Anthropic's envelope", async (_, requests, message) => {
    const client = make(base, "sk-ant-bad");
    const error = await client.beta.messages.batches.create({ requests: requests as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.BadRequest);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
    expect(bodyMessage(error)).toMatch(message);
  });

  it("refuses an unknown provider, an unknown batch, deleting a running batch, and a missing key", async () => {
    const bad = make(base, "sk-ant-misc", { "x-model-provider": "mistral" });
    await expect(bad.beta.messages.batches.create({ requests: seedRequests("m") })).rejects.toBeInstanceOf(
      errors.BadRequest,
    );
    const client = make(base, "sk-ant-misc");
    await expect(client.beta.messages.batches.retrieve("msgbatch_aaaaaaaaaaaaaaaaaaaaaaaa")).rejects.toBeInstanceOf(
      errors.NotFound,
    );
    const running = await client.beta.messages.batches.create({ requests: seedRequests(models.anthropic) });
    await expect(client.beta.messages.batches.delete(running.id)).rejects.toBeInstanceOf(errors.BadRequest);
    const anonymous = await fetch(`${base}/v1/messages/batches`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    await waitEnded(client, running.id);
  });
});
