import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { checkedContentType, checkedName } from "./caller-text";
import { type ChunkMeta, decodeAwsChunked, decodeChunkMeta, runningChecksum } from "./chunk-encoding";
import type { GatewayConfig } from "./config";
import { BadRequestError, ConflictError, GatewayError, NotFoundError } from "./errors";
import { newId } from "./ids";
import { stagedChunksPrefix, stagingPrefix } from "./layout";
import type { Dialect, FilePurpose, FileRecord, ListQuery, Page, Provider } from "./model";
import {
  type BlobStore,
  type InputCodec,
  type InputRequest,
  minJoinPartBytes,
  type ObjectRepository,
  type StoredBlob,
} from "./ports";

/** What the file operations need; handlers build it once per cold start. */
export interface FileDeps {
  repo: ObjectRepository;
  blobs: BlobStore;
  /** Reads JSONL batch inputs (the formats layer's codec). */
  codec: InputCodec;
  config: GatewayConfig;
  now?: () => number;
}

/** The record of a file whose bytes are stored at `blobKey`. */
const fileRecord = (
  input: Pick<NewFile, "tenant" | "dialect" | "provider" | "filename" | "purpose" | "contentType">,
  stored: { id: string; blobKey: string; bytes: number; sha256: string; createdAt: number; expiresAt: number },
  extra: Pick<FileRecord, "lineCount" | "storageConfig"> = {},
): FileRecord => ({
  id: stored.id,
  kind: "file",
  tenant: input.tenant,
  dialect: input.dialect,
  provider: input.provider,
  createdAt: stored.createdAt,
  expiresAt: stored.expiresAt,
  filename: input.filename,
  purpose: input.purpose,
  bytes: stored.bytes,
  contentType: input.contentType,
  sha256: stored.sha256,
  blobKey: stored.blobKey,
  ...extra,
});

/** A new upload, already parsed from the dialect's request. */
export interface NewFile {
  tenant: string;
  dialect: Dialect;
  provider: Provider;
  filename: string;
  purpose: FilePurpose;
  contentType: string;
  body: Uint8Array;
  /** Lifetime asked for by the caller, capped at the gateway's file TTL. */
  expiresAfterSeconds?: number;
  storageConfig?: Record<string, unknown>;
}

const dayMs = 86_400_000;

/**
 * Stores an upload. Batch inputs are checked line by line first, so a bad file is refused before anything
 * is written; the bytes go to the blob store before the metadata, so a listed file always has its bytes.
 */
export const createFile = async (deps: FileDeps, input: NewFile): Promise<FileRecord> => {
  checkedName(input.filename);
  checkedContentType(input.contentType);
  const lineCount = input.purpose === "batch" ? await deps.codec.countObjectLines([input.body]) : undefined;
  const now = deps.now?.() ?? Date.now();
  const maxLifetimeMs = deps.config.fileTtlDays * dayMs;
  const lifetimeMs = Math.min(maxLifetimeMs, (input.expiresAfterSeconds ?? Infinity) * 1000);
  const id = newId();
  const record = fileRecord(
    input,
    {
      id,
      blobKey: `${stagingPrefix.files}${input.tenant}/${id}`,
      bytes: input.body.byteLength,
      sha256: createHash("sha256").update(input.body).digest("hex"),
      createdAt: now,
      expiresAt: now + lifetimeMs,
    },
    { lineCount, storageConfig: input.storageConfig },
  );
  await deps.blobs.put(record.blobKey, input.body, input.contentType);
  if (!(await deps.repo.create(record))) throw new Error(`File id collision: ${id}`);
  return record;
};

/**
 * Stores a file whose bytes arrive as a stream (an upload assembled from its parts), never holding it whole: the
 * bytes go to the blob store while their size and digests are counted; a batch input is then checked line by line
 * from the store. When `expectedBytes` or `md5` does not hold, or a line is broken, the blob is removed and
 * nothing is recorded.
 */
