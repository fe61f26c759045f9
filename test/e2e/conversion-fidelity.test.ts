import { BedrockClient, CreateModelInvocationJobCommand, ValidationException } from "@aws-sdk/client-bedrock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionMessageFunctionToolCall } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/** A line that forces a tool call: what a classification pipeline sends. */
const toolLine = (id: string) =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `Classify ticket ${id}` }],
      tools: [
        {
          type: "function",
          function: { name: "classify", parameters: { type: "object", properties: { label: { type: "string" } } } },
        },
      ],
      tool_choice: { type: "function", function: { name: "classify" } },
      seed: 42,
    },
  });

describe("conversion fidelity through the OpenAI SDK", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;
  beforeAll(async () => {
    gateway = await startTestGateway({ simulators: { jobLatencyMs: 100 }, runner: { pollWaitMs: 20 } });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-fidelity", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  it("runs OpenAI lines on OpenAI as written and returns OpenAI's answers whole: tool calls survive", async () => {
    const file = await uploadBatchInput(client, [toolLine("t1"), toolLine("t2")].join("\n"), "openai");
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const done = await waitForBatch(client, batch.id);
    expect(done.status).toBe("completed");
    const lines = await resultLines(client, done.output_file_id);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      // Read with the SDK's own type for a chat completion.
      const choice = (line.response as unknown as { body: ChatCompletion }).body.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      const call = choice.message.tool_calls![0]! as ChatCompletionMessageFunctionToolCall;
      expect(call.function.name).toBe("classify");
      // Arguments as the tool's schema describes them (the simulator answers as a model held to it).
      expect(JSON.parse(call.function.arguments)).toEqual({
        label: `Simulated reply to: Classify ticket ${line.custom_id}`,
      });
      // seed reached OpenAI: the line went as written.
    }
  });

  it.each(["anthropic", "bedrock"])(
    "refuses the same lines (with a seed, which %s has no form for) at create, naming the line, the feature and the way around it",
    async (provider) => {
      const before = (await client.batches.list()).data.map((b) => b.id);
      const file = await uploadBatchInput(client, toolLine("t1"), provider);
      const attempt = client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        provider,
        ...(provider === "bedrock" && { model: "anthropic.claude-3-haiku-20240307-v1:0" }),
      } as never);
      await expect(attempt).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expect(attempt).rejects.toThrow(
        new RegExp(
          `Line 1: seed cannot be carried to ${provider}: .* has no seed: remove it, or run the batch on openai or gemini\\.$`,
        ),
      );
      // Refused before anything was created: no batch to bill.
      expect((await client.batches.list()).data.map((b) => b.id)).toEqual(before);
    },
  );

  it("Bedrock: an InvokeModel job or record is refused by name, never read as Converse with 4,096 tokens", async () => {
    const credentials = { accessKeyId: "AKIDINVOKE", secretAccessKey: "s" };
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials,
      forcePathStyle: true,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
    const body = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 50,
      temperature: 0.2,
      system: "Be brief.",
      messages: [{ role: "user", content: "hi" }],
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: "invoke-in",
        Key: "invoke.jsonl",
        Body: `${JSON.stringify({ recordId: "r1", modelInput: body })}\n`,
      }),
    );
    const create = (modelInvocationType?: "InvokeModel" | "Converse") =>
      bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "invoke",
          modelId: "anthropic.claude-3-haiku-20240307-v1:0",
          roleArn: "arn:aws:iam::123456789012:role/r",
          modelInvocationType,
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://invoke-in/invoke.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://invoke-out/" } },
        }),
      );
    await expect(create("InvokeModel")).rejects.toThrow(
      /^modelInvocationType InvokeModel: the gateway reads records in Converse's shape/,
    );
    for (const type of ["Converse", undefined] as const) {
      const refused = create(type);
      await expect(refused).rejects.toBeInstanceOf(ValidationException);
      await expect(refused).rejects.toThrow(
        /Line 1: 'modelInput' is a model's own InvokeModel body \(it has 'anthropic_version'\)/,
      );
    }
  });
});
