import { type ChatRequest, effortBudget, invokeFamilies } from "./chat";
import type { Provider } from "./model";

/**
 * How each feature of the neutral request reaches each provider, as data: carried as the provider's own field, or
 * refused with the reason and the way around it. Core refuses a batch holding a feature a provider cannot carry
 * before anything is created; the same rows are the table in `docs/conversion.md` (`npm run docs` writes it; a test keeps the two equal).
 */
type Cell = string | { refused: string };

interface Feature {
  /** What the caller asked for, as the refusal names it. */
  readonly name: string;
  /** Whether the request holds the feature; `model` is the batch's (some features depend on the model family). */
  readonly present: (request: ChatRequest, model: string) => boolean;
  readonly on: Readonly<Record<Provider, Cell>>;
}

const parts = (request: ChatRequest) => request.messages.flatMap((m) => m.content);
const hasTools = (request: ChatRequest) => (request.tools?.length ?? 0) > 0;
const always = () => true;

const reasons = (request: ChatRequest) => request.reasoning !== undefined;
/** Claude on Bedrock (a foundation model id or an inference profile), the family Converse takes thinking for. */
const isBedrockClaude = (model: string) => invokeFamilies["claude-invoke"].models.test(model);
const thinkingRule = (provider: string, rule: string) => `${provider} extended thinking ${rule}`;

const jsonToolNote = "a forced call of one tool whose input schema is the answer's; its input comes back as the text";

