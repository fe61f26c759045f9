import * as z from "zod";
import type { ChatPart, ChatRequest, NeutralRequest } from "../core/chat";
import { chatEndpoint } from "../core/chat";
import { anthropicCarried, uncarriedFields } from "./carried";
import { parseLine } from "./line-errors";

const block = z.union([
  z.object({ type: z.literal("text"), text: z.string() }).loose(),
  z
    .object({
      type: z.literal("image"),
      source: z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    })
    .loose(),
]);
const params = z.object({
  model: z.string().min(1),
  max_tokens: z
    .number({
      error: (issue) =>
        issue.input === undefined ? "max_tokens is required" : "max_tokens must be a positive whole number",
    })
    .int("max_tokens must be a positive whole number")
    .positive("max_tokens must be a positive whole number"),
  system: z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }).loose())]).optional(),
  messages: z
    .array(z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(block)]) }))
    .min(1),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().optional(),
  stop_sequences: z.array(z.string()).optional(),
});
const request = z.object({ custom_id: z.string().min(1), params });

/** True when a parsed line looks like an Anthropic batch request `{custom_id, params}`. */
export const isAnthropicLine = (line: Record<string, unknown>): boolean => "custom_id" in line && "params" in line;

const toPart = (b: z.infer<typeof block>): ChatPart =>
  b.type === "text"
    ? { type: "text", text: b.text }
    : { type: "image", mediaType: b.source.media_type, data: b.source.data };

/** Anthropic Messages params as the neutral request. */
export const chatRequestFromAnthropic = (p: z.infer<typeof params>): ChatRequest => ({
  model: p.model,
  system: typeof p.system === "string" ? p.system : p.system?.map((s) => s.text).join("\n\n"),
  messages: p.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content.map(toPart),
  })),
  maxTokens: p.max_tokens,
  temperature: p.temperature,
  topP: p.top_p,
  stop: p.stop_sequences,
});

/** Parses one Anthropic batch request (as a JSONL line or an inline `requests` entry). */
export const parseAnthropicLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  const line = parseLine(request, value, lineNumber);
  const uncarried = uncarriedFields(value.params, anthropicCarried, "params");
  return {
    customId: line.custom_id,
    lineNumber,
    endpoint: chatEndpoint,
    ...(uncarried.length > 0 && { uncarried }),
    request: chatRequestFromAnthropic(line.params),
  };
};
