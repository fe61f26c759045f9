import { describe, expect, it } from "vitest";
import { carriage, refusalOn } from "../../lambdas/core/carriage";
import type { InputFormat } from "../../lambdas/core/chat";
import type { Provider } from "../../lambdas/core/model";
import { toAnthropicParams } from "../../lambdas/formats/anthropic-messages";
import { toConverseInput } from "../../lambdas/formats/bedrock-records";
import { parseAnyLine } from "../../lambdas/formats/detect";
import { toGeminiRequest } from "../../lambdas/formats/gemini";
import { toOpenAiChatBody } from "../../lambdas/formats/openai-batch";

/**
 * The conversion matrix: every feature of the carriage table × every input format that can say it × every
 * provider. Each cell is carried — seen in the upstream request in the provider's own shape — or refused by name.
 * The expectations here are written from the providers' documented request shapes, not from the table, and the
 * table must agree with them cell for cell.
 */

const schema = { type: "object", properties: { label: { type: "string", enum: ["bug", "billing"] } } };
const imageData = "iVBORw0KGgo=";
const imageUrl = "https://example.com/cat.png";
const pdf = "JVBERi0xLjcK";

type Lines = Partial<Record<InputFormat, object>>;
const refused = "refused" as const;
type Upstream = Record<Provider, object | typeof refused>;

const openai = (body: object, messages: object[] = [{ role: "user", content: "hi" }]) => ({
  custom_id: "r1",
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "m", messages, ...body },
});
const anthropic = (params: object, messages: object[] = [{ role: "user", content: "hi" }]) => ({
  custom_id: "r1",
  params: { model: "m", max_tokens: 100, messages, ...params },
});
const gemini = (request: object, contents: object[] = [{ role: "user", parts: [{ text: "hi" }] }]) => ({
  key: "r1",
  request: { contents, ...request },
});
const converse = (modelInput: object, messages: object[] = [{ role: "user", content: [{ text: "hi" }] }]) => ({
  recordId: "r1",
  modelInput: { messages, ...modelInput },
});

const tools = {
  openai: { tools: [{ type: "function", function: { name: "classify", description: "Label", parameters: schema } }] },
  anthropic: { tools: [{ name: "classify", description: "Label", input_schema: schema }] },
  gemini: {
    tools: [{ functionDeclarations: [{ name: "classify", description: "Label", parametersJsonSchema: schema }] }],
  },
  converse: (toolChoice?: object) => ({
    toolConfig: {
      tools: [{ toolSpec: { name: "classify", description: "Label", inputSchema: { json: schema } } }],
      ...(toolChoice && { toolChoice }),
    },
  }),
};
const upstreamTools = {
  openai: { tools: [{ type: "function", function: { name: "classify", parameters: schema } }] },
  anthropic: { tools: [{ name: "classify", input_schema: schema }] },
  gemini: { tools: [{ functionDeclarations: [{ name: "classify", parametersJsonSchema: schema }] }] },
  bedrock: { toolConfig: { tools: [{ toolSpec: { name: "classify", inputSchema: { json: schema } } }] } },
};

/** A conversation with one tool call answered. */
const toolTurns = {
  openai: [
    { role: "user", content: "Label ticket 7" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "classify", arguments: '{"label":"bug"}' } }],
    },
    { role: "tool", tool_call_id: "call_1", content: "saved" },
  ],
  anthropic: [
    { role: "user", content: "Label ticket 7" },
    { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "classify", input: { label: "bug" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "saved" }] },
  ],
  gemini: [
    { role: "user", parts: [{ text: "Label ticket 7" }] },
    { role: "model", parts: [{ functionCall: { id: "call_1", name: "classify", args: { label: "bug" } } }] },
    { role: "user", parts: [{ functionResponse: { id: "call_1", name: "classify", response: { output: "saved" } } }] },
  ],
  converse: [
    { role: "user", content: [{ text: "Label ticket 7" }] },
    { role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "classify", input: { label: "bug" } } }] },
    { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "saved" }] } }] },
  ],
};
const upstreamToolTurns = {
  openai: {
    messages: [
      { role: "user", content: "Label ticket 7" },
      {
        role: "assistant",
        tool_calls: [{ id: "call_1", function: { name: "classify", arguments: '{"label":"bug"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "saved" },
    ],
  },
  anthropic: {
    messages: [
      { role: "user" },
      { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "classify", input: { label: "bug" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "saved" }] },
    ],
  },
  gemini: {
    contents: [
      { role: "user" },
      { role: "model", parts: [{ functionCall: { id: "call_1", name: "classify", args: { label: "bug" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "classify", response: { output: "saved" } } }] },
    ],
  },
  bedrock: {
    messages: [
      { role: "user" },
      { role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "classify", input: { label: "bug" } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "saved" }] } }] },
    ],
  },
};
const forcedJsonTool = (json: object) => ({
  anthropic: {
    tools: [{ name: "finops_structured_output", input_schema: json }],
    tool_choice: { type: "tool", name: "finops_structured_output" },
  },
  bedrock: {
    toolConfig: {
      tools: [{ toolSpec: { name: "finops_structured_output", inputSchema: { json } } }],
      toolChoice: { tool: { name: "finops_structured_output" } },
    },
  },
});

