import { type FocusRow, focusColumns } from "../core/focus-layout";

/** A CSV field: quoted where it must be (RFC 4180), empty for null. */
const csvField = (value: string | number | null): string => {
  if (value === null) return "";
  const text = typeof value === "number" ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The rows as CSV with a header of every column (RFC 4180, CRLF line ends). */
export const focusCsv = (rows: readonly FocusRow[]): string => [...focusCsvPieces(rows)].join("");

/** The same CSV in pieces of a thousand lines, for a stream: a month's file is never one string in memory. */
export function* focusCsvPieces(rows: readonly FocusRow[]): Generator<string> {
  yield `${focusColumns.join(",")}\r\n`;
  for (let i = 0; i < rows.length; i += 1000)
    yield rows
      .slice(i, i + 1000)
      .map((row) => `${focusColumns.map((column) => csvField(row[column])).join(",")}\r\n`)
      .join("");
}
