import { beforeAll, describe, expect, it } from "vitest";
import { createBatchEngine, defaultPollSchedule } from "../../lambdas/core/batch-engine";
import { defaultConfig } from "../../lambdas/core/config";
import type { FileDeps } from "../../lambdas/core/files";
import { newId, upstreamKey } from "../../lambdas/core/ids";
import type { BatchRecord, BatchStatus, NeutralResult } from "../../lambdas/core/model";
import type {
  ProviderAdapter,
  QuotaClaim,
  QuotaSlots,
  ResultSink,
  SubmitInput,
  UpstreamStatus,
} from "../../lambdas/core/ports";
import { inputCodec } from "../../lambdas/formats/detect";
import { batchInputFile, MemoryBlobStore, MemoryRepository } from "../support/memory";

/** A batch of one chat request per id (its text the id), stored as `validating` with its input file. */
const storedBatch = async (files: FileDeps, ids: string[]): Promise<BatchRecord> => {
  const lines = ids.map((id) =>
    JSON.stringify({
      custom_id: id,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "m", messages: [{ role: "user", content: id }] },
    }),
  );
  const input = await batchInputFile(files, Buffer.from(lines.join("\n")));
  const batch: BatchRecord = {
    id: newId(),
    kind: "batch",
    tenant: "t",
    dialect: "openai",
    provider: "openai",
    createdAt: Date.now(),
    status: "validating",
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    model: "m",
    inputFileId: input.id,
    inputBlobKey: input.blobKey,
    requestCounts: { total: ids.length, completed: 0, failed: 0 },
    statusTimes: { validating: Date.now() },
  };
  await files.repo.create(batch);
  return batch;
};

/** A provider whose answers the test scripts, counting every call. */
class ScriptedProvider implements ProviderAdapter {
  readonly requestKeys = "mapped";
  calls = { submit: 0, status: 0, cancel: 0, results: 0 };
  next: UpstreamStatus = { status: "in_progress", counts: { total: 3, completed: 1, failed: 0 } };
  answers: NeutralResult[] = [];
  async submit() {
    this.calls.submit++;
    return { id: `up-${this.calls.submit}`, mode: "batch" as const };
  }
  async status() {
    this.calls.status++;
    return this.next;
  }
  async cancel() {
    this.calls.cancel++;
  }
  async *results() {
    this.calls.results++;
    yield* this.answers;
  }
}