export const createFileFromStream = async (
  deps: FileDeps,
  input: Omit<NewFile, "body" | "expiresAfterSeconds" | "storageConfig">,
  source: AsyncIterable<Uint8Array>,
  check: { expectedBytes: number; md5?: string },
): Promise<FileRecord> => {
  checkedName(input.filename);
  checkedContentType(input.contentType);
  const id = newId();
  const blobKey = `${stagingPrefix.files}${input.tenant}/${id}`;
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  let bytes = 0;
  const counted = async function* () {
    for await (const chunk of source) {
      bytes += chunk.byteLength;
      sha256.update(chunk);
      md5.update(chunk);
      yield chunk;
    }
  };
  await deps.blobs.putStream(blobKey, Readable.from(counted()), input.contentType);
  try {
    if (bytes !== check.expectedBytes) {
      throw new BadRequestError(`The parts hold ${bytes} bytes, not the ${check.expectedBytes} announced at start.`);
    }
    const digest = md5.digest("hex");
    if (check.md5 !== undefined && check.md5.toLowerCase() !== digest) {
      throw new BadRequestError(`The parts' MD5 is ${digest}, not the ${check.md5} given.`);
    }
    const lineCount =
      input.purpose === "batch" ? await deps.codec.countObjectLines(await deps.blobs.stream(blobKey)) : undefined;
    const now = deps.now?.() ?? Date.now();
    const record = fileRecord(
      input,
      {
        id,
        blobKey,
        bytes,
        sha256: sha256.digest("hex"),
        createdAt: now,
        expiresAt: now + deps.config.fileTtlDays * dayMs,
      },
      { lineCount },
    );
    if (!(await deps.repo.create(record))) throw new Error(`File id collision: ${id}`);
    return record;
  } catch (error) {
    await deps.blobs.delete(blobKey);
    throw error;
  }
};

/**
 * The largest file joined from stored chunks (a GenAI upload, a multipart object): the join streams through a
 * Lambda from S3 and back inside one API request (29 s), so 1 GiB, at the S3 throughput a Lambda gets (README
 * "Real sizes"). Gemini itself takes 2 GB.
 */
export const maxJoinedBytes = 1024 * 1024 * 1024;

/** A chunk API Gateway stored straight into the bucket, with what its metadata says about its bytes. */
interface StoredChunk {
  blob: StoredBlob;
  meta: ChunkMeta;
}

/** The chunks under `prefix`, in key order, with their metadata. */
export const storedChunks = async (deps: FileDeps, blobs: StoredBlob[]): Promise<StoredChunk[]> =>
  Promise.all(blobs.map(async (blob) => ({ blob, meta: decodeChunkMeta(await deps.blobs.metadata(blob.key)) })));

/** The bytes a chunk holds once decoded (what its SDK announced for an aws-chunked body). */
export const decodedSize = ({ blob, meta }: StoredChunk): number =>
  meta.encoding === "aws-chunked" ? (meta.decodedLength ?? blob.size) : blob.size;

/** The check of one chunk's announced flexible checksum (a header, or the body's trailer) over its decoded bytes. */
const checksumCheck = (meta: ChunkMeta, which: string) => {
  const algorithm = meta.checksum?.algorithm;
  const running = algorithm ? runningChecksum(algorithm) : undefined;
  let trailed: string | undefined;
  return {
    update: (bytes: Uint8Array) => running?.update(bytes),
    trailers: (found: Record<string, string>) => {
      if (algorithm) trailed = found[`x-amz-checksum-${algorithm}`];
    },
    /** Why the checksum does not hold, or undefined (it holds, or is one this gateway does not compute). */
    verdict(): BadRequestError | undefined {
      if (!algorithm || !running) return undefined;
      const announced = meta.checksum?.value ?? trailed;
      if (announced === undefined)
        return new BadRequestError(
          `${which} has no x-amz-checksum-${algorithm} trailer, which its request announced.`,
          {
            code: "InvalidRequest",
          },
        );
      if (running.digest() === announced) return undefined;
      return new BadRequestError(
        `${which} does not match the ${algorithm.toUpperCase()} checksum its request announced ` +
          `(x-amz-checksum-${algorithm}).`,
        { code: "BadDigest" },
      );
    },
  };
};

