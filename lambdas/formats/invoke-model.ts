import * as z from "zod";
import type { ChatMessage, ChatResponse, InvokeShape, NeutralRequest } from "../core/chat";
import { chatEndpoint, uncachedInputTokens } from "../core/chat";
import { renderAnthropicMessage } from "./anthropic-messages";
import { isClaudeInvokeBody, parseClaudeInvokeRecord } from "./anthropic-request";
import { type Carried, converseCarried, uncarriedFields } from "./carried";
import { parseLine } from "./line-errors";

/**
 * The model families' own InvokeModel bodies in Bedrock records, read by their shape (Claude's Anthropic Messages,
 * Nova's messages-v1, Llama's and Mistral's prompt templates, Titan's inputText), and each family's own response
 * body, written for the records of a job of that shape whichever provider ran them.
 */

type ConverseParse = (record: Record<string, unknown>, lineNumber: number) => NeutralRequest;

const novaConfig = z.object({
  max_new_tokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stopSequences: z.array(z.string()).optional(),
});
const novaCarried: Carried = {
  keys: ["schemaVersion", "messages", "system", "inferenceConfig", "toolConfig"],
  within: {
    ...converseCarried.within,
    inferenceConfig: { keys: ["max_new_tokens", "temperature", "top_p", "stopSequences"] },
  },
};

const promptBody = z.object({
  prompt: z.string(),
  max_gen_len: z.number().int().positive().optional(),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stop: z.array(z.string()).optional(),
});
const llamaCarried: Carried = { keys: ["prompt", "max_gen_len", "temperature", "top_p"] };
const mistralCarried: Carried = { keys: ["prompt", "max_tokens", "temperature", "top_p", "stop"] };

