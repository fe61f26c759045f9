import type { NeutralResult } from "../core/model";
import { type Line, parseObjectLine } from "./jsonl";

/** The request id an upstream result line names, in any provider's shape, if it names one. */
const idOf = (value: Record<string, unknown>): string | undefined => {
  const metadata = value.metadata as { key?: unknown } | undefined;
  const id = value.custom_id ?? value.recordId ?? value.key ?? metadata?.key;
  return typeof id === "string" && id !== "" ? id : undefined;
};

/**
 * One upstream result line read with `read`; a line the gateway cannot read becomes that request's error, in the
 * upstream's words, and the rest of the results read on. A line that names no request gives nothing: the engine
 * reports that request as having no result, as it does any request an upstream left out.
 */
export const readableResult = (
  line: Line,
  upstream: string,
  read: (value: Record<string, unknown>, lineNumber: number) => NeutralResult,
): NeutralResult | undefined => {
  let value: Record<string, unknown>;
  try {
    value = parseObjectLine(line);
  } catch {
    return undefined;
  }
  try {
    return read(value, line.lineNumber);
  } catch (error) {
    const customId = idOf(value);
    if (customId === undefined) return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    return {
      customId,
      outcome: "errored",
      error: {
        code: "unreadable_result",
        message:
          `The gateway could not read ${upstream}'s answer to this request (${reason.slice(0, 300)}). ` +
          `What ${upstream} wrote: ${line.text.slice(0, 1000)}`,
      },
    };
  }
};
