import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
} from "@aws-sdk/client-bedrock";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModels } from "../../local/default-models";
import { startPartsGateway, type startTestGateway } from "../support/gateway";

/**
 * Batches of several parts, with failed rows run again, through the Anthropic, GenAI and AWS SDKs (issue 27): each
 * asks for retries its own way (the `x-finops-retry` header, or the Bedrock job's `finops_retry` tag), reads one
 * batch back whole and in order, and sees its progress where its SDK shows it; the FinOps API shows the parts and
 * an estimated end. Every provider's per-job limit is lowered to 10 requests by setting; auth is on.
 */
describe("batches of several parts through the other SDKs", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let key: string;
  let access: { accessKeyId: string; secretAccessKey: string };
  const rows = 25;
  const prompts = Array.from({ length: rows }, (_, i) =>
    i === 3 || i === 17 ? `[[sim:flaky:1]] wobbly ${i}` : `question ${i}`,
  );

  beforeAll(async () => {
    gateway = await startPartsGateway({
      auth: "keys",
    });
    const credential = await gateway.gateway.createCredential("big-sdks");
    key = credential.apiKey;
    access = { accessKeyId: credential.record.accessKeyId, secretAccessKey: credential.secretAccessKey };
  });
  afterAll(() => gateway.stop());

  /** The FinOps API's view of a batch, by any SDK's id. */
  const finops = async (id: string) => {
    const response = await fetch(`${gateway.url}/finops/v1/batches/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      status: string;
      progress: {
        parts: { part: number; attempt: number; rows: number; state: string }[];
        rows_done: number;
        rows_retrying: number;
        attempts: number;
        estimated_end_at: string | null;
      };
      cost: { batch: number; retries: number };
    };
  };

  /** Three input parts (9, 9, 7 rows: as even as the limit allows) and a retry of each part's flaky row. */
  const expectParts = async (id: string) => {
    const view = await finops(id);
    expect(view.progress.parts.map((p) => [p.attempt, p.rows, p.state])).toEqual([
      [1, 9, "ended"],
      [1, 9, "ended"],
      [1, 7, "ended"],
      [2, 1, "ended"],
      [2, 1, "ended"],
    ]);
    expect(view.progress).toMatchObject({ rows_done: rows, rows_retrying: 0, attempts: rows + 2 });
    expect(view.progress.estimated_end_at).not.toBeNull();
    expect(view.cost.retries).toBeGreaterThan(0);
    expect(view.cost.retries).toBeLessThan(view.cost.batch);
  };

  it("Anthropic SDK: x-finops-retry runs the flaky rows again; results in input order, each once", async () => {
    const client = new Anthropic({
      baseURL: `${gateway.url}/anthropic`,
      apiKey: key,
      maxRetries: 0,
      defaultHeaders: { "x-finops-retry": "2" },
    });
    const ids = prompts.map((_, i) => `a${i}`);
    const created = await client.messages.batches.create({
      requests: prompts.map((content, i) => ({
        custom_id: ids[i]!,
        params: { model: defaultModels.anthropic, max_tokens: 64, messages: [{ role: "user", content }] },
      })),
    });
    let batch = created;
    while (batch.processing_status !== "ended") {
      await new Promise((resolve) => setTimeout(resolve, 50));
      batch = await client.messages.batches.retrieve(created.id);
    }
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: rows, errored: 0, canceled: 0, expired: 0 });
    expect((batch as unknown as { finops_progress: unknown }).finops_progress).toMatchObject({
      parts: 5,
      rows_done: rows,
      rows_retrying: 0,
      attempts: rows + 2,
    });
    const results: string[] = [];
    for await (const result of await client.messages.batches.results(created.id)) {
      expect(result.result.type).toBe("succeeded");
      results.push(result.custom_id);
    }
    expect(results).toEqual(ids);
    await expectParts(created.id);
  });

  it("GenAI SDK: an inline batch with x-finops-retry answers every request once, in order", async () => {
    const ai = new GoogleGenAI({
      apiKey: key,
      httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-finops-retry": "2" } },
    });
    const created = await ai.batches.create({
      model: defaultModels.gemini,
      src: prompts.map((text) => ({ contents: [{ role: "user", parts: [{ text }] }] })),
    });
    let job = created;
    while (!["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(String(job.state))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = await ai.batches.get({ name: created.name! });
    }
    expect(job.state).toBe("JOB_STATE_SUCCEEDED");
    const texts = job.dest?.inlinedResponses?.map((r) => r.response?.candidates?.[0]?.content?.parts?.[0]?.text);
    expect(texts).toEqual(prompts.map((prompt) => expect.stringContaining(prompt)));
    await expectParts(created.name!);
  });

  it("AWS SDK: a job tagged finops_retry writes one output of every record, in order; its message shows the parts", async () => {
    const credentials = access;
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials,
      forcePathStyle: true,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
    const records = prompts.map((text, i) => ({
      recordId: `r${String(i).padStart(3, "0")}`,
      modelInput: { messages: [{ role: "user", content: [{ text }] }], inferenceConfig: { maxTokens: 64 } },
    }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "big",
        Key: "in/records.jsonl",
        Body: records.map((r) => JSON.stringify(r)).join("\n"),
      }),
    );
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "big-retry",
        modelId: defaultModels.bedrock,
        roleArn: "arn:aws:iam::123456789012:role/any",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://big/in/records.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://big/out/" } },
        tags: [{ key: "finops_retry", value: "2" }],
      }),
    );
    let job: GetModelInvocationJobCommandOutput;
    for (;;) {
      job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      if (["Completed", "Failed", "Stopped", "PartiallyCompleted"].includes(job.status ?? "")) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(job).toMatchObject({ status: "Completed", totalRecordCount: rows, successRecordCount: rows });
    expect(job.message).toBe("5 parts (0 running, 0 waiting); 25 of 25 rows done, 0 waiting to run again; 27 runs");
    const jobId = jobArn!.slice(jobArn!.lastIndexOf("/") + 1);
    const out = await s3.send(new GetObjectCommand({ Bucket: "big", Key: `out/${jobId}/records.jsonl.out` }));
    const written = (await out.Body!.transformToString())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { recordId: string; modelOutput?: unknown });
    expect(written.map((r) => r.recordId)).toEqual(records.map((r) => r.recordId));
    expect(written.every((r) => r.modelOutput !== undefined)).toBe(true);
    await expectParts(jobArn!);
  });
});
