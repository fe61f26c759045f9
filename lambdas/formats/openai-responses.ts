import * as z from "zod";
import {
  argumentsObject,
  type ChatMessage,
  type ChatPart,
  type ChatRequest,
  type ChatResponse,
  ReasoningEffort,
  type ResponseFormat,
  type ToolChoice,
  textOf,
} from "../core/chat";
import type { Carried } from "./carried";

/**
 * OpenAI Responses API bodies (`/v1/responses` batch lines) read into the neutral request, and neutral answers
 * written as `response` objects: what runs on the other providers through the same conversion as chat.
 */

const contentPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("input_text"), text: z.string() }),
  z.object({ type: z.literal("output_text"), text: z.string() }),
  z.object({ type: z.literal("input_image"), image_url: z.string() }),
]);
const content = z.union([z.string(), z.array(contentPart)]);
const item = z.union([
  z.object({
    type: z.literal("message").optional(),
    role: z.enum(["user", "assistant", "system", "developer"]),
    content,
  }),
  z.object({
    type: z.literal("function_call"),
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string(),
  }),
  z.object({ type: z.literal("function_call_output"), call_id: z.string().min(1), output: z.string() }),
]);
const format = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
  }),
]);

/** The carried fields of a Responses body, as the neutral request takes them. */
export const responsesBody = z.object({
  model: z.string().min(1).optional(),
  input: z.union([z.string(), z.array(item).min(1, "needs at least one input item")]),
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
  tool_choice: z
    .union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), name: z.string() })])
    .optional(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.object({ format: format.optional() }).optional(),
  reasoning: z.object({ effort: z.string().nullish() }).nullish(),
});

const functionTool = z.object({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** What of a Responses body the neutral request carries: the rest reaches OpenAI only (core refuses it elsewhere). */
export const responsesCarried: Carried = {
  keys: [
    "model",
    "input",
    "instructions",
    "max_output_tokens",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "text",
    "reasoning",
  ],
  // Asking for what every provider does anyway: no stored response (nothing is stored elsewhere), no stream.
  atDefault: { store: false, stream: false },
  within: {
    input: {
      keys: ["type", "role", "content", "call_id", "name", "arguments", "output"],
      within: { content: { keys: ["type", "text", "image_url"] } },
    },
    tools: { keys: ["type", "name", "description", "parameters", "strict"] },
    tool_choice: { keys: ["type", "name"] },
    text: { keys: ["format"], within: { format: { keys: ["type", "name", "schema", "strict"] } } },
    reasoning: { keys: ["effort"] },
  },
};

const partsOf = (value: z.infer<typeof content>): ChatPart[] =>
  typeof value === "string"
    ? [{ type: "text", text: value }]
    : value.map((part): ChatPart => {
        if (part.type !== "input_image") return { type: "text", text: part.text };
        const inline = /^data:([^;,]+);base64,(.*)$/s.exec(part.image_url);
        return inline
          ? { type: "image", mediaType: inline[1], data: inline[2] }
          : { type: "image", url: part.image_url };
      });

const responseFormatOf = (given: z.infer<typeof format> | undefined): ResponseFormat | undefined => {
  if (given === undefined || given.type === "text") return undefined;
  if (given.type === "json_object") return { type: "json_object" };
  return {
    type: "json_schema",
    name: given.name,
    schema: given.schema,
    ...(given.strict != null && { strict: given.strict }),
  };
};

const toolChoiceOf = (choice: z.infer<typeof responsesBody>["tool_choice"]): ToolChoice | undefined =>
  choice === undefined
    ? undefined
    : typeof choice === "string"
      ? { type: choice }
      : { type: "tool", name: choice.name };

/** Paths of the tools other than functions (web search, file search, …): they run on OpenAI only. */
export const hostedTools = (body: z.infer<typeof responsesBody>): string[] =>
  (body.tools ?? []).flatMap((tool, i) => (tool.type === "function" ? [] : [`body.tools.${i}.type`]));

/**
 * A Responses body as the neutral request: `instructions` and system or developer items the system prompt, message
 * items the turns, function calls and their outputs the tool calls and results.
 */
export const chatRequestFromResponses = (body: z.infer<typeof responsesBody>): ChatRequest => {
  const system: string[] = body.instructions ? [body.instructions] : [];
  const messages: ChatMessage[] = [];
  const names = new Map<string, string>();
  const add = (role: ChatMessage["role"], parts: ChatPart[]) => {
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...parts);
    else messages.push({ role, content: parts });
  };
  for (const entry of typeof body.input === "string" ? [{ role: "user" as const, content: body.input }] : body.input) {
    if ("role" in entry) {
      if (entry.role === "system" || entry.role === "developer") system.push(textOf(partsOf(entry.content)));
      else add(entry.role, partsOf(entry.content));
    } else if (entry.type === "function_call") {
      names.set(entry.call_id, entry.name);
      add("assistant", [
        { type: "tool_call", id: entry.call_id, name: entry.name, arguments: argumentsObject(entry.arguments) },
      ]);
    } else {
      add("user", [{ type: "tool_result", id: entry.call_id, name: names.get(entry.call_id), content: entry.output }]);
    }
  }
  const effort = body.reasoning?.effort;
  return {
    model: body.model,
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages,
    maxTokens: body.max_output_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    tools: (body.tools ?? []).flatMap((entry) => {
      const parsed = functionTool.safeParse(entry);
      if (!parsed.success) return [];
      const { name, description, parameters } = parsed.data;
      return [
        { name, ...(description && { description }), parameters: parameters ?? { type: "object", properties: {} } },
      ];
    }),
    toolChoice: toolChoiceOf(body.tool_choice),
    parallelToolCalls: body.parallel_tool_calls ?? undefined,
    responseFormat: responseFormatOf(body.text?.format),
    ...(ReasoningEffort.includes(effort as ReasoningEffort) && { reasoning: { effort: effort as ReasoningEffort } }),
  };
};

/** Whether an effort is one every reasoning provider has a form for (others, such as `none`, reach OpenAI only). */
export const isCarriedEffort = (effort: unknown): boolean =>
  effort == null || ReasoningEffort.includes(effort as ReasoningEffort);

/**
 * A neutral answer as a Responses `response` object: the reasoning shown, the message, each function call, and
 * the usage; an answer cut at the output limit is `incomplete`, as OpenAI marks it.
 */
export const renderResponse = (response: ChatResponse, ids: () => string) => {
  const cut = response.finishReason === "length";
  const output = [
    ...(response.reasoning
      ? [{ id: `rs_${ids()}`, type: "reasoning", summary: [{ type: "summary_text", text: response.reasoning }] }]
      : []),
    ...(response.text
      ? [
          {
            id: `msg_${ids()}`,
            type: "message",
            role: "assistant",
            status: cut ? "incomplete" : "completed",
            content: [{ type: "output_text", text: response.text, annotations: [] }],
          },
        ]
      : []),
    ...(response.toolCalls ?? []).map((call) => ({
      id: `fc_${ids()}`,
      type: "function_call",
      call_id: call.id,
      name: call.name,
      arguments: call.arguments,
      status: "completed",
    })),
  ];
  const { usage } = response;
  return {
    id: `resp_${ids()}`,
    object: "response",
    created_at: response.created,
    status: cut ? "incomplete" : "completed",
    incomplete_details: cut ? { reason: "max_output_tokens" } : null,
    error: null,
    model: response.model,
    output,
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
  };
};
