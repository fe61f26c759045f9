import { createHash } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import type { BlobStore } from "../core/ports";

/**
 * Writes JSONL lines straight into the blob store as they are produced, honouring back-pressure, so an
 * output of any size passes through a bounded buffer. Tracks the byte count, line count and SHA-256.
 */
export class JsonlBlobWriter {
  private readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly hash = createHash("sha256");
  private readonly upload: Promise<void>;
  bytes = 0;
  lines = 0;

  constructor(blobs: BlobStore, readonly key: string) {
    this.upload = blobs.putStream(key, this.stream, "application/jsonl");
    // Surface an upload failure on the next write instead of as an unhandled rejection.
    this.upload.catch(() => this.stream.destroy());
  }

  async write(value: unknown): Promise<void> {
    const chunk = Buffer.from(`${JSON.stringify(value)}\n`);
    this.bytes += chunk.byteLength;
    this.lines++;
    this.hash.update(chunk);
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, "drain"), this.upload]);
  }

  /** Ends the stream and waits until the object is stored; returns its size and digest. */
  async close(): Promise<{ bytes: number; lines: number; sha256: string }> {
    this.stream.end();
    await this.upload;
    return { bytes: this.bytes, lines: this.lines, sha256: this.hash.digest("hex") };
  }
}
