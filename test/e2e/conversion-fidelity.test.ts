import Anthropic from "@anthropic-ai/sdk";
import type { Message, ThinkingBlock } from "@anthropic-ai/sdk/resources/messages";
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock";
import type { ContentBlock, ConverseResponse } from "@aws-sdk/client-bedrock-runtime";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type GenerateContentResponse, GoogleGenAI } from "@google/genai";
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

  describe("Bedrock: Claude's own InvokeModel body, read as Claude's and answered in Claude's response body", () => {
    const credentials = { accessKeyId: "AKIDINVOKE", secretAccessKey: "s" };
    const clients = () => ({
      s3: new S3Client({
        endpoint: `${gateway.url}/bedrock/files`,
        region: "us-east-1",
        credentials,
        forcePathStyle: true,
      }),
      bedrock: new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials }),
    });
    const claudeBody = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 50,
      temperature: 0.2,
      system: "Be brief.",
      messages: [{ role: "user", content: "hi" }],
    };
    const put = (key: string, records: object[]) =>
      clients().s3.send(
        new PutObjectCommand({
          Bucket: "invoke-in",
          Key: key,
          Body: records.map((r) => JSON.stringify(r)).join("\n"),
        }),
      );
    const create = (
      key: string,
      modelInvocationType?: "InvokeModel" | "Converse",
      modelId = "anthropic.claude-3-haiku-20240307-v1:0",
    ) =>
      clients().bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "invoke",
          modelId,
          roleArn: "arn:aws:iam::123456789012:role/r",
          modelInvocationType,
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://invoke-in/${key}` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://invoke-out/" } },
        }),
      );

    it.each([
      [
        "meta.llama3-70b-instruct-v1:0",
        {
          prompt:
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
          max_gen_len: 50,
        },
        { generation: "Simulated reply to: hi", stop_reason: "stop" },
      ],
      [
        "mistral.mistral-7b-instruct-v0:2",
        { prompt: "<s>[INST] hi [/INST]", max_tokens: 50 },
        { outputs: [{ text: "Simulated reply to: hi", stop_reason: "stop" }] },
      ],
      [
        "amazon.titan-text-express-v1",
        { inputText: "hi", textGenerationConfig: { maxTokenCount: 50 } },
        { results: [{ outputText: "Simulated reply to: hi", completionReason: "FINISH" }] },
      ],
      [
        "amazon.nova-lite-v1:0",
        {
          schemaVersion: "messages-v1",
          messages: [{ role: "user", content: [{ text: "hi" }] }],
          inferenceConfig: { max_new_tokens: 50 },
        },
        { output: { message: { content: [{ text: "Simulated reply to: hi" }] } }, stopReason: "end_turn" },
      ],
    ])("runs %s's own body and answers in its own response body", async (modelId, body, output) => {
      await put(`${modelId}.jsonl`, [{ recordId: "r1", modelInput: body }]);
      const { jobArn } = await create(`${modelId}.jsonl`, "InvokeModel", modelId);
      let status: string | undefined;
      for (let i = 0; i < 300 && !["Completed", "Failed", "PartiallyCompleted"].includes(status ?? ""); i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await clients().bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status;
      }
      expect(status).toBe("Completed");
      const key = `${jobArn!.split("/").at(-1)}/${modelId}.jsonl.out`;
      const out = await clients().s3.send(new GetObjectCommand({ Bucket: "invoke-out", Key: key }));
      const record = JSON.parse((await out.Body!.transformToString()).trim());
      expect(record.modelInput).toEqual(body);
      expect(record.modelOutput).toMatchObject(output);
    });

    it.each(["InvokeModel", undefined] as const)("runs with modelInvocationType %s", async (type) => {
      await put("claude.jsonl", [{ recordId: "r1", modelInput: claudeBody }]);
      const { jobArn } = await create("claude.jsonl", type);
      let status: string | undefined;
      for (let i = 0; i < 300 && !["Completed", "Failed", "PartiallyCompleted"].includes(status ?? ""); i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await clients().bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status;
      }
      expect(status).toBe("Completed");
      const key = `${jobArn!.split("/").at(-1)}/claude.jsonl.out`;
      const out = await clients().s3.send(new GetObjectCommand({ Bucket: "invoke-out", Key: key }));
      const record = JSON.parse((await out.Body!.transformToString()).trim());
      // The record as written, and Claude's own response body (what InvokeModel returns), not Converse's.
      expect(record.modelInput).toEqual(claudeBody);
      expect(record.modelOutput).toMatchObject({
        type: "message",
        role: "assistant",
        content: [{ type: "text", text: "Simulated reply to: hi" }],
        stop_reason: "end_turn",
      });
      expect(record.modelOutput.usage.input_tokens).toBeGreaterThan(0);
    });

    it("refuses what it cannot read by name: mixed shapes, another family's model, bodies not converted yet", async () => {
      await put("claude.jsonl", [{ recordId: "r1", modelInput: claudeBody }]);
      await expect(create("claude.jsonl", "Converse")).rejects.toThrow(
        /^Line 1: a model's own InvokeModel body in a job of Converse records \(modelInvocationType Converse\)/,
      );
      await expect(create("claude.jsonl", undefined, "meta.llama3-70b-instruct-v1:0")).rejects.toThrow(
        /^Line 1: a Claude InvokeModel body for meta\.llama3-70b-instruct-v1:0: Bedrock runs a model family's own body on that family only/,
      );
      const converse = { recordId: "r2", modelInput: { messages: [{ role: "user", content: [{ text: "hi" }] }] } };
      await put("mixed.jsonl", [{ recordId: "r1", modelInput: claudeBody }, converse]);
      await expect(create("mixed.jsonl")).rejects.toThrow(
        /^Line 2: a Converse record in a job of InvokeModel records:/,
      );
      await put("converse.jsonl", [converse]);
      await expect(create("converse.jsonl", "InvokeModel")).rejects.toThrow(
        /^Line 1: a Converse record in a job of InvokeModel records \(modelInvocationType InvokeModel\)/,
      );
      // A Mistral chat body (messages and max_tokens): no family the gateway converts.
      await put("chat.jsonl", [
        { recordId: "r1", modelInput: { messages: [{ role: "user", content: "hi" }], max_tokens: 50 } },
      ]);
      const chat = create("chat.jsonl", "InvokeModel", "mistral.mistral-large-2407-v1:0");
      await expect(chat).rejects.toBeInstanceOf(ValidationException);
      await expect(chat).rejects.toThrow(/Line 1: 'modelInput' has 'max_tokens', which Converse records do not/);
    });
  });

  describe("a line on its own format's provider goes as written, and its answer comes back as given", () => {
    it("Anthropic SDK on anthropic: thinking and cache_control reach Anthropic; the thinking block comes back", async () => {
      const make = (provider: string) =>
        new Anthropic({
          baseURL: `${gateway.url}/anthropic`,
          apiKey: "sk-ant-native",
          defaultHeaders: { "x-model-provider": provider },
          maxRetries: 0,
        });
      const requests = [
        {
          custom_id: "think",
          params: {
            model: "claude-sonnet-4-5",
            max_tokens: 2048,
            thinking: { type: "enabled" as const, budget_tokens: 1024 },
            system: [
              {
                type: "text" as const,
                text: "A long shared prefix.",
                cache_control: { type: "ephemeral" as const, ttl: "1h" as const },
              },
            ],
            messages: [{ role: "user" as const, content: "Plan the migration" }],
          },
        },
      ];
      const client = make("anthropic");
      const created = await client.messages.batches.create({ requests });
      let batch = created;
      for (let i = 0; i < 300 && batch.processing_status !== "ended"; i++) {
        await new Promise((r) => setTimeout(r, 50));
        batch = await client.messages.batches.retrieve(created.id);
      }
      const results = [];
      for await (const result of await client.messages.batches.results(created.id)) results.push(result);
      expect(results).toHaveLength(1);
      const message = (results[0]!.result as { message: Message }).message;
      const thinking = message.content[0] as ThinkingBlock;
      expect(thinking).toMatchObject({ type: "thinking", thinking: "Simulated thinking about: Plan the migration" });
      expect(message.content[1]).toMatchObject({ type: "text", text: "Simulated reply to: Plan the migration" });

      // Elsewhere the same request is refused by name, pointing at the provider that takes it as written.
      const elsewhere = make("openai").messages.batches.create({ requests });
      await expect(elsewhere).rejects.toBeInstanceOf(Anthropic.BadRequestError);
      await expect(elsewhere).rejects.toThrow(
        /requests\.0: 'params\.system\.0\.cache_control\.ttl' cannot be carried to openai: .*run the batch on anthropic, where anthropic lines go as written/,
      );
    });

    it("GenAI SDK on gemini: thinkingConfig reaches Gemini; the thought part comes back", async () => {
      const ai = new GoogleGenAI({
        apiKey: "AIza-native",
        httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-model-provider": "gemini" } },
      });
      const created = await ai.batches.create({
        model: "gemini-2.5-flash",
        src: [
          {
            contents: [{ role: "user", parts: [{ text: "Plan the migration" }] }],
            config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 512 } },
          },
        ],
      });
      let job = created;
      for (let i = 0; i < 300 && !job.state?.match(/SUCCEEDED|FAILED|CANCELLED|EXPIRED/); i++) {
        await new Promise((r) => setTimeout(r, 50));
        job = await ai.batches.get({ name: created.name! });
      }
      expect(job.state).toBe("JOB_STATE_SUCCEEDED");
      const response = job.dest!.inlinedResponses![0]!.response as GenerateContentResponse;
      const [thought, answer] = response.candidates![0]!.content!.parts!;
      expect(thought).toEqual({ text: "Simulated thinking about: Plan the migration", thought: true });
      expect(answer!.text).toBe("Simulated reply to: Plan the migration");
      expect(response.usageMetadata?.thoughtsTokenCount).toBe(8);
    });

    it("AWS SDK on bedrock: additionalModelRequestFields reach Converse; reasoningContent comes back", async () => {
      const credentials = { accessKeyId: "AKIDNATIVE", secretAccessKey: "s" };
      const s3 = new S3Client({
        endpoint: `${gateway.url}/bedrock/files`,
        region: "us-east-1",
        credentials,
        forcePathStyle: true,
      });
      const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials });
      const record = {
        recordId: "r1",
        modelInput: {
          messages: [{ role: "user", content: [{ text: "Plan the migration" }] }],
          inferenceConfig: { maxTokens: 2048 },
          additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } },
        },
      };
      await s3.send(new PutObjectCommand({ Bucket: "native-in", Key: "in.jsonl", Body: JSON.stringify(record) }));
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "native",
          modelId: "anthropic.claude-3-7-sonnet-20250219-v1:0",
          roleArn: "arn:aws:iam::123456789012:role/r",
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://native-in/in.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://native-out/" } },
        }),
      );
      let status: string | undefined;
      for (let i = 0; i < 300 && !["Completed", "Failed", "PartiallyCompleted"].includes(status ?? ""); i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status;
      }
      expect(status).toBe("Completed");
      const key = `${jobArn!.split("/").at(-1)}/in.jsonl.out`;
      const text = await (
        await s3.send(new GetObjectCommand({ Bucket: "native-out", Key: key }))
      ).Body!.transformToString();
      const output = JSON.parse(text.trim()).modelOutput as ConverseResponse;
      const [reasoning, answer] = (output.output as { message: { content: ContentBlock[] } }).message.content;
      expect(reasoning!.reasoningContent).toEqual({
        reasoningText: { text: "Simulated thinking about: Plan the migration", signature: "sim-signature" },
      });
      expect(answer!.text).toBe("Simulated reply to: Plan the migration");
    });
  });

  describe("reasoning crosses providers: each is sent its own form, and the reasoning shown comes back", () => {
    it.each(["gemini", "bedrock", "openai"])("Anthropic SDK thinking on %s", async (provider) => {
      const client = new Anthropic({
        baseURL: `${gateway.url}/anthropic`,
        apiKey: "sk-ant-reasoning",
        defaultHeaders: { "x-model-provider": provider },
        maxRetries: 0,
      });
      const models: Record<string, string> = {
        gemini: "gemini-2.5-flash",
        bedrock: "anthropic.claude-3-7-sonnet-20250219-v1:0",
        openai: "o4-mini",
      };
      const created = await client.messages.batches.create({
        requests: [
          {
            custom_id: "think",
            params: {
              model: models[provider]!,
              max_tokens: 4096,
              thinking: { type: "enabled", budget_tokens: 2048 },
              messages: [{ role: "user", content: "Plan the migration" }],
            },
          },
        ],
      });
      let batch = created;
      for (let i = 0; i < 300 && batch.processing_status !== "ended"; i++) {
        await new Promise((r) => setTimeout(r, 50));
        batch = await client.messages.batches.retrieve(created.id);
      }
      const results = [];
      for await (const result of await client.messages.batches.results(created.id)) results.push(result);
      const message = (results[0]!.result as { message: Message }).message;
      const text = message.content.find((b) => b.type === "text");
      expect(text).toMatchObject({ text: "Simulated reply to: Plan the migration" });
      if (provider === "openai") {
        // OpenAI's chat completions show no reasoning text; the reasoning tokens are billed within the output.
        expect(message.content.map((b) => b.type)).toEqual(["text"]);
        return;
      }
      expect(message.content[0]).toMatchObject({
        type: "thinking",
        thinking: "Simulated thinking about: Plan the migration",
      });
    });

    it("GenAI SDK thinkingConfig on anthropic: a thought part", async () => {
      const ai = new GoogleGenAI({
        apiKey: "AIza-reasoning",
        httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-model-provider": "anthropic" } },
      });
      const created = await ai.batches.create({
        model: "claude-sonnet-4-5",
        src: [
          {
            contents: [{ role: "user", parts: [{ text: "Plan the migration" }] }],
            config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } },
          },
        ],
      });
      let job = created;
      for (let i = 0; i < 300 && !job.state?.match(/SUCCEEDED|FAILED|CANCELLED|EXPIRED/); i++) {
        await new Promise((r) => setTimeout(r, 50));
        job = await ai.batches.get({ name: created.name! });
      }
      expect(job.state).toBe("JOB_STATE_SUCCEEDED");
      const parts = (job.dest!.inlinedResponses![0]!.response as GenerateContentResponse).candidates![0]!.content!
        .parts!;
      expect(parts).toEqual([
        { text: "Simulated thinking about: Plan the migration", thought: true },
        { text: "Simulated reply to: Plan the migration" },
      ]);
    });
  });
});
