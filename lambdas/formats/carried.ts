/**
 * What of each format's request the neutral request carries, field by field. A field outside it — `tools`,
 * `response_format`, `seed`, a content part's `cache_control`, a model family's own InvokeModel body — reaches no
 * other provider, so a batch that holds one is refused by name at create (core's validation) rather than run
 * without it: a stripped field is billed work the caller did not ask for.
 */
export interface Carried {
  /** The keys carried at this level. */
  readonly keys: readonly string[];
  /** Keys whose value (an object, or an array of objects) is checked by its own spec. */
  readonly within?: Readonly<Record<string, Carried>>;
  /**
   * Keys carried only at the value that asks for what every provider does anyway (`n: 1`, `responseModalities:
   * ["TEXT"]`, as SDKs and product pages write them); every other value is refused like an unknown field.
   */
  readonly atDefault?: Readonly<Record<string, unknown>>;
}

/** True when `value` is `expected` (compared as JSON: arrays and objects by content). */
const same = (value: unknown, expected: unknown) => JSON.stringify(value) === JSON.stringify(expected);

const text: Carried = { keys: ["type", "text"] };
/** Anthropic's cache breakpoint, carried at its default life (a `ttl` reaches Anthropic only). */
const cacheControl: Carried = { keys: ["type"] };
const cachedText: Carried = { keys: ["type", "text", "cache_control"], within: { cache_control: cacheControl } };

/**
 * OpenAI Chat Completions: text and image parts; system, developer, user, assistant and tool messages with tool
 * calls; function tools, tool choice and structured output; four sampling fields.
 */
export const openAiCarried: Carried = {
  keys: [
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "reasoning_effort",
  ],
  atDefault: {
    n: 1,
    stream: false,
    logprobs: false,
    modalities: ["text"],
  },
  within: {
    messages: {
      keys: ["role", "content", "tool_calls", "tool_call_id"],
      within: {
        content: {
          keys: ["type", "text", "image_url", "file"],
          within: { image_url: { keys: ["url"] }, file: { keys: ["file_data", "filename"] } },
        },
        tool_calls: {
          keys: ["id", "function"],
          atDefault: { type: "function" },
          within: { function: { keys: ["name", "arguments"] } },
        },
      },
    },
    tools: {
      keys: ["function"],
      atDefault: { type: "function" },
      within: { function: { keys: ["name", "description", "parameters", "strict"] } },
    },
    tool_choice: { keys: ["function"], atDefault: { type: "function" }, within: { function: { keys: ["name"] } } },
    response_format: {
      keys: ["type", "json_schema"],
      within: { json_schema: { keys: ["name", "description", "schema", "strict"] } },
    },
  },
};

/** Anthropic Messages params: text, image, tool use and tool result blocks; custom tools and tool choice. */
export const anthropicCarried: Carried = {
  keys: [
    "model",
    "max_tokens",
    "system",
    "messages",
    "temperature",
    "top_p",
    "stop_sequences",
    "tools",
    "tool_choice",
    "thinking",
  ],
  within: {
    system: cachedText,
    messages: {
      keys: ["role", "content"],
      within: {
        content: {
          keys: [
            "type",
            "text",
            "source",
            "id",
            "name",
            "input",
            "tool_use_id",
            "content",
            "is_error",
            "cache_control",
          ],
          within: {
            source: { keys: ["type", "media_type", "data", "url"] },
            content: text,
            cache_control: cacheControl,
          },
        },
      },
    },
    tools: {
      keys: ["name", "description", "input_schema", "cache_control"],
      atDefault: { type: "custom" },
      within: { cache_control: cacheControl },
    },
    tool_choice: { keys: ["type", "name", "disable_parallel_tool_use"] },
    thinking: { keys: ["type", "budget_tokens"] },
  },
};

const geminiParts: Carried = {
  keys: ["text", "inlineData", "functionCall", "functionResponse"],
  within: {
    inlineData: { keys: ["mimeType", "data"] },
    functionCall: { keys: ["id", "name", "args"] },
    functionResponse: { keys: ["id", "name", "response"] },
  },
};
const geminiConfig: Carried = {
  atDefault: {
    responseModalities: ["TEXT"],
    response_modalities: ["TEXT"],
    candidateCount: 1,
    candidate_count: 1,
  },
  keys: [
    "maxOutputTokens",
    "max_output_tokens",
    "temperature",
    "topP",
    "top_p",
    "stopSequences",
    "stop_sequences",
    "seed",
    "presencePenalty",
    "presence_penalty",
    "frequencyPenalty",
    "frequency_penalty",
    "responseMimeType",
    "response_mime_type",
    "responseSchema",
    "response_schema",
    "responseJsonSchema",
    "response_json_schema",
    "thinkingConfig",
    "thinking_config",
  ],
  within: {
    thinkingConfig: { keys: ["thinkingBudget", "includeThoughts", "thinkingLevel"] },
    thinking_config: { keys: ["thinking_budget", "include_thoughts", "thinking_level"] },
  },
};
const declarations: Carried = {
  keys: ["name", "description", "parameters", "parametersJsonSchema", "parameters_json_schema"],
};
const callingConfig: Carried = { keys: ["mode", "allowedFunctionNames", "allowed_function_names"] };

