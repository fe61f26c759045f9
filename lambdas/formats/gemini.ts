import * as z from "zod";
import type { ChatPart, ChatRequest, ChatResponse, ToolChoice } from "../core/chat";
import { answerOf, reasoningBudget, reasoningOf } from "../core/chat";
import type { NeutralResult } from "../core/model";
import { geminiPart } from "./gemini-request";
import { parseLine } from "./line-errors";

/** One neutral part as a Gemini part; `functionResponse` names its function, found from the call it answers. */
const toGeminiPart = (part: ChatPart, names: Map<string, string>) => {
  switch (part.type) {
    case "text":
      return { text: part.text };
    case "image":
      return part.data
        ? { inlineData: { mimeType: part.mediaType ?? "image/png", data: part.data } }
        : { fileData: { fileUri: part.url, mimeType: part.mediaType ?? "image/png" } };
    case "document":
      return { inlineData: { mimeType: part.mediaType, data: part.data } };
    case "tool_call":
      names.set(part.id, part.name);
      return { functionCall: { id: part.id, name: part.name, args: part.arguments } };
    case "tool_result":
      return {
        functionResponse: {
          id: part.id,
          name: part.name ?? names.get(part.id) ?? "tool",
          response: part.isError ? { error: part.content } : { output: part.content },
        },
      };
  }
};

const toToolConfig = (choice: ToolChoice) => ({
  functionCallingConfig:
    choice.type === "tool"
      ? { mode: "ANY", allowedFunctionNames: [choice.name] }
      : { mode: { auto: "AUTO", none: "NONE", required: "ANY" }[choice.type] },
});

/**
 * The neutral request as a Gemini GenerateContentRequest (roles user/model, system instruction, generation config,
 * function declarations with JSON Schema parameters, structured output as `responseJsonSchema`).
 */
export const toGeminiRequest = (request: ChatRequest) => {
  const format = request.responseFormat;
  const generationConfig = {
    ...(request.maxTokens !== undefined && { maxOutputTokens: request.maxTokens }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { topP: request.topP }),
    ...(request.stop !== undefined && { stopSequences: request.stop }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...(request.presencePenalty !== undefined && { presencePenalty: request.presencePenalty }),
    ...(request.frequencyPenalty !== undefined && { frequencyPenalty: request.frequencyPenalty }),
    ...(format && { responseMimeType: "application/json" }),
    ...(format?.type === "json_schema" && { responseJsonSchema: format.schema }),
    ...(request.reasoning && {
      thinkingConfig: {
        thinkingBudget: reasoningBudget(request.reasoning),
        ...(request.reasoning.show && { includeThoughts: true }),
      },
    }),
  };
  const names = new Map<string, string>();
  return {
    contents: request.messages.map((m) => ({
      role: m.role === "assistant" ? "model" : "user",
      parts: m.content.map((part) => toGeminiPart(part, names)),
    })),
    ...(request.system && { systemInstruction: { parts: [{ text: request.system }] } }),
    ...(request.tools && {
      tools: [
        {
          functionDeclarations: request.tools.map((t) => ({
            name: t.name,
            ...(t.description !== undefined && { description: t.description }),
            parametersJsonSchema: t.parameters,
          })),
        },
      ],
    }),
    ...(request.toolChoice && { toolConfig: toToolConfig(request.toolChoice) }),
    ...(Object.keys(generationConfig).length > 0 && { generationConfig }),
  };
};

const finishReasons: Record<string, ChatResponse["finishReason"]> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  MALFORMED_FUNCTION_CALL: "tool_calls",
};

const response = z
  .object({
    responseId: z.string().default(""),
    modelVersion: z.string().default(""),
    candidates: z
      .array(
        z
          .object({
            content: z.object({ parts: z.array(geminiPart).default([]) }).optional(),
            finishReason: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
    usageMetadata: z
      .object({
        promptTokenCount: z.number().default(0),
        candidatesTokenCount: z.number().default(0),
        thoughtsTokenCount: z.number().default(0),
        cachedContentTokenCount: z.number().default(0),
      })
      .loose()
      .default({ promptTokenCount: 0, candidatesTokenCount: 0, thoughtsTokenCount: 0, cachedContentTokenCount: 0 }),
  })
  .loose();

/** A GenerateContentResponse as the neutral response (thinking tokens count as output, as Gemini bills them). */
export const chatResponseFromGemini = (value: unknown, model: string, created: number): ChatResponse => {
  const r = response.parse(value);
  const candidate = r.candidates[0];
  const parts = candidate?.content?.parts ?? [];
  const calls = parts.flatMap((p, index) =>
    p.functionCall
      ? [{ id: p.functionCall.id ?? `call_${index}`, name: p.functionCall.name, input: p.functionCall.args ?? {} }]
      : [],
  );
  const finish = finishReasons[candidate?.finishReason ?? "STOP"] ?? "stop";
  return {
    id: r.responseId,
    model: r.modelVersion || model,
    created,
    // Thought summaries are not the answer: they are its reasoning.
    ...reasoningOf(parts.flatMap((p) => (p.thought && p.text ? [p.text] : []))),
    ...answerOf(
      parts.map((p) => (p.thought ? "" : (p.text ?? ""))).join(""),
      calls,
      calls.length > 0 && finish === "stop" ? "tool_calls" : finish,
      { format: "gemini", body: value },
    ),
    usage: {
      inputTokens: r.usageMetadata.promptTokenCount,
      outputTokens: r.usageMetadata.candidatesTokenCount + r.usageMetadata.thoughtsTokenCount,
      ...(r.usageMetadata.cachedContentTokenCount > 0 && {
        cachedInputTokens: r.usageMetadata.cachedContentTokenCount,
      }),
      ...(r.usageMetadata.thoughtsTokenCount > 0 && { reasoningTokens: r.usageMetadata.thoughtsTokenCount }),
    },
  };
};

/** google.rpc codes as HTTP statuses, for OpenAI's `response.status_code`. */
const rpcStatus: Record<number, number> = { 3: 400, 4: 504, 5: 404, 7: 403, 8: 429, 9: 400, 13: 500, 14: 503, 16: 401 };

const outputLine = z.object({
  key: z.string().optional(),
  metadata: z.object({ key: z.string() }).optional(),
  response: z.unknown().optional(),
  error: z
    .object({ code: z.number().default(13), message: z.string().default("") })
    .loose()
    .optional(),
});

/** One line of a Gemini responses file (`{key, response}` or `{key, error}`) as a neutral result. */
export const resultFromGeminiLine = (
  value: unknown,
  lineNumber: number,
  model: string,
  created: number,
): NeutralResult => {
  const line = parseLine(outputLine, value, lineNumber);
  const customId = line.key ?? line.metadata?.key ?? "";
  if (line.response !== undefined && !line.error)
    return { customId, outcome: "succeeded", response: chatResponseFromGemini(line.response, model, created) };
  const code = line.error?.code ?? 13;
  const statusCode = code >= 100 ? code : (rpcStatus[code] ?? 500);
  return {
    customId,
    outcome: "errored",
    error: {
      code: String(line.error?.code ?? "internal"),
      message: line.error?.message || "The request failed.",
      statusCode,
    },
  };
};