/**
 * The bytes of the chunks, in order: each chunk's framing decoded, its length, payload hash and flexible checksum
 * checked against what its request announced (its signature held before its body was admitted).
 */
async function* chunkBytes(deps: FileDeps, chunks: StoredChunk[]): AsyncGenerator<Uint8Array> {
  for (const [index, { blob, meta }] of chunks.entries()) {
    const which = chunks.length > 1 ? `Chunk ${index + 1}` : "The body";
    const hash = meta.sha256 ? createHash("sha256") : undefined;
    const raw = async function* () {
      for await (const piece of await deps.blobs.stream(blob.key)) {
        hash?.update(piece as Uint8Array);
        yield piece as Uint8Array;
      }
    };
    const checksum = checksumCheck(meta, which);
    let length = 0;
    for await (const piece of meta.encoding === "aws-chunked" ? decodeAwsChunked(raw(), checksum.trailers) : raw()) {
      length += piece.byteLength;
      checksum.update(piece);
      yield piece;
    }
    const wrong = checksum.verdict();
    if (wrong) throw wrong;
    if (meta.decodedLength !== undefined && length !== meta.decodedLength)
      throw new BadRequestError(`${which} decodes to ${length} bytes, not the ${meta.decodedLength} announced.`);
    if (hash && hash.digest("hex") !== meta.sha256)
      throw new BadRequestError(`${which} does not match the SHA-256 its request announced (x-amz-content-sha256).`);
  }
}

/** What a join learns of the file it made. */
interface Joined {
  bytes: number;
  sha256: string;
  lineCount?: number;
  purpose: "batch" | "user_data";
}

/** S3 can join chunks itself when they are stored as sent (no aws-chunked framing) and are parts it takes. */
const joinsInS3 = (chunks: StoredChunk[]): boolean =>
  chunks.length <= 10_000 &&
  chunks.every(({ meta }) => meta.encoding === undefined) &&
  chunks.slice(0, -1).every(({ blob }) => blob.size >= minJoinPartBytes);

/**
 * Joins the chunks into one blob: inside S3 where it can (UploadPartCopy: no byte passes through this process),
 * else streamed through their checks. Then reads the file once for what it holds — its length, SHA-256, each
 * chunk's announced hash and, when every line is a JSON object, its line count (a batch input). A check that fails
 * throws before anything is recorded, and the blob is removed.
 */
const joinChunks = async (
  deps: FileDeps,
  chunks: StoredChunk[],
  blobKey: string,
  contentType: string,
): Promise<Joined> => {
  if (!joinsInS3(chunks)) return streamJoin(deps, chunks, blobKey, contentType);
  await deps.blobs.concat(
    blobKey,
    chunks.map(({ blob }) => blob.key),
    contentType,
  );
  try {
    return await inspectJoined(deps, chunks, blobKey);
  } catch (error) {
    await deps.blobs.delete(blobKey);
    throw error;
  }
};

