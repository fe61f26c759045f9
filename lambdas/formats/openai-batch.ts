import * as z from "zod";
import {
  budgetEffort,
  type ChatMessage,
  type ChatPart,
  type ChatRequest,
  type ChatResponse,
  effortBudget,
  type ResponseFormat,
  type ToolChoice,
  type Usage,
} from "../core/chat";
import type { NeutralResult } from "../core/model";
import { parseLine } from "./line-errors";

const toOpenAiContent = (parts: ChatPart[]) => {
  const shown = parts.filter((p) => p.type === "text" || p.type === "image" || p.type === "document");
  if (shown.length === 0) return null;
  return shown.length === 1 && shown[0]!.type === "text"
    ? shown[0]!.text
    : shown.map((p) =>
        p.type === "text"
          ? { type: "text", text: p.text }
          : p.type === "document"
            ? {
                type: "file",
                file: { filename: p.name ?? "document.pdf", file_data: `data:${p.mediaType};base64,${p.data}` },
              }
            : {
                type: "image_url",
                image_url: {
                  url: p.type === "image" ? (p.url ?? `data:${p.mediaType ?? "image/png"};base64,${p.data}`) : "",
                },
              },
      );
};

/** One neutral message as OpenAI messages: tool results become `tool` messages, tool calls `tool_calls`. */
const toOpenAiMessages = (m: ChatMessage): Record<string, unknown>[] => {
  const results = m.content.flatMap((p) =>
    p.type === "tool_result" ? [{ role: "tool", tool_call_id: p.id, content: p.content }] : [],
  );
  const calls = m.content.flatMap((p) =>
    p.type === "tool_call"
      ? [{ id: p.id, type: "function", function: { name: p.name, arguments: JSON.stringify(p.arguments) } }]
      : [],
  );
  const content = toOpenAiContent(m.content);
  const rest =
    content === null && calls.length === 0
      ? []
      : [{ role: m.role, content, ...(calls.length > 0 && { tool_calls: calls }) }];
  return [...results, ...rest];
};

const toOpenAiToolChoice = (choice: ToolChoice) =>
  choice.type === "tool" ? { type: "function", function: { name: choice.name } } : choice.type;

const toOpenAiResponseFormat = (format: ResponseFormat) =>
  format.type === "json_object"
    ? { type: "json_object" }
    : {
        type: "json_schema",
        json_schema: {
          name: format.name,
          schema: format.schema,
          ...(format.strict !== undefined && { strict: format.strict }),
        },
      };

/** The neutral request as an OpenAI Chat Completions body. */
export const toOpenAiChatBody = (request: ChatRequest, model: string) => ({
  model,
  messages: [
    ...(request.system ? [{ role: "system", content: request.system }] : []),
    ...request.messages.flatMap(toOpenAiMessages),
  ],
  ...(request.maxTokens !== undefined && { max_completion_tokens: request.maxTokens }),
  ...(request.temperature !== undefined && { temperature: request.temperature }),
  ...(request.topP !== undefined && { top_p: request.topP }),
  ...(request.stop !== undefined && { stop: request.stop }),
  ...(request.seed !== undefined && { seed: request.seed }),
  ...(request.presencePenalty !== undefined && { presence_penalty: request.presencePenalty }),
  ...(request.frequencyPenalty !== undefined && { frequency_penalty: request.frequencyPenalty }),
  ...(request.tools && {
    tools: request.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description !== undefined && { description: t.description }),
        parameters: t.parameters,
      },
    })),
  }),
  ...(request.toolChoice && { tool_choice: toOpenAiToolChoice(request.toolChoice) }),
  ...(request.parallelToolCalls !== undefined && { parallel_tool_calls: request.parallelToolCalls }),
  ...(request.responseFormat && { response_format: toOpenAiResponseFormat(request.responseFormat) }),
  ...(request.reasoning && {
    reasoning_effort: request.reasoning.effort ?? budgetEffort(request.reasoning.budgetTokens ?? effortBudget.medium),
  }),
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
      message: {
        role: "assistant",
        content: response.text === "" && response.toolCalls ? null : response.text,
        refusal: null,
        ...(response.toolCalls && {
          tool_calls: response.toolCalls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          })),
        }),
      },
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
        message: z
          .object({
            content: z.string().nullable().default(""),
            tool_calls: z
              .array(
                z
                  .object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }).loose() })
                  .loose(),
              )
              .nullish(),
          })
          .optional(),
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
    ...(choice?.message?.tool_calls?.length && {
      toolCalls: choice.message.tool_calls.map((call) => ({
        id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
      })),
    }),
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
export const resultFromOpenAiLine = (value: unknown, lineNumber: number): NeutralResult =>
  resultOfLine(value, lineNumber, chatResponseFromOpenAi);

/** A result line of an endpoint the gateway passes through (embeddings, Responses, …): its body as OpenAI gave it. */
export const passedThroughResultLine = (value: unknown, lineNumber: number): NeutralResult =>
  resultOfLine(value, lineNumber, passedThroughResponse);

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * The usage an OpenAI response body reports, whichever endpoint answered: `prompt_tokens`/`completion_tokens`
 * (chat, completions, embeddings) or `input_tokens`/`output_tokens` (Responses, images), with cached and reasoning
 * tokens where given. A body without usage (moderations) used none the gateway can price.
 */
const usageOfBody = (body: unknown): Usage => {
  const usage = (body as { usage?: Record<string, unknown> } | null)?.usage ?? {};
  const details = (key: string) => (usage[key] ?? {}) as Record<string, unknown>;
  const cached =
    count(details("input_tokens_details").cached_tokens) || count(details("prompt_tokens_details").cached_tokens);
  const reasoning =
    count(details("output_tokens_details").reasoning_tokens) ||
    count(details("completion_tokens_details").reasoning_tokens);
  return {
    inputTokens: count(usage.input_tokens) || count(usage.prompt_tokens),
    outputTokens: count(usage.output_tokens) || count(usage.completion_tokens),
    ...(cached > 0 && { cachedInputTokens: cached }),
    ...(reasoning > 0 && { reasoningTokens: reasoning }),
  };
};

/** A passed-through answer: nothing neutral in it but its usage; the OpenAI dialect renders its body untouched. */
export const passedThroughResponse = (body: unknown): ChatResponse => {
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  return {
    id: typeof fields.id === "string" ? fields.id : "",
    model: typeof fields.model === "string" ? fields.model : "",
    created: count(fields.created) || count(fields.created_at),
    text: "",
    finishReason: "stop",
    usage: usageOfBody(body),
    native: { format: "openai", body },
  };
};

const resultOfLine = (
  value: unknown,
  lineNumber: number,
  responseOf: (body: unknown) => ChatResponse,
): NeutralResult => {
  const line = parseLine(outputLine, value, lineNumber);
  if (line.response && line.response.status_code < 300) {
    return { customId: line.custom_id, outcome: "succeeded", response: responseOf(line.response.body) };
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