describe("the batch engine's tasks (in-memory ports)", () => {
  let files: FileDeps;
  const written: NeutralResult[][] = [];
  const provider = new ScriptedProvider();
  let engine: ReturnType<typeof createBatchEngine>;

  beforeAll(() => {
    files = { repo: new MemoryRepository(), blobs: new MemoryBlobStore(), codec: inputCodec, config: defaultConfig };
    const sink = (): ResultSink => {
      const lines: NeutralResult[] = [];
      written.push(lines);
      return { write: async (r) => void lines.push(r), close: async () => ({ outputFileId: "out" }) };
    };
    engine = createBatchEngine({
      ...files,
      providers: { openai: provider, anthropic: undefined, gemini: undefined, bedrock: undefined },
      sinks: { openai: sink, anthropic: sink, genai: sink, bedrock: sink },
      poll: defaultPollSchedule,
    });
  });

  const newBatch = (ids: string[]): Promise<BatchRecord> => storedBatch(files, ids);
  const statusOf = async (batch: BatchRecord): Promise<BatchStatus | undefined> =>
    (await files.repo.get("batch", "t", batch.id))?.status;

  it("fails a batch whose input was deleted right after create, instead of stranding it in the failure path", async () => {
    const batch = await newBatch(["a", "b"]);
    await files.blobs.delete(batch.inputBlobKey);
    // The submit cannot read the input; the state machine's Catch runs the fail task, which reads it again.
    await expect(engine.submit({ batchId: batch.id, tenant: "t" })).rejects.toThrow();
    const route = await engine.fail({
      batchId: batch.id,
      tenant: "t",
      error: { Error: "NoSuchKey", Cause: "The specified key does not exist." },
    });
    expect(route).toMatchObject({ next: "done" });
    const ended = await files.repo.get("batch", "t", batch.id);
    expect(ended).toMatchObject({
      status: "failed",
      requestCounts: { total: 2, completed: 0, failed: 2 },
      usage: { inputTokens: 0, outputTokens: 0 },
    });
    expect(ended?.failureReason).toMatch(/\(no error file: the batch's input could not be read\)$/);
  });

  it("submits once even when the task is delivered twice", async () => {
    const batch = await newBatch(["a", "b", "c"]);
    const before = provider.calls.submit;
    expect(await engine.submit({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "wait", waitSeconds: 30 });
    expect(await engine.submit({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "wait" });
    expect(provider.calls.submit - before).toBe(1);
  });

  it("keeps counts current, never moves a status backwards, and backs off", async () => {
    const batch = await newBatch(["a", "b", "c"]);
    await engine.submit({ batchId: batch.id, tenant: "t" });
    provider.next = { status: "in_progress", counts: { total: 3, completed: 2, failed: 0 } };
    const route = await engine.poll({ batchId: batch.id, tenant: "t", attempt: 3 });
    expect(route).toEqual({ next: "wait", attempt: 4, waitSeconds: 30 }); // a new batch: the 30 s floor
    expect(await statusOf(batch)).toBe("in_progress");
    expect((await files.repo.get("batch", "t", batch.id))?.requestCounts).toEqual({
      total: 3,
      completed: 2,
      failed: 0,
    });
    provider.next = { status: "validating", counts: { total: 3, completed: 2, failed: 0 } };
    await engine.poll({ batchId: batch.id, tenant: "t" });
    expect(await statusOf(batch)).toBe("in_progress");
  });

  it("collects each request exactly once: duplicates and unknown ids dropped, missing ones written as not run", async () => {
    const ids = ["plain", "needs mapping/ü", "never answered"];
    const batch = await newBatch(ids);
    await engine.submit({ batchId: batch.id, tenant: "t" });
    const ok = (customId: string): NeutralResult => ({
      customId,
      outcome: "succeeded",
      response: {
        id: "x",
        model: "m",
        text: customId,
        finishReason: "stop",
        usage: { inputTokens: 2, outputTokens: 3 },
        created: 0,
      },
    });
    provider.answers = [ok("plain"), ok(upstreamKey("needs mapping/ü")), ok("plain"), ok("stranger")];
    // A part's results are read (and kept, sorted by row) by the poll that sees it end.
    provider.next = { status: "completed", counts: { total: 3, completed: 2, failed: 0 } };
    expect(await engine.poll({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "collect" });
    expect(await statusOf(batch)).toBe("finalizing");
    expect(await engine.collect({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "done" });
    const lines = written.at(-1)!;
    expect(lines.map((l) => [l.customId, l.outcome])).toEqual([
      ["plain", "succeeded"],
      ["needs mapping/ü", "succeeded"],
      ["never answered", "errored"],
    ]);
    const done = await files.repo.get("batch", "t", batch.id);
    expect(done).toMatchObject({
      status: "completed",
      outputFileId: "out",
      requestCounts: { total: 3, completed: 2, failed: 1 },
      usage: { inputTokens: 4, outputTokens: 6 },
    });
    // a duplicate delivery of collect after the batch ended changes nothing
    const count = written.length;
    expect(await engine.collect({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "done" });
    expect(written.length).toBe(count);
  });

  it("forwards a cancel and ends cancelled, not finalizing, when the upstream stops", async () => {
    const batch = await newBatch(["a", "b"]);
    await engine.submit({ batchId: batch.id, tenant: "t" });
    await files.repo.update(
      "batch",
      batch.id,
      { status: "cancelling", cancelRequested: true },
      { statusIn: ["validating"] },
    );
    const cancels = provider.calls.cancel;
    provider.next = { status: "cancelled", counts: { total: 2, completed: 1, failed: 0 } };
    provider.answers = [];
    expect(await engine.poll({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "collect" });
    expect(provider.calls.cancel - cancels).toBe(1);
    expect(await statusOf(batch)).toBe("cancelling");
    await engine.collect({ batchId: batch.id, tenant: "t" });
    expect(await statusOf(batch)).toBe("cancelled");
    expect(written.at(-1)!.map((l) => l.error?.code)).toEqual(["batch_cancelled", "batch_cancelled"]);
  });

  it("fails a batch with the caught error's message and never un-fails it", async () => {
    const batch = await newBatch(["a"]);
    await engine.fail({
      batchId: batch.id,
      tenant: "t",
      error: { Error: "Error", Cause: JSON.stringify({ errorMessage: "OpenAI answered 400: bad model" }) },
    });
    const failed = await files.repo.get("batch", "t", batch.id);
    expect(failed).toMatchObject({
      status: "failed",
      failureReason: "The batch failed: OpenAI answered 400: bad model",
    });
    provider.next = { status: "completed", counts: { total: 1, completed: 1, failed: 0 } };
    expect(await engine.poll({ batchId: batch.id, tenant: "t" })).toMatchObject({ next: "done" });
    expect(await statusOf(batch)).toBe("failed");
  });
});

/** What running parts hold, counted in memory: one shared counter per scope, as the DynamoDB items are. */
class CountedQuotas implements QuotaSlots {
  readonly held = new Map<string, number>();
  async acquire({ scope, amount, limit }: QuotaClaim) {
    const held = this.held.get(scope) ?? 0;
    if (held > 0 && held + amount > limit) return false;
    this.held.set(scope, held + amount);
    return true;
  }
  async release(scope: string, amount: number) {
    this.held.set(scope, (this.held.get(scope) ?? 0) - amount);
  }
}

describe("a batch of several parts within a quota (in-memory ports)", () => {
  /** Two jobs at a time; each job ends when the test says, or is refused for room. */
  class QuotaProvider implements ProviderAdapter {
    readonly jobs = new Map<string, { status: BatchStatus; noRoom?: boolean; rows: string[] }>();
    quota = () => ({ scope: "jobs", amount: 1, limit: 2 });
    async submit(batch: BatchRecord, input: SubmitInput) {
      const rows: string[] = [];
      for await (const request of input.requests()) rows.push(request.customId);
      this.jobs.set(batch.id, { status: "in_progress", rows });
      return { id: batch.id, mode: "batch" as const };
    }
    async status(batch: BatchRecord): Promise<UpstreamStatus> {
      const job = this.jobs.get(batch.id)!;
      return { status: job.status, noRoom: job.noRoom, counts: { total: job.rows.length, completed: 0, failed: 0 } };
    }
    async cancel() {}
    async *results(batch: BatchRecord): AsyncIterable<NeutralResult> {
      for (const customId of this.jobs.get(batch.id)!.rows)
        yield {
          customId,
          outcome: "succeeded",
          response: {
            id: "r",
            model: "m",
            text: customId,
            finishReason: "stop",
            usage: { inputTokens: 1, outputTokens: 1 },
            created: 0,
          },
        };
    }
  }

  it("starts parts as the quota has room, backs off while they wait, and puts a part refused for room back", async () => {
    const provider = new QuotaProvider();
    const quotas = new CountedQuotas();
    const files = { repo: new MemoryRepository(), blobs: new MemoryBlobStore(), codec: inputCodec };
    const config = {
      ...defaultConfig,
      parts: { ...defaultConfig.parts, jobs: { ...defaultConfig.parts.jobs, openai: { requests: 2, bytes: 1e9 } } },
    };
    const written: NeutralResult[] = [];
    const engine = createBatchEngine({
      ...files,
      config,
      quotas,
      providers: { openai: provider, anthropic: undefined, gemini: undefined, bedrock: undefined },
      sinks: {
        openai: () => ({ write: async (r) => void written.push(r), close: async () => ({ outputFileId: "out" }) }),
        anthropic: () => ({ write: async () => undefined, close: async () => ({}) }),
        genai: () => ({ write: async () => undefined, close: async () => ({}) }),
        bedrock: () => ({ write: async () => undefined, close: async () => ({}) }),
      },
      poll: defaultPollSchedule,
    });
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const batch = await storedBatch({ ...files, config }, ids);
    const task = { batchId: batch.id, tenant: "t" };
    const parts = async () => (await files.repo.get("batch", "t", batch.id))!.parts!;

    // Four parts of two; two start, two wait — and the batch waits on the backoff, not at once.
    expect(await engine.submit(task)).toEqual({ next: "wait", attempt: 1, waitSeconds: 30 });
    expect((await parts()).map((p) => p.state)).toEqual(["running", "running", "waiting", "waiting"]);
    expect(quotas.held.get("jobs")).toBe(2);
    expect((await parts())[2]!.message).toMatch(/Waiting for room in openai's quota \(jobs: at most 2\)/);

    // One ends: its room goes to the next part, in order.
    provider.jobs.get(batch.id)!.status = "completed";
    expect(await engine.poll({ ...task, attempt: 1 })).toMatchObject({ next: "wait", attempt: 2 });
    expect((await parts()).map((p) => p.state)).toEqual(["ended", "running", "running", "waiting"]);
    expect(quotas.held.get("jobs")).toBe(2);

    // The upstream refuses one for room after all: it gives its room back and waits again, its rows not failed.
    provider.jobs.get(`${batch.id}-p1`)!.noRoom = true;
    await engine.poll({ ...task, attempt: 2 });
    expect((await parts()).map((p) => p.state)).toEqual(["ended", "running", "running", "waiting"]);
    expect((await parts())[1]!.submittedAt).toBeGreaterThan(0);

    for (const job of provider.jobs.values()) Object.assign(job, { status: "completed", noRoom: false });
    let route = await engine.poll({ ...task, attempt: 3 });
    while (route.next === "wait") {
      for (const job of provider.jobs.values()) job.status = "completed";
      route = await engine.poll({ ...task, attempt: route.attempt });
    }
    expect(route.next).toBe("collect");
    await engine.collect(task);
    expect(written.map((r) => r.customId)).toEqual(ids);
    expect(quotas.held.get("jobs")).toBe(0);
    expect(await files.repo.get("batch", "t", batch.id)).toMatchObject({
      status: "completed",
      requestCounts: { total: 8, completed: 8, failed: 0 },
    });
  });
});
