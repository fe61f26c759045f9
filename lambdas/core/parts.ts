/**
 * A batch of any size as parts: its input cut into runs of lines within the provider's per-job limits, each an
 * upstream job of its own, and rows that failed for a transient reason run again in parts of their own. Each ended
 * part keeps its results sorted by row; the batch's output is their merge, in input order, each row once with its
 * last outcome.
 */
import { charactersPerToken } from "./budgets";
import { type BatchPart, type BatchRecord, type BatchStatus, isTerminal, type NeutralResult } from "./model";
import { convertedRoom, type JobLimits, partsNeeded } from "./part-settings";
import type { ByteSource } from "./ports";

/** Where a batch asks for runs of failed rows: OpenAI metadata and Bedrock tags (`finops_retry`), or a header. */
export const retryField = { key: "finops_retry", header: "x-finops-retry" } as const;

/** The runs a batch asked for, as written (a number the create checks), or undefined where it did not ask. */
export const askedAttempts = (value: string | undefined): number | undefined =>
  value === undefined || value.trim() === "" ? undefined : Number(value);

/**
 * Cuts the input into parts: as many as the request limit needs, of equal size (so no tail part is tiny — Bedrock
 * runs a job of at least 100 records), each cut earlier where its bytes would pass the byte limit. Reads the bytes
 * once, finding line ends only (nothing is parsed); blank lines are not requests and go with the part before.
 */
export const planParts = async (source: ByteSource, rows: number, limits: JobLimits): Promise<BatchPart[]> => {
  const perPart = Math.ceil(rows / partsNeeded(rows, limits));
  const maxBytes = Math.max(1, Math.floor(limits.bytes * convertedRoom));
  const parts: BatchPart[] = [];
  let start = 0;
  let offset = 0;
  let count = 0;
  let firstRow = 0;
  /** The end of the part's last request line (blank lines after it go with the next cut). */
  let lastEnd = 0;
  let lineStart = 0;
  let lineHasText = false;
  const cut = (end: number) => {
    if (count === 0) return;
    parts.push(newPart(parts.length, firstRow, count, start, end));
    firstRow += count;
    count = 0;
    start = end;
  };
  const endLine = (end: number) => {
    if (lineHasText) {
      // This line would pass a limit: the part ends before it.
      if (count >= perPart || (count > 0 && end - start > maxBytes)) cut(lineStart);
      count++;
      lastEnd = end;
    }
    lineStart = end;
    lineHasText = false;
  };
  for await (const piece of source) {
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 10) endLine(offset + i + 1);
      else if (!lineHasText && byte !== 32 && byte !== 9 && byte !== 13) {
        // A byte order mark (EF BB BF at the very start) is not text.
        lineHasText = offset + i > 2 || (byte !== 0xef && byte !== 0xbb && byte !== 0xbf);
      }
    }
    offset += chunk.length;
  }
  endLine(offset);
  cut(Math.max(lastEnd, offset));
  return parts;
};

const newPart = (n: number, firstRow: number, rows: number, start: number, end: number): BatchPart => ({
  n,
  root: n,
  attempt: 1,
  rows,
  firstRow,
  start,
  end,
  tokens: Math.ceil((end - start) / charactersPerToken),
  state: "waiting",
  completed: 0,
  failed: 0,
});

/** A retry of `of`'s `rows` rows (their lines written to its own input file), one attempt on. */
export const retryPart = (of: BatchPart, n: number, rows: number, bytes: number): BatchPart => ({
  ...newPart(n, 0, rows, 0, bytes),
  root: of.root,
  attempt: of.attempt + 1,
});

/** How the upstream knows a part: part 0 by the batch's own id (a batch of one part runs as it always has). */
export const partId = (batch: Pick<BatchRecord, "id">, part: Pick<BatchPart, "n">): string =>
  part.n === 0 ? batch.id : `${batch.id}-p${part.n}`;

/** Where the gateway keeps a part's files: a retry's input lines and their rows, and every part's sorted results. */
export const partKeys = (batch: Pick<BatchRecord, "tenant" | "id">, part: Pick<BatchPart, "n">) => {
  const folder = `staged/${batch.tenant}/${batch.id}/parts/${String(part.n).padStart(4, "0")}`;
  return { input: `${folder}-input.jsonl`, rows: `${folder}-rows.json`, results: `${folder}-results.jsonl` };
};

/**
 * Whether a row failed for a reason another run may get past: a rate limit, an upstream 5xx or overload, a timeout,
 * or the end of the window before it ran. A row the provider refused as bad (a 4xx) is never run again, nor one
 * the caller cancelled.
 */
export const isTransient = (result: Pick<NeutralResult, "outcome" | "error">): boolean => {
  if (result.outcome === "expired") return true;
  if (result.outcome !== "errored") return false;
  const status = result.error?.statusCode;
  if (status === undefined) return /rate_limit|overloaded|timeout|unavailable|internal/i.test(result.error?.code ?? "");
  return status === 408 || status === 429 || status >= 500;
};

