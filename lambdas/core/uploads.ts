import { BadRequestError, ConflictError, NotFoundError, PayloadTooLargeError } from "./errors";
import { createFile, createFileFromStream, type FileDeps, isBatchInput } from "./files";
import { newId } from "./ids";
import { stagingPrefix } from "./layout";
import type { Dialect, FilePurpose, FileRecord, Provider, UploadRecord } from "./model";

/**
 * The largest file a resumable upload takes. The SDKs send chunks of up to 8 MiB, and a chunk must fit in one
 * Lambda invocation (6 MiB of event, base64-encoded), so the gateway takes files up to 4 MiB — one chunk —
 * and refuses larger ones at `start`, before any byte is sent (README "Limits").
 */
export const maxResumableUploadBytes = 4 * 1024 * 1024;

const sessionTtlMs = 24 * 3_600_000;
const chunkKey = (upload: UploadRecord, offset: number) =>
  `${stagingPrefix.uploads}${upload.id}/${String(offset).padStart(12, "0")}`;

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
        "(4 MiB), because each upload chunk passes through one Lambda invocation.",
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
  const now = deps.now?.() ?? Date.now();
  const upload: UploadRecord = {
    ...input,
    id: newId(),
    kind: "upload",
    createdAt: now,
    expiresAt: now + ttlMs,
    chunks: [],
  };
  await deps.repo.create(upload);
  return upload;
};

/**
 * Stores one chunk at its offset (a retried chunk overwrites itself) and, on `finalize`, joins the chunks into a
 * file. Returns the file once finalized. A finalized session answers a repeated finalize with the same file.
 */
export const uploadChunk = async (
  deps: FileDeps,
  input: { uploadId: string; offset: number; body: Uint8Array; finalize: boolean },
): Promise<{ upload: UploadRecord; file?: FileRecord }> => {
  const upload = await deps.repo.getById("upload", input.uploadId);
  if (!upload) throw new NotFoundError("No such upload session (it may have expired).");
  if (upload.fileId) return { upload, file: await deps.repo.get("file", upload.tenant, upload.fileId) };
  if (!Number.isInteger(input.offset) || input.offset < 0 || input.offset + input.body.byteLength > upload.size) {
    throw new BadRequestError(
      `Chunk at offset ${input.offset} of ${input.body.byteLength} bytes does not fit the announced ${upload.size} bytes.`,
    );
  }
  await deps.blobs.put(chunkKey(upload, input.offset), input.body, "application/octet-stream");
  const chunks = [
    ...upload.chunks.filter((c) => c.offset !== input.offset),
    { offset: input.offset, bytes: input.body.byteLength },
  ].sort((a, b) => a.offset - b.offset);
  if (!input.finalize) {
    const updated = await deps.repo.update("upload", upload.id, { chunks });
    return { upload: updated ?? upload };
  }
  let expected = 0;
  for (const chunk of chunks) {
    if (chunk.offset !== expected)
      throw new BadRequestError(`Missing bytes ${expected}–${chunk.offset - 1}: upload every chunk before finalizing.`);
    expected += chunk.bytes;
  }
  if (expected !== upload.size)
    throw new BadRequestError(`Received ${expected} of the announced ${upload.size} bytes.`);
  const body = Buffer.concat(await Promise.all(chunks.map((c) => deps.blobs.read(chunkKey(upload, c.offset)))));
  const batchInput = await isBatchInput(deps, body);
  const file = await createFile(deps, {
    tenant: upload.tenant,
    dialect: upload.dialect,
    provider: upload.provider,
    filename: upload.displayName ?? "upload",
    purpose: batchInput ? "batch" : "user_data",
    contentType: upload.mimeType,
    body,
  });
  const updated = await deps.repo.update("upload", upload.id, { chunks, fileId: file.id });
  await Promise.all(chunks.map((c) => deps.blobs.delete(chunkKey(upload, c.offset))));
  return { upload: updated ?? upload, file };
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
  const completed = await deps.repo.update("upload", upload.id, { fileId: file.id });
  await Promise.all([...seen].map((partId) => deps.blobs.delete(partKey(upload.id, partId))));
  return { upload: completed ?? { ...upload, fileId: file.id }, file };
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
