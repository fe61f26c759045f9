import type { EmbeddingRequest } from "./embeddings";

/**
 * The neutral chat request and response every format converts to and from. A request in any provider's
 * format becomes a ChatRequest; any provider's answer becomes a ChatResponse; each dialect renders those.
 */

/**
 * One part of a message. `cache` marks a prompt-cache breakpoint after it (Anthropic `cache_control`, a Converse
 * `cachePoint`): everything up to it may be read from the provider's cache.
 */
export type ChatPart = (
  | { type: "text"; text: string }
  | { type: "image"; mediaType?: string; data?: string; url?: string }
  /** A PDF document's bytes (base64), with the name a format gives it. */
  | { type: "document"; mediaType: "application/pdf"; data: string; name?: string }
  /** A tool the assistant called, in a multi-turn request's history. */
  | { type: "tool_call"; id: string; name: string; arguments: Record<string, unknown> }
  /** What a tool answered, in the user turn after the call (`name` where the format says it). */
  | { type: "tool_result"; id: string; name?: string; content: string; isError?: boolean }
) & { cache?: true };

/** A function the model may call: its JSON Schema `parameters` describe the arguments object. */
export interface ChatTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  /** A prompt-cache breakpoint after the tools up to this one. */
  cache?: true;
}

/** Whether and which tool the model must call: `required` is any one of them (Anthropic's `any`). */
export type ToolChoice = { type: "auto" } | { type: "none" } | { type: "required" } | { type: "tool"; name: string };

/** How much the model reasons before answering: OpenAI's effort levels. */
export const ReasoningEffort = ["minimal", "low", "medium", "high"] as const;
export type ReasoningEffort = (typeof ReasoningEffort)[number];

/**
 * Reasoning asked for: an effort (OpenAI `reasoning_effort`, Gemini `thinkingLevel`) or a budget of tokens
 * (Anthropic and Converse `thinking.budget_tokens`, Gemini `thinkingBudget`); each provider is sent its own form.
 */
export interface Reasoning {
  effort?: ReasoningEffort;
  budgetTokens?: number;
  /** Whether the answer should show the reasoning (Gemini's `includeThoughts`; Anthropic always shows it). */
  show?: boolean;
}

/** The thinking budget each effort stands for, where a provider takes a budget (Anthropic's minimum is 1,024). */
export const effortBudget: Record<ReasoningEffort, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24_576 };

/** The effort a budget stands for, where a provider takes an effort. */
export const budgetEffort = (budget: number): ReasoningEffort =>
  budget <= effortBudget.low ? "low" : budget <= effortBudget.medium ? "medium" : "high";

/** The budget of tokens a reasoning request asks for. */
export const reasoningBudget = (reasoning: Reasoning): number =>
  reasoning.budgetTokens ?? effortBudget[reasoning.effort ?? "medium"];

/** Structured output: a JSON object of no fixed shape, or JSON that a schema describes. */
export type ResponseFormat =
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict?: boolean };

export interface ChatMessage {
  role: "user" | "assistant";
  content: ChatPart[];
}

export interface ChatRequest {
  model?: string;
  /** System instructions, joined when a format has several. */
  system?: string;
  /** A prompt-cache breakpoint after the system prompt. */
  systemCache?: true;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Sampling fields OpenAI and Gemini have (Anthropic and Converse do not). */
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  tools?: ChatTool[];
  toolChoice?: ToolChoice;
  /** `false` asks for at most one tool call per answer; unset is the provider's default (several allowed). */
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  reasoning?: Reasoning;
}

/** A tool call in an answer; `arguments` is JSON text, as OpenAI writes it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export const FinishReason = {
  stop: "stop",
  length: "length",
  contentFilter: "content_filter",
  toolCalls: "tool_calls",
} as const;
export type FinishReason = (typeof FinishReason)[keyof typeof FinishReason];

export interface Usage {
  /** Every input token, those read from the provider's prompt cache included. */
  inputTokens: number;
  /** Every output token, those spent reasoning included. */
  outputTokens: number;
  /** Of `inputTokens`, those read from the prompt cache (priced at the cache-read rate), where the provider says. */
  cachedInputTokens?: number;
  /** Of `inputTokens`, those written to the prompt cache (priced at the cache-write rate), where the provider says. */
  cacheWriteTokens?: number;
  /** Of `outputTokens`, those spent reasoning, where the provider says. */
  reasoningTokens?: number;
}

export interface ChatResponse {
  id: string;
  model: string;
  text: string;
  /** The tools the model called, in order. */
  toolCalls?: ToolCall[];
  /** The reasoning the provider showed (Anthropic thinking, Gemini thoughts, Converse reasoningContent). */
  reasoning?: string;
  finishReason: FinishReason;
  usage: Usage;
  /** Unix seconds. */
  created: number;
  /**
   * The provider's own response body as received, for a dialect of the same format to render untouched: tool
   * calls, log probabilities, several choices — what the neutral response does not hold — survive a same-format run.
   */
  native?: { format: InputFormat; body: unknown };
}

