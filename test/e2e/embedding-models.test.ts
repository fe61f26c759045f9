import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatLines, uploadBatchInput } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/**
 * Embedding models through the other SDKs: a Bedrock job of Titan embedding records runs on every provider that
 * embeds (outputs in Titan's own body), what a provider cannot carry is refused by name, and chat lines naming an
 * embedding model are a 400 saying where embeddings run — never a chat run of an embeddings model.
 */
describe("embedding models through the Bedrock and OpenAI SDKs", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  const credentials = { accessKeyId: "AKIDEMBED", secretAccessKey: "secret" };

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  /** The S3 and Bedrock clients of the AWS SDK, the Bedrock one routed to `provider`. */
  const awsClients = (provider: string) => {
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
    bedrock.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers["x-model-provider"] = provider;
        return next(args);
      },
      { step: "build" },
    );
    return { s3, bedrock };
  };

  it.each([
    ["bedrock", "amazon.titan-embed-text-v2:0"],
    ["gemini", "gemini-embedding-001"],
    ["openai", "text-embedding-3-small"],
  ])(
    "a Bedrock job of Titan embedding records runs on %s, its outputs in Titan's own body",
    async (provider, model) => {
      const { s3, bedrock } = awsClients(provider);
      const records = ["alpha", "beta", "gamma"].map((inputText, i) => ({
        recordId: `R${i}`,
        modelInput: { inputText, dimensions: 256, normalize: true },
      }));
      const body = records.map((record) => JSON.stringify(record)).join("\n");
      await s3.send(new PutObjectCommand({ Bucket: "embed", Key: `${provider}.jsonl`, Body: `${body}\n` }));
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: `embed-${provider}`,
          modelId: model,
          roleArn: "arn:aws:iam::123456789012:role/unused",
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://embed/${provider}.jsonl` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://embed/out/" } },
        }),
      );
      let status: string | undefined;
      while (!["Completed", "Failed", "Stopped", "PartiallyCompleted", "Expired"].includes(status ?? "")) {
        await new Promise((done) => setTimeout(done, 50));
        ({ status } = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })));
      }
      expect(status).toBe("Completed");
      const jobId = (jobArn ?? "").split("/").pop();
      const out = await s3.send(new GetObjectCommand({ Bucket: "embed", Key: `out/${jobId}/${provider}.jsonl.out` }));
      const outputs = (await out.Body!.transformToString())
        .trim()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as { recordId: string; modelOutput: { embedding: number[]; inputTextTokenCount: number } },
        );
      expect(outputs.map((o) => o.recordId).sort()).toEqual(["R0", "R1", "R2"]);
      for (const { modelOutput } of outputs) {
        expect(modelOutput.embedding).toHaveLength(256);
        expect(modelOutput.inputTextTokenCount).toBeGreaterThan(0);
      }
    },
  );

  it("a Titan record the provider cannot carry is refused by name (normalize off, elsewhere than Bedrock)", async () => {
    const { s3, bedrock } = awsClients("gemini");
    const record = { recordId: "R1", modelInput: { inputText: "hello", normalize: false } };
    await s3.send(new PutObjectCommand({ Bucket: "embed", Key: "raw.jsonl", Body: `${JSON.stringify(record)}\n` }));
    const create = bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "raw",
        modelId: "gemini-embedding-001",
        roleArn: "arn:aws:iam::123456789012:role/unused",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://embed/raw.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://embed/out/" } },
      }),
    );
    await expect(create).rejects.toMatchObject({ name: "ValidationException" });
    await expect(create).rejects.toThrow(/Line 1: 'modelInput.normalize' cannot be carried to gemini/);
  });

  it.each([
    ["bedrock", "cohere.embed-english-v3"],
    ["gemini", "gemini-embedding-001"],
  ])("a job of Cohere Embed records runs on %s, its outputs in Cohere's own body", async (provider, model) => {
    const { s3, bedrock } = awsClients(provider);
    const records = [
      { recordId: "C1", modelInput: { texts: ["alpha", "beta"], input_type: "search_document" } },
      { recordId: "C2", modelInput: { texts: ["gamma"], input_type: "search_document" } },
    ];
    const body = records.map((record) => JSON.stringify(record)).join("\n");
    await s3.send(new PutObjectCommand({ Bucket: "embed", Key: `cohere-${provider}.jsonl`, Body: `${body}\n` }));
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: `cohere-${provider}`,
        modelId: model,
        roleArn: "arn:aws:iam::123456789012:role/unused",
        inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://embed/cohere-${provider}.jsonl` } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://embed/out/" } },
      }),
    );
    let status: string | undefined;
    while (!["Completed", "Failed", "Stopped", "PartiallyCompleted", "Expired"].includes(status ?? "")) {
      await new Promise((done) => setTimeout(done, 50));
      ({ status } = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })));
    }
    expect(status).toBe("Completed");
    const jobId = (jobArn ?? "").split("/").pop();
    const out = await s3.send(
      new GetObjectCommand({ Bucket: "embed", Key: `out/${jobId}/cohere-${provider}.jsonl.out` }),
    );
    const outputs = (await out.Body!.transformToString())
      .trim()
      .split("\n")
      .map(
        (line) => JSON.parse(line) as { recordId: string; modelOutput: { embeddings: number[][]; texts: string[] } },
      );
    const byId = Object.fromEntries(outputs.map((o) => [o.recordId, o.modelOutput]));
    expect(byId.C1?.embeddings).toHaveLength(2);
    expect(byId.C1?.texts).toEqual(["alpha", "beta"]);
    expect(byId.C2?.embeddings).toHaveLength(1);
    expect(byId.C1?.embeddings[0]).not.toEqual(byId.C1?.embeddings[1]);
  });

  it("chat lines naming an embedding model are a 400 naming it", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "embed-key", maxRetries: 0 });
    const file = await uploadBatchInput(client, chatLines("text-embedding-3-small", ["hi"]), "openai");
    const create = client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    await expect(create).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(create).rejects.toThrow(/text-embedding-3-small is an embeddings model/);
  });
});
