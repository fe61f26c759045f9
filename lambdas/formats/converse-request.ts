import * as z from "zod";
import type { ChatPart, ChatTool, NeutralRequest, ToolChoice } from "../core/chat";
import { chatEndpoint } from "../core/chat";
import { type EmbeddingPurpose, embeddingPurposes, embeddingsEndpoint } from "../core/embeddings";
import { BadRequestError, Field } from "../core/errors";
import { contentPaths, converseCarried, uncarriedFields } from "./carried";
import { parseInvokeRecord } from "./invoke-model";
import { parseLine, refuseOtherKeys } from "./line-errors";

/**
 * Bedrock batch records (`{recordId, modelInput}`) read into the neutral request: a Converse request body (text,
 * images, PDFs, tool use and results, cache points, tools, Claude's thinking), or a model family's own InvokeModel
 * body (`invoke-model.ts`).
 */

const jsonObject = z.record(z.string(), z.unknown());
const converseBlock = z.object({
  cachePoint: z.object({ type: z.string() }).optional(),
  text: z.string().optional(),
  image: z.object({ format: z.string(), source: z.object({ bytes: z.string() }) }).optional(),
  document: z
    .object({ format: z.string(), name: z.string(), source: z.object({ bytes: z.string() }).loose() })
    .optional(),
  toolUse: z.object({ toolUseId: z.string().min(1), name: z.string().min(1), input: jsonObject }).optional(),
  toolResult: z
    .object({
      toolUseId: z.string().min(1),
      content: z.array(z.object({ text: z.string().optional(), json: z.unknown().optional() })),
      status: z.enum(["success", "error"]).optional(),
    })
    .optional(),
});
const converseToolChoice = z.union([
  z.object({ auto: z.object({}) }),
  z.object({ any: z.object({}) }),
  z.object({ tool: z.object({ name: z.string().min(1) }) }),
]);
const converseTools = z.object({
  tools: z.array(
    z.object({
      cachePoint: z.object({ type: z.string() }).optional(),
      // A `cachePoint` entry has no toolSpec: `carried.ts` names it.
      toolSpec: z
        .object({
          name: z.string().min(1),
          description: z.string().optional(),
          inputSchema: z.object({ json: jsonObject }),
        })
        .optional(),
    }),
  ),
  toolChoice: converseToolChoice.optional(),
});
const converseInput = z.object({
  messages: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.array(converseBlock) })).min(1),
  system: z
    .array(z.object({ text: z.string().optional(), cachePoint: z.object({ type: z.string() }).optional() }))
    .optional(),
  inferenceConfig: z
    .object({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().optional(),
      topP: z.number().optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: converseTools.optional(),
  additionalModelRequestFields: z
    .object({
      thinking: z.object({ type: z.string(), budget_tokens: z.number().int().positive().optional() }).optional(),
    })
    .loose()
    .optional(),
});
const inputRecord = z.object({
  recordId: z.string().min(1, "recordId must be a non-empty string"),
  modelInput: converseInput,
});

/** True when a parsed line looks like a Bedrock record. */
export const isBedrockLine = (line: Record<string, unknown>): boolean => "modelInput" in line;

const fromConverseBlock = (block: z.infer<typeof converseBlock>, names: Map<string, string>): ChatPart[] => {
  const { toolUse, toolResult } = block;
  if (toolUse) {
    names.set(toolUse.toolUseId, toolUse.name);
    return [{ type: "tool_call", id: toolUse.toolUseId, name: toolUse.name, arguments: toolUse.input }];
  }
  if (toolResult)
    return [
      {
        type: "tool_result",
        id: toolResult.toolUseId,
        name: names.get(toolResult.toolUseId),
        content: toolResult.content.map((c) => c.text ?? JSON.stringify(c.json)).join(""),
        ...(toolResult.status && { isError: toolResult.status === "error" }),
      },
    ];
  if (block.document?.format === "pdf" && block.document.source.bytes !== undefined)
    return [
      { type: "document", mediaType: "application/pdf", data: block.document.source.bytes, name: block.document.name },
    ];
  return [
    ...(block.text !== undefined ? [{ type: "text" as const, text: block.text }] : []),
    ...(block.image
      ? [{ type: "image" as const, mediaType: `image/${block.image.format}`, data: block.image.source.bytes }]
      : []),
  ];
};

