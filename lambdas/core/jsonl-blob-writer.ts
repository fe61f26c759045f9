import { createHash } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import type { BlobStore } from "./ports";

/** Lines are gathered into blocks of this size before they enter the stream (one small write per line is slow). */
const blockBytes = 256 * 1024;

/**
 * Writes JSONL lines straight into the blob store as they are produced, honouring back-pressure, so an
 * output of any size passes through a bounded buffer. Tracks the byte count, line count and SHA-256.
 */
export class JsonlBlobWriter {
  private readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly hash = createHash("sha256");
  private readonly upload: Promise<void>;
  private block: string[] = [];
  private blockLength = 0;
  bytes = 0;
  lines = 0;

  constructor(
    blobs: BlobStore,
    readonly key: string,
  ) {
    this.upload = blobs.putStream(key, this.stream, "application/jsonl");
    // Surface an upload failure on the next write instead of as an unhandled rejection.
    this.upload.catch(() => this.stream.destroy());
  }

  async write(value: unknown): Promise<void> {
    const text = `${JSON.stringify(value)}\n`;
    this.block.push(text);
    this.blockLength += text.length;
    this.lines++;
    if (this.blockLength >= blockBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.block.length === 0) return;
    const chunk = Buffer.from(this.block.join(""));
    this.block = [];
    this.blockLength = 0;
    this.bytes += chunk.byteLength;
    this.hash.update(chunk);
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, "drain"), this.upload]);
  }

  /** Ends the stream and waits until the object is stored; returns its size and digest. */
  async close(): Promise<{ bytes: number; lines: number; sha256: string }> {
    await this.flush();
    this.stream.end();
    await this.upload;
    return { bytes: this.bytes, lines: this.lines, sha256: this.hash.digest("hex") };
  }
}
