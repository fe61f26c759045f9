import { describe, expect, it } from "vitest";
import { createBatch } from "../../lambdas/core/batches";
import type { InputFormat } from "../../lambdas/core/chat";
import type { Provider } from "../../lambdas/core/model";
import { toConverseInput } from "../../lambdas/formats/bedrock-records";
import { parseAnyLine } from "../../lambdas/formats/detect";
import { batchInputFile, filesOnlyGateway } from "../support/memory";

const models: Record<Provider, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
  gemini: "gemini-1.5-flash",
  bedrock: "anthropic.claude-3-haiku-20240307-v1:0",
};

/** One line of each format holding a field the neutral request does not carry, and that field's path. */
const withField: Record<InputFormat, { field: string; line: (model: string) => object }[]> = {
  openai: [
    ...[
      ["body.tools.0.type", { tools: [{ type: "custom", custom: { name: "grammar" } }] }],
      ["body.tool_choice.type", { tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [] } } }],
      ["body.logit_bias", { logit_bias: { "50256": -100 } }],
      ["body.logprobs", { logprobs: true }],
      ["body.n", { n: 2 }],
      ["body.messages.0.name", undefined],
    ].map(([field, extra]) => ({
      field: field as string,
      line: (model: string): object => ({
        custom_id: "r1",
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          model,
          messages: [{ role: "user", content: "hi", ...(extra === undefined && { name: "alice" }) }],
          ...(extra as object),
        },
      }),
    })),
    {
      field: "body.messages.0.content.0.file.file_id",
      line: (model: string): object => ({
        custom_id: "r1",
        method: "POST",
        url: "/v1/chat/completions",
        body: { model, messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }] },
      }),
    },
  ],
  anthropic: [
    {
      field: "params.messages.0.content.0.source",
      line: (model) => ({
        custom_id: "r1",
        params: {
          model,
          max_tokens: 10,
          messages: [
            {
              role: "user",
              content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "x" } }],
            },
          ],
        },
      }),
    },
    {
      field: "params.tools.0.type",
      line: (model) => ({
        custom_id: "r1",
        params: {
          model,
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
          tools: [{ type: "web_search_20250305", name: "web_search", input_schema: { type: "object" } }],
        },
      }),
    },
    {
      field: "params.thinking.type",
      line: (model) => ({
        custom_id: "r1",
        params: {
          model,
          max_tokens: 2048,
          messages: [{ role: "user", content: "hi" }],
          thinking: { type: "adaptive" },
        },
      }),
    },
    {
      field: "params.messages.0.content.0.cache_control.ttl",
      line: (model) => ({
        custom_id: "r1",
        params: {
          model,
          max_tokens: 10,
          messages: [
            { role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral", ttl: "1h" } }] },
          ],
        },
      }),
    },
  ],
  gemini: [
    {
      field: "request.tools.0.googleSearch",
      line: () => ({
        key: "r1",
        request: { contents: [{ role: "user", parts: [{ text: "hi" }] }], tools: [{ googleSearch: {} }] },
      }),
    },
    {
      field: "request.toolConfig.functionCallingConfig.allowedFunctionNames",
      line: () => ({
        key: "r1",
        request: {
          contents: [{ role: "user", parts: [{ text: "hi" }] }],
          tools: [{ functionDeclarations: [{ name: "a" }, { name: "b" }, { name: "c" }] }],
          toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["a", "b"] } },
        },
      }),
    },
    {
      field: "request.contents.0.parts.1.fileData",
      line: () => ({
        key: "r1",
        request: {
          contents: [{ role: "user", parts: [{ text: "hi" }, { fileData: { fileUri: "gs://b/x.pdf" } }] }],
        },
      }),
    },
  ],
  bedrock: [
    {
      field: "modelInput.toolConfig.tools.0.cachePoint",
      line: () => ({
        recordId: "r1",
        modelInput: {
          messages: [{ role: "user", content: [{ text: "hi" }] }],
          toolConfig: {
            // A breakpoint with nothing before it.
            tools: [
              { cachePoint: { type: "default" } },
              { toolSpec: { name: "f", inputSchema: { json: { type: "object" } } } },
            ],
          },
        },
      }),
    },
    {
      field: "modelInput.messages.0.content.1.document.format",
      line: () => ({
        recordId: "r1",
        modelInput: {
          messages: [
            {
              role: "user",
              content: [{ text: "hi" }, { document: { format: "docx", name: "a", source: { bytes: "UEsDBA==" } } }],
            },
          ],
        },
      }),
    },
  ],
};

