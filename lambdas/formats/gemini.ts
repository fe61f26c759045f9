import * as z from "zod";
import type { ChatPart, ChatRequest, ChatResponse, NeutralRequest } from "../core/chat";
import { chatEndpoint } from "../core/chat";
import type { NeutralResult } from "../core/model";
import { geminiCarried, uncarriedFields } from "./carried";
import { parseLine } from "./line-errors";

const toPart = (part: ChatPart) =>
  part.type === "text"
    ? { text: part.text }
    : part.data
      ? { inlineData: { mimeType: part.mediaType ?? "image/png", data: part.data } }
      : { fileData: { fileUri: part.url, mimeType: part.mediaType ?? "image/png" } };

/** The neutral request as a Gemini GenerateContentRequest (roles user/model, system instruction, generation config). */
export const toGeminiRequest = (request: ChatRequest) => {
  const generationConfig = {
    ...(request.maxTokens !== undefined && { maxOutputTokens: request.maxTokens }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { topP: request.topP }),
    ...(request.stop !== undefined && { stopSequences: request.stop }),
  };
  return {
    contents: request.messages.map((m) => ({
      role: m.role === "assistant" ? "model" : "user",
      parts: m.content.map(toPart),
    })),
    ...(request.system && { systemInstruction: { parts: [{ text: request.system }] } }),
    ...(Object.keys(generationConfig).length > 0 && { generationConfig }),
  };
};

const part = z
  .object({ text: z.string().optional(), inlineData: z.object({ mimeType: z.string(), data: z.string() }).optional() })
  .loose();
const generationConfig = z
  .object({
    maxOutputTokens: z.number().int().positive().optional(),
    max_output_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stopSequences: z.array(z.string()).optional(),
    stop_sequences: z.array(z.string()).optional(),
  })
  .loose();
const generateContentRequest = z
  .object({
    model: z.string().optional(),
    contents: z
      .array(z.object({ role: z.enum(["user", "model"]).optional(), parts: z.array(part) }))
      .min(1, "needs at least one content"),
    systemInstruction: z.object({ parts: z.array(part) }).optional(),
    system_instruction: z.object({ parts: z.array(part) }).optional(),
    generationConfig: generationConfig.optional(),
    generation_config: generationConfig.optional(),
  })
  .loose();
const keyedLine = z.union([
  z.object({ key: z.string().min(1), request: generateContentRequest }),
  z.object({ request: generateContentRequest, metadata: z.object({ key: z.string().min(1) }) }),
]);

/** True when a parsed line looks like a Gemini batch line (`{key, request}` or `{request, metadata.key}`). */
export const isGeminiLine = (line: Record<string, unknown>): boolean =>
  "request" in line && ("key" in line || "metadata" in line);

const fromParts = (parts: z.infer<typeof part>[]): ChatPart[] =>
  parts.flatMap((p): ChatPart[] => [
    ...(p.text !== undefined ? [{ type: "text" as const, text: p.text }] : []),
    ...(p.inlineData ? [{ type: "image" as const, mediaType: p.inlineData.mimeType, data: p.inlineData.data }] : []),
  ]);

/** A Gemini GenerateContentRequest as the neutral request (camelCase or snake_case fields). */
export const chatRequestFromGemini = (request: z.infer<typeof generateContentRequest>): ChatRequest => {
  const config = request.generationConfig ?? request.generation_config;
  const system = request.systemInstruction ?? request.system_instruction;
  return {
    model: request.model?.replace(/^models\//, ""),
    system: system ? system.parts.map((p) => p.text ?? "").join("") : undefined,
    messages: request.contents.map((c) => ({
      role: c.role === "model" ? "assistant" : "user",
      content: fromParts(c.parts),
    })),
    maxTokens: config?.maxOutputTokens ?? config?.max_output_tokens,
    temperature: config?.temperature,
    topP: config?.topP ?? config?.top_p,
    stop: config?.stopSequences ?? config?.stop_sequences,
  };
};

/** Parses one Gemini batch line. */
export const parseGeminiLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  const line = parseLine(keyedLine, value, lineNumber);
  const key = "key" in line ? line.key : line.metadata.key;
  const uncarried = uncarriedFields(value.request, geminiCarried, "request");
  return {
    customId: key,
    lineNumber,
    endpoint: chatEndpoint,
    ...(uncarried.length > 0 && { uncarried }),
    request: chatRequestFromGemini(line.request),
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
            content: z.object({ parts: z.array(part).default([]) }).optional(),
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
  return {
    id: r.responseId,
    model: r.modelVersion || model,
    created,
    text: (candidate?.content?.parts ?? []).map((p) => p.text ?? "").join(""),
    finishReason: finishReasons[candidate?.finishReason ?? "STOP"] ?? "stop",
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
