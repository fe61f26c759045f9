import { describe, expect, it } from "vitest";
import { defaultPollSchedule } from "../../lambdas/core/batch-engine";
import { cancelBatch, createBatch } from "../../lambdas/core/batches";
import { readFileBytes } from "../../lambdas/core/files";
import type { BatchRecord, Dialect, NeutralResult } from "../../lambdas/core/model";
import { findObject } from "../../lambdas/core/namespace";
import type { BudgetLedger, ProviderAdapter, ProviderAdapters } from "../../lambdas/core/ports";
import { addPart, cancelPartedUpload, completePartedUpload, startPartedUpload } from "../../lambdas/core/uploads";
import { priceBook } from "../../lambdas/pricing/price-book";
import { chatLines } from "../support/batches";
import { batchInputFile, memoryGateway, runToEnd } from "../support/memory";

/** An upstream that answers every request at once, the odd ones with an error. */
const instantProvider: ProviderAdapter = {
  submit: async (batch) => ({ id: `up-${batch.id}`, mode: "batch" }),
  status: async (batch) => ({ status: "completed", counts: batch.requestCounts }),
  cancel: async () => undefined,
  async *results(): AsyncIterable<NeutralResult> {
    for (let i = 0; i < 4; i++) {
      yield i % 2 === 0
        ? {
            customId: `r${i}`,
            outcome: "succeeded",
            response: {
              id: `m${i}`,
              model: "m",
              text: `answer ${i}`,
              finishReason: "stop",
              usage: { inputTokens: 3, outputTokens: 5 },
              created: 0,
            },
          }
        : { customId: `r${i}`, outcome: "errored", error: { code: "bad", message: `no ${i}`, statusCode: 400 } };
    }
  },
};
const providers: ProviderAdapters = {
  openai: instantProvider,
  anthropic: undefined,
  gemini: undefined,
  bedrock: undefined,
};
const lines = Array.from({ length: 4 }, (_, i) =>
  JSON.stringify({
    custom_id: `r${i}`,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "m", messages: [{ role: "user", content: `q${i}` }] },
  }),
).join("\n");

const setup = () => memoryGateway({ providers, poll: defaultPollSchedule });

const newBatch = async (gateway: ReturnType<typeof setup>, dialect: Dialect): Promise<BatchRecord> => {
  const input = await batchInputFile(gateway.deps, lines, dialect);
  return createBatch(gateway.deps, {
    tenant: "t",
    dialect,
    provider: "openai",
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    inputFile: { id: input.id, shown: input.id },
    // The AWS SDK dialect keeps its job spec with the batch; its sink writes where the spec says.
    dialectFields:
      dialect === "bedrock"
        ? {
            name: "j",
            inputUri: "s3://b/in.jsonl",
            outputUri: "s3://b/out/",
            inputFileName: "in.jsonl",
            region: "us-east-1",
            timeoutHours: 24,
          }
        : undefined,
  });
};

