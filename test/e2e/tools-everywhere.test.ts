import Anthropic from "@anthropic-ai/sdk";
import type { Message, ToolUseBlock } from "@anthropic-ai/sdk/resources/messages";
import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import type { ContentBlock, ConverseResponse } from "@aws-sdk/client-bedrock-runtime";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type BatchJob, type GenerateContentResponse, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionMessageFunctionToolCall } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provider } from "../../lambdas/core/model";
import { resultLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/**
 * The seeds' workflow with what real batch work asks for — a forced tool call and a JSON-schema classification —
 * on all four providers through all four SDKs. Each answer is read with the calling SDK's own types, in its own
 * shapes (OpenAI `tool_calls`, Anthropic `tool_use` blocks, Gemini `functionCall` parts, Converse `toolUse`), and
 * the arguments are those the tool's schema describes (the simulators answer as a model held to it).
 */

const models: Record<Provider, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
  gemini: "gemini-2.5-flash",
  bedrock: "anthropic.claude-3-haiku-20240307-v1:0",
};
const providers: Provider[] = ["openai", "anthropic", "gemini", "bedrock"];

/** The classification every request asks for: a label from a closed set, and a reason. */
const ticketSchema = {
  type: "object" as const,
  properties: { label: { type: "string", enum: ["bug", "billing", "other"] }, reason: { type: "string" } },
  required: ["label", "reason"],
  additionalProperties: false,
};
const expectTicket = (value: unknown, prompt: string) =>
  expect(value).toEqual({ label: "bug", reason: `Simulated reply to: ${prompt}` });

