import type { InputFormat, NeutralRequest } from "../core/chat";
import { BadRequestError, Field } from "../core/errors";
import type { ByteSource, InputCodec } from "../core/ports";
import { isAnthropicLine, parseAnthropicLine } from "./anthropic-request";
import { isBedrockLine, parseBedrockLine } from "./converse-request";
import { isGeminiLine, parseGeminiLine } from "./gemini-request";
import { isBlank, parseObjectLine, readLines, validateJsonlObjects } from "./jsonl";
import { isOpenAiLine, parseOpenAiLine } from "./openai-request";

const codecs: {
  format: InputFormat;
  matches: (line: Record<string, unknown>) => boolean;
  parse: (line: Record<string, unknown>, n: number) => NeutralRequest;
}[] = [
  { format: "openai", matches: isOpenAiLine, parse: parseOpenAiLine },
  { format: "anthropic", matches: isAnthropicLine, parse: parseAnthropicLine },
  { format: "bedrock", matches: isBedrockLine, parse: parseBedrockLine },
  { format: "gemini", matches: isGeminiLine, parse: parseGeminiLine },
];

/** Parses one object line in whatever known format it is in. */
export const parseAnyLine = (
  line: Record<string, unknown>,
  lineNumber: number,
): { format: InputFormat; request: NeutralRequest } => {
  const codec = codecs.find((c) => c.matches(line));
  if (!codec) {
    throw new BadRequestError(
      `Line ${lineNumber}: not a batch request in a known format (OpenAI {custom_id, method, url, body}, ` +
        "Anthropic {custom_id, params}, Bedrock {recordId, modelInput} or Gemini {key, request}).",
      { param: Field.input },
    );
  }
  return { format: codec.format, request: codec.parse(line, lineNumber) };
};

/** Streams the neutral requests of a batch input, one line at a time. */
export async function* readRequests(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<NeutralRequest & { format: InputFormat }> {
  for await (const line of readLines(source)) {
    if (isBlank(line)) continue;
    const { format, request } = parseAnyLine(parseObjectLine(line), line.lineNumber);
    yield Object.assign(request, { format }); // the request is this line's own: no copy per line
  }
}

/** The codec core reads batch inputs with (its `InputCodec` port). */
/** The text of each non-blank line. */
async function* lineTexts(source: ByteSource): AsyncGenerator<string> {
  for await (const line of readLines(source)) if (!isBlank(line)) yield line.text;
}

export const inputCodec: InputCodec = {
  requests: readRequests,
  countObjectLines: validateJsonlObjects,
  lines: lineTexts,
};