describe("core operations and the engine on in-memory ports (no emulator)", () => {
  it("refuses a bad batch input before writing anything, naming the line", async () => {
    const gateway = setup();
    const create = batchInputFile(gateway.deps, `${lines}\n{"custom_id": "broken"`);
    await expect(create).rejects.toThrow(/^Line 5: not valid JSON/);
    expect(gateway.repo.items.size).toBe(0);
    expect(gateway.blobs.blobs.size).toBe(0);
  });

  it.each(["openai", "anthropic", "genai", "bedrock"] as const)(
    "runs a %s batch to the end and writes its results through that dialect's sink",
    async (dialect) => {
      const gateway = setup();
      const batch = await newBatch(gateway, dialect);
      expect(gateway.runner.started.map((b) => b.id)).toEqual([batch.id]);
      const routes = await runToEnd(gateway.engine, batch);
      expect(routes.at(-1)?.next).toBe("done");
      const ended = await gateway.deps.repo.get("batch", "t", batch.id);
      expect(ended).toMatchObject({
        status: "completed",
        requestCounts: { total: 4, completed: 2, failed: 2 },
        usage: { inputTokens: 6, outputTokens: 10 },
      });
      const output = ended?.outputFileId ? await gateway.deps.repo.get("file", "t", ended.outputFileId) : undefined;
      expect(output?.purpose).toBe("batch_output");
      const text = Buffer.from(await readFileBytes(gateway.deps, output!)).toString();
      expect(text).toContain("answer 0");
      if (dialect === "bedrock") {
        const entry = await findObject(gateway.deps, "t", "b", `out/${batch.id}/in.jsonl.out`);
        expect(entry?.fileId).toBe(output?.id);
      }
    },
  );

  it("writes the GenAI responses file in input order whatever order the upstream answers in", async () => {
    const reversed: ProviderAdapter = {
      ...instantProvider,
      async *results() {
        const all: NeutralResult[] = [];
        for await (const result of instantProvider.results({} as BatchRecord)) all.push(result);
        yield* all.reverse();
      },
    };
    const gateway = memoryGateway({ providers: { ...providers, openai: reversed }, poll: defaultPollSchedule });
    const batch = await newBatch(gateway, "genai");
    await runToEnd(gateway.engine, batch);
    const ended = await gateway.deps.repo.get("batch", "t", batch.id);
    const output = await gateway.deps.repo.get("file", "t", ended!.outputFileId!);
    const keys = Buffer.from(await readFileBytes(gateway.deps, output!))
      .toString()
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { key: string }).key);
    expect(keys).toEqual(["r0", "r1", "r2", "r3"]);
  });

  it("cancels at once and ends cancelled, with nothing run when the upstream never had it", async () => {
    const gateway = setup();
    const batch = await newBatch(gateway, "openai");
    expect((await cancelBatch(gateway.deps, "t", batch.id, batch.id)).status).toBe("cancelling");
    expect(gateway.runner.cancelled.map((b) => b.id)).toEqual([batch.id]);
    await runToEnd(gateway.engine, batch);
    const ended = await gateway.deps.repo.get("batch", "t", batch.id);
    expect(ended).toMatchObject({ status: "cancelled", requestCounts: { total: 4, completed: 0, failed: 4 } });
  });

  it("ends a batch the caller saw cancelling as cancelled, even when the upstream finished first, keeping its results", async () => {
    const gateway = setup();
    const batch = await newBatch(gateway, "openai");
    const task = (action: "submit" | "poll" | "collect") => gateway.engine[action]({ batchId: batch.id, tenant: "t" });
    await task("submit"); // the upstream has it, and (instantly) finishes it
    expect((await cancelBatch(gateway.deps, "t", batch.id, batch.id)).status).toBe("cancelling");
    expect((await task("poll")).next).toBe("collect");
    await task("collect");
    const ended = await gateway.deps.repo.get("batch", "t", batch.id);
    expect(ended).toMatchObject({ status: "cancelled", requestCounts: { total: 4, completed: 2, failed: 2 } });
    expect(ended?.outcomeCounts).toEqual({ succeeded: 2, errored: 2, cancelled: 0, expired: 0 });
  });

  it("joins a parted upload's parts in the order named, and a cancel frees the parts it stored", async () => {
    const gateway = setup();
    const start = () =>
      startPartedUpload(gateway.deps, {
        tenant: "t",
        dialect: "openai",
        provider: "openai",
        filename: "in.jsonl",
        purpose: "batch",
        size: Buffer.byteLength(lines),
        mimeType: "application/jsonl",
      });
    const upload = await start();
    const shown = upload.id;
    const half = Math.floor(lines.length / 2);
    const first = await addPart(gateway.deps, {
      tenant: "t",
      uploadId: upload.id,
      shown,
      body: Buffer.from(lines.slice(0, half)),
    });
    const second = await addPart(gateway.deps, {
      tenant: "t",
      uploadId: upload.id,
      shown,
      body: Buffer.from(lines.slice(half)),
    });
    const { file } = await completePartedUpload(gateway.deps, {
      tenant: "t",
      uploadId: upload.id,
      shown,
      partIds: [first.partId, second.partId],
    });
    expect(Buffer.from(await readFileBytes(gateway.deps, file)).toString()).toBe(lines);
    expect(file.lineCount).toBe(4);
    expect([...gateway.blobs.blobs.keys()].filter((k) => k.includes("/parts/"))).toEqual([]);

    const abandoned = await start();
    await addPart(gateway.deps, { tenant: "t", uploadId: abandoned.id, shown: abandoned.id, body: Buffer.from("abc") });
    expect([...gateway.blobs.blobs.keys()].some((k) => k.includes(abandoned.id))).toBe(true);
    await cancelPartedUpload(gateway.deps, { tenant: "t", uploadId: abandoned.id, shown: abandoned.id });
    expect([...gateway.blobs.blobs.keys()].some((k) => k.includes(abandoned.id))).toBe(false);
  });

  it("fails a batch whose provider has no key, with a reason the caller can read", async () => {
    const gateway = setup();
    const batch = await newBatch(gateway, "openai");
    await gateway.deps.repo.update("batch", batch.id, { provider: "gemini" });
    await runToEnd(gateway.engine, batch);
    const ended = await gateway.deps.repo.get("batch", "t", batch.id);
    expect(ended?.status).toBe("failed");
    expect(ended?.failureReason).toMatch(/Provider gemini is not configured on this gateway/);
  });
});

