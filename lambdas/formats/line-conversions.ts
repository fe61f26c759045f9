import { upstreamKey } from "../core/ids";
import { stringifyJson } from "../core/json";
import type { ConvertedChunk, LineConversion } from "../core/ports";
import { toBedrockRecord } from "./bedrock-records";
import { parseAnyLine } from "./detect";
import { byteOrderMark, isBlank, type Line, linesIn, parseObjectLine } from "./jsonl";

/** Each conversion of one input line (any known format) to the upstream's line; blank lines give none. */
export const lineConversions: Record<LineConversion, (line: Line) => string> = {
  "bedrock-records": (line) => {
    const { format, request } = parseAnyLine(parseObjectLine(line), line.lineNumber);
    const recordId = upstreamKey(request.customId);
    // A Converse record reaches Bedrock as written (cachePoint, guardrails, …); other formats are converted.
    // (A Claude InvokeModel body is converted: the upstream job reads Converse records.)
    if (format === "bedrock" && request.native && !request.shape)
      return stringifyJson({ recordId, modelInput: request.native });
    return stringifyJson(toBedrockRecord(recordId, request.request));
  },
};

/**
 * Converts a chunk of whole lines (it ends at a line end, or at the end of the input), whose first line is
 * `firstLine`, into the converted lines' bytes. Synchronous: it runs in a worker thread as well as in process.
 */
export const convertChunk = (conversion: LineConversion, chunk: Buffer, firstLine: number): ConvertedChunk => {
  const convert = lineConversions[conversion];
  // Each converted line is encoded straight into the output (no joined string): about the input's size, grown
  // when a conversion writes more.
  let out = Buffer.allocUnsafe(chunk.length + 4096);
  let used = 0;
  let lines = 0;
  for (const line of linesIn(chunk, 0, chunk.length, firstLine)) {
    if (isBlank(line)) continue;
    const text = convert(line);
    if (used + text.length * 3 + 1 > out.length) {
      const grown = Buffer.allocUnsafe(Math.max(out.length * 2, used + text.length * 3 + 1));
      out.copy(grown, 0, 0, used);
      out = grown;
    }
    used += out.write(text, used);
    out[used++] = 10;
    lines++;
  }
  return { bytes: out.subarray(0, used), lines };
};

/**
 * Cuts a byte stream into chunks of whole lines of about `size` bytes, each with the number of its first line (a
 * leading byte order mark dropped): the units a conversion runs on, in process or in a worker.
 */
export async function* lineChunks(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size = 1024 * 1024,
): AsyncGenerator<{ chunk: Buffer; firstLine: number }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let firstLine = 1;
  let first = true;
  const cut = (all: Buffer, end: number) => {
    const chunk = all.subarray(0, end);
    let lines = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    const unit = { chunk, firstLine };
    firstLine += lines;
    return unit;
  };
  for await (const piece of source) {
    pending.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    pendingBytes += piece.byteLength;
    if (pendingBytes < size) continue;
    let all = Buffer.concat(pending);
    if (first) all = all.subarray(byteOrderMark(all));
    first = false;
    const last = all.lastIndexOf(10);
    if (last === -1) {
      pending = [all];
      continue;
    }
    yield cut(all, last + 1);
    pending = [all.subarray(last + 1)];
    pendingBytes = pending[0]!.length;
  }
  let rest = Buffer.concat(pending);
  if (first) rest = rest.subarray(byteOrderMark(rest));
  if (rest.length > 0) yield cut(rest, rest.length);
}

/** The in-process line converter: the same chunks and conversion a worker pool runs, one after another. */
export const inProcessConverter = {
  async *convert(source: AsyncIterable<Uint8Array>, conversion: LineConversion): AsyncGenerator<ConvertedChunk> {
    for await (const { chunk, firstLine } of lineChunks(source)) yield convertChunk(conversion, chunk, firstLine);
  },
};
