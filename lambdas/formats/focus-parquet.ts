import { parquetWriteBuffer } from "hyparquet-writer";
import { type FocusRow, focusColumnKinds, focusColumns } from "../core/focus";

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