export const carriage: readonly Feature[] = [
  {
    name: "text messages and the system prompt",
    present: always,
    on: {
      openai: "`messages` (a `system` message)",
      anthropic: "`messages`, `system`",
      gemini: "`contents`, `systemInstruction`",
      bedrock: "Converse `messages`, `system`",
    },
  },
  {
    name: "images as base64",
    present: (r) => parts(r).some((p) => p.type === "image" && p.data !== undefined),
    on: {
      openai: "`image_url` with a `data:` URL",
      anthropic: "an `image` block, `base64` source",
      gemini: "`inlineData`",
      bedrock: "an `image` block's `bytes`",
    },
  },
  {
    name: "PDF documents",
    present: (r) => parts(r).some((p) => p.type === "document"),
    on: {
      openai: "a `file` part with `file_data` (a `data:application/pdf` URL) and `filename`",
      anthropic: "a `document` block, `base64` source",
      gemini: '`inlineData` with `mimeType: "application/pdf"`',
      bedrock: "a `document` block (`format: pdf`, `name` in Converse's alphabet, `bytes`)",
    },
  },
  {
    name: "inline media other than images and PDFs (audio, video)",
    present: (r) =>
      parts(r).some((p) => p.type === "image" && p.mediaType !== undefined && !p.mediaType.startsWith("image/")),
    on: {
      openai: { refused: "the gateway converts images and PDFs only: run the batch on gemini, which reads this media" },
      anthropic: { refused: "Anthropic reads images and PDFs only: run the batch on gemini, which reads this media" },
      gemini: "`inlineData`",
      bedrock: {
        refused: "the gateway converts images and PDFs only: run the batch on gemini, which reads this media",
      },
    },
  },
  {
    name: "an image by URL",
    present: (r) => parts(r).some((p) => p.type === "image" && p.data === undefined),
    on: {
      openai: "`image_url`",
      anthropic: "an `image` block, `url` source",
      gemini: "`fileData.fileUri` (a URL Gemini can fetch)",
      bedrock: { refused: "Converse takes image bytes, not URLs: put the image in the request as base64" },
    },
  },
  {
    name: "the output token limit",
    present: (r) => r.maxTokens !== undefined,
    on: {
      openai: "`max_completion_tokens`",
      anthropic: "`max_tokens` (4,096 when unset: Anthropic requires one)",
      gemini: "`generationConfig.maxOutputTokens`",
      bedrock: "`inferenceConfig.maxTokens` (4,096 when unset)",
    },
  },
  {
    name: "a temperature up to 1",
    present: (r) => r.temperature !== undefined && r.temperature <= 1,
    on: {
      openai: "`temperature`",
      anthropic: "`temperature`",
      gemini: "`generationConfig.temperature`",
      bedrock: "`inferenceConfig.temperature`",
    },
  },
  {
    name: "a temperature above 1",
    present: (r) => r.temperature !== undefined && r.temperature > 1,
    on: {
      openai: "`temperature`",
      anthropic: { refused: "Anthropic's temperature runs from 0 to 1: give one in that range" },
      gemini: "`generationConfig.temperature`",
      bedrock: { refused: "Converse's temperature runs from 0 to 1: give one in that range" },
    },
  },
  {
    name: "top_p",
    present: (r) => r.topP !== undefined,
    on: {
      openai: "`top_p`",
      anthropic: "`top_p`",
      gemini: "`generationConfig.topP`",
      bedrock: "`inferenceConfig.topP`",
    },
  },
  {
    name: "stop sequences",
    present: (r) => r.stop !== undefined,
    on: {
      openai: "`stop`",
      anthropic: "`stop_sequences`",
      gemini: "`generationConfig.stopSequences`",
      bedrock: "`inferenceConfig.stopSequences`",
    },
  },
  {
    name: "prompt-cache breakpoints",
    present: (r) => r.systemCache === true || parts(r).some((p) => p.cache) || (r.tools ?? []).some((t) => t.cache),
    on: {
      openai: "automatic prompt caching (OpenAI caches repeated prefixes of 1,024 tokens or more without markers)",
      anthropic: '`cache_control: {type: "ephemeral"}` on the block, the system prompt or the tool',
      gemini: "implicit caching (Gemini caches repeated prefixes without markers)",
      bedrock: "a `cachePoint` after the block, the system prompt or the tool",
    },
  },
  {
    name: "seed",
    present: (r) => r.seed !== undefined,
    on: {
      openai: "`seed`",
      anthropic: { refused: "Anthropic has no seed: remove it, or run the batch on openai or gemini" },
      gemini: "`generationConfig.seed`",
      bedrock: { refused: "Converse has no seed: remove it, or run the batch on openai or gemini" },
    },
  },
  {
    name: "presence and frequency penalties",
    present: (r) => r.presencePenalty !== undefined || r.frequencyPenalty !== undefined,
    on: {
      openai: "`presence_penalty`, `frequency_penalty`",
      anthropic: { refused: "Anthropic has no penalties: remove them, or run the batch on openai or gemini" },
      gemini: "`generationConfig.presencePenalty`, `frequencyPenalty`",
      bedrock: { refused: "Converse has no penalties: remove them, or run the batch on openai or gemini" },
    },
  },
  {
    name: "function tools",
    present: hasTools,
    on: {
      openai: "`tools[].function`",
      anthropic: "`tools[]` with `input_schema`",
      gemini: "`tools[].functionDeclarations[]` with `parametersJsonSchema`",
      bedrock: "`toolConfig.tools[].toolSpec` with `inputSchema.json`",
    },
  },
  {
    name: "tool_choice 'auto'",
    present: (r) => r.toolChoice?.type === "auto",
    on: {
      openai: '`tool_choice: "auto"`',
      anthropic: '`tool_choice: {type: "auto"}`',
      gemini: "`toolConfig.functionCallingConfig.mode: AUTO`",
      bedrock: "`toolConfig.toolChoice.auto`",
    },
  },
  {
    name: "tool_choice 'required' (any tool)",
    present: (r) => r.toolChoice?.type === "required",
    on: {
      openai: '`tool_choice: "required"`',
      anthropic: '`tool_choice: {type: "any"}`',
      gemini: "`mode: ANY`",
      bedrock: "`toolConfig.toolChoice.any`",
    },
  },
  {
    name: "a tool_choice naming one tool",
    present: (r) => r.toolChoice?.type === "tool",
    on: {
      openai: '`tool_choice: {type: "function", function: {name}}`',
      anthropic: '`tool_choice: {type: "tool", name}`',
      gemini: "`mode: ANY` with `allowedFunctionNames: [name]`",
      bedrock: "`toolConfig.toolChoice.tool.name`",
    },
  },
  {
    name: "tool_choice 'none'",
    present: (r) => r.toolChoice?.type === "none",
    on: {
      openai: '`tool_choice: "none"`',
      anthropic: '`tool_choice: {type: "none"}`',
      gemini: "`mode: NONE`",
      bedrock: { refused: "Converse has no 'none' tool choice: leave the tools out of the request instead" },
    },
  },
  {
    name: "parallel_tool_calls: false",
    present: (r) => r.parallelToolCalls === false,
    on: {
      openai: "`parallel_tool_calls: false`",
      anthropic: "`tool_choice.disable_parallel_tool_use: true`",
      gemini: { refused: "Gemini has no setting for one call at a time: remove it, or run the batch on openai" },
      bedrock: { refused: "Converse has no setting for one call at a time: remove it, or run the batch on openai" },
    },
  },
  {
    name: "tool calls and tool results in the conversation",
    present: (r) => parts(r).some((p) => p.type === "tool_call" || p.type === "tool_result"),
    on: {
      openai: "an assistant message's `tool_calls`, then `tool` messages",
      anthropic: "`tool_use` blocks, then `tool_result` blocks",
      gemini: "`functionCall` parts, then `functionResponse` parts (`{output}` or `{error}`)",
      bedrock: "`toolUse` blocks, then `toolResult` blocks",
    },
  },
  {
    name: "tool calls in the conversation without tools",
    present: (r) => !hasTools(r) && parts(r).some((p) => p.type === "tool_call" || p.type === "tool_result"),
    on: {
      openai: "as written",
      anthropic: "as written",
      gemini: "as written",
      bedrock: { refused: "Converse needs the tools whenever messages hold tool use: add the request's tools" },
    },
  },
  {
    name: "JSON mode",
    present: (r) => r.responseFormat?.type === "json_object",
    on: {
      openai: '`response_format: {type: "json_object"}`',
      anthropic: `${jsonToolNote} (any object)`,
      gemini: '`responseMimeType: "application/json"`',
      bedrock: `${jsonToolNote} (any object), in \`toolConfig\``,
    },
  },
  {
    name: "a JSON schema for the answer",
    present: (r) => r.responseFormat?.type === "json_schema",
    on: {
      openai: '`response_format: {type: "json_schema", json_schema}`',
      anthropic: jsonToolNote,
      gemini: '`responseMimeType: "application/json"` with `responseJsonSchema`',
      bedrock: `${jsonToolNote}, in \`toolConfig\``,
    },
  },
  {
    name: "a JSON schema whose root is not an object",
    present: (r) => r.responseFormat?.type === "json_schema" && r.responseFormat.schema.type !== "object",
    on: {
      openai: "as written",
      anthropic: { refused: "Anthropic answers JSON as a tool's input, which is an object: wrap the answer in one" },
      gemini: "`responseJsonSchema`",
      bedrock: { refused: "Converse answers JSON as a tool's input, which is an object: wrap the answer in one" },
    },
  },
  {
    name: "structured output together with tools",
    present: (r) => r.responseFormat !== undefined && hasTools(r),
    on: {
      openai: "both",
      anthropic: {
        refused: "Anthropic answers JSON through a forced tool call, which would leave the request's tools unused",
      },
      gemini: "both",
      bedrock: {
        refused: "Converse answers JSON through a forced tool call, which would leave the request's tools unused",
      },
    },
  },
  {
    name: "reasoning (an effort or a budget of thinking tokens)",
    present: reasons,
    on: {
      openai: "`reasoning_effort` (a budget as `low` up to 2,048 tokens, `medium` up to 8,192, else `high`)",
      anthropic:
        "`thinking.budget_tokens` (an effort as 1,024, 2,048, 8,192 or 24,576 tokens; an unset `max_tokens` is " +
        "4,096 above the budget), thinking shown",
      gemini: "`generationConfig.thinkingConfig` (`thinkingBudget`, `includeThoughts`)",
      bedrock: "Claude models: `additionalModelRequestFields.thinking`, as Anthropic's",
    },
  },
  {
    name: "reasoning on a Bedrock model other than Claude",
    present: (r, model) => reasons(r) && !isBedrockClaude(model),
    on: {
      openai: "(Bedrock only)",
      anthropic: "(Bedrock only)",
      gemini: "(Bedrock only)",
      bedrock: {
        refused:
          "the gateway writes Converse's reasoning fields for Claude models only (each family has its own): " +
          "remove it, or run the batch on a Claude model",
      },
    },
  },
  {
    name: "reasoning with a forced tool choice or structured output",
    present: (r) =>
      reasons(r) &&
      (r.responseFormat !== undefined || r.toolChoice?.type === "tool" || r.toolChoice?.type === "required"),
    on: {
      openai: "both",
      anthropic: { refused: thinkingRule("Anthropic's", "takes only an auto or none tool choice: remove one of them") },
      gemini: "both",
      bedrock: { refused: thinkingRule("Claude's", "takes only an auto tool choice: remove one of them") },
    },
  },
  {
    name: "reasoning with temperature or top_p",
    present: (r) => reasons(r) && (r.temperature !== undefined || r.topP !== undefined),
    on: {
      openai: "as written",
      anthropic: { refused: thinkingRule("Anthropic's", "takes neither temperature nor top_p: remove them") },
      gemini: "both",
      bedrock: { refused: thinkingRule("Claude's", "takes neither temperature nor top_p: remove them") },
    },
  },
  {
    name: "reasoning within 1,024 output tokens or fewer",
    present: (r) => reasons(r) && r.maxTokens !== undefined && r.maxTokens <= effortBudget.minimal,
    on: {
      openai: "as written",
      anthropic: {
        refused: thinkingRule("Anthropic's", "needs max_tokens above its smallest budget (1,024): raise it"),
      },
      gemini: "as written",
      bedrock: { refused: thinkingRule("Claude's", "needs max_tokens above its smallest budget (1,024): raise it") },
    },
  },
];

/** The first feature of `request` that `provider` cannot carry for `model`, with the reason. */
export const refusalOn = (
  request: ChatRequest,
  provider: Provider,
  model: string,
): { feature: string; reason: string } | undefined => {
  for (const feature of carriage) {
    const cell = feature.on[provider];
    if (typeof cell !== "string" && feature.present(request, model))
      return { feature: feature.name, reason: cell.refused };
  }
  return undefined;
};