describe("a forced tool call and a JSON-schema classification, on every provider, through every SDK", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 100 },
      runner: { pollWaitMs: 20, retryWaitMs: 20 },
      bedrockMinRecords: 2,
    });
  });
  afterAll(() => gateway.stop());

  it.each(providers)("OpenAI SDK, on %s: tool_calls and JSON content", async (provider) => {
    const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: `sk-tools-${provider}`, maxRetries: 0 });
    const body = (content: string) => ({ model: models[provider], messages: [{ role: "user", content }] });
    const lines = [
      {
        custom_id: "tool",
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          ...body("Classify ticket 7"),
          tools: [{ type: "function", function: { name: "classify", parameters: ticketSchema, strict: true } }],
          tool_choice: { type: "function", function: { name: "classify" } },
        },
      },
      {
        custom_id: "json",
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          ...body("Classify ticket 8"),
          response_format: { type: "json_schema", json_schema: { name: "ticket", schema: ticketSchema, strict: true } },
        },
      },
    ];
    const file = await uploadBatchInput(client, lines.map((l) => JSON.stringify(l)).join("\n"), provider);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      ...(provider !== "openai" && { provider }),
    } as never);
    const done = await waitForBatch(client, batch.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toMatchObject({ total: 2, completed: 2, failed: 0 });
    const results = new Map(
      (await resultLines(client, done.output_file_id)).map((line) => [
        line.custom_id,
        (line.response as unknown as { body: ChatCompletion }).body,
      ]),
    );
    const tool = results.get("tool")!.choices[0]!;
    expect(tool.finish_reason).toBe("tool_calls");
    const call = tool.message.tool_calls![0] as ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe("classify");
    expect(call.id).not.toBe("");
    expectTicket(JSON.parse(call.function.arguments), "Classify ticket 7");
    const json = results.get("json")!.choices[0]!;
    expect(json.finish_reason).toBe("stop");
    expect(json.message.tool_calls ?? []).toEqual([]);
    expectTicket(JSON.parse(json.message.content!), "Classify ticket 8");
  });

  it.each(providers)("Anthropic SDK, on %s: tool_use blocks", async (provider) => {
    const client = new Anthropic({
      baseURL: `${gateway.url}/anthropic`,
      apiKey: `sk-ant-tools-${provider}`,
      defaultHeaders: { "x-model-provider": provider },
      maxRetries: 0,
    });
    const params = (content: string, tool_choice: Anthropic.Messages.ToolChoice) => ({
      model: models[provider],
      max_tokens: 200,
      messages: [{ role: "user" as const, content }],
      tools: [{ name: "classify", description: "Label a ticket", input_schema: ticketSchema }],
      tool_choice,
    });
    const created = await client.messages.batches.create({
      requests: [
        { custom_id: "named", params: params("Classify ticket 7", { type: "tool", name: "classify" }) },
        { custom_id: "any", params: params("Classify ticket 8", { type: "any" }) },
      ],
    });
    let batch = created;
    for (let i = 0; i < 300 && batch.processing_status !== "ended"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      batch = await client.messages.batches.retrieve(created.id);
    }
    expect(batch.request_counts).toMatchObject({ succeeded: 2, errored: 0 });
    const messages = new Map<string, Message>();
    for await (const result of await client.messages.batches.results(created.id))
      if (result.result.type === "succeeded") messages.set(result.custom_id, result.result.message);
    for (const [id, prompt] of [
      ["named", "Classify ticket 7"],
      ["any", "Classify ticket 8"],
    ] as const) {
      const message = messages.get(id)!;
      expect(message.stop_reason).toBe("tool_use");
      const use = message.content.find((b): b is ToolUseBlock => b.type === "tool_use")!;
      expect(use.name).toBe("classify");
      expectTicket(use.input, prompt);
    }
  });

  it.each(providers)("Google GenAI SDK, on %s: functionCall parts and JSON text", async (provider) => {
    const ai = new GoogleGenAI({
      apiKey: `AIza-tools-${provider}`,
      httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-model-provider": provider } },
    });
    const created = await ai.batches.create({
      model: models[provider],
      src: [
        {
          contents: [{ role: "user", parts: [{ text: "Classify ticket 7" }] }],
          config: {
            tools: [{ functionDeclarations: [{ name: "classify", parametersJsonSchema: ticketSchema }] }],
            toolConfig: { functionCallingConfig: { mode: "ANY" as never, allowedFunctionNames: ["classify"] } },
          },
        },
        {
          contents: [{ role: "user", parts: [{ text: "Classify ticket 8" }] }],
          config: { responseMimeType: "application/json", responseJsonSchema: ticketSchema },
        },
      ],
    });
    let job: BatchJob = created;
    for (let i = 0; i < 300 && !job.state?.match(/SUCCEEDED|FAILED|CANCELLED|EXPIRED/); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await ai.batches.get({ name: created.name! });
    }
    expect(job.state).toBe("JOB_STATE_SUCCEEDED");
    const [tool, json] = (job.dest?.inlinedResponses ?? []).map((r) => r.response as GenerateContentResponse);
    const call = tool!.candidates![0]!.content!.parts!.find((p) => p.functionCall)!.functionCall!;
    expect(call.name).toBe("classify");
    expectTicket(call.args, "Classify ticket 7");
    expectTicket(JSON.parse(json!.candidates![0]!.content!.parts![0]!.text!), "Classify ticket 8");
  });

  it.each(providers)("AWS SDK (Bedrock job of Converse records), on %s: toolUse blocks", async (provider) => {
    const credentials = { accessKeyId: `AKIDTOOLS${provider.toUpperCase()}`, secretAccessKey: "secret" };
    const withProvider = <C extends { middlewareStack: S3Client["middlewareStack"] }>(client: C): C => {
      client.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { headers: Record<string, string> }).headers["x-model-provider"] = provider;
          return next(args);
        },
        { step: "build", name: "modelProvider" },
      );
      return client;
    };
    const s3 = withProvider(
      new S3Client({
        endpoint: `${gateway.url}/bedrock/files`,
        region: "us-east-1",
        credentials,
        forcePathStyle: true,
      }),
    );
    const bedrock = withProvider(
      new BedrockClient({
        endpoint: `${gateway.url}/bedrock`,
        region: "us-east-1",
        credentials,
      }) as unknown as S3Client,
    ) as unknown as BedrockClient;
    const record = (id: string, text: string, toolChoice: object) => ({
      recordId: id,
      modelInput: {
        messages: [{ role: "user", content: [{ text }] }],
        inferenceConfig: { maxTokens: 200 },
        toolConfig: {
          tools: [{ toolSpec: { name: "classify", inputSchema: { json: ticketSchema } } }],
          toolChoice,
        },
      },
    });
    const native = provider === "bedrock";
    const bucket = native ? "tools-in" : `${provider}-files`;
    const upload = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "tools.jsonl",
        Body: [
          record("named", "Classify ticket 7", { tool: { name: "classify" } }),
          record("any", "Classify ticket 8", { any: {} }),
        ]
          .map((r) => JSON.stringify(r))
          .join("\n"),
      }),
    );
    const fileId = upload.ETag!.replace(/"/g, "");
    const outputUri = native ? "s3://tools-out/" : `s3://${provider}-output/`;
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: `tools-${provider}`,
        modelId: models[provider],
        roleArn: "arn:aws:iam::123456789012:role/batch",
        inputDataConfig: {
          s3InputDataConfig: { s3Uri: native ? `s3://${bucket}/tools.jsonl` : `s3://${bucket}/${fileId}` },
        },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: outputUri } },
        ...(!native && { tags: [{ key: "file_id", value: fileId }] }),
      }),
    );
    let status: string | undefined;
    for (let i = 0; i < 300 && !["Completed", "Failed", "PartiallyCompleted"].includes(status ?? ""); i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status;
    }
    expect(status).toBe("Completed");
    const out = new URL(outputUri.replace("s3://", "http://"));
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: out.host, Prefix: `${jobArn!.split("/").at(-1)}/` }),
    );
    const key = listed
      .Contents!.map((c) => c.Key!)
      .find((k) => k.endsWith(".jsonl.out") || k.endsWith(`${fileId}.out`))!;
    const text = await (await s3.send(new GetObjectCommand({ Bucket: out.host, Key: key }))).Body!.transformToString();
    const outputs = new Map(
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { recordId: string; modelOutput: ConverseResponse })
        .map((r) => [r.recordId, r.modelOutput]),
    );
    for (const [id, prompt] of [
      ["named", "Classify ticket 7"],
      ["any", "Classify ticket 8"],
    ] as const) {
      const output = outputs.get(id)!;
      expect(output.stopReason).toBe("tool_use");
      const use = (output.output as { message: { content: ContentBlock[] } }).message.content.find((b) => b.toolUse)!
        .toolUse!;
      expect(use.name).toBe("classify");
      expectTicket(use.input, prompt);
    }
  });
});
