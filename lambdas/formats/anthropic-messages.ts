import * as z from "zod";
import {
  answerOf,
  argumentsObject,
  type ChatPart,
  type ChatRequest,
  type ChatResponse,
  reasoningBudget,
  reasoningOf,
  structuredOutputTool,
  uncachedInputTokens,
  withCache,
} from "../core/chat";
import { newId } from "../core/ids";
import type { NeutralResult } from "../core/model";
import { parseLine } from "./line-errors";

/** Anthropic requires `max_tokens`; requests that name none get this (README "Providers"). */
export const defaultAnthropicMaxTokens = 4096;

const ephemeral = { cache_control: { type: "ephemeral" } };

/** A neutral part as an Anthropic block, with its cache breakpoint. */
const toBlock = (part: ChatPart) => ({ ...blockOf(part), ...(part.cache && ephemeral) });

const blockOf = (part: ChatPart) => {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      return part.data
        ? { type: "image", source: { type: "base64", media_type: part.mediaType ?? "image/png", data: part.data } }
        : { type: "image", source: { type: "url", url: part.url } };
    case "document":
      return { type: "document", source: { type: "base64", media_type: part.mediaType, data: part.data } };
    case "tool_call":
      return { type: "tool_use", id: part.id, name: part.name, input: part.arguments };
    case "tool_result":
      return {
        type: "tool_result",
        tool_use_id: part.id,
        content: part.content,
        ...(part.isError !== undefined && { is_error: part.isError }),
      };
  }
};

/**
 * Tools, tool choice and structured output as Anthropic params. JSON output is a forced call of one tool whose
 * input schema is the answer's (Anthropic's own way; core refuses it beside the caller's tools).
 */
const anthropicTools = (request: ChatRequest) => {
  const format = request.responseFormat;
  if (format)
    return {
      tools: [
        {
          name: structuredOutputTool,
          description: `Answer with ${format.type === "json_schema" ? `the ${format.name} object` : "a JSON object"}.`,
          input_schema: format.type === "json_schema" ? format.schema : { type: "object" },
        },
      ],
      tool_choice: { type: "tool", name: structuredOutputTool },
    };
  if (!request.tools) return {};
  const choice = request.toolChoice ?? { type: "auto" };
  const disable =
    request.parallelToolCalls === false && choice.type !== "none" ? { disable_parallel_tool_use: true } : {};
  return {
    tools: request.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      input_schema: t.parameters,
      ...(t.cache && ephemeral),
    })),
    ...((request.toolChoice || request.parallelToolCalls === false) && {
      tool_choice:
        choice.type === "tool"
          ? { type: "tool", name: choice.name, ...disable }
          : { type: choice.type === "required" ? "any" : choice.type, ...disable },
    }),
  };
};

/**
 * Reasoning as Anthropic's `thinking`, which Claude on Bedrock takes too: a budget below `max_tokens` (an unset one
 * becomes the budget plus the usual 4,096), so an effort asks for no fewer answer tokens than no reasoning would.
 */
export const claudeThinking = (request: ChatRequest) => {
  if (!request.reasoning) return undefined;
  const budget = reasoningBudget(request.reasoning);
  if (request.maxTokens === undefined)
    return { thinking: { type: "enabled", budget_tokens: budget }, maxTokens: budget + defaultAnthropicMaxTokens };
  return {
    thinking: { type: "enabled", budget_tokens: Math.min(budget, request.maxTokens - 1) },
    maxTokens: request.maxTokens,
  };
};

/** The neutral request as Anthropic Messages params (`model` per request; Anthropic allows mixed models). */
export const toAnthropicParams = (request: ChatRequest, model: string) => {
  const thinking = claudeThinking(request);
  return {
    model: request.model ?? model,
    max_tokens: thinking?.maxTokens ?? request.maxTokens ?? defaultAnthropicMaxTokens,
    ...(thinking && { thinking: thinking.thinking }),
    ...(request.system && {
      system: request.systemCache ? [{ type: "text", text: request.system, ...ephemeral }] : request.system,
    }),
    messages: request.messages.map((m) => ({
      role: m.role,
      content:
        m.content.length === 1 && m.content[0]!.type === "text" && !m.content[0]!.cache
          ? m.content[0]!.text
          : m.content.map(toBlock),
    })),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.stop !== undefined && { stop_sequences: request.stop }),
    ...anthropicTools(request),
  };
};

const stopReasons: Record<string, ChatResponse["finishReason"]> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

