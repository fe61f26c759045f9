import * as z from "zod";
import type { ChatPart, ChatRequest, NeutralRequest, ToolChoice } from "../core/chat";
import { chatEndpoint, ReasoningEffort } from "../core/chat";
import { embeddingsEndpoint, purposeOfTaskType } from "../core/embeddings";
import { geminiCarried, uncarriedFields } from "./carried";
import { parseLine, refuseOtherKeys } from "./line-errors";

/**
 * Gemini batch lines (`{key, request}` or `{request, metadata: {key}}`) read into the neutral request: contents with
 * text, inline images and PDFs, function calls and responses; function declarations and calling modes; structured
 * output and thinking.
 */

const schema = z.record(z.string(), z.unknown());
/** A Gemini content part, in requests and in responses. */
export const geminiPart = z
  .object({
    text: z.string().optional(),
    thought: z.boolean().optional(),
    inlineData: z.object({ mimeType: z.string(), data: z.string() }).optional(),
    functionCall: z.object({ id: z.string().optional(), name: z.string().min(1), args: schema.optional() }).optional(),
    functionResponse: z.object({ id: z.string().optional(), name: z.string().min(1), response: schema }).optional(),
  })
  .loose();
const declaration = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  parameters: schema.optional(),
  parametersJsonSchema: schema.optional(),
  parameters_json_schema: schema.optional(),
});
const tool = z.object({
  functionDeclarations: z.array(declaration).optional(),
  function_declarations: z.array(declaration).optional(),
});
const callingConfig = z.object({
  mode: z.enum(["AUTO", "ANY", "NONE", "VALIDATED", "MODE_UNSPECIFIED"]).optional(),
  allowedFunctionNames: z.array(z.string()).optional(),
  allowed_function_names: z.array(z.string()).optional(),
});
const toolConfig = z.object({
  functionCallingConfig: callingConfig.optional(),
  function_calling_config: callingConfig.optional(),
});
const generationConfig = z
  .object({
    maxOutputTokens: z.number().int().positive().optional(),
    max_output_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stopSequences: z.array(z.string()).optional(),
    stop_sequences: z.array(z.string()).optional(),
    seed: z.number().int().optional(),
    presencePenalty: z.number().optional(),
    presence_penalty: z.number().optional(),
    frequencyPenalty: z.number().optional(),
    frequency_penalty: z.number().optional(),
    responseMimeType: z.enum(["text/plain", "application/json"]).optional(),
    response_mime_type: z.enum(["text/plain", "application/json"]).optional(),
    responseSchema: schema.optional(),
    response_schema: schema.optional(),
    responseJsonSchema: schema.optional(),
    response_json_schema: schema.optional(),
    thinkingConfig: z
      .object({
        thinkingBudget: z.number().int().optional(),
        includeThoughts: z.boolean().optional(),
        thinkingLevel: z.string().optional(),
      })
      .optional(),
    thinking_config: z
      .object({
        thinking_budget: z.number().int().optional(),
        include_thoughts: z.boolean().optional(),
        thinking_level: z.string().optional(),
      })
      .optional(),
  })
  .loose();
const generateContentRequest = z
  .object({
    model: z.string().optional(),
    contents: z
      .array(z.object({ role: z.enum(["user", "model"]).optional(), parts: z.array(geminiPart) }))
      .min(1, "needs at least one content"),
    systemInstruction: z.object({ parts: z.array(geminiPart) }).optional(),
    system_instruction: z.object({ parts: z.array(geminiPart) }).optional(),
    generationConfig: generationConfig.optional(),
    generation_config: generationConfig.optional(),
    tools: z.array(tool).optional(),
    toolConfig: toolConfig.optional(),
    tool_config: toolConfig.optional(),
  })
  .loose();
const keyedLine = z.union([
  z.object({ key: z.string().min(1), request: generateContentRequest }),
  z.object({ request: generateContentRequest, metadata: z.object({ key: z.string().min(1) }) }),
]);

/** True when a parsed line looks like a Gemini batch line (`{key, request}` or `{request, metadata.key}`). */
export const isGeminiLine = (line: Record<string, unknown>): boolean =>
  "request" in line && ("key" in line || "metadata" in line);

/**
 * An OpenAPI-style Gemini `Schema` (`type: "OBJECT"`, as the SDKs send it) as JSON Schema: the type names in lower
 * case, everything else as written.
 */
export const jsonSchemaOf = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(jsonSchemaOf);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === "type" && typeof child === "string" ? child.toLowerCase() : key === "enum" ? child : jsonSchemaOf(child),
    ]),
  );
};

