import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { type FocusRow, focusColumnKinds, focusColumns } from "../core/focus-layout";

/**
 * FOCUS rows as a Parquet file (hyparquet-writer): decimals as DOUBLE, datetimes as TIMESTAMP (UTC milliseconds),
 * everything else as UTF-8 strings; every column optional, so a null stays null.
 */
export const focusParquet = (rows: readonly FocusRow[]): Uint8Array =>
  new Uint8Array(
    parquetWriteBuffer({
      columnData: focusColumns.map((name) => {
        const kind = focusColumnKinds[name];
        const values = rows.map((row) => row[name]);
        if (kind === "decimal")
          return { name, type: "DOUBLE", data: values.map((v) => (v === null ? null : Number(v))) };
        if (kind === "datetime")
          return { name, type: "TIMESTAMP", data: values.map((v) => (v === null ? null : new Date(String(v)))) };
        return { name, type: "STRING", data: values.map((v) => (v === null ? null : String(v))) };
      }),
    }),
  );

/** The rows of a file {@link focusParquet} wrote, as it was given them (datetimes ISO 8601 to the second, UTC). */
export const focusRowsOfParquet = async (file: Uint8Array): Promise<FocusRow[]> => {
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const objects = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
  return objects.map(
    (object) =>
      Object.fromEntries(
        focusColumns.map((name) => {
          const value = object[name] ?? null;
          return [name, value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, "Z") : value];
        }),
      ) as FocusRow,
  );
};