/** The batch's model where a feature depends on the model family (Claude on Bedrock takes thinking). */
const bedrockModel = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const thinks = (budget: number) => ({
  anthropic: { thinking: { type: "enabled", budget_tokens: budget } },
  bedrock: { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: budget } } },
  gemini: { generationConfig: { thinkingConfig: { thinkingBudget: budget } } },
});

const cases: Record<string, { lines: Lines; upstream: Upstream; model?: string }> = {
  "text messages and the system prompt": {
    lines: {
      openai: openai({}, [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ]),
      anthropic: anthropic({ system: "Be brief." }),
      gemini: gemini({ systemInstruction: { parts: [{ text: "Be brief." }] } }),
      bedrock: converse({ system: [{ text: "Be brief." }] }),
    },
    upstream: {
      openai: {
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hi" },
        ],
      },
      anthropic: { system: "Be brief.", messages: [{ role: "user", content: "hi" }] },
      gemini: { systemInstruction: { parts: [{ text: "Be brief." }] }, contents: [{ parts: [{ text: "hi" }] }] },
      bedrock: { system: [{ text: "Be brief." }], messages: [{ content: [{ text: "hi" }] }] },
    },
  },
  "images as base64": {
    lines: {
      openai: openai({}, [
        { role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${imageData}` } }] },
      ]),
      anthropic: anthropic({}, [
        {
          role: "user",
          content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: imageData } }],
        },
      ]),
      gemini: gemini({}, [{ role: "user", parts: [{ inlineData: { mimeType: "image/png", data: imageData } }] }]),
      bedrock: converse({}, [{ role: "user", content: [{ image: { format: "png", source: { bytes: imageData } } }] }]),
    },
    upstream: {
      openai: { messages: [{ content: [{ image_url: { url: `data:image/png;base64,${imageData}` } }] }] },
      anthropic: { messages: [{ content: [{ source: { type: "base64", data: imageData } }] }] },
      gemini: { contents: [{ parts: [{ inlineData: { mimeType: "image/png", data: imageData } }] }] },
      bedrock: { messages: [{ content: [{ image: { format: "png", source: { bytes: imageData } } }] }] },
    },
  },
  "PDF documents": {
    lines: {
      openai: openai({}, [
        {
          role: "user",
          content: [
            { type: "file", file: { filename: "q3 report.pdf", file_data: `data:application/pdf;base64,${pdf}` } },
          ],
        },
      ]),
      anthropic: anthropic({}, [
        {
          role: "user",
          content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } }],
        },
      ]),
      gemini: gemini({}, [{ role: "user", parts: [{ inlineData: { mimeType: "application/pdf", data: pdf } }] }]),
      bedrock: converse({}, [
        { role: "user", content: [{ document: { format: "pdf", name: "q3 report", source: { bytes: pdf } } }] },
      ]),
    },
    upstream: {
      openai: {
        messages: [{ content: [{ type: "file", file: { file_data: `data:application/pdf;base64,${pdf}` } }] }],
      },
      anthropic: {
        messages: [
          { content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } }] },
        ],
      },
      gemini: { contents: [{ parts: [{ inlineData: { mimeType: "application/pdf", data: pdf } }] }] },
      bedrock: { messages: [{ content: [{ document: { format: "pdf", source: { bytes: pdf } } }] }] },
    },
  },
  "inline media other than images and PDFs (audio, video)": {
    lines: { gemini: gemini({}, [{ role: "user", parts: [{ inlineData: { mimeType: "audio/mp3", data: pdf } }] }]) },
    upstream: { openai: refused, anthropic: refused, gemini: {}, bedrock: refused },
  },
  "an image by URL": {
    lines: {
      openai: openai({}, [{ role: "user", content: [{ type: "image_url", image_url: { url: imageUrl } }] }]),
      anthropic: anthropic({}, [
        { role: "user", content: [{ type: "image", source: { type: "url", url: imageUrl } }] },
      ]),
    },
    upstream: {
      openai: { messages: [{ content: [{ image_url: { url: imageUrl } }] }] },
      anthropic: { messages: [{ content: [{ source: { type: "url", url: imageUrl } }] }] },
      gemini: { contents: [{ parts: [{ fileData: { fileUri: imageUrl } }] }] },
      bedrock: refused,
    },
  },
  "the output token limit": {
    lines: {
      openai: openai({ max_completion_tokens: 50 }),
      anthropic: anthropic({ max_tokens: 50 }),
      gemini: gemini({ generationConfig: { maxOutputTokens: 50 } }),
      bedrock: converse({ inferenceConfig: { maxTokens: 50 } }),
    },
    upstream: {
      openai: { max_completion_tokens: 50 },
      anthropic: { max_tokens: 50 },
      gemini: { generationConfig: { maxOutputTokens: 50 } },
      bedrock: { inferenceConfig: { maxTokens: 50 } },
    },
  },
  "a temperature up to 1": {
    lines: {
      openai: openai({ temperature: 0.5 }),
      anthropic: anthropic({ temperature: 0.5 }),
      gemini: gemini({ generationConfig: { temperature: 0.5 } }),
      bedrock: converse({ inferenceConfig: { temperature: 0.5 } }),
    },
    upstream: {
      openai: { temperature: 0.5 },
      anthropic: { temperature: 0.5 },
      gemini: { generationConfig: { temperature: 0.5 } },
      bedrock: { inferenceConfig: { temperature: 0.5 } },
    },
  },
  "a temperature above 1": {
    lines: {
      openai: openai({ temperature: 1.5 }),
      gemini: gemini({ generationConfig: { temperature: 1.5 } }),
      bedrock: converse({ inferenceConfig: { temperature: 1.5 } }),
    },
    upstream: {
      openai: { temperature: 1.5 },
      anthropic: refused,
      gemini: { generationConfig: { temperature: 1.5 } },
      bedrock: refused,
    },
  },
  top_p: {
    lines: {
      openai: openai({ top_p: 0.9 }),
      anthropic: anthropic({ top_p: 0.9 }),
      gemini: gemini({ generationConfig: { topP: 0.9 } }),
      bedrock: converse({ inferenceConfig: { topP: 0.9 } }),
    },
    upstream: {
      openai: { top_p: 0.9 },
      anthropic: { top_p: 0.9 },
      gemini: { generationConfig: { topP: 0.9 } },
      bedrock: { inferenceConfig: { topP: 0.9 } },
    },
  },
  "stop sequences": {
    lines: {
      openai: openai({ stop: ["END"] }),
      anthropic: anthropic({ stop_sequences: ["END"] }),
      gemini: gemini({ generationConfig: { stopSequences: ["END"] } }),
      bedrock: converse({ inferenceConfig: { stopSequences: ["END"] } }),
    },
    upstream: {
      openai: { stop: ["END"] },
      anthropic: { stop_sequences: ["END"] },
      gemini: { generationConfig: { stopSequences: ["END"] } },
      bedrock: { inferenceConfig: { stopSequences: ["END"] } },
    },
  },
  "prompt-cache breakpoints": {
    lines: {
      anthropic: anthropic(
        {
          system: [{ type: "text", text: "Long rules.", cache_control: { type: "ephemeral" } }],
          tools: [{ ...tools.anthropic.tools[0], cache_control: { type: "ephemeral" } }],
        },
        [{ role: "user", content: [{ type: "text", text: "Long document.", cache_control: { type: "ephemeral" } }] }],
      ),
      bedrock: converse(
        {
          system: [{ text: "Long rules." }, { cachePoint: { type: "default" } }],
          toolConfig: {
            tools: [...tools.converse().toolConfig.tools, { cachePoint: { type: "default" } }],
          },
        },
        [{ role: "user", content: [{ text: "Long document." }, { cachePoint: { type: "default" } }] }],
      ),
    },
    upstream: {
      // Caching without markers: the prefix goes as it is.
      openai: {
        messages: [
          { role: "system", content: "Long rules." },
          { role: "user", content: "Long document." },
        ],
      },
      anthropic: {
        system: [{ type: "text", text: "Long rules.", cache_control: { type: "ephemeral" } }],
        tools: [{ name: "classify", cache_control: { type: "ephemeral" } }],
        messages: [{ content: [{ type: "text", text: "Long document.", cache_control: { type: "ephemeral" } }] }],
      },
      gemini: { systemInstruction: { parts: [{ text: "Long rules." }] } },
      bedrock: {
        system: [{ text: "Long rules." }, { cachePoint: { type: "default" } }],
        toolConfig: { tools: [{ toolSpec: { name: "classify" } }, { cachePoint: { type: "default" } }] },
        messages: [{ content: [{ text: "Long document." }, { cachePoint: { type: "default" } }] }],
      },
    },
  },
  seed: {
    lines: { openai: openai({ seed: 42 }), gemini: gemini({ generationConfig: { seed: 42 } }) },
    upstream: {
      openai: { seed: 42 },
      anthropic: refused,
      gemini: { generationConfig: { seed: 42 } },
      bedrock: refused,
    },
  },
  "presence and frequency penalties": {
    lines: {
      openai: openai({ presence_penalty: 0.5, frequency_penalty: 0.25 }),
      gemini: gemini({ generationConfig: { presencePenalty: 0.5, frequencyPenalty: 0.25 } }),
    },
    upstream: {
      openai: { presence_penalty: 0.5, frequency_penalty: 0.25 },
      anthropic: refused,
      gemini: { generationConfig: { presencePenalty: 0.5, frequencyPenalty: 0.25 } },
      bedrock: refused,
    },
  },
  "function tools": {
    lines: {
      openai: openai(tools.openai),
      anthropic: anthropic(tools.anthropic),
      gemini: gemini(tools.gemini),
      bedrock: converse(tools.converse()),
    },
    upstream: upstreamTools,
  },
  "tool_choice 'auto'": {
    lines: {
      openai: openai({ ...tools.openai, tool_choice: "auto" }),
      anthropic: anthropic({ ...tools.anthropic, tool_choice: { type: "auto" } }),
      gemini: gemini({ ...tools.gemini, toolConfig: { functionCallingConfig: { mode: "AUTO" } } }),
      bedrock: converse(tools.converse({ auto: {} })),
    },
    upstream: {
      openai: { tool_choice: "auto" },
      anthropic: { tool_choice: { type: "auto" } },
      gemini: { toolConfig: { functionCallingConfig: { mode: "AUTO" } } },
      bedrock: { toolConfig: { toolChoice: { auto: {} } } },
    },
  },
  "tool_choice 'required' (any tool)": {
    lines: {
      openai: openai({ ...tools.openai, tool_choice: "required" }),
      anthropic: anthropic({ ...tools.anthropic, tool_choice: { type: "any" } }),
      gemini: gemini({ ...tools.gemini, toolConfig: { functionCallingConfig: { mode: "ANY" } } }),
      bedrock: converse(tools.converse({ any: {} })),
    },
    upstream: {
      openai: { tool_choice: "required" },
      anthropic: { tool_choice: { type: "any" } },
      gemini: { toolConfig: { functionCallingConfig: { mode: "ANY" } } },
      bedrock: { toolConfig: { toolChoice: { any: {} } } },
    },
  },
  "a tool_choice naming one tool": {
    lines: {
      openai: openai({ ...tools.openai, tool_choice: { type: "function", function: { name: "classify" } } }),
      anthropic: anthropic({ ...tools.anthropic, tool_choice: { type: "tool", name: "classify" } }),
      gemini: gemini({
        ...tools.gemini,
        toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["classify"] } },
      }),
      bedrock: converse(tools.converse({ tool: { name: "classify" } })),
    },
    upstream: {
      openai: { tool_choice: { type: "function", function: { name: "classify" } } },
      anthropic: { tool_choice: { type: "tool", name: "classify" } },
      gemini: { toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["classify"] } } },
      bedrock: { toolConfig: { toolChoice: { tool: { name: "classify" } } } },
    },
  },
  "tool_choice 'none'": {
    lines: {
      openai: openai({ ...tools.openai, tool_choice: "none" }),
      anthropic: anthropic({ ...tools.anthropic, tool_choice: { type: "none" } }),
      gemini: gemini({ ...tools.gemini, toolConfig: { functionCallingConfig: { mode: "NONE" } } }),
    },
    upstream: {
      openai: { tool_choice: "none" },
      anthropic: { tool_choice: { type: "none" } },
      gemini: { toolConfig: { functionCallingConfig: { mode: "NONE" } } },
      bedrock: refused,
    },
  },
  "parallel_tool_calls: false": {
    lines: {
      openai: openai({ ...tools.openai, parallel_tool_calls: false }),
      anthropic: anthropic({ ...tools.anthropic, tool_choice: { type: "auto", disable_parallel_tool_use: true } }),
    },
    upstream: {
      openai: { parallel_tool_calls: false },
      anthropic: { tool_choice: { type: "auto", disable_parallel_tool_use: true } },
      gemini: refused,
      bedrock: refused,
    },
  },
  "tool calls and tool results in the conversation": {
    lines: {
      openai: openai(tools.openai, toolTurns.openai),
      anthropic: anthropic(tools.anthropic, toolTurns.anthropic),
      gemini: gemini(tools.gemini, toolTurns.gemini),
      bedrock: converse(tools.converse(), toolTurns.converse),
    },
    upstream: upstreamToolTurns,
  },
  "tool calls in the conversation without tools": {
    lines: {
      openai: openai({}, toolTurns.openai),
      anthropic: anthropic({}, toolTurns.anthropic),
      gemini: gemini({}, toolTurns.gemini),
    },
    upstream: { ...upstreamToolTurns, bedrock: refused },
  },
  "JSON mode": {
    lines: {
      openai: openai({ response_format: { type: "json_object" } }),
      gemini: gemini({ generationConfig: { responseMimeType: "application/json" } }),
    },
    upstream: {
      openai: { response_format: { type: "json_object" } },
      gemini: { generationConfig: { responseMimeType: "application/json" } },
      ...forcedJsonTool({ type: "object" }),
    },
  },
  "a JSON schema for the answer": {
    lines: {
      openai: openai({
        response_format: { type: "json_schema", json_schema: { name: "ticket", schema, strict: true } },
      }),
      gemini: gemini({ generationConfig: { responseMimeType: "application/json", responseJsonSchema: schema } }),
    },
    upstream: {
      openai: { response_format: { type: "json_schema", json_schema: { schema } } },
      gemini: { generationConfig: { responseMimeType: "application/json", responseJsonSchema: schema } },
      ...forcedJsonTool(schema),
    },
  },
  "a JSON schema whose root is not an object": {
    lines: {
      openai: openai({
        response_format: { type: "json_schema", json_schema: { name: "labels", schema: { type: "array" } } },
      }),
      gemini: gemini({ generationConfig: { responseMimeType: "application/json", responseSchema: { type: "ARRAY" } } }),
    },
    upstream: {
      openai: { response_format: { json_schema: { schema: { type: "array" } } } },
      gemini: { generationConfig: { responseJsonSchema: { type: "array" } } },
      anthropic: refused,
      bedrock: refused,
    },
  },
  "reasoning (an effort or a budget of thinking tokens)": {
    lines: {
      openai: openai({ reasoning_effort: "high" }),
      anthropic: anthropic({ max_tokens: 30_000, thinking: { type: "enabled", budget_tokens: 24_576 } }),
      gemini: gemini({ generationConfig: { thinkingConfig: { thinkingBudget: 24_576, includeThoughts: true } } }),
      bedrock: converse({
        inferenceConfig: { maxTokens: 30_000 },
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 24_576 } },
      }),
    },
    upstream: { openai: { reasoning_effort: "high" }, ...thinks(24_576) },
  },
  "reasoning on a Bedrock model other than Claude": {
    model: "amazon.nova-pro-v1:0",
    lines: { openai: openai({ reasoning_effort: "low" }) },
    upstream: { openai: { reasoning_effort: "low" }, ...thinks(2048), bedrock: refused },
  },
  "reasoning with a forced tool choice or structured output": {
    lines: {
      openai: openai({ reasoning_effort: "low", response_format: { type: "json_object" } }),
      anthropic: anthropic({
        ...tools.anthropic,
        max_tokens: 4000,
        thinking: { type: "enabled", budget_tokens: 2048 },
        tool_choice: { type: "tool", name: "classify" },
      }),
      gemini: gemini({
        generationConfig: { thinkingConfig: { thinkingBudget: 2048 }, responseMimeType: "application/json" },
      }),
    },
    upstream: {
      openai: { reasoning_effort: "low" },
      gemini: thinks(2048).gemini,
      anthropic: refused,
      bedrock: refused,
    },
  },
  "reasoning with temperature or top_p": {
    lines: {
      openai: openai({ reasoning_effort: "low", temperature: 0.5 }),
      gemini: gemini({ generationConfig: { thinkingConfig: { thinkingBudget: 2048 }, temperature: 0.5 } }),
    },
    upstream: {
      openai: { reasoning_effort: "low", temperature: 0.5 },
      gemini: { generationConfig: { thinkingConfig: { thinkingBudget: 2048 }, temperature: 0.5 } },
      anthropic: refused,
      bedrock: refused,
    },
  },
  "reasoning within 1,024 output tokens or fewer": {
    lines: {
      openai: openai({ reasoning_effort: "low", max_completion_tokens: 500 }),
      gemini: gemini({ generationConfig: { thinkingConfig: { thinkingBudget: 2048 }, maxOutputTokens: 500 } }),
    },
    upstream: {
      openai: { reasoning_effort: "low", max_completion_tokens: 500 },
      gemini: { generationConfig: { thinkingConfig: { thinkingBudget: 2048 }, maxOutputTokens: 500 } },
      anthropic: refused,
      bedrock: refused,
    },
  },
  "structured output together with tools": {
    lines: {
      openai: openai({ ...tools.openai, response_format: { type: "json_object" } }),
      gemini: gemini({ ...tools.gemini, generationConfig: { responseMimeType: "application/json" } }),
    },
    upstream: {
      openai: { ...upstreamTools.openai, response_format: { type: "json_object" } },
      gemini: { ...upstreamTools.gemini, generationConfig: { responseMimeType: "application/json" } },
      anthropic: refused,
      bedrock: refused,
    },
  },
};

/** The request each provider would be sent: every pair converted but a line on its own format's provider. */
const upstreamOf = (line: Record<string, unknown>, provider: Provider): unknown => {
  const { request } = parseAnyLine(line, 1);
  switch (provider) {
    case "openai":
      return toOpenAiChatBody(request.request, "m");
    case "anthropic":
      return toAnthropicParams(request.request, "m");
    case "gemini":
      return toGeminiRequest(request.request);
    case "bedrock":
      return toConverseInput(request.request);
  }
};

const providers: Provider[] = ["openai", "anthropic", "gemini", "bedrock"];

describe("the conversion matrix: feature × input format × provider", () => {
  it("has a case for every row of the carriage table, and a row for every case", () => {
    expect(Object.keys(cases).sort()).toEqual(carriage.map((f) => f.name).sort());
  });

  const cells = Object.entries(cases).flatMap(([feature, { lines, upstream, model = bedrockModel }]) =>
    Object.entries(lines).flatMap(([format, line]) =>
      providers.map((provider) => ({
        feature,
        format: format as InputFormat,
        line,
        provider,
        model,
        want: upstream[provider],
      })),
    ),
  );

  it.each(cells)("$feature: $format line on $provider", ({ feature, format, line, provider, model, want }) => {
    const { request } = parseAnyLine(line as Record<string, unknown>, 1);
    expect(request.uncarried).toBeUndefined();
    if (format === provider) {
      // Sent as written, every field (the provider itself judges it): its own body, untouched.
      const own = { openai: "body", anthropic: "params", gemini: "request", bedrock: "modelInput" }[format];
      expect(request.native ?? (line as Record<string, unknown>).body).toBe((line as Record<string, unknown>)[own]);
      return;
    }
    const refusal = refusalOn(request.request, provider, model);
    if (want === refused) {
      expect(refusal?.feature).toBe(feature);
      return;
    }
    expect(refusal).toBeUndefined();
    expect(upstreamOf(line as Record<string, unknown>, provider)).toMatchObject(want);
  });
});