/** One read of a file S3 joined: its chunks' announced hashes checked at their boundaries, its digest and lines. */
const inspectJoined = async (deps: FileDeps, chunks: StoredChunk[], blobKey: string): Promise<Joined> => {
  const sha256 = createHash("sha256");
  let bytes = 0;
  let total = 0;
  const ends = chunks.map(({ blob }) => {
    total += blob.size;
    return total;
  });
  let index = 0;
  const which = (at: number) => (chunks.length > 1 ? `Chunk ${at + 1}` : "The body");
  let chunkHash = createHash("sha256");
  let checksum = checksumCheck(chunks[0]?.meta ?? {}, which(0));
  let mismatch: BadRequestError | undefined;
  const endChunk = () => {
    const announced = chunks[index]?.meta.sha256;
    if (announced && chunkHash.digest("hex") !== announced) {
      mismatch ??= new BadRequestError(
        `${which(index)} does not match the SHA-256 its request announced (x-amz-content-sha256).`,
      );
    }
    mismatch ??= checksum.verdict();
    index += 1;
    chunkHash = createHash("sha256");
    checksum = checksumCheck(chunks[index]?.meta ?? {}, which(index));
  };
  const source = (async function* () {
    for await (const piece of await deps.blobs.stream(blobKey)) {
      const bytesIn = piece as Uint8Array;
      let at = 0;
      while (at < bytesIn.byteLength) {
        const take = Math.min(bytesIn.byteLength - at, (ends[index] ?? Number.POSITIVE_INFINITY) - bytes);
        const part = bytesIn.subarray(at, at + take);
        chunkHash.update(part);
        checksum.update(part);
        sha256.update(part);
        bytes += take;
        at += take;
        if (bytes === ends[index]) endChunk();
      }
      yield bytesIn;
    }
  })();
  // The line count may stop at a line that is not a JSON object; the rest is read all the same (digests).
  const unclosable = { [Symbol.asyncIterator]: () => ({ next: () => source.next() }) };
  const lineCount = await deps.codec.countObjectLines(unclosable).catch((error: unknown) => {
    if (error instanceof GatewayError && error.statusCode < 500) return undefined;
    throw error;
  });
  for await (const _ of unclosable);
  if (mismatch) throw mismatch;
  return {
    bytes,
    sha256: sha256.digest("hex"),
    lineCount,
    purpose: lineCount === undefined ? "user_data" : "batch",
  };
};

/**
 * Streams the chunks, decoded and checked, into one blob (never held whole) and reads back what it holds: its
 * length, SHA-256, and — when every line is a JSON object — its line count (a batch input). A check that fails
 * throws before anything is recorded; the blob is not written.
 */
const streamJoin = async (
  deps: FileDeps,
  chunks: StoredChunk[],
  blobKey: string,
  contentType: string,
): Promise<Joined> => {
  const sha256 = createHash("sha256");
  let bytes = 0;
  const counted = async function* () {
    for await (const piece of chunkBytes(deps, chunks)) {
      bytes += piece.byteLength;
      sha256.update(piece);
      yield piece;
    }
  };
  await deps.blobs.putStream(blobKey, Readable.from(counted()), contentType);
  const lineCount = await deps.codec.countObjectLines(await deps.blobs.stream(blobKey)).catch(() => undefined);
  return {
    bytes,
    sha256: sha256.digest("hex"),
    lineCount,
    purpose: lineCount === undefined ? ("user_data" as const) : ("batch" as const),
  };
};

/** Stores a file joined from stored chunks (a completed multipart upload); its purpose follows from its lines. */
export const createFileFromChunks = async (
  deps: FileDeps,
  input: Pick<NewFile, "tenant" | "dialect" | "provider" | "filename" | "contentType">,
  chunks: StoredChunk[],
): Promise<FileRecord> => {
  const id = newId();
  const blobKey = `${stagingPrefix.files}${input.tenant}/${id}`;
  const joined = await joinChunks(deps, chunks, blobKey, input.contentType);
  const now = deps.now?.() ?? Date.now();
  const record = fileRecord(
    { ...input, purpose: joined.purpose },
    {
      id,
      blobKey,
      bytes: joined.bytes,
      sha256: joined.sha256,
      createdAt: now,
      expiresAt: now + deps.config.fileTtlDays * dayMs,
    },
    { lineCount: joined.lineCount },
  );
  if (!(await deps.repo.create(record))) throw new Error(`File id collision: ${id}`);
  return record;
};

