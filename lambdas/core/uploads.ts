import { checkedContentType, checkedName } from "./caller-text";
import { BadRequestError, ConflictError, NotFoundError, PayloadTooLargeError } from "./errors";
import { createFileFromStream, deleteFile, type FileDeps, maxJoinedBytes } from "./files";
import { newId } from "./ids";
import { chunkName, stagedChunksPrefix, stagingPrefix } from "./layout";
import type { Dialect, FilePurpose, FileRecord, Provider, UploadRecord } from "./model";

/** The largest file a resumable upload takes: what the first read can join (chunks never pass a Lambda). */
export const maxResumableUploadBytes = maxJoinedBytes;

const sessionTtlMs = 24 * 3_600_000;

/** Opens an upload session for `size` bytes; its id is the credential of the chunk requests. */
export const startUpload = async (
  deps: FileDeps,
  input: { tenant: string; dialect: Dialect; provider: Provider; size: number; mimeType: string; displayName?: string },
): Promise<UploadRecord> => {
  if (!Number.isInteger(input.size) || input.size < 0)
    throw new BadRequestError("The announced upload size must be a whole number of bytes.");
  if (input.size > maxResumableUploadBytes) {
    throw new PayloadTooLargeError(
      `The file is ${input.size} bytes; this gateway takes uploads of at most ${maxResumableUploadBytes} bytes ` +
        "(1 GiB). Split the requests into several files of at most 1 GiB and create a batch for each.",
    );
  }
  return openSession(deps, input, sessionTtlMs);
};

/** Stores a new upload session that lives `ttlMs`. */
const openSession = async (
  deps: FileDeps,
  input: Pick<UploadRecord, "tenant" | "dialect" | "provider" | "size" | "mimeType" | "displayName" | "purpose">,
  ttlMs: number,
): Promise<UploadRecord> => {
  checkedContentType(input.mimeType, "The upload's MIME type");
  if (input.displayName !== undefined) checkedName(input.displayName, "The upload's display name");
  const now = deps.now?.() ?? Date.now();
  const upload: UploadRecord = {
    ...input,
    id: newId(),
    kind: "upload",
    createdAt: now,
    expiresAt: now + ttlMs,
  };
  await deps.repo.create(upload);
  return upload;
};

/** Where an admitted chunk goes: `staged/uploads/{session}/chunks/{chunk}` (core/layout.ts). */
export interface ChunkTicket {
  session: string;
  chunk: string;
  /** Set when the chunk finalizes the upload: the file it becomes (staged until its first read joins it). */
  file?: FileRecord;
}

/**
 * Admits one chunk of a resumable upload before its bytes are sent on to the bucket (the API's chunk authorizer
 * runs this; it sees the request's headers, never its body). The chunk must start where the bytes received so far
 * end — or repeat an earlier chunk, which overwrites itself. A finalizing chunk needs every earlier byte to have
 * arrived; it records the file, staged, whose first read joins the chunks. A finalized upload admits its last
 * chunk again (a retry) and nothing else.
 */
