import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobStore, StoredBlob } from "../lambdas/core/ports";

/** A BlobStore on the local disk, so benchmarks measure the conversion and not an emulator. */
export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}
  private path(key: string) {
    return join(this.root, key);
  }
  async put(key: string, body: Uint8Array): Promise<void> {
    await mkdir(dirname(this.path(key)), { recursive: true });
    await writeFile(this.path(key), body);
  }
  async putStream(key: string, body: Readable): Promise<void> {
    await mkdir(dirname(this.path(key)), { recursive: true });
    await pipeline(body, createWriteStream(this.path(key)));
  }
  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }
  async stream(key: string, range?: { start: number; end: number }): Promise<Readable> {
    return createReadStream(this.path(key), { highWaterMark: 256 * 1024, ...range });
  }
  async read(key: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    const bytes = await readFile(this.path(key));
    return range ? bytes.subarray(range.start, range.end + 1) : bytes;
  }
  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix), { recursive: true, force: true });
  }
  async list(prefix: string): Promise<StoredBlob[]> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    const keys = entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join("/"))
      .filter((key) => key.startsWith(prefix))
      .sort();
    return Promise.all(
      keys.map(async (key) => {
        const { size, mtimeMs } = await stat(this.path(key));
        return { key, size, etag: "", lastModified: mtimeMs };
      }),
    );
  }
  async copyIn(): Promise<undefined> {
    throw new Error("no other buckets on the local disk");
  }
  async copyOut(): Promise<void> {
    throw new Error("no other buckets on the local disk");
  }
  async concat(): Promise<void> {
    throw new Error("no joins on the local disk");
  }
  async metadata(): Promise<Record<string, string>> {
    return {};
  }
  async presignGet(): Promise<string> {
    throw new Error("not available on the local disk");
  }
}