/**
 * Joins the chunks of a file whose bytes API Gateway stored straight into the bucket (see {@link FileRecord.staged})
 * into its blob, and records what they hold. A resumable upload's chunks are named by their byte offset: until they
 * cover the announced size without a gap the file stays staged (its last chunk is still on its way); chunks that
 * overrun it, or fail a check, mark the file failed. A single staged body (an S3 PutObject) is whole once it is
 * there. Safe to run twice at once: the loser finds the file settled.
 */
export const settleFile = async (deps: FileDeps, record: FileRecord): Promise<FileRecord> => {
  if (!record.staged || record.staged.failure) return record;
  const staged = record.staged;
  const prefix = stagedChunksPrefix(staged.uploadId);
  const blobs = await deps.blobs.list(prefix);
  if (blobs.length === 0) return record;
  const fail = async (failure: string) => {
    await deps.repo.update("file", record.id, { staged: { ...staged, failure } });
    return { ...record, staged: { ...staged, failure } };
  };
  if (!staged.single) {
    let held = 0;
    for (const blob of blobs) {
      if (Number(blob.key.slice(prefix.length)) !== held) return record;
      held += blob.size;
    }
    if (held < record.bytes) return record;
    if (held > record.bytes) return fail(`the chunks hold ${held} bytes, more than the ${record.bytes} announced`);
  }
  try {
    const joined = await joinChunks(deps, await storedChunks(deps, blobs), record.blobKey, record.contentType);
    const changes = { ...joined, staged: undefined };
    await deps.repo.update("file", record.id, changes);
    await deps.blobs.deletePrefix(prefix);
    return { ...record, ...changes };
  } catch (error) {
    const now = await deps.repo.get("file", record.tenant, record.id);
    if (now && !now.staged) return now;
    if (error instanceof GatewayError && error.statusCode < 500) return fail(error.message.replace(/\.$/, ""));
    throw error;
  }
};

/** A staged file that is not whole yet (or could not be joined) answers with why; a whole one is returned. */
const settled = async (deps: FileDeps, record: FileRecord, shownId: string): Promise<FileRecord> => {
  const file = await settleFile(deps, record);
  if (!file.staged) return file;
  if (file.staged.failure) throw new BadRequestError(`File ${shownId} could not be assembled: ${file.staged.failure}.`);
  throw new ConflictError(`File ${shownId} is still being uploaded: its last chunk has not arrived.`);
};

/** The tenant's file, or a 404 (another tenant's id and an expired file look exactly like a missing one). */
export const getFile = async (
  deps: FileDeps,
  tenant: string,
  id: string | undefined,
  shownId: string,
): Promise<FileRecord> => {
  const record = id ? await deps.repo.get("file", tenant, id) : undefined;
  if (!record) throw new NotFoundError(`No such File object: ${shownId}`, { param: "file_id" });
  return settled(deps, record, shownId);
};

/** A page of the tenant's files; `after` must be one of the tenant's files. Files still arriving are left out. */
export const listFiles = async (deps: FileDeps, tenant: string, query: ListQuery): Promise<Page<FileRecord>> => {
  if (query.after !== undefined && !(await deps.repo.get("file", tenant, query.after))) {
    throw new BadRequestError(`Invalid '${query.cursorName ?? "after"}': no such file to page from.`, {
      param: query.cursorName ?? "after",
    });
  }
  const page = await deps.repo.list("file", tenant, query);
  const items = await Promise.all(page.items.map((file) => settleFile(deps, file)));
  return { ...page, items: items.filter((file) => !file.staged) };
};

/**
 * Deletes the metadata first (the file disappears at once), then the bytes; a stray blob is expired by the
 * bucket lifecycle.
 */
export const deleteFile = async (
  deps: FileDeps,
  tenant: string,
  id: string | undefined,
  shownId: string,
): Promise<void> => {
  const deleted = id ? await deps.repo.delete("file", tenant, id) : undefined;
  if (!deleted) throw new NotFoundError(`No such File object: ${shownId}`, { param: "file_id" });
  await deps.blobs.delete(deleted.blobKey);
};

