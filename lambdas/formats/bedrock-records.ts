import * as z from "zod";
import type { ChatPart, ChatRequest, ChatResponse } from "../core/chat";
import { answerOf, reasoningOf, structuredOutputTool, withCache } from "../core/chat";
import type { NeutralResult } from "../core/model";
import { claudeThinking } from "./anthropic-messages";
import { parseLine } from "./line-errors";

const defaultMaxTokens = 4096;

/** A Converse content block as it appears in a batch record (image bytes base64-encoded). */
export type ConverseRecordBlock =
  | { text: string }
  | { image: { format: string; source: { bytes: string } } }
  | { document: { format: "pdf"; name: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: { text: string }[]; status?: "success" | "error" } }
  | { cachePoint: { type: "default" } };

const cachePoint = { cachePoint: { type: "default" } } as const;

/** A neutral part as Converse blocks: the block, then a `cachePoint` where the part ends a cached prefix. */
const toConverseBlocks = (part: ChatPart): ConverseRecordBlock[] =>
  part.cache ? [toConverseContent(part), cachePoint] : [toConverseContent(part)];

/** Images by URL have no Converse form (core refuses them for Bedrock before anything is converted). */
const toConverseContent = (part: ChatPart): ConverseRecordBlock => {
  switch (part.type) {
    case "text":
      return { text: part.text };
    case "image": {
      const format = (part.mediaType ?? "image/png").replace("image/", "").replace("jpg", "jpeg");
      return { image: { format, source: { bytes: part.data ?? "" } } };
    }
    case "document":
      return { document: { format: "pdf", name: converseDocumentName(part.name), source: { bytes: part.data } } };
    case "tool_call":
      return { toolUse: { toolUseId: part.id, name: part.name, input: part.arguments } };
    case "tool_result":
      return {
        toolResult: {
          toolUseId: part.id,
          content: [{ text: part.content }],
          ...(part.isError !== undefined && { status: part.isError ? "error" : "success" }),
        },
      };
  }
};

/**
 * A document's name as Converse takes it: letters, digits, single spaces, hyphens, parentheses and square brackets
 * (its documented alphabet), without the file extension.
 */
const converseDocumentName = (name = "document") =>
  name
    .replace(/\.pdf$/i, "")
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, " ")
    .replace(/\s+/g, " ")
    .trim() || "document";

const toolSpec = (name: string, description: string | undefined, schema: Record<string, unknown>) => ({
  toolSpec: { name, ...(description !== undefined && { description }), inputSchema: { json: schema } },
});
type ConverseTool = ReturnType<typeof toolSpec> | typeof cachePoint;

/**
 * Tools, tool choice and structured output as Converse's `toolConfig`; JSON output is a forced call of one tool,
 * as for Anthropic. Tool choice `none` and `parallel_tool_calls: false` have no Converse form (core refuses them).
 */
const converseToolConfig = (request: ChatRequest) => {
  const format = request.responseFormat;
  if (format)
    return {
      tools: [
        toolSpec(
          structuredOutputTool,
          `Answer with ${format.type === "json_schema" ? `the ${format.name} object` : "a JSON object"}.`,
          format.type === "json_schema" ? format.schema : { type: "object" },
        ),
      ],
      toolChoice: { tool: { name: structuredOutputTool } },
    };
  if (!request.tools) return undefined;
  const choice = request.toolChoice;
  return {
    tools: request.tools.flatMap((t): ConverseTool[] => [
      toolSpec(t.name, t.description, t.parameters),
      ...(t.cache ? [cachePoint] : []),
    ]),
    ...(choice?.type === "tool" && { toolChoice: { tool: { name: choice.name } } }),
    ...(choice?.type === "required" && { toolChoice: { any: {} } }),
    ...(choice?.type === "auto" && { toolChoice: { auto: {} } }),
  };
};

/**
 * The neutral request as a Converse request body (a Bedrock `Converse`-type job's `modelInput`). Reasoning is
 * Claude's `thinking` in `additionalModelRequestFields` (core refuses it for other model families).
 */
