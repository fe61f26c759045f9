/**
 * The neutral chat request and response every format converts to and from. A request in any provider's
 * format becomes a ChatRequest; any provider's answer becomes a ChatResponse; each dialect renders those.
 */

export type ChatPart =
  | { type: "text"; text: string }
  | { type: "image"; mediaType?: string; data?: string; url?: string };

export interface ChatMessage {
  role: "user" | "assistant";
  content: ChatPart[];
}

export interface ChatRequest {
  model?: string;
  /** System instructions, joined when a format has several. */
  system?: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
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
  "between providers the gateway converts text and image messages, the system prompt, the output token limit, " +
  "temperature, top_p and stop sequences";

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
}

/** The text of a message's parts, for formats that take plain strings. */
export const textOf = (parts: ChatPart[]): string =>
  parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");

/** Rough token estimate (≈4 characters per token), used only by the simulators. */
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