/** Inline bytes as a neutral part: a PDF is a document, anything else an image (core refuses other media). */
const inlinePart = ({ mimeType, data }: { mimeType: string; data: string }): ChatPart =>
  mimeType === "application/pdf"
    ? { type: "document", mediaType: mimeType, data }
    : { type: "image", mediaType: mimeType, data };

/**
 * Gemini parts as neutral parts. A function call without an id (Gemini writes none unless asked) gets one from its
 * place in the request; a response without one answers the latest unanswered call of its name.
 */
const fromParts = (parts: z.infer<typeof geminiPart>[], turn: number, open: Map<string, string[]>): ChatPart[] =>
  parts.flatMap((p, index): ChatPart[] => {
    if (p.functionCall) {
      const id = p.functionCall.id ?? `call_${turn}_${index}`;
      open.set(p.functionCall.name, [...(open.get(p.functionCall.name) ?? []), id]);
      return [{ type: "tool_call", id, name: p.functionCall.name, arguments: p.functionCall.args ?? {} }];
    }
    if (p.functionResponse) {
      const { name, response } = p.functionResponse;
      const id = p.functionResponse.id ?? open.get(name)?.shift() ?? `call_${name}`;
      const { output, error } = response as { output?: unknown; error?: unknown };
      const value = error ?? output ?? response;
      return [
        {
          type: "tool_result",
          id,
          name,
          content: typeof value === "string" ? value : JSON.stringify(value),
          ...(error !== undefined && { isError: true }),
        },
      ];
    }
    return [
      ...(p.text !== undefined ? [{ type: "text" as const, text: p.text }] : []),
      ...(p.inlineData ? [inlinePart(p.inlineData)] : []),
    ];
  });

const toolChoiceFrom = (config: z.infer<typeof toolConfig> | undefined): ToolChoice | undefined => {
  const calling = config?.functionCallingConfig ?? config?.function_calling_config;
  const allowed = calling?.allowedFunctionNames ?? calling?.allowed_function_names ?? [];
  switch (calling?.mode) {
    case "ANY":
      return allowed.length === 1 ? { type: "tool", name: allowed[0]! } : { type: "required" };
    case "NONE":
      return { type: "none" };
    case "AUTO":
      return { type: "auto" };
    default:
      return undefined;
  }
};

/**
 * Gemini's thinking as neutral reasoning: a budget (-1, dynamic, as a medium effort; 0 asks for none), a level, or
 * thoughts asked for at the model's own budget.
 */
const reasoningFrom = (config: z.infer<typeof generationConfig> | undefined): Pick<ChatRequest, "reasoning"> => {
  const camel = config?.thinkingConfig;
  const snake = config?.thinking_config;
  const budget = camel?.thinkingBudget ?? snake?.thinking_budget;
  const level = camel?.thinkingLevel ?? snake?.thinking_level;
  const show = camel?.includeThoughts ?? snake?.include_thoughts;
  if (budget === 0 || (budget === undefined && level === undefined && !show)) return {};
  const effort = ReasoningEffort.find((e) => e === level?.toLowerCase());
  return {
    reasoning: {
      ...(budget !== undefined && budget > 0 ? { budgetTokens: budget } : { effort: effort ?? "medium" }),
      ...(show && { show }),
    },
  };
};