const message = z.object({
  id: z.string().default(""),
  model: z.string().default(""),
  content: z
    .array(
      z
        .object({
          type: z.string(),
          text: z.string().optional(),
          id: z.string().optional(),
          name: z.string().optional(),
          input: z.unknown().optional(),
          thinking: z.string().optional(),
        })
        .loose(),
    )
    .default([]),
  stop_reason: z.string().nullable().default("end_turn"),
  usage: z
    .object({
      input_tokens: z.number().default(0),
      output_tokens: z.number().default(0),
      cache_read_input_tokens: z.number().nullish(),
      cache_creation_input_tokens: z.number().nullish(),
    })
    .loose()
    .default({ input_tokens: 0, output_tokens: 0 }),
});

/** An Anthropic Message as the neutral response. */
export const chatResponseFromAnthropic = (value: unknown, created: number): ChatResponse => {
  const m = message.parse(value);
  return {
    id: m.id,
    model: m.model,
    created,
    ...reasoningOf(m.content.flatMap((b) => (b.type === "thinking" && b.thinking ? [b.thinking] : []))),
    ...answerOf(
      m.content.flatMap((b) => (b.type === "text" && b.text !== undefined ? [b.text] : [])).join(""),
      m.content.flatMap((b) =>
        b.type === "tool_use" ? [{ id: b.id ?? "", name: b.name ?? "", input: b.input ?? {} }] : [],
      ),
      stopReasons[m.stop_reason ?? "end_turn"] ?? "stop",
      { format: "anthropic", body: value },
    ),
    // Anthropic's input_tokens leaves out cache reads and writes; the neutral total counts them.
    usage: withCache(
      m.usage.input_tokens,
      m.usage.output_tokens,
      m.usage.cache_read_input_tokens,
      m.usage.cache_creation_input_tokens,
    ),
  };
};

/** HTTP statuses of Anthropic's error types, for OpenAI's `response.status_code`. */
const errorStatus: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const resultLine = z.object({
  custom_id: z.string(),
  result: z.object({
    type: z.enum(["succeeded", "errored", "canceled", "expired"]),
    message: z.unknown().optional(),
    error: z
      .object({
        error: z
          .object({ type: z.string().default("api_error"), message: z.string().default("") })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
  }),
});

/** One line of Anthropic's results JSONL as a neutral result. */
export const resultFromAnthropicLine = (value: unknown, lineNumber: number, created: number): NeutralResult => {
  const line = parseLine(resultLine, value, lineNumber);
  const { result } = line;
  if (result.type === "succeeded")
    return {
      customId: line.custom_id,
      outcome: "succeeded",
      response: chatResponseFromAnthropic(result.message, created),
    };
  if (result.type === "canceled")
    return {
      customId: line.custom_id,
      outcome: "cancelled",
      error: { code: "batch_cancelled", message: "The batch was cancelled before this request ran." },
    };
  if (result.type === "expired")
    return {
      customId: line.custom_id,
      outcome: "expired",
      error: { code: "batch_expired", message: "This request could not be executed before the batch expired." },
    };
  const type = result.error?.error?.type ?? "api_error";
  return {
    customId: line.custom_id,
    outcome: "errored",
    error: {
      code: type,
      message: result.error?.error?.message || "The request failed.",
      statusCode: errorStatus[type] ?? 500,
    },
  };
};

const anthropicStopReasons: Record<ChatResponse["finishReason"], string> = {
  stop: "end_turn",
  length: "max_tokens",
  content_filter: "refusal",
  tool_calls: "tool_use",
};

/** A neutral response as an Anthropic Messages `message`; one Anthropic answered is rendered as it answered. */
export const renderAnthropicMessage = (response: ChatResponse) =>
  response.native?.format === "anthropic" ? response.native.body : neutralMessage(response);

const neutralMessage = (response: ChatResponse) => ({
  id: response.id.startsWith("msg_") ? response.id : `msg_${newId()}`,
  type: "message",
  role: "assistant",
  model: response.model,
  content: [
    // Reasoning another provider showed, as a thinking block (no signature: it cannot be sent back to Anthropic).
    ...(response.reasoning ? [{ type: "thinking", thinking: response.reasoning, signature: "" }] : []),
    ...(response.text !== "" || !response.toolCalls ? [{ type: "text", text: response.text }] : []),
    ...(response.toolCalls ?? []).map((call) => ({
      type: "tool_use",
      id: call.id,
      name: call.name,
      input: argumentsObject(call.arguments),
    })),
  ],
  stop_reason: anthropicStopReasons[response.finishReason],
  stop_sequence: null,
  usage: {
    input_tokens: uncachedInputTokens(response.usage),
    output_tokens: response.usage.outputTokens,
    cache_creation_input_tokens: response.usage.cacheWriteTokens ?? 0,
    cache_read_input_tokens: response.usage.cachedInputTokens ?? 0,
    service_tier: "batch",
  },
});