const toolChoiceFrom = (choice: z.infer<typeof converseToolChoice> | undefined): ToolChoice | undefined => {
  if (choice === undefined) return undefined;
  if ("tool" in choice) return { type: "tool", name: choice.tool.name };
  return { type: "any" in choice ? "required" : "auto" };
};

/**
 * A body that is no Converse request and no family's body the gateway reads — `max_tokens` without Converse's
 * `inferenceConfig` (a Claude body missing its `anthropic_version`, a Mistral chat body, …) — is refused by name:
 * read as a Converse record, its `max_tokens` would become 4,096 and its sampling fields would vanish.
 */
const refuseInvokeModelBody = (modelInput: unknown, lineNumber: number): void => {
  if (typeof modelInput !== "object" || modelInput === null) return;
  if (!("max_tokens" in modelInput) || "inferenceConfig" in modelInput) return;
  throw new BadRequestError(
    `Line ${lineNumber}: 'modelInput' has 'max_tokens', which Converse records do not: it reads as a model's own ` +
      "InvokeModel body of a family the gateway does not convert. The gateway reads Converse records ({messages, " +
      "system: [{text}], inferenceConfig: {maxTokens, …}}) and the InvokeModel bodies of Claude (with " +
      "'anthropic_version': \"bedrock-2023-05-31\"), Nova, Llama, Mistral (prompt) and Titan Text.",
    { param: Field.input },
  );
};

/**
 * Converse items (content blocks, tools) as neutral ones, a `cachePoint` item marking the one before it as the end of
 * a cached prefix; one with nothing before it is named as uncarried.
 */
const withCachePoints = <I extends { cachePoint?: unknown }, O extends { cache?: true }>(
  items: I[],
  convert: (item: I) => O[],
  uncarried: string[],
  path: string,
): O[] => {
  const out: O[] = [];
  for (const [i, item] of items.entries()) {
    if (item.cachePoint === undefined) out.push(...convert(item));
    else if (out.length > 0) out[out.length - 1]!.cache = true;
    else uncarried.push(`${path}.${i}.cachePoint`);
  }
  return out;
};

/** A Bedrock Converse-format record as a neutral request (the record id is the custom id). */
export const parseBedrockLine = (value: Record<string, unknown>, lineNumber: number): NeutralRequest => {
  refuseOtherKeys(value, ["recordId", "modelInput"], "a Bedrock record", lineNumber);
  const embedding = titanEmbeddingRecord(value, lineNumber);
  if (embedding) return embedding;
  const cohere = cohereEmbeddingRecord(value, lineNumber);
  if (cohere) return cohere;
  const invoke = parseInvokeRecord(value, lineNumber, parseBedrockLine);
  if (invoke) return invoke;
  refuseInvokeModelBody(value.modelInput, lineNumber);
  const record = parseLine(inputRecord, value, lineNumber);
  const config = record.modelInput.inferenceConfig;
  const uncarried = uncarriedFields(value.modelInput, converseCarried, "modelInput");
  const names = new Map<string, string>();
  const tools = record.modelInput.toolConfig;
  const thinking = record.modelInput.additionalModelRequestFields?.thinking;
  const at = "modelInput";
  // Documents other than PDFs (txt, csv, docx, …) have no form on every provider.
  uncarried.push(
    ...contentPaths(
      record.modelInput.messages,
      (block: z.infer<typeof converseBlock>) => block.document !== undefined && block.document.format !== "pdf",
      `${at}.messages`,
      ".document.format",
    ),
  );
  const system = record.modelInput.system ?? [];
  const systemCache = system.length > 1 && system.at(-1)!.cachePoint !== undefined;
  // A breakpoint inside the system prompt (one text elsewhere) has no form on other providers.
  const inner = system.findIndex((s, i) => s.cachePoint !== undefined && !(systemCache && i === system.length - 1));
  if (inner !== -1) uncarried.push(`${at}.system.${inner}.cachePoint`);
  const messages = record.modelInput.messages.map((m, i) => ({
    role: m.role,
    content: withCachePoints(
      m.content,
      (block) => fromConverseBlock(block, names),
      uncarried,
      `${at}.messages.${i}.content`,
    ),
  }));
  const toolList = withCachePoints(
    tools?.tools ?? [],
    ({ toolSpec: t }): ChatTool[] =>
      t
        ? [
            {
              name: t.name,
              ...(t.description !== undefined && { description: t.description }),
              parameters: t.inputSchema.json,
            },
          ]
        : [],
    uncarried,
    `${at}.toolConfig.tools`,
  );
  return {
    customId: record.recordId,
    lineNumber,
    endpoint: chatEndpoint,
    ...(uncarried.length > 0 && { uncarried }),
    native: value.modelInput as Record<string, unknown>,
    request: {
      system: record.modelInput.system?.flatMap((s) => (s.text === undefined ? [] : [s.text])).join("\n\n"),
      ...(systemCache && { systemCache: true }),
      messages,
      maxTokens: config?.maxTokens,
      temperature: config?.temperature,
      topP: config?.topP,
      stop: config?.stopSequences,
      ...(tools && { tools: toolList }),
      toolChoice: toolChoiceFrom(tools?.toolChoice),
      ...(thinking?.type === "enabled" && {
        reasoning: {
          ...(thinking.budget_tokens !== undefined && { budgetTokens: thinking.budget_tokens }),
          show: true,
        },
      }),
    },
  };
};

