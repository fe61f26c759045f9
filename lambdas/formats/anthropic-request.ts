import * as z from "zod";
import type { ChatPart, ChatRequest, NeutralRequest, ToolChoice } from "../core/chat";
import { chatEndpoint } from "../core/chat";
import { anthropicCarried, type Carried, contentPaths, uncarriedFields } from "./carried";
import { parseLine, refuseOtherKeys } from "./line-errors";

const textBlock = z.object({ type: z.literal("text"), text: z.string() }).loose();
const block = z.discriminatedUnion("type", [
  textBlock,
  z
    .object({
      type: z.literal("image"),
      source: z.union([
        z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
        z.object({ type: z.literal("url"), url: z.string() }),
      ]),
    })
    .loose(),
  z
    .object({
      type: z.literal("document"),
      source: z.object({ type: z.string(), media_type: z.string().optional(), data: z.string().optional() }).loose(),
    })
    .loose(),
  z
    .object({
      type: z.literal("tool_use"),
      id: z.string().min(1),
      name: z.string().min(1),
      input: z.record(z.string(), z.unknown()),
    })
    .loose(),
  z
    .object({
      type: z.literal("tool_result"),
      tool_use_id: z.string().min(1),
      content: z.union([z.string(), z.array(textBlock)]).optional(),
      is_error: z.boolean().optional(),
    })
    .loose(),
]);
const tool = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()),
  })
  .loose();
const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["auto", "any", "none"]), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
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
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  messages: z
    .array(z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(block)]) }))
    .min(1),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().optional(),
  stop_sequences: z.array(z.string()).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: z.object({ type: z.string(), budget_tokens: z.number().int().positive().optional() }).optional(),
});
const request = z.object({ custom_id: z.string().min(1), params });

/** True when a parsed line looks like an Anthropic batch request `{custom_id, params}`. */
export const isAnthropicLine = (line: Record<string, unknown>): boolean => "custom_id" in line && "params" in line;

/** A block's `cache_control` (ephemeral, the default 5-minute life) as a neutral cache breakpoint. */
const cached = (b: Record<string, unknown>) => (isEphemeral(b.cache_control) ? { cache: true as const } : {});
const isEphemeral = (value: unknown) =>
  typeof value === "object" && value !== null && (value as { type?: unknown }).type === "ephemeral";

const toPart = (b: z.infer<typeof block>, names: Map<string, string>): ChatPart => ({
  ...partOf(b, names),
  ...cached(b),
});

const partOf = (b: z.infer<typeof block>, names: Map<string, string>): ChatPart => {
  switch (b.type) {
    case "text":
      return { type: "text", text: b.text };
    case "image":
      return b.source.type === "base64"
        ? { type: "image", mediaType: b.source.media_type, data: b.source.data }
        : { type: "image", url: b.source.url };
    case "document":
      return { type: "document", mediaType: "application/pdf", data: b.source.data ?? "" };
    case "tool_use":
      names.set(b.id, b.name);
      return { type: "tool_call", id: b.id, name: b.name, arguments: b.input };
    case "tool_result":
      return {
        type: "tool_result",
        id: b.tool_use_id,
        name: names.get(b.tool_use_id),
        content: typeof b.content === "string" ? b.content : (b.content ?? []).map((t) => t.text).join(""),
        ...(b.is_error !== undefined && { isError: b.is_error }),
      };
  }
};

const toolChoiceFrom = (choice: z.infer<typeof toolChoice> | undefined): ToolChoice | undefined => {
  if (choice === undefined) return undefined;
  if (choice.type === "tool") return { type: "tool", name: choice.name };
  return { type: choice.type === "any" ? "required" : choice.type };
};

