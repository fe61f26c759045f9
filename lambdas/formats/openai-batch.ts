import * as z from "zod";
import {
  type ChatMessage,
  type ChatPart,
  type ChatRequest,
  type ChatResponse,
  chatEndpoint,
  type NeutralRequest,
} from "../core/chat";
import type { NeutralResult } from "../core/model";
import { openAiCarried, uncarriedFields } from "./carried";
import { parseLine } from "./line-errors";

const contentPart = z.union([
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string() }) }),
]);
const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant"], {
    error: "role must be system, developer, user or assistant",
  }),
  content: z.union([z.string(), z.array(contentPart)]),
});
const chatBody = z.object({
  model: z.string().min(1).optional(),
  messages: z.array(message).min(1, "needs at least one message"),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
});
const inputLine = z.object({
  custom_id: z.string().min(1, "custom_id must be a non-empty string"),
  method: z.literal("POST", { error: "method must be POST" }).default("POST"),
  url: z.string(),
  body: z.record(z.string(), z.unknown()),
});

/** True when a parsed line looks like an OpenAI batch input line. */
export const isOpenAiLine = (line: Record<string, unknown>): boolean =>
  "custom_id" in line && "body" in line && "url" in line;

const dataUrl = /^data:([^;,]+);base64,(.*)$/s;
const toPart = (part: z.infer<typeof contentPart>): ChatPart => {
  if (part.type === "text") return { type: "text", text: part.text };
  const inline = dataUrl.exec(part.image_url.url);
  return inline ? { type: "image", mediaType: inline[1], data: inline[2] } : { type: "image", url: part.image_url.url };
};

/** An OpenAI Chat Completions body as the neutral request (system and developer messages become `system`). */
export const chatRequestFromOpenAi = (body: z.infer<typeof chatBody>): ChatRequest => {
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  for (const m of body.messages) {
    const parts = typeof m.content === "string" ? [{ type: "text" as const, text: m.content }] : m.content.map(toPart);
    if (m.role === "system" || m.role === "developer")
      system.push(parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join(""));
    else messages.push({ role: m.role, content: parts });
  }
  return {
    model: body.model,
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    stop: typeof body.stop === "string" ? [body.stop] : body.stop,
  };
};

/** Parses one OpenAI batch input line; only `/v1/chat/completions` requests have a neutral form. */
export const parseOpenAiLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  const line = parseLine(inputLine, value, lineNumber);
  const body = line.url === chatEndpoint ? parseLine(chatBody, line.body, lineNumber) : undefined;
  const uncarried = body ? uncarriedFields(line.body, openAiCarried, "body") : [];
  return {
    customId: line.custom_id,
    lineNumber,
    endpoint: line.url,
    ...(uncarried.length > 0 && { uncarried }),
    request: body
      ? chatRequestFromOpenAi(body)
      : { model: typeof line.body.model === "string" ? line.body.model : undefined, messages: [] },
  };
};

const toOpenAiContent = (parts: ChatPart[]) =>
  parts.length === 1 && parts[0]!.type === "text"
    ? parts[0]!.text
    : parts.map((p) =>
        p.type === "text"
          ? { type: "text", text: p.text }
          : { type: "image_url", image_url: { url: p.url ?? `data:${p.mediaType ?? "image/png"};base64,${p.data}` } },
      );

/** The neutral request as an OpenAI Chat Completions body. */
export const toOpenAiChatBody = (request: ChatRequest, model: string) => ({
  model,
  messages: [
    ...(request.system ? [{ role: "system", content: request.system }] : []),
    ...request.messages.map((m) => ({ role: m.role, content: toOpenAiContent(m.content) })),
  ],
  ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
  ...(request.temperature !== undefined && { temperature: request.temperature }),
  ...(request.topP !== undefined && { top_p: request.topP }),
  ...(request.stop !== undefined && { stop: request.stop }),
});

/** A neutral response as OpenAI's `chat.completion` object; one OpenAI answered is rendered as it answered. */
export const renderChatCompletion = (response: ChatResponse) =>
  response.native?.format === "openai" ? response.native.body : neutralChatCompletion(response);

const neutralChatCompletion = (response: ChatResponse) => ({
  id: response.id,
  object: "chat.completion",
  created: response.created,
  model: response.model,
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: response.text, refusal: null },
      logprobs: null,
      finish_reason: response.finishReason,
    },
  ],
  usage: {
    prompt_tokens: response.usage.inputTokens,
    completion_tokens: response.usage.outputTokens,
    total_tokens: response.usage.inputTokens + response.usage.outputTokens,
    prompt_tokens_details: { cached_tokens: response.usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: response.usage.reasoningTokens ?? 0 },
  },
});

const completion = z.object({
  id: z.string().default(""),
  model: z.string().default(""),
  created: z.number().default(0),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().default("") }).optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .default([]),
  usage: z
    .object({
      prompt_tokens: z.number().default(0),
      completion_tokens: z.number().default(0),
      prompt_tokens_details: z.object({ cached_tokens: z.number().optional() }).loose().nullish(),
      completion_tokens_details: z.object({ reasoning_tokens: z.number().optional() }).loose().nullish(),
    })
    .default({ prompt_tokens: 0, completion_tokens: 0 }),
});
const outputLine = z.object({
  custom_id: z.string(),
  response: z.object({ status_code: z.number(), body: z.unknown() }).nullable().optional(),
  error: z
    .object({ code: z.string().nullable().optional(), message: z.string().nullable().optional() })
    .nullable()
    .optional(),
});

const finishReasons = new Set(["stop", "length", "content_filter", "tool_calls"]);

/** An OpenAI `chat.completion` as the neutral response. */
export const chatResponseFromOpenAi = (body: unknown): ChatResponse => {
  const c = completion.parse(body);
  const choice = c.choices[0];
  const reason = choice?.finish_reason ?? "stop";
  return {
    id: c.id,
    model: c.model,
    created: c.created,
    native: { format: "openai", body },
    text: choice?.message?.content ?? "",
    finishReason: (finishReasons.has(reason) ? reason : "stop") as ChatResponse["finishReason"],
    usage: {
      inputTokens: c.usage.prompt_tokens,
      outputTokens: c.usage.completion_tokens,
      ...(c.usage.prompt_tokens_details?.cached_tokens && {
        cachedInputTokens: c.usage.prompt_tokens_details.cached_tokens,
      }),
      ...(c.usage.completion_tokens_details?.reasoning_tokens && {
        reasoningTokens: c.usage.completion_tokens_details.reasoning_tokens,
      }),
    },
  };
};

/** One line of an OpenAI output or error file as a neutral result. */
export const resultFromOpenAiLine = (value: unknown, lineNumber: number): NeutralResult => {
  const line = parseLine(outputLine, value, lineNumber);
  if (line.response && line.response.status_code < 300) {
    return { customId: line.custom_id, outcome: "succeeded", response: chatResponseFromOpenAi(line.response.body) };
  }
  if (line.response) {
    const body = line.response.body as { error?: { message?: string; code?: string; type?: string } } | undefined;
    return {
      customId: line.custom_id,
      outcome: "errored",
      error: {
        code: body?.error?.code ?? body?.error?.type ?? "upstream_error",
        message: body?.error?.message ?? "The request failed upstream.",
        statusCode: line.response.status_code,
      },
    };
  }
  const code = line.error?.code ?? "upstream_error";
  const outcome = code === "batch_expired" ? "expired" : code === "batch_cancelled" ? "cancelled" : "errored";
  return {
    customId: line.custom_id,
    outcome,
    error: { code, message: line.error?.message ?? "The request was not executed." },
  };
};
