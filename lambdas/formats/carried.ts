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

/** OpenAI Chat Completions: text and image parts, system/developer/user/assistant messages, four sampling fields. */
export const openAiCarried: Carried = {
  keys: ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop"],
  atDefault: {
    n: 1,
    stream: false,
    logprobs: false,
    modalities: ["text"],
    presence_penalty: 0,
    frequency_penalty: 0,
    response_format: { type: "text" },
  },
  within: {
    messages: {
      keys: ["role", "content"],
      within: { content: { keys: ["type", "text", "image_url"], within: { image_url: { keys: ["url"] } } } },
    },
  },
};

/** Anthropic Messages params. */
export const anthropicCarried: Carried = {
  keys: ["model", "max_tokens", "system", "messages", "temperature", "top_p", "stop_sequences"],
  within: {
    system: text,
    messages: {
      keys: ["role", "content"],
      within: {
        content: {
          keys: ["type", "text", "source"],
          within: { source: { keys: ["type", "media_type", "data"] } },
        },
      },
    },
  },
};

const geminiParts: Carried = { keys: ["text", "inlineData"], within: { inlineData: { keys: ["mimeType", "data"] } } };
const geminiConfig: Carried = {
  atDefault: {
    responseModalities: ["TEXT"],
    response_modalities: ["TEXT"],
    candidateCount: 1,
    candidate_count: 1,
    responseMimeType: "text/plain",
    response_mime_type: "text/plain",
  },
  keys: ["maxOutputTokens", "max_output_tokens", "temperature", "topP", "top_p", "stopSequences", "stop_sequences"],
};

/** A Gemini GenerateContentRequest (camelCase or snake_case). */
export const geminiCarried: Carried = {
  keys: ["model", "contents", "systemInstruction", "system_instruction", "generationConfig", "generation_config"],
  within: {
    contents: { keys: ["role", "parts"], within: { parts: geminiParts } },
    systemInstruction: { keys: ["parts", "role"], within: { parts: geminiParts } },
    system_instruction: { keys: ["parts", "role"], within: { parts: geminiParts } },
    generationConfig: geminiConfig,
    generation_config: geminiConfig,
  },
};

/** A Bedrock Converse record's `modelInput`. */
export const converseCarried: Carried = {
  keys: ["messages", "system", "inferenceConfig"],
  within: {
    messages: {
      keys: ["role", "content"],
      within: {
        content: {
          keys: ["text", "image"],
          within: { image: { keys: ["format", "source"], within: { source: { keys: ["bytes"] } } } },
        },
      },
    },
    system: { keys: ["text"] },
    inferenceConfig: { keys: ["maxTokens", "temperature", "topP", "stopSequences"] },
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