/** A Gemini GenerateContentRequest (camelCase or snake_case). */
export const geminiCarried: Carried = {
  keys: [
    "model",
    "contents",
    "systemInstruction",
    "system_instruction",
    "generationConfig",
    "generation_config",
    "tools",
    "toolConfig",
    "tool_config",
  ],
  within: {
    contents: { keys: ["role", "parts"], within: { parts: geminiParts } },
    systemInstruction: { keys: ["parts", "role"], within: { parts: geminiParts } },
    system_instruction: { keys: ["parts", "role"], within: { parts: geminiParts } },
    generationConfig: geminiConfig,
    generation_config: geminiConfig,
    tools: {
      keys: ["functionDeclarations", "function_declarations"],
      within: { functionDeclarations: declarations, function_declarations: declarations },
    },
    toolConfig: {
      keys: ["functionCallingConfig", "function_calling_config"],
      within: { functionCallingConfig: callingConfig, function_calling_config: callingConfig },
    },
    tool_config: {
      keys: ["functionCallingConfig", "function_calling_config"],
      within: { functionCallingConfig: callingConfig, function_calling_config: callingConfig },
    },
  },
};

/** A Bedrock Converse record's `modelInput`. */
export const converseCarried: Carried = {
  keys: ["messages", "system", "inferenceConfig", "toolConfig", "additionalModelRequestFields"],
  within: {
    messages: {
      keys: ["role", "content"],
      within: {
        content: {
          keys: ["text", "image", "document", "toolUse", "toolResult", "cachePoint"],
          within: {
            cachePoint: { keys: ["type"] },
            image: { keys: ["format", "source"], within: { source: { keys: ["bytes"] } } },
            document: { keys: ["format", "name", "source"], within: { source: { keys: ["bytes"] } } },
            toolUse: { keys: ["toolUseId", "name", "input"] },
            toolResult: { keys: ["toolUseId", "content", "status"], within: { content: { keys: ["text", "json"] } } },
          },
        },
      },
    },
    system: { keys: ["text", "cachePoint"], within: { cachePoint: { keys: ["type"] } } },
    inferenceConfig: { keys: ["maxTokens", "temperature", "topP", "stopSequences"] },
    // Claude's thinking, the one model family's field the gateway writes and reads.
    additionalModelRequestFields: { keys: ["thinking"], within: { thinking: { keys: ["type", "budget_tokens"] } } },
    toolConfig: {
      keys: ["tools", "toolChoice"],
      within: {
        tools: {
          keys: ["toolSpec", "cachePoint"],
          within: {
            cachePoint: { keys: ["type"] },
            toolSpec: { keys: ["name", "description", "inputSchema"], within: { inputSchema: { keys: ["json"] } } },
          },
        },
        toolChoice: { keys: ["auto", "any", "tool"], within: { tool: { keys: ["name"] } } },
      },
    },
  },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The paths (`body.tools`, `body.messages.2.name`) of the fields `value` holds that `carried` does not, in order. */
export const uncarriedFields = (value: unknown, carried: Carried, path: string): string[] => {
  if (!isObject(value)) return [];
  const found: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    const at = `${path}.${key}`;
    if (carried.atDefault && key in carried.atDefault) {
      if (!same(child, carried.atDefault[key])) found.push(at);
      continue;
    }
    if (!carried.keys.includes(key)) {
      found.push(at);
      continue;
    }
    const spec = carried.within?.[key];
    if (!spec) continue;
    if (!Array.isArray(child)) found.push(...uncarriedFields(child, spec, at));
    else for (const [i, item] of child.entries()) found.push(...uncarriedFields(item, spec, `${at}.${i}`));
  }
  return found;
};

/**
 * The paths (`{path}.{i}.content.{j}{suffix}`) of the messages' content parts that `uncarried` picks. Indexed loops
 * in a function of its own: a `for…of` over `entries()` inside a line parse kept V8 from optimising the parse and
 * halved the input conversion's throughput (`npm run bench:convert`).
 */
export const contentPaths = <P>(
  messages: readonly { content?: string | readonly P[] | null }[],
  uncarried: (part: P) => boolean,
  path: string,
  suffix: string,
): string[] => {
  const found: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const content = messages[i]!.content;
    if (!Array.isArray(content)) continue;
    for (let j = 0; j < content.length; j++)
      if (uncarried(content[j] as P)) found.push(`${path}.${i}.content.${j}${suffix}`);
  }
  return found;
};
