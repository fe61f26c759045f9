import * as z from "zod";
import {
  argumentsObject,
  type ChatMessage,
  type ChatPart,
  type ChatRequest,
  chatEndpoint,
  type NeutralRequest,
  ReasoningEffort,
  type ResponseFormat,
  type ToolChoice,
  textOf,
} from "../core/chat";
import { type EmbeddingRequest, embeddingsEndpoint } from "../core/embeddings";
import { responsesEndpoint } from "../core/endpoints";
import { contentPaths, openAiCarried, uncarriedFields } from "./carried";
import { parseLine, refuseOtherKeys } from "./line-errors";
import {
  chatRequestFromResponses,
  hostedTools,
  isCarriedEffort,
  responsesBody,
  responsesCarried,
} from "./openai-responses";

/**
 * OpenAI batch input lines (`{custom_id, method, url, body}`) read into the neutral request: Chat Completions bodies
 * with text, image and PDF parts, tools and tool calls, structured output and reasoning effort.
 */

const contentPart = z.union([
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string() }) }),
  // A file by `file_id` (uploaded to OpenAI) reaches OpenAI only: `carried.ts` names it.
  z.object({
    type: z.literal("file"),
    file: z.object({
      file_data: z.string().optional(),
      file_id: z.string().optional(),
      filename: z.string().optional(),
    }),
  }),
]);
const textContent = z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }))]);
const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});
const message = z.discriminatedUnion(
  "role",
  [
    z.object({ role: z.enum(["system", "developer", "user"]), content: z.union([z.string(), z.array(contentPart)]) }),
    z.object({
      role: z.literal("assistant"),
      content: z.union([z.string(), z.array(contentPart)]).nullish(),
      tool_calls: z.array(toolCall).optional(),
    }),
    z.object({ role: z.literal("tool"), tool_call_id: z.string().min(1), content: textContent }),
  ],
  { error: "role must be system, developer, user, assistant or tool" },
);
const jsonSchema = z.record(z.string(), z.unknown());
const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: jsonSchema.optional(),
    strict: z.boolean().nullish(),
  }),
});
/** Tools and choices of other kinds (custom, allowed_tools) reach only OpenAI: `carried.ts` names them. */
const otherKind = z.object({ type: z.string().refine((type) => type !== "function") }).loose();
const toolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
  otherKind,
]);
const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: jsonSchema.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
const chatBody = z.object({
  model: z.string().min(1).optional(),
  messages: z.array(message).min(1, "needs at least one message"),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  tools: z.array(z.union([tool, otherKind])).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  reasoning_effort: z.string().nullish(),
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
const pdfDataUrl = /^data:application\/pdf;base64,(.*)$/s;
const toPart = (part: z.infer<typeof contentPart>): ChatPart[] => {
  if (part.type === "text") return [{ type: "text", text: part.text }];
  if (part.type === "file") {
    const pdf = pdfDataUrl.exec(part.file.file_data ?? "");
    return pdf
      ? [
          {
            type: "document",
            mediaType: "application/pdf",
            data: pdf[1]!,
            ...(part.file.filename && { name: part.file.filename }),
          },
        ]
      : [];
  }
  const inline = dataUrl.exec(part.image_url.url);
  return [
    inline ? { type: "image", mediaType: inline[1], data: inline[2] } : { type: "image", url: part.image_url.url },
  ];
};
const partsOf = (content: string | z.infer<typeof contentPart>[] | null | undefined): ChatPart[] =>
  content == null ? [] : typeof content === "string" ? [{ type: "text", text: content }] : content.flatMap(toPart);

const toolChoiceFrom = (choice: z.infer<typeof toolChoice> | undefined): ToolChoice | undefined => {
  if (choice === undefined) return undefined;
  if (typeof choice === "string") return { type: choice };
  return choice.type === "function"
    ? { type: "tool", name: (choice as { function: { name: string } }).function.name }
    : undefined;
};

const responseFormatFrom = (format: z.infer<typeof responseFormat> | undefined): ResponseFormat | undefined => {
  if (format === undefined || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const { name, schema, strict } = format.json_schema;
  return { type: "json_schema", name, schema: schema ?? { type: "object" }, ...(strict != null && { strict }) };
};

/**
 * An OpenAI Chat Completions body as the neutral request: system and developer messages become `system`, an
 * assistant's `tool_calls` become tool-call parts, and `tool` messages the user turn's tool results.
 */
export const chatRequestFromOpenAi = (body: z.infer<typeof chatBody>): ChatRequest => {
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  const names = new Map<string, string>();
  for (const m of body.messages) {
    if (m.role === "system" || m.role === "developer") system.push(textOf(partsOf(m.content)));
    else if (m.role === "user") messages.push({ role: "user", content: partsOf(m.content) });
    else if (m.role === "assistant") {
      const calls = (m.tool_calls ?? []).map((call): ChatPart => {
        names.set(call.id, call.function.name);
        return {
          type: "tool_call",
          id: call.id,
          name: call.function.name,
          arguments: argumentsObject(call.function.arguments),
        };
      });
      messages.push({ role: "assistant", content: [...partsOf(m.content), ...calls] });
    } else if (m.role === "tool") {
      const result: ChatPart = {
        type: "tool_result",
        id: m.tool_call_id,
        name: names.get(m.tool_call_id),
        content: textOf(partsOf(m.content)),
      };
      // Consecutive tool messages answer one assistant turn: one user turn holds them all.
      const last = messages.at(-1);
      if (last?.role === "user" && last.content.every((p) => p.type === "tool_result")) last.content.push(result);
      else messages.push({ role: "user", content: [result] });
    }
  }
  return {
    model: body.model,
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    stop: typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined),
    seed: body.seed ?? undefined,
    // A penalty of 0 asks for nothing (the SDKs' and product pages' default): it reaches every provider as unset.
    presencePenalty: body.presence_penalty || undefined,
    frequencyPenalty: body.frequency_penalty || undefined,
    tools: body.tools?.flatMap((item) => {
      const t = item.type === "function" ? (item as z.infer<typeof tool>) : undefined;
      return t
        ? [
            {
              name: t.function.name,
              ...(t.function.description !== undefined && { description: t.function.description }),
              parameters: t.function.parameters ?? { type: "object", properties: {} },
            },
          ]
        : [];
    }),
    toolChoice: toolChoiceFrom(body.tool_choice),
    parallelToolCalls: body.parallel_tool_calls,
    responseFormat: responseFormatFrom(body.response_format),
    ...(isEffort(body.reasoning_effort) && { reasoning: { effort: body.reasoning_effort } }),
  };
};

const isEffort = (value: unknown): value is ReasoningEffort => ReasoningEffort.includes(value as ReasoningEffort);

/** Parses one OpenAI batch input line; only `/v1/chat/completions` requests have a neutral form. */
export const parseOpenAiLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  refuseOtherKeys(value, ["custom_id", "method", "url", "body"], "an OpenAI batch line", lineNumber);
  const line = parseLine(inputLine, value, lineNumber);
  if (line.url === responsesEndpoint) return parseResponsesLine(line, lineNumber);
  if (line.url === embeddingsEndpoint) return parseEmbeddingsLine(line, lineNumber);
  const body = line.url === chatEndpoint ? parseLine(chatBody, line.body, lineNumber) : undefined;
  const uncarried = body ? uncarriedFields(line.body, openAiCarried, "body") : [];
  // Files other than a PDF's bytes have no form elsewhere.
  if (body)
    uncarried.push(
      ...contentPaths(
        body.messages,
        (part: z.infer<typeof contentPart>) => part.type === "file" && !pdfDataUrl.test(part.file.file_data ?? ""),
        "body.messages",
        ".file.file_data",
      ),
    );
  // Efforts beyond the four every reasoning provider has a form for (`none`, …) reach OpenAI only.
  if (body?.reasoning_effort != null && !isEffort(body.reasoning_effort)) uncarried.push("body.reasoning_effort");
  return {
    customId: line.custom_id,
    lineNumber,
    endpoint: line.url,
    ...(uncarried.length > 0 && { uncarried }),
    // Another endpoint's body goes to OpenAI as written.
    ...(!body && { native: line.body }),
    request: body
      ? chatRequestFromOpenAi(body)
      : { model: typeof line.body.model === "string" ? line.body.model : undefined, messages: [] },
  };
};

/**
 * A Responses line: read into the neutral request where its body parses, every field it does not carry named; one
 * that does not parse (an item or part type with no neutral form) keeps its body for OpenAI, where it goes as
 * written, and is refused elsewhere naming what failed.
 */
const parseResponsesLine = (line: z.infer<typeof inputLine>, lineNumber: number): NeutralRequest => {
  const parsed = responsesBody.safeParse(line.body);
  const model = typeof line.body.model === "string" ? line.body.model : undefined;
  const base = { customId: line.custom_id, lineNumber, endpoint: line.url, native: line.body };
  if (!parsed.success) {
    const path = ["body", ...deepestPath(parsed.error.issues)].join(".");
    return { ...base, uncarried: [path], request: { model, messages: [] } };
  }
  const uncarried = [...uncarriedFields(line.body, responsesCarried, "body"), ...hostedTools(parsed.data)];
  if (!isCarriedEffort(parsed.data.reasoning?.effort)) uncarried.push("body.reasoning.effort");
  return { ...base, ...(uncarried.length > 0 && { uncarried }), request: chatRequestFromResponses(parsed.data) };
};

type Issue = { path: PropertyKey[]; code?: string; errors?: Issue[][] };

/** Where a body failed to parse, as deep as its union alternatives reached (the item's part, not just the item). */
const deepestPath = (issues: readonly Issue[]): PropertyKey[] => {
  let deepest: PropertyKey[] = [];
  for (const issue of issues) {
    const nested = issue.code === "invalid_union" && issue.errors ? deepestPath(issue.errors.flat()) : [];
    const path = [...issue.path, ...nested];
    if (path.length > deepest.length) deepest = path;
  }
  return deepest;
};

const tokens = z.array(z.number().int().nonnegative());
const embeddingsBody = z.object({
  model: z.string().min(1).optional(),
  input: z.union([z.string(), z.array(z.string()).min(1), tokens.min(1), z.array(tokens).min(1)]),
  dimensions: z.number().int().positive().optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
});
/** What of an embeddings body a Titan record carries: `user` and anything newer reach OpenAI only. */
const embeddingsCarried = { keys: ["model", "input", "dimensions", "encoding_format"] };

/**
 * An embeddings line: its body goes to OpenAI as written; elsewhere its texts and options are what runs, every
 * other field named. A body that does not parse is kept for OpenAI (which answers it in its result line) and refused
 * elsewhere by the field that failed.
 */
const parseEmbeddingsLine = (line: z.infer<typeof inputLine>, lineNumber: number): NeutralRequest => {
  const model = typeof line.body.model === "string" ? line.body.model : undefined;
  const base = { customId: line.custom_id, lineNumber, endpoint: line.url, native: line.body };
  const parsed = embeddingsBody.safeParse(line.body);
  if (!parsed.success) {
    const path = ["body", ...deepestPath(parsed.error.issues)].join(".");
    return { ...base, uncarried: [path], request: { model, messages: [] } };
  }
  const { input, dimensions, encoding_format } = parsed.data;
  const texts =
    typeof input === "string" ? [input] : input.every((item) => typeof item === "string") ? input : undefined;
  const embedding: EmbeddingRequest = {
    ...(texts && { texts: texts as string[] }),
    ...(dimensions !== undefined && { dimensions }),
    encoding: encoding_format ?? "float",
  };
  const uncarried = uncarriedFields(line.body, embeddingsCarried, "body");
  return { ...base, ...(uncarried.length > 0 && { uncarried }), embedding, request: { model, messages: [] } };
};
