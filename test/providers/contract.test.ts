import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NeutralRequest } from "../../lambdas/core/chat";
import { newId, upstreamKey } from "../../lambdas/core/ids";
import type { BatchRecord, BatchStatus, NeutralResult, Provider } from "../../lambdas/core/model";
import type { ProviderAdapter, SubmitInput } from "../../lambdas/core/ports";
import { anthropicStatus } from "../../lambdas/providers/anthropic/batches";
import { bedrockStatus } from "../../lambdas/providers/bedrock/batches";
import { geminiStatus } from "../../lambdas/providers/gemini/batches";
import { openAiStatus } from "../../lambdas/providers/openai/batches";
import { createProviders } from "../../lambdas/providers/registry";
import { providerSettingsFromEnv } from "../../lambdas/providers/settings";
import { S3BlobStore } from "../../lambdas/state/s3-blob-store";
import { type Emulators, localNames, startEmulators } from "../../local/emulators";
import { startAnthropicSimulator } from "../../local/simulators/anthropic";
import { startBedrockSimulator } from "../../local/simulators/bedrock";
import type { Simulator } from "../../local/simulators/common";
import { startGeminiSimulator } from "../../local/simulators/gemini";
import { startOpenAiSimulator } from "../../local/simulators/openai";
import { submitInputOf } from "../support/memory";

const models: Record<Provider, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
  gemini: "gemini-2.0-flash",
  bedrock: "amazon.nova-lite-v1:0",
};
const prompts = ["alpha", "bravo [[sim:error]]", "charlie", "delta", "echo", "foxtrot"];
const ids = ["id-1", "id with spaces/ü", "id-3", "id-4", "id-5", "id-6"];

const requests: NeutralRequest[] = prompts.map((text, i) => ({
  customId: ids[i]!,
  lineNumber: i + 1,
  endpoint: "/v1/chat/completions",
  request: {
    system: "Be brief.",
    messages: [{ role: "user", content: [{ type: "text", text }] }],
    maxTokens: 50,
    temperature: 0.2,
  },
}));
// Not OpenAI, so every adapter converts from the neutral requests.
const input: SubmitInput = submitInputOf("anthropic", async function* () {
  yield* requests;
});

const batchFor = (provider: Provider): BatchRecord => ({
  id: newId(),
  kind: "batch",
  tenant: "contract",
  dialect: "openai",
  provider,
  createdAt: Date.now(),
  status: "validating",
  endpoint: "/v1/chat/completions",
  completionWindow: "24h",
  model: models[provider],
  inputBlobKey: "unused",
  requestCounts: { total: requests.length, completed: 0, failed: 0 },
  statusTimes: {},
});

const collect = async (iterable: AsyncIterable<NeutralResult>) => {
  const out: NeutralResult[] = [];
  for await (const r of iterable) out.push(r);
  return out;
};

