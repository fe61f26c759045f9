import type { FileDeps } from "./files";
import { derivedId } from "./ids";
import { JsonlBlobWriter } from "./jsonl-blob-writer";
import { stagingPrefix } from "./layout";
import type { BatchRecord, FileRecord } from "./model";

/**
 * A result file the gateway writes for a batch (e.g. its output or error file). Its id is derived from the
 * batch, so a retried collect overwrites the same blob and finds the record already there. An empty file is
 * not kept: `close` returns undefined and removes the blob.
 */
export class GeneratedFile {
  private readonly id: string;
  private readonly writer: JsonlBlobWriter;

  constructor(
    private readonly deps: FileDeps,
    private readonly batch: BatchRecord,
    role: string,
    private readonly filename: string,
  ) {
    this.id = derivedId(batch.id, role);
    this.writer = new JsonlBlobWriter(deps.blobs, `${stagingPrefix.files}${batch.tenant}/${this.id}`, { sha256: true });
  }

  get lines(): number {
    return this.writer.lines;
  }

  write(value: unknown): Promise<void> {
    return this.writer.write(value);
  }

  /** Stores what was written; returns the file's id, or undefined when nothing was. */
  async close(): Promise<string | undefined> {
    return (await this.closeFile())?.id;
  }

  /** Stores what was written; returns the file's record, or undefined when nothing was. */
  async closeFile(): Promise<FileRecord | undefined> {
    const { bytes, lines, sha256 } = await this.writer.close();
    if (lines === 0) {
      await this.deps.blobs.delete(this.writer.key);
      return undefined;
    }
    const now = this.deps.now?.() ?? Date.now();
    const record: FileRecord = {
      id: this.id,
      kind: "file",
      tenant: this.batch.tenant,
      dialect: this.batch.dialect,
      provider: this.batch.provider,
      createdAt: now,
      // The caller's choice (OpenAI `output_expires_after`), never beyond the gateway's file lifetime.
      expiresAt:
        now +
        Math.min(
          this.deps.config.fileTtlDays * 86_400_000,
          (this.batch.outputExpiresAfterSeconds ?? Number.POSITIVE_INFINITY) * 1000,
        ),
      filename: this.filename,
      purpose: "batch_output",
      bytes,
      contentType: "application/jsonl",
      sha256: sha256 ?? "", // always set: the writer hashes (sha256: true)
      blobKey: this.writer.key,
      lineCount: lines,
    };
    await this.deps.repo.create(record); // false on a retry: the record of the same file is already there
    return record;
  }
}
