import { parquetReadObjects } from "hyparquet";
import { ByteWriter, ParquetWriter, schemaFromColumnData } from "hyparquet-writer";
import { type FocusRow, focusColumnKinds, focusColumns, focusDateTime } from "../core/focus-layout";

/** Rows per row group: each is turned into columns on its own, so a month's file never is at once. */
const rowGroupRows = 20_000;

/** The columns of some rows as hyparquet-writer takes them (typed: a column of nulls keeps its type). */
const columnsOf = (rows: readonly FocusRow[]) =>
  focusColumns.map((name) => {
    const kind = focusColumnKinds[name];
    const values = rows.map((row) => row[name]);
    if (kind === "decimal") return { name, type: "DOUBLE", data: values.map((v) => (v === null ? null : Number(v))) };
    if (kind === "datetime")
      return { name, type: "TIMESTAMP", data: values.map((v) => (v === null ? null : new Date(String(v)))) };
    return { name, type: "STRING", data: values.map((v) => (v === null ? null : String(v))) };
  });

/**
 * FOCUS rows as a Parquet file (hyparquet-writer): decimals as DOUBLE, datetimes as TIMESTAMP (UTC milliseconds),
 * everything else as UTF-8 strings; every column optional, so a null stays null. Written a row group at a time.
 */
export const focusParquet = (rows: readonly FocusRow[]): Uint8Array => {
  const writer = new ByteWriter();
  const schema = schemaFromColumnData({
    columnData: columnsOf([]) as Parameters<typeof schemaFromColumnData>[0]["columnData"],
  });
  const parquet = new ParquetWriter({ writer, schema });
  for (let i = 0; i === 0 || i < rows.length; i += rowGroupRows) {
    const columnData = columnsOf(rows.slice(i, i + rowGroupRows)).map(({ name, data }) => ({ name, data }));
    void parquet.write({ columnData, rowGroupSize: rowGroupRows });
  }
  parquet.finish();
  return new Uint8Array(writer.getBuffer());
};
/**
 * The rows of a file {@link focusParquet} wrote that `keep` takes (by their batch id and cost status), as they were
 * given (datetimes ISO 8601 to the second, UTC). Those two columns are read first, and whole rows only over the span
 * of the rows kept — usually none.
 */
export const focusRowsOfParquet = async (
  file: Uint8Array,
  keep: (row: { batchId: string; status: string }) => boolean = () => true,
): Promise<FocusRow[]> => {
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const keys = (await parquetReadObjects({ file: buffer, columns: ["x_BatchId", "x_CostStatus"] })) as {
    x_BatchId: string;
    x_CostStatus: string;
  }[];
  const kept = keys.flatMap((row, i) => (keep({ batchId: row.x_BatchId, status: row.x_CostStatus }) ? [i] : []));
  if (kept.length === 0) return [];
  const rowStart = kept[0]!;
  const wanted = new Set(kept);
  const objects = (await parquetReadObjects({ file: buffer, rowStart, rowEnd: kept.at(-1)! + 1 })) as Record<
    string,
    unknown
  >[];
  return objects
    .filter((_, i) => wanted.has(rowStart + i))
    .map(
      (object) =>
        Object.fromEntries(
          focusColumns.map((name) => {
            const value = object[name] ?? null;
            return [name, value instanceof Date ? focusDateTime(value) : value];
          }),
        ) as FocusRow,
    );
};
