import { isUtf8 } from "node:buffer";
import { BadRequestError } from "../core/errors";

/** One line of a JSONL stream, numbered from 1 as editors number them. */
export interface Line {
  lineNumber: number;
  text: string;
}

/**
 * Splits a byte stream into lines without holding more than one line (and one chunk) in memory. Accepts `\n` and
 * `\r\n` and a leading byte order mark; invalid UTF-8 is a 400 naming the line it is on.
 *
 * Lines are found in the bytes (a `\n` byte is never inside a multi-byte character) and each is decoded on its own:
 * no decoder state, no string concatenation across chunks, and the UTF-8 check is one native pass per chunk.
 */
export async function* readLines(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Line> {
  let lineNumber = 1;
  let carry: Buffer | undefined;
  let first = true;
  for await (const piece of source) {
    let chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (carry) {
      chunk = Buffer.concat([carry, chunk]);
      carry = undefined;
    }
    let start = 0;
    if (first) {
      if (chunk.length < 3 && !chunk.includes(10)) {
        carry = chunk; // too short yet to tell a byte order mark
        continue;
      }
      first = false;
      start = byteOrderMark(chunk);
    }
    const last = chunk.lastIndexOf(10);
    if (last < start) {
      carry = chunk.subarray(start);
      continue;
    }
    for (const line of linesIn(chunk, start, last + 1, lineNumber)) {
      lineNumber = line.lineNumber + 1;
      yield line;
    }
    if (last + 1 < chunk.length) carry = chunk.subarray(last + 1);
  }
  if (carry) yield* linesIn(carry, first ? byteOrderMark(carry) : 0, carry.length, lineNumber);
}

/** The length of a UTF-8 byte order mark at the start of `bytes`: 3, or 0 when there is none. */
export const byteOrderMark = (bytes: Buffer): number =>
  bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;

/**
 * The lines of `bytes` from `from` to `end` (a line end, or the end of the input), numbered from `firstLine`: each
 * decoded on its own, `\r\n` accepted; an unterminated last line counts only if it holds something. Invalid UTF-8
 * is a 400 naming its line, found with one native pass over the range.
 */
export function* linesIn(bytes: Buffer, from: number, end: number, firstLine: number): Generator<Line> {
  if (!isUtf8(bytes.subarray(from, end))) throw notUtf8(bytes, from, end, firstLine);
  let lineNumber = firstLine;
  let start = from;
  while (start < end) {
    const newline = bytes.indexOf(10, start);
    const terminated = newline !== -1 && newline < end;
    const stop = terminated ? newline : end;
    const textEnd = stop > start && bytes[stop - 1] === 13 ? stop - 1 : stop;
    if (terminated || textEnd > start) yield { lineNumber, text: bytes.toString("utf8", start, textEnd) };
    lineNumber++;
    start = stop + 1;
  }
}

/** The 400 for invalid UTF-8 between `start` and `end`, naming the first line that holds it. */
const notUtf8 = (bytes: Buffer, start: number, end: number, firstLine: number): BadRequestError => {
  let lineNumber = firstLine;
  for (let from = start; from < end; lineNumber++) {
    const newline = bytes.indexOf(10, from);
    const to = newline === -1 || newline > end ? end : newline;
    if (!isUtf8(bytes.subarray(from, to))) break;
    from = to + 1;
  }
  return new BadRequestError(`Line ${lineNumber}: the file is not valid UTF-8.`);
};

const jsonlShape = "a batch input is JSONL: one JSON request object per line";

/**
 * What a line that is no JSON object says about the file, where it says something: a JSON array, a JSON document
 * spread over several lines, or CSV, each with the way to JSONL.
 */
const shapeHint = (lineNumber: number, text: string): string => {
  const line = text.trim();
  if (line.startsWith("["))
    return ` The file is a JSON array; ${jsonlShape}, without the enclosing [ ] and the commas between them.`;
  if (line === "{" || (line.startsWith('"') && line.endsWith(",")) || line.startsWith("}"))
    return ` It looks like JSON spread over several lines; ${jsonlShape}, each on one line.`;
  if (lineNumber === 1 && line.includes(",") && !line.startsWith("{"))
    return ` The file looks like CSV; ${jsonlShape}.`;
  return "";
};

/** Parses one JSONL line that must hold a JSON object; a 400 naming the line (and the file's shape) otherwise. */
export const parseObjectLine = ({ lineNumber, text }: Line): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new BadRequestError(`Line ${lineNumber}: not valid JSON (${detail}).${shapeHint(lineNumber, text)}`, {
      cause,
      param: "file",
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(
      `Line ${lineNumber}: expected a JSON object, got ${describe(value)}.${shapeHint(lineNumber, text)}`,
      { param: "file" },
    );
  }
  return value as Record<string, unknown>;
};

const describe = (value: unknown): string =>
  Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;

/** True for lines that hold only whitespace; JSONL readers skip them (a trailing newline is common). */
export const isBlank = (line: Line): boolean => line.text.trim().length === 0;

/**
 * Checks that a batch input is JSONL with one object per non-blank line, streaming. Returns the number of
 * request lines; an empty file is a 400 because a batch needs at least one request.
 */
export const validateJsonlObjects = async (
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> => {
  let count = 0;
  for await (const line of readLines(source)) {
    if (isBlank(line)) continue;
    parseObjectLine(line);
    count++;
  }
  if (count === 0)
    throw new BadRequestError("The file holds no JSONL lines; a batch input needs at least one request.", {
      param: "file",
    });
  return count;
};