/** A row's result as a part keeps it: its row, the run it came from, and the result (ids restored). */
export interface KeptResult {
  row: number;
  attempt: number;
  result: NeutralResult;
}

/**
 * A part's results in its rows' order, however the upstream ordered them: each result waits only until the rows
 * before it came (an upstream that answers in input order holds nothing back). Rows the upstream did not answer
 * come back as `missing` says, in their place.
 */
export async function* inRowOrder(
  rows: readonly number[],
  results: AsyncIterable<{ row: number; result: NeutralResult }>,
  missing: (row: number) => NeutralResult,
): AsyncGenerator<{ row: number; result: NeutralResult }> {
  const early = new Map<number, NeutralResult>();
  let next = 0;
  for await (const item of results) {
    early.set(item.row, item.result);
    while (next < rows.length && early.has(rows[next]!)) {
      const row = rows[next++]!;
      yield { row, result: early.get(row)! };
      early.delete(row);
    }
  }
  for (; next < rows.length; next++) {
    const row = rows[next]!;
    const result = early.get(row);
    yield { row, result: result ?? missing(row) };
  }
}

/**
 * One input part's rows in order, each with its last outcome: the part's own results and its retries' (each sorted
 * by row, each retry's rows among the runs before it) merged, the latest run of a row winning. `runs` are in
 * attempt order.
 */
export async function* lastOutcomes(runs: readonly AsyncIterable<KeptResult>[]): AsyncGenerator<KeptResult> {
  const [first, ...later] = runs.map((run) => run[Symbol.asyncIterator]());
  if (!first) return;
  const heads = await Promise.all(later.map((run) => run.next()));
  for (let item = await first.next(); !item.done; item = await first.next()) {
    let last = item.value;
    for (let i = 0; i < later.length; i++) {
      const head = heads[i]!;
      if (!head.done && head.value.row === last.row) {
        last = head.value;
        heads[i] = await later[i]!.next();
      }
    }
    yield last;
  }
}

/** The batch's progress, for every SDK's batch object and the FinOps API. */
export interface Progress {
  parts: number;
  partsRunning: number;
  partsWaiting: number;
  /** Rows with an outcome that will not change (answered, or failed for good). */
  rowsDone: number;
  /** Rows that failed for a transient reason and wait for another run. */
  rowsRetrying: number;
  /** Runs of rows in all: each row's first run and every retry. */
  attempts: number;
}

export const progressOf = (batch: Pick<BatchRecord, "parts" | "requestCounts">): Progress => {
  const parts = batch.parts ?? [];
  const open = parts.filter((part) => part.state !== "ended");
  const retrying = open.filter((part) => part.attempt > 1).reduce((sum, part) => sum + part.rows, 0);
  return {
    parts: parts.length,
    partsRunning: parts.filter((part) => part.state === "running").length,
    partsWaiting: parts.filter((part) => part.state === "waiting").length,
    rowsDone: Math.min(
      batch.requestCounts.total,
      parts.reduce((sum, part) => sum + part.completed + part.failed - (part.retried ?? 0), 0),
    ),
    rowsRetrying: retrying,
    attempts: parts.reduce((sum, part) => sum + part.rows, 0),
  };
};

/**
 * When the batch should end, estimated from its parts that ended: each running part ends its submit time plus their
 * mean run time, and the waiting ones follow in rounds as wide as what runs now. Undefined while no part has ended
 * (nothing to measure yet); its end once it has ended.
 */
export const estimatedEnd = (
  batch: Pick<BatchRecord, "parts" | "status" | "statusTimes">,
  now: number,
): number | undefined => {
  const ended = Object.entries(batch.statusTimes).find(([status]) => isTerminal(status as BatchStatus))?.[1];
  if (ended !== undefined && isTerminal(batch.status)) return ended;
  const parts = batch.parts ?? [];
  const runs = parts
    .filter((part) => part.state === "ended" && part.submittedAt !== undefined && part.endedAt !== undefined)
    .map((part) => part.endedAt! - part.submittedAt!);
  if (runs.length === 0) return undefined;
  const mean = runs.reduce((sum, run) => sum + run, 0) / runs.length;
  const running = parts.filter((part) => part.state === "running");
  const waiting = parts.filter((part) => part.state === "waiting").length;
  const runningEnd = Math.max(now, ...running.map((part) => (part.submittedAt ?? now) + mean));
  return Math.round(runningEnd + Math.ceil(waiting / Math.max(1, running.length)) * mean);
};

/** The progress of a batch of several parts (or with retries) in a sentence; undefined for a batch of one part. */
export const progressSentence = (batch: Pick<BatchRecord, "parts" | "requestCounts">): string | undefined => {
  const p = progressOf(batch);
  if (p.parts <= 1) return undefined;
  return (
    `${p.parts} parts (${p.partsRunning} running, ${p.partsWaiting} waiting); ` +
    `${p.rowsDone} of ${batch.requestCounts.total} rows done, ${p.rowsRetrying} waiting to run again; ${p.attempts} runs`
  );
};