/** The keys of a Titan Text Embeddings record's body. */
const titanEmbedKeys = ["inputText", "dimensions", "normalize", "embeddingTypes"];
/** What of it other providers carry: the text and the size; `normalize` and `embeddingTypes` at Titan's defaults. */
const titanEmbedCarried = {
  keys: ["inputText", "dimensions"],
  atDefault: { normalize: true, embeddingTypes: ["float"] },
};

/**
 * A Titan Text Embeddings record (`{inputText, dimensions?, normalize?, embeddingTypes?}`): an embeddings request of
 * one text, sent to Bedrock as written. A bare `{inputText}` is also Titan Text's generation body, so it is read
 * both ways, and the job's model says which it is (core: an embedding model makes the job an embeddings batch).
 */
const titanEmbeddingRecord = (value: Record<string, unknown>, lineNumber: number): NeutralRequest | undefined => {
  const modelInput = value.modelInput as Record<string, unknown> | undefined;
  if (typeof modelInput?.inputText !== "string") return undefined;
  const keys = Object.keys(modelInput);
  if (!keys.every((key) => titanEmbedKeys.includes(key))) return undefined;
  const embedding = {
    texts: [modelInput.inputText],
    ...(typeof modelInput.dimensions === "number" && { dimensions: modelInput.dimensions }),
    encoding: "float" as const,
  };
  const uncarried = uncarriedFields(modelInput, titanEmbedCarried, "modelInput");
  if (keys.length === 1) {
    const generation = parseInvokeRecord(value, lineNumber, parseBedrockLine);
    if (generation) return { ...generation, embedding };
  }
  const { recordId } = parseLine(z.looseObject({ recordId: inputRecord.shape.recordId }), value, lineNumber);
  return {
    customId: recordId,
    lineNumber,
    endpoint: embeddingsEndpoint,
    native: modelInput,
    ...(uncarried.length > 0 && { uncarried }),
    embedding,
    request: { messages: [] },
  };
};

const cohereBody = z.object({
  texts: z.array(z.string()).min(1, "needs at least one text"),
  input_type: z.string(),
});
/** What of a Cohere Embed record other providers carry: the texts and what they are for, float vectors. */
const cohereCarried = { keys: ["texts", "input_type"], atDefault: { embedding_types: ["float"] } };

/**
 * A Cohere Embed record (`{texts, input_type, truncate?, embedding_types?}`): an embeddings request of up to 96 texts,
 * sent to Bedrock's Cohere Embed as written; elsewhere its texts and `input_type` (Gemini's `taskType`), every other
 * field named.
 */
const cohereEmbeddingRecord = (value: Record<string, unknown>, lineNumber: number): NeutralRequest | undefined => {
  const modelInput = value.modelInput as Record<string, unknown> | undefined;
  if (!Array.isArray(modelInput?.texts) || !("input_type" in modelInput)) return undefined;
  const { recordId } = parseLine(z.looseObject({ recordId: inputRecord.shape.recordId }), value, lineNumber);
  const body = parseLine(cohereBody, modelInput, lineNumber);
  const uncarried = uncarriedFields(modelInput, cohereCarried, "modelInput");
  const purpose = body.input_type in embeddingPurposes ? (body.input_type as EmbeddingPurpose) : undefined;
  if (!purpose) uncarried.push("modelInput.input_type");
  return {
    customId: recordId,
    lineNumber,
    endpoint: embeddingsEndpoint,
    native: modelInput,
    ...(uncarried.length > 0 && { uncarried }),
    embedding: { texts: body.texts, encoding: "float", ...(purpose && { purpose }) },
    request: { messages: [] },
  };
};