/** How a file's bytes reach the caller: inline when they fit in a Lambda response, else by a presigned redirect. */
export type FileContent = { kind: "inline"; body: Uint8Array } | { kind: "redirect"; url: string };

export const readFileContent = async (deps: FileDeps, file: FileRecord): Promise<FileContent> => {
  if (file.bytes > deps.config.maxInlineDownloadBytes) {
    const url = await deps.blobs.presignGet(file.blobKey, {
      expiresInSeconds: deps.config.presignTtlSeconds,
      filename: file.filename,
    });
    return { kind: "redirect", url };
  }
  return { kind: "inline", body: await deps.blobs.read(file.blobKey) };
};

/** True when the bytes are JSONL with one object per non-blank line (uploads without a purpose become batch inputs). */
export const isBatchInput = (deps: Pick<FileDeps, "codec">, body: Uint8Array): Promise<boolean> =>
  deps.codec.countObjectLines([body]).then(
    () => true,
    () => false,
  );

/**
 * The tenant's file, or undefined when there is none (no 404: the caller decides what a miss means); a file whose
 * chunks are not whole answers with why.
 */
export const findFile = async (deps: FileDeps, tenant: string, id: string): Promise<FileRecord | undefined> => {
  const record = await deps.repo.get("file", tenant, id);
  return record && settled(deps, record, id);
};

/** A file's bytes, or the inclusive byte range `[start, end]` of them, as a stream (never held whole). */
export const streamFileBytes = (
  deps: FileDeps,
  file: FileRecord,
  range?: { start: number; end: number },
): Promise<Readable> => deps.blobs.stream(file.blobKey, range);

/** A file's bytes, or the inclusive byte range `[start, end]` of them. */
export const readFileBytes = (
  deps: FileDeps,
  file: FileRecord,
  range?: { start: number; end: number },
): Promise<Uint8Array> => deps.blobs.read(file.blobKey, range);

/** The requests of a batch input file, streamed; a 400 naming the line for one in no known format. */
export async function* readInputRequests(deps: FileDeps, blobKey: string): AsyncGenerator<InputRequest> {
  yield* deps.codec.requests(await deps.blobs.stream(blobKey));
}

/**
 * Takes an object of one of the account's own buckets as a file: copied inside S3 (never through this process),
 * then read once as a stream for its digest and lines. Undefined when there is no such object.
 */
export const importObject = async (
  deps: FileDeps,
  input: Pick<NewFile, "tenant" | "dialect" | "provider"> & { bucket: string; key: string },
): Promise<FileRecord | undefined> => {
  const id = newId();
  const blobKey = `${stagingPrefix.files}${input.tenant}/${id}`;
  const copied = await deps.blobs.copyIn({ bucket: input.bucket, key: input.key }, blobKey);
  if (!copied) return undefined;
  const sha256 = createHash("sha256");
  const hashed = async function* () {
    for await (const piece of await deps.blobs.stream(blobKey)) {
      sha256.update(piece as Uint8Array);
      yield piece as Uint8Array;
    }
  };
  const lineCount = await deps.codec.countObjectLines(hashed()).catch(() => undefined);
  const now = deps.now?.() ?? Date.now();
  const record = fileRecord(
    {
      ...input,
      filename: input.key.slice(input.key.lastIndexOf("/") + 1),
      purpose: lineCount === undefined ? "user_data" : "batch",
      contentType: copied.contentType,
    },
    {
      id,
      blobKey,
      bytes: copied.size,
      sha256: lineCount === undefined ? "" : sha256.digest("hex"),
      createdAt: now,
      expiresAt: now + deps.config.fileTtlDays * dayMs,
    },
    { lineCount },
  );
  if (!(await deps.repo.create(record))) throw new Error(`File id collision: ${id}`);
  return record;
};

/** Copies a file out to one of the account's own buckets (inside S3). */
export const exportFile = (deps: FileDeps, file: FileRecord, to: { bucket: string; key: string }): Promise<void> =>
  deps.blobs.copyOut(file.blobKey, to);
