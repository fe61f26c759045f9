import { BedrockClient, CreateModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatLines, uploadBatchInput } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/**
 * An embeddings model asked for through an SDK whose embeddings batches the gateway does not convert yet (a
 * Bedrock job on Titan Embed records, chat lines naming an embedding model) is a 400 in that
 * SDK's error saying where embeddings batches run — never a chat run of an embeddings model, nor a misleading
 * refusal of the record's fields.
 */
describe("embedding models outside /v1/embeddings batches", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  const credentials = { accessKeyId: "AKIDEMBED", secretAccessKey: "secret" };

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it("a Bedrock job on Titan Text Embeddings is a ValidationException naming where embeddings run", async () => {
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
    const record = { recordId: "R1", modelInput: { inputText: "hello", dimensions: 256, normalize: true } };
    await s3.send(new PutObjectCommand({ Bucket: "embed", Key: "in.jsonl", Body: `${JSON.stringify(record)}\n` }));
    const create = bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "embed",
        modelId: "amazon.titan-embed-text-v2:0",
        roleArn: "arn:aws:iam::123456789012:role/unused",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://embed/in.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://embed/out/" } },
      }),
    );
    await expect(create).rejects.toMatchObject({ name: "ValidationException" });
    await expect(create).rejects.toThrow(
      /is an embeddings model.*through the OpenAI SDK \(endpoint \/v1\/embeddings\) on openai, gemini or bedrock/,
    );
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