describe("provider adapters: one contract, four upstreams", () => {
  let emulators: Emulators;
  let dataDir: string;
  let adapters: Partial<Record<Provider, ProviderAdapter>>;
  const sims: Simulator[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "finops-contract-"));
    emulators = await startEmulators(dataDir);
    const options = { jobLatencyMs: 300 };
    const [openai, anthropic, gemini, bedrock] = await Promise.all([
      startOpenAiSimulator(options),
      startAnthropicSimulator(options),
      startGeminiSimulator(options),
      startBedrockSimulator({ ...options, s3: emulators.s3, minRecords: 5 }),
    ]);
    sims.push(openai, anthropic, gemini, bedrock);
    const settings = providerSettingsFromEnv({
      OPENAI_API_KEY: "k",
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_API_KEY: "k",
      ANTHROPIC_BASE_URL: anthropic.url,
      GEMINI_API_KEY: "k",
      GEMINI_BASE_URL: gemini.url,
      BUCKET_NAME: localNames.bucket,
      BEDROCK_ROLE_ARN: "arn:aws:iam::000000000000:role/r",
      BEDROCK_MIN_RECORDS: "5",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_BEDROCK: bedrock.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
    });
    adapters = createProviders(settings, new S3BlobStore(emulators.s3, localNames.bucket), {
      accessKeyId: "a",
      secretAccessKey: "b",
    });
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await emulators.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const runToEnd = async (adapter: ProviderAdapter, batch: BatchRecord) => {
    for (let i = 0; i < 100; i++) {
      const status = await adapter.status(batch);
      if (["completed", "failed", "cancelled", "expired"].includes(status.status)) return status;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the upstream never ended");
  };

  describe.each(["openai", "anthropic", "gemini", "bedrock"] as const)("%s", (provider) => {
    it("creates, polls to completed, and converts every result (errors keep their id)", async () => {
      const adapter = adapters[provider]!;
      const batch = batchFor(provider);
      batch.upstream = await adapter.submit(batch, input);
      expect(batch.upstream.mode).toBe("batch");
      const status = await runToEnd(adapter, batch);
      expect(status.status).toBe("completed");
      const results = await collect(adapter.results(batch));
      const byKey = new Map(results.map((r) => [r.customId, r]));
      expect(results).toHaveLength(6);
      for (const [i, id] of ids.entries()) {
        const result = byKey.get(id) ?? byKey.get(upstreamKey(id));
        expect(result, id).toBeDefined();
        if (i === 1) {
          expect(result).toMatchObject({ outcome: "errored", error: { statusCode: 400 } });
        } else {
          expect(result?.outcome).toBe("succeeded");
          expect(result?.response?.text).toBe(`Simulated reply to: ${prompts[i]}`);
          expect(result?.response?.usage.inputTokens).toBeGreaterThan(0);
          expect(result?.response?.finishReason).toBe("stop");
        }
      }
    });

    it("cancels: the upstream ends cancelled and only some requests ran", async () => {
      const adapter = adapters[provider]!;
      const batch = batchFor(provider);
      batch.upstream = await adapter.submit(batch, input);
      await adapter.cancel(batch);
      await adapter.cancel(batch); // twice is harmless
      expect((await runToEnd(adapter, batch)).status).toBe("cancelled");
      const ran = (await collect(adapter.results(batch))).filter(
        (r) => r.outcome === "succeeded" || r.outcome === "errored",
      );
      expect(ran.length).toBeLessThan(6);
    });
  });

  it.each(["openai", "bedrock"] as const)(
    "%s: a repeated submit (a retried task) finds the job it already made",
    async (provider) => {
      const adapter = adapters[provider]!;
      const batch = batchFor(provider);
      const first = await adapter.submit(batch, input);
      const second = await adapter.submit(batch, input);
      expect(second.id).toBe(first.id);
    },
  );

  it.each<[string, (raw: string) => BatchStatus, Record<string, BatchStatus>]>([
    [
      "openai",
      openAiStatus,
      {
        validating: "validating",
        in_progress: "in_progress",
        finalizing: "finalizing",
        completed: "completed",
        failed: "failed",
        expired: "expired",
        cancelling: "cancelling",
        cancelled: "cancelled",
      },
    ],
    [
      "bedrock",
      bedrockStatus,
      {
        Submitted: "validating",
        Validating: "validating",
        Scheduled: "queued",
        InProgress: "in_progress",
        Stopping: "cancelling",
        Completed: "completed",
        PartiallyCompleted: "expired",
        Failed: "failed",
        Stopped: "cancelled",
        Expired: "expired",
      },
    ],
    [
      "gemini",
      geminiStatus,
      {
        BATCH_STATE_UNSPECIFIED: "queued",
        BATCH_STATE_PENDING: "queued",
        BATCH_STATE_RUNNING: "in_progress",
        BATCH_STATE_SUCCEEDED: "completed",
        BATCH_STATE_FAILED: "failed",
        BATCH_STATE_CANCELLED: "cancelled",
        BATCH_STATE_EXPIRED: "expired",
        JOB_STATE_SUCCEEDED: "completed",
        JOB_STATE_CANCELLING: "cancelling",
        JOB_STATE_PARTIALLY_SUCCEEDED: "completed",
      },
    ],
  ])("maps every %s status to the neutral set", (_, map, table) => {
    for (const [raw, neutral] of Object.entries(table)) expect(map(raw), raw).toBe(neutral);
  });

  it("maps Anthropic's processing status with its counts and cancel time", () => {
    const counts = { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 0 };
    expect(
      anthropicStatus({ processing_status: "in_progress", cancel_initiated_at: null, request_counts: counts }),
    ).toBe("in_progress");
    expect(anthropicStatus({ processing_status: "canceling", cancel_initiated_at: "t", request_counts: counts })).toBe(
      "cancelling",
    );
    expect(anthropicStatus({ processing_status: "ended", cancel_initiated_at: "t", request_counts: counts })).toBe(
      "cancelled",
    );
    expect(
      anthropicStatus({
        processing_status: "ended",
        cancel_initiated_at: null,
        request_counts: { ...counts, expired: 2 },
      }),
    ).toBe("expired");
    expect(anthropicStatus({ processing_status: "ended", cancel_initiated_at: null, request_counts: counts })).toBe(
      "completed",
    );
  });
});