/** What the neutral request carries, as messages that refuse the rest say it. */
export const carriedSummary =
  "between providers the gateway converts text and image messages, the system prompt, tools, tool choice, tool " +
  "calls and results, structured output (JSON mode and JSON schema), the output token limit, temperature, top_p " +
  "and stop sequences";

/**
 * The tool a provider without a structured-output mode of its own (Anthropic, Converse) is made to call when a
 * request asks for JSON: its input is the answer, which comes back as the response's text.
 */
export const structuredOutputTool = "finops_structured_output";

/** A tool call's arguments as the object formats other than OpenAI's hold (JSON text that is no object is kept). */
export const argumentsObject = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // kept below
  }
  return { arguments: text };
};

/** The endpoint every chat format maps to; the only one the gateway converts across providers. */
export const chatEndpoint = "/v1/chat/completions";

/** The batch input formats the gateway reads, detected from the lines themselves. */
export const InputFormat = { openai: "openai", anthropic: "anthropic", bedrock: "bedrock", gemini: "gemini" } as const;
export type InputFormat = (typeof InputFormat)[keyof typeof InputFormat];

/** One request of a batch input, whatever format the line was in. */
export interface NeutralRequest {
  customId: string;
  lineNumber: number;
  /** The OpenAI endpoint the request targets (`/v1/chat/completions` for every chat format). */
  endpoint: string;
  request: ChatRequest;
  /**
   * The line's fields the neutral request does not carry (`body.tools`, `params.messages.0.content.1.cache_control`):
   * they reach only a provider of the line's own format that takes the line as written, so elsewhere the batch is
   * refused naming the first.
   */
  uncarried?: string[];
  /**
   * The line's own request body as written (Anthropic `params`, a Gemini `request`, a Converse `modelInput`): the
   * provider of the line's format is sent it untouched, every field included, as OpenAI lines reach OpenAI.
   */
  native?: Record<string, unknown>;
  /**
   * A body of another shape than the format's usual one: a Bedrock record whose `modelInput` is a model family's own
   * InvokeModel body (Claude's Anthropic Messages with `anthropic_version`, Nova's, Llama's, …), answered in that
   * family's own response body.
   */
  shape?: InvokeShape;
  /** An embeddings line's texts and options (`request` then holds only its model). */
  embedding?: EmbeddingRequest;
}

/** The model families whose own InvokeModel bodies the gateway reads, with the Bedrock model ids of each. */
export const invokeFamilies = {
  "claude-invoke": { name: "Claude", models: /(^|\.)anthropic\.claude/ },
  "nova-invoke": { name: "Nova", models: /(^|\.)amazon\.nova/ },
  "llama-invoke": { name: "Llama", models: /(^|\.)meta\.llama/ },
  "mistral-invoke": { name: "Mistral", models: /(^|\.)mistral\./ },
  "titan-invoke": { name: "Titan Text", models: /(^|\.)amazon\.titan-text/ },
} as const;
export type InvokeShape = keyof typeof invokeFamilies;

/** The text of a message's parts, for formats that take plain strings. */
export const textOf = (parts: ChatPart[]): string =>
  parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");

/** Rough token estimate (≈4 characters per token): the simulators', and embeddings where a model reports none. */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** Input tokens read neither from nor into the prompt cache (what Anthropic and Bedrock call `input_tokens`). */
export const uncachedInputTokens = (usage: Usage): number =>
  usage.inputTokens - (usage.cachedInputTokens ?? 0) - (usage.cacheWriteTokens ?? 0);

/** A usage whose provider reports cache reads and writes beside (not within) its input tokens, as the neutral total. */
export const withCache = (
  uncached: number,
  outputTokens: number,
  read: number | null | undefined,
  written: number | null | undefined,
): Usage => ({
  inputTokens: uncached + (read ?? 0) + (written ?? 0),
  outputTokens,
  ...(read && { cachedInputTokens: read }),
  ...(written && { cacheWriteTokens: written }),
});

/**
 * An answer read from a format whose tool calls carry objects (Anthropic, Converse, Gemini): the calls as neutral
 * tool calls — except a call of the structured-output tool, whose input is the JSON answer, returned as the text.
 */
export const answerOf = (
  text: string,
  calls: { id: string; name: string; input: unknown }[],
  finishReason: FinishReason,
  native: NonNullable<ChatResponse["native"]>,
): Pick<ChatResponse, "text" | "toolCalls" | "finishReason" | "native"> => {
  const json = calls.find((call) => call.name === structuredOutputTool);
  // The provider's own body is kept for its own dialect, except when the gateway made the answer out of it.
  if (json)
    return { text: JSON.stringify(json.input), finishReason: finishReason === "tool_calls" ? "stop" : finishReason };
  if (calls.length === 0) return { text, finishReason, native };
  return {
    text,
    toolCalls: calls.map((call) => ({ id: call.id, name: call.name, arguments: JSON.stringify(call.input) })),
    finishReason,
    native,
  };
};

/** The reasoning a response showed, joined, where it showed any. */
export const reasoningOf = (texts: string[]): Pick<ChatResponse, "reasoning"> =>
  texts.length > 0 ? { reasoning: texts.join("\n\n") } : {};