export const admitChunk = async (
  deps: FileDeps,
  input: {
    uploadId: string;
    offset: number;
    finalize: boolean /** The chunk's bytes, where known. */;
    length?: number;
  },
): Promise<ChunkTicket> => {
  const upload = await deps.repo.getById("upload", input.uploadId);
  if (!upload || (upload.expiresAt ?? Number.POSITIVE_INFINITY) < (deps.now?.() ?? Date.now()))
    throw new NotFoundError("No such upload session (it may have expired): start the upload again.");
  if (!Number.isInteger(input.offset) || input.offset < 0 || input.offset > upload.size) {
    throw new BadRequestError(
      `X-Goog-Upload-Offset ${input.offset} is outside the announced ${upload.size} bytes of the upload.`,
    );
  }
  const prefix = stagedChunksPrefix(upload.id);
  const stored = await deps.blobs.list(prefix);
  let received = 0;
  for (const chunk of stored) {
    if (Number(chunk.key.slice(prefix.length)) !== received) break;
    received += chunk.size;
  }
  const repeat = stored.some((chunk) => Number(chunk.key.slice(prefix.length)) === input.offset);
  const ticket = { session: upload.id, chunk: chunkName(input.offset) };
  if (upload.fileId) {
    const file = await deps.repo.get("file", upload.tenant, upload.fileId);
    if (input.finalize && file) return { ...ticket, file }; // a retried last chunk (a wrong one fails the join)
    throw new ConflictError("The upload is already finalized: start a new upload to send another file.");
  }
  if (input.offset !== received && !repeat) {
    throw new BadRequestError(
      `Chunk at offset ${input.offset}, but ${received} bytes have arrived so far: send the chunk at offset ${received}.`,
    );
  }
  const end = input.length === undefined ? undefined : input.offset + input.length;
  if (end !== undefined && end > upload.size) {
    throw new BadRequestError(
      `The chunk at offset ${input.offset} ends at byte ${end}, past the ${upload.size} bytes announced at start.`,
    );
  }
  if (!input.finalize) return ticket;
  if (input.offset !== received) {
    throw new BadRequestError(
      `Finalize with the chunk that starts at offset ${received}, where the bytes received so far end.`,
    );
  }
  if (end !== undefined && end !== upload.size) {
    throw new BadRequestError(
      `The upload would end at byte ${end}, short of the ${upload.size} bytes announced at start: send the rest, ` +
        "then finalize with the last chunk.",
    );
  }
  const now = deps.now?.() ?? Date.now();
  const id = newId();
  const file: FileRecord = {
    id,
    kind: "file",
    tenant: upload.tenant,
    dialect: upload.dialect,
    provider: upload.provider,
    createdAt: now,
    expiresAt: now + deps.config.fileTtlDays * 86_400_000,
    filename: upload.displayName ?? "upload",
    purpose: "user_data",
    bytes: upload.size,
    contentType: upload.mimeType,
    sha256: "",
    blobKey: `${stagingPrefix.files}${upload.tenant}/${id}`,
    staged: { uploadId: upload.id },
  };
  if (!(await deps.repo.create(file))) throw new Error(`File id collision: ${id}`);
  // One file per upload: of racing finalizes, one records its file; the others answer with that one.
  if (!(await deps.repo.update("upload", upload.id, { fileId: id }, { absent: ["fileId"] }))) {
    await deps.repo.delete("file", upload.tenant, id);
    const { file: won } = await winnerOf(deps, upload, "The upload is already finalized: start a new upload.");
    return { ...ticket, file: won };
  }
  return { ...ticket, file };
};

/** The upload as the racer that recorded its file left it, with that file (or a 409 saying `why`). */
const winnerOf = async (
  deps: FileDeps,
  upload: UploadRecord,
  why: string,
): Promise<{ upload: UploadRecord; file: FileRecord }> => {
  const winner = await deps.repo.getById("upload", upload.id);
  const file = winner?.fileId ? await deps.repo.get("file", upload.tenant, winner.fileId) : undefined;
  if (!winner || !file) throw new ConflictError(why);
  return { upload: winner, file };
};

/** The largest file a parted upload takes (OpenAI's limit for a batch input file). */
export const maxPartedUploadBytes = 200 * 1024 * 1024;
/**
 * The largest part: a part arrives as one request, whose body must fit in one Lambda event (6 MiB of JSON with the
 * body base64-encoded, so about 4.5 MB) — 4 MiB leaves room for the form's framing.
 */
export const maxPartBytes = 4 * 1024 * 1024;
/** Parted uploads expire an hour after they start, as OpenAI's do. */
const partedSessionTtlMs = 3_600_000;
const partsPrefix = (uploadId: string) => `${stagingPrefix.uploads}${uploadId}/parts/`;
const partKey = (uploadId: string, partId: string) => `${partsPrefix(uploadId)}${partId}`;

/** Opens an upload whose parts the caller sends one request each and orders at the end. */
export const startPartedUpload = async (
  deps: FileDeps,
  input: {
    tenant: string;
    dialect: Dialect;
    provider: Provider;
    filename: string;
    purpose: FilePurpose;
    size: number;
    mimeType: string;
  },
): Promise<UploadRecord> => {
  if (!Number.isInteger(input.size) || input.size < 1) {
    throw new BadRequestError("The upload's size must be a whole, positive number of bytes.");
  }
  if (input.size > maxPartedUploadBytes) {
    throw new PayloadTooLargeError(
      `The file is ${input.size} bytes; this gateway takes uploads of at most ${maxPartedUploadBytes} bytes (200 MB).`,
    );
  }
  const { filename, ...session } = input;
  return openSession(deps, { ...session, displayName: filename }, partedSessionTtlMs);
};