/** Anthropic Messages params as the neutral request. */
export const chatRequestFromAnthropic = (p: z.infer<typeof params>): ChatRequest => {
  const names = new Map<string, string>();
  return {
    model: p.model,
    system: typeof p.system === "string" ? p.system : p.system?.map((s) => s.text).join("\n\n"),
    ...(Array.isArray(p.system) &&
      p.system.length > 0 &&
      isEphemeral(p.system.at(-1)!.cache_control) && {
        systemCache: true,
      }),
    messages: p.messages.map((m) => ({
      role: m.role,
      content:
        typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content.map((b) => toPart(b, names)),
    })),
    maxTokens: p.max_tokens,
    temperature: p.temperature,
    topP: p.top_p,
    stop: p.stop_sequences,
    tools: p.tools?.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      parameters: t.input_schema,
      ...cached(t),
    })),
    toolChoice: toolChoiceFrom(p.tool_choice),
    ...(p.thinking?.type === "enabled" && {
      reasoning: {
        ...(p.thinking.budget_tokens !== undefined && { budgetTokens: p.thinking.budget_tokens }),
        show: true,
      },
    }),
    ...(p.tool_choice?.disable_parallel_tool_use !== undefined && {
      parallelToolCalls: !p.tool_choice.disable_parallel_tool_use,
    }),
  };
};

/** Claude's InvokeModel body on Bedrock: Anthropic Messages params with `anthropic_version` and no `model`. */
const claudeInvokeRecord = z.object({
  recordId: z.string().min(1, "recordId must be a non-empty string"),
  modelInput: params.extend({ model: z.string().optional(), anthropic_version: z.string() }),
});
const claudeInvokeCarried: Carried = { ...anthropicCarried, keys: [...anthropicCarried.keys, "anthropic_version"] };

/** True when a record's `modelInput` is Claude's own InvokeModel body. */
export const isClaudeInvokeBody = (modelInput: unknown): boolean =>
  typeof modelInput === "object" && modelInput !== null && "anthropic_version" in modelInput;

/**
 * A Bedrock record holding Claude's InvokeModel body, read as Anthropic Messages: every field is carried or named
 * as Anthropic params are, and the answer comes back as Claude's response body (`shape: claude-invoke`).
 */
export const parseClaudeInvokeRecord = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  const record = parseLine(claudeInvokeRecord, value, lineNumber);
  const uncarried = uncarriedFields(value.modelInput, claudeInvokeCarried, "modelInput");
  const { model: _none, ...request } = chatRequestFromAnthropic({ ...record.modelInput, model: "" });
  return {
    customId: record.recordId,
    lineNumber,
    endpoint: chatEndpoint,
    ...(uncarried.length > 0 && { uncarried }),
    native: value.modelInput as Record<string, unknown>,
    shape: "claude-invoke",
    request,
  };
};

/** Parses one Anthropic batch request (as a JSONL line or an inline `requests` entry). */
export const parseAnthropicLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  refuseOtherKeys(value, ["custom_id", "params"], "an Anthropic batch request", lineNumber);
  const line = parseLine(request, value, lineNumber);
  const uncarried = uncarriedFields(value.params, anthropicCarried, "params");
  // Documents other than a PDF's bytes (plain text, a URL, content blocks) have no form elsewhere.
  uncarried.push(
    ...contentPaths(
      line.params.messages,
      (b: z.infer<typeof block>) =>
        b.type === "document" && !(b.source.type === "base64" && b.source.media_type === "application/pdf"),
      "params.messages",
      ".source",
    ),
  );
  // The system prompt is one text elsewhere: a breakpoint inside it (not after its last block) has no form there.
  const system = Array.isArray(line.params.system) ? line.params.system : [];
  const inner = system.slice(0, -1).findIndex((s) => s.cache_control !== undefined);
  if (inner !== -1) uncarried.push(`params.system.${inner}.cache_control`);
  // Thinking other than a budget (adaptive, …) reaches Anthropic only.
  const thinking = line.params.thinking?.type;
  if (thinking !== undefined && thinking !== "enabled" && thinking !== "disabled")
    uncarried.push("params.thinking.type");
  return {
    customId: line.custom_id,
    lineNumber,
    endpoint: chatEndpoint,
    ...(uncarried.length > 0 && { uncarried }),
    native: value.params as Record<string, unknown>,
    request: chatRequestFromAnthropic(line.params),
  };
};