const providers: Provider[] = ["openai", "anthropic", "gemini", "bedrock"];
const create = async (provider: Provider, line: object) => {
  const gateway = filesOnlyGateway();
  const file = await batchInputFile(gateway.deps, JSON.stringify(line));
  return createBatch(gateway.deps, {
    tenant: "t",
    dialect: "openai",
    provider,
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    model: models[provider],
    inputFile: { id: file.id, shown: file.id },
  });
};

describe("nothing dropped in silence: a field the gateway cannot carry is refused by name at create", () => {
  const cases = Object.entries(withField).flatMap(([format, lines]) =>
    lines.flatMap(({ field, line }) => providers.map((provider) => ({ format, field, line, provider }))),
  );
  it.each(cases)("$format line with $field on $provider", async ({ format, field, line, provider }) => {
    const attempt = create(provider, line(models[provider]));
    if (format === provider) {
      // A line goes to the provider of its own format as written, and comes back as it answered: nothing is lost.
      expect((await attempt).status).toBe("validating");
      return;
    }
    await expect(attempt).rejects.toThrow(
      new RegExp(`^Line 1: '${field.replaceAll(".", "\\.")}' cannot be carried to ${provider}: between providers`),
    );
  });

  it("carries a field at the value that asks for nothing more (n: 1, responseModalities: [TEXT]) to every provider", async () => {
    const openai = (model: string) => ({
      custom_id: "r1",
      method: "POST",
      url: "/v1/chat/completions",
      body: { model, messages: [{ role: "user", content: "hi" }], n: 1, modalities: ["text"], stream: false },
    });
    const gemini = {
      key: "r1",
      request: {
        contents: [{ role: "user", parts: [{ text: "hi" }] }],
        generationConfig: { responseModalities: ["TEXT"], candidateCount: 1 },
      },
    };
    for (const provider of providers) {
      expect((await create(provider, openai(models[provider]))).status).toBe("validating");
      expect((await create(provider, gemini)).status).toBe("validating");
    }
  });

  it("reads Claude's InvokeModel body as Claude's: its max_tokens, temperature and system reach the provider", async () => {
    const record = {
      recordId: "r1",
      modelInput: {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 50,
        temperature: 0.2,
        system: "Be brief.",
        messages: [{ role: "user", content: "hi" }],
      },
    };
    const { request } = parseAnyLine(record, 1);
    expect(request.shape).toBe("claude-invoke");
    // Never 4,096 tokens and no sampling: the Converse record the upstream job reads says what the body said.
    expect(toConverseInput(request.request)).toMatchObject({
      system: [{ text: "Be brief." }],
      inferenceConfig: { maxTokens: 50, temperature: 0.2 },
    });
    for (const provider of providers) expect((await create(provider, record)).status).toBe("validating");
  });

  it("names a body it cannot read as such, instead of reading it as Converse (4,096 tokens, no sampling)", async () => {
    const record = { recordId: "r1", modelInput: { messages: [{ role: "user", content: "hi" }], max_tokens: 50 } };
    await expect(create("bedrock", record)).rejects.toThrow(
      /^Line 1: 'modelInput' has 'max_tokens', which Converse records do not/,
    );
    const titan = { recordId: "r1", modelInput: { inputText: "hi" } };
    await expect(create("bedrock", titan)).rejects.toThrow(
      /^Line 1: a Titan Text InvokeModel body for anthropic\.claude-3-haiku-20240307-v1:0: Bedrock runs/,
    );
  });

  it.each([
    [
      { custom_id: "r1", method: "POST", url: "/v1/chat/completions", body: {}, metadata: {} },
      "metadata",
      "an OpenAI batch line, which holds custom_id, method, url, body",
    ],
    [
      { custom_id: "r1", params: {}, metadata: {} },
      "metadata",
      "an Anthropic batch request, which holds custom_id, params",
    ],
    [{ key: "r1", request: {}, config: {} }, "config", "a Gemini batch line, which holds key, request, metadata"],
    [{ recordId: "r1", modelInput: {}, modelId: "m" }, "modelId", "a Bedrock record, which holds recordId, modelInput"],
  ])("refuses a key beside the payload by name on every provider: %j", async (line, key, what) => {
    for (const provider of providers)
      await expect(create(provider, line)).rejects.toThrow(`Line 1: '${key}' is not a field of ${what}.`);
  });
});
