/**
 * `npm run bench:join`: how long a door takes to join a 1 GiB upload from the chunks API Gateway stored (JOIN_MB
 * changes the size), against API Gateway's 29 s:
 * - a GenAI resumable upload in 8 MiB chunks stored as sent: joined inside S3 (UploadPartCopy), then read once;
 * - a 1 GiB S3 multipart object whose 8 MiB parts came `aws-chunked` (boto3's default): decoded and streamed through
 *   the join (write), then read again for its lines.
 * "Lambda s" is the time the door's own code spends (reading, decoding, hashing, counting lines, writing); S3's
 * copies are timed apart, because the local emulator copies through this process while S3 copies inside itself.
 * Runs against the local S3 emulator (s3rver on this disk), so the figures are this machine's, not S3's: the bytes
 * through the Lambda are what carries over, at S3's throughput per Lambda stream.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { encodeChunkMeta } from "../lambdas/core/chunk-encoding";
import { defaultConfig } from "../lambdas/core/config";
import { createFileFromChunks, type FileDeps, storedChunks } from "../lambdas/core/files";
import { chunkMetaName, stagedChunkKey } from "../lambdas/core/layout";
import type { ObjectRepository } from "../lambdas/core/ports";
import { inputCodec } from "../lambdas/formats/detect";
import { S3BlobStore } from "../lambdas/state/s3-blob-store";
import { localNames, startEmulators } from "../local/emulators";

const megabytes = Number(process.env.JOIN_MB ?? 1024);
const chunkBytes = 8 * 1024 * 1024;
const doorLimitSeconds = 29;

/** One JSONL line of about 1 KB. */
const line = (i: number) => `${JSON.stringify({ custom_id: `r${i}`, body: { text: "z".repeat(960) } })}\n`;

/** A chunk of whole lines, `size` bytes (the last line padded with spaces inside its JSON). */
const chunkOf = (size: number, first: number): Buffer => {
  const lines: string[] = [];
  let length = 0;
  for (let i = first; length + 1100 < size; i++) {
    const text = line(i);
    lines.push(text);
    length += text.length;
  }
  const pad = size - length - 1;
  lines.push(`${JSON.stringify({ pad: "p".repeat(Math.max(0, pad - 10)) })}`.padEnd(pad, " "), "\n");
  return Buffer.from(lines.join(""));
};

/** The body framed as the AWS SDKs send `aws-chunked` (64 KiB frames, a CRC32 trailer). */
const awsChunked = (body: Buffer): Buffer => {
  const frames: Buffer[] = [];
  for (let at = 0; at < body.byteLength; at += 65_536) {
    const frame = body.subarray(at, at + 65_536);
    frames.push(Buffer.from(`${frame.byteLength.toString(16)}\r\n`), frame, Buffer.from("\r\n"));
  }
  frames.push(Buffer.from("0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"));
  return Buffer.concat(frames);
};

const dir = mkdtempSync(join(tmpdir(), "bench-join-"));
const emulators = await startEmulators(dir);
const blobs = new S3BlobStore(emulators.s3, localNames.bucket);
// S3's share of the work (the copies): timed apart, since the emulator copies through this process and S3 does not.
let copySeconds = 0;
const concat = blobs.concat.bind(blobs);
blobs.concat = async (...args) => {
  const started = performance.now();
  await concat(...args);
  copySeconds += (performance.now() - started) / 1000;
};
const created: unknown[] = [];
const deps: FileDeps = {
  repo: { create: async (record: unknown) => created.push(record) > 0 } as unknown as ObjectRepository,
  blobs,
  codec: inputCodec,
  config: defaultConfig,
};

const stageChunks = async (upload: string, framed: boolean): Promise<number> => {
  const count = Math.ceil((megabytes * 1024 * 1024) / chunkBytes);
  for (let i = 0; i < count; i++) {
    const body = chunkOf(chunkBytes, i * 10_000);
    const meta = framed ? { encoding: "aws-chunked" as const, decodedLength: body.byteLength } : {};
    await emulators.s3.send(
      new PutObjectCommand({
        Bucket: localNames.bucket,
        Key: stagedChunkKey(upload, String(i).padStart(5, "0")),
        Body: framed ? awsChunked(body) : body,
        Metadata: { [chunkMetaName]: encodeChunkMeta(meta) },
      }),
    );
  }
  return count * chunkBytes;
};

const rows: string[][] = [
  ["upload", "GiB", "path", "Lambda s", "Lambda s/GiB", "S3 copy s (emulator)", "bytes through the Lambda", "≤ 29 s"],
];
try {
  for (const [name, upload, framed] of [
    ["GenAI resumable, 8 MiB chunks", "genai", false],
    ["S3 multipart, 8 MiB aws-chunked parts", "multipart", true],
  ] as const) {
    const bytes = await stageChunks(upload, framed);
    const chunks = await storedChunks(deps, await blobs.list(`staged/uploads/${upload}/chunks/`));
    copySeconds = 0;
    const started = performance.now();
    const file = await createFileFromChunks(
      deps,
      { tenant: "bench", dialect: "genai", provider: "gemini", filename: "in.jsonl", contentType: "application/jsonl" },
      chunks,
    );
    const seconds = (performance.now() - started) / 1000 - copySeconds;
    const gib = bytes / 1024 ** 3;
    if (file.bytes !== bytes || !file.lineCount) throw new Error(`${name}: the join lost bytes or lines`);
    rows.push([
      name,
      gib.toFixed(2),
      framed ? "streamed (decode, write, read)" : "inside S3, then one read",
      seconds.toFixed(1),
      (seconds / gib).toFixed(1),
      framed ? "-" : copySeconds.toFixed(1),
      framed ? `${(3 * gib).toFixed(1)} GiB (read, write, read)` : `${gib.toFixed(1)} GiB (one read)`,
      seconds <= doorLimitSeconds ? "yes" : "no",
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
} finally {
  await emulators.close();
  rmSync(dir, { recursive: true, force: true });
}