describe("provider input limits", () => {
  it("refuses an input that would need more parts than a batch may have, naming the limits and the way around", async () => {
    const gateway = setup();
    const input = await batchInputFile(gateway.deps, lines);
    // As if the file held 201 GB: more than 200 Bedrock jobs of 1 GB (cut at 900 MB). Only the recorded size is read.
    await gateway.deps.repo.update("file", input.id, { bytes: 201_000_000_000, lineCount: 3 });
    const refused = createBatch(gateway.deps, {
      tenant: "t",
      dialect: "openai",
      provider: "bedrock",
      endpoint: "/v1/chat/completions",
      completionWindow: "24h",
      inputFile: { id: input.id, shown: "file-x" },
    });
    await expect(refused).rejects.toThrow(
      "File file-x (3 requests, 201000 MB) would run as 224 bedrock jobs of at most 50000 requests and 1000 MB " +
        "each; a batch runs as at most 200 (MAX_BATCH_PARTS). Split the requests into several batches.",
    );
    expect((await gateway.deps.repo.list("batch", "t", { limit: 10, order: "desc" })).items).toEqual([]);
  });
});

describe("a create whose batch write fails", () => {
  it("releases its budget reservation and its slot: nothing of it outlives the refusal (F10)", async () => {
    const holds = new Map<string, number>();
    const budgets: BudgetLedger = {
      limitOf: async () => 1_000_000_000,
      setLimit: async () => undefined,
      reserve: async (_tenant, _month, id, amount) => {
        holds.set(id, amount);
        return { reserved: true };
      },
      settle: async (_tenant, _month, id, reserved, actual) => {
        if (holds.get(id) === reserved) holds.set(id, actual);
      },
      committed: async () => [...holds.values()].reduce((a, b) => a + b, 0),
      openHolds: async function* () {},
    };
    const slots = { started: 0, ended: 0 };
    const gateway = memoryGateway({ providers: {} } as never, {
      budgets,
      prices: priceBook(),
      limiter: {
        request: async () => undefined,
        batchStarted: async () => void slots.started++,
        batchEnded: async () => void slots.ended++,
      },
    });
    const file = await batchInputFile(gateway.deps, chatLines("gpt-4o-mini", ["hello"]));
    gateway.repo.create = async () => {
      throw new Error("ValidationException: Item size has exceeded the maximum allowed size");
    };
    await expect(
      createBatch(gateway.deps, {
        tenant: "t",
        dialect: "openai",
        provider: "openai",
        endpoint: "/v1/chat/completions",
        completionWindow: "24h",
        inputFile: { id: file.id, shown: file.id },
      }),
    ).rejects.toThrow(/Item size/);
    expect(holds.size).toBe(1);
    expect([...holds.values()]).toEqual([0]);
    expect(slots).toEqual({ started: 1, ended: 1 });
  });
});
