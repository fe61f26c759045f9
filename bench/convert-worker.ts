import { parentPort } from "node:worker_threads";
import type { LineConversion } from "../lambdas/core/ports";
import { convertChunk } from "../lambdas/formats/line-conversions";

/** A chunk of whole input lines to convert, as the pool (bench/line-workers.ts) posts it. */
interface Job {
  id: number;
  conversion: LineConversion;
  bytes: Uint8Array;
  firstLine: number;
}

/**
 * Entry point of a conversion worker thread: converts each chunk it
 * is sent and transfers the converted bytes back; a bad line comes back as its error, named and numbered.
 */
parentPort?.on("message", (job: Job) => {
  try {
    const input = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
    const { bytes, lines } = convertChunk(job.conversion, input, job.firstLine);
    const out = new Uint8Array(bytes); // its own memory, to transfer
    parentPort?.postMessage({ id: job.id, bytes: out, lines }, [out.buffer]);
  } catch (error) {
    const { message, statusCode } = error as Error & { statusCode?: number };
    parentPort?.postMessage({ id: job.id, error: { message, statusCode } });
  }
});