export const toConverseInput = (request: ChatRequest) => {
  const toolConfig = converseToolConfig(request);
  const thinking = claudeThinking(request);
  return {
    messages: request.messages.map((m) => ({ role: m.role, content: m.content.flatMap(toConverseBlocks) })),
    ...(request.system && { system: [{ text: request.system }, ...(request.systemCache ? [cachePoint] : [])] }),
    inferenceConfig: {
      maxTokens: thinking?.maxTokens ?? request.maxTokens ?? defaultMaxTokens,
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.topP !== undefined && { topP: request.topP }),
      ...(request.stop !== undefined && { stopSequences: request.stop }),
    },
    ...(toolConfig && { toolConfig }),
    ...(thinking && { additionalModelRequestFields: { thinking: thinking.thinking } }),
  };
};

/** A Bedrock batch input record: `{recordId, modelInput}`. */
export const toBedrockRecord = (recordId: string, request: ChatRequest) => ({
  recordId,
  modelInput: toConverseInput(request),
});

const stopReasons: Record<string, ChatResponse["finishReason"]> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  content_filtered: "content_filter",
  guardrail_intervened: "content_filter",
  tool_use: "tool_calls",
};

const converseOutput = z.object({
  output: z.object({
    message: z.object({
      content: z.array(
        z
          .object({
            text: z.string().optional(),
            toolUse: z.object({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).loose().optional(),
            reasoningContent: z
              .object({ reasoningText: z.object({ text: z.string() }).loose().optional() })
              .loose()
              .optional(),
          })
          .loose(),
      ),
    }),
  }),
  stopReason: z.string().default("end_turn"),
  usage: z
    .object({
      inputTokens: z.number().default(0),
      outputTokens: z.number().default(0),
      cacheReadInputTokens: z.number().nullish(),
      cacheWriteInputTokens: z.number().nullish(),
    })
    .default({ inputTokens: 0, outputTokens: 0 }),
});
const outputRecord = z.object({
  recordId: z.string(),
  modelOutput: z.unknown().optional(),
  error: z
    .object({ errorCode: z.union([z.number(), z.string()]).optional(), errorMessage: z.string().optional() })
    .optional(),
});

/** A Converse response as the neutral response. */
export const chatResponseFromConverse = (output: unknown, model: string, id: string, created: number): ChatResponse => {
  const parsed = converseOutput.parse(output);
  return {
    id,
    model,
    created,
    ...reasoningOf(
      parsed.output.message.content.flatMap((c) =>
        c.reasoningContent?.reasoningText ? [c.reasoningContent.reasoningText.text] : [],
      ),
    ),
    ...answerOf(
      parsed.output.message.content.map((c) => c.text ?? "").join(""),
      parsed.output.message.content.flatMap(({ toolUse }) =>
        toolUse ? [{ id: toolUse.toolUseId, name: toolUse.name, input: toolUse.input }] : [],
      ),
      stopReasons[parsed.stopReason] ?? "stop",
      { format: "bedrock", body: output },
    ),
    // Converse's inputTokens leaves out cache reads and writes, as Anthropic's does.
    usage: withCache(
      parsed.usage.inputTokens,
      parsed.usage.outputTokens,
      parsed.usage.cacheReadInputTokens,
      parsed.usage.cacheWriteInputTokens,
    ),
  };
};

/** One line of a Bedrock `.jsonl.out` file as a neutral result (its `recordId` still the upstream key). */
export const resultFromBedrockRecord = (
  value: unknown,
  lineNumber: number,
  model: string,
  created: number,
): NeutralResult => {
  const record = parseLine(outputRecord, value, lineNumber);
  if (record.modelOutput !== undefined && !record.error) {
    return {
      customId: record.recordId,
      outcome: "succeeded",
      response: chatResponseFromConverse(record.modelOutput, model, `chatcmpl-${record.recordId}`, created),
    };
  }
  const status = Number(record.error?.errorCode);
  return {
    customId: record.recordId,
    outcome: "errored",
    error: {
      code: String(record.error?.errorCode ?? "model_error"),
      message: record.error?.errorMessage ?? "Bedrock reported no output for this record.",
      statusCode: Number.isInteger(status) && status >= 400 ? status : 500,
    },
  };
};
