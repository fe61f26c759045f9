import { BadRequestError } from "../core/errors";

/** One line of a JSONL stream, numbered from 1 as editors number them. */
export interface Line {
  lineNumber: number;
  text: string;
}

/**
 * Splits a byte stream into lines without holding more than one line in memory. Accepts `\n` and `\r\n`;
 * invalid UTF-8 is a 400 naming the line it is on.
 */
export async function* readLines(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let lineNumber = 1;
  let pending = "";
  const decode = (chunk?: Uint8Array): string => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch (cause) {
      throw new BadRequestError(`Line ${lineNumber + countNewlines(pending)}: the file is not valid UTF-8.`, { cause });
    }
  };
  for await (const chunk of source) {
    pending += decode(chunk);
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      yield { lineNumber: lineNumber++, text: stripCarriageReturn(pending.slice(0, newline)) };
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  pending += decode();
  if (pending.length > 0) yield { lineNumber, text: stripCarriageReturn(pending) };
}

const stripCarriageReturn = (text: string): string => (text.endsWith("\r") ? text.slice(0, -1) : text);
const countNewlines = (text: string): number => text.split("\n").length - 1;

/** Parses one JSONL line that must hold a JSON object; a 400 naming the line otherwise. */
export const parseObjectLine = ({ lineNumber, text }: Line): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new BadRequestError(`Line ${lineNumber}: not valid JSON (${detail}).`, { cause, param: "file" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(`Line ${lineNumber}: expected a JSON object, got ${describe(value)}.`, { param: "file" });
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