/** The tenant's parted upload, still open for parts, or the error that says why not. */
const openUpload = async (deps: FileDeps, tenant: string, id: string | undefined, shown: string) => {
  const upload = id ? await deps.repo.get("upload", tenant, id) : undefined;
  if (!upload)
    throw new NotFoundError(`No such Upload object: ${shown} (it may have expired).`, { param: "upload_id" });
  if (upload.cancelled) throw new ConflictError(`Upload ${shown} was cancelled.`, { param: "upload_id" });
  if (upload.fileId) throw new ConflictError(`Upload ${shown} is already completed.`, { param: "upload_id" });
  return upload;
};

/** Stores one part; its id (returned) is how the caller orders it at completion. */
export const addPart = async (
  deps: FileDeps,
  input: { tenant: string; uploadId: string | undefined; shown: string; body: Uint8Array },
): Promise<{ upload: UploadRecord; partId: string; createdAt: number }> => {
  const upload = await openUpload(deps, input.tenant, input.uploadId, input.shown);
  if (input.body.byteLength > maxPartBytes) {
    throw new PayloadTooLargeError(
      `The part is ${input.body.byteLength} bytes; this gateway takes parts of at most ${maxPartBytes} bytes (4 MiB).`,
    );
  }
  if (input.body.byteLength === 0) throw new BadRequestError("The part is empty.");
  const partId = newId();
  await deps.blobs.put(partKey(upload.id, partId), input.body, "application/octet-stream");
  return { upload, partId, createdAt: deps.now?.() ?? Date.now() };
};

/**
 * Joins the parts, in the order given, into a file: streamed from the parts into the file's object (never held
 * whole), sizes and MD5 checked, a batch input's lines checked. Nothing is recorded unless every check holds;
 * the upload stays open to be completed again or cancelled.
 */
export const completePartedUpload = async (
  deps: FileDeps,
  input: { tenant: string; uploadId: string | undefined; shown: string; partIds: (string | undefined)[]; md5?: string },
): Promise<{ upload: UploadRecord; file: FileRecord }> => {
  const upload = await openUpload(deps, input.tenant, input.uploadId, input.shown);
  if (input.partIds.length === 0) throw new BadRequestError("Name the parts to join, in order.");
  const seen = new Set<string>();
  for (const [index, partId] of input.partIds.entries()) {
    if (!partId || !(await deps.blobs.exists(partKey(upload.id, partId)))) {
      throw new BadRequestError(`Part ${index + 1} of the list is not a part of upload ${input.shown}.`);
    }
    if (seen.has(partId)) throw new BadRequestError(`Part ${index + 1} of the list repeats an earlier one.`);
    seen.add(partId);
  }
  const parts = async function* () {
    for (const partId of seen) yield* await deps.blobs.stream(partKey(upload.id, partId));
  };
  const file = await createFileFromStream(
    deps,
    {
      tenant: upload.tenant,
      dialect: upload.dialect,
      provider: upload.provider,
      filename: upload.displayName ?? "upload",
      purpose: upload.purpose ?? "user_data",
      contentType: upload.mimeType,
    },
    parts(),
    { expectedBytes: upload.size, md5: input.md5 },
  );
  // One file per upload: of racing completes, one records its file; the others drop theirs and answer with it.
  const completed = await deps.repo.update("upload", upload.id, { fileId: file.id }, { absent: ["fileId"] });
  if (!completed) {
    await deleteFile(deps, upload.tenant, file.id, "").catch(() => undefined);
    return winnerOf(deps, upload, `Upload ${input.shown} is already completed.`);
  }
  await Promise.all([...seen].map((partId) => deps.blobs.delete(partKey(upload.id, partId))));
  return { upload: completed, file };
};

/** Gives up on an open upload and frees the parts it stored. */
export const cancelPartedUpload = async (
  deps: FileDeps,
  input: { tenant: string; uploadId: string | undefined; shown: string },
): Promise<UploadRecord> => {
  const upload = await openUpload(deps, input.tenant, input.uploadId, input.shown);
  const cancelled = (await deps.repo.update("upload", upload.id, { cancelled: true })) ?? {
    ...upload,
    cancelled: true,
  };
  await deps.blobs.deletePrefix(partsPrefix(upload.id));
  return cancelled;
};