const titanBody = z.object({
  inputText: z.string(),
  textGenerationConfig: z
    .object({
      maxTokenCount: z.number().int().positive().optional(),
      temperature: z.number().optional(),
      topP: z.number().optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
});
const titanCarried: Carried = {
  keys: ["inputText", "textGenerationConfig"],
  within: { textGenerationConfig: { keys: ["maxTokenCount", "temperature", "topP", "stopSequences"] } },
};

/** The family a record's `modelInput` is the own body of, if any. */
const shapeOf = (modelInput: Record<string, unknown>): InvokeShape | undefined => {
  if (isClaudeInvokeBody(modelInput)) return "claude-invoke";
  const config = modelInput.inferenceConfig as Record<string, unknown> | undefined;
  if ("schemaVersion" in modelInput || (config && "max_new_tokens" in config)) return "nova-invoke";
  if (typeof modelInput.prompt === "string")
    return "max_gen_len" in modelInput || modelInput.prompt.includes("<|start_header_id|>")
      ? "llama-invoke"
      : "mistral-invoke";
  if ("inputText" in modelInput) return "titan-invoke";
  return undefined;
};

/** Llama 3's chat template as messages; a prompt without it is one user message. */
const llamaMessages = (prompt: string): { system?: string; messages: ChatMessage[] } => {
  const turns = [
    ...prompt.matchAll(
      /<\|start_header_id\|>(system|user|assistant)<\|end_header_id\|>\n*([\s\S]*?)(?:<\|eot_id\|>|$)/g,
    ),
  ];
  if (turns.length === 0)
    return { messages: [{ role: "user", content: [{ type: "text", text: prompt.replace("<|begin_of_text|>", "") }] }] };
  const system = turns.filter(([, role]) => role === "system").map(([, , text]) => text!.trim());
  const messages = turns
    .filter(([, role, text]) => role !== "system" && text!.trim() !== "")
    .map(
      ([, role, text]): ChatMessage => ({
        role: role === "assistant" ? "assistant" : "user",
        content: [{ type: "text", text: text!.trim() }],
      }),
    );
  return { ...(system.length > 0 && { system: system.join("\n\n") }), messages };
};

/** Mistral's `[INST]` template as messages; a prompt without it is one user message. */
const mistralMessages = (prompt: string): ChatMessage[] => {
  const turns = [...prompt.matchAll(/\[INST\]([\s\S]*?)\[\/INST\]([\s\S]*?)(?=\[INST\]|$)/g)];
  if (turns.length === 0) return [{ role: "user", content: [{ type: "text", text: prompt.replace(/^<s>/, "") }] }];
  return turns.flatMap(([, user, answer]): ChatMessage[] => {
    const reply = answer!.replace(/<\/s>|<s>/g, "").trim();
    return [
      { role: "user", content: [{ type: "text", text: user!.trim() }] },
      ...(reply ? [{ role: "assistant" as const, content: [{ type: "text" as const, text: reply }] }] : []),
    ];
  });
};

const recordIdOnly = z.object({ recordId: z.string().min(1) }).loose();

const record = (shape: InvokeShape, value: Record<string, unknown>, lineNumber: number, carried: Carried) => ({
  customId: parseLine(recordIdOnly, value, lineNumber).recordId,
  lineNumber,
  endpoint: chatEndpoint,
  native: value.modelInput as Record<string, unknown>,
  shape,
  uncarried: uncarriedFields(value.modelInput, carried, "modelInput"),
});

/** A family's body in its record, so field errors name `modelInput.…` (schemas built once, not per line). */
const novaRecord = z.object({ modelInput: z.object({ inferenceConfig: novaConfig.optional() }).loose() });
const promptRecord = z.object({ modelInput: promptBody });
const titanRecord = z.object({ modelInput: titanBody });

/**
 * A record whose `modelInput` is a model family's own InvokeModel body, as a neutral request (`converse` reads a
 * Converse body, which Nova's nearly is); undefined for a Converse record.
 */
export const parseInvokeRecord = (
  value: Record<string, unknown>,
  lineNumber: number,
  converse: ConverseParse,
): NeutralRequest | undefined => {
  const modelInput = value.modelInput;
  if (typeof modelInput !== "object" || modelInput === null) return undefined;
  const shape = shapeOf(modelInput as Record<string, unknown>);
  const named = (request: NeutralRequest): NeutralRequest =>
    request.uncarried?.length ? request : { ...request, uncarried: undefined };
  switch (shape) {
    case undefined:
      return undefined;
    case "claude-invoke":
      return parseClaudeInvokeRecord(value, lineNumber);
    case "nova-invoke": {
      const { schemaVersion: _v, inferenceConfig, ...rest } = modelInput as Record<string, unknown>;
      const config = parseLine(novaRecord, value, lineNumber).modelInput.inferenceConfig;
      const asConverse = {
        ...rest,
        ...(inferenceConfig !== undefined && {
          inferenceConfig: {
            ...(config?.max_new_tokens !== undefined && { maxTokens: config.max_new_tokens }),
            ...(config?.temperature !== undefined && { temperature: config.temperature }),
            ...(config?.top_p !== undefined && { topP: config.top_p }),
            ...(config?.stopSequences !== undefined && { stopSequences: config.stopSequences }),
          },
        }),
      };
      const read = converse({ recordId: value.recordId, modelInput: asConverse }, lineNumber);
      return named({ ...read, ...record(shape, value, lineNumber, novaCarried) });
    }
    case "llama-invoke":
    case "mistral-invoke": {
      const body = parseLine(promptRecord, value, lineNumber).modelInput;
      const llama = shape === "llama-invoke";
      const { system, messages } = llama ? llamaMessages(body.prompt) : { messages: mistralMessages(body.prompt) };
      return named({
        ...record(shape, value, lineNumber, llama ? llamaCarried : mistralCarried),
        request: {
          ...(system && { system }),
          messages,
          maxTokens: llama ? body.max_gen_len : body.max_tokens,
          temperature: body.temperature,
          topP: body.top_p,
          stop: body.stop,
        },
      });
    }
    case "titan-invoke": {
      const body = parseLine(titanRecord, value, lineNumber).modelInput;
      const config = body.textGenerationConfig;
      return named({
        ...record(shape, value, lineNumber, titanCarried),
        request: {
          messages: [{ role: "user", content: [{ type: "text", text: body.inputText }] }],
          maxTokens: config?.maxTokenCount,
          temperature: config?.temperature,
          topP: config?.topP,
          stop: config?.stopSequences,
        },
      });
    }
  }
};

/** A neutral response as the family's own InvokeModel response body, as Bedrock writes it in `modelOutput`. */
export const invokeModelOutput = (shape: InvokeShape, r: ChatResponse): unknown => {
  const length = r.finishReason === "length";
  switch (shape) {
    case "claude-invoke":
      return renderAnthropicMessage(r);
    case "nova-invoke":
      return {
        output: { message: { role: "assistant", content: [{ text: r.text }] } },
        stopReason: length ? "max_tokens" : r.finishReason === "content_filter" ? "content_filtered" : "end_turn",
        usage: {
          inputTokens: uncachedInputTokens(r.usage),
          outputTokens: r.usage.outputTokens,
          totalTokens: r.usage.inputTokens + r.usage.outputTokens,
          cacheReadInputTokenCount: r.usage.cachedInputTokens ?? 0,
          cacheWriteInputTokenCount: r.usage.cacheWriteTokens ?? 0,
        },
      };
    case "llama-invoke":
      return {
        generation: r.text,
        prompt_token_count: r.usage.inputTokens,
        generation_token_count: r.usage.outputTokens,
        stop_reason: length ? "length" : "stop",
      };
    case "mistral-invoke":
      return { outputs: [{ text: r.text, stop_reason: length ? "length" : "stop" }] };
    case "titan-invoke":
      return {
        inputTextTokenCount: r.usage.inputTokens,
        results: [
          {
            tokenCount: r.usage.outputTokens,
            outputText: r.text,
            completionReason: length ? "LENGTH" : r.finishReason === "content_filter" ? "CONTENT_FILTERED" : "FINISH",
          },
        ],
      };
  }
};
