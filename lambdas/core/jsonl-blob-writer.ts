import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { stringifyJson } from "./json";
import type { BlobStore } from "./ports";

/** Lines are encoded straight into blocks of this size, each one write into the stream. */
const blockBytes = 1024 * 1024;

/**
 * Writes JSONL lines straight into the blob store as they are produced, honouring back-pressure, so an
 * output of any size passes through a bounded buffer. Tracks the byte and line counts, and the SHA-256 when asked
 * (files a caller downloads show it; staged upstream inputs need none).
 */
export class JsonlBlobWriter {
  private readonly stream = new PassThrough({ highWaterMark: 2 * blockBytes });
  private readonly hash?: Hash;
  private readonly upload: Promise<void>;
  private block = Buffer.allocUnsafe(blockBytes);
  private used = 0;
  bytes = 0;
  lines = 0;

  constructor(
    blobs: BlobStore,
    readonly key: string,
    options: { sha256?: boolean } = {},
  ) {
    if (options.sha256) this.hash = createHash("sha256");
    this.upload = blobs.putStream(key, this.stream, "application/jsonl");
    // Surface an upload failure on the next write instead of as an unhandled rejection.
    this.upload.catch(() => this.stream.destroy());
  }

  /** Writes one value as a JSON line. */
  write(value: unknown): Promise<void> {
    return this.writeLine(stringifyJson(value));
  }

  /** Writes one line of JSON text as it is (without its newline). */
  async writeLine(text: string): Promise<void> {
    this.lines++;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a line that may not fit is encoded on its own.
    if (this.used + text.length * 3 + 1 > blockBytes) {
      await this.flush();
      if (text.length * 3 + 1 > blockBytes) {
        await this.push(Buffer.from(`${text}\n`));
        return;
      }
    }
    this.used += this.block.write(text, this.used);
    this.block[this.used++] = 10;
  }

  /** Writes lines already encoded (each ending in `\n`), e.g. a converted chunk. */
  async writeChunk(bytes: Buffer, lines: number): Promise<void> {
    await this.flush();
    this.lines += lines;
    if (bytes.byteLength > 0) await this.push(bytes);
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.block.subarray(0, this.used);
    this.block = Buffer.allocUnsafe(blockBytes);
    this.used = 0;
    await this.push(chunk);
  }

  private async push(chunk: Buffer): Promise<void> {
    this.bytes += chunk.byteLength;
    this.hash?.update(chunk);
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, "drain"), this.upload]);
  }

  /** Ends the stream and waits until the object is stored; returns its size, lines and digest (when asked). */
  async close(): Promise<{ bytes: number; lines: number; sha256?: string }> {
    await this.flush();
    this.stream.end();
    await this.upload;
    return { bytes: this.bytes, lines: this.lines, sha256: this.hash?.digest("hex") };
  }
}