/** A Gemini GenerateContentRequest as the neutral request (camelCase or snake_case fields). */
export const chatRequestFromGemini = (request: z.infer<typeof generateContentRequest>): ChatRequest => {
  const config = request.generationConfig ?? request.generation_config;
  const system = request.systemInstruction ?? request.system_instruction;
  const mime = config?.responseMimeType ?? config?.response_mime_type;
  const jsonSchema = config?.responseJsonSchema ?? config?.response_json_schema;
  const openApiSchema = config?.responseSchema ?? config?.response_schema;
  const schema = jsonSchema ?? (openApiSchema && (jsonSchemaOf(openApiSchema) as Record<string, unknown>));
  const declarations = (request.tools ?? []).flatMap((t) => t.functionDeclarations ?? t.function_declarations ?? []);
  const open = new Map<string, string[]>();
  return {
    model: request.model?.replace(/^models\//, ""),
    system: system ? system.parts.map((p) => p.text ?? "").join("") : undefined,
    messages: request.contents.map((c, turn) => ({
      role: c.role === "model" ? "assistant" : "user",
      content: fromParts(c.parts, turn, open),
    })),
    maxTokens: config?.maxOutputTokens ?? config?.max_output_tokens,
    temperature: config?.temperature,
    topP: config?.topP ?? config?.top_p,
    stop: config?.stopSequences ?? config?.stop_sequences,
    seed: config?.seed,
    presencePenalty: (config?.presencePenalty ?? config?.presence_penalty) || undefined,
    frequencyPenalty: (config?.frequencyPenalty ?? config?.frequency_penalty) || undefined,
    ...(declarations.length > 0 && {
      tools: declarations.map((d) => ({
        name: d.name,
        ...(d.description !== undefined && { description: d.description }),
        parameters: (d.parametersJsonSchema ??
          d.parameters_json_schema ??
          (d.parameters && jsonSchemaOf(d.parameters)) ?? { type: "object", properties: {} }) as Record<
          string,
          unknown
        >,
      })),
    }),
    toolChoice: toolChoiceFrom(request.toolConfig ?? request.tool_config),
    ...reasoningFrom(config),
    ...(mime === "application/json" && {
      responseFormat: schema ? { type: "json_schema", name: "response", schema } : { type: "json_object" },
    }),
  };
};

/**
 * A function-calling mode the neutral choice has no form for: VALIDATED, or ANY among several (not all) named
 * functions. Named as uncarried fields, so they reach no other provider.
 */
const uncarriedChoice = (config: z.infer<typeof toolConfig> | undefined): string[] => {
  const calling = config?.functionCallingConfig ?? config?.function_calling_config;
  const at = "request.toolConfig.functionCallingConfig";
  if (calling?.mode === "VALIDATED") return [`${at}.mode`];
  const allowed = calling?.allowedFunctionNames ?? calling?.allowed_function_names ?? [];
  if (allowed.length > 1 || (allowed.length === 1 && calling?.mode !== "ANY")) return [`${at}.allowedFunctionNames`];
  return [];
};

/** Parses one Gemini batch line. */
export const parseGeminiLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  refuseOtherKeys(value, ["key", "request", "metadata"], "a Gemini batch line", lineNumber);
  const request = value.request as Record<string, unknown> | undefined;
  if (request && "content" in request && !("contents" in request)) return parseGeminiEmbedLine(value, lineNumber);
  const line = parseLine(keyedLine, value, lineNumber);
  const key = "key" in line ? line.key : line.metadata.key;
  const uncarried = [
    ...uncarriedFields(value.request, geminiCarried, "request"),
    ...uncarriedChoice(line.request.toolConfig ?? line.request.tool_config),
  ];
  return {
    customId: key,
    lineNumber,
    endpoint: chatEndpoint,
    ...(uncarried.length > 0 && { uncarried }),
    native: value.request as Record<string, unknown>,
    request: chatRequestFromGemini(line.request),
  };
};

const embedLine = z.union([
  z.object({ key: z.string().min(1), request: z.record(z.string(), z.unknown()) }),
  z.object({ metadata: z.object({ key: z.string().min(1) }), request: z.record(z.string(), z.unknown()) }),
]);
const embedRequest = z.object({
  model: z.string().optional(),
  content: z.object({ parts: z.array(z.object({ text: z.string() })).min(1, "needs a text part") }),
  outputDimensionality: z.number().int().positive().optional(),
});
/** What of an embed request the neutral one carries: `taskType` and `title` reach Gemini only. */
const embedCarried = {
  keys: ["model", "content", "outputDimensionality"],
  within: { content: { keys: ["parts", "role"], within: { parts: { keys: ["text"] } } } },
};

/**
 * A Gemini embeddings line (`{key, request: EmbedContentRequest}`, as the GenAI SDK's `create_embeddings` sends
 * them): one text, its vector size; sent to Gemini as written, elsewhere its text and size, every other field named.
 */
const parseGeminiEmbedLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  const line = parseLine(embedLine, value, lineNumber);
  const key = "key" in line ? line.key : line.metadata.key;
  const request = parseLine(embedRequest, line.request, lineNumber);
  // A taskType Cohere has an input_type for travels as the purpose; any other reaches Gemini only.
  const purpose = typeof line.request.taskType === "string" ? purposeOfTaskType(line.request.taskType) : undefined;
  const uncarried = uncarriedFields(line.request, embedCarried, "request").filter(
    (path) => !(purpose && path === "request.taskType"),
  );
  return {
    customId: key,
    lineNumber,
    endpoint: embeddingsEndpoint,
    native: line.request,
    ...(uncarried.length > 0 && { uncarried }),
    embedding: {
      texts: [request.content.parts.map((part) => part.text).join("")],
      ...(request.outputDimensionality !== undefined && { dimensions: request.outputDimensionality }),
      encoding: "float",
      ...(purpose && { purpose }),
    },
    request: { model: request.model?.replace(/^models\//, ""), messages: [] },
  };
};
