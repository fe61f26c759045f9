import { Worker } from "node:worker_threads";
import { BadRequestError } from "../lambdas/core/errors";
import type { ConvertedChunk, LineConversion, LineConverter } from "../lambdas/core/ports";
import { convertChunk, lineChunks } from "../lambdas/formats/line-conversions";

/** Where the worker script is and how to start it. */
export interface LineWorkerOptions {
  threads: number;
  /** The worker entry (bench/convert-worker.ts, bundled as the stack would bundle it). */
  script: string | URL;
  /** `script` is the worker's code itself, not its file (e.g. one that loads TypeScript first). @default false */
  eval?: boolean;
}

type Reply =
  | { id: number; bytes: Uint8Array; lines: number }
  | { id: number; error: { message: string; statusCode?: number } };

/**
 * A line converter on worker threads (issue 16's experiment: measured by `npm run bench:convert`, not deployed — on
 * two cores it bought no wall time for half again the CPU and over 100 MB more memory; see the README): the input is cut into ~1 MiB chunks of whole lines, each converted by the
 * next worker, and the converted chunks come back in input order; at most two chunks per worker are in flight, so
 * memory stays bounded whatever the input's size. An input of one chunk is converted in process (no worker is worth
 * starting for it). The workers start on first use and stay for the next invocation, never keeping the process up.
 */
export const workerConverter = (options: LineWorkerOptions): LineConverter => {
  let workers: Worker[] | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (chunk: ConvertedChunk) => void; reject: (error: Error) => void }>();
  const pool = () => {
    workers ??= Array.from({ length: options.threads }, () => {
      const worker = new Worker(options.script, { eval: options.eval });
      worker.on("message", (reply: Reply) => {
        const job = waiting.get(reply.id);
        waiting.delete(reply.id);
        if ("error" in reply)
          job?.reject(
            reply.error.statusCode === 400 ? new BadRequestError(reply.error.message) : new Error(reply.error.message),
          );
        else job?.resolve({ bytes: Buffer.from(reply.bytes.buffer, 0, reply.bytes.byteLength), lines: reply.lines });
      });
      worker.on("error", (error) => {
        for (const job of waiting.values()) job.reject(error);
        waiting.clear();
        workers = undefined; // started afresh on the next conversion
      });
      worker.unref(); // after the listeners, which would hold it otherwise
      return worker;
    });
    return workers;
  };
  const run = (worker: Worker, conversion: LineConversion, chunk: Buffer, firstLine: number) =>
    new Promise<ConvertedChunk>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      const bytes = new Uint8Array(chunk); // a copy: the chunk shares its memory with the read buffer
      worker.postMessage({ id, conversion, bytes, firstLine }, [bytes.buffer]);
    });
  return {
    async *convert(source, conversion) {
      const chunks = lineChunks(source)[Symbol.asyncIterator]();
      const first = await chunks.next();
      if (first.done) return;
      const second = await chunks.next();
      if (second.done) {
        yield convertChunk(conversion, first.value.chunk, first.value.firstLine);
        return;
      }
      const threads = pool();
      const inFlight: Promise<ConvertedChunk>[] = [];
      let turn = 0;
      const send = ({ chunk, firstLine }: { chunk: Buffer; firstLine: number }) => {
        const converted = run(threads[turn++ % threads.length]!, conversion, chunk, firstLine);
        converted.catch(() => undefined); // awaited in order below; not an unhandled rejection meanwhile
        inFlight.push(converted);
      };
      send(first.value);
      send(second.value);
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        send(next.value);
        if (inFlight.length >= 2 * threads.length) yield await inFlight.shift()!;
      }
      while (inFlight.length > 0) yield await inFlight.shift()!;
    },
  };
};
